import Foundation
import Synchronization

/// The time source of tasks and the scheduler's records. Injected so a 30-minute healing window can be
/// tested in milliseconds.
public protocol WallClock: Sendable {
    /// The current time.
    func now() -> Date
}

/// The system's real time.
public struct SystemClock: WallClock {
    /// Creates the system clock.
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that moves only when told to, for tests and simulations.
public final class ManualClock: WallClock {
    private let current: Mutex<Date>

    /// Creates a clock showing `now`.
    public init(now: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = Mutex(now)
    }

    public func now() -> Date { current.withLock { $0 } }

    /// Moves the clock forward.
    public func advance(by duration: Duration) {
        current.withLock { $0 = $0.addingTimeInterval(duration.seconds) }
    }

    /// Sets the clock to `date`.
    public func set(_ date: Date) {
        current.withLock { $0 = date }
    }
}
