import AsyncHTTPClient
import ClusterSimulator
import Foundation
import NIOCore
import Synchronization

/// The real `vigilante run` binary as a child process against a simulator started by the test, with a
/// temporary config file, kubeconfig and store: what production runs, attacked from the outside.
final class OperatorProcess: Sendable {
    let process: Process
    let logPath: String
    private let portBox = Mutex<Int?>(nil)

    /// Starts `vigilante run --config config` with `environment` added.
    init(config: String, arguments: [String] = [], environment: [String: String] = [:], logPath: String) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: VigilanteBinary.path)
        process.arguments = ["run", "--config", config, "--log-format", "json"] + arguments
        var base = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("VIGILANTE_") }
        base["HOME"] = FileManager.default.temporaryDirectory.path
        base.removeValue(forKey: "KUBECONFIG")
        base.merge(environment) { _, new in new }
        process.environment = base
        self.logPath = logPath
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try log.seekToEnd()
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    /// The log so far.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The status server's port, from the operator's own "status server listening" log line.
    func statusPort(timeout: Duration = .seconds(60)) async throws -> Int {
        if let port = portBox.withLock({ $0 }) { return port }
        var found: Int?
        try await waitFor("the status server to listen (log: \(logPath))", timeout: timeout) {
            guard process.isRunning || found != nil else { throw Exited(log: log) }
            for line in log.split(separator: "\n") where line.contains("status server listening") {
                guard let data = line.data(using: .utf8),
                    let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                    let metadata = object["metadata"] as? [String: Any], let port = metadata["port"] as? String
                else { continue }
                found = Int(port)
            }
            return found != nil
        }
        portBox.withLock { $0 = found }
        return found!
    }

    struct Exited: Error, CustomStringConvertible {
        let log: String
        var description: String { "the operator exited early; its log:\n\(log)" }
    }

    /// GET `path` on the status server; nil when it does not answer.
    func get(_ path: String) async throws -> (status: Int, body: String)? {
        let port = try await statusPort()
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .GET
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(10)) else { return nil }
        let body = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return (Int(response.status.code), String(buffer: body))
    }

    /// The decoded JSON of GET `path`.
    func json(_ path: String) async throws -> Any? {
        guard let (status, body) = try await get(path), status == 200 else { return nil }
        return try JSONSerialization.jsonObject(with: Data(body.utf8))
    }

    /// Sends `signal` (SIGKILL, SIGTERM…).
    func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the process to end and returns its exit status.
    func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        try await waitFor("the operator to exit", timeout: timeout) { !process.isRunning }
        return process.terminationStatus
    }

    /// Kills the process if it still runs.
    func stop() {
        if process.isRunning {
            send(SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// Waits until `condition` holds, polling; throws naming `what` after `timeout`. No fixed sleeps.
func waitFor(_ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    struct Timeout: Error, CustomStringConvertible { let description: String }
    if try await condition() { return }
    throw Timeout(description: "timed out after \(timeout) waiting for \(what)")
}

/// A scratch folder with a simulator, its kubeconfig, a config file and a store path. Every operator it
/// starts is killed before the simulator stops, so no connection races the shutdown.
struct EndToEndCluster {
    let simulator: ClusterSimulator
    let directory: String
    let kubeconfig: String
    private let operators = OperatorList()
    var storePath: String { directory + "/store/vigilante.sqlite" }

    /// Runs `body` with a fresh cluster and always cleans up: operators killed, simulator stopped,
    /// folder removed.
    static func with(
        configure: (inout SimulatorConfiguration) -> Void = { _ in }, _ body: (EndToEndCluster) async throws -> Void
    ) async throws {
        let cluster = try await start(configure: configure)
        do {
            try await body(cluster)
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    private static func start(configure: (inout SimulatorConfiguration) -> Void) async throws -> EndToEndCluster {
        var configuration = SimulatorConfiguration()
        configuration.podStartDelay = .milliseconds(100)
        configuration.podTerminationDelay = .milliseconds(200)
        configure(&configuration)
        let simulator = try await ClusterSimulator.start(configuration)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "vigilante-e2e-\(UUID().uuidString)"
        )
        .path
        try FileManager.default.createDirectory(atPath: directory + "/store", withIntermediateDirectories: true)
        let kubeconfig = directory + "/kubeconfig"
        try simulator.writeKubeconfig(to: kubeconfig)
        simulator.create(
            apiVersion: "v1", resource: "namespaces",
            ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "vigilante"]])
        return EndToEndCluster(simulator: simulator, directory: directory, kubeconfig: kubeconfig)
    }

    /// Writes a config file: a healing window of `window`, healer pods every `interval`, port 0.
    func writeConfig(
        window: String = "4s", interval: String = "1s",
        leaderElection: String = "{leaseDuration: 3s, renewDeadline: 2s, retryPeriod: 500ms}", extra: String = ""
    ) throws -> String {
        let path = directory + "/config-\(UUID().uuidString).yaml"
        let text = """
            namespace: vigilante
            http: {port: 0, address: 127.0.0.1}
            store: {path: \(storePath)}
            kubernetes: {kubeconfig: \(kubeconfig), requestTimeout: 5s}
            leaderElection: \(leaderElection)
            log: {level: info}
            tasks:
              snat:
                interval: \(interval)
                healingDuration: \(window)
                backoff: {base: 200ms, cap: 2s}
            \(extra)
            """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Starts the operator with `config`.
    func startOperator(
        config: String, arguments: [String] = [], environment: [String: String] = [:]
    ) throws -> OperatorProcess {
        let process = try OperatorProcess(
            config: config, arguments: arguments, environment: environment,
            logPath: directory + "/operator-\(UUID().uuidString).log")
        operators.add(process)
        return process
    }

    func stop() async {
        operators.killAll()
        await simulator.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// The operators a cluster started, to kill them all at the end.
final class OperatorList: Sendable {
    private let processes = Mutex<[OperatorProcess]>([])
    func add(_ process: OperatorProcess) { processes.withLock { $0.append(process) } }
    func killAll() { for process in processes.withLock({ $0 }) { process.stop() } }
}
