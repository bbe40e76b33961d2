/// A self-healing task: one Swift module implementing this protocol, registered with one line in the
/// executable's task list.
///
/// The scheduler calls ``reconcile(_:)`` at the configured interval (with jitter), never twice at once,
/// with a timeout, and early when a watched resource changes. A pass is idempotent and level-based: it
/// compares what it observes (caches, store) with what should be, and acts on the difference.
public protocol VigilanteTask: Sendable {
    /// The typed section `tasks.<section>` of the configuration.
    associatedtype Configuration: TaskConfiguration
    /// The task's own snapshot shown under `details` in `GET /tasks`.
    associatedtype Status: Encodable & Sendable

    /// The stable name shown in `/tasks`, metrics, logs and events (`snat`, `evicted-pod-cleanup`).
    static var name: String { get }

    /// Creates the task from its configuration section and the common settings (interval, dry-run).
    init(configuration: Configuration, settings: TaskSettings)

    /// The resources the task reads through caches; the core keeps them current with watches.
    var watchedResources: [WatchedResourceDeclaration] { get }

    /// One idempotent pass. Throwing counts as a failed pass.
    func reconcile(_ context: TaskContext) async throws -> TaskOutcome

    /// A snapshot of the task's state for `GET /tasks`.
    func status(_ context: TaskContext) async -> Status

    /// What the status page (`GET /` in a browser) shows of a snapshot beyond the task's schedule:
    /// counts, notes, items with progress. The default, nil, shows the schedule only.
    func statusPage(_ status: Status) -> StatusPageSection?

    /// The `# HELP` text of each metric the task makes, by name (`/metrics` shows them). Default: none.
    static var metricHelp: [String: String] { get }
}

extension VigilanteTask {
    /// No metrics of its own.
    public static var metricHelp: [String: String] { [:] }

    /// Shows the schedule only.
    public func statusPage(_ status: Status) -> StatusPageSection? { nil }
}
