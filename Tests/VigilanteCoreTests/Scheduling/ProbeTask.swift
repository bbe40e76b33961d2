import Foundation
import Logging
import Metrics
import Synchronization
import VigilanteCore

/// Names a probe task type, so one scheduler can hold several.
protocol ProbeName: Sendable { static var name: String { get } }
enum ProbeA: ProbeName { static let name = "probe-a" }
enum ProbeB: ProbeName { static let name = "probe-b" }

/// The configuration section of the probe tasks (no keys of its own).
struct ProbeConfiguration: TaskConfiguration {
    static let section = "probe"
    static let summary = "A task for tests."
    static let enabledByDefault = true
    static let defaultInterval: Duration = .seconds(1)
    init() {}
    init(reading reader: inout ConfigReader, environment: ConfigEnvironment) throws(ConfigurationError) {}
}

/// What the probe passes did: when each started and ended, and the most that ran at once.
final class PassLog: Sendable {
    private let state = Mutex<
        (starts: [ContinuousClock.Instant], ends: [ContinuousClock.Instant], active: Int, maxActive: Int)
    >(
        ([], [], 0, 0))

    func begin() -> Int {
        state.withLock { state in
            state.starts.append(.now)
            state.active += 1
            state.maxActive = max(state.maxActive, state.active)
            return state.starts.count
        }
    }

    func end() {
        state.withLock {
            $0.ends.append(.now); $0.active -= 1
        }
    }

    /// How often the task's status was asked for.
    let statusCalls = Mutex(0)

    var starts: [ContinuousClock.Instant] { state.withLock { $0.starts } }
    var passes: Int { state.withLock { $0.starts.count } }
    var maxActive: Int { state.withLock { $0.maxActive } }
}

/// A task whose passes are logged and whose behaviour the test chooses.
struct ProbeTask<Name: ProbeName>: VigilanteTask {
    typealias Configuration = ProbeConfiguration
    struct Status: Encodable, Sendable { let passes: Int }

    static var name: String { Name.name }
    let log: PassLog
    let watched: [WatchedResourceDeclaration]
    let body: @Sendable (Int) async throws -> TaskOutcome

    init(configuration: ProbeConfiguration, settings: TaskSettings) {
        log = PassLog()
        watched = []
        body = { _ in .done }
    }

    init(
        log: PassLog, watched: [WatchedResourceDeclaration] = [],
        body: @escaping @Sendable (Int) async throws -> TaskOutcome = { _ in .done }
    ) {
        self.log = log
        self.watched = watched
        self.body = body
    }

    var watchedResources: [WatchedResourceDeclaration] { watched }

    func reconcile(_ context: TaskContext) async throws -> TaskOutcome {
        let pass = log.begin()
        defer { log.end() }
        return try await body(pass)
    }

    func status(_ context: TaskContext) async -> Status {
        log.statusCalls.withLock { $0 += 1 }
        return Status(passes: log.passes)
    }
}

/// A transport that fails every request: for tasks that never talk to the cluster.
struct UnreachableTransport: KubernetesTransport {
    struct Unreachable: Error {}
    func send(_ request: KubernetesHTTPRequest) async throws -> KubernetesHTTPResponse { throw Unreachable() }
    func shutdown() async throws {}
}

/// A scheduler over `entries` for tests: an in-memory store, no-op metrics, each task's context using
/// `client` (and `notifications`).
func makeTestScheduler(
    _ entries: [TaskRegistry.Entry], client: KubernetesClient, leadership: any Leadership = FixedLeadership(),
    configuration: SchedulerConfiguration = SchedulerConfiguration(),
    notifications: any NotificationSending = NoNotifications()
) throws -> TaskScheduler {
    let store = try VigilanteStore(inMemory: ())
    return TaskScheduler(
        registry: TaskRegistry(entries: entries), leadership: leadership, configuration: configuration,
        metrics: NOOPMetricsHandler.instance, logger: Logger(label: "test")
    ) { entry in
        TaskContext(
            settings: entry.settings, client: client,
            caches: TaskCaches(declarations: entry.task.watchedResources, client: client, logger: Logger(label: "t")),
            store: store.namespace(entry.task.name),
            events: EventRecorder(
                client: client, component: "t", instance: "t", clock: SystemClock(), logger: Logger(label: "t")),
            metrics: NOOPMetricsHandler.instance, logger: Logger(label: "t"), clock: SystemClock(),
            notifications: notifications)
    }
}

/// Waits until `condition` holds (polling, no fixed sleeps); throws naming `message` after `timeout`.
func waitUntil(
    _ message: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool
) async throws {
    struct Timeout: Error, CustomStringConvertible { let description: String }
    guard try await pollUntil(timeout: timeout, interval: .milliseconds(20), condition) else {
        throw Timeout(description: "timed out after \(timeout) waiting for \(message)")
    }
}
