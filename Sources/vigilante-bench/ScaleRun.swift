import AsyncHTTPClient
import ClusterSimulator
import Foundation
import NIOCore

/// What one run (fresh simulator, fresh operator) at one scale measured.
struct RunSamples: Sendable {
    var startupToReady: Double?
    var initialSync: Double?
    var firstPass: Double?
    var detection: [Double] = []
    var rssReadyMB: Double?
    var rssSteadyMB: Double?
    var anonymousSteadyMB: Double?
    var fileSteadyMB: Double?
    var peakMB: Double?
    var passDurations: [Double] = []
    var apiCost: APICost?
    var tasksLatency: [Double] = []
    var tasksAchievedRate: Double?
    var tasksErrors: Int = 0
    var passes: [PassSample] = []
    /// Mixed runs: the most API writes the simulator received in one second, and all of them, over the run.
    var peakWritesPerSecond: Int?
    var writes: Int?
}

/// One SNAT pass as `/tasks` reported it: its duration and how many actions it took.
struct PassSample: Codable, Sendable {
    var seconds: Double
    var actions: Int
}

/// Requests per hour by verb and resource, and bytes received per hour, for the operator and the replay.
struct APICost: Codable, Sendable {
    var windowSeconds: Double
    var heartbeatIntervalSeconds: Double
    var operatorRequestsPerHour: [String: Double]
    var operatorBytesPerHour: Double?
    var operatorCPUSecondsPerHour: Double?
    var replayRequestsPerHour: [String: Double]
    var replayBytesPerHour: Double
    var operatorTotalPerHour: Double { operatorRequestsPerHour.values.reduce(0, +) }
    var operatorWithoutLeasePerHour: Double {
        operatorRequestsPerHour.filter { !$0.key.contains("leases") }.values.reduce(0, +)
    }
    var replayTotalPerHour: Double { replayRequestsPerHour.values.reduce(0, +) }
}

/// One fresh cluster and operator at `nodes` nodes (a fifth of them Windows, all healed) plus `flips`
/// NotReady Windows nodes that are turned Ready one at a time.
///
/// `mixed`: half of the Windows nodes are Ready and not healed, so the operator's first pass starts their
/// windows and every later pass finds them mid-window (BRIEF section 6's "half healed, half mid-window");
/// every pass during `--mixed-window` seconds and the flips is recorded.
struct ScaleRun {
    var options: BenchOptions
    var nodes: Int
    var measureAPICost: Bool
    var measureTasks: Bool
    var mixed = false

    static let namespace = "vigilante"
    static let healedAnnotation = "cops-vigilante-snat-node-healed"

    func run() async throws -> RunSamples {
        var configuration = SimulatorConfiguration()
        configuration.podStartDelay = .milliseconds(100)
        configuration.podTerminationDelay = .milliseconds(200)
        let simulator = try await ClusterSimulator.start(configuration)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigilante-bench-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory + "/store", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let client = Clients.make(connections: options.tasksConnections)
        do {
            let samples = try await measure(simulator: simulator, directory: directory, client: client)
            try await client.shutdown()
            await simulator.stop()
            return samples
        } catch {
            try? await client.shutdown()
            await simulator.stop()
            throw error
        }
    }

    private func measure(simulator: ClusterSimulator, directory: String, client: HTTPClient) async throws
        -> RunSamples
    {
        simulator.create(
            apiVersion: "v1", resource: "namespaces",
            ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(Self.namespace)]])
        // Names interleave Windows and Linux so staggered heartbeats cover both in any window.
        for index in 0..<nodes {
            let windows = index % 5 == 0
            let healed = windows && !(mixed && (index / 5) % 2 == 1)
            simulator.addNode(
                name: String(format: "node-%06d", index), os: windows ? "windows" : "linux",
                annotations: healed ? [Self.healedAnnotation: "true"] : [:])
        }
        let flipNames = (0..<options.flips).map { String(format: "flip-%04d", $0) }
        for name in flipNames { simulator.addNode(name: name, os: "windows", ready: false) }
        let kubeconfig = directory + "/kubeconfig"
        try simulator.writeKubeconfig(to: kubeconfig)
        simulator.addToken("replay-token", user: "replay", groups: ["system:masters"])
        let config = try writeConfig(simulator: simulator, directory: directory, kubeconfig: kubeconfig)

        var samples = RunSamples()
        let operatorProcess = try OperatorUnderTest(
            binary: options.operatorPath, config: config, logPath: directory + "/operator.log", tls: options.tls)
        do {
            try await measureOperator(
                operatorProcess, simulator: simulator, client: client, flips: flipNames, into: &samples)
        } catch {
            await operatorProcess.stop()
            throw error
        }
        await operatorProcess.stop()
        return samples
    }

    private func writeConfig(simulator: ClusterSimulator, directory: String, kubeconfig: String) throws -> String {
        var tlsSection = ""
        if options.tls {
            let (certificate, key) = try simulator.issueClientCertificate(user: "127.0.0.1", groups: [])
            try certificate.write(toFile: directory + "/tls.crt", atomically: true, encoding: .utf8)
            try key.write(toFile: directory + "/tls.key", atomically: true, encoding: .utf8)
            tlsSection = "tls: {enabled: true, certFile: \(directory)/tls.crt, keyFile: \(directory)/tls.key}"
        }
        let text = """
            namespace: \(Self.namespace)
            http: {port: 0, address: 127.0.0.1}
            \(tlsSection)
            store: {path: \(directory)/store/vigilante.sqlite}
            kubernetes: {kubeconfig: \(kubeconfig)}
            leaderElection: {enabled: true}
            log: {level: info}
            tasks:
              snat:
                interval: 30s
                healingDuration: 30m
            """
        let path = directory + "/config.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func measureOperator(
        _ operatorProcess: OperatorUnderTest, simulator: ClusterSimulator, client: HTTPClient, flips: [String],
        into samples: inout RunSamples
    ) async throws {
        let port = try await operatorProcess.statusPort()
        let start = operatorProcess.startedAt
        // Startup to ready, initial sync (the node watch opens once the node LIST was received) and the
        // first SNAT pass over the synced caches, polled every few milliseconds.
        let windowsNodes = (nodes + 4) / 5 + flips.count
        var ready: Duration?
        var synced: Duration?
        var firstPass: Duration?
        let deadline = ContinuousClock.now + .seconds(120)
        while ready == nil || synced == nil || firstPass == nil {
            guard ContinuousClock.now < deadline else {
                throw BenchError("operator not ready/synced in 120 s; log:\n\(operatorProcess.log)")
            }
            if ready == nil,
                let (status, _) = try? await Clients.get(client, operatorProcess.url(port: port, path: "/readyz")),
                status == 200
            {
                ready = ContinuousClock.now - start
            }
            if synced == nil,
                simulator.accessLog().contains(where: {
                    $0.verb == "watch" && $0.resource == "nodes" && $0.user == "admin"
                })
            {
                synced = ContinuousClock.now - start
            }
            // A finished pass whose status counts every Windows node: it ran over the synced caches (a
            // pass over an empty cache would count none).
            if firstPass == nil, let snat = try await snatStatus(client, operatorProcess, port: port),
                let runs = snat["runs"] as? Int, runs > 0, Self.windowsNodesCounted(snat) == windowsNodes
            {
                firstPass = ContinuousClock.now - start
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        samples.startupToReady = ready.map(Self.seconds)
        samples.initialSync = synced.map(Self.seconds)
        samples.firstPass = firstPass.map(Self.seconds)
        samples.rssReadyMB = ProcFile.memory(pid: operatorProcess.pid)?.rssMB
        if mixed {
            try await recordPasses(
                operatorProcess, simulator: simulator, client: client, port: port, flips: flips, into: &samples)
            Self.recordSteadyMemory(of: operatorProcess, into: &samples)
        } else {
            if measureAPICost {
                samples.apiCost = try await apiCost(operatorProcess, simulator: simulator)
            } else {
                try await Task.sleep(for: options.settle)
            }
            Self.recordSteadyMemory(of: operatorProcess, into: &samples)
            if let seconds = try await snatStatus(client, operatorProcess, port: port).flatMap(Self.lastRunSeconds) {
                samples.passDurations.append(seconds)
            }
            for name in flips {
                samples.detection.append(try await detect(name, simulator: simulator))
                try await Task.sleep(for: .milliseconds(100))
            }
        }

        if measureTasks {
            let load = try await TasksLoad(
                client: client, url: operatorProcess.url(port: port, path: "/tasks"), rate: options.tasksRate,
                duration: options.tasksDuration, workers: options.tasksConnections
            ).run()
            samples.tasksLatency = load.latencies
            samples.tasksAchievedRate = load.achievedRate
            samples.tasksErrors = load.errors
        }
        samples.peakMB = ProcFile.memory(pid: operatorProcess.pid)?.peakMB
    }

    private static func recordSteadyMemory(of operatorProcess: OperatorUnderTest, into samples: inout RunSamples) {
        let steady = ProcFile.memory(pid: operatorProcess.pid)
        samples.rssSteadyMB = steady?.rssMB
        samples.anonymousSteadyMB = steady?.anonymousMB
        samples.fileSteadyMB = steady?.fileMB
    }

    /// The mixed cluster: every pass while the mid-window nodes get their pods replaced and while the
    /// flip nodes turn Ready (then memory, and the `/tasks` load with hundreds of nodes listed).
    private func recordPasses(
        _ operatorProcess: OperatorUnderTest, simulator: ClusterSimulator, client: HTTPClient, port: Int,
        flips: [String], into samples: inout RunSamples
    ) async throws {
        simulator.startNodeHeartbeats(interval: options.heartbeatInterval)
        let url = operatorProcess.url(port: port, path: "/tasks/snat")
        let collector = Task { await Self.collectPasses(client, url: url) }
        try await Task.sleep(for: options.mixedWindow)
        for name in flips {
            samples.detection.append(try await detect(name, simulator: simulator))
            try await Task.sleep(for: .milliseconds(300))
        }
        collector.cancel()
        samples.passes = await collector.value
        // Every write since the simulator started: only the operator writes over HTTP in a mixed run.
        samples.peakWritesPerSecond = simulator.peakWritesPerSecond()
        samples.writes = simulator.writeTimes().count
    }

    /// Polls `/tasks/snat` until cancelled and records every pass it sees once (a pass is told apart by
    /// its start and duration), from the first pass that acted on.
    private static func collectPasses(_ client: HTTPClient, url: String) async -> [PassSample] {
        var seen = Set<String>()
        var passes: [PassSample] = []
        while !Task.isCancelled {
            if let (status, body) = try? await Clients.get(client, url), status == 200,
                let snat = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
                let run = snat["lastRun"] as? [String: Any], let started = run["startedAt"] as? String,
                let seconds = run["durationSeconds"] as? Double, seen.insert("\(started) \(seconds)").inserted
            {
                let actions = (snat["details"] as? [String: Any])?["lastPassActionCount"] as? Int ?? 0
                if actions > 0 || !passes.isEmpty { passes.append(PassSample(seconds: seconds, actions: actions)) }
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return passes
    }

    /// Turns `name` Ready and waits for its first healer pod to exist.
    private func detect(_ name: String, simulator: ClusterSimulator) async throws -> Double {
        let selector = "cops-vigilante/node=\(name)"
        let flippedAt = ContinuousClock.now
        simulator.setNodeReady(name, true)
        while ContinuousClock.now - flippedAt < .seconds(120) {
            if !simulator.pods(namespace: Self.namespace, labelSelector: selector).isEmpty {
                return Self.seconds(ContinuousClock.now - flippedAt)
            }
            try await Task.sleep(for: .milliseconds(1))
        }
        throw BenchError("no healer pod for \(name) within 120 s")
    }

    /// Steady state: all Windows nodes healed, heartbeats on; the operator's requests and the original
    /// release's pattern replayed by this process against the same simulator over the same window.
    private func apiCost(_ operatorProcess: OperatorUnderTest, simulator: ClusterSimulator) async throws -> APICost {
        simulator.startNodeHeartbeats(interval: options.heartbeatInterval)
        try await Task.sleep(for: options.settle)
        simulator.clearAccessLog()
        let bytesBefore = ProcFile.bytesRead(pid: operatorProcess.pid)
        let cpuBefore = ProcFile.cpuSeconds(pid: operatorProcess.pid)
        let start = ContinuousClock.now
        let replay = OriginalReplay(baseURL: simulator.baseURL, namespace: Self.namespace)
        let replayBytes = try await replay.run(for: options.apiWindow)
        let elapsed = Self.seconds(ContinuousClock.now - start)
        let bytesAfter = ProcFile.bytesRead(pid: operatorProcess.pid)
        let cpuAfter = ProcFile.cpuSeconds(pid: operatorProcess.pid)
        let log = simulator.accessLog()
        let perHour = 3600 / elapsed
        func rates(_ user: String) -> [String: Double] {
            var counts: [String: Double] = [:]
            for entry in log where entry.user == user {
                counts["\(entry.verb) \(entry.resource)", default: 0] += perHour
            }
            return counts
        }
        var bytesPerHour: Double?
        if let bytesBefore, let bytesAfter { bytesPerHour = Double(bytesAfter - bytesBefore) * perHour }
        var cpuPerHour: Double?
        if let cpuBefore, let cpuAfter { cpuPerHour = (cpuAfter - cpuBefore) * perHour }
        return APICost(
            windowSeconds: elapsed, heartbeatIntervalSeconds: Self.seconds(options.heartbeatInterval),
            operatorRequestsPerHour: rates("admin"), operatorBytesPerHour: bytesPerHour,
            operatorCPUSecondsPerHour: cpuPerHour, replayRequestsPerHour: rates("replay"),
            replayBytesPerHour: Double(replayBytes) * perHour)
    }

    private func snatStatus(_ client: HTTPClient, _ operatorProcess: OperatorUnderTest, port: Int) async throws
        -> [String: Any]?
    {
        guard let (status, body) = try? await Clients.get(client, operatorProcess.url(port: port, path: "/tasks")),
            status == 200,
            let object = try? JSONSerialization.jsonObject(with: Data(buffer: body))
        else { return nil }
        let tasks = (object as? [[String: Any]]) ?? ((object as? [String: Any])?["tasks"] as? [[String: Any]]) ?? []
        return tasks.first { $0["name"] as? String == "snat" }
    }

    /// The Windows nodes the task's status counts, over every phase.
    static func windowsNodesCounted(_ status: [String: Any]) -> Int {
        let totals = (status["details"] as? [String: Any])?["totals"] as? [String: Any] ?? [:]
        return totals.values.compactMap { $0 as? Int }.reduce(0, +)
    }

    static func lastRunSeconds(_ status: [String: Any]) -> Double? {
        (status["lastRun"] as? [String: Any])?["durationSeconds"] as? Double
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
