import ClusterSimulator
import Foundation
import Logging
import Metrics
import Synchronization
import Testing

@testable import VigilanteCore

/// A transport that holds node LISTs (not watches) while its gate is closed, so a test decides when a
/// cache gets its list.
final class ListGateTransport: KubernetesTransport {
    let base: any KubernetesTransport
    private let state = Mutex<(closed: Bool, held: Int, waiters: [CheckedContinuation<Void, Never>])>((true, 0, []))

    init(base: any KubernetesTransport) { self.base = base }

    /// How many node LISTs reached the gate while it was closed.
    var held: Int { state.withLock { $0.held } }

    func close() { state.withLock { $0.closed = true } }

    func open() {
        let waiters = state.withLock { state in
            state.closed = false
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func send(_ request: KubernetesHTTPRequest) async throws -> KubernetesHTTPResponse {
        let path = request.pathAndQuery
        if request.method == "GET", path.hasPrefix("/api/v1/nodes"), !path.contains("watch=") {
            await withCheckedContinuation { continuation in
                let wait = state.withLock { state -> Bool in
                    guard state.closed else { return false }
                    state.held += 1
                    state.waiters.append(continuation)
                    return true
                }
                if !wait { continuation.resume() }
            }
        }
        return try await base.send(request)
    }

    func shutdown() async throws { try await base.shutdown() }
}

/// What a pass saw of its cache.
struct SeenCache: Sendable {
    let synced: Bool
    let count: Int
}

/// What the passes of a ``CacheWitnessTask`` saw.
final class SeenLog: Sendable {
    private let views = Mutex<[SeenCache]>([])
    func append(_ view: SeenCache) { views.withLock { $0.append(view) } }
    var all: [SeenCache] { views.withLock { $0 } }
    var count: Int { views.withLock { $0.count } }
}

/// A task that records, at every pass, whether its node cache was synced and how many nodes it held.
struct CacheWitnessTask: VigilanteTask {
    typealias Configuration = ProbeConfiguration
    struct Status: Encodable, Sendable {}

    static let name = "witness"
    let nodes: WatchedResource<Node>
    let seen = SeenLog()

    init(configuration: ProbeConfiguration, settings: TaskSettings) { self.init(triggersRun: true) }

    init(triggersRun: Bool) {
        nodes = WatchedResource(
            "nodes", configuration: ResourceCacheConfiguration(labelSelector: "kubernetes.io/os=windows"),
            triggersRun: triggersRun)
    }

    var watchedResources: [WatchedResourceDeclaration] { [nodes.declaration] }

    func reconcile(_ context: TaskContext) async throws -> TaskOutcome {
        let cache = context.caches.cache(nodes)
        seen.append(SeenCache(synced: cache.hasSynced, count: cache.snapshot().count))
        return .done
    }

    func status(_ context: TaskContext) async -> Status { Status() }
}

/// The scheduler runs no pass of a task before the caches it declared have their first list, and a
/// relist never shows a pass an empty or partial cache.
@Suite struct CacheSyncGateTests {
    @Test func noPassSeesAnUnsyncedCacheBeforeTheFirstListOrDuringARelist() async throws {
        try await SimulatorHarness.withHarness { harness in
            for index in 0..<30 { harness.simulator.addNode(name: "win\(index)", os: "windows") }
            let path = harness.directory.path + "/gated-config"
            try harness.simulator.writeKubeconfig(to: path)
            let connection = try ConnectionResolver(kubeconfigPath: path, environment: [:]).resolve()
            let gate = ListGateTransport(
                base: try AsyncHTTPClientTransport(
                    connection: connection, connectTimeout: .seconds(2), logger: Logger(label: "t")))
            let client = KubernetesClient(
                transport: gate, credentials: connection.credentials, defaultNamespace: "default",
                configuration: SimulatorHarness.clientConfiguration)
            try await using(client) { client in
                let task = CacheWitnessTask(triggersRun: true)
                // A short interval: a scheduler that did not wait would run many passes meanwhile.
                let settings = TaskSettings(
                    section: "probe", enabled: true, interval: .milliseconds(20), dryRun: false,
                    options: ProbeConfiguration())
                let scheduler = try makeTestScheduler(
                    [.init(settings: settings, task: AnyVigilanteTask(task))], client: client,
                    configuration: SchedulerConfiguration(jitterFactor: 0))
                let run = Task { try await scheduler.run() }
                defer { run.cancel() }

                // The first LIST is held: the task is due, but no pass may run.
                try await waitUntil("the first node LIST at the gate") { gate.held == 1 }
                #expect(await scheduler.readinessChecks().allSatisfy(\.ok) == false)
                #expect(task.seen.count == 0, "a pass ran before the cache had its first list")
                gate.open()
                try await waitUntil("passes over the synced cache") { task.seen.count >= 3 }

                // A relist (the watch resumes from a compacted resourceVersion: 410), held at the gate: the
                // passes meanwhile still see the whole cache.
                gate.close()
                // A change the cache does not watch moves the store past the cache's resourceVersion, so
                // after the compaction that resourceVersion is gone.
                harness.simulator.addNode(name: "linux0", os: "linux")
                harness.simulator.compactHistory()
                harness.simulator.cutWatches()
                try await waitUntil("the relist at the gate") { gate.held == 2 }
                let before = task.seen.count
                try await waitUntil("passes while the relist is held") { task.seen.count >= before + 3 }
                harness.simulator.addNode(name: "win-new", os: "windows")
                gate.open()
                try await waitUntil("a pass that sees the relisted cache") {
                    task.seen.all.last?.count == 31
                }
                run.cancel()
                _ = await run.result

                let seen = task.seen.all
                #expect(seen.allSatisfy { $0.synced }, "a pass saw an unsynced cache: \(seen)")
                #expect(
                    seen.allSatisfy { $0.count == 30 || $0.count == 31 },
                    "a pass saw a partial cache: \(seen.map(\.count))")
            }
        }
    }

    /// The first pass follows the sync at once: not after a requeue or the interval.
    @Test func theFirstPassFollowsTheSyncAtOnce() async throws {
        try await SimulatorHarness.withHarness { harness in
            for index in 0..<5 { harness.simulator.addNode(name: "win\(index)", os: "windows") }
            try await using(try harness.adminClient()) { client in
                // An hour's interval and no early runs on changes: only the sync can start the first pass.
                let task = CacheWitnessTask(triggersRun: false)
                let settings = TaskSettings(
                    section: "probe", enabled: true, interval: .seconds(3600), dryRun: false,
                    options: ProbeConfiguration())
                let scheduler = try makeTestScheduler(
                    [.init(settings: settings, task: AnyVigilanteTask(task))], client: client)
                let run = Task { try await scheduler.run() }
                defer { run.cancel() }
                try await waitUntil("the first pass") { task.seen.count >= 1 }
                let first = task.seen.all[0]
                #expect(first.synced && first.count == 5, "the first pass saw \(first)")
                run.cancel()
                _ = await run.result
            }
        }
    }
}
