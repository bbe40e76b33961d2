import ClusterSimulator
import Foundation
import Testing

/// Bad inputs to the binary: each gives a clear message and a non-zero exit, and nothing mutates the cluster.
@Suite struct BadInputTests {
    static let mutatingVerbs: Set<String> = ["create", "update", "patch", "delete", "deletecollection"]

    /// Runs `vigilante run` to its exit and checks the status, the message and the access log.
    func expectFailure(
        _ cluster: EndToEndCluster, config: String, arguments: [String] = [], status: Int32, message: String
    ) async throws {
        let process = try cluster.startOperator(config: config, arguments: arguments)
        let exit = try await process.waitForExit(timeout: .seconds(60))
        #expect(exit == status, "exit status; log:\n\(process.log)")
        #expect(process.log.contains(message), "expected «\(message)» in:\n\(process.log)")
        let mutations = cluster.simulator.accessLog().filter { Self.mutatingVerbs.contains($0.verb) }
        #expect(mutations.isEmpty, "mutating requests: \(mutations)")
    }

    @Test func missingKubeconfig() async throws {
        try await EndToEndCluster.with { cluster in
            let config = try cluster.writeConfig()
            try await expectFailure(
                cluster, config: config, arguments: ["--kubeconfig", "/nonexistent/kubeconfig"], status: 2,
                message: "/nonexistent/kubeconfig")
        }
    }

    @Test func invalidKubeconfig() async throws {
        try await EndToEndCluster.with { cluster in
            let kubeconfig = cluster.directory + "/broken-kubeconfig"
            try "apiVersion: v1\nkind: Config\ncurrent-context: nowhere\n".write(
                toFile: kubeconfig, atomically: true, encoding: .utf8)
            let config = try cluster.writeConfig()
            try await expectFailure(
                cluster, config: config, arguments: ["--kubeconfig", kubeconfig], status: 2, message: "nowhere")
        }
    }

    @Test func unreachableServerAtStart() async throws {
        try await EndToEndCluster.with { cluster in
            // A kubeconfig whose server refuses connections: the simulator's kubeconfig with another port.
            let original = try String(contentsOfFile: cluster.kubeconfig, encoding: .utf8)
            let dead = original.replacingOccurrences(of: ":\(cluster.simulator.port)", with: ":1")
            let kubeconfig = cluster.directory + "/dead-kubeconfig"
            try dead.write(toFile: kubeconfig, atomically: true, encoding: .utf8)
            let config = try cluster.writeConfig(extra: "")
            let shortStartup = config + ".short.yaml"
            try (try String(contentsOfFile: config, encoding: .utf8))
                .replacingOccurrences(of: "requestTimeout: 5s", with: "requestTimeout: 5s, startupTimeout: 2s")
                .write(toFile: shortStartup, atomically: true, encoding: .utf8)
            // It says what happened, as kubectl would: the connection was refused, not "no answer".
            try await expectFailure(
                cluster, config: shortStartup, arguments: ["--kubeconfig", kubeconfig], status: 1,
                message: "the API server did not answer within kubernetes.startupTimeout (2s): "
                    + "connection refused to https://127.0.0.1:1")
        }
    }

    @Test func unwritableStorePath() async throws {
        try await EndToEndCluster.with { cluster in
            let config = try cluster.writeConfig(extra: "")
            let bad = config + ".bad.yaml"
            try (try String(contentsOfFile: config, encoding: .utf8))
                .replacingOccurrences(of: cluster.storePath, with: "/etc/passwd/vigilante.sqlite")
                .write(toFile: bad, atomically: true, encoding: .utf8)
            try await expectFailure(
                cluster, config: bad, status: 1, message: "store /etc/passwd/vigilante.sqlite: cannot open the file")
        }
    }

    @Test func corruptStoreFile() async throws {
        try await EndToEndCluster.with { cluster in
            try Data(repeating: 0x5A, count: 16384).write(to: URL(fileURLWithPath: cluster.storePath))
            try await expectFailure(
                cluster, config: try cluster.writeConfig(), status: 1,
                message: "store \(cluster.storePath): the file is not a SQLite database")
        }
    }

    @Test func badConfigurationValue() async throws {
        try await EndToEndCluster.with { cluster in
            try await expectFailure(
                cluster, config: try cluster.writeConfig(window: "forever"), status: 2,
                message: #"tasks.snat.healingDuration: expected a duration such as 30s, 5m or 1h30m, got "forever""#)
            #expect(cluster.simulator.accessLog().isEmpty, "a bad configuration must not reach the API server")
        }
    }
}
