/// Something the team may want to hear about where it talks (Slack, Teams, a webhook), emitted by a task
/// through ``TaskContext/notifications`` or by the core (leadership). The core knows what kind it is, not
/// what the task does: the subject is a name (a node, a task), the detail a sentence.
public struct NotificationEvent: Sendable, Equatable {
    /// What happened; destinations choose the kinds they receive.
    public enum Kind: String, Sendable, CaseIterable, Codable {
        /// A node was healed.
        case nodeHealed
        /// Healing of a node that was healed before started again (annotation removed, rebooted, re-created).
        case healingRestarted
        /// A node keeps failing (sent once it failed `notifications.failureThreshold` times in a row).
        case nodeFailing
        /// A task's passes keep failing (sent once `notifications.failureThreshold` passes failed in a row).
        case taskFailing
        /// This instance gained or lost the leadership.
        case leadership
    }

    /// What happened.
    public var kind: Kind
    /// The object it happened to (a node name, a task name, the instance's identity).
    public var subject: String
    /// More about it, shown next to the subject: the restart's cause, the server's message. Events of one
    /// kind with the same detail share a line in a batch.
    public var detail: String?
    /// How many times in a row it failed (``Kind/nodeFailing`` and ``Kind/taskFailing``); nothing is sent
    /// below the configured threshold.
    public var consecutiveFailures: Int?
    /// The task that emitted it (set by the core).
    public var task: String
    /// Whether it comes from a dry run (set by the core): the message then says so.
    public var dryRun: Bool

    /// Creates an event; ``task`` and ``dryRun`` are filled in by the core when a task emits it.
    public init(
        kind: Kind, subject: String, detail: String? = nil, consecutiveFailures: Int? = nil, task: String = "",
        dryRun: Bool = false
    ) {
        self.kind = kind
        self.subject = subject
        self.detail = detail
        self.consecutiveFailures = consecutiveFailures
        self.task = task
        self.dryRun = dryRun
    }

    /// A node was healed.
    public static func nodeHealed(_ node: String) -> NotificationEvent {
        NotificationEvent(kind: .nodeHealed, subject: node)
    }

    /// Healing of `node` started again because of `cause` ("the healed annotation was removed").
    public static func healingRestarted(_ node: String, cause: String) -> NotificationEvent {
        NotificationEvent(kind: .healingRestarted, subject: node, detail: cause)
    }

    /// `node` failed `consecutiveErrors` times in a row, the last time with `message` (the server's).
    public static func nodeFailing(_ node: String, consecutiveErrors: Int, message: String) -> NotificationEvent {
        NotificationEvent(kind: .nodeFailing, subject: node, detail: message, consecutiveFailures: consecutiveErrors)
    }
}

/// Where tasks (and the core) hand their notifications. Sending never blocks and never fails: the
/// dispatcher batches, deduplicates and delivers in the background, and counts what it had to drop.
public protocol NotificationSending: Sendable {
    /// Hands `event` over for delivery.
    func send(_ event: NotificationEvent)
}

/// Sends nothing: no destination is configured (and the default of tests and tools).
public struct NoNotifications: NotificationSending {
    /// Creates it.
    public init() {}
    public func send(_ event: NotificationEvent) {}
}

/// A task's view of the dispatcher: stamps every event with the task's name and dry-run setting.
public struct TaskNotifications: NotificationSending {
    /// The dispatcher (or any other sender).
    public let base: any NotificationSending
    /// The task's name.
    public let task: String
    /// Whether the task runs in dry-run.
    public let dryRun: Bool

    /// Creates a task's view of `base`.
    public init(base: any NotificationSending, task: String, dryRun: Bool) {
        self.base = base
        self.task = task
        self.dryRun = dryRun
    }

    public func send(_ event: NotificationEvent) {
        var event = event
        event.task = task
        event.dryRun = dryRun
        base.send(event)
    }
}
