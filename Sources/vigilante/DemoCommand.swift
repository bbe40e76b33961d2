import ArgumentParser
import ClusterSimulator
import Foundation
import Logging
import Metrics
import Prometheus
import VigilanteCore

/// `vigilante demo`: the operator against an in-process simulated cluster.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Watch the operator heal an in-process simulated cluster (no Kubernetes needed).",
        discussion: """
            Starts a simulated Kubernetes API server (HTTPS, on 127.0.0.1) with Linux and Windows nodes — one \
            tainted, one joining later, one turning NotReady for a while — runs the operator against it with an \
            accelerated healing window, serves the status page at / (for a browser) and /tasks, /healthz, \
            /readyz and /metrics, and shows each node's phase as it changes. It writes a kubeconfig for the \
            simulated cluster so you can watch with kubectl. Ctrl-C stops it.
            """
    )

    @OptionGroup var options: CommonOptions

    @Option(name: .long, help: "How long each Windows node is healed (the real default is 30m).")
    var healingWindow: String = "20s"

    @Option(name: .long, help: "Time between healer pods on a node (the real default is 30s).")
    var interval: String = "3s"

    func run() async throws {
        let simulator = try await ClusterSimulator.start(SimulatorConfiguration())
        let kubeconfig = FileManager.default.temporaryDirectory
            .appendingPathComponent("vigilante-demo-\(ProcessInfo.processInfo.processIdentifier).kubeconfig").path
        try simulator.writeKubeconfig(to: kubeconfig)
        let storePath = FileManager.default.temporaryDirectory
            .appendingPathComponent("vigilante-demo-\(ProcessInfo.processInfo.processIdentifier).sqlite").path
        simulator.create(
            apiVersion: "v1", resource: "namespaces",
            ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "cops-vigilante"]])

        var flags = options.overrides.filter { $0.path != "kubernetes.kubeconfig" }
        func set(_ path: String, _ value: String) {
            flags.append(ConfigOverride(path: path, text: value, source: "vigilante demo"))
        }
        set("kubernetes.kubeconfig", kubeconfig)
        set("namespace", "cops-vigilante")
        set("store.path", storePath)
        set("tasks.snat.healingDuration", healingWindow)
        set("tasks.snat.interval", interval)
        set("leaderElection.identity", "vigilante-demo")
        if !flags.contains(where: { $0.path == "log.level" }) { set("log.level", "warning") }
        let configuration = try loadOrExit(
            ConfigurationLoader(taskTypes: registeredTaskConfigurations, flags: flags),
            path: options.config ?? "/dev/null"
        ).configuration
        LineLogHandler.bootstrap(format: configuration.log.format, level: configuration.log.level)
        let registry = PrometheusCollectorRegistry()
        let metrics = PrometheusMetricsFactory(registry: registry)
        MetricsSystem.bootstrap(metrics)
        let runtime: OperatorRuntime
        do {
            runtime = try OperatorRuntime(
                configuration: configuration, taskTypes: registeredTasks, registry: registry, metrics: metrics,
                logger: Logger(label: "vigilante"), version: BuildInfo.description)
        } catch {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw ExitCode(1)
        }

        let scenario = DemoScenario(simulator: simulator)
        scenario.setUp()
        let port = configuration.http.port
        print(
            """
            cops-vigilante demo: the operator heals a simulated cluster (healing window \(healingWindow), \
            a fresh healer pod every \(interval)).
              status page: http://localhost:\(port)/      (open it in a browser; it refreshes itself)
              status:      curl localhost:\(port)/tasks?pretty      (also /healthz, /readyz, /metrics)
              kubeconfig:  \(kubeconfig)
                           kubectl --kubeconfig \(kubeconfig) get pods -A -w
              Ctrl-C stops the demo.

            """)
        let display = Task { await DemoDisplay(simulator: simulator, scheduler: runtime.scheduler).run() }
        let story = Task { await scenario.play() }
        defer {
            display.cancel()
            story.cancel()
            try? FileManager.default.removeItem(atPath: storePath)
            try? FileManager.default.removeItem(atPath: storePath + "-wal")
            try? FileManager.default.removeItem(atPath: storePath + "-shm")
            try? FileManager.default.removeItem(atPath: kubeconfig)
        }
        do {
            try await runtime.run()
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            await simulator.stop()
            throw ExitCode(1)
        }
        display.cancel()
        await simulator.stop()
        print("\ndemo stopped; the simulated cluster is gone, and its kubeconfig \(kubeconfig) with it.")
    }
}

/// The demo cluster and what happens to it over time.
struct DemoScenario: Sendable {
    let simulator: ClusterSimulator

    /// Two Linux nodes, three Ready Windows nodes (one tainted), one Windows node still joining.
    func setUp() {
        simulator.addNode(name: "aks-linux-000000", os: "linux")
        simulator.addNode(name: "aks-linux-000001", os: "linux")
        simulator.addNode(name: "akswin000000", os: "windows")
        simulator.addNode(
            name: "akswin000001", os: "windows", taints: [["key": "os", "value": "windows", "effect": "NoSchedule"]])
        simulator.addNode(name: "akswin000002", os: "windows")
        simulator.addNode(name: "akswin000003", os: "windows", ready: false)
    }

    /// A node joins after 6 s; another goes NotReady at 8 s and comes back at 14 s (its window restarts).
    func play() async {
        do {
            try await Task.sleep(for: .seconds(6))
            simulator.setNodeReady("akswin000003", true)
            try await Task.sleep(for: .seconds(2))
            simulator.setNodeReady("akswin000002", false)
            try await Task.sleep(for: .seconds(6))
            simulator.setNodeReady("akswin000002", true)
        } catch {}
    }
}

/// Prints the nodes' phases: a table redrawn in place on a terminal, plain lines on change otherwise.
struct DemoDisplay: Sendable {
    let simulator: ClusterSimulator
    let scheduler: TaskScheduler

    func run() async {
        let isTerminal = isatty(STDOUT_FILENO) == 1
        var previous: [String] = []
        var drawnLines = 0
        while !Task.isCancelled {
            let rows = await self.rows()
            if isTerminal {
                var text = drawnLines > 0 ? "\u{1B}[\(drawnLines)A" : ""
                for row in rows { text += "\u{1B}[2K" + row + "\n" }
                print(text, terminator: "")
                drawnLines = rows.count
            } else if rows != previous {
                let stamp = Date().formatted(.iso8601.time(includingFractionalSeconds: false))
                for (index, row) in rows.enumerated() where index >= 2 && !previous.contains(row) {
                    print("\(stamp)  \(row)")
                }
            }
            previous = rows
            fflush(nil)
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    private func rows() async -> [String] {
        let details = await scheduler.taskStatuses().first { $0.name == "snat" }?.details
        var rows = [
            pad("NODE", 18) + pad("OS", 9) + pad("READY", 7) + pad("PHASE", 11) + pad("HEALER PODS", 13) + "TIME LEFT",
            String(repeating: "-", count: 70),
        ]
        let pods = simulator.pods(labelSelector: "app.kubernetes.io/managed-by=cops-vigilante")
        for name in simulator.nodeNames().sorted() {
            guard let node = simulator.node(name) else { continue }
            let os = node["metadata"]?["labels"]?["kubernetes.io/os"]?.stringValue ?? "-"
            let ready =
                node["status"]?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "Ready" }?["status"]?
                .stringValue == "True"
            let healed =
                node["metadata"]?["annotations"]?["cops-vigilante-snat-node-healed"]?.stringValue?.lowercased()
                == "true"
            let healerPods = pods.filter {
                $0["spec"]?["nodeName"]?.stringValue == name && $0["metadata"]?["deletionTimestamp"] == nil
            }.count
            let phase: String
            var timeLeft = ""
            if os != "windows" {
                phase = "ignored"
            } else if healed {
                phase = "healed"
            } else if !ready {
                phase = "notReady"
            } else {
                // The last pass's phase, unless the node's live state has moved on since: READY and PHASE
                // always agree (a node that turned Ready waits for the next pass, which follows at once).
                if let lastPass = nodeDetail(details, name, "phase"), lastPass != "notReady" {
                    phase = lastPass
                } else {
                    phase = "waiting"
                }
                if let healsAt = nodeDetail(details, name, "healsAt"),
                    let date = try? Date(healsAt, strategy: .iso8601)
                {
                    timeLeft = "\(max(0, Int(date.timeIntervalSinceNow.rounded(.up))))s"
                }
            }
            rows.append(
                pad(name, 18) + pad(os, 9) + pad(ready ? "True" : "False", 7) + pad(phase, 11)
                    + pad(String(healerPods), 13) + timeLeft)
        }
        return rows
    }

    /// A per-node field of the SNAT task's status details, whatever their exact layout.
    private func nodeDetail(_ details: RawJSON?, _ node: String, _ field: String) -> String? {
        guard case .object(let object)? = details, case .array(let nodes)? = object["nodes"] else { return nil }
        for case .object(let entry) in nodes {
            guard case .string(node)? = entry["name"] else { continue }
            if case .string(let value)? = entry[field] { return value }
        }
        return nil
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
