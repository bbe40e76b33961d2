import Synchronization
import VigilanteCore

/// Keeps every notification a task sent, for assertions in task tests.
public final class RecordingNotifications: NotificationSending {
    private let events = Mutex<[NotificationEvent]>([])

    /// Creates an empty recorder.
    public init() {}

    public func send(_ event: NotificationEvent) { events.withLock { $0.append(event) } }

    /// Everything sent so far, in order.
    public var all: [NotificationEvent] { events.withLock { $0 } }

    /// The events of `kind`.
    public func of(_ kind: NotificationEvent.Kind) -> [NotificationEvent] { all.filter { $0.kind == kind } }
}
