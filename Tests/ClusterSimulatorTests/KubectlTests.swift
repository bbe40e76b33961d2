import ClusterSimulator
import Foundation
import Testing

@Suite("The real kubectl against the simulator")
struct KubectlTests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: RepositoryPaths.kubectl)))
    func getAnnotateDelete() async throws {
        try await TestCluster.with({ $0.podTerminationDelay = .milliseconds(300) }) { cluster async throws in
            let simulator = cluster.simulator
            simulator.addNode(name: "akswin000000", os: "windows")
            simulator.addNode(name: "aks-nodepool1-0", os: "linux")
            _ = try await cluster.post("/api/v1/namespaces/default/pods", Objects.pod("healer", node: "akswin000000"))
            let kubectl = try Kubectl(RepositoryPaths.kubectl, simulator: simulator)
            defer { kubectl.remove() }

            let nodes = try await kubectl("get", "nodes")
            #expect(nodes.status == 0, "\(nodes.error)")
            #expect(nodes.output.contains("akswin000000"))
            #expect(nodes.output.contains("aks-nodepool1-0"))

            let pods = try await kubectl("get", "pods", "-A")
            #expect(pods.status == 0, "\(pods.error)")
            #expect(pods.output.contains("healer"))

            let annotate = try await kubectl("annotate", "node", "akswin000000", "cops-vigilante-snat-node-healed=true")
            #expect(annotate.status == 0, "\(annotate.error)")
            #expect(
                simulator.node("akswin000000")["metadata"]["annotations"]["cops-vigilante-snat-node-healed"] == "true")

            let delete = try await kubectl("delete", "pod", "healer", "--timeout=60s")
            #expect(delete.status == 0, "\(delete.error)")
            #expect(simulator.pods().isEmpty)

            // The same with flags instead of a kubeconfig, as the example.
            let flags = try await Subprocess.run(
                RepositoryPaths.kubectl,
                [
                    "--kubeconfig", "/dev/null", "--cache-dir", kubectl.directory + "/cache", "--server",
                    simulator.baseURL,
                    "--token",
                    simulator.configuration.adminToken, "--insecure-skip-tls-verify", "get", "nodes", "-o", "name",
                ])
            #expect(flags.status == 0, "\(flags.error)")
            #expect(flags.output.split(separator: "\n").sorted() == ["node/aks-nodepool1-0", "node/akswin000000"])
        }
    }

    /// kubectl validates manifests with the server's OpenAPI documents (default `--validate`) and explains
    /// fields from them: `apply -f`, `create -f` and `explain` work against the simulator, with both
    /// kubectls: the machine's runs kubectl 1.28 for a 1.28 server, which parses the v2 document in its
    /// protobuf form before it sends anything (and
    /// `--output=plaintext-openapiv2` explains from it), 1.37 reads the v3 documents.
    @Test(arguments: RepositoryPaths.installedKubectls)
    func applyCreateAndExplainWithTheServersOpenAPI(kubectlPath: String) async throws {
        try await TestCluster.with { cluster async throws in
            let simulator = cluster.simulator
            let kubectl = try Kubectl(kubectlPath, simulator: simulator)
            defer { kubectl.remove() }
            let directory = kubectl.directory
            try """
            apiVersion: v1
            kind: Node
            metadata:
              name: akswin000009
              labels:
                kubernetes.io/os: windows
            """.write(toFile: directory + "/node.yaml", atomically: true, encoding: .utf8)
            try """
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "hello", "namespace": "default"},
             "spec": {"containers": [{"name": "hello", "image": "mcr.microsoft.com/oss/kubernetes/pause:3.9"}]}}
            """.write(toFile: directory + "/pod.json", atomically: true, encoding: .utf8)

            let apply = try await kubectl("apply", "-f", directory + "/node.yaml")
            #expect(apply.status == 0, "\(apply.error)")
            // Discovery with an empty cache: every group version answers, so kubectl prints no errors.
            #expect(!apply.error.contains("Couldn't get resource list"), "\(apply.error)")
            #expect(apply.output.contains("node/akswin000009 created"), "\(apply.output)")
            #expect(simulator.node("akswin000009")["metadata"]["labels"]["kubernetes.io/os"] == "windows")

            // Applied again with a change: a patch computed from the document's patch strategies.
            try """
            apiVersion: v1
            kind: Node
            metadata:
              name: akswin000009
              labels:
                kubernetes.io/os: windows
                pool: win
            """.write(toFile: directory + "/node.yaml", atomically: true, encoding: .utf8)
            let reapply = try await kubectl("apply", "-f", directory + "/node.yaml")
            #expect(reapply.status == 0, "\(reapply.error)")
            #expect(simulator.node("akswin000009")["metadata"]["labels"]["pool"] == "win")

            let create = try await kubectl("create", "-f", directory + "/pod.json")
            #expect(create.status == 0, "\(create.error)")
            #expect(create.output.contains("pod/hello created"), "\(create.output)")
            #expect(simulator.pods(namespace: "default").count == 1)

            // Validation is real: kubectl asks for strict field validation and the server names the field.
            try """
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "typo", "namespace": "default"},
             "spec": {"containerz": [{"name": "x", "image": "x"}]}}
            """.write(toFile: directory + "/typo.json", atomically: true, encoding: .utf8)
            let typo = try await kubectl("create", "-f", directory + "/typo.json")
            #expect(typo.status != 0)
            #expect(typo.error.contains("containerz"), "\(typo.error)")
            try """
            {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "typo"}, "spec": {"unschedulabel": true}}
            """.write(toFile: directory + "/node-typo.json", atomically: true, encoding: .utf8)
            let nodeTypo = try await kubectl("create", "-f", directory + "/node-typo.json")
            #expect(nodeTypo.status != 0)
            #expect(nodeTypo.error.contains("unknown field \"spec.unschedulabel\""), "\(nodeTypo.error)")

            let explain = try await kubectl("explain", "node.status")
            #expect(explain.status == 0, "\(explain.error)")
            #expect(explain.output.contains("KIND:       Node"), "\(explain.output)")
            #expect(explain.output.contains("FIELD: status <NodeStatus>"), "\(explain.output)")
            #expect(explain.output.contains("conditions"), "\(explain.output)")

            // Explained from the v2 document: its schemas, references and lists as kube-openapi parses them.
            let explainV2 = try await kubectl("explain", "node.status.conditions", "--output=plaintext-openapiv2")
            #expect(explainV2.status == 0, "\(explainV2.error)")
            #expect(explainV2.output.contains("RESOURCE: conditions <[]Object>"), "\(explainV2.output)")
            #expect(explainV2.output.contains("NodeCondition contains condition information"), "\(explainV2.output)")
            #expect(explainV2.output.contains("lastHeartbeatTime\t<string>"), "\(explainV2.output)")
        }
    }
}

/// A kubectl binary pointed at a simulator: its own kubeconfig and discovery cache in a temporary folder.
struct Kubectl {
    let path: String
    let directory: String

    init(_ path: String, simulator: ClusterSimulator) throws {
        self.path = path
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kubectl-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try simulator.writeKubeconfig(to: directory + "/kubeconfig")
    }

    func callAsFunction(_ arguments: String...) async throws -> Subprocess.Result {
        try await Subprocess.run(
            path,
            [
                "--kubeconfig", directory + "/kubeconfig", "--cache-dir", directory + "/cache", "--request-timeout",
                "30s",
            ]
                + arguments)
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}
