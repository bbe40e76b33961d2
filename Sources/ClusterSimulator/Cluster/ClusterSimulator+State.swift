import Foundation

extension ClusterSimulator {
    /// Writes as a cluster component would (not through HTTP): bumps the resourceVersion and
    /// notifies watchers like any API write.
    func write(
        _ definition: ResourceDefinition, key: String, manager: String, subresource: String? = nil,
        _ body: (JSONObject) -> JSONObject?
    ) {
        store.transaction { transaction in
            guard let existing = transaction.get(definition.storageKey, key: key),
                case .object(let current) = existing.object,
                var updated = body(current)
            else { return }
            definition.normalize(&updated)
            if updated == current { return }
            let fields: JSONObject =
                subresource == "status" ? ["status": updated["status"] ?? [:]] : updated
            updated["metadata"]?["managedFields"] = ManagedFields.updated(
                current["metadata"]?["managedFields"], manager: manager, apiVersion: definition.apiVersion,
                subresource: subresource, time: Timestamps.time(), fields: fields)
            transaction.put(definition, key: key, object: updated)
        }
    }

    /// Creates an object as a cluster component (admission defaults applied); nil if it exists.
    @discardableResult
    func createObject(_ definition: ResourceDefinition, _ object: JSONObject, manager: String) -> StoredObject? {
        var object = object
        object["kind"] = .string(definition.kind)
        object["apiVersion"] = .string(definition.apiVersion)
        var metadata = object["metadata"]?.objectValue ?? JSONObject()
        let now = Timestamps.time()
        metadata["uid"] = .string(Identifiers.uid())
        metadata["creationTimestamp"] = .string(now)
        object["metadata"] = .object(metadata)
        let fields = object
        definition.admitCreate(&object)
        object["metadata"]?["managedFields"] = ManagedFields.updated(
            nil, manager: manager, apiVersion: definition.apiVersion, subresource: nil, time: now, fields: fields)
        definition.normalize(&object)
        let name = metadata["name"]?.stringValue ?? ""
        let key = definition.namespaced ? "\(metadata["namespace"]?.stringValue ?? "")/\(name)" : name
        return store.transaction { transaction in
            if transaction.get(definition.storageKey, key: key) != nil { return nil }
            return transaction.put(definition, key: key, object: object)
        }
    }

    func createDefaultNamespaces() {
        for name in ["default", "kube-node-lease", "kube-public", "kube-system"] {
            createObject(BuiltinResources.namespaces, ["metadata": ["name": .string(name)]], manager: "kube-apiserver")
        }
    }

    // MARK: nodes

    /// Adds a node as its kubelet registers it (conditions, addresses, nodeInfo, capacity) and runs
    /// a simulated kubelet for it. `os`: "windows", "linux" or nil (no OS label). Returns the uid.
    @discardableResult
    public func addNode(
        name: String, os: String?, ready: Bool = true, taints: [[String: String]] = [], labels: [String: String] = [:],
        annotations: [String: String] = [:]
    ) -> String {
        let address = kubelet.withLock { state -> String in
            state.nextNodeAddress += 1
            return "10.224.\(state.nextNodeAddress / 250).\(state.nextNodeAddress % 250 + 4)"
        }
        var allLabels = [
            "kubernetes.io/hostname": name, "kubernetes.io/arch": "amd64", "beta.kubernetes.io/arch": "amd64",
        ]
        if let os {
            allLabels["kubernetes.io/os"] = os
            allLabels["beta.kubernetes.io/os"] = os
        }
        for (key, value) in labels { allLabels[key] = value }
        var metadata = JSONObject()
        metadata["name"] = .string(name)
        metadata["labels"] = .sortedStringMap(allLabels)
        if !annotations.isEmpty { metadata["annotations"] = .sortedStringMap(annotations) }
        var spec = JSONObject()
        spec["providerID"] = .string("azure:///simulated/\(name)")
        var taintValues: [JSONValue] = taints.map { taint in
            var object = JSONObject()
            for key in ["key", "value", "effect"] { if let value = taint[key] { object[key] = .string(value) } }
            for (key, value) in taint.sorted(by: { $0.key < $1.key }) where object[key] == nil {
                object[key] = .string(value)
            }
            return .object(object)
        }
        if !ready { taintValues += Self.notReadyTaints() }
        if !taintValues.isEmpty { spec["taints"] = .array(taintValues) }
        let now = Timestamps.time()
        var status = JSONObject()
        let resources: JSONValue = [
            "cpu": "4", "ephemeral-storage": "133703676Ki", "memory": "16776740Ki", "pods": "30",
        ]
        status["capacity"] = resources
        status["allocatable"] = [
            "cpu": "3860m", "ephemeral-storage": "133703676Ki", "memory": "12569636Ki", "pods": "30",
        ]
        status["conditions"] = .array(Self.conditions(ready: ready, now: now, transition: now))
        status["addresses"] = [
            ["type": "InternalIP", "address": .string(address)], ["type": "Hostname", "address": .string(name)],
        ]
        let windows = os == "windows"
        status["nodeInfo"] = [
            "machineID": .string(name), "systemUUID": .string(Identifiers.uid()), "bootID": .string(Identifiers.uid()),
            "kernelVersion": windows ? "10.0.20348.2113" : "5.15.0-1051-azure",
            "osImage": windows ? "Windows Server 2022 Datacenter" : "Ubuntu 22.04.3 LTS",
            "containerRuntimeVersion": "containerd://1.7.5", "kubeletVersion": "v1.28.0", "kubeProxyVersion": "v1.28.0",
            "operatingSystem": .string(os ?? "linux"), "architecture": "amd64",
        ]
        var object = JSONObject()
        object["metadata"] = .object(metadata)
        object["spec"] = .object(spec)
        object["status"] = .object(status)
        let definition = BuiltinResources.nodes
        kubelet.withLock { $0.managedNodes.insert(name) }
        // Registered by its kubelet: no not-ready admission taint on a ready node.
        var node = object
        node["kind"] = .string(definition.kind)
        node["apiVersion"] = .string(definition.apiVersion)
        node["metadata"]?["uid"] = .string(Identifiers.uid())
        node["metadata"]?["creationTimestamp"] = .string(now)
        node["metadata"]?["managedFields"] = ManagedFields.updated(
            nil, manager: "kubelet", apiVersion: "v1", subresource: nil, time: now, fields: object)
        definition.normalize(&node)
        let stored = store.transaction { transaction -> StoredObject in
            if let existing = transaction.get(definition.storageKey, key: name) { return existing }
            return transaction.put(definition, key: name, object: node)
        }
        return stored.uid
    }

    static func notReadyTaints() -> [JSONValue] {
        [
            ["key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"],
            ["key": "node.kubernetes.io/not-ready", "effect": "NoExecute", "timeAdded": .string(Timestamps.time())],
        ]
    }

    static func conditions(ready: Bool, now: String, transition: String) -> [JSONValue] {
        func condition(_ type: String, _ status: String, _ reason: String, _ message: String) -> JSONValue {
            [
                "type": .string(type), "status": .string(status), "lastHeartbeatTime": .string(now),
                "lastTransitionTime": .string(transition), "reason": .string(reason), "message": .string(message),
            ]
        }
        return [
            condition(
                "MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            ready
                ? condition("Ready", "True", "KubeletReady", "kubelet is posting ready status")
                : condition("Ready", "False", "KubeletNotReady", "container runtime network not ready"),
        ]
    }

    /// Flips the node's Ready condition (and the not-ready taints the node controller manages).
    public func setNodeReady(_ name: String, _ ready: Bool) {
        let now = Timestamps.time()
        write(BuiltinResources.nodes, key: name, manager: "kubelet", subresource: "status") { node in
            var node = node
            var conditions = node["status"]?["conditions"]?.arrayValue ?? []
            let fresh = Self.conditions(ready: ready, now: now, transition: now)[3]
            if let index = conditions.firstIndex(where: { $0["type"]?.stringValue == "Ready" }) {
                if conditions[index]["status"] == fresh["status"] { return nil }
                conditions[index] = fresh
            } else {
                conditions.append(fresh)
            }
            node["status"]?["conditions"] = .array(conditions)
            var taints = (node["spec"]?["taints"]?.arrayValue ?? []).filter {
                $0["key"]?.stringValue != "node.kubernetes.io/not-ready"
            }
            if !ready { taints += Self.notReadyTaints() }
            node["spec"]?["taints"] = taints.isEmpty ? nil : .array(taints)
            return node
        }
    }

    /// Deletes a node; pods it owns (and pods bound to it) are garbage-collected at once.
    public func deleteNode(_ name: String) {
        kubelet.withLock { _ = $0.managedNodes.remove(name) }
        store.transaction { transaction in
            _ = try? Deletion.delete(
                BuiltinResources.nodes, key: name, name: name, options: .init(), transaction: transaction,
                registry: store.registry)
        }
    }

    /// AKS name reuse: the node is deleted and registered again with the same name (and labels,
    /// readiness and OS) but a new uid. Returns the new uid.
    @discardableResult
    public func recreateNode(_ name: String) -> String {
        let existing = node(name)
        let labels = (existing["metadata"]["labels"] ?? .null).stringMap
        let os = labels["kubernetes.io/os"]
        let ready =
            existing["status"]["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "Ready" }?["status"]?
            .stringValue != "False"
        deleteNode(name)
        return addNode(name: name, os: os, ready: ready, labels: labels)
    }

    /// Sets (or with nil removes) an annotation of a node.
    public func setNodeAnnotation(_ name: String, key: String, value: String?) {
        write(BuiltinResources.nodes, key: name, manager: "cluster-simulator") { node in
            var node = node
            var annotations = node["metadata"]?["annotations"]?.objectValue ?? JSONObject()
            annotations[key] = value.map { .string($0) }
            node["metadata"]?["annotations"] = annotations.isEmpty ? nil : .object(annotations)
            return node
        }
    }

    /// The node as the API serves it, nil if it does not exist.
    public func node(_ name: String) -> JSONValue? {
        object(apiVersion: "v1", resource: "nodes", namespace: nil, name: name)
    }

    /// Names of all nodes.
    public func nodeNames() -> [String] {
        store.transaction { $0.list("nodes", namespace: nil).map(\.name) }
    }

    /// Pods (including terminating ones) as the API serves them.
    public func pods(namespace: String? = nil, labelSelector: String? = nil) -> [JSONValue] {
        let selector = labelSelector.flatMap { try? LabelSelector(parsing: $0) }
        let definition = BuiltinResources.pods
        return store.transaction { $0.list(definition.storageKey, namespace: namespace) }
            .filter { selector?.matches($0.labels) ?? true }
            .map { $0.external(for: definition) }
    }

    /// Any object as the API serves it: `apiVersion` ("v1", "coordination.k8s.io/v1"), plural
    /// `resource`, namespace (nil for cluster-scoped) and name.
    public func object(apiVersion: String, resource: String, namespace: String?, name: String) -> JSONValue? {
        let parts = apiVersion.split(separator: "/").map(String.init)
        let group = parts.count == 2 ? parts[0] : ""
        let version = parts.last ?? "v1"
        guard let definition = store.registry.lookup(group: group, version: version, resource: resource) else {
            return nil
        }
        let key = definition.namespaced ? "\(namespace ?? "")/\(name)" : name
        return store.transaction { $0.get(definition.storageKey, key: key) }?.external(for: definition)
    }

    /// Every object of a resource as the API serves it (`namespace` nil: all namespaces).
    public func objects(apiVersion: String, resource: String, namespace: String? = nil) -> [JSONValue] {
        let parts = apiVersion.split(separator: "/").map(String.init)
        guard
            let definition = store.registry.lookup(
                group: parts.count == 2 ? parts[0] : "", version: parts.last ?? "v1", resource: resource)
        else { return [] }
        return store.transaction { $0.list(definition.storageKey, namespace: namespace) }
            .map { $0.external(for: definition) }
    }

    /// Creates an object as a client would (admission defaults applied, no authorization);
    /// returns it as served, or nil when it exists already.
    @discardableResult
    public func create(apiVersion: String, resource: String, _ object: JSONValue) -> JSONValue? {
        let parts = apiVersion.split(separator: "/").map(String.init)
        guard
            let definition = store.registry.lookup(
                group: parts.count == 2 ? parts[0] : "", version: parts.last ?? "v1", resource: resource),
            case .object(let body) = object
        else { return nil }
        var stored = body
        if let toStorage = definition.toStorage { stored = toStorage(object).objectValue ?? body }
        return createObject(definition, stored, manager: "cluster-simulator")?.external(for: definition)
    }
}
