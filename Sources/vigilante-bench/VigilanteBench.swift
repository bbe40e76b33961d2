import ArgumentParser
import Foundation

/// Options shared by every run.
struct BenchOptions: Sendable {
    var operatorPath: String
    var flips: Int
    var settle: Duration
    var apiWindow: Duration
    var heartbeatInterval: Duration
    var tasksRate: Int
    var tasksDuration: Duration
    var tasksConnections: Int
    var tls: Bool
    var mixedWindow: Duration
}

/// Figures of one scale over its repeats.
struct ScaleReport: Codable, Sendable {
    var nodes: Int
    var windowsNodes: Int
    /// Half of the Windows nodes mid-window instead of all healed.
    var mixed: Bool
    var repeats: Int
    var startupToReadySeconds: Summary?
    var initialSyncSeconds: Summary?
    var firstPassSeconds: Summary?
    var detectionSeconds: Summary?
    var passDurationSeconds: Summary?
    var rssAtReadyMB: Summary?
    var rssSteadyMB: Summary?
    var anonymousSteadyMB: Summary?
    var fileSteadyMB: Summary?
    var peakRSSMB: Summary?
    var apiCost: APICost?
    var apiCostRatio: Double?
    var tasksLatencySeconds: Summary?
    var tasksAchievedRate: Double?
    var tasksErrors: Int?
    /// Mixed runs: passes with nothing to do, passes after one node turned Ready, and passes that
    /// started or renewed many windows (with their action counts).
    var quietPassSeconds: Summary?
    var flipPassSeconds: Summary?
    var busyPassSeconds: Summary?
    var busyPassActions: Summary?
    /// Mixed runs: the most API writes the simulator received in one second (whole seconds of its clock),
    /// per run, and all writes of the run.
    var peakWritesPerSecond: Summary?
    var writes: Summary?
}

struct Report: Codable, Sendable {
    var command: String
    var machine: Machine
    var operatorBinary: String
    var tls: Bool
    var scales: [ScaleReport]
}

@main
struct VigilanteBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigilante-bench",
        abstract: "Measures the release-built operator against the ClusterSimulator (BRIEF section 6 targets).")

    @Option(help: "The vigilante binary (build it with swift build -c release --product vigilante).")
    var `operator`: String = ".build/release/vigilante"

    @Option(help: "Comma-separated cluster sizes (a fifth of each are Windows nodes, all healed).")
    var scales: String = "10,1000"

    @Option(
        help: "Comma-separated cluster sizes run again with half of the Windows nodes mid-window (empty = none).")
    var mixedScales: String = "1000"

    @Option(help: "Seconds of passes recorded in a mixed run before the flips (two pod intervals and a bit).")
    var mixedWindow: Int = 65

    @Option(help: "Fresh simulator + operator runs per scale.")
    var repeats: Int = 3

    @Option(help: "NotReady Windows nodes turned Ready one at a time per run (detection samples).")
    var flips: Int = 10

    @Option(help: "Seconds of steady state measured for API cost (first run of each scale); a multiple of 30.")
    var apiWindow: Int = 60

    @Option(help: "Seconds every kubelet waits between node status updates (real kubelets: 300).")
    var heartbeatInterval: Int = 300

    @Option(help: "Seconds to let the operator settle before steady-state readings.")
    var settle: Int = 3

    @Option(help: "/tasks requests per second (first run of each scale; 0 = skip).")
    var tasksRate: Int = 1000

    @Option(help: "Seconds of /tasks load.")
    var tasksDuration: Int = 10

    @Option(help: "Concurrent connections of the /tasks load.")
    var tasksConnections: Int = 16

    @Flag(inversion: .prefixedNo, help: "Serve the operator's status endpoints over TLS.")
    var tls: Bool = true

    @Option(help: "Also write the report as JSON to this path.")
    var json: String?

    func run() async throws {
        let options = BenchOptions(
            operatorPath: `operator`, flips: flips, settle: .seconds(settle), apiWindow: .seconds(apiWindow),
            heartbeatInterval: .seconds(heartbeatInterval), tasksRate: tasksRate,
            tasksDuration: .seconds(tasksDuration),
            tasksConnections: tasksConnections, tls: tls, mixedWindow: .seconds(mixedWindow))
        guard FileManager.default.isExecutableFile(atPath: options.operatorPath) else {
            throw ValidationError(
                "no executable at \(options.operatorPath): swift build -c release --product vigilante")
        }
        let sizes =
            try Self.sizes(scales, option: "--scales").map { ($0, false) }
            + (try Self.sizes(mixedScales, option: "--mixed-scales")).map { ($0, true) }
        let machine = Machine.current()
        print("machine: \(machine.cores) cores, \(machine.cpuModel), kernel \(machine.kernel)")
        var reports: [ScaleReport] = []
        for (size, mixed) in sizes {
            var runs: [RunSamples] = []
            for index in 0..<repeats {
                print("scale \(size)\(mixed ? " mixed" : ""): run \(index + 1)/\(repeats)…")
                let run = ScaleRun(
                    options: options, nodes: size, measureAPICost: index == 0 && !mixed,
                    measureTasks: index == 0 && tasksRate > 0, mixed: mixed)
                runs.append(try await run.run())
            }
            reports.append(Self.report(size: size, flips: flips, mixed: mixed, runs: runs))
            print(Self.table(reports))
        }
        let report = Report(
            command: CommandLine.arguments.joined(separator: " "), machine: machine,
            operatorBinary: options.operatorPath,
            tls: tls, scales: reports)
        print(Self.table(reports))
        print(Self.apiTable(reports))
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(report).write(to: URL(fileURLWithPath: json))
            print("JSON written to \(json)")
        }
    }

    /// Cluster sizes from a comma-separated list.
    static func sizes(_ text: String, option: String) throws -> [Int] {
        try text.split(separator: ",").map { item in
            guard let size = Int(item.trimmingCharacters(in: .whitespaces)), size > 0 else {
                throw ValidationError("\(option): \"\(item)\" is not a positive number of nodes")
            }
            return size
        }
    }

    static func report(size: Int, flips: Int, mixed: Bool, runs: [RunSamples]) -> ScaleReport {
        let passes = runs.flatMap(\.passes)
        let busy = passes.filter { $0.actions >= 10 }
        let cost = runs.first?.apiCost
        var ratio: Double?
        if let cost, cost.replayTotalPerHour > 0 { ratio = cost.operatorTotalPerHour / cost.replayTotalPerHour }
        return ScaleReport(
            nodes: size + flips, windowsNodes: (size + 4) / 5 + flips, mixed: mixed, repeats: runs.count,
            startupToReadySeconds: Summary(runs.compactMap(\.startupToReady)),
            initialSyncSeconds: Summary(runs.compactMap(\.initialSync)),
            firstPassSeconds: Summary(runs.compactMap(\.firstPass)),
            detectionSeconds: Summary(runs.flatMap(\.detection)),
            passDurationSeconds: Summary(runs.flatMap(\.passDurations)),
            rssAtReadyMB: Summary(runs.compactMap(\.rssReadyMB)),
            rssSteadyMB: Summary(runs.compactMap(\.rssSteadyMB)),
            anonymousSteadyMB: Summary(runs.compactMap(\.anonymousSteadyMB)),
            fileSteadyMB: Summary(runs.compactMap(\.fileSteadyMB)),
            peakRSSMB: Summary(runs.compactMap(\.peakMB)),
            apiCost: cost, apiCostRatio: ratio,
            tasksLatencySeconds: Summary(runs.flatMap(\.tasksLatency)),
            tasksAchievedRate: runs.first?.tasksAchievedRate, tasksErrors: runs.first?.tasksErrors,
            quietPassSeconds: Summary(passes.filter { $0.actions == 0 }.map(\.seconds)),
            flipPassSeconds: Summary(passes.filter { (1..<10).contains($0.actions) }.map(\.seconds)),
            busyPassSeconds: Summary(busy.map(\.seconds)), busyPassActions: Summary(busy.map { Double($0.actions) }),
            peakWritesPerSecond: Summary(runs.compactMap(\.peakWritesPerSecond).map(Double.init)),
            writes: Summary(runs.compactMap(\.writes).map(Double.init)))
    }

    static func table(_ reports: [ScaleReport]) -> String {
        var lines = [
            "",
            "| metric (min / median / p99) | "
                + reports.map { "\($0.nodes) nodes\($0.mixed ? ", mixed" : "")" }.joined(separator: " | ") + " |",
        ]
        lines.append("|---|" + reports.map { _ in "---|" }.joined())
        func row(_ name: String, _ value: (ScaleReport) -> String?) {
            lines.append("| \(name) | " + reports.map { value($0) ?? "-" }.joined(separator: " | ") + " |")
        }
        row("startup to /readyz 200 (ms)") { $0.startupToReadySeconds?.text(0, scale: 1000) }
        row("initial sync: start → node watch (ms)") { $0.initialSyncSeconds?.text(0, scale: 1000) }
        row("start → first SNAT pass over the synced caches done (ms)") { $0.firstPassSeconds?.text(0, scale: 1000) }
        row("detection: Ready → healer pod (ms)") { $0.detectionSeconds?.text(0, scale: 1000) }
        row("SNAT pass duration (ms)") { $0.passDurationSeconds?.text(1, scale: 1000) }
        row("mixed: pass with nothing due (ms)") { $0.quietPassSeconds?.text(1, scale: 1000) }
        row("mixed: pass after one node turned Ready (ms)") { $0.flipPassSeconds?.text(1, scale: 1000) }
        row("mixed: pass starting/renewing windows (ms)") { $0.busyPassSeconds?.text(1, scale: 1000) }
        row("mixed: actions in those passes") { $0.busyPassActions?.text(0) }
        row("mixed: peak API writes in one second (simulator)") { $0.peakWritesPerSecond?.text(0) }
        row("mixed: API writes in the run") { $0.writes?.text(0) }
        row("RSS at ready (MB)") { $0.rssAtReadyMB?.text(1) }
        row("RSS steady (MB)") { $0.rssSteadyMB?.text(1) }
        row("  of which anonymous, RssAnon (MB)") { $0.anonymousSteadyMB?.text(1) }
        row("  of which mapped files, RssFile (MB)") { $0.fileSteadyMB?.text(1) }
        row("peak RSS VmHWM (MB)") { $0.peakRSSMB?.text(1) }
        row("/tasks latency (ms)") { $0.tasksLatencySeconds?.text(2, scale: 1000) }
        row("/tasks achieved rate (req/s), errors") { report in
            report.tasksAchievedRate.map { String(format: "%.0f, %d", $0, report.tasksErrors ?? 0) }
        }
        return lines.joined(separator: "\n")
    }

    static func apiTable(_ reports: [ScaleReport]) -> String {
        var lines = [""]
        for report in reports {
            guard let cost = report.apiCost else { continue }
            lines.append(
                "API cost at \(report.nodes) nodes (\(report.windowsNodes) Windows), window \(Int(cost.windowSeconds)) s, "
                    + "heartbeats every \(Int(cost.heartbeatIntervalSeconds)) s:")
            lines.append("| who | request | per hour |")
            lines.append("|---|---|---|")
            for (key, value) in cost.operatorRequestsPerHour.sorted(by: { $0.key < $1.key }) {
                lines.append("| operator | \(key) | \(String(format: "%.0f", value)) |")
            }
            for (key, value) in cost.replayRequestsPerHour.sorted(by: { $0.key < $1.key }) {
                lines.append("| original (replay) | \(key) | \(String(format: "%.0f", value)) |")
            }
            lines.append(
                String(
                    format: "| operator | total (without leases) | %.0f (%.0f) |", cost.operatorTotalPerHour,
                    cost.operatorWithoutLeasePerHour))
            lines.append(String(format: "| original (replay) | total | %.0f |", cost.replayTotalPerHour))
            lines.append(
                "| operator | bytes received per hour (rchar) | "
                    + (cost.operatorBytesPerHour.map { String(format: "%.1f MB", $0 / 1e6) } ?? "-") + " |")
            lines.append(
                String(
                    format: "| original (replay) | bytes received per hour | %.1f MB |", cost.replayBytesPerHour / 1e6))
            if let cpu = cost.operatorCPUSecondsPerHour {
                lines.append(String(format: "| operator | CPU seconds per hour | %.1f |", cpu))
            }
            if let ratio = report.apiCostRatio {
                lines.append(String(format: "ratio operator / original requests: %.2f", ratio))
            }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }
}
