import Synchronization

/// A token bucket: `perMinute` messages at once, then one every `60 / perMinute` seconds.
final class RateLimiter: Sendable {
    private let capacity: Double
    private let interval: Duration
    private let state: Mutex<(tokens: Double, updated: ContinuousClock.Instant)>

    init(perMinute: Int) {
        capacity = Double(max(perMinute, 1))
        interval = .seconds(60) / max(perMinute, 1)
        state = Mutex((capacity, .now))
    }

    /// Takes a token, waiting for one when the bucket is empty; throws on cancellation.
    func acquire() async throws {
        while true {
            let wait = take(at: .now)
            guard let wait else { return }
            try await Task.sleep(for: wait)
        }
    }

    /// Takes a token at `now` and returns nil, or returns how long until one is there.
    func take(at now: ContinuousClock.Instant) -> Duration? {
        state.withLock { state in
            let refill = (now - state.updated) / interval
            state.tokens = min(capacity, state.tokens + refill)
            state.updated = now
            if state.tokens >= 1 {
                state.tokens -= 1
                return nil
            }
            return interval * (1 - state.tokens)
        }
    }
}
