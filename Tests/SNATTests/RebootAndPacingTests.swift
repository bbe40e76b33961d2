import ClusterSimulator
import Foundation
import Testing
import VigilanteCore

@testable import SNAT

/// Rules 11 (nodes that reboot are healed again) and 12 (paced writes), against the simulated API server
/// over HTTPS.
@Suite struct RebootAndPacingTests {
    static let node = "akswin000000"
    static let other = "akswin000001"

    // MARK: Rule 11

    @Test func aHealedNodeThatRebootsIsHealedAgain() async throws {
        try await SNATTestEnvironment.with { env in
            env.simulator.addNode(name: Self.node, os: "windows")
            env.simulator.addNode(name: Self.other, os: "windows")
            let harness = try await env.harness(try env.settings(healingDuration: "2m"), store: try env.openStore())
            try await healAll(env, harness)
            let firstBoot = try #require(env.bootID(Self.node))
            #expect(try env.record(harness, Self.node)?.bootID == firstBoot, "the boot ID is recorded when healed")
            #expect(env.healedAnnotation(Self.node) == "true")

            // The kubelet reboots the node: NotReady with a new boot ID, then Ready.
            let newBoot = await env.simulator.rebootNode(Self.node)
            #expect(newBoot != firstBoot)
            env.clock.advance(by: .seconds(5))
            let restartedAt = env.clock.now()
            try await env.pass(harness)
            #expect(env.healedAnnotation(Self.node) == "false", "not shown healed while it is not")
            #expect(env.runningHealerPods(on: Self.node).count == 1)
            #expect(
                env.events.reasons(for: Self.node) == [
                    "SNATHealingStarted", "SNATHealed", "SNATHealingRestartedAfterReboot",
                ])
            let restart = try #require(env.events.all.last { $0.node == Self.node })
            #expect(restart.message.contains("rebooted since it was healed"), "\(restart.message)")
            #expect(restart.message.contains(newBoot), "\(restart.message)")
            #expect(
                env.notifications.of(.healingRestarted).map { "\($0.subject): \($0.detail ?? "")" } == [
                    "\(Self.node): the node rebooted since it was healed"
                ])
            let restarted = try #require(try env.record(harness, Self.node))
            #expect(restarted.isHealing && restarted.startReason == .rebooted)
            #expect(restarted.windowStartedAt == restartedAt)
            #expect(restarted.bootID == newBoot)
            // The other node did not reboot: left alone.
            #expect(env.events.reasons(for: Self.other) == ["SNATHealingStarted", "SNATHealed"])
            #expect(env.runningHealerPods(on: Self.other).isEmpty)

            // A pass before the cache shows our own reset of the annotation keeps the window.
            _ = try await harness.reconcile()
            #expect(try env.record(harness, Self.node)?.isHealing == true)
            #expect(env.healedAnnotation(Self.node) == "false")
            try await env.pass(harness)
            let status = try #require(await env.status(harness, Self.node))
            #expect(status.phase == .healing)
            #expect(status.windowStartedAt == restartedAt)

            try await healAll(env, harness)
            #expect(env.healedAnnotation(Self.node) == "true")
            #expect(try env.record(harness, Self.node)?.bootID == newBoot)
            #expect(
                env.events.reasons(for: Self.node) == [
                    "SNATHealingStarted", "SNATHealed", "SNATHealingRestartedAfterReboot", "SNATHealed",
                ])
            let stored = try await env.client.list(Event.self, namespace: "default").items
            #expect(stored.contains { $0.reason == "SNATHealingRestartedAfterReboot" && $0.type == "Normal" })

            // Healed in this boot: later passes change nothing.
            env.simulator.clearAccessLog()
            env.clock.advance(by: .seconds(30))
            #expect(try await env.pass(harness) == .done)
            #expect(env.mutatingRequests().isEmpty, "\(env.mutatingRequests())")
        }
    }

    @Test func nodesHealedBeforeBootIDsWereRecordedStayHealedAfterAReboot() async throws {
        try await SNATTestEnvironment.with { env in
            let healed = [SNATHealingRules.healedAnnotation: "true"]
            let uid = env.simulator.addNode(name: Self.node, os: "windows", annotations: healed)
            // Annotated by the original release or by hand: no record at all.
            env.simulator.addNode(name: Self.other, os: "windows", annotations: healed)
            let store = try env.openStore()
            // A record as the previous version wrote it (no bootID key).
            struct EarlierRecord: Encodable {
                var nodeName = RebootAndPacingTests.node
                var nodeUID: String
                var windowStartedAt = Date(timeIntervalSince1970: 1_700_000_000)
                var startReason = "firstSeenReady"
                var podsCreated = 60
                var retiredPods: [String] = []
                var consecutiveErrors = 0
                var completedAt = Date(timeIntervalSince1970: 1_700_001_800)
            }
            try store.namespace(SNATTask.name).save(
                EarlierRecord(nodeUID: uid), collection: "nodes", key: NodeHealingRecord.key(name: Self.node, uid: uid))
            let harness = try await env.harness(try env.settings(), store: store)
            #expect(try env.record(harness, Self.node)?.bootID == nil)
            #expect(try env.record(harness, Self.node)?.completedAt != nil)

            await env.simulator.rebootNode(Self.node)
            await env.simulator.rebootNode(Self.other)
            env.simulator.clearAccessLog()
            #expect(try await env.pass(harness) == .done)
            env.clock.advance(by: .seconds(30))
            #expect(try await env.pass(harness) == .done)
            #expect(env.mutatingRequests().isEmpty, "\(env.mutatingRequests())")
            for node in [Self.node, Self.other] {
                #expect(env.healedAnnotation(node) == "true")
                #expect(env.runningHealerPods(on: node).isEmpty)
                #expect(env.events.reasons(for: node).isEmpty)
            }
        }
    }

    @Test func withTheSwitchOffARebootedNodeStaysHealed() async throws {
        try await SNATTestEnvironment.with { env in
            env.simulator.addNode(name: Self.node, os: "windows")
            let settings = try env.settings("healAfterReboot: false", healingDuration: "2m")
            let harness = try await env.harness(settings, store: try env.openStore())
            try await healAll(env, harness)
            #expect(try env.record(harness, Self.node)?.bootID == env.bootID(Self.node))

            await env.simulator.rebootNode(Self.node)
            env.simulator.clearAccessLog()
            env.clock.advance(by: .seconds(30))
            #expect(try await env.pass(harness) == .done)
            #expect(env.mutatingRequests().isEmpty, "\(env.mutatingRequests())")
            #expect(env.healedAnnotation(Self.node) == "true")
            #expect(env.events.reasons(for: Self.node) == ["SNATHealingStarted", "SNATHealed"])
        }
    }

    @Test func aDryRunReportsTheHealingAfterARebootAndChangesNothing() async throws {
        try await SNATTestEnvironment.with { env in
            env.simulator.addNode(name: Self.node, os: "windows")
            let settings = try env.settings("dryRun: true", healingDuration: "2m")
            let harness = try await env.harness(settings, store: try env.openStore())
            try await healAll(env, harness)
            await env.simulator.rebootNode(Self.node)
            env.simulator.clearAccessLog()
            env.clock.advance(by: .seconds(30))
            try await env.pass(harness)
            let actions = await harness.status().lastPassActions
            #expect(
                actions.contains {
                    $0.contains("would annotate node \(Self.node) \(SNATHealingRules.healedAnnotation)=false")
                })
            #expect(actions.contains { $0.contains("would create a healer pod") }, "\(actions)")
            #expect(try env.records(harness, dryRun: true).values.first?.startReason == .rebooted)
            // The dry run's window goes on (the annotation it pretended to reset stays "false" for it).
            try await healAll(env, harness)
            #expect(try env.records(harness, dryRun: true).values.first?.bootID == env.bootID(Self.node))
            #expect(env.mutatingRequests().isEmpty, "\(env.mutatingRequests())")
        }
    }

    @Test func rule11AsAPureDecision() {
        var rules = SNATHealingRules(
            healingDuration: .seconds(1800), podInterval: .seconds(30),
            backoff: NodeBackoff(base: .seconds(10), cap: .seconds(600)))
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        func node(boot: String?) -> Node {
            Node(
                metadata: ObjectMeta(
                    name: Self.node, uid: "uid-1", labels: ["kubernetes.io/os": "windows"],
                    annotations: [SNATHealingRules.healedAnnotation: "true"]),
                status: NodeStatus(
                    conditions: [NodeCondition(type: "Ready", status: "True")], nodeInfo: NodeSystemInfo(bootID: boot)))
        }
        var record = NodeHealingRecord(node: node(boot: "boot-1"), windowStartedAt: now - 3600, reason: .firstSeenReady)
        record.completedAt = now - 1800
        #expect(record.bootID == "boot-1")
        #expect(rules.plan(for: node(boot: "boot-1"), record: record, now: now) == .leaveAlone(.healed))
        #expect(rules.plan(for: node(boot: "boot-2"), record: record, now: now) == .healAfterReboot)
        // An unknown boot ID (an empty one, as on a node object created through the API) proves nothing.
        #expect(rules.plan(for: node(boot: ""), record: record, now: now) == .leaveAlone(.healed))
        // A failed attempt backs off like any other step.
        var failing = record
        failing.recordFailure("annotateNode: boom", at: now, backoff: rules.backoff)
        #expect(rules.plan(for: node(boot: "boot-2"), record: failing, now: now) == .backOff(until: now + 10))
        #expect(rules.plan(for: node(boot: "boot-2"), record: failing, now: now + 10) == .healAfterReboot)
        // Healed by an earlier version: no boot ID recorded, stays healed.
        var earlier = record
        earlier.bootID = nil
        #expect(rules.plan(for: node(boot: "boot-2"), record: earlier, now: now) == .leaveAlone(.healed))
        // Switched off.
        rules.healAfterReboot = false
        #expect(rules.plan(for: node(boot: "boot-2"), record: record, now: now) == .leaveAlone(.healed))
    }

    // MARK: Rule 12

    @Test func renewalsKeepEachNodesPhaseAndAreSpreadOverTheInterval() {
        let rules = SNATHealingRules(
            healingDuration: .seconds(1800), podInterval: .seconds(30),
            backoff: NodeBackoff(base: .seconds(10), cap: .seconds(600)))
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var firstRenewals: [Int: Int] = [:]
        func onPhase(_ date: Date, _ record: NodeHealingRecord) -> Bool {
            let offset = (date.timeIntervalSinceReferenceDate - rules.renewalPhase(of: record))
                .truncatingRemainder(dividingBy: 30)
            return abs(offset) < 1e-6 || abs(offset - 30) < 1e-6
        }
        for index in 0..<500 {
            let node = Node(metadata: ObjectMeta(name: "akswin\(index)", uid: UUID().uuidString.lowercased()))
            var record = NodeHealingRecord(node: node, windowStartedAt: start, reason: .firstSeenReady)
            record.lastPodAt = start
            // Never sooner than half an interval after the last pod, never later than one.
            let first = rules.nextPodDue(record, now: start)
            #expect(first.timeIntervalSince(start) >= 15 && first.timeIntervalSince(start) <= 30)
            firstRenewals[Int(first.timeIntervalSince(start)), default: 0] += 1
            record.lastPodAt = first
            let second = rules.nextPodDue(record, now: first)
            #expect(second.timeIntervalSince(first) >= 15 && second.timeIntervalSince(first) <= 30)
            #expect(onPhase(second, record), "from the second renewal on, the node is on its phase")
            // A pass that runs late by up to half an interval does not move the node's phase.
            record.lastPodAt = second.addingTimeInterval(7)
            #expect(rules.nextPodDue(record, now: second) == second.addingTimeInterval(30))
        }
        // 500 nodes whose windows started together are renewed over 16 different seconds (15 to 30 s after
        // their first pods), a small share in each, instead of all 500 in one pass.
        #expect(firstRenewals.count == 16, "\(firstRenewals.sorted { $0.key < $1.key })")
        #expect(firstRenewals.values.max() ?? 0 < 80, "\(firstRenewals.sorted { $0.key < $1.key })")
    }

    @Test func aScaleUpOf500NodesHealsWithoutAFailedNodeUnderTheServersWriteLimit() async throws {
        let limiter = WriteRateLimiter(qps: 100, burst: 10)
        try await SNATTestEnvironment.with(clientConfiguration: KubernetesClientConfiguration(writeLimiter: limiter)) {
            env in
            // The server answers 429 with Retry-After beyond 8 writes in flight, as a real API server under
            // API Priority and Fairness does; every write takes 20 ms.
            env.simulator.setWriteConcurrencyLimit(8, retryAfterSeconds: 1)
            env.simulator.setLatency(.milliseconds(20))
            let nodes = (0..<500).map { String(format: "akswin%06d", $0) }
            for node in nodes { env.simulator.addNode(name: node, os: "windows") }
            let harness = try await env.harness(try env.settings(), store: try env.openStore())
            env.simulator.clearAccessLog()

            var outcome = try await env.pass(harness)
            var status = await harness.status()
            #expect(status.totals == SNATPhaseTotals(healing: 500, healed: 0, backoff: 0, notReady: 0))
            #expect(status.nodes.allSatisfy { $0.lastError == nil && $0.podsCreated == 1 })
            #expect(env.allHealerPods().count == 500)
            // The client never sent more writes in one second than its limit allows (qps + burst; a tenth more
            // for the transport's jitter between the limiter and the server). Unpaced, the 16 nodes worked on
            // at once would send up to 400 per second (8 in flight, 20 ms each).
            let firstPeak = env.simulator.peakWritesPerSecond()
            #expect(firstPeak > 0 && firstPeak <= 120, "peak \(firstPeak) writes/s")

            // One interval of renewals: spread over the passes of the interval, each node renewed once.
            let start = env.clock.now()
            var passes = 0
            var mostRenewalsInAPass = 0
            while env.clock.now() < start.addingTimeInterval(30) {
                env.advance(after: outcome)
                outcome = try await env.pass(harness)
                passes += 1
                // A renewal is two actions: a pod created, the previous one deleted.
                mostRenewalsInAPass = max(mostRenewalsInAPass, await harness.status().lastPassActionCount / 2)
            }
            status = await harness.status()
            #expect(status.totals.healing == 500 && status.totals.backoff == 0)
            #expect(
                status.nodes.allSatisfy { $0.podsCreated == 2 && $0.lastError == nil },
                "every node renewed once in the interval, none failed")
            #expect(passes >= 10, "renewals are spread over \(passes) passes")
            #expect(mostRenewalsInAPass < 80, "at most \(mostRenewalsInAPass) renewals in one pass")
            #expect(env.simulator.peakWritesPerSecond() <= 120)
        }
    }
}

extension SNATTestEnvironment {
    /// The node's `status.nodeInfo.bootID` as the API server has it.
    func bootID(_ node: String) -> String? {
        simulator.node(node)?["status"]?["nodeInfo"]?["bootID"]?.stringValue
    }
}
