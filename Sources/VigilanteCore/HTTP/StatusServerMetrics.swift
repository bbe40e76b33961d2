import Prometheus

/// The status server's own metrics, registered on the registry that `/metrics` renders.
///
/// - `vigilante_http_requests_total{endpoint,code}`: answered requests; `endpoint` is the route
///   (`tasks`, `task`, `healthz`, `health`, `readyz`, `metrics`) or `other`, so its values stay few.
/// - `vigilante_tls_certificate_reloads_total{result}`: certificate reloads, `success` or `failure`.
/// - `vigilante_tls_certificate_expiry_timestamp_seconds`: when the served certificate expires
///   (Unix time), for alerts on a renewal that never arrived.
final class StatusServerMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// Counts one answered request.
    func recordRequest(endpoint: String, code: Int) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "vigilante", subsystem: "http", metricName: "requests", unitName: "total",
                helpText: "Requests answered by the status server, by endpoint and status code."),
            labels: [("endpoint", endpoint), ("code", String(code))]
        ).increment()
    }

    /// Creates both reload counters at zero, so that a dashboard sees the series before the first reload.
    func registerCertificateReloads() {
        _ = certificateReloads(result: "success")
        _ = certificateReloads(result: "failure")
    }

    /// Counts one attempt to load changed certificate files.
    func recordCertificateReload(success: Bool) {
        certificateReloads(result: success ? "success" : "failure").increment()
    }

    private func certificateReloads(result: String) -> Counter {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "vigilante", subsystem: "tls", metricName: "certificate_reloads", unitName: "total",
                helpText: "Reloads of the serving certificate after its files changed, by result."),
            labels: [("result", result)]
        )
    }

    /// Publishes the expiry of the certificate now served.
    func recordCertificateExpiry(unixTime: Double) {
        registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "vigilante", subsystem: "tls", metricName: "certificate_expiry_timestamp",
                unitName: "seconds",
                helpText: "Expiry (notAfter) of the serving certificate, as a Unix timestamp.")
        ).set(unixTime)
    }
}
