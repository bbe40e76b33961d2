import Foundation
import Metrics

/// The SNAT task's metrics, made on the factory the core hands the task.
///
/// - `cops_vigilante_snat_node_healing_attempts`: healer pods created (the original release's name).
/// - `cops_vigilante_snat_number_of_not_ready_nodes_found`: Windows nodes seen turning NotReady (the
///   original's name; counted once per NotReady spell, not once per poll as the original did).
/// - `vigilante_snat_nodes{phase}`: Windows nodes per phase.
/// - `vigilante_snat_healer_pods_created_total`: healer pods created.
/// - `vigilante_snat_nodes_healed_total`: windows completed with the node annotated healed.
/// - `vigilante_snat_detection_seconds`: node Ready (its condition's transition time) to the first
///   healer pod of a window started because the node was seen Ready.
/// - `vigilante_snat_step_errors_total{step}`: failed steps (`createPod`, `deletePod`, `annotateNode`,
///   `readNode`), the metric side of a node's `lastError`.
/// - `vigilante_snat_windows_started_total`: healing windows started.
/// - Per node that is not healed (the series goes when the node is healed or gone), for alerts that name
///   the node: `vigilante_snat_node_window_start_timestamp_seconds{node}` and
///   `vigilante_snat_node_window_end_timestamp_seconds{node}` while it is in its window, and
///   `vigilante_snat_node_consecutive_errors{node}` while its steps fail. Not published in dry-run, where
///   windows are only what the task would do.
struct SNATMetrics {
    private let factory: any MetricsFactory

    init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// The `# HELP` text of each metric.
    static let help = [
        "cops_vigilante_snat_node_healing_attempts": "Healer pods created (the original release's name).",
        "cops_vigilante_snat_number_of_not_ready_nodes_found":
            "Windows nodes seen turning NotReady, once per NotReady spell (the original release's name).",
        "vigilante_snat_nodes": "Windows nodes per phase (healing, healed, backoff, notReady) after the last pass.",
        "vigilante_snat_healer_pods_created_total": "Healer pods created.",
        "vigilante_snat_nodes_healed_total": "Healing windows completed with the node annotated healed.",
        "vigilante_snat_windows_started_total": "Healing windows started.",
        "vigilante_snat_detection_seconds": "Delay from a node turning Ready to the first healer pod of its window.",
        "vigilante_snat_step_errors_total": "Failed steps (createPod, deletePod, annotateNode, readNode), by step.",
        "vigilante_snat_node_window_start_timestamp_seconds":
            "When the window of a node being healed started (Unix time).",
        "vigilante_snat_node_window_end_timestamp_seconds": "When the window of a node being healed ends (Unix time).",
        "vigilante_snat_node_consecutive_errors": "Failed steps in a row of a node that is not healed (backing off).",
    ]

    /// Counts created healer pods under both names.
    func healerPodsCreated(_ count: Int) {
        guard count > 0 else { return }
        Counter(label: "cops_vigilante_snat_node_healing_attempts", factory: factory).increment(by: Int64(count))
        Counter(label: "vigilante_snat_healer_pods_created_total", factory: factory).increment(by: Int64(count))
    }

    /// Counts nodes seen turning NotReady.
    func notReadyNodesFound(_ count: Int) {
        guard count > 0 else { return }
        Counter(label: "cops_vigilante_snat_number_of_not_ready_nodes_found", factory: factory)
            .increment(by: Int64(count))
    }

    /// Counts completed windows.
    func nodesHealed(_ count: Int) {
        guard count > 0 else { return }
        Counter(label: "vigilante_snat_nodes_healed_total", factory: factory).increment(by: Int64(count))
    }

    /// Records one Ready-to-first-pod delay.
    func detection(_ delay: Duration) {
        Metrics.Timer(label: "vigilante_snat_detection_seconds", preferredDisplayUnit: .seconds, factory: factory)
            .recordNanoseconds(Int64((max(delay.seconds, 0) * 1e9).rounded()))
    }

    /// Counts a failed step.
    func stepFailed(_ step: String) {
        Counter(label: "vigilante_snat_step_errors_total", dimensions: [("step", step)], factory: factory)
            .increment(by: Int64(1))
    }

    /// Counts started windows.
    func windowsStarted(_ count: Int) {
        guard count > 0 else { return }
        Counter(label: "vigilante_snat_windows_started_total", factory: factory).increment(by: Int64(count))
    }

    /// The per-node gauges.
    static let nodeGauges = [
        "vigilante_snat_node_window_start_timestamp_seconds", "vigilante_snat_node_window_end_timestamp_seconds",
        "vigilante_snat_node_consecutive_errors",
    ]

    /// Sets the per-node gauges of `nodes` (the nodes that are not healed) and removes the series of
    /// `previous` (what the last call returned) that no longer have a value. Returns the series set,
    /// as `gauge node` keys.
    func nodeSeries(_ nodes: [SNATNodeStatus], previous: Set<String>) -> Set<String> {
        var current: [String: Double] = [:]
        for node in nodes {
            if let start = node.windowStartedAt, let end = node.healsAt {
                current["\(Self.nodeGauges[0]) \(node.name)"] = start.timeIntervalSince1970
                current["\(Self.nodeGauges[1]) \(node.name)"] = end.timeIntervalSince1970
            }
            if node.consecutiveErrors > 0 {
                current["\(Self.nodeGauges[2]) \(node.name)"] = Double(node.consecutiveErrors)
            }
        }
        for key in previous where current[key] == nil {
            gauge(key).destroy()
        }
        for (key, value) in current {
            gauge(key).record(value)
        }
        return Set(current.keys)
    }

    private func gauge(_ key: String) -> Gauge {
        let parts = key.split(separator: " ", maxSplits: 1).map(String.init)
        return Gauge(label: parts[0], dimensions: [("node", parts[1])], factory: factory)
    }

    /// Sets the per-phase node gauge.
    func nodes(_ totals: SNATPhaseTotals) {
        for phase in SNATNodePhase.allCases {
            Gauge(label: "vigilante_snat_nodes", dimensions: [("phase", phase.rawValue)], factory: factory)
                .record(totals[phase])
        }
    }
}
