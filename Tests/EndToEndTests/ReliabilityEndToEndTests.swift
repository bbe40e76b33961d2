import AsyncHTTPClient
import ClusterSimulator
import Foundation
import NIOCore
import NIOSSL
import Testing

/// The real binary under the failures production will bring: an API server gone for 30 s, cut watches,
/// compacted history, failing requests, a rotated token and a replaced serving certificate.
@Suite struct ReliabilityEndToEndTests {
    static func allHealed(_ simulator: ClusterSimulator, _ nodes: [String]) -> Bool {
        nodes.allSatisfy { HealingEndToEndTests.isHealed(simulator, $0) }
            && nodes.allSatisfy { HealingEndToEndTests.healerPods(simulator, on: $0).isEmpty }
    }

    @Test func apiServerUnreachableForThirtySeconds() async throws {
        try await EndToEndCluster.with { cluster in
            let simulator = cluster.simulator
            let nodes = ["akswin000000", "akswin000001"]
            for node in nodes { simulator.addNode(name: node, os: "windows") }
            let process = try cluster.startOperator(config: try cluster.writeConfig(window: "15s", interval: "1s"))
            try await waitFor("healing started") {
                nodes.allSatisfy { !HealingEndToEndTests.healerPods(simulator, on: $0).isEmpty }
            }
            try await waitFor("ready") { try await process.get("/readyz")?.status == 200 }
            let outage = ContinuousClock.now
            await simulator.refuseConnections(for: .seconds(30))
            try await waitFor("/readyz to report the API server unreachable", timeout: .seconds(25)) {
                guard let (status, body) = try await process.get("/readyz") else { return false }
                return status == 503 && body.contains("kubernetes-api")
            }
            #expect(process.process.isRunning, "the operator exited during the outage")
            #expect(nodes.allSatisfy { !HealingEndToEndTests.isHealed(simulator, $0) })
            try await waitFor("the outage to end and /readyz to recover", timeout: .seconds(90)) {
                guard ContinuousClock.now - outage > .seconds(30) else { return false }
                return try await process.get("/readyz")?.status == 200
            }
            try await waitFor("healing to resume and finish", timeout: .seconds(90)) {
                Self.allHealed(simulator, nodes)
            }
            #expect(process.process.isRunning)
        }
    }

    @Test func cutWatchesCompactedHistoryAndFailingRequests() async throws {
        try await EndToEndCluster.with { cluster in
            let simulator = cluster.simulator
            let nodes = ["akswin000000", "akswin000001", "akswin000002"]
            for node in nodes { simulator.addNode(name: node, os: "windows") }
            simulator.addNode(name: "aks-linux-000000", os: "linux")
            simulator.setFailureInjection(fraction: 0.2, statuses: [500, 429], retryAfterSeconds: 1)
            let process = try cluster.startOperator(config: try cluster.writeConfig(window: "6s", interval: "1s"))
            let chaos = Task {
                var round = 0
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(700))
                    round += 1
                    if round % 2 == 0 { simulator.cutWatches() } else { simulator.compactHistory() }
                    if round == 6 { simulator.addNode(name: "akswin000003", os: "windows") }
                }
            }
            defer { chaos.cancel() }
            try await waitFor("every Windows node healed despite the chaos", timeout: .seconds(120)) {
                Self.allHealed(simulator, nodes + ["akswin000003"])
            }
            chaos.cancel()
            simulator.setFailureInjection(fraction: 0, statuses: [])
            #expect(
                simulator.node("aks-linux-000000")?["metadata"]?["annotations"]?["cops-vigilante-snat-node-healed"]
                    == nil)
            #expect(process.process.isRunning)
            // Injected failures never reach the access log; the operator's request metrics count them.
            let metrics = try #require(try await process.get("/metrics")?.body)
            #expect(
                metrics.contains("code=\"500\"") || metrics.contains("code=\"429\""),
                "the failure injection never reached the operator:\n\(metrics)")
        }
    }

    @Test func aRotatedTokenFileKeepsRequestsWorking() async throws {
        try await EndToEndCluster.with { cluster in
            let simulator = cluster.simulator
            simulator.addToken("first-token", user: "vigilante-first", groups: ["system:masters"])
            simulator.addToken("second-token", user: "vigilante-second", groups: ["system:masters"])
            let tokenFile = cluster.directory + "/token"
            try "first-token".write(toFile: tokenFile, atomically: true, encoding: .utf8)
            let ca = Data(simulator.caCertificatePEM.utf8).base64EncodedString()
            let kubeconfig = cluster.directory + "/token-file-kubeconfig"
            try """
            apiVersion: v1
            kind: Config
            current-context: sim
            clusters:
            - name: sim
              cluster: {server: "\(simulator.baseURL)", certificate-authority-data: \(ca)}
            contexts:
            - name: sim
              context: {cluster: sim, user: rotating}
            users:
            - name: rotating
              user: {tokenFile: \(tokenFile)}
            """.write(toFile: kubeconfig, atomically: true, encoding: .utf8)
            simulator.addNode(name: "akswin000000", os: "windows")
            let process = try cluster.startOperator(
                config: try cluster.writeConfig(window: "20s", interval: "1s"), arguments: ["--kubeconfig", kubeconfig])
            try await waitFor("requests with the first token") {
                simulator.accessLog().contains { $0.user == "vigilante-first" && $0.code < 300 }
            }
            // Rotate as the kubelet does for projected tokens: write a new file and rename it into place.
            try "second-token".write(toFile: tokenFile + ".new", atomically: false, encoding: .utf8)
            _ = rename(tokenFile + ".new", tokenFile)
            simulator.clearAccessLog()
            try await waitFor("requests with the rotated token", timeout: .seconds(60)) {
                simulator.accessLog().filter { $0.user == "vigilante-second" && $0.code < 300 }.count >= 3
            }
            let rejected = simulator.accessLog().filter { $0.code == 401 || $0.code == 403 }
            #expect(rejected.isEmpty, "requests failed after the rotation: \(rejected)")
            // Ready again once a lease renewal went through with the new token (a loaded machine may have
            // let the lease lapse meanwhile): waited on, not sampled.
            try await waitFor("/readyz 200 with the rotated token") { try await process.get("/readyz")?.status == 200 }
        }
    }

    @Test func replacedServingCertificateIsPresentedToNewHandshakes() async throws {
        try await EndToEndCluster.with { cluster in
            let certs = cluster.directory + "/certs"
            try FileManager.default.createDirectory(atPath: certs, withIntermediateDirectories: true)
            let first = try TestPKI(directory: cluster.directory + "/pki-1")
            let second = try TestPKI(directory: cluster.directory + "/pki-2")
            try first.install(into: certs)
            let config = try cluster.writeConfig(
                extra:
                    "tls: {enabled: true, certFile: \(certs)/tls.crt, keyFile: \(certs)/tls.key, reloadInterval: 200ms}"
            )
            let process = try cluster.startOperator(config: config)
            let port = try await process.statusPort()
            #expect(try await Self.handshake(port: port, trusting: first.caPEM) == 200)
            try second.install(into: certs)
            try await waitFor("new handshakes to present the new certificate", timeout: .seconds(30)) {
                (try? await Self.handshake(port: port, trusting: second.caPEM)) == 200
            }
            #expect((try? await Self.handshake(port: port, trusting: first.caPEM)) == nil)
        }
    }

    /// GET /healthz over HTTPS with a fresh client that trusts only `caPEM`; the status code.
    static func handshake(port: Int, trusting caPEM: String) async throws -> Int {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)))
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout.connect = .seconds(2)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let response = try await client.execute(
                HTTPClientRequest(url: "https://localhost:\(port)/healthz"), timeout: .seconds(5))
            _ = try await response.body.collect(upTo: 1 << 20)
            try await client.shutdown()
            return Int(response.status.code)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

/// A CA and a serving certificate for localhost made with the openssl command.
struct TestPKI {
    let directory: String
    var caPEM: String { (try? String(contentsOfFile: directory + "/ca.crt", encoding: .utf8)) ?? "" }

    init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let script = """
            set -e
            cd '\(directory)'
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt \
              -days 2 -subj /CN=test-ca 2>/dev/null
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tls.key -out tls.csr \
              -subj /CN=localhost 2>/dev/null
            printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ext.cnf
            openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out tls.crt -days 2 \
              -extfile ext.cnf 2>/dev/null
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            struct OpenSSLFailed: Error {}
            throw OpenSSLFailed()
        }
    }

    /// Copies the serving pair into `folder` as tls.crt/tls.key, each replaced atomically.
    func install(into folder: String) throws {
        for name in ["tls.key", "tls.crt"] {
            let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
            try data.write(to: URL(fileURLWithPath: folder + "/" + name), options: .atomic)
        }
    }
}
