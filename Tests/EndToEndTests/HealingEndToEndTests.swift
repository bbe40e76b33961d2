import ClusterSimulator
import Foundation
import Synchronization
import Testing
import VigilanteCore

/// The real binary heals Windows nodes of a simulated cluster over HTTPS with token auth.
@Suite struct HealingEndToEndTests {
    static let healedAnnotation = "cops-vigilante-snat-node-healed"

    static func isHealed(_ simulator: ClusterSimulator, _ node: String) -> Bool {
        simulator.node(node)?["metadata"]?["annotations"]?[healedAnnotation]?.stringValue == "true"
    }

    /// Live (not terminating) healer pods on `node`.
    static func healerPods(_ simulator: ClusterSimulator, on node: String) -> [JSONValue] {
        simulator.pods(namespace: "vigilante", labelSelector: "app.kubernetes.io/managed-by=cops-vigilante").filter {
            $0["spec"]?["nodeName"]?.stringValue == node && $0["metadata"]?["deletionTimestamp"] == nil
        }
    }

    /// Where the happy path leaves every (verb, group, resource, namespace) the operator used, for
    /// scripts/check-rbac-coverage.sh to compare with the chart's RBAC.
    static let observedPermissionsPath = FileManager.default.temporaryDirectory
        .appendingPathComponent("vigilante-e2e-observed-permissions.tsv").path

    static func writeObservedPermissions(_ log: [AccessLogEntry]) throws {
        let lines = Set(
            log.filter { !$0.resource.isEmpty && $0.code != 401 }.map { entry in
                [
                    entry.verb, entry.group.isEmpty ? "core" : entry.group, entry.resource, entry.namespace ?? "*",
                    entry.name ?? "*",
                ]
                .joined(separator: "\t")
            })
        try (lines.sorted().joined(separator: "\n") + "\n").write(
            toFile: observedPermissionsPath, atomically: true, encoding: .utf8)
    }

    static func pods(_ simulator: ClusterSimulator, on node: String) -> [JSONValue] {
        simulator.pods().filter { $0["spec"]?["nodeName"]?.stringValue == node }
    }

    @Test func healsWindowsNodesAndLeavesTheRestAlone() async throws {
        try await EndToEndCluster.with { cluster in
            let simulator = cluster.simulator
            simulator.addNode(name: "akswin000000", os: "windows")
            simulator.addNode(
                name: "akswin000001", os: "windows",
                taints: [["key": "os", "value": "windows", "effect": "NoSchedule"]])
            simulator.addNode(name: "aks-linux-000000", os: "linux")
            simulator.addNode(name: "mystery-node", os: nil)
            let process = try cluster.startOperator(config: try cluster.writeConfig(window: "3s", interval: "1s"))
            defer { process.stop() }

            let windows = ["akswin000000", "akswin000001"]
            try await waitFor("both Windows nodes healed", timeout: .seconds(90)) {
                windows.allSatisfy { Self.isHealed(simulator, $0) }
            }
            try await waitFor("no live healer pods left") {
                windows.allSatisfy { Self.healerPods(simulator, on: $0).isEmpty }
            }
            for node in ["aks-linux-000000", "mystery-node"] {
                #expect(simulator.node(node)?["metadata"]?["annotations"]?[Self.healedAnnotation] == nil)
                #expect(Self.pods(simulator, on: node).isEmpty, "a pod was created on \(node)")
            }
            let nodeWrites = simulator.accessLog().filter {
                $0.resource.hasPrefix("nodes") && ["patch", "update"].contains($0.verb)
            }
            #expect(Set(nodeWrites.compactMap(\.name)) == Set(windows), "node writes: \(nodeWrites)")

            // /tasks and /metrics agree with the cluster.
            var snat: [String: Any] = [:]
            try await waitFor("/tasks to report both nodes healed") {
                let tasks = try await process.json("/tasks") as? [[String: Any]]
                snat = tasks?.first { $0["name"] as? String == "snat" } ?? [:]
                let totals = (snat["details"] as? [String: Any])?["totals"] as? [String: Any]
                return totals?["healed"] as? Int == 2 && totals?["healing"] as? Int == 0
            }
            #expect(snat["enabled"] as? Bool == true)
            #expect((snat["runs"] as? Int ?? 0) > 0)
            let metrics = try #require(try await process.get("/metrics")?.body)
            #expect(metrics.contains("vigilante_snat_nodes_healed_total 2"), "metrics:\n\(metrics)")
            #expect(metrics.contains("cops_vigilante_snat_node_healing_attempts"))
            #expect(metrics.contains("vigilante_task_runs_total{task=\"snat\""))
            // Events were recorded for the nodes.
            let events = simulator.accessLog().filter { $0.resource == "events" && $0.verb == "create" }
            #expect(events.count >= 2)
            try Self.writeObservedPermissions(simulator.accessLog())
        }
    }

    /// kill -9 at random moments while healing: every window continues from its persisted start, no node
    /// is annotated before its window ends, no healer pod outlives its window, nothing is double-counted.
    @Test func survivesRepeatedKillNine() async throws {
        try await EndToEndCluster.with { cluster in
            let simulator = cluster.simulator
            let nodes = ["akswin000000", "akswin000001", "akswin000002"]
            for node in nodes { simulator.addNode(name: node, os: "windows") }
            let window = 12.0
            let config = try cluster.writeConfig(window: "12s", interval: "1s")

            // Watch the cluster from the test: when each node first got a healer pod, and when it was healed.
            let firstPod = Mutex<[String: ContinuousClock.Instant]>([:])
            let healedAt = Mutex<[String: ContinuousClock.Instant]>([:])
            let observer = Task {
                while !Task.isCancelled {
                    for node in nodes {
                        if !Self.healerPods(simulator, on: node).isEmpty {
                            firstPod.withLock { if $0[node] == nil { $0[node] = .now } }
                        }
                        if Self.isHealed(simulator, node) {
                            healedAt.withLock { if $0[node] == nil { $0[node] = .now } }
                        }
                    }
                    try? await Task.sleep(for: .milliseconds(25))
                }
            }
            defer { observer.cancel() }

            var process = try cluster.startOperator(config: config)
            try await waitFor("healing to start on every node") { firstPod.withLock { $0.count } == nodes.count }
            var kills = 0
            while kills < 10 {
                try await Task.sleep(for: .milliseconds(Int.random(in: 300...900)))
                process.send(SIGKILL)
                _ = try await process.waitForExit()
                kills += 1
                process = try cluster.startOperator(config: config)
            }
            let lastRestart = ContinuousClock.now
            try await waitFor("every node healed", timeout: .seconds(120)) {
                healedAt.withLock { $0.count } == nodes.count
            }
            let starts = firstPod.withLock { $0 }
            let heals = healedAt.withLock { $0 }
            for node in nodes {
                let elapsed = (heals[node]! - starts[node]!).seconds
                #expect(elapsed >= window - 1.5, "\(node) annotated after \(elapsed) s, before its \(window) s window")
                // Had the window restarted with a restart, the node would be healed a whole window after the
                // last one at the earliest (the kill loop's own length depends on the machine's load).
                let afterLastRestart = (heals[node]! - lastRestart).seconds
                #expect(
                    afterLastRestart < window,
                    "\(node) healed \(afterLastRestart) s after the last restart: the window did not continue")
            }
            try await waitFor("no healer pod outlives its window") {
                nodes.allSatisfy { Self.healerPods(simulator, on: $0).isEmpty }
            }
            // Exactly one heal per node: one successful annotation write each.
            let annotationWrites = simulator.accessLog().filter {
                $0.resource == "nodes" && $0.verb == "patch" && $0.code < 300
            }
            #expect(annotationWrites.count == nodes.count, "node patches: \(annotationWrites)")
        }
    }
}
