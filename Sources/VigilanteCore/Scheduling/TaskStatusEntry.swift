import Foundation

/// One task as `GET /tasks` shows it: its schedule, its last run and the task's own status snapshot.
public struct TaskStatusEntry: Codable, Sendable, Equatable {
    /// What the task is doing now.
    public enum State: String, Codable, Sendable {
        /// Enabled, waiting for its next run.
        case idle
        /// A pass is in progress.
        case running
        /// Enabled, but this instance is not the leader, so it does not run.
        case standby
        /// Switched off in the configuration; never runs.
        case disabled
    }

    /// How one pass ended.
    public struct Run: Codable, Sendable, Equatable {
        /// When the pass started.
        public var startedAt: Date
        /// When it ended; nil while it runs.
        public var finishedAt: Date?
        /// Its duration; nil while it runs.
        public var durationSeconds: Double?
        /// `done`, `requeue`, `failed` or `timedOut`; nil while it runs.
        public var outcome: String?
        /// The error of a failed or timed-out pass.
        public var error: String?

        /// Creates a run record.
        public init(
            startedAt: Date, finishedAt: Date? = nil, durationSeconds: Double? = nil, outcome: String? = nil,
            error: String? = nil
        ) {
            self.startedAt = startedAt
            self.finishedAt = finishedAt
            self.durationSeconds = durationSeconds
            self.outcome = outcome
            self.error = error
        }
    }

    /// The task's stable name.
    public var name: String
    /// Whether the configuration enables it.
    public var enabled: Bool
    /// Time between passes, as written in the configuration (`30s`).
    public var interval: String
    /// What it is doing now.
    public var state: State
    /// The most recent pass, if any.
    public var lastRun: Run?
    /// When the next pass is due; nil when disabled or in standby.
    public var nextRunAt: Date?
    /// Passes run since the process started.
    public var runs: Int
    /// Passes that failed or timed out since the process started.
    public var failures: Int
    /// The task's own status snapshot.
    public var details: RawJSON
    /// What the status page shows of ``details`` (not part of the JSON): nil when the task describes
    /// nothing more than its schedule.
    public var page: StatusPageSection? = nil

    private enum CodingKeys: String, CodingKey {
        case name, enabled, interval, state, lastRun, nextRunAt, runs, failures, details
    }

    /// Creates an entry.
    public init(
        name: String, enabled: Bool, interval: String, state: State, lastRun: Run?, nextRunAt: Date?, runs: Int,
        failures: Int, details: RawJSON, page: StatusPageSection? = nil
    ) {
        self.page = page
        self.name = name
        self.enabled = enabled
        self.interval = interval
        self.state = state
        self.lastRun = lastRun
        self.nextRunAt = nextRunAt
        self.runs = runs
        self.failures = failures
        self.details = details
    }
}

/// One readiness check and its result, for `GET /readyz`.
public struct ReadinessCheck: Sendable, Equatable {
    /// Short name such as `store`, `configuration`, `kubernetes-api`.
    public var name: String
    /// Whether it passes.
    public var ok: Bool
    /// Why it fails (or a detail when it passes).
    public var detail: String?

    /// Creates a check result.
    public init(name: String, ok: Bool, detail: String? = nil) {
        self.name = name
        self.ok = ok
        self.detail = detail
    }
}

/// What the status server shows. The scheduler implements it; tests may use a fixed one.
public protocol StatusProvider: Sendable {
    /// Every registered task, in registration order.
    func taskStatuses() async -> [TaskStatusEntry]
    /// Liveness: nil when the process and its scheduler loop are alive, else the reason.
    func livenessProblem() async -> String?
    /// Readiness checks (store open, configuration loaded, Kubernetes API reached recently).
    func readinessChecks() async -> [ReadinessCheck]
    /// ``taskStatuses()`` as compact JSON (sorted keys): what `GET /tasks` sends by default.
    func taskStatusesJSON() async throws -> Data
    /// The entry of the task `name` as compact JSON, nil when there is no such task.
    func taskStatusJSON(named name: String) async throws -> Data?
    /// Version, identity and leadership of this instance, and its clock's time, for the status page.
    func operatorSummary() async -> OperatorSummary
}

extension StatusProvider {
    /// An unknown version, an unnamed leading instance, the system clock's time.
    public func operatorSummary() async -> OperatorSummary {
        OperatorSummary(version: "unknown", identity: "", isLeader: true, leaderIdentity: nil, now: Date())
    }

    /// Encodes ``taskStatuses()``; providers that keep encoded snapshots answer faster.
    public func taskStatusesJSON() async throws -> Data {
        try StatusJSON.encode(await taskStatuses(), pretty: false)
    }

    /// Encodes the entry of `name` from ``taskStatuses()``.
    public func taskStatusJSON(named name: String) async throws -> Data? {
        guard let entry = await taskStatuses().first(where: { $0.name == name }) else { return nil }
        return try StatusJSON.encode(entry, pretty: false)
    }
}
