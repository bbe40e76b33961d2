import Synchronization

/// Whether this instance may run tasks, and a way to hear when that changes.
public protocol Leadership: Sendable {
    /// True while this instance holds the lease (or leader election is off).
    var isLeader: Bool { get }
    /// Yields the new value on every change.
    func changes() -> AsyncStream<Bool>
    /// The identity of the instance that leads, as far as this one knows; nil when unknown.
    var leaderIdentity: String? { get }
}

extension Leadership {
    /// Unknown.
    public var leaderIdentity: String? { nil }
}

/// Leadership that never changes: always leader (leader election disabled) or, for tests, settable.
public final class FixedLeadership: Leadership {
    private let state: Mutex<(leader: Bool, subscribers: [AsyncStream<Bool>.Continuation])>

    /// Creates a leadership fixed at `isLeader`.
    public init(isLeader: Bool = true) {
        state = Mutex((isLeader, []))
    }

    public var isLeader: Bool { state.withLock { $0.leader } }

    public func changes() -> AsyncStream<Bool> {
        let (stream, continuation) = AsyncStream<Bool>.makeStream(bufferingPolicy: .bufferingNewest(8))
        state.withLock { $0.subscribers.append(continuation) }
        return stream
    }

    /// Changes the value and tells subscribers (tests use this to simulate losing the lease).
    public func set(_ isLeader: Bool) {
        let subscribers = state.withLock { state -> [AsyncStream<Bool>.Continuation] in
            guard state.leader != isLeader else { return [] }
            state.leader = isLeader
            return state.subscribers
        }
        for subscriber in subscribers { subscriber.yield(isLeader) }
    }
}
