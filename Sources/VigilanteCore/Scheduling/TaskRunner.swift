import Foundation
import Logging
import Metrics
import Synchronization

/// Runs one task: its caches, its schedule, its passes and their history.
final class TaskRunner: Sendable {
    let name: String
    let enabled: Bool
    private let entry: TaskRegistry.Entry
    private let context: TaskContext
    private let configuration: SchedulerConfiguration
    private let leadership: any Leadership
    private let caches: [(declaration: WatchedResourceDeclaration, cache: any RunnableCache)]
    private let wakeup = WakeupSignal()
    private let stopped = WakeupSignal()
    private let metrics: RunMetrics
    private let state = Mutex(State())
    /// The last entry served as JSON, reused while nothing in it changed.
    private let servedEntry = Mutex<(entry: TaskStatusEntry, detailsGeneration: UInt64, json: Data)?>(nil)

    /// A task's status encoded once and served to every request until it is replaced.
    struct EncodedDetails: Sendable {
        var json: Data
        /// What the status page shows of them.
        var page: StatusPageSection?
        var generation: UInt64
        /// nil for details from the end of a pass (kept until the next pass); for details computed for a
        /// request, when they stop being served.
        var expiresAt: ContinuousClock.Instant?
    }

    /// How long details computed for a request (before the task's first pass: disabled, standby, not yet
    /// synced) are served again: the store and caches they read are not read once per request.
    static let onRequestDetailsLifetime = Duration.seconds(1)

    private struct State {
        var running = false
        var stopping = false
        var stopped = false
        var nextRunAt: Date?
        var runs = 0
        var failures = 0
        /// Failed passes since the last one that did not fail, for the taskFailing notification.
        var consecutiveFailures = 0
        var history: [TaskStatusEntry.Run] = []
        var currentPass: Task<TaskOutcome, any Error>?
        var debouncePending = false
        /// The task's status, encoded: as of the end of its last pass, or (before the first pass) as
        /// computed for a request at most ``TaskRunner/onRequestDetailsLifetime`` ago.
        var details: EncodedDetails?
        /// Numbers each new `details`.
        var detailsGeneration: UInt64 = 0
    }

    init(
        entry: TaskRegistry.Entry, context: TaskContext, configuration: SchedulerConfiguration,
        leadership: any Leadership, metrics: any MetricsFactory
    ) {
        self.entry = entry
        self.name = entry.task.name
        self.enabled = entry.settings.enabled
        self.context = context
        self.configuration = configuration
        self.leadership = leadership
        self.metrics = RunMetrics(task: entry.task.name, factory: metrics)
        if entry.settings.enabled { self.metrics.interval(entry.settings.interval) }
        let declared = Dictionary(
            entry.task.watchedResources.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        caches = entry.task.watchedResources.compactMap { declaration in
            context.caches.caches[declaration.id].map { (declaration, $0) }
        }
        precondition(declared.count == context.caches.caches.count, "every watched resource needs one cache")
    }

    var cachesSynced: Bool { caches.allSatisfy { $0.cache.hasSynced } }

    /// Returns once every cache of the task has its first list.
    func waitUntilCachesSynced() async throws { try await context.caches.waitUntilSynced() }

    // MARK: Loops

    /// Keeps the task's caches current until cancelled.
    func runCaches() async { await context.caches.run() }

    /// Turns changes of the triggering caches into debounced early runs.
    func forwardChanges() async {
        await withDiscardingTaskGroup { group in
            for (declaration, cache) in caches where declaration.triggersRun {
                let changes = cache.changes()
                group.addTask {
                    for await _ in changes { self.debouncedWake() }
                }
            }
        }
    }

    private func debouncedWake() {
        let first = state.withLock { state -> Bool in
            defer { state.debouncePending = true }
            return !state.debouncePending
        }
        guard first else { return }
        Task {
            try? await Task.sleep(for: configuration.debounce)
            state.withLock { $0.debouncePending = false }
            wake()
        }
    }

    /// Wakes the loop (a change, a leadership change, shutdown).
    func wake() { wakeup.signal() }

    /// Asks the loop to end after the current pass; cancels that pass if it outlasts `grace`.
    func stop(grace: Duration) {
        let pass = state.withLock { state -> Task<TaskOutcome, any Error>? in
            state.stopping = true
            return state.currentPass
        }
        wake()
        if let pass {
            Task {
                try? await Task.sleep(for: grace)
                pass.cancel()
            }
        }
    }

    /// Cancels the running pass, if any (leadership lost).
    func cancelCurrentPass() {
        state.withLock { $0.currentPass }?.cancel()
    }

    /// Returns when the loop has ended.
    func waitUntilStopped() async {
        while !state.withLock({ $0.stopped }) { _ = await stopped.wait(timeout: nil) }
    }

    /// The schedule: wait for the caches' first list, then: wait for leadership, wait until due or woken,
    /// run a pass, repeat.
    func loop() async {
        defer {
            state.withLock { $0.stopped = true }
            stopped.signal()
        }
        // No pass sees a cache before its first list: an unsynced cache is empty, not "nothing exists".
        // Once synced, a cache stays synced (a relist replaces its objects at once), so this holds for
        // every later pass too. The first pass follows the sync at once.
        guard await waitUntilCachesSyncedOrStopping() else { return }
        var due = ContinuousClock.now
        while !state.withLock({ $0.stopping }) && !Task.isCancelled {
            guard leadership.isLeader else {
                state.withLock { $0.nextRunAt = nil }
                _ = await wakeup.wait(timeout: nil)
                due = .now
                continue
            }
            let now = ContinuousClock.now
            if now < due {
                state.withLock { $0.nextRunAt = context.clock.now().addingTimeInterval((due - now).seconds) }
                _ = await wakeup.wait(timeout: due - now)
                if state.withLock({ $0.stopping }) || !leadership.isLeader { continue }
            }
            let outcome = await runPass()
            due = ContinuousClock.now + delay(after: outcome)
        }
    }

    /// Waits until every cache of the task has its first list (true), or until the runner stops or is
    /// cancelled (false).
    private func waitUntilCachesSyncedOrStopping() async -> Bool {
        let synced = await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await self.context.caches.waitUntilSynced()
                self.wake()
            }
            defer { group.cancelAll() }
            while !cachesSynced {
                if state.withLock({ $0.stopping }) || Task.isCancelled { return false }
                _ = await wakeup.wait(timeout: nil)
            }
            return true
        }
        // The sync's own signal (or a leadership change meanwhile, which the loop reads anyway) must not run
        // a second pass right after the first; a stop asked for meanwhile is read from the state.
        wakeup.clear()
        return synced && !state.withLock { $0.stopping }
    }

    private func delay(after outcome: TaskOutcome?) -> Duration {
        if case .requeue(let after) = outcome { return after }
        return Self.jitteredDelay(
            interval: entry.settings.interval, jitterFactor: configuration.jitterFactor, unit: Double.random(in: 0..<1))
    }

    /// `interval × (1 + jitterFactor × unit)` for `unit` in [0, 1): never sooner than the interval.
    static func jitteredDelay(interval: Duration, jitterFactor: Double, unit: Double) -> Duration {
        interval + interval * (jitterFactor * unit)
    }

    /// Runs one pass with the timeout and records it; nil when it did not end with an outcome.
    @discardableResult
    func runPass() async -> TaskOutcome? {
        let task = entry.task
        let context = context
        let startedAt = context.clock.now()
        let start = ContinuousClock.now
        let pass = Task { try await task.reconcile(context) }
        state.withLock { state in
            state.running = true
            state.currentPass = pass
            state.nextRunAt = nil
            state.history.append(TaskStatusEntry.Run(startedAt: startedAt))
            if state.history.count > configuration.historyLimit { state.history.removeFirst() }
        }
        enum Ending: Sendable {
            case finished(Result<TaskOutcome, any Error>)
            case timedOut
        }
        let timeout = configuration.runTimeout
        let ending = await withTaskGroup(of: Ending?.self) { group in
            group.addTask { .finished(await pass.result) }
            group.addTask {
                do {
                    try await Task.sleep(for: timeout)
                    return .timedOut
                } catch {
                    return nil
                }
            }
            var ending: Ending?
            while let next = await group.next() {
                guard let next else { continue }
                if ending == nil { ending = next }
                // Whatever came first, never leave a pass running behind the next one.
                pass.cancel()
                group.cancelAll()
            }
            return ending
        }
        let elapsed = ContinuousClock.now - start
        let outcome: TaskOutcome?
        let label: String
        var errorText: String?
        switch ending {
        case .finished(.success(let result)):
            outcome = result
            label = result.label
            if case .failed(let message) = result { errorText = message }
        case .finished(.failure(let error)):
            outcome = nil
            label = error is CancellationError ? "cancelled" : "failed"
            errorText = "\(error)"
        case .timedOut:
            outcome = nil
            label = "timedOut"
            errorText = "the pass took longer than \(timeout.configText) and was cancelled"
        case nil:
            outcome = nil
            label = "cancelled"
        }
        let failed = label == "failed" || label == "timedOut"
        if failed {
            context.logger.warning("pass \(label)", metadata: ["error": "\(errorText ?? "")"])
        } else {
            context.logger.debug("pass \(label)", metadata: ["seconds": "\(elapsed.seconds)"])
        }
        let finishedAt = context.clock.now()
        let consecutiveFailures = state.withLock { state -> Int in
            state.running = false
            state.currentPass = nil
            state.runs += 1
            if failed { state.failures += 1 }
            if label != "cancelled" { state.consecutiveFailures = failed ? state.consecutiveFailures + 1 : 0 }
            if !state.history.isEmpty {
                state.history[state.history.count - 1] = TaskStatusEntry.Run(
                    startedAt: startedAt, finishedAt: finishedAt, durationSeconds: elapsed.seconds, outcome: label,
                    error: errorText)
            }
            return state.consecutiveFailures
        }
        if failed {
            context.notifications.send(
                NotificationEvent(
                    kind: .taskFailing, subject: name, detail: errorText, consecutiveFailures: consecutiveFailures))
        }
        metrics.record(outcome: label, duration: elapsed, succeeded: !failed && label != "cancelled", at: finishedAt)
        // Computed and encoded once per pass, not once per `/tasks` request: a status over thousands of
        // nodes is costly.
        let details = await task.statusJSONAndPage(context)
        state.withLock { state in
            state.detailsGeneration += 1
            state.details = EncodedDetails(
                json: details.json, page: details.page, generation: state.detailsGeneration, expiresAt: nil)
        }
        return outcome
    }

    // MARK: Status

    /// The task's entry in `GET /tasks`.
    func statusEntry() async -> TaskStatusEntry {
        var (entry, details) = await entryAndEncodedDetails()
        entry.details = (try? JSONDecoder().decode(RawJSON.self, from: details.json)) ?? .null
        entry.page = details.page
        return entry
    }

    /// The task's entry in `GET /tasks` as compact JSON. The details were encoded at the end of the last
    /// pass; the rest of the entry is encoded again only when it changed since the last request.
    func statusEntryJSON() async throws -> Data {
        let (entry, details) = await entryAndEncodedDetails()
        if let served = servedEntry.withLock({ $0 }), served.detailsGeneration == details.generation,
            served.entry == entry
        {
            return served.json
        }
        let json = try StatusJSON.encode(entry, details: details.json)
        servedEntry.withLock { $0 = (entry, details.generation, json) }
        return json
    }

    /// The entry without its details, and the details encoded.
    private func entryAndEncodedDetails() async -> (TaskStatusEntry, EncodedDetails) {
        let snapshot = state.withLock { $0 }
        let taskState: TaskStatusEntry.State
        if !enabled {
            taskState = .disabled
        } else if snapshot.running {
            taskState = .running
        } else if !leadership.isLeader {
            taskState = .standby
        } else {
            taskState = .idle
        }
        let entry = TaskStatusEntry(
            name: name, enabled: enabled, interval: entry.settings.interval.configText, state: taskState,
            lastRun: snapshot.history.last, nextRunAt: taskState == .idle ? snapshot.nextRunAt : nil,
            runs: snapshot.runs, failures: snapshot.failures, details: .null)
        if let details = snapshot.details, details.expiresAt.map({ ContinuousClock.now < $0 }) ?? true {
            return (entry, details)
        }
        let (json, page) = await self.entry.task.statusJSONAndPage(context)
        let details = state.withLock { state -> EncodedDetails in
            // A pass that ended meanwhile has the newer details.
            if let details = state.details, details.expiresAt == nil { return details }
            state.detailsGeneration += 1
            let details = EncodedDetails(
                json: json, page: page, generation: state.detailsGeneration,
                expiresAt: .now + Self.onRequestDetailsLifetime)
            state.details = details
            return details
        }
        return (entry, details)
    }

    /// Past runs, oldest first.
    var history: [TaskStatusEntry.Run] { state.withLock { $0.history } }
}

/// The scheduler's metrics of one task: passes by outcome, their duration, when the last one ended (and
/// the last successful one), and the configured interval of an enabled task (alerts compare the two).
struct RunMetrics: Sendable {
    let task: String
    let factory: any MetricsFactory
    let duration: Metrics.Timer
    let lastSuccess: Gauge
    let lastRun: Gauge

    init(task: String, factory: any MetricsFactory) {
        self.task = task
        self.factory = factory
        duration = Metrics.Timer(
            label: "vigilante_task_run_duration_seconds", dimensions: [("task", task)], factory: factory)
        lastSuccess = Gauge(
            label: "vigilante_task_last_success_timestamp_seconds", dimensions: [("task", task)], factory: factory)
        lastRun = Gauge(
            label: "vigilante_task_last_run_timestamp_seconds", dimensions: [("task", task)], factory: factory)
    }

    /// Publishes the configured interval (`vigilante_task_interval_seconds`).
    func interval(_ interval: Duration) {
        Gauge(label: "vigilante_task_interval_seconds", dimensions: [("task", task)], factory: factory)
            .record(interval.seconds)
    }

    func record(outcome: String, duration elapsed: Duration, succeeded: Bool, at date: Date) {
        Counter(
            label: "vigilante_task_runs_total", dimensions: [("task", task), ("outcome", outcome)], factory: factory
        )
        .increment()
        duration.recordNanoseconds(Int64(elapsed.seconds * 1e9))
        lastRun.record(date.timeIntervalSince1970)
        if succeeded { lastSuccess.record(date.timeIntervalSince1970) }
    }
}
