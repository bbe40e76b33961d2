import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Tunables of the ``TaskScheduler``.
public struct SchedulerConfiguration: Sendable {
    /// The next run is due after `interval × (1 + jitterFactor × random[0, 1))`, like client-go's
    /// JitterUntil, so that replicas and tasks do not run in lockstep.
    public var jitterFactor: Double
    /// A pass running longer is cancelled and recorded as timed out.
    public var runTimeout: Duration
    /// Changes of a watched resource within this time cause one early run, not many.
    public var debounce: Duration
    /// On shutdown, a running pass may finish for this long before it is cancelled.
    public var shutdownGracePeriod: Duration
    /// How many past runs are kept per task.
    public var historyLimit: Int

    /// Creates a configuration.
    public init(
        jitterFactor: Double = 0.1, runTimeout: Duration = .seconds(300), debounce: Duration = .milliseconds(200),
        shutdownGracePeriod: Duration = .seconds(10), historyLimit: Int = 20
    ) {
        self.jitterFactor = jitterFactor
        self.runTimeout = runTimeout
        self.debounce = debounce
        self.shutdownGracePeriod = shutdownGracePeriod
        self.historyLimit = historyLimit
    }
}

/// Runs each enabled task at its interval with jitter, never overlapping itself, with a timeout, early
/// when a watched resource changes (debounced), and only while this instance is the leader. A failure
/// or timeout of one task never stops the others. It is also the source of `/tasks`.
public final class TaskScheduler: Service, Sendable {
    private let registry: TaskRegistry
    private let runners: [TaskRunner]
    private let leadership: any Leadership
    private let configuration: SchedulerConfiguration
    private let logger: Logger
    private let loop = Mutex<(running: Bool, lastTick: ContinuousClock.Instant?)>((false, nil))

    /// Creates a scheduler for the tasks of `registry`; `makeContext` builds each task's context (the
    /// runtime decides which client, store namespace and recorder a task gets).
    public init(
        registry: TaskRegistry, leadership: any Leadership, configuration: SchedulerConfiguration = .init(),
        metrics: any MetricsFactory, logger: Logger, makeContext: (TaskRegistry.Entry) -> TaskContext
    ) {
        self.registry = registry
        self.leadership = leadership
        self.configuration = configuration
        self.logger = logger
        runners = registry.entries.map { entry in
            TaskRunner(
                entry: entry, context: makeContext(entry), configuration: configuration, leadership: leadership,
                metrics: metrics)
        }
    }

    /// Returns once the caches of every enabled task have their first list; throws when cancelled.
    public func waitUntilCachesSynced() async throws {
        for runner in runners where runner.enabled { try await runner.waitUntilCachesSynced() }
    }

    /// The runner of `name`, for tests.
    func runner(_ name: String) -> TaskRunner? { runners.first { $0.name == name } }

    public func run() async throws {
        loop.withLock { $0 = (true, .now) }
        defer { loop.withLock { $0.running = false } }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for runner in runners where runner.enabled {
                    group.addTask { await runner.runCaches() }
                    group.addTask { await runner.forwardChanges() }
                    group.addTask { await runner.loop() }
                }
                group.addTask { await self.followLeadership() }
                group.addTask { await self.tick() }
                // Ends when every runner loop ended (shutdown); then stop caches and helpers.
                await withDiscardingTaskGroup { loops in
                    for runner in runners where runner.enabled { loops.addTask { await runner.waitUntilStopped() } }
                    if !runners.contains(where: \.enabled) {
                        // Nothing to run: stay up (for /tasks and probes) until asked to stop.
                        loops.addTask { try? await gracefulShutdown() }
                    }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.logger.info("shutting down: no new passes; a running pass may finish")
            for runner in self.runners { runner.stop(grace: self.configuration.shutdownGracePeriod) }
        }
    }

    private func followLeadership() async {
        for await isLeader in leadership.changes() {
            logger.notice(isLeader ? "leading: tasks run" : "lost leadership: tasks stop")
            for runner in runners {
                if !isLeader { runner.cancelCurrentPass() }
                runner.wake()
            }
        }
    }

    private func tick() async {
        while !Task.isCancelled {
            loop.withLock { $0.lastTick = .now }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}

extension TaskScheduler: StatusProvider {
    public func taskStatuses() async -> [TaskStatusEntry] {
        var entries: [TaskStatusEntry] = []
        for runner in runners { entries.append(await runner.statusEntry()) }
        return entries
    }

    public func taskStatusesJSON() async throws -> Data {
        var entries: [Data] = []
        for runner in runners { entries.append(try await runner.statusEntryJSON()) }
        return StatusJSON.array(entries)
    }

    public func taskStatusJSON(named name: String) async throws -> Data? {
        guard let runner = runner(name) else { return nil }
        return try await runner.statusEntryJSON()
    }

    public func livenessProblem() async -> String? {
        let (running, lastTick) = loop.withLock { $0 }
        guard running, let lastTick else { return "the scheduler loop is not running" }
        let age = ContinuousClock.now - lastTick
        return age > .seconds(30) ? "the scheduler loop has not ticked for \(age.configText)" : nil
    }

    public func readinessChecks() async -> [ReadinessCheck] {
        let unsynced = runners.filter { $0.enabled && !$0.cachesSynced }.map(\.name)
        return [
            ReadinessCheck(
                name: "caches", ok: unsynced.isEmpty,
                detail: unsynced.isEmpty ? nil : "waiting for the first list of: \(unsynced.joined(separator: ", "))")
        ]
    }
}
