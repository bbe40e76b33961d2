import ClusterSimulator
import Foundation
import Testing
import VigilanteCore

@testable import SNAT

/// The task against the simulated API server over HTTPS, driven pass by pass with a manual clock.
@Suite struct HealingLifecycleTests {
    @Test func theFullLifecycleHealsSeveralNodesAtOnce() async throws {
        try await SNATTestEnvironment.with { env in
            let nodes = ["akswin000000", "akswin000001", "akswin000002"]
            for node in nodes { env.simulator.addNode(name: node, os: "windows") }
            let harness = try await env.harness(try env.settings(), store: try env.openStore())
            let start = env.clock.now()

            // Rule 3: the first pass starts a window per node, with a first healer pod each. The next pass
            // comes when the first node's next pod is due: on its own renewal phase, half an interval to an
            // interval later (rule 12).
            var outcome = try await env.pass(harness)
            #expect(isRequeue(outcome, within: .seconds(15)...(.seconds(30))), "\(outcome)")
            var current: [String: [String]] = [:]
            for node in nodes {
                current[node] = env.runningHealerPods(on: node)
                #expect(current[node]?.count == 1)
                #expect(env.events.reasons(for: node) == ["SNATHealingStarted"])
                let status = try #require(await env.status(harness, node))
                #expect(status.phase == .healing)
                #expect(status.windowStartedAt == start)
                #expect(status.healsAt == start.addingTimeInterval(1800))
                #expect(status.podsCreated == 1)
            }

            // Rule 9: the healer pod as the API server stored it.
            let pod = try #require(env.allHealerPods().first { $0["spec"]?["nodeName"]?.stringValue == nodes[0] })
            #expect(pod["metadata"]?["generateName"]?.stringValue == "snat-healer-akswin000000-")
            #expect(pod["spec"]?["terminationGracePeriodSeconds"]?.intValue == 0)
            #expect(pod["spec"]?["automountServiceAccountToken"]?.boolValue == false)
            #expect(pod["spec"]?["containers"]?[0]?["image"]?.stringValue == SNATConfiguration.defaultImage)
            #expect(pod["spec"]?["tolerations"]?[0]?["operator"]?.stringValue == "Exists")
            #expect(pod["metadata"]?["labels"]?["cops-vigilante/node"]?.stringValue == nodes[0])
            #expect(pod["metadata"]?["labels"]?["cops-vigilante/node-uid"]?.stringValue == env.uid(nodes[0]))
            #expect(pod["metadata"]?["ownerReferences"]?[0]?["kind"]?.stringValue == "Node")
            #expect(pod["metadata"]?["ownerReferences"]?[0]?["uid"]?.stringValue == env.uid(nodes[0]))

            // Rule 4: every interval a fresh pod replaces the previous one, on the node's own phase (rule 12:
            // the first renewal comes half an interval to an interval after the first pod, then every
            // interval); never two per node.
            var lastFresh = Dictionary(uniqueKeysWithValues: nodes.map { ($0, start) })
            while true {
                env.advance(after: outcome)
                let now = env.clock.now()
                if now >= start.addingTimeInterval(1800) { break }
                outcome = try await env.pass(harness)
                #expect(isRequeue(outcome, within: .milliseconds(100)...(.seconds(30))), "\(outcome)")
                for node in nodes {
                    let running = env.runningHealerPods(on: node)
                    #expect(running.count == 1, "node \(node) has \(running)")
                    let since = now.timeIntervalSince(lastFresh[node] ?? start)
                    if running != current[node] {
                        #expect(since >= 15 && since <= 30, "node \(node) renewed after \(since) s")
                        current[node] = running
                        lastFresh[node] = now
                    } else {
                        #expect(since < 30, "node \(node) kept its pod for \(since) s")
                    }
                }
            }
            #expect(env.clock.now() == start.addingTimeInterval(1800))
            for node in nodes {
                let created = await env.status(harness, node)?.podsCreated ?? 0
                #expect((60...61).contains(created), "node \(node): \(created) pods")
            }

            // Rule 5: at the end of the window pods go, the node is annotated, the completion recorded.
            outcome = try await env.pass(harness)
            #expect(outcome == .done)
            for node in nodes {
                #expect(env.runningHealerPods(on: node).isEmpty)
                #expect(env.healedAnnotation(node) == "true")
                #expect(env.events.reasons(for: node) == ["SNATHealingStarted", "SNATHealed"])
                #expect(await env.status(harness, node) == nil, "healed nodes are counted, not listed")
                #expect(try env.record(harness, node)?.completedAt == start.addingTimeInterval(1800))
            }
            #expect(env.allHealerPods().isEmpty)
            #expect(await harness.status().totals == SNATPhaseTotals(healing: 0, healed: 3, backoff: 0, notReady: 0))
            let patches = env.simulator.accessLog().filter { $0.verb == "patch" && $0.resource == "nodes" }
            #expect(patches.count == 3, "one merge patch per node: \(patches)")
            let stored = try await env.client.list(Event.self, namespace: "default").items
            #expect(stored.filter { $0.reason == "SNATHealed" && $0.type == "Normal" }.count == 3)

            // Metrics.
            let podsCreated = env.metrics.counter("vigilante_snat_healer_pods_created_total")
            #expect((180...183).contains(podsCreated))
            #expect(env.metrics.counter("cops_vigilante_snat_node_healing_attempts") == podsCreated)
            #expect(env.metrics.counter("vigilante_snat_nodes_healed_total") == 3)
            #expect(env.metrics.counter("vigilante_snat_windows_started_total") == 3)
            for node in nodes {
                #expect(
                    env.metrics.gauge("vigilante_snat_node_window_start_timestamp_seconds", [("node", node)]) == nil,
                    "a healed node's series are gone")
                #expect(env.metrics.gauge("vigilante_snat_node_window_end_timestamp_seconds", [("node", node)]) == nil)
            }
            #expect(env.metrics.gauge("vigilante_snat_nodes", [("phase", "healed")]) == 3)
            #expect(env.metrics.gauge("vigilante_snat_nodes", [("phase", "healing")]) == 0)
            let detections = env.metrics.timerSamples("vigilante_snat_detection_seconds")
            #expect(detections.count == 3)
            #expect(detections.allSatisfy { $0 >= 0 && $0 < 60_000_000_000 })

            // Healed nodes are left alone: later passes change nothing.
            env.simulator.clearAccessLog()
            for _ in 0..<3 {
                env.clock.advance(by: .seconds(30))
                #expect(try await env.pass(harness) == .done)
            }
            #expect(env.mutatingRequests().isEmpty, "\(env.mutatingRequests())")
        }
    }

    @Test func removingTheAnnotationOrSettingItFalseStartsANewWindow() async throws {
        try await SNATTestEnvironment.with { env in
            env.simulator.addNode(name: "akswin000000", os: "windows")
            env.simulator.addNode(name: "akswin000001", os: "windows")
            // Rule 2: "TRUE" is healed too; this node is never touched.
            env.simulator.addNode(
                name: "akswin000002", os: "windows", annotations: [SNATHealingRules.healedAnnotation: "TRUE"])
            let harness = try await env.harness(try env.settings(healingDuration: "2m"), store: try env.openStore())
            try await healAll(env, harness)
            #expect(env.healedAnnotation("akswin000000") == "true")
            #expect(env.healedAnnotation("akswin000001") == "true")

            // Right after completion the cache may still lack our annotation: no new window either way.
            #expect(try await harness.reconcile() == .done)
            #expect(env.events.reasons(for: "akswin000000") == ["SNATHealingStarted", "SNATHealed"])

            // Rule 6.
            env.simulator.setNodeAnnotation("akswin000000", key: SNATHealingRules.healedAnnotation, value: nil)
            env.simulator.setNodeAnnotation("akswin000001", key: SNATHealingRules.healedAnnotation, value: "false")
            env.clock.advance(by: .seconds(30))
            let restartedAt = env.clock.now()
            #expect(isRequeue(try await env.pass(harness), within: .seconds(15)...(.seconds(30))))
            for node in ["akswin000000", "akswin000001"] {
                #expect(env.runningHealerPods(on: node).count == 1)
                let status = try #require(await env.status(harness, node))
                #expect(status.phase == .healing)
                #expect(status.windowStartedAt == restartedAt)
                #expect(status.podsCreated == 1)
                #expect(env.events.reasons(for: node) == ["SNATHealingStarted", "SNATHealed", "SNATHealingStarted"])
            }
            try await healAll(env, harness)
            #expect(env.healedAnnotation("akswin000000") == "true")
            #expect(env.healedAnnotation("akswin000001") == "true")
            #expect(env.healedAnnotation("akswin000002") == "TRUE")
            #expect(env.events.reasons(for: "akswin000002").isEmpty)
            #expect(
                !env.simulator.accessLog().contains {
                    $0.resource == "nodes" && $0.verb == "patch" && $0.name == "akswin000002"
                })
        }
    }

    @Test func aNodeThatStopsBeingReadyMidWindowLosesItsWindowAndPods() async throws {
        // Passes a whole interval apart: every node's next pod is due in each, whatever its phase.
        try await SNATTestEnvironment.with { env in
            env.simulator.addNode(name: "akswin000000", os: "windows")
            env.simulator.addNode(name: "akswin000001", os: "windows")
            let harness = try await env.harness(try env.settings(), store: try env.openStore())
            _ = try await env.pass(harness)
            env.clock.advance(by: .seconds(30))
            _ = try await env.pass(harness)
            #expect(await env.status(harness, "akswin000000")?.podsCreated == 2)

            env.simulator.setNodeReady("akswin000000", false)
            env.clock.advance(by: .seconds(30))
            _ = try await env.pass(harness)
            #expect(env.runningHealerPods(on: "akswin000000").isEmpty)
            let notReady = try #require(await env.status(harness, "akswin000000"))
            #expect(notReady.phase == .notReady)
            #expect(notReady.windowStartedAt == nil)
            #expect(try env.records(harness).keys.allSatisfy { !$0.hasPrefix("akswin000000/") })
            #expect(env.metrics.counter("cops_vigilante_snat_number_of_not_ready_nodes_found") == 1)
            #expect(env.metrics.gauge("vigilante_snat_nodes", [("phase", "notReady")]) == 1)
            // The other node is not affected.
            #expect(env.runningHealerPods(on: "akswin000001").count == 1)
            #expect(await env.status(harness, "akswin000001")?.podsCreated == 3)

            // Still NotReady: counted once per spell, not once per pass.
            env.clock.advance(by: .seconds(30))
            _ = try await env.pass(harness)
            #expect(env.metrics.counter("cops_vigilante_snat_number_of_not_ready_nodes_found") == 1)

            // Ready again: healing starts over.
            env.simulator.setNodeReady("akswin000000", true)
            env.clock.advance(by: .seconds(30))
            let readyAgainAt = env.clock.now()
            _ = try await env.pass(harness)
            let restarted = try #require(await env.status(harness, "akswin000000"))
            #expect(restarted.phase == .healing)
            #expect(restarted.windowStartedAt == readyAgainAt)
            #expect(restarted.podsCreated == 1)
            #expect(env.runningHealerPods(on: "akswin000000").count == 1)
            #expect(env.events.reasons(for: "akswin000000") == ["SNATHealingStarted", "SNATHealingStarted"])
        }
    }

    @Test func aDeletedNodeAndANameReusedWithANewUIDAreHandledAsDifferentNodes() async throws {
        try await SNATTestEnvironment.with { env in
            env.simulator.addNode(name: "akswin000000", os: "windows")
            let firstUID = try #require(env.uid("akswin000000"))
            env.simulator.addNode(name: "akswin000001", os: "windows")
            env.simulator.addNode(name: "akswin000002", os: "windows")
            let harness = try await env.harness(try env.settings(healingDuration: "5m"), store: try env.openStore())
            var outcome = try await env.pass(harness)
            env.advance(after: outcome)
            outcome = try await env.pass(harness)

            // Rule 7: deleted mid-window: the record goes, and so do its pods (the API server's garbage
            // collector removes pods of a deleted node too; the task does not rely on it).
            env.simulator.deleteNode("akswin000000")
            env.advance(after: outcome)
            outcome = try await env.pass(harness)
            #expect(try env.records(harness)["akswin000000/\(firstUID)"] == nil)
            #expect(env.runningHealerPods(on: "akswin000000").isEmpty)
            #expect(await env.status(harness, "akswin000000") == nil)

            // AKS reuses the name: a new UID is a new node with a new window.
            env.simulator.addNode(name: "akswin000000", os: "windows")
            let secondUID = try #require(env.uid("akswin000000"))
            #expect(secondUID != firstUID)
            env.advance(after: outcome)
            let reusedAt = env.clock.now()
            outcome = try await env.pass(harness)
            let reused = try #require(await env.status(harness, "akswin000000"))
            #expect(reused.uid == secondUID)
            #expect(reused.windowStartedAt == reusedAt)
            #expect(reused.podsCreated == 1)

            // Re-created mid-window without the task seeing a gap (recreateNode: delete and register again).
            let oldUID = try #require(env.uid("akswin000001"))
            let newUID = env.simulator.recreateNode("akswin000001")
            env.advance(after: outcome)
            let recreatedAt = env.clock.now()
            outcome = try await env.pass(harness)
            let records = try env.records(harness)
            #expect(records["akswin000001/\(oldUID)"] == nil)
            #expect(records["akswin000001/\(newUID)"]?.windowStartedAt == recreatedAt)
            let pods = env.allHealerPods().filter { $0["spec"]?["nodeName"]?.stringValue == "akswin000001" }
            #expect(pods.count == 1)
            #expect(pods.first?["metadata"]?["labels"]?["cops-vigilante/node-uid"]?.stringValue == newUID)

            // A healed node re-created under its name is not healed: new window.
            try await healAll(env, harness)
            #expect(env.healedAnnotation("akswin000002") == "true")
            let healedUID = try #require(env.uid("akswin000002"))
            let replacementUID = env.simulator.recreateNode("akswin000002")
            #expect(env.healedAnnotation("akswin000002") == nil)
            env.clock.advance(by: .seconds(30))
            _ = try await env.pass(harness)
            let replacement = try #require(await env.status(harness, "akswin000002"))
            #expect(replacement.uid == replacementUID)
            #expect(replacement.phase == .healing)
            #expect(try env.records(harness)["akswin000002/\(healedUID)"] == nil)
            #expect(env.runningHealerPods(on: "akswin000002").count == 1)
        }
    }

    @Test func orphanedHealerPodsAreCleanedUp() async throws {
        try await SNATTestEnvironment.with { env in
            env.simulator.addNode(name: "akswin000000", os: "windows")
            let uid = try #require(env.uid("akswin000000"))
            // Left by an earlier run: one for a node that no longer exists, one for an earlier node of the
            // same name, and one for the live node that no record knows (a crash between create and save).
            createHealerPod(env, name: "snat-healer-gone-x1", node: "akswin999999", uid: "gone-uid")
            createHealerPod(env, name: "snat-healer-akswin000000-old", node: "akswin000000", uid: "earlier-uid")
            createHealerPod(env, name: "snat-healer-akswin000000-lost", node: "akswin000000", uid: uid)
            let harness = try await env.harness(try env.settings(), store: try env.openStore())
            _ = try await env.pass(harness)
            let names = env.allHealerPods().compactMap { $0["metadata"]?["name"]?.stringValue }
            #expect(names.count == 1, "\(names)")
            #expect(
                names.allSatisfy { $0.hasPrefix("snat-healer-akswin000000-") && $0 != "snat-healer-akswin000000-lost" })
            #expect(await env.status(harness, "akswin000000")?.currentPod == names.first)
        }
    }

    @Test func linuxNodesAndNodesWithoutTheOSLabelAreNeverTouched() async throws {
        try await SNATTestEnvironment.with { env in
            env.simulator.addNode(name: "akslinux000000", os: "linux")
            env.simulator.addNode(name: "aksnolabel0000", os: nil)
            env.simulator.addNode(name: "akswin000000", os: "windows")
            env.simulator.addNode(name: "akswincaps0000", os: "Windows")
            let harness = try await env.harness(try env.settings(healingDuration: "2m"), store: try env.openStore())
            let cached = harness.context.caches.cache(harness.task.windowsNodes).snapshot().map(\.name).sorted()
            #expect(cached == ["akswin000000", "akswincaps0000"], "only Windows nodes are even cached")
            _ = try await env.pass(harness)
            #expect(env.runningHealerPods(on: "akswin000000").count == 1)
            #expect(env.runningHealerPods(on: "akswincaps0000").count == 1)
            #expect(env.runningHealerPods(on: "akslinux000000").isEmpty)
            #expect(env.runningHealerPods(on: "aksnolabel0000").isEmpty)
            env.clock.advance(by: .seconds(30))
            try await healAll(env, harness)

            #expect(env.healedAnnotation("akswin000000") == "true")
            #expect(env.healedAnnotation("akswincaps0000") == "true", "the OS label is compared case-insensitively")
            for untouched in ["akslinux000000", "aksnolabel0000"] {
                #expect(env.healedAnnotation(untouched) == nil)
                #expect(env.events.reasons(for: untouched).isEmpty)
                #expect(!env.mutatingRequests().contains { $0.name == untouched })
                #expect(await env.status(harness, untouched) == nil)
            }
            #expect(await harness.status().totals.healed == 2)
            #expect(Set(try env.records(harness).values.map(\.nodeName)) == ["akswin000000", "akswincaps0000"])
        }
    }

    @Test func theNodeSelectorNarrowsTheWindowsNodesHealed() async throws {
        try await SNATTestEnvironment.with { env in
            env.simulator.addNode(name: "akswin22000000", os: "windows", labels: ["agentpool": "win22"])
            env.simulator.addNode(name: "akswin19000000", os: "windows", labels: ["agentpool": "win19"])
            env.simulator.addNode(name: "akslinux000000", os: "linux", labels: ["agentpool": "win22"])
            #expect(
                SNATTask.windowsNodeSelector(narrowedBy: "agentpool=win22")
                    == "kubernetes.io/os in (windows,Windows,WINDOWS),agentpool=win22")
            env.selectedNodeLabels.withLock { $0 = ["agentpool": "win22"] }
            let harness = try await env.harness(
                try env.settings("nodeSelector: agentpool=win22", healingDuration: "1m"), store: try env.openStore())
            try await healAll(env, harness)
            #expect(env.healedAnnotation("akswin22000000") == "true")
            #expect(env.healedAnnotation("akswin19000000") == nil)
            #expect(env.healedAnnotation("akslinux000000") == nil)
            #expect(await harness.status().totals.healed == 1)
            #expect(try env.records(harness).values.map(\.nodeName) == ["akswin22000000"])
        }
    }

    @Test func noNodeHasTwoRunningHealerPodsAfterAPassEvenWithoutWaitingForTheCache() async throws {
        try await SNATTestEnvironment.with { env in
            let nodes = (0..<4).map { "akswin00000\($0)" }
            for node in nodes { env.simulator.addNode(name: node, os: "windows") }
            let harness = try await env.harness(try env.settings(), store: try env.openStore())
            // Passes back to back, each as soon as the previous ends: the pod cache lags the creates and
            // deletes, and the records carry the pods to replace.
            for _ in 0..<25 {
                env.clock.advance(by: .seconds(30))
                _ = try await harness.reconcile()
                for node in nodes {
                    let running = env.runningHealerPods(on: node)
                    #expect(running.count == 1, "node \(node) has \(running)")
                }
            }
            // Early passes between intervals (a watch event woke the task) create nothing.
            let created = env.metrics.counter("vigilante_snat_healer_pods_created_total")
            for _ in 0..<5 { _ = try await harness.reconcile() }
            #expect(env.metrics.counter("vigilante_snat_healer_pods_created_total") == created)
            for node in nodes { #expect(env.runningHealerPods(on: node).count == 1) }
        }
    }

    @Test func aRestartMidWindowContinuesTheWindowFromTheStore() async throws {
        try await SNATTestEnvironment.with { env in
            let nodes = ["akswin000000", "akswin000001"]
            for node in nodes { env.simulator.addNode(name: node, os: "windows") }
            let settings = try env.settings()
            let start = env.clock.now()
            let first = try await env.harness(settings, store: try env.openStore())
            var outcome = try await env.pass(first)
            // Passes a whole interval apart: every node's next pod is due in each, whatever its phase.
            for _ in 0..<20 {
                env.clock.advance(by: .seconds(30))
                outcome = try await env.pass(first)
            }
            #expect(env.clock.now() == start.addingTimeInterval(600))
            let before = Dictionary(uniqueKeysWithValues: nodes.map { ($0, env.runningHealerPods(on: $0)) })
            // The operator dies (its store is not closed) and a new one starts on the same store file.
            await first.shutdown()
            let second = try await env.harness(settings, store: try env.openStore())
            for node in nodes {
                let status = try #require(await env.status(second, node))
                #expect(status.windowStartedAt == start, "status before the first pass comes from the store")
                #expect(status.podsCreated == 21)
            }
            env.clock.advance(by: .seconds(30))
            outcome = try await env.pass(second)
            for node in nodes {
                let running = env.runningHealerPods(on: node)
                #expect(running.count == 1)
                #expect(running != before[node], "the pod of the previous process was replaced")
                #expect(await env.status(second, node)?.podsCreated == 22)
            }
            while env.healedAnnotation(nodes[0]) == nil, env.clock.now() < start.addingTimeInterval(3600) {
                env.advance(after: outcome)
                outcome = try await env.pass(second)
            }
            for node in nodes {
                #expect(try env.record(second, node)?.completedAt == start.addingTimeInterval(1800))
                #expect(env.events.reasons(for: node) == ["SNATHealingStarted", "SNATHealed"])
                #expect(env.healedAnnotation(node) == "true")
            }
        }
    }
}

/// Runs passes, advancing the clock as the task asks, until no Windows node is healing.
/// Whether `outcome` asks for a pass after a delay in `range`.
func isRequeue(_ outcome: TaskOutcome, within range: ClosedRange<Duration>) -> Bool {
    if case .requeue(let after) = outcome { return range.contains(after) }
    return false
}

func healAll(_ env: SNATTestEnvironment, _ harness: TaskHarness<SNATTask>, maxPasses: Int = 500) async throws {
    for _ in 0..<maxPasses {
        let outcome = try await env.pass(harness)
        let status = await harness.status()
        if status.totals.healing == 0, status.totals.backoff == 0 { return }
        env.advance(after: outcome)
    }
    Issue.record("nodes still healing after \(maxPasses) passes")
}

/// Creates a pod labelled as a healer pod directly in the simulator (as an earlier run would have left it).
func createHealerPod(_ env: SNATTestEnvironment, name: String, node: String, uid: String) {
    let pod: JSONValue = [
        "metadata": [
            "name": .string(name), "namespace": .string(SNATTestEnvironment.namespace),
            "labels": [
                "app.kubernetes.io/managed-by": "cops-vigilante", "cops-vigilante/task": "snat",
                "cops-vigilante/node": .string(node), "cops-vigilante/node-uid": .string(uid),
            ],
        ],
        "spec": [
            "nodeName": .string(node), "terminationGracePeriodSeconds": 0,
            "containers": [["name": "pause", "image": .string(SNATConfiguration.defaultImage)]],
        ],
    ]
    env.simulator.create(apiVersion: "v1", resource: "pods", pod)
}
