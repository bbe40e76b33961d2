import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import Prometheus
import ServiceLifecycle
import Testing

@testable import VigilanteCore

/// A status provider whose answers a test sets.
final class FakeStatusProvider: StatusProvider {
    private struct Answers {
        var tasks: [TaskStatusEntry]
        var livenessProblem: String?
        var readiness: [ReadinessCheck]
    }

    private let answers: LockedState<Answers>

    init(
        tasks: [TaskStatusEntry] = FakeStatusProvider.sampleTasks,
        livenessProblem: String? = nil,
        readiness: [ReadinessCheck] = [
            ReadinessCheck(name: "store", ok: true),
            ReadinessCheck(name: "configuration", ok: true),
            ReadinessCheck(name: "kubernetes-api", ok: true, detail: "reached 2s ago"),
        ]
    ) {
        answers = LockedState(Answers(tasks: tasks, livenessProblem: livenessProblem, readiness: readiness))
    }

    func setLivenessProblem(_ problem: String?) { answers.withLock { $0.livenessProblem = problem } }
    func setReadiness(_ checks: [ReadinessCheck]) { answers.withLock { $0.readiness = checks } }

    func taskStatuses() async -> [TaskStatusEntry] { answers.withLock { $0.tasks } }
    func livenessProblem() async -> String? { answers.withLock { $0.livenessProblem } }
    func readinessChecks() async -> [ReadinessCheck] { answers.withLock { $0.readiness } }

    /// Two tasks: one that ran, one disabled that never ran. Whole-second dates survive RFC 3339.
    static let sampleTasks: [TaskStatusEntry] = [
        TaskStatusEntry(
            name: "snat", enabled: true, interval: "30s", state: .idle,
            lastRun: TaskStatusEntry.Run(
                startedAt: Date(timeIntervalSince1970: 1_700_000_000),
                finishedAt: Date(timeIntervalSince1970: 1_700_000_001), durationSeconds: 0.25, outcome: "done"),
            nextRunAt: Date(timeIntervalSince1970: 1_700_000_030), runs: 12, failures: 1,
            details: ["nodesInWindow": 2, "healedNodes": ["akswin000001"], "dryRun": false]),
        TaskStatusEntry(
            name: "idle-task", enabled: false, interval: "1m", state: .disabled, lastRun: nil, nextRunAt: nil,
            runs: 0, failures: 0, details: nil),
    ]
}

/// A status server running in a service group on an ephemeral port, stopped by `stop()`.
final class RunningStatusServer: Sendable {
    let server: StatusServer
    let registry: PrometheusCollectorRegistry
    let port: Int
    let scheme: String
    private let group: ServiceGroup
    private let runTask: Task<Void, any Error>

    /// Starts a server; throws when it cannot start (e.g. an unusable certificate).
    static func start(
        provider: some StatusProvider = FakeStatusProvider(),
        tls: Configuration.TLSSettings? = nil,
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        limits: StatusServerLimits = StatusServerLimits(idleTimeout: .seconds(15), requestTimeout: .seconds(15))
    ) async throws -> RunningStatusServer {
        // Expected errors (broken certificates) would read like failures in the test output.
        var logger = Logger(label: "status-server-test")
        logger.logLevel = .critical
        let server = StatusServer(
            http: Configuration.HTTPSettings(address: "127.0.0.1", port: 0),
            tls: tls ?? StatusServerTestFiles.tlsDisabled,
            provider: provider, registry: registry, logger: logger, limits: limits)
        let group = ServiceGroup(services: [server], logger: logger)
        let runTask = Task { try await group.run() }
        do {
            let port = try await server.boundPort()
            return RunningStatusServer(
                server: server, registry: registry, port: port, scheme: tls?.enabled == true ? "https" : "http",
                group: group, runTask: runTask)
        } catch {
            // run() ended before binding: its own error says why.
            try await runTask.value
            throw error
        }
    }

    private init(
        server: StatusServer, registry: PrometheusCollectorRegistry, port: Int, scheme: String, group: ServiceGroup,
        runTask: Task<Void, any Error>
    ) {
        self.server = server
        self.registry = registry
        self.port = port
        self.scheme = scheme
        self.group = group
        self.runTask = runTask
    }

    /// The URL of a path on this server.
    func url(_ path: String) -> String { "\(scheme)://127.0.0.1:\(port)\(path)" }

    /// Triggers graceful shutdown and waits for the server to stop.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await runTask.value
    }
}

/// A response read completely.
struct CollectedResponse {
    var status: Int
    var headers: HTTPHeaders
    var body: Data

    var text: String { String(decoding: body, as: UTF8.self) }

    func json() throws -> Any { try JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) }
}

/// HTTP client helpers: a fresh client per call unless one is given, so each call makes a new
/// connection (and a new TLS handshake).
enum StatusClient {
    static func makeClient(tls: TLSConfiguration? = nil, connectTimeout: Duration = .seconds(10)) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, timeout: .init(connect: TimeAmount(connectTimeout), read: .seconds(30)))
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    static func request(
        _ url: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], tls: TLSConfiguration? = nil,
        client existing: HTTPClient? = nil, connectTimeout: Duration = .seconds(10)
    ) async throws -> CollectedResponse {
        let client = existing ?? makeClient(tls: tls, connectTimeout: connectTimeout)
        do {
            var request = HTTPClientRequest(url: url)
            request.method = method
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            let response = try await client.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 16 * 1024 * 1024)
            if existing == nil { try await client.shutdown() }
            return CollectedResponse(
                status: Int(response.status.code), headers: response.headers, body: Data(body.readableBytesView))
        } catch {
            if existing == nil { try? await client.shutdown() }
            throw error
        }
    }
}

/// Files of a test in a fresh temporary folder.
struct StatusServerTestFiles {
    let path: String

    static let tlsDisabled = Configuration.TLSSettings(
        enabled: false, certFile: "/nonexistent/tls.crt", keyFile: "/nonexistent/tls.key", clientCAFile: nil,
        reloadInterval: .seconds(10))

    init() throws {
        path = NSTemporaryDirectory() + "vigilante-http-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    @discardableResult
    func write(_ name: String, _ contents: String) throws -> String {
        let file = path + "/" + name
        try Data(contents.utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
        return file
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Polls `condition` until it holds or `timeout` passes (a thrown error counts as not yet); no fixed sleeps.
func eventually(
    timeout: Duration = .seconds(60), interval: Duration = .milliseconds(50), _ condition: () async throws -> Bool
) async throws -> Bool {
    try await pollUntil(timeout: timeout, interval: interval) { (try? await condition()) == true }
}
