import Synchronization

/// Remembers when the API server last answered anything, for readiness: a transport wrapper records
/// every response, whatever its status code (a 403 still proves the server is reachable).
public final class APIReachability: Sendable {
    private let lastAnswer = Mutex<ContinuousClock.Instant?>(nil)
    private let lastFailure = Mutex<String?>(nil)

    /// Creates a tracker that has seen nothing yet.
    public init() {}

    /// Records an answer now.
    public func recordAnswer() {
        lastAnswer.withLock { $0 = .now }
        lastFailure.withLock { $0 = nil }
    }

    /// Records a transport failure.
    public func recordFailure(_ error: any Error) { lastFailure.withLock { $0 = "\(error)" } }

    /// The readiness check: the API answered within `window`.
    public func check(window: Duration) -> ReadinessCheck {
        guard let last = lastAnswer.withLock({ $0 }) else {
            return ReadinessCheck(name: "kubernetes-api", ok: false, detail: "the API server has not answered yet")
        }
        let age = ContinuousClock.now - last
        if age <= window { return ReadinessCheck(name: "kubernetes-api", ok: true) }
        let reason = lastFailure.withLock { $0 }.map { ": \($0)" } ?? ""
        return ReadinessCheck(
            name: "kubernetes-api", ok: false,
            detail: "no answer from the API server for \(age.configText) (limit \(window.configText))\(reason)")
    }
}

/// A transport that tells an ``APIReachability`` about every answer and failure.
public struct ReachabilityTrackingTransport: KubernetesTransport {
    let base: any KubernetesTransport
    let reachability: APIReachability

    /// Wraps `base`.
    public init(base: any KubernetesTransport, reachability: APIReachability) {
        self.base = base
        self.reachability = reachability
    }

    public func send(_ request: KubernetesHTTPRequest) async throws -> KubernetesHTTPResponse {
        do {
            let response = try await base.send(request)
            reachability.recordAnswer()
            return response
        } catch {
            reachability.recordFailure(error)
            throw error
        }
    }

    public func shutdown() async throws { try await base.shutdown() }
}
