/// The resources the simulated API server serves, looked up by (group, version, resource).
struct ResourceRegistry: Sendable {
    private(set) var definitions: [ResourceDefinition]
    private var index: [String: Int] = [:]

    init(_ definitions: [ResourceDefinition]) {
        self.definitions = definitions
        for (position, definition) in definitions.enumerated() {
            index["\(definition.group)/\(definition.version)/\(definition.resource)"] = position
        }
    }

    func lookup(group: String, version: String, resource: String) -> ResourceDefinition? {
        index["\(group)/\(version)/\(resource)"].map { definitions[$0] }
    }

    /// The definition that owns a storage key in its stored version.
    func storageDefinition(_ storageKey: String) -> ResourceDefinition? {
        definitions.first { $0.storageKey == storageKey && $0.fromStorage == nil }
    }

    func hasGroupVersion(group: String, version: String) -> Bool {
        definitions.contains { $0.group == group && $0.version == version }
    }

    static let builtIn = ResourceRegistry([
        BuiltinResources.nodes, BuiltinResources.pods, BuiltinResources.namespaces, BuiltinResources.serviceAccounts,
        BuiltinResources.coreEvents, BuiltinResources.eventsV1, BuiltinResources.leases,
    ])
}

/// Definitions of the built-in resources, with the admission defaults and validation a real
/// v1.28 API server applies (see the fixtures in ../shared/fixtures/kube-api-v1.28).
enum BuiltinResources {
    // MARK: nodes

    static let nodeInfoKeys = [
        "machineID", "systemUUID", "bootID", "kernelVersion", "osImage", "containerRuntimeVersion", "kubeletVersion",
        "kubeProxyVersion", "operatingSystem", "architecture",
    ]

    static var nodeStatusZero: JSONObject {
        var status = JSONObject()
        status["daemonEndpoints"] = ["kubeletEndpoint": ["Port": 0]]
        status["nodeInfo"] = .object(JSONObject(nodeInfoKeys.map { .init(key: $0, value: "") }))
        return status
    }

    static let nodes: ResourceDefinition = {
        var definition = ResourceDefinition(
            group: "", version: "v1", resource: "nodes", kind: "Node", namespaced: false)
        definition.shortNames = ["no"]
        definition.subresources = ["status"]
        definition.metadataCauseRepeatsOnUpdate = 4
        definition.fieldLabels = [
            "spec.unschedulable": { $0["spec"]["unschedulable"]?.boolValue == true ? "true" : "false" }
        ]
        definition.admitCreate = { object in
            // TaintNodesByCondition admission: new nodes are not ready until the kubelet says so.
            var spec = object["spec"]?.objectValue ?? JSONObject()
            var taints = spec["taints"]?.arrayValue ?? []
            let notReady: JSONValue = ["key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"]
            if !taints.contains(where: { $0["key"]?.stringValue == "node.kubernetes.io/not-ready" }) {
                taints.append(notReady)
            }
            spec["taints"] = .array(taints)
            object["spec"] = .object(spec)
        }
        definition.normalize = { object in
            var spec = object["spec"]?.objectValue ?? JSONObject()
            spec.reorder(leading: [
                "podCIDR", "podCIDRs", "providerID", "unschedulable", "taints", "configSource", "externalID",
            ])
            object["spec"] = .object(spec)
            var status = object["status"]?.objectValue ?? JSONObject()
            var endpoints = status["daemonEndpoints"]?.objectValue ?? JSONObject()
            var kubelet = endpoints["kubeletEndpoint"]?.objectValue ?? JSONObject()
            if kubelet["Port"] == nil { kubelet["Port"] = 0 }
            endpoints["kubeletEndpoint"] = .object(kubelet)
            status["daemonEndpoints"] = .object(endpoints)
            var info = status["nodeInfo"]?.objectValue ?? JSONObject()
            for key in nodeInfoKeys where info[key] == nil { info[key] = "" }
            info.reorder(leading: nodeInfoKeys)
            status["nodeInfo"] = .object(info)
            status.reorder(leading: [
                "capacity", "allocatable", "phase", "conditions", "addresses", "daemonEndpoints", "nodeInfo", "images",
                "volumesInUse", "volumesAttached", "config",
            ])
            object["status"] = .object(status)
            MetadataOrder.normalizeEnvelope(&object)
        }
        definition.bookmarkBody = JSONObject([
            .init(key: "spec", value: [:]), .init(key: "status", value: .object(nodeStatusZero)),
        ])
        return definition
    }()

    // MARK: pods

    static let podSpecKeys = [
        "volumes", "initContainers", "containers", "ephemeralContainers", "restartPolicy",
        "terminationGracePeriodSeconds", "activeDeadlineSeconds", "dnsPolicy", "nodeSelector", "serviceAccountName",
        "serviceAccount", "automountServiceAccountToken", "nodeName", "hostNetwork", "hostPID", "hostIPC",
        "shareProcessNamespace", "securityContext", "imagePullSecrets", "hostname", "subdomain", "affinity",
        "schedulerName", "tolerations", "hostAliases", "priorityClassName", "priority", "dnsConfig", "readinessGates",
        "runtimeClassName", "enableServiceLinks", "preemptionPolicy", "overhead", "topologySpreadConstraints",
        "setHostnameAsFQDN", "os", "hostUsers", "schedulingGates", "resourceClaims",
    ]
    static let containerKeys = [
        "name", "image", "command", "args", "workingDir", "ports", "envFrom", "env", "resources", "resizePolicy",
        "restartPolicy", "volumeMounts", "volumeDevices", "livenessProbe", "readinessProbe", "startupProbe",
        "lifecycle", "terminationMessagePath", "terminationMessagePolicy", "imagePullPolicy", "securityContext",
        "stdin",
        "stdinOnce", "tty",
    ]
    static let podStatusKeys = [
        "phase", "conditions", "message", "reason", "nominatedNodeName", "hostIP", "hostIPs", "podIP", "podIPs",
        "startTime", "initContainerStatuses", "containerStatuses", "qosClass", "ephemeralContainerStatuses", "resize",
    ]

    private static func defaultContainer(_ value: JSONValue, tokenMount: JSONValue?) -> JSONValue {
        guard case .object(var container) = value else { return value }
        if container["resources"] == nil { container["resources"] = [:] }
        if let tokenMount {
            var mounts = container["volumeMounts"]?.arrayValue ?? []
            if !mounts.contains(where: {
                $0["mountPath"]?.stringValue == "/var/run/secrets/kubernetes.io/serviceaccount"
            }) {
                mounts.append(tokenMount)
            }
            container["volumeMounts"] = .array(mounts)
        }
        if container["terminationMessagePath"] == nil { container["terminationMessagePath"] = "/dev/termination-log" }
        if container["terminationMessagePolicy"] == nil { container["terminationMessagePolicy"] = "File" }
        if container["imagePullPolicy"] == nil {
            let image = container["image"]?.stringValue ?? ""
            let lastComponent = image.split(separator: "/").last.map(String.init) ?? image
            let hasTag = lastComponent.contains(":") || image.contains("@")
            let isLatest = lastComponent.hasSuffix(":latest")
            container["imagePullPolicy"] = (hasTag && !isLatest) ? "IfNotPresent" : "Always"
        }
        container.reorder(leading: containerKeys)
        return .object(container)
    }

    static func qosClass(_ spec: JSONValue?) -> String {
        let containers = (spec["containers"]?.arrayValue ?? []) + (spec["initContainers"]?.arrayValue ?? [])
        var any = false
        var guaranteed = !containers.isEmpty
        for container in containers {
            let requests = container["resources"]["requests"]?.objectValue ?? JSONObject()
            let limits = container["resources"]["limits"]?.objectValue ?? JSONObject()
            if !requests.isEmpty || !limits.isEmpty { any = true }
            for resource in ["cpu", "memory"] {
                guard let limit = limits[resource] else {
                    guaranteed = false
                    continue
                }
                if let request = requests[resource], request != limit { guaranteed = false }
            }
        }
        if !any { return "BestEffort" }
        return guaranteed ? "Guaranteed" : "Burstable"
    }

    static let pods: ResourceDefinition = {
        var definition = ResourceDefinition(group: "", version: "v1", resource: "pods", kind: "Pod", namespaced: true)
        definition.shortNames = ["po"]
        definition.subresources = ["status"]
        definition.returnsDeletedObject = true
        definition.fieldLabels = [
            "spec.nodeName": { $0["spec"]["nodeName"]?.stringValue },
            "spec.restartPolicy": { $0["spec"]["restartPolicy"]?.stringValue },
            "spec.schedulerName": { $0["spec"]["schedulerName"]?.stringValue },
            "spec.serviceAccountName": { $0["spec"]["serviceAccountName"]?.stringValue },
            "spec.hostNetwork": { $0["spec"]["hostNetwork"]?.boolValue == true ? "true" : "false" },
            "status.phase": { $0["status"]["phase"]?.stringValue },
            "status.podIP": { $0["status"]["podIP"]?.stringValue },
            "status.nominatedNodeName": { $0["status"]["nominatedNodeName"]?.stringValue },
        ]
        definition.admitCreate = { object in
            var spec = object["spec"]?.objectValue ?? JSONObject()
            // ServiceAccount admission: the token volume unless automounting is switched off.
            var tokenMount: JSONValue?
            if spec["automountServiceAccountToken"]?.boolValue != false {
                let volumeName = "kube-api-access-\(Identifiers.nameSuffix())"
                let volume: JSONValue = [
                    "name": .string(volumeName),
                    "projected": [
                        "sources": [
                            ["serviceAccountToken": ["expirationSeconds": 3607, "path": "token"]],
                            [
                                "configMap": [
                                    "name": "kube-root-ca.crt", "items": [["key": "ca.crt", "path": "ca.crt"]],
                                ]
                            ],
                            [
                                "downwardAPI": [
                                    "items": [
                                        [
                                            "path": "namespace",
                                            "fieldRef": ["apiVersion": "v1", "fieldPath": "metadata.namespace"],
                                        ]
                                    ]
                                ]
                            ],
                        ],
                        "defaultMode": 420,
                    ],
                ]
                spec["volumes"] = .array((spec["volumes"]?.arrayValue ?? []) + [volume])
                tokenMount = [
                    "name": .string(volumeName), "readOnly": true,
                    "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                ]
            }
            if case .array(let containers) = spec["containers"] {
                spec["containers"] = .array(containers.map { defaultContainer($0, tokenMount: tokenMount) })
            }
            if case .array(let containers) = spec["initContainers"] {
                spec["initContainers"] = .array(containers.map { defaultContainer($0, tokenMount: tokenMount) })
            }
            if spec["restartPolicy"] == nil { spec["restartPolicy"] = "Always" }
            if spec["terminationGracePeriodSeconds"] == nil { spec["terminationGracePeriodSeconds"] = 30 }
            if spec["dnsPolicy"] == nil { spec["dnsPolicy"] = "ClusterFirst" }
            let account = spec["serviceAccountName"]?.stringValue ?? spec["serviceAccount"]?.stringValue ?? "default"
            spec["serviceAccountName"] = .string(account)
            spec["serviceAccount"] = .string(account)
            if spec["securityContext"] == nil { spec["securityContext"] = [:] }
            if spec["schedulerName"] == nil { spec["schedulerName"] = "default-scheduler" }
            // DefaultTolerationSeconds admission.
            var tolerations = spec["tolerations"]?.arrayValue ?? []
            for taint in ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"] {
                let tolerated = tolerations.contains { toleration in
                    let key = toleration["key"]?.stringValue ?? ""
                    let effect = toleration["effect"]?.stringValue ?? ""
                    return (key.isEmpty && toleration["operator"]?.stringValue == "Exists" || key == taint)
                        && (effect.isEmpty || effect == "NoExecute")
                }
                if !tolerated {
                    tolerations.append([
                        "key": .string(taint), "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300,
                    ])
                }
            }
            spec["tolerations"] = .array(tolerations)
            if spec["priority"] == nil { spec["priority"] = 0 }
            if spec["enableServiceLinks"] == nil { spec["enableServiceLinks"] = true }
            if spec["preemptionPolicy"] == nil { spec["preemptionPolicy"] = "PreemptLowerPriority" }
            object["spec"] = .object(spec)
            var status = JSONObject()
            status["phase"] = "Pending"
            status["qosClass"] = .string(qosClass(.object(spec)))
            object["status"] = .object(status)
        }
        definition.normalize = { object in
            var spec = object["spec"]?.objectValue ?? JSONObject()
            if spec["containers"] == nil { spec["containers"] = .null }
            spec.reorder(leading: podSpecKeys)
            object["spec"] = .object(spec)
            var status = object["status"]?.objectValue ?? JSONObject()
            status.reorder(leading: podStatusKeys)
            object["status"] = .object(status)
            MetadataOrder.normalizeEnvelope(&object)
        }
        definition.validate = { object, _ in
            var causes: [APIError.Cause] = []
            let containers = object["spec"]["containers"]?.arrayValue ?? []
            if containers.isEmpty {
                causes.append(Validation.required("spec.containers"))
            }
            for (index, container) in containers.enumerated() {
                let name = container["name"]?.stringValue ?? ""
                if name.isEmpty {
                    causes.append(Validation.required("spec.containers[\(index)].name"))
                } else if !Validation.isDNSLabel(name) {
                    causes.append(Validation.invalid("spec.containers[\(index)].name", name, Validation.labelMessage))
                }
                if (container["image"]?.stringValue ?? "").isEmpty {
                    causes.append(Validation.required("spec.containers[\(index)].image"))
                }
            }
            return causes
        }
        definition.bookmarkBody = JSONObject([
            .init(key: "spec", value: ["containers": nil]), .init(key: "status", value: [:]),
        ])
        return definition
    }()

    // MARK: namespaces

    static let namespaces: ResourceDefinition = {
        var definition = ResourceDefinition(
            group: "", version: "v1", resource: "namespaces", kind: "Namespace", namespaced: false)
        definition.shortNames = ["ns"]
        definition.subresources = ["status", "finalize"]
        definition.returnsDeletedObject = true
        definition.dnsLabelNames = true
        definition.managedFieldsExcludedOnCreate = ["spec", "status"]
        definition.verbs = ["create", "delete", "get", "list", "patch", "update", "watch"]
        definition.fieldLabels = ["status.phase": { $0["status"]["phase"]?.stringValue }]
        definition.admitCreate = { object in
            var spec = object["spec"]?.objectValue ?? JSONObject()
            if spec["finalizers"] == nil { spec["finalizers"] = ["kubernetes"] }
            object["spec"] = .object(spec)
            object["status"] = ["phase": "Active"]
        }
        definition.normalize = { object in
            // The NamespaceDefaultLabelName feature: the name label is always set.
            if case .object(var metadata) = object["metadata"], let name = metadata["name"]?.stringValue {
                var labels = metadata["labels"]?.objectValue ?? JSONObject()
                labels["kubernetes.io/metadata.name"] = .string(name)
                metadata["labels"] = .object(labels)
                object["metadata"] = .object(metadata)
            }
            if object["spec"] == nil { object["spec"] = [:] }
            if object["status"] == nil { object["status"] = [:] }
            MetadataOrder.normalizeEnvelope(&object)
        }
        definition.bookmarkBody = JSONObject([.init(key: "spec", value: [:]), .init(key: "status", value: [:])])
        return definition
    }()

    // MARK: serviceaccounts

    static let serviceAccounts: ResourceDefinition = {
        var definition = ResourceDefinition(
            group: "", version: "v1", resource: "serviceaccounts", kind: "ServiceAccount", namespaced: true)
        definition.shortNames = ["sa"]
        definition.subresources = ["token"]
        definition.returnsDeletedObject = true
        definition.normalize = { MetadataOrder.normalizeEnvelope(&$0) }
        return definition
    }()

    // MARK: events

    static let objectReferenceKeys = ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"]

    private static func orderedReference(_ value: JSONValue?) -> JSONValue {
        guard case .object(var reference) = value else { return [:] }
        reference.reorder(leading: objectReferenceKeys)
        return .object(reference)
    }

    static let coreEventKeys = [
        "involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp", "count", "type",
        "eventTime", "series", "action", "related", "reportingComponent", "reportingInstance",
    ]

    static let eventFieldLabels: [String: @Sendable (JSONValue) -> String?] = [
        "involvedObject.kind": { $0["involvedObject"]["kind"]?.stringValue },
        "involvedObject.namespace": { $0["involvedObject"]["namespace"]?.stringValue },
        "involvedObject.name": { $0["involvedObject"]["name"]?.stringValue },
        "involvedObject.uid": { $0["involvedObject"]["uid"]?.stringValue },
        "involvedObject.apiVersion": { $0["involvedObject"]["apiVersion"]?.stringValue },
        "involvedObject.resourceVersion": { $0["involvedObject"]["resourceVersion"]?.stringValue },
        "involvedObject.fieldPath": { $0["involvedObject"]["fieldPath"]?.stringValue },
        "reason": { $0["reason"]?.stringValue },
        "reportingComponent": { $0["reportingComponent"]?.stringValue },
        "source": { $0["source"]["component"]?.stringValue },
        "type": { $0["type"]?.stringValue },
    ]

    /// core/v1 Event with every member Go always writes.
    static func normalizeCoreEvent(_ object: inout JSONObject) {
        object["involvedObject"] = orderedReference(object["involvedObject"])
        if object["source"] == nil { object["source"] = [:] }
        for key in ["firstTimestamp", "lastTimestamp", "eventTime"] where object[key] == nil { object[key] = .null }
        if object["count"]?.intValue == 0 { object["count"] = nil }
        for key in ["reportingComponent", "reportingInstance"] where object[key] == nil { object[key] = "" }
        for key in ["reason", "message", "type", "action"] where object[key]?.stringValue == "" { object[key] = nil }
        object.reorder(leading: ["kind", "apiVersion", "metadata"] + coreEventKeys)
        MetadataOrder.normalizeEnvelope(&object)
    }

    static let coreEvents: ResourceDefinition = {
        var definition = ResourceDefinition(
            group: "", version: "v1", resource: "events", kind: "Event", namespaced: true, storageKey: "events")
        definition.shortNames = ["ev"]
        definition.fieldLabels = eventFieldLabels
        definition.validatesMetadata = false
        definition.normalize = normalizeCoreEvent
        definition.validate = { object, _ in
            var causes: [APIError.Cause] = []
            let namespace = object["metadata"]["namespace"]?.stringValue ?? ""
            let involvedNamespace = object["involvedObject"]["namespace"]?.stringValue ?? ""
            if !involvedNamespace.isEmpty && involvedNamespace != namespace {
                causes.append(
                    Validation.invalid("involvedObject.namespace", involvedNamespace, "does not match event.namespace"))
            }
            return causes
        }
        definition.bookmarkBody = JSONObject([
            .init(key: "involvedObject", value: [:]), .init(key: "source", value: [:]),
            .init(key: "firstTimestamp", value: nil), .init(key: "lastTimestamp", value: nil),
            .init(key: "eventTime", value: nil), .init(key: "reportingComponent", value: ""),
            .init(key: "reportingInstance", value: ""),
        ])
        return definition
    }()

    /// core/v1 (storage) → events.k8s.io/v1.
    static func eventToV1(_ stored: JSONValue) -> JSONValue {
        var result = JSONObject()
        result["kind"] = "Event"
        result["apiVersion"] = "events.k8s.io/v1"
        result["metadata"] = stored["metadata"] ?? [:]
        result["eventTime"] = stored["eventTime"] ?? .null
        if let series = stored["series"], !series.isNull { result["series"] = series }
        if let value = stored["reportingComponent"]?.stringValue, !value.isEmpty {
            result["reportingController"] = .string(value)
        }
        if let value = stored["reportingInstance"]?.stringValue, !value.isEmpty {
            result["reportingInstance"] = .string(value)
        }
        for key in ["action", "reason"] {
            if let value = stored[key]?.stringValue, !value.isEmpty { result[key] = .string(value) }
        }
        result["regarding"] = orderedReference(stored["involvedObject"])
        if let related = stored["related"], !related.isNull { result["related"] = orderedReference(related) }
        if let value = stored["message"]?.stringValue, !value.isEmpty { result["note"] = .string(value) }
        if let value = stored["type"]?.stringValue, !value.isEmpty { result["type"] = .string(value) }
        result["deprecatedSource"] = stored["source"] ?? [:]
        result["deprecatedFirstTimestamp"] = stored["firstTimestamp"] ?? .null
        result["deprecatedLastTimestamp"] = stored["lastTimestamp"] ?? .null
        if let count = stored["count"]?.intValue, count != 0 { result["deprecatedCount"] = .int(count) }
        return .object(result)
    }

    /// events.k8s.io/v1 → core/v1 (storage).
    static func eventFromV1(_ value: JSONValue) -> JSONValue {
        var result = JSONObject()
        result["kind"] = "Event"
        result["apiVersion"] = "v1"
        result["metadata"] = value["metadata"] ?? [:]
        result["involvedObject"] = value["regarding"] ?? [:]
        result["reason"] = value["reason"]
        result["message"] = value["note"]
        result["source"] = value["deprecatedSource"] ?? [:]
        result["firstTimestamp"] = value["deprecatedFirstTimestamp"] ?? .null
        result["lastTimestamp"] = value["deprecatedLastTimestamp"] ?? .null
        result["count"] = value["deprecatedCount"]
        result["type"] = value["type"]
        result["eventTime"] = value["eventTime"] ?? .null
        result["series"] = value["series"]
        result["action"] = value["action"]
        result["related"] = value["related"]
        result["reportingComponent"] = value["reportingController"] ?? ""
        result["reportingInstance"] = value["reportingInstance"] ?? ""
        normalizeCoreEvent(&result)
        return .object(result)
    }

    static let eventsV1: ResourceDefinition = {
        var definition = ResourceDefinition(
            group: "events.k8s.io", version: "v1", resource: "events", kind: "Event", namespaced: true,
            storageKey: "events")
        definition.shortNames = ["ev"]
        definition.fieldLabels = eventFieldLabels
        definition.validatesMetadata = false
        definition.fromStorage = eventToV1
        definition.toStorage = eventFromV1
        definition.microTimeFields = [["eventTime"]]
        definition.validate = { object, operation in
            // Validated in the core shape (after conversion), strict rules of events.k8s.io.
            var causes = Validation.metadataCauses(object["metadata"], dnsLabelNames: false)
            if object["eventTime"]?.isNull ?? true { causes.append(Validation.required("eventTime")) }
            if (object["reportingComponent"]?.stringValue ?? "").isEmpty {
                causes.append(Validation.required("reportingController"))
            }
            if (object["reportingInstance"]?.stringValue ?? "").isEmpty {
                causes.append(Validation.required("reportingInstance"))
            }
            if (object["action"]?.stringValue ?? "").isEmpty { causes.append(Validation.required("action")) }
            if (object["reason"]?.stringValue ?? "").isEmpty { causes.append(Validation.required("reason")) }
            return causes
        }
        definition.bookmarkBody = JSONObject([
            .init(key: "eventTime", value: nil), .init(key: "regarding", value: [:]),
            .init(key: "deprecatedSource", value: [:]), .init(key: "deprecatedFirstTimestamp", value: nil),
            .init(key: "deprecatedLastTimestamp", value: nil),
        ])
        return definition
    }()

    // MARK: leases

    static let leases: ResourceDefinition = {
        var definition = ResourceDefinition(
            group: "coordination.k8s.io", version: "v1", resource: "leases", kind: "Lease", namespaced: true)
        definition.microTimeFields = [["spec", "acquireTime"], ["spec", "renewTime"]]
        definition.normalize = { object in
            var spec = object["spec"]?.objectValue ?? JSONObject()
            spec.reorder(leading: [
                "holderIdentity", "leaseDurationSeconds", "acquireTime", "renewTime", "leaseTransitions", "strategy",
                "preferredHolder",
            ])
            object["spec"] = .object(spec)
            MetadataOrder.normalizeEnvelope(&object)
        }
        definition.validate = { object, _ in
            var causes: [APIError.Cause] = []
            if let duration = object["spec"]["leaseDurationSeconds"]?.intValue, duration <= 0 {
                causes.append(
                    Validation.invalid("spec.leaseDurationSeconds", String(duration), "must be greater than 0"))
            }
            return causes
        }
        definition.bookmarkBody = JSONObject([.init(key: "spec", value: [:])])
        return definition
    }()
}
