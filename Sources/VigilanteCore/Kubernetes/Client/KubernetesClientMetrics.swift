import CoreMetrics
import Metrics

/// The client's request and watch metrics, created through an injected swift-metrics factory
/// (the process bootstraps the backend; library code never does).
///
/// - `vigilante_kube_requests_total{verb,resource,code}`
/// - `vigilante_kube_request_duration_seconds{verb,resource}`
/// - `vigilante_kube_watch_restarts_total{resource,reason}`
public final class KubernetesClientMetrics: Sendable {
    private let factory: any MetricsFactory
    private let counters = LockedState<[String: Counter]>([:])
    private let timers = LockedState<[String: Metrics.Timer]>([:])

    /// Creates metrics on the given factory.
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
    }

    /// Counts one finished request attempt and records its duration. `code` is the HTTP status, or
    /// `error` when no response arrived.
    func recordRequest(verb: String, resource: String, code: String, duration: Duration) {
        counter(
            label: "vigilante_kube_requests_total",
            dimensions: [("verb", verb), ("resource", resource), ("code", code)]
        ).increment(by: Int64(1))
        timer(verb: verb, resource: resource).recordNanoseconds(
            Int64(duration.components.seconds) * 1_000_000_000 + Int64(duration.components.attoseconds / 1_000_000_000)
        )
    }

    /// Counts a watch restart of a cache: `expired` (410), `closed` (the stream ended), `error`.
    func recordWatchRestart(resource: String, reason: String) {
        counter(
            label: "vigilante_kube_watch_restarts_total",
            dimensions: [("resource", resource), ("reason", reason)]
        ).increment(by: Int64(1))
    }

    private func counter(label: String, dimensions: [(String, String)]) -> Counter {
        let key = label + dimensions.map { "|\($0.0)=\($0.1)" }.joined()
        return counters.withLock { cache in
            if let existing = cache[key] { return existing }
            let created = Counter(label: label, dimensions: dimensions, factory: factory)
            cache[key] = created
            return created
        }
    }

    private func timer(verb: String, resource: String) -> Metrics.Timer {
        let key = verb + "|" + resource
        return timers.withLock { cache in
            if let existing = cache[key] { return existing }
            let created = Metrics.Timer(
                label: "vigilante_kube_request_duration_seconds",
                dimensions: [("verb", verb), ("resource", resource)],
                preferredDisplayUnit: .seconds,
                factory: factory
            )
            cache[key] = created
            return created
        }
    }
}
