/// Exponential backoff with jitter: `initial × multiplier^attempt`, capped at `maximum`, then reduced by a
/// random fraction of up to `jitter` so that many clients do not retry in lockstep.
public struct Backoff: Sendable, Hashable {
    /// The delay before the first retry (before jitter).
    public var initial: Duration
    /// The largest delay (before jitter).
    public var maximum: Duration
    /// The growth factor per attempt.
    public var multiplier: Double
    /// The fraction (0...1) of the delay that is randomised away.
    public var jitter: Double

    /// Creates a backoff policy.
    public init(
        initial: Duration = .milliseconds(200),
        maximum: Duration = .seconds(30),
        multiplier: Double = 2,
        jitter: Double = 0.5
    ) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The delay before the given retry (0 for the first retry) without jitter.
    public func ceiling(forAttempt attempt: Int) -> Duration {
        let initialSeconds = durationSeconds(initial)
        let maximumSeconds = durationSeconds(maximum)
        var seconds = initialSeconds
        for _ in 0..<max(attempt, 0) {
            seconds *= multiplier
            if seconds >= maximumSeconds { break }
        }
        return .seconds(min(seconds, maximumSeconds))
    }

    /// The delay before the given retry, with jitter drawn from `generator`.
    public func delay(forAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let ceiling = durationSeconds(ceiling(forAttempt: attempt))
        let reduction = jitter > 0 ? Double.random(in: 0..<jitter, using: &generator) : 0
        return .seconds(ceiling * (1 - reduction))
    }

    /// The delay before the given retry, with system-random jitter.
    public func delay(forAttempt attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(forAttempt: attempt, using: &generator)
    }
}

/// A duration in seconds as a floating-point number.
func durationSeconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) + Double(attoseconds) / 1e18
}
