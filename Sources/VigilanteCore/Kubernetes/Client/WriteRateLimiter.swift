import Synchronization

/// The client-side limit on mutating requests (`kubernetes.qps`, `kubernetes.burst`): a token bucket like
/// client-go's. It holds up to `burst` tokens and refills at `qps` per second; every write takes one.
/// When the bucket is empty a write reserves the next token and waits for it, so writers queue in
/// arrival order and the sustained rate never exceeds `qps`, whatever the number of concurrent writers.
///
/// The time source is injected: tests drive it by hand and never sleep.
public final class WriteRateLimiter: Sendable {
    /// Tokens added per second.
    public let qps: Double
    /// The most tokens held, so the most writes sent at once after a quiet period.
    public let burst: Int
    private let elapsed: @Sendable () -> Duration
    private let sleep: @Sendable (Duration) async throws -> Void
    private let state: Mutex<(tokens: Double, at: Duration)>

    /// A limiter over `clock` (the real continuous clock by default).
    public convenience init<C: Clock>(qps: Double, burst: Int, clock: C = ContinuousClock())
    where C.Duration == Duration {
        let origin = clock.now
        self.init(
            qps: qps, burst: burst, elapsed: { origin.duration(to: clock.now) },
            sleep: { try await clock.sleep(for: $0) })
    }

    /// A limiter over an explicit time source: `elapsed` is the time since any fixed origin, `sleep` waits
    /// that long (a test's version moves its own time instead).
    public init(
        qps: Double, burst: Int, elapsed: @escaping @Sendable () -> Duration,
        sleep: @escaping @Sendable (Duration) async throws -> Void
    ) {
        precondition(qps > 0 && burst >= 1, "qps must be positive and burst at least 1")
        self.qps = qps
        self.burst = burst
        self.elapsed = elapsed
        self.sleep = sleep
        state = Mutex((tokens: Double(burst), at: elapsed()))
    }

    /// Takes a token: returns at once while the bucket has one, otherwise after waiting for the reserved
    /// token. A cancelled wait throws `CancellationError` (its token is not given back).
    public func acquire() async throws {
        let delay = reserve()
        if delay > .zero { try await sleep(delay) }
    }

    /// Reserves the next token and returns how long its holder must wait before writing (zero when one
    /// is available now).
    public func reserve() -> Duration {
        let now = elapsed()
        return state.withLock { state in
            let refill = max(durationSeconds(now - state.at), 0) * qps
            state.tokens = min(Double(burst), state.tokens + refill)
            state.at = max(state.at, now)
            state.tokens -= 1
            return state.tokens >= 0 ? .zero : .seconds(-state.tokens / qps)
        }
    }
}
