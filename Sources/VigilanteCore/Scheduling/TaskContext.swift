import Logging
import Metrics

/// Everything a task may use during a pass, handed to it by the core.
public struct TaskContext: Sendable {
    /// The task's settings (interval, dry-run, its own options).
    public var settings: TaskSettings
    /// The cluster client; in dry-run it refuses every mutation with ``KubernetesError/dryRun(_:)``.
    public var client: KubernetesClient
    /// The caches of the resources the task declared.
    public var caches: TaskCaches
    /// The task's own namespace in the store.
    public var store: TaskStore
    /// Records Kubernetes Events on objects.
    public var events: any EventRecording
    /// Creates the task's metrics.
    public var metrics: any MetricsFactory
    /// A logger labelled with the task's name.
    public var logger: Logger
    /// The time source.
    public var clock: any WallClock
    /// Sends Slack, Teams and webhook notifications (stamped with the task's name and dry-run setting).
    public var notifications: any NotificationSending

    /// Whether the task must report actions instead of taking them.
    public var dryRun: Bool { settings.dryRun }

    /// Creates a context.
    public init(
        settings: TaskSettings, client: KubernetesClient, caches: TaskCaches, store: TaskStore,
        events: any EventRecording, metrics: any MetricsFactory, logger: Logger, clock: any WallClock,
        notifications: any NotificationSending = NoNotifications()
    ) {
        self.settings = settings
        self.client = client
        self.caches = caches
        self.store = store
        self.events = events
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
        self.notifications = TaskNotifications(base: notifications, task: settings.section, dryRun: settings.dryRun)
    }
}
