import AsyncHTTPClient
import ClusterSimulator
import Foundation
import NIOSSL
import Testing
import VigilanteCore

/// Issue 13 with the real binary: healer pods in a namespace enforcing Pod Security `restricted`, and a
/// policy that refuses them reported in `/tasks`, in an Event and in `/metrics`.
@Suite struct PodSecurityEndToEndTests {
    @Test func refusedThenAdmittedUnderRestricted() async throws {
        try await EndToEndCluster.with { cluster in
            let simulator = cluster.simulator
            // Policy v1.24 predates the Windows exemption of the Linux-only checks: every healer pod is refused.
            simulator.setPodSecurity(namespace: "vigilante", enforce: "restricted", version: "v1.24")
            simulator.addNode(name: "akswin000000", os: "windows")
            let process = try cluster.startOperator(config: try cluster.writeConfig(window: "3s", interval: "1s"))
            defer { process.stop() }

            let message = #"violates PodSecurity "restricted:v1.24": allowPrivilegeEscalation != false"#
            var node: [String: Any] = [:]
            try await waitFor("/tasks to show the refusal", timeout: .seconds(90)) {
                let tasks = try await process.json("/tasks") as? [[String: Any]]
                let snat = tasks?.first { $0["name"] as? String == "snat" }
                let nodes = (snat?["details"] as? [String: Any])?["nodes"] as? [[String: Any]]
                node = nodes?.first { $0["name"] as? String == "akswin000000" } ?? [:]
                return (node["consecutiveErrors"] as? Int ?? 0) >= 2
            }
            #expect(node["phase"] as? String == "backoff")
            let lastError = node["lastError"] as? String ?? ""
            #expect(lastError.hasPrefix("createPod: forbidden: "), "\(lastError)")
            #expect(lastError.contains(message), "\(lastError)")
            let metrics = try #require(try await process.get("/metrics")?.body)
            #expect(metrics.contains("vigilante_snat_step_errors_total{step=\"createPod\"}"), "metrics:\n\(metrics)")
            let recorded = try await waitForEvent(simulator, containing: "violates PodSecurity")
            #expect(recorded, "no SNATHealingFailed event carries the server's message")
            #expect(simulator.pods(namespace: "vigilante").isEmpty, "no pod got past admission")

            // The namespace moves to the current policy: the same pods are admitted and the node heals.
            simulator.setPodSecurity(namespace: "vigilante", enforce: "restricted")
            try await waitFor("the node healed under restricted:latest", timeout: .seconds(90)) {
                simulator.node("akswin000000")?["metadata"]?["annotations"]?["cops-vigilante-snat-node-healed"]
                    == "true"
            }
        }
    }

    /// Whether a Warning event with reason SNATHealingFailed and `text` in its message reached the API.
    private func waitForEvent(_ simulator: ClusterSimulator, containing text: String) async throws -> Bool {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(simulator.caCertificatePEM.utf8)))
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(tlsConfiguration: tls))
        var found = false
        try? await waitFor("the SNATHealingFailed event", timeout: .seconds(30)) {
            var request = HTTPClientRequest(url: simulator.baseURL + "/api/v1/namespaces/default/events")
            request.headers.add(name: "Authorization", value: "Bearer \(simulator.configuration.adminToken)")
            let response = try await client.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 16 * 1024 * 1024)
            let list = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
            let items = list?["items"] as? [[String: Any]] ?? []
            found = items.contains {
                $0["reason"] as? String == "SNATHealingFailed" && $0["type"] as? String == "Warning"
                    && ($0["message"] as? String ?? "").contains(text)
            }
            return found
        }
        try? await client.shutdown()
        return found
    }
}
