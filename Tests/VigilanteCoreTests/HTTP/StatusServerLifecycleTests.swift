import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import Testing

@testable import VigilanteCore

@Suite("HTTP status server lifecycle")
struct StatusServerLifecycleTests {
    @Test("Graceful shutdown stops the listener; boundPort() then reports that it is not running")
    func gracefulShutdown() async throws {
        let server = try await RunningStatusServer.start()
        #expect(try await server.server.boundPort() == server.port)
        try await server.stop()
        await #expect(throws: StatusServer.StartError.notRunning) {
            _ = try await server.server.boundPort()
        }
        await #expect(throws: (any Error).self) {
            _ = try await StatusClient.request(server.url("/healthz"), connectTimeout: .seconds(2))
        }
    }

    @Test("A port already in use fails run() and boundPort()")
    func portInUse() async throws {
        let first = try await RunningStatusServer.start()
        var logger = Logger(label: "status-server-test")
        logger.logLevel = .critical
        let second = StatusServer(
            http: Configuration.HTTPSettings(address: "127.0.0.1", port: first.port),
            tls: StatusServerTestFiles.tlsDisabled, provider: FakeStatusProvider(),
            registry: PrometheusCollectorRegistry(), logger: logger)
        let group = ServiceGroup(services: [second], logger: logger)
        await #expect(throws: (any Error).self) {
            try await group.run()
        }
        await #expect(throws: StatusServer.StartError.notRunning) {
            _ = try await second.boundPort()
        }
        #expect(try await StatusClient.request(first.url("/healthz")).status == 200)
        try await first.stop()
    }
}
