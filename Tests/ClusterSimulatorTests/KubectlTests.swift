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
            let kubeconfig = FileManager.default.temporaryDirectory.appendingPathComponent(
                "kubeconfig-\(UUID().uuidString)"
            ).path
            try simulator.writeKubeconfig(to: kubeconfig)
            defer { try? FileManager.default.removeItem(atPath: kubeconfig) }
            let cacheDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "kubectl-cache-\(UUID().uuidString)"
            ).path
            defer { try? FileManager.default.removeItem(atPath: cacheDirectory) }
            func kubectl(_ arguments: String...) async throws -> Subprocess.Result {
                try await Subprocess.run(
                    RepositoryPaths.kubectl,
                    ["--kubeconfig", kubeconfig, "--cache-dir", cacheDirectory, "--request-timeout", "30s"] + arguments)
            }

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
                    "--kubeconfig", "/dev/null", "--cache-dir", cacheDirectory, "--server", simulator.baseURL,
                    "--token",
                    simulator.configuration.adminToken, "--insecure-skip-tls-verify", "get", "nodes", "-o", "name",
                ])
            #expect(flags.status == 0, "\(flags.error)")
            #expect(flags.output.split(separator: "\n").sorted() == ["node/aks-nodepool1-0", "node/akswin000000"])
        }
    }
}
