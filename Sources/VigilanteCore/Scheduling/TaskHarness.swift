import Logging
import Metrics

/// Runs one task without the scheduler: its caches are started and synced, and each ``reconcile()``
/// is one pass with a context like the scheduler's. Tests and tools use it to drive a task pass by pass
/// with a ``ManualClock``.
public final class TaskHarness<T: VigilanteTask>: Sendable {
    /// The task.
    public let task: T
    /// The context every pass gets.
    public let context: TaskContext
    private let cacheLoop: Task<Void, Never>

    /// Starts the task's caches and waits for their first list.
    public init(
        task: T, settings: TaskSettings, client: KubernetesClient, store: TaskStore, clock: any WallClock,
        events: (any EventRecording)? = nil, metrics: any MetricsFactory = MetricsSystem.factory,
        logger: Logger = Logger(label: "vigilante.task"), notifications: any NotificationSending = NoNotifications()
    ) async throws {
        var logger = logger
        logger[metadataKey: "task"] = "\(T.name)"
        let taskClient = settings.dryRun ? client.readOnly() : client
        let caches = TaskCaches(declarations: task.watchedResources, client: client, logger: logger)
        self.task = task
        context = TaskContext(
            settings: settings, client: taskClient, caches: caches, store: store,
            events: events
                ?? EventRecorder(
                    client: taskClient, component: "cops-vigilante", instance: "harness", clock: clock,
                    logger: logger),
            metrics: metrics, logger: logger, clock: clock, notifications: notifications)
        cacheLoop = Task { await caches.run() }
        do {
            try await caches.waitUntilSynced()
        } catch {
            cacheLoop.cancel()
            throw error
        }
    }

    /// One pass.
    public func reconcile() async throws -> TaskOutcome { try await task.reconcile(context) }

    /// The task's status snapshot.
    public func status() async -> T.Status { await task.status(context) }

    /// Stops the caches.
    public func shutdown() async {
        cacheLoop.cancel()
        await cacheLoop.value
    }
}
