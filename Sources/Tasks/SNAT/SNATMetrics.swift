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
struct SNATMetrics {
    private let factory: any MetricsFactory

    init(factory: any MetricsFactory) {
        self.factory = factory
    }

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

    /// Sets the per-phase node gauge.
    func nodes(_ totals: SNATPhaseTotals) {
        for phase in SNATNodePhase.allCases {
            Gauge(label: "vigilante_snat_nodes", dimensions: [("phase", phase.rawValue)], factory: factory)
                .record(totals[phase])
        }
    }
}
