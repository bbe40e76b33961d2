import Foundation
import Logging
import Synchronization
import VigilanteCore

/// Heals the AKS Windows SNAT problem (BRIEF.md section 2): every Windows node that becomes Ready gets
/// a fresh pause pod every interval for a healing window, so the CNI reloads its configuration, and is
/// then annotated `cops-vigilante-snat-node-healed: "true"`. The rules are in ``SNATHealingRules``.
///
/// Windows nodes are watched with a server-side label selector (no periodic list of every node); a node
/// change runs the task early, so a node turning Ready gets its first healer pod within about a second.
public struct SNATTask: VigilanteTask {
    public static let name = "snat"

    /// Windows nodes (narrowed by `tasks.snat.nodeSelector`); a change runs the task early.
    ///
    /// The selector is `kubernetes.io/os in (windows,Windows,WINDOWS)`: rule 1 compares the label
    /// case-insensitively, but the API server's selectors are exact. The kubelet always writes `windows`
    /// (Go's `runtime.GOOS`), so the other spellings only come from hand-edited labels; the three common
    /// ones are accepted in the same single watch, and the exact comparison is repeated client-side in
    /// lower case. Watching every node instead would cost memory and events for every Linux node, which is
    /// what the original release's full list did.
    public let windowsNodes: WatchedResource<Node>
    /// The healer pods in the healer namespace; they do not run the task early.
    public let healerPods: WatchedResource<Pod>

    let configuration: SNATConfiguration
    let rules: SNATHealingRules
    let podSpec: HealerPodSpec
    private let memory = Memory()

    /// Nodes worked on at once in a pass: enough for a thousand new nodes in a few seconds, few enough
    /// not to flood the API server.
    static let nodeConcurrency = 16

    /// The server-side selector of the nodes the task watches.
    public static func windowsNodeSelector(narrowedBy extra: String?) -> String {
        let windows = "\(SNATHealingRules.osLabel) in (windows,Windows,WINDOWS)"
        guard let extra = extra?.trimmingCharacters(in: .whitespaces), !extra.isEmpty else { return windows }
        return windows + "," + extra
    }

    public init(configuration: SNATConfiguration, settings: TaskSettings) {
        self.configuration = configuration
        rules = SNATHealingRules(
            healingDuration: configuration.healingDuration, podInterval: settings.interval,
            backoff: NodeBackoff(base: configuration.backoffBase, cap: configuration.backoffCap),
            healAfterReboot: configuration.healAfterReboot)
        podSpec = HealerPodSpec(configuration: configuration)
        windowsNodes = WatchedResource(
            "windowsNodes",
            configuration: ResourceCacheConfiguration(
                labelSelector: Self.windowsNodeSelector(narrowedBy: configuration.nodeSelector)),
            triggersRun: true)
        healerPods = WatchedResource(
            "healerPods",
            configuration: ResourceCacheConfiguration(
                namespace: configuration.namespace, labelSelector: HealerPodSpec.selector),
            triggersRun: false)
    }

    public var watchedResources: [WatchedResourceDeclaration] {
        [windowsNodes.declaration, healerPods.declaration]
    }

    // MARK: Reconcile

    public func reconcile(_ context: TaskContext) async throws -> TaskOutcome {
        let now = context.clock.now()
        let ledger = HealingLedger(store: context.store, dryRun: context.dryRun)
        let nodes = context.caches.cache(windowsNodes).snapshot().filter(SNATHealingRules.isWindows)
        let pods = context.caches.cache(healerPods).snapshot()
        var records = try ledger.all()
        let podsByNodeUID = Dictionary(grouping: pods) { HealerPodSpec.nodeUID(of: $0) ?? "" }

        // Rules 3 to 8, node by node, a bounded number at a time: one node's failure or slowness never
        // holds up another.
        var outcomes: [String: NodeHealingPass.Outcome] = [:]
        try await withThrowingTaskGroup(of: (String, NodeHealingPass.Outcome).self) { group in
            var pending = nodes.makeIterator()
            func startNext() -> Bool {
                guard let node = pending.next() else { return false }
                let key = NodeHealingRecord.key(of: node)
                let record = records[key]
                let nodePods = podsByNodeUID[node.metadata.uid ?? ""] ?? []
                group.addTask {
                    var pass = NodeHealingPass(
                        node: node, record: record, healerPods: nodePods, rules: rules, podSpec: podSpec,
                        ledger: ledger, context: context, now: now)
                    return (key, try await pass.run())
                }
                return true
            }
            for _ in 0..<Self.nodeConcurrency where !startNext() { break }
            while let (key, outcome) = try await group.next() {
                outcomes[key] = outcome
                _ = startNext()
            }
        }
        for (key, outcome) in outcomes { records[key] = outcome.record }

        // Rule 7 for deleted nodes (and nodes re-created under a new UID, or no longer selected): the
        // record goes, and so do the healer pods, including orphans left by an earlier run.
        let liveKeys = Set(nodes.map(NodeHealingRecord.key(of:)))
        var leftovers: [String] = []
        for (key, record) in records where !liveKeys.contains(key) {
            try ledger.remove(key)
            records[key] = nil
            leftovers += (record.currentPod.map { [$0] } ?? []) + record.retiredPods
            context.logger.info("node gone: healing record dropped", metadata: ["node": "\(record.nodeName)"])
            if nodes.contains(where: { $0.name == record.nodeName && SNATHealingRules.isCandidate($0) }) {
                context.notifications.send(.healingRestarted(record.nodeName, cause: "the node was re-created"))
            }
        }
        let liveUIDs = Set(nodes.compactMap(\.metadata.uid))
        leftovers += pods.filter { pod in
            !HealerPodSpec.isTerminating(pod) && !liveUIDs.contains(HealerPodSpec.nodeUID(of: pod) ?? "")
        }.map(\.name)
        var actions = nodes.sorted { $0.name < $1.name }.flatMap {
            outcomes[NodeHealingRecord.key(of: $0)]?.actions ?? []
        }
        actions += await removeOrphanedPods(leftovers, context: context)

        report(outcomes: outcomes.values, nodes: nodes, records: records, actions: actions, context: context, now: now)
        return nextPass(records: records.values, now: now)
    }

    /// Deletes healer pods whose node is gone (or no longer selected); a pod already gone is fine.
    private func removeOrphanedPods(_ names: [String], context: TaskContext) async -> [String] {
        var actions: [String] = []
        var seen = Set<String>()
        for name in names where seen.insert(name).inserted {
            if context.dryRun {
                actions.append("would delete orphaned healer pod \(podSpec.namespace)/\(name)")
                context.logger.info("dry-run: would delete orphaned healer pod", metadata: ["pod": "\(name)"])
                continue
            }
            do {
                try await context.client.delete(
                    Pod.self, name: name, namespace: podSpec.namespace, options: DeleteOptions(gracePeriodSeconds: 0))
                actions.append("deleted orphaned healer pod \(podSpec.namespace)/\(name)")
            } catch KubernetesError.notFound {
                continue
            } catch {
                // Retried by the next pass, which still sees the pod.
                SNATMetrics(factory: context.metrics).stepFailed("deletePod")
                context.logger.warning(
                    "could not delete orphaned healer pod", metadata: ["pod": "\(name)", "error": "\(error)"])
            }
        }
        return actions
    }

    /// Metrics and the status snapshot of the pass.
    private func report(
        outcomes: some Collection<NodeHealingPass.Outcome>, nodes: [Node], records: [String: NodeHealingRecord],
        actions: [String], context: TaskContext, now: Date
    ) {
        let metrics = SNATMetrics(factory: context.metrics)
        let notReady = Set(nodes.filter { !$0.isReady }.map(NodeHealingRecord.key(of:)))
        let newlyNotReady = memory.notReadyNodes.withLock { seen in
            defer { seen = notReady }
            return notReady.subtracting(seen).count
        }
        metrics.notReadyNodesFound(newlyNotReady)
        for outcome in outcomes {
            outcome.failedSteps.forEach(metrics.stepFailed)
            if context.dryRun { continue }
            metrics.healerPodsCreated(outcome.podsCreated)
            metrics.nodesHealed(outcome.healed ? 1 : 0)
            metrics.windowsStarted(outcome.windowStarted ? 1 : 0)
            if let detection = outcome.detection { metrics.detection(detection) }
        }
        let status = SNATStatus(
            nodes: nodes, records: records, rules: rules, dryRun: context.dryRun, now: now, actions: actions)
        metrics.nodes(status.totals)
        memory.nodeSeries.withLock { series in
            series = metrics.nodeSeries(context.dryRun ? [] : status.nodes, previous: series)
        }
        memory.status.withLock { $0 = status }
    }

    /// The next pass is due when the first node needs one: its next pod, its window's end or its retry.
    private func nextPass(records: some Collection<NodeHealingRecord>, now: Date) -> TaskOutcome {
        guard let next = records.compactMap({ rules.nextWake(for: $0, now: now) }).min() else { return .done }
        // Whole milliseconds: dates carry binary fractions of a second.
        let delay = Duration.milliseconds(Int64((next.timeIntervalSince(now) * 1000).rounded()))
        guard delay <= rules.podInterval else { return .done }
        return .requeue(after: max(delay, .milliseconds(100)))
    }

    // MARK: Status

    public func status(_ context: TaskContext) async -> SNATStatus {
        if let status = memory.status.withLock({ $0 }) { return status }
        // Before the first pass: what the store and the caches say.
        let records = (try? HealingLedger(store: context.store, dryRun: context.dryRun).all()) ?? [:]
        let nodes = context.caches.cache(windowsNodes).snapshot().filter(SNATHealingRules.isWindows)
        return SNATStatus(
            nodes: nodes, records: records, rules: rules, dryRun: context.dryRun, now: context.clock.now(), actions: [])
    }

    public func statusPage(_ status: SNATStatus) -> StatusPageSection? { status.statusPage }

    public static var metricHelp: [String: String] { SNATMetrics.help }

    /// What the task keeps between passes in memory: the status snapshot, and the NotReady nodes last seen.
    private final class Memory: Sendable {
        let status = Mutex<SNATStatus?>(nil)
        let notReadyNodes = Mutex<Set<String>>([])
        /// The per-node metric series set by the last pass.
        let nodeSeries = Mutex<Set<String>>([])
    }
}
