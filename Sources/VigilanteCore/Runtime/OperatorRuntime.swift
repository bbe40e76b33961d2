import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import UnixSignals

/// The operator assembled from its configuration: client, store, leader election, scheduler with the
/// registered tasks, and the status server, run as one service group that shuts down gracefully on
/// SIGTERM and SIGINT. The executable only builds one of these and runs it.
public final class OperatorRuntime: Sendable {
    /// A problem found while assembling the operator, before anything touched the cluster.
    public struct StartupError: Error, CustomStringConvertible {
        /// What failed and how to fix it.
        public var description: String
        /// Whether the cause is configuration (exit status 2) rather than the environment (1).
        public var isConfigurationError: Bool
    }

    /// The configuration in force.
    public let configuration: Configuration
    /// The cluster client (read-only when the whole operator is in dry-run).
    public let client: KubernetesClient
    /// The store.
    public let store: VigilanteStore
    /// The scheduler.
    public let scheduler: TaskScheduler
    /// The status server.
    public let statusServer: StatusServer
    /// The leadership (the elector, or fixed when leader election is off or in dry-run).
    public let leadership: any Leadership
    /// Delivers Slack, Teams and webhook notifications; nil when no destination is configured.
    public let notifications: NotificationDispatcher?
    private let elector: LeaderElector?
    private let logger: Logger

    /// Assembles the operator. `connection` overrides kubeconfig resolution (the demo passes its
    /// simulator's); `store` overrides opening `configuration.store.path`; `version` is what the status
    /// page shows (the executable passes its build's).
    public init(
        configuration: Configuration, taskTypes: [TaskType], registry: PrometheusCollectorRegistry,
        metrics: any MetricsFactory, logger: Logger, clock: any WallClock = SystemClock(),
        connection: KubernetesConnection? = nil, store: VigilanteStore? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        schedulerConfiguration: SchedulerConfiguration = .init(), version: String = "unknown"
    ) throws(StartupError) {
        self.configuration = configuration
        self.logger = logger
        let resolved: KubernetesConnection
        do {
            resolved =
                try connection
                ?? ConnectionResolver(
                    kubeconfigPath: configuration.kubernetes.kubeconfig, context: configuration.kubernetes.context,
                    environment: environment
                ).resolve()
        } catch {
            throw StartupError(description: "\(error)", isConfigurationError: true)
        }
        do {
            self.store = try store ?? VigilanteStore(path: configuration.store.path)
        } catch {
            throw StartupError(description: "\(error)", isConfigurationError: false)
        }
        let reachability = APIReachability()
        let clientConfiguration = KubernetesClientConfiguration(
            requestTimeout: configuration.kubernetes.requestTimeout, readOnly: configuration.dryRun,
            writeLimiter: configuration.kubernetes.writeLimiter)
        do {
            let transport = ReachabilityTrackingTransport(
                base: try AsyncHTTPClientTransport(
                    connection: resolved, connectTimeout: clientConfiguration.connectTimeout,
                    logger: Logger(label: "vigilante.kubernetes")),
                reachability: reachability)
            client = KubernetesClient(
                transport: transport, credentials: resolved.credentials, defaultNamespace: resolved.namespace,
                configuration: clientConfiguration, logger: Logger(label: "vigilante.kubernetes"),
                metrics: KubernetesClientMetrics(factory: metrics))
        } catch {
            throw StartupError(description: "\(error)", isConfigurationError: true)
        }

        if configuration.leaderElection.enabled && !configuration.dryRun {
            let elector = LeaderElector(
                settings: configuration.leaderElection, client: client, clock: clock, metrics: metrics,
                logger: Logger(label: "vigilante.leader-election"))
            self.elector = elector
            leadership = elector
        } else {
            if configuration.dryRun && configuration.leaderElection.enabled {
                logger.notice("dry-run: leader election is skipped (it would write a Lease); this instance leads")
            }
            Gauge(label: "vigilante_leader", dimensions: [], factory: metrics).record(1)
            elector = nil
            leadership = FixedLeadership(isLeader: true)
        }

        let notifications =
            configuration.notifications.destinations.isEmpty
            ? nil
            : NotificationDispatcher(
                settings: configuration.notifications, instance: configuration.leaderElection.identity,
                cluster: configuration.notifications.clusterName, leadership: elector, clock: clock, metrics: metrics,
                logger: Logger(label: "vigilante.notifications"))
        self.notifications = notifications
        let taskRegistry = TaskRegistry(types: taskTypes, configuration: configuration)
        let client = client
        let store = self.store
        let instance = configuration.leaderElection.identity
        scheduler = TaskScheduler(
            registry: taskRegistry, leadership: leadership, configuration: schedulerConfiguration, metrics: metrics,
            logger: Logger(label: "vigilante.scheduler")
        ) { entry in
            var taskLogger = Logger(label: "vigilante.task")
            taskLogger[metadataKey: "task"] = "\(entry.task.name)"
            let taskClient = entry.settings.dryRun ? client.readOnly() : client
            return TaskContext(
                settings: entry.settings, client: taskClient,
                caches: TaskCaches(declarations: entry.task.watchedResources, client: client, logger: taskLogger),
                store: store.namespace(entry.task.name),
                events: EventRecorder(
                    client: taskClient, component: "cops-vigilante", instance: instance, clock: clock,
                    logger: taskLogger),
                metrics: metrics, logger: taskLogger, clock: clock,
                notifications: notifications ?? NoNotifications())
        }
        // A leader renews its lease every retryPeriod, so with leader election an API server silent for two
        // lease durations is really gone; without it, only watches and passes talk to the server.
        let reachabilityWindow =
            elector != nil
            ? configuration.leaderElection.leaseDuration * 2
            : max(configuration.tasks.map(\.interval).max() ?? .seconds(30), .seconds(60))
        statusServer = StatusServer(
            http: configuration.http, tls: configuration.tls,
            provider: OperatorStatus(
                scheduler: scheduler, store: self.store, reachability: reachability,
                reachabilityWindow: reachabilityWindow, leadership: leadership, identity: instance, clock: clock,
                version: version),
            registry: registry, logger: Logger(label: "vigilante.http"),
            metricHelp: taskTypes.reduce(MetricHelp.core) { $0.merging($1.metricHelp) })
    }

    /// Waits until the API server answers anything (`GET /version`; any HTTP status proves it is
    /// reachable), for at most `kubernetes.startupTimeout`.
    public func waitForAPIServer() async throws(StartupError) {
        let deadline = ContinuousClock.now + configuration.kubernetes.startupTimeout
        var lastError = "no answer"
        var attempt = 0
        while ContinuousClock.now < deadline {
            do {
                try await client.probeServer(timeout: min(configuration.kubernetes.requestTimeout, .seconds(5)))
                return
            } catch {
                lastError = "\(error)"
            }
            attempt += 1
            logger.warning("the API server does not answer yet", metadata: ["error": "\(lastError)"])
            try? await Task.sleep(for: min(.milliseconds(250) * Double(attempt), .seconds(3)))
        }
        throw StartupError(
            description:
                "the API server did not answer within kubernetes.startupTimeout "
                + "(\(configuration.kubernetes.startupTimeout.configText)): \(lastError)",
            isConfigurationError: false)
    }

    /// Closes the client's connections, for an operator that never ran (``run()`` does it itself).
    public func shutdown() async {
        try? await client.shutdown()
        try? store.close()
    }

    /// Runs until SIGTERM/SIGINT (or cancellation), then stops scheduling, lets a running pass finish
    /// (bounded), releases the lease, and closes the store.
    public func run(signals: [UnixSignal] = [.sigterm, .sigint]) async throws {
        var services: [any Service] = [statusServer, scheduler]
        if let elector { services.insert(elector, at: 0) }
        // First in, last out: the group stops services in reverse order, so the last events still go out.
        if let notifications { services.insert(notifications, at: 0) }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                gracefulShutdownSignals: signals, logger: logger))
        logger.info(
            "operator starting",
            metadata: [
                "tasks": "\(configuration.tasks.filter(\.enabled).map(\.section).joined(separator: ","))",
                "dryRun": "\(configuration.dryRun)", "store": "\(store.path)",
            ])
        defer {
            try? store.close()
        }
        let announce = Task { [statusServer, scheduler, logger, configuration] in
            guard let port = try? await statusServer.boundPort() else { return }
            logger.info(
                "status server listening",
                metadata: ["port": "\(port)", "scheme": "\(configuration.tls.enabled ? "https" : "http")"])
            // Once every cache has its first list, the start-up code (configuration, migrations, TLS set-up,
            // first lists) has run and will not run again: drop its pages (see MappedFilePages).
            guard (try? await scheduler.waitUntilCachesSynced()) != nil else { return }
            MappedFilePages.trim()
        }
        defer { announce.cancel() }
        do {
            try await group.run()
        } catch {
            try? await client.shutdown()
            throw error
        }
        try? await client.shutdown()
        logger.info("operator stopped")
    }
}
