import Foundation

/// What the status page (`GET /` in a browser) shows for one task beyond its schedule: counts, notes
/// and groups of items, each item optionally with a progress bar.
///
/// A task describes its own status in these generic terms (``VigilanteTask/statusPage(_:)``), so the
/// page knows nothing of any task: the SNAT task, for instance, gives its per-phase totals as counts
/// and its nodes in their window as items whose progress runs from the window's start to its end.
/// Every text is shown as text (HTML-escaped), never as markup.
public struct StatusPageSection: Sendable, Equatable {
    /// One labelled number (`healed: 12`).
    public struct Count: Sendable, Equatable {
        /// What is counted.
        public var label: String
        /// How many.
        public var value: Int

        /// Creates a count.
        public init(_ label: String, _ value: Int) {
            self.label = label
            self.value = value
        }
    }

    /// One labelled value of an item: a text, or a time shown relative to now (`in 2m`, `5s ago`).
    public struct Fact: Sendable, Equatable {
        /// The value of a fact.
        public enum Value: Sendable, Equatable {
            /// Shown as is.
            case text(String)
            /// Shown relative to the page's time, with the exact time as a tooltip.
            case time(Date)
        }

        /// What the value is.
        public var label: String
        /// The value.
        public var value: Value

        /// Creates a fact.
        public init(_ label: String, _ value: Value) {
            self.label = label
            self.value = value
        }
    }

    /// How far an item is through a span of time: the page shows the elapsed part of `start...end` as
    /// of its own time, so a bar keeps moving between two passes of the task.
    public struct Progress: Sendable, Equatable {
        /// When the span started.
        public var start: Date
        /// When it ends.
        public var end: Date

        /// Creates a span.
        public init(start: Date, end: Date) {
            self.start = start
            self.end = end
        }

        /// The elapsed fraction at `now`, between 0 and 1.
        public func fraction(at now: Date) -> Double {
            let total = end.timeIntervalSince(start)
            guard total > 0 else { return now >= end ? 1 : 0 }
            return min(max(now.timeIntervalSince(start) / total, 0), 1)
        }
    }

    /// One thing the task works on (a node, a pod).
    public struct Item: Sendable, Equatable {
        /// Its name.
        public var name: String
        /// A short word for where it stands (`healing`, `backoff`); also the page's `data-state`.
        public var state: String
        /// Its progress through a span of time, if it has one.
        public var progress: Progress?
        /// Further labelled values.
        public var facts: [Fact]
        /// Its last error, shown highlighted.
        public var error: String?

        /// Creates an item.
        public init(name: String, state: String, progress: Progress? = nil, facts: [Fact] = [], error: String? = nil) {
            self.name = name
            self.state = state
            self.progress = progress
            self.facts = facts
            self.error = error
        }
    }

    /// A titled list of items (`In their window`).
    public struct Group: Sendable, Equatable {
        /// The list's title.
        public var title: String
        /// Its items, in the order shown.
        public var items: [Item]
        /// What the page says when there are none; nil hides an empty group.
        public var emptyText: String?

        /// Creates a group.
        public init(title: String, items: [Item], emptyText: String? = nil) {
            self.title = title
            self.items = items
            self.emptyText = emptyText
        }
    }

    /// Short remarks shown under the task's name (`dry-run: reports only`).
    public var notes: [String]
    /// Labelled numbers shown as tiles.
    public var counts: [Count]
    /// Lists of items.
    public var groups: [Group]

    /// Creates a section.
    public init(notes: [String] = [], counts: [Count] = [], groups: [Group] = []) {
        self.notes = notes
        self.counts = counts
        self.groups = groups
    }
}

/// Who this operator instance is, for the status page's header.
public struct OperatorSummary: Sendable, Equatable {
    /// The operator's version.
    public var version: String
    /// This instance's leader-election identity.
    public var identity: String
    /// Whether this instance leads (runs tasks).
    public var isLeader: Bool
    /// The identity of the lease holder as last seen, nil when unknown.
    public var leaderIdentity: String?
    /// The operator's clock at the time of the request: the page's "now".
    public var now: Date

    /// Creates a summary.
    public init(version: String, identity: String, isLeader: Bool, leaderIdentity: String?, now: Date) {
        self.version = version
        self.identity = identity
        self.isLeader = isLeader
        self.leaderIdentity = leaderIdentity
        self.now = now
    }
}
