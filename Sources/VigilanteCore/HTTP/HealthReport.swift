/// The body of `GET /healthz` (and `/health`): whether the process and its scheduler loop are alive.
struct LivenessReport: Codable, Sendable, Equatable {
    /// `ok` or `failing`.
    var status: String
    /// Why liveness fails; absent when it passes.
    var problem: String?

    init(problem: String?) {
        self.status = problem == nil ? "ok" : "failing"
        self.problem = problem
    }

    /// Whether the process is alive.
    var isHealthy: Bool { problem == nil }
}

/// The body of `GET /readyz`: every readiness check and which of them fail.
struct ReadinessReport: Codable, Sendable, Equatable {
    /// One check as shown in the body.
    struct Check: Codable, Sendable, Equatable {
        /// Short name such as `store`, `configuration`, `kubernetes-api`.
        var name: String
        /// Whether it passes.
        var ok: Bool
        /// Why it fails, or a detail when it passes.
        var detail: String?
    }

    /// `ready` or `notReady`.
    var status: String
    /// The names of the failing checks, in check order; empty when ready.
    var failing: [String]
    /// Every check, in the provider's order.
    var checks: [Check]

    init(checks: [ReadinessCheck]) {
        self.checks = checks.map { Check(name: $0.name, ok: $0.ok, detail: $0.detail) }
        self.failing = checks.filter { !$0.ok }.map(\.name)
        self.status = failing.isEmpty ? "ready" : "notReady"
    }

    /// Whether every check passes.
    var isReady: Bool { failing.isEmpty }
}
