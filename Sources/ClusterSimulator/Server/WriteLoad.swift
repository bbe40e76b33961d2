/// The simulated server's view of the writes it receives: when each arrived (for the peak write rate a
/// benchmark or test reports) and, when set, a limit on writes in flight that is answered with 429
/// and `Retry-After`, as a real API server under API Priority and Fairness (or `--max-mutating-requests-inflight`)
/// answers a client that sends more than its share.
struct WriteLoad: Sendable {
    /// When each admitted write request (POST, PUT, PATCH, DELETE) arrived, as offsets from the server's
    /// start.
    var received: [Duration] = []
    /// The most writes handled at once; more are refused with 429. nil: no limit.
    var maxInFlight: Int?
    /// The `Retry-After` of those 429s, in seconds.
    var retryAfterSeconds = 1
    /// Writes being handled now.
    var inFlight = 0
    /// Writes refused with 429 for the limit.
    var throttled = 0

    static func isWrite(method: String) -> Bool {
        ["POST", "PUT", "PATCH", "DELETE"].contains(method)
    }

    /// Admits a write that arrived at `offset`, or refuses it (false) when the limit is reached.
    mutating func enter(at offset: Duration) -> Bool {
        if let maxInFlight, inFlight >= maxInFlight {
            throttled += 1
            return false
        }
        inFlight += 1
        received.append(offset)
        return true
    }

    /// An admitted write was answered.
    mutating func leave() {
        inFlight -= 1
    }
}

extension ClusterSimulator {
    /// Limits the writes handled at once: more are answered 429 Too Many Requests with `Retry-After`
    /// (text/plain, as the real server's in-flight limiter answers). nil removes the limit.
    public func setWriteConcurrencyLimit(_ limit: Int?, retryAfterSeconds: Int = 1) {
        access.withLock {
            $0.writes.maxInFlight = limit
            $0.writes.retryAfterSeconds = retryAfterSeconds
        }
    }

    /// Writes refused with 429 because of ``setWriteConcurrencyLimit(_:retryAfterSeconds:)``.
    public var throttledWrites: Int { access.withLock { $0.writes.throttled } }

    /// When each write request admitted since the last ``clearAccessLog()`` arrived, as offsets from the
    /// simulator's start (writes refused for the concurrency limit are not included).
    public func writeTimes() -> [Duration] {
        access.withLock { $0.writes.received }
    }

    /// The most writes admitted within one second (whole seconds counted from the simulator's start) since
    /// the last ``clearAccessLog()``.
    public func peakWritesPerSecond() -> Int {
        var perSecond: [Int64: Int] = [:]
        for time in writeTimes() { perSecond[time.components.seconds, default: 0] += 1 }
        return perSecond.values.max() ?? 0
    }
}
