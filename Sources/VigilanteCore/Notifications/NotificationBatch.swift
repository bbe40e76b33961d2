import Foundation

/// Events of one kind from one task, collected over a batch window for one destination: what one message
/// says. Only the first ``listLimit`` subjects are kept; ``count`` has them all.
public struct NotificationBatch: Sendable, Equatable {
    /// One subject and what is particular to it.
    public struct Item: Sendable, Equatable, Encodable {
        /// The node, task or instance.
        public var subject: String
        /// The restart's cause, the server's message.
        public var detail: String?
        /// Failures in a row, for failing kinds.
        public var consecutiveFailures: Int?
    }

    /// Subjects named in a message; the rest are counted ("… and 190 more").
    public static let listLimit = 10

    /// What happened.
    public var kind: NotificationEvent.Kind
    /// The task that emitted the events.
    public var task: String
    /// Whether they come from a dry run.
    public var dryRun: Bool
    /// The first subjects, in arrival order.
    public var items: [Item]
    /// Every subject in the batch.
    public var count: Int
    /// The operator instance (its leader-election identity).
    public var instance: String
    /// The cluster's name, when configured.
    public var cluster: String?
    /// When the first event of the batch arrived.
    public var firstAt: Date

    /// Starts a batch with `event`.
    init(event: NotificationEvent, instance: String, cluster: String?, at time: Date) {
        kind = event.kind
        task = event.task
        dryRun = event.dryRun
        items = []
        count = 0
        self.instance = instance
        self.cluster = cluster
        firstAt = time
        add(event)
    }

    /// Adds `event` (same kind, task and dry-run).
    mutating func add(_ event: NotificationEvent) {
        count += 1
        if items.count < Self.listLimit {
            // A server's message can be long; a chat message should not be.
            let detail = event.detail.map { $0.count > 300 ? String($0.prefix(299)) + "…" : $0 }
            items.append(Item(subject: event.subject, detail: detail, consecutiveFailures: event.consecutiveFailures))
        }
    }

    // MARK: Wording

    /// One line: "200 nodes healed", "Node akswin000001 keeps failing"; starts with "[dry run]" in dry-run.
    public var title: String {
        let first = items.first?.subject ?? ""
        let text: String
        switch kind {
        case .nodeHealed:
            text = count == 1 ? "Node \(first) healed" : "\(count) nodes healed"
        case .healingRestarted:
            text = count == 1 ? "Healing restarted on node \(first)" : "Healing restarted on \(count) nodes"
        case .nodeFailing:
            text = count == 1 ? "Node \(first) keeps failing" : "\(count) nodes keep failing"
        case .taskFailing:
            text = count == 1 ? "Task \(first) keeps failing" : "\(count) tasks keep failing"
        case .leadership:
            let gained = items.last?.detail == LeadershipChange.gained.rawValue
            text = gained ? "Instance \(first) became the leader" : "Instance \(first) lost the leadership"
        }
        return dryRun ? "[dry run] \(text)" : text
    }

    /// The message: what happened to whom, the subjects beyond ``listLimit`` counted, and in dry-run a
    /// sentence saying nothing was changed.
    public var text: String {
        var lines: [String] = []
        switch kind {
        case .nodeHealed:
            lines.append("\(count == 1 ? "1 node" : "\(count) nodes") healed: \(list(withDetails: false)).")
        case .healingRestarted:
            lines.append("Healing restarted on \(count == 1 ? "1 node" : "\(count) nodes"): \(list()).")
        case .nodeFailing:
            lines.append("\(count == 1 ? "1 node keeps" : "\(count) nodes keep") failing: \(list()).")
        case .taskFailing:
            lines.append("Passes keep failing: \(list()).")
        case .leadership:
            lines.append(
                items.last?.detail == LeadershipChange.gained.rawValue
                    ? "This instance now runs the tasks." : "This instance no longer runs the tasks.")
        }
        if dryRun {
            lines.append("Dry run: nothing was changed in the cluster; this is what would have been done.")
        }
        return lines.joined(separator: "\n")
    }

    /// "cops-vigilante · task snat · instance vigilante-0 · cluster prod".
    public var context: String {
        var parts = ["cops-vigilante", "task \(task)", "instance \(instance)"]
        if let cluster { parts.append("cluster \(cluster)") }
        return parts.joined(separator: " · ")
    }

    /// "a, b (detail), … and 190 more".
    private func list(withDetails: Bool = true) -> String {
        var names = items.map { item -> String in
            var notes: [String] = []
            if let failures = item.consecutiveFailures { notes.append("\(failures) failures in a row") }
            if withDetails, let detail = item.detail { notes.append(detail) }
            return notes.isEmpty ? item.subject : "\(item.subject) (\(notes.joined(separator: ": ")))"
        }
        if count > items.count { names.append("… and \(count - items.count) more") }
        return names.joined(separator: ", ")
    }
}

/// The detail of a ``NotificationEvent/Kind/leadership`` event.
public enum LeadershipChange: String, Sendable {
    /// This instance acquired the lease.
    case gained
    /// This instance lost (or released) the lease.
    case lost
}
