import Foundation
import Synchronization
import VigilanteCore

// snippet:task
/// Deletes evicted pods once they are older than `minAge`: Kubernetes keeps them until the cluster-wide
/// terminated-pod threshold (12,500 by default), so they clutter `kubectl get pods` and monitoring for
/// weeks. The rules are in ``EvictedPodRules``.
///
/// Pods are watched with the field selector `status.phase=Failed`, so the cache holds failed pods only,
/// and a pod failing runs the task early.
public struct EvictedPodCleanupTask: VigilanteTask {
    public static let name = "evicted-pod-cleanup"

    /// Failed pods in every namespace (narrowed by `labelSelector`); a change runs the task early.
    public let failedPods: WatchedResource<Pod>

    let rules: EvictedPodRules
    let interval: Duration
    private let memory = Memory()

    public init(configuration: EvictedPodCleanupConfiguration, settings: TaskSettings) {
        rules = EvictedPodRules(configuration: configuration)
        interval = settings.interval
        failedPods = WatchedResource(
            "failedPods",
            configuration: ResourceCacheConfiguration(
                labelSelector: configuration.labelSelector, fieldSelector: "status.phase=Failed"),
            triggersRun: true)
    }

    public var watchedResources: [WatchedResourceDeclaration] { [failedPods.declaration] }
    // end-snippet

    public static var metricHelp: [String: String] { EvictedPodCleanupMetrics.help }

    // MARK: Reconcile

    // snippet:reconcile
    public func reconcile(_ context: TaskContext) async throws -> TaskOutcome {
        let now = context.clock.now()
        let plan = rules.plan(context.caches.cache(failedPods).snapshot(), now: now)
        var totals = try CleanupTotals.load(from: context.store)
        var pass = PassReport()

        deletions: for pod in plan.delete {
            try Task.checkCancellation()
            let podName = "\(pod.namespace ?? "")/\(pod.name)"
            if context.dryRun {
                pass.wouldDelete += 1
                pass.actions.append("would delete evicted pod \(podName)")
                continue
            }
            do {
                // The UID precondition spares a new pod that took the evicted pod's name (StatefulSets).
                try await context.client.delete(
                    Pod.self, name: pod.name, namespace: pod.namespace,
                    options: DeleteOptions(preconditionUID: pod.metadata.uid))
            } catch KubernetesError.notFound, KubernetesError.conflict {
                pass.alreadyGone += 1
                continue
            } catch {
                pass.failed += 1
                totals.lastError = "deleting \(podName): \(error)"
                totals.lastErrorAt = now
                context.logger.warning(
                    "could not delete evicted pod", metadata: ["pod": "\(podName)", "error": "\(error)"])
                // Without permission every other deletion would fail the same way.
                if case .forbidden? = error as? KubernetesError { break deletions }
                continue
            }
            pass.deleted += 1
            pass.actions.append("deleted evicted pod \(podName)")
            totals.deletedTotal += 1
            try totals.save(to: context.store)
            await recordDeletion(of: pod, now: now, context: context)
        }
        if pass.failed > 0 { try totals.save(to: context.store) }

        report(plan: plan, pass: pass, totals: totals, context: context, now: now)
        if pass.failed > 0, let error = totals.lastError {
            return .failed("\(pass.failed) evicted pod(s) could not be deleted; last error: \(error)")
        }
        return nextPass(plan: plan, now: now)
    }
    // end-snippet

    /// A Normal Event on the deleted pod's owner (its ReplicaSet, Job, StatefulSet...), so that
    /// `kubectl describe` of the workload shows where its evicted pods went. Pods without owners get none.
    private func recordDeletion(of pod: Pod, now: Date, context: TaskContext) async {
        guard let owner = EvictedPodRules.owner(of: pod) else { return }
        let age = EvictedPodRules.lastTransition(of: pod).map { Duration.seconds(now.timeIntervalSince($0)) }
        let evictedAgo = age.map { " (evicted \(Duration.seconds(Int($0.seconds)).configText) ago)" } ?? ""
        await context.events.record(
            on: owner, type: .normal, reason: "EvictedPodDeleted",
            message: "Deleted evicted pod \(pod.name)\(evictedAgo)")
    }

    /// Metrics and the status snapshot of the pass.
    private func report(
        plan: CleanupPlan, pass: PassReport, totals: CleanupTotals, context: TaskContext, now: Date
    ) {
        let metrics = EvictedPodCleanupMetrics(factory: context.metrics)
        metrics.deleted(pass.deleted)
        metrics.deleteFailed(pass.failed)
        metrics.lastPass(evicted: plan.evicted, skipped: plan.skipped)
        let status = EvictedPodCleanupStatus(
            dryRun: context.dryRun, minAge: rules.minAge.configText, lastRunAt: now, evictedPods: plan.evicted,
            deletedLastRun: pass.deleted, wouldDeleteLastRun: pass.wouldDelete, deletedTotal: totals.deletedTotal,
            alreadyGoneLastRun: pass.alreadyGone, failedLastRun: pass.failed, skippedLastRun: plan.skipped,
            lastError: totals.lastError, lastErrorAt: totals.lastErrorAt,
            lastPassActions: Array(pass.actions.prefix(100)),
            lastPassActionCount: pass.actions.count)
        memory.status.withLock { $0 = status }
    }

    /// The next pass is due at the interval, or sooner when a kept pod reaches `minAge` before that.
    private func nextPass(plan: CleanupPlan, now: Date) -> TaskOutcome {
        guard let next = plan.nextMaturity else { return .done }
        let delay = Duration.seconds(next.timeIntervalSince(now))
        guard delay < interval else { return .done }
        return .requeue(after: max(delay, .seconds(1)))
    }

    // MARK: Status

    public func status(_ context: TaskContext) async -> EvictedPodCleanupStatus {
        if let status = memory.status.withLock({ $0 }) { return status }
        // Before the first pass: the totals from the store.
        let totals = (try? CleanupTotals.load(from: context.store)) ?? CleanupTotals()
        return EvictedPodCleanupStatus(
            dryRun: context.dryRun, minAge: rules.minAge.configText, lastRunAt: nil, evictedPods: 0, deletedLastRun: 0,
            wouldDeleteLastRun: 0, deletedTotal: totals.deletedTotal, alreadyGoneLastRun: 0, failedLastRun: 0,
            skippedLastRun: SkipCounts(), lastError: totals.lastError, lastErrorAt: totals.lastErrorAt,
            lastPassActions: [], lastPassActionCount: 0)
    }

    /// What one pass did.
    private struct PassReport {
        var deleted = 0
        var wouldDelete = 0
        var alreadyGone = 0
        var failed = 0
        var actions: [String] = []
    }

    /// The status snapshot of the last pass, kept in memory between passes.
    private final class Memory: Sendable {
        let status = Mutex<EvictedPodCleanupStatus?>(nil)
    }
}
