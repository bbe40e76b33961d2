import Metrics

// snippet:metrics
/// The task's metrics, made on the factory the core hands the task.
///
/// - `vigilante_evicted_pods_deleted_total`: evicted pods deleted.
/// - `vigilante_evicted_pods_delete_errors_total`: deletions that failed (404s are not errors).
/// - `vigilante_evicted_pods`: evicted pods seen by the last pass.
/// - `vigilante_evicted_pods_skipped{rule}`: evicted pods the last pass kept, per rule.
struct EvictedPodCleanupMetrics {
    let factory: any MetricsFactory

    /// The `# HELP` text of each metric (the task's `metricHelp`): `/metrics` shows them, and
    /// `promtool check metrics` wants one for every metric.
    static let help = [
        "vigilante_evicted_pods_deleted_total": "Evicted pods deleted.",
        "vigilante_evicted_pods_delete_errors_total": "Deletions of evicted pods that failed (404s are not errors).",
        "vigilante_evicted_pods": "Evicted pods seen by the last pass.",
        "vigilante_evicted_pods_skipped": "Evicted pods the last pass kept, per rule.",
    ]

    func deleted(_ count: Int) {
        guard count > 0 else { return }
        Counter(label: "vigilante_evicted_pods_deleted_total", factory: factory).increment(by: Int64(count))
    }

    func deleteFailed(_ count: Int) {
        guard count > 0 else { return }
        Counter(label: "vigilante_evicted_pods_delete_errors_total", factory: factory).increment(by: Int64(count))
    }

    func lastPass(evicted: Int, skipped: SkipCounts) {
        Gauge(label: "vigilante_evicted_pods", factory: factory).record(evicted)
        for rule in SkipRule.allCases {
            Gauge(label: "vigilante_evicted_pods_skipped", dimensions: [("rule", rule.rawValue)], factory: factory)
                .record(skipped[rule])
        }
    }
}
// end-snippet
