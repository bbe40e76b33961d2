import ClusterSimulator
import Foundation
import Testing

/// The Pod Security admission stage over HTTP, with the messages and headers of the recordings 95a–95m
/// (kube-apiserver v1.28.15) and the checks they do not exercise.
@Suite("Pod Security admission")
struct PodSecurityAdmissionTests {
    static func namespace(_ name: String, _ labels: [String: String]) -> JSONValue {
        var object = JSONObject()
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) { object[key] = .string(value) }
        return [
            "apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name), "labels": .object(object)],
        ]
    }

    static func pod(_ name: String, spec: JSONValue, annotations: JSONValue? = nil) -> JSONValue {
        var metadata: JSONObject = ["name": .string(name)]
        if let annotations { metadata["annotations"] = annotations }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": .object(metadata), "spec": spec]
    }

    /// The healer pod as the operator sent it before issue 13 (no securityContext, no os).
    static let plainHealer: JSONValue = [
        "nodeName": "akswin000000", "tolerations": [["operator": "Exists"]],
        "containers": [
            [
                "name": "pause", "image": "mcr.microsoft.com/oss/kubernetes/pause:3.9",
                "resources": ["requests": ["cpu": "1m", "memory": "8Mi"]],
            ]
        ],
        "terminationGracePeriodSeconds": 0, "automountServiceAccountToken": false,
    ]

    private func warnings(_ response: TestResponse) -> [String] {
        response.headers["Warning"]
    }

    @Test func restrictedRejectsThePlainHealerAndAdmitsAWindowsNonRootOne() async throws {
        try await TestCluster.with { cluster async throws in
            let created = try await cluster.post(
                "/api/v1/namespaces",
                Self.namespace(
                    "psa-restricted",
                    [
                        "pod-security.kubernetes.io/enforce": "restricted",
                        "pod-security.kubernetes.io/enforce-version": "latest",
                    ]))
            #expect(created.status == 201)

            let plain = try await cluster.post(
                "/api/v1/namespaces/psa-restricted/pods", Self.pod("healer-plain", spec: Self.plainHealer))
            #expect(plain.status == 403)
            #expect(plain.json["reason"]?.stringValue == "Forbidden")
            #expect(plain.json["details"] == ["name": "healer-plain", "kind": "pods"])
            #expect(plain.header("X-Content-Type-Options") == nil, "admission's 403 is not the authorization filter's")
            #expect(
                plain.json["message"]?.stringValue
                    == #"pods "healer-plain" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "pause" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "pause" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "pause" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "pause" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#
            )
            #expect(cluster.simulator.pods(namespace: "psa-restricted").isEmpty, "a rejected pod is not stored")

            // Windows pods skip the Linux-only checks (policy v1.25+), not runAsNonRoot.
            var windows = Self.plainHealer
            windows["os"] = ["name": "windows"]
            windows["securityContext"] = ["runAsNonRoot": true, "windowsOptions": ["runAsUserName": "ContainerUser"]]
            let admitted = try await cluster.post(
                "/api/v1/namespaces/psa-restricted/pods", Self.pod("healer-windows", spec: windows))
            #expect(admitted.status == 201)
            #expect(warnings(admitted).isEmpty)

            let root = try await cluster.post(
                "/api/v1/namespaces/psa-restricted/pods",
                Self.pod(
                    "healer-windows-root",
                    spec: [
                        "os": ["name": "windows"], "containers": [["name": "pause", "image": "pause:3.9"]],
                    ]))
            #expect(root.status == 403)
            #expect(
                root.json["message"]?.stringValue
                    == #"pods "healer-windows-root" is forbidden: violates PodSecurity "restricted:latest": runAsNonRoot != true (pod or container "pause" must set securityContext.runAsNonRoot=true)"#
            )

            // Before v1.25 Windows pods get no exemption.
            let pinned = try await cluster.request(
                .PATCH, "/api/v1/namespaces/psa-restricted",
                body: #"{"metadata":{"labels":{"pod-security.kubernetes.io/enforce-version":"v1.24"}}}"#,
                contentType: "application/merge-patch+json")
            #expect(pinned.status == 200)
            let old = try await cluster.post(
                "/api/v1/namespaces/psa-restricted/pods", Self.pod("healer-windows-v124", spec: windows))
            #expect(old.status == 403)
            #expect(
                old.json["message"]?.stringValue?.hasPrefix(
                    #"pods "healer-windows-v124" is forbidden: violates PodSecurity "restricted:v1.24": allowPrivilegeEscalation != false"#
                ) == true, "\(old.text)")
        }
    }

    @Test func warnModeAdmitsWithAWarningAndAuditRecords() async throws {
        try await TestCluster.with { cluster async throws in
            let created = try await cluster.post(
                "/api/v1/namespaces",
                Self.namespace(
                    "psa-warn",
                    ["pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/audit": "baseline"]))
            #expect(created.status == 201)
            let spec: JSONValue = ["hostNetwork": true, "containers": [["name": "c", "image": "i"]]]
            let warned = try await cluster.post("/api/v1/namespaces/psa-warn/pods", Self.pod("warned", spec: spec))
            #expect(warned.status == 201)
            #expect(
                warnings(warned) == [
                    #"299 - "would violate PodSecurity \"restricted:latest\": host namespaces (hostNetwork=true), allowPrivilegeEscalation != false (container \"c\" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container \"c\" must set securityContext.capabilities.drop=[\"ALL\"]), runAsNonRoot != true (pod or container \"c\" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container \"c\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")""#
                ])
            #expect(
                cluster.simulator.podSecurityAuditRecords == [
                    PodSecurityAuditRecord(
                        namespace: "psa-warn", name: "warned",
                        violations: #"would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true)"#)
                ])
            // Status writes are not evaluated; spec changes that matter (images) are.
            let status = try await cluster.request(
                .PATCH, "/api/v1/namespaces/psa-warn/pods/warned/status",
                body: #"{"status":{"message":"hello"}}"#, contentType: "application/merge-patch+json")
            #expect(status.status == 200)
            #expect(warnings(status).isEmpty)
            let image = try await cluster.request(
                .PATCH, "/api/v1/namespaces/psa-warn/pods/warned",
                body: #"{"spec":{"containers":[{"name":"c","image":"j"}]}}"#,
                contentType: "application/strategic-merge-patch+json")
            #expect(image.status == 200)
            #expect(warnings(image).count == 1)
        }
    }

    @Test func raisingEnforceWarnsAboutExistingPods() async throws {
        try await TestCluster.with { cluster async throws in
            #expect(try await cluster.post("/api/v1/namespaces", Self.namespace("psa-raise", [:])).status == 201)
            let plain: JSONValue = ["containers": [["name": "c", "image": "i"]]]
            let host: JSONValue = ["hostPID": true, "containers": [["name": "c", "image": "i"]]]
            for (name, spec) in [("b-plain", plain), ("a-plain", plain), ("c-plain", plain), ("host", host)] {
                #expect(
                    try await cluster.post("/api/v1/namespaces/psa-raise/pods", Self.pod(name, spec: spec)).status
                        == 201)
            }
            let raised = try await cluster.request(
                .PATCH, "/api/v1/namespaces/psa-raise",
                body: #"{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"restricted"}}}"#,
                contentType: "application/merge-patch+json")
            #expect(raised.status == 200)
            #expect(
                warnings(raised) == [
                    #"299 - "existing pods in namespace \"psa-raise\" violate the new PodSecurity enforce level \"restricted:latest\"""#,
                    #"299 - "a-plain (and 2 other pods): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile""#,
                    #"299 - "host: host namespaces, allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile""#,
                ])
            // Relaxing or re-applying the same level checks nothing.
            let relaxed = try await cluster.request(
                .PATCH, "/api/v1/namespaces/psa-raise",
                body: #"{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"baseline"}}}"#,
                contentType: "application/merge-patch+json")
            #expect(relaxed.status == 200)
            #expect(warnings(relaxed).isEmpty)
        }
    }

    @Test func baselineForbidsHostAccessAndInvalidLabelsAreRejected() async throws {
        try await TestCluster.with { cluster async throws in
            #expect(
                try await cluster.post(
                    "/api/v1/namespaces",
                    Self.namespace("psa-baseline", ["pod-security.kubernetes.io/enforce": "baseline"])
                ).status == 201)
            let healer = try await cluster.post(
                "/api/v1/namespaces/psa-baseline/pods", Self.pod("healer-plain", spec: Self.plainHealer))
            #expect(healer.status == 201)
            let hostProcess = try await cluster.post(
                "/api/v1/namespaces/psa-baseline/pods",
                Self.pod(
                    "hostprocess",
                    spec: [
                        "os": ["name": "windows"], "hostNetwork": true,
                        "securityContext": [
                            "windowsOptions": ["hostProcess": true, "runAsUserName": "NT AUTHORITY\\SYSTEM"]
                        ],
                        "containers": [["name": "c", "image": "i"]],
                    ]))
            #expect(hostProcess.status == 403)
            #expect(
                hostProcess.json["message"]?.stringValue
                    == #"pods "hostprocess" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)"#
            )
            let many = try await cluster.post(
                "/api/v1/namespaces/psa-baseline/pods",
                Self.pod(
                    "many",
                    spec: [
                        "volumes": [["name": "root", "hostPath": ["path": "/"]], ["name": "tmp", "emptyDir": [:]]],
                        "securityContext": ["sysctls": [["name": "kernel.msgmax", "value": "1"]]],
                        "containers": [
                            [
                                "name": "a", "image": "i", "ports": [["containerPort": 80, "hostPort": 8080]],
                                "securityContext": [
                                    "privileged": true, "capabilities": ["add": ["NET_ADMIN", "CHOWN"]],
                                ],
                            ],
                            [
                                "name": "b", "image": "i", "ports": [["containerPort": 81, "hostPort": 443]],
                                "securityContext": ["privileged": true, "procMount": "Unmasked"],
                            ],
                        ],
                    ],
                    annotations: ["container.apparmor.security.beta.kubernetes.io/a": "unconfined"]))
            #expect(many.status == 403)
            #expect(
                many.json["message"]?.stringValue
                    == #"pods "many" is forbidden: violates PodSecurity "baseline:latest": forbidden AppArmor profile (container.apparmor.security.beta.kubernetes.io/a="unconfined"), non-default capabilities (container "a" must not include "NET_ADMIN" in securityContext.capabilities.add), hostPath volumes (volume "root"), hostPort (containers "a", "b" use hostPorts 443, 8080), privileged (containers "a", "b" must not set securityContext.privileged=true), procMount (container "b" must not set securityContext.procMount to "Unmasked"), forbidden sysctls (kernel.msgmax)"#
            )

            let invalid = try await cluster.post(
                "/api/v1/namespaces", Self.namespace("psa-invalid", ["pod-security.kubernetes.io/enforce": "strict"]))
            #expect(invalid.status == 422)
            #expect(
                invalid.json["message"]?.stringValue
                    == #"Namespace "psa-invalid" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted"#
            )
            #expect(
                invalid.json["details"]["causes"]?[0]?["field"] == "metadata.labels[pod-security.kubernetes.io/enforce]"
            )
            let version = try await cluster.request(
                .PATCH, "/api/v1/namespaces/psa-baseline",
                body: #"{"metadata":{"labels":{"pod-security.kubernetes.io/warn-version":"1.25"}}}"#,
                contentType: "application/merge-patch+json")
            #expect(version.status == 422)
            #expect(
                version.json["message"]?.stringValue
                    == #"Namespace "psa-baseline" is invalid: metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "1.25": must be "latest" or "v1.x""#
            )
        }
    }

    @Test func restrictedChecksOnLinuxPods() async throws {
        try await TestCluster.with { cluster async throws in
            #expect(
                try await cluster.post(
                    "/api/v1/namespaces",
                    Self.namespace("psa-linux", ["pod-security.kubernetes.io/enforce": "restricted"])
                ).status == 201)
            let compliant: JSONValue = [
                "securityContext": [
                    "runAsNonRoot": true, "runAsUser": 65532, "seccompProfile": ["type": "RuntimeDefault"],
                ],
                "containers": [
                    [
                        "name": "c", "image": "i",
                        "securityContext": [
                            "allowPrivilegeEscalation": false, "capabilities": ["drop": ["ALL"]],
                            "readOnlyRootFilesystem": true,
                        ],
                    ]
                ],
            ]
            let admitted = try await cluster.post(
                "/api/v1/namespaces/psa-linux/pods", Self.pod("compliant", spec: compliant))
            #expect(admitted.status == 201, "\(admitted.text)")
            var bad = compliant
            bad["securityContext"] = [
                "runAsNonRoot": false, "runAsUser": 0, "seccompProfile": ["type": "Unconfined"],
            ]
            bad["volumes"] = [
                ["name": "data", "nfs": ["server": "x", "path": "/"]], ["name": "ok", "emptyDir": [:]],
            ]
            bad["containers"] = [
                [
                    "name": "c", "image": "i",
                    "securityContext": [
                        "allowPrivilegeEscalation": false, "capabilities": ["drop": ["ALL"], "add": ["SYS_TIME"]],
                    ],
                ]
            ]
            let rejected = try await cluster.post("/api/v1/namespaces/psa-linux/pods", Self.pod("bad", spec: bad))
            #expect(rejected.status == 403)
            #expect(
                rejected.json["message"]?.stringValue
                    == #"pods "bad" is forbidden: violates PodSecurity "restricted:latest": unrestricted capabilities (container "c" must not include "SYS_TIME" in securityContext.capabilities.add), restricted volume types (volumes ["data"] have restricted types), runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false), runAsUser=0 (pod must not set runAsUser=0), seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")"#
            )
        }
    }

    /// kubectl shows the plugin's answers as it does against a real server.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: RepositoryPaths.kubectl)))
    func kubectlShowsRejectionsAndWarnings() async throws {
        try await TestCluster.with { cluster async throws in
            let simulator = cluster.simulator
            simulator.create(apiVersion: "v1", resource: "namespaces", ["metadata": ["name": "hardened"]])
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("psa-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let kubeconfig = directory.appendingPathComponent("kubeconfig").path
            try simulator.writeKubeconfig(to: kubeconfig)
            func kubectl(_ arguments: String...) async throws -> Subprocess.Result {
                try await Subprocess.run(
                    RepositoryPaths.kubectl,
                    [
                        "--kubeconfig", kubeconfig, "--cache-dir", directory.appendingPathComponent("cache").path,
                        "--request-timeout", "30s",
                    ] + arguments)
            }
            let before = try await kubectl("run", "plain", "--namespace", "hardened", "--image", "pause:3.9")
            #expect(before.status == 0, "\(before.error)")

            let label = try await kubectl(
                "label", "namespace", "hardened", "pod-security.kubernetes.io/enforce=restricted")
            #expect(label.status == 0, "\(label.error)")
            #expect(
                label.error.contains(
                    #"Warning: existing pods in namespace "hardened" violate the new PodSecurity enforce level "restricted:latest""#
                ), "\(label.error)")
            #expect(label.error.contains("Warning: plain: allowPrivilegeEscalation != false"), "\(label.error)")

            let refused = try await kubectl("run", "refused", "--namespace", "hardened", "--image", "pause:3.9")
            #expect(refused.status != 0)
            #expect(
                refused.error.contains(
                    #"Error from server (Forbidden): pods "refused" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false"#
                ), "\(refused.error)")

            let invalid = try await kubectl(
                "label", "--overwrite", "namespace", "hardened", "pod-security.kubernetes.io/warn=strict")
            #expect(invalid.status != 0)
            #expect(invalid.error.contains("must be one of privileged, baseline, restricted"), "\(invalid.error)")
        }
    }

    /// The operator's own pod, as `helm template` renders the chart's Deployment, is admitted under
    /// `restricted`.
    @Test(.enabled(if: ChartRendering.available))
    func theChartsOperatorPodIsAdmittedUnderRestricted() async throws {
        let template = try await ChartRendering.deploymentPodTemplate()
        try await TestCluster.with { cluster async throws in
            #expect(
                try await cluster.post(
                    "/api/v1/namespaces",
                    Self.namespace("vigilante", ["pod-security.kubernetes.io/enforce": "restricted"])
                ).status == 201)
            var metadata = template["metadata"]?.objectValue ?? JSONObject()
            metadata["name"] = "operator"
            let pod: JSONValue = [
                "apiVersion": "v1", "kind": "Pod", "metadata": .object(metadata), "spec": template["spec"] ?? [:],
            ]
            let response = try await cluster.post("/api/v1/namespaces/vigilante/pods", pod)
            #expect(response.status == 201, "\(response.text)")
            #expect(response.headers["Warning"].isEmpty, "\(response.headers["Warning"])")
        }
    }
}

/// `helm template charts/cops-vigilante`, its Deployment's pod template as JSON (YAML read by Python).
enum ChartRendering {
    static let helm: String? = {
        let local = RepositoryPaths.root.appendingPathComponent(".ci-tools/bin/helm").path
        if FileManager.default.isExecutableFile(atPath: local) { return local }
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        return paths.map { "\($0)/helm" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static var available: Bool { helm != nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") }

    static func deploymentPodTemplate() async throws -> JSONValue {
        let chart = RepositoryPaths.root.appendingPathComponent("charts/cops-vigilante").path
        let rendered = try await Subprocess.run(
            helm ?? "helm", ["template", "cops-vigilante", chart, "--namespace", "vigilante"])
        try #require(rendered.status == 0, "\(rendered.error)")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("chart-\(UUID().uuidString).yaml")
        try rendered.output.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let converted = try await Subprocess.run(
            "/usr/bin/python3",
            [
                "-c",
                "import json, sys, yaml; docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]; "
                    + "print(json.dumps([d for d in docs if d['kind'] == 'Deployment'][0]['spec']['template']))",
                file.path,
            ])
        try #require(converted.status == 0, "\(converted.error)")
        return try JSONDecoder().decode(JSONValue.self, from: Data(converted.output.utf8))
    }
}
