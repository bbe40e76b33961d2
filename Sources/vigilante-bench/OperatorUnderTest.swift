import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL

/// The release-built `vigilante run` as a child process, so its memory and CPU are its own.
final class OperatorUnderTest: Sendable {
    let process: Process
    let logPath: String
    let startedAt: ContinuousClock.Instant
    let tls: Bool

    init(binary: String, config: String, logPath: String, tls: Bool) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["run", "--config", config, "--log-format", "json"]
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("VIGILANTE_") }
        environment.removeValue(forKey: "KUBECONFIG")
        process.environment = environment
        self.logPath = logPath
        self.tls = tls
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        startedAt = .now
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The status server's port from the "status server listening" log line, polled every few ms.
    func statusPort(timeout: Duration = .seconds(60)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw BenchError("the operator exited early; log:\n\(log)") }
            for line in log.split(separator: "\n") where line.contains("status server listening") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let metadata = object["metadata"] as? [String: Any], let text = metadata["port"] as? String,
                    let port = Int(text)
                else { continue }
                return port
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw BenchError("no status server port after \(timeout); log:\n\(log)")
    }

    func url(port: Int, path: String) -> String { "\(tls ? "https" : "http")://127.0.0.1:\(port)\(path)" }

    /// Stops the operator: SIGTERM, then SIGKILL after `grace`.
    func stop(grace: Duration = .seconds(5)) async {
        guard process.isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// HTTP clients that trust anything: every endpoint is on 127.0.0.1 with a certificate made for the run.
enum Clients {
    static func make(connections: Int = 8) -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(30))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// GET `url`: status and body.
    static func get(
        _ client: HTTPClient, _ url: String, headers: [(String, String)] = [], limit: Int = 64 * 1024 * 1024
    ) async throws -> (status: Int, body: ByteBuffer) {
        var request = HTTPClientRequest(url: url)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: limit)
        return (Int(response.status.code), body)
    }
}
