import ClusterSimulator
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import Testing

@testable import VigilanteCore

/// A transport that can be cut, as if the process behind it had been killed mid-lease.
final class CuttableTransport: KubernetesTransport {
    struct Cut: Error {}
    let base: any KubernetesTransport
    private let cut = Mutex(false)

    init(base: any KubernetesTransport) { self.base = base }

    func sever() { cut.withLock { $0 = true } }

    func send(_ request: KubernetesHTTPRequest) async throws -> KubernetesHTTPResponse {
        if cut.withLock({ $0 }) { throw Cut() }
        return try await base.send(request)
    }

    func shutdown() async throws { try await base.shutdown() }
}

/// The runtime's parts against a running ClusterSimulator over HTTPS.
@Suite struct RuntimeIntegrationTests {
    /// An admin client over a transport that the test can cut.
    func cuttableClient(_ harness: SimulatorHarness) throws -> (KubernetesClient, CuttableTransport) {
        let path = harness.directory.path + "/cuttable-\(UUID().uuidString)"
        try harness.simulator.writeKubeconfig(to: path)
        let connection = try ConnectionResolver(kubeconfigPath: path, environment: [:]).resolve()
        let cuttable = CuttableTransport(
            base: try AsyncHTTPClientTransport(
                connection: connection, connectTimeout: .seconds(2), logger: Logger(label: "t")))
        let client = KubernetesClient(
            transport: cuttable, credentials: connection.credentials, defaultNamespace: "default",
            configuration: SimulatorHarness.clientConfiguration)
        return (client, cuttable)
    }

    @Test func aWatchedChangeRunsTheTaskEarly() async throws {
        try await SimulatorHarness.withHarness { harness in
            try await using(try harness.adminClient()) { client in
                let log = PassLog()
                let nodes = WatchedResource<Node>(
                    "nodes", configuration: ResourceCacheConfiguration(labelSelector: "kubernetes.io/os=windows"),
                    triggersRun: true)
                let task = ProbeTask<ProbeA>(log: log, watched: [nodes.declaration])
                let settings = TaskSettings(
                    section: "probe", enabled: true, interval: .seconds(3600), dryRun: false,
                    options: ProbeConfiguration())
                let scheduler = try makeTestScheduler(
                    [.init(settings: settings, task: AnyVigilanteTask(task))], client: client)
                let run = Task { try await scheduler.run() }
                defer { run.cancel() }
                try await waitUntil("the first pass and a synced cache") {
                    let ready = await scheduler.readinessChecks().allSatisfy(\.ok)
                    return log.passes == 1 && ready
                }
                harness.simulator.addNode(name: "linux1", os: "linux")
                harness.simulator.addNode(name: "win1", os: "windows")
                try await waitUntil("an early pass after the Windows node appeared (interval is 1h)") {
                    log.passes == 2
                }
                run.cancel()
                _ = await run.result
            }
        }
    }

    @Test func onlyOneElectorLeadsAndAnotherTakesOverWhenTheLeaderDies() async throws {
        try await SimulatorHarness.withHarness { harness in
            func settings(_ identity: String) -> Configuration.LeaderElectionSettings {
                Configuration.LeaderElectionSettings(
                    enabled: true, leaseName: "cops-vigilante", leaseNamespace: "default", identity: identity,
                    // Long enough that renewals on a loaded 2-core machine stay within the deadline (with
                    // 2 s / 1.5 s the first elector lost the lease in one CI run while renewing).
                    leaseDuration: .seconds(6), renewDeadline: .seconds(5), retryPeriod: .milliseconds(250))
            }
            let (firstClient, cuttable) = try cuttableClient(harness)
            let secondClient = try harness.adminClient()
            let first = LeaderElector(
                settings: settings("first"), client: firstClient, clock: SystemClock(),
                metrics: NOOPMetricsHandler.instance, logger: Logger(label: "first"))
            let second = LeaderElector(
                settings: settings("second"), client: secondClient, clock: SystemClock(),
                metrics: NOOPMetricsHandler.instance, logger: Logger(label: "second"))
            try await using(firstClient) { _ in
                try await using(secondClient) { _ in
                    let runFirst = Task { try await first.run() }
                    try await waitUntil("the first elector leads") { first.isLeader }
                    let runSecond = Task { try await second.run() }
                    defer {
                        runFirst.cancel()
                        runSecond.cancel()
                    }
                    // While the first renews, the second never leads.
                    for _ in 0..<20 {
                        try await Task.sleep(for: .milliseconds(100))
                        #expect(!second.isLeader)
                        #expect(first.isLeader)
                    }
                    // The standby knows who leads (the status page shows it).
                    #expect(second.leaderIdentity == "first")
                    #expect(first.leaderIdentity == "first")
                    // The first "dies": it can no longer reach the server and never releases the lease.
                    let killedAt = ContinuousClock.now
                    cuttable.sever()
                    try await waitUntil("the second takes over", timeout: .seconds(30)) { second.isLeader }
                    let takeover = ContinuousClock.now - killedAt
                    try await waitUntil("the first steps down") { !first.isLeader }
                    // Takeover waits for the lease to expire: at least about leaseDuration, and not much more.
                    #expect(takeover >= .milliseconds(5500), "took over after \(takeover), before the lease expired")
                    #expect(takeover < .seconds(20), "took over only after \(takeover)")
                    let lease = try await secondClient.get(Lease.self, name: "cops-vigilante", namespace: "default")
                    #expect(lease.spec?.holderIdentity == "second")
                    #expect(lease.spec?.leaseTransitions == 1)
                    #expect(second.leaderIdentity == "second")
                    runFirst.cancel()
                    runSecond.cancel()
                    _ = await (runFirst.result, runSecond.result)
                }
            }
        }
    }

    /// An API server that refuses connections: the lease attempt fails at once and says so, as kubectl
    /// would ("connection refused to https://…"), not that a deadline ran out.
    @Test func aLeaseAttemptAgainstARefusingServerSaysTheConnectionWasRefused() async throws {
        try await SimulatorHarness.withHarness { harness in
            try await using(try harness.adminClient()) { client in
                let elector = LeaderElector(
                    settings: Configuration.LeaderElectionSettings(
                        enabled: true, leaseName: "vigilante", leaseNamespace: "default", identity: "me",
                        // A deadline no loaded machine reaches: the message, not the timing, is under test.
                        leaseDuration: .seconds(90), renewDeadline: .seconds(60), retryPeriod: .seconds(2)),
                    client: client, clock: SystemClock(), metrics: NOOPMetricsHandler.instance,
                    logger: Logger(label: "t"))
                await harness.simulator.refuseConnections(for: .seconds(120))
                let acquired = await elector.tryAcquireOrRenew()
                #expect(!acquired)
                let error = elector.lastError ?? ""
                #expect(
                    error.contains("connection refused to \(harness.simulator.baseURL)"),
                    "the lease attempt's error: \(error)")
                #expect(!error.contains("no answer"), "the lease attempt's error: \(error)")
            }
        }
    }

    @Test func aLeaderReleasesTheLeaseOnShutdown() async throws {
        try await SimulatorHarness.withHarness { harness in
            try await using(try harness.adminClient()) { client in
                let elector = LeaderElector(
                    settings: Configuration.LeaderElectionSettings(
                        enabled: true, leaseName: "vigilante", leaseNamespace: "default", identity: "me",
                        leaseDuration: .seconds(15), renewDeadline: .seconds(10), retryPeriod: .milliseconds(200)),
                    client: client, clock: SystemClock(), metrics: NOOPMetricsHandler.instance,
                    logger: Logger(label: "t"))
                let group = ServiceGroup(services: [elector], logger: Logger(label: "t"))
                let run = Task { try await group.run() }
                try await waitUntil("leading") { elector.isLeader }
                // A leader renews with one UPDATE per retry period, without reading the lease first.
                harness.simulator.clearAccessLog()
                try await waitUntil("three renewals") {
                    harness.simulator.accessLog().filter { $0.resource == "leases" && $0.verb == "update" }.count >= 3
                }
                #expect(!harness.simulator.accessLog().contains { $0.resource == "leases" && $0.verb == "get" })
                await group.triggerGracefulShutdown()
                try await run.value
                #expect(!elector.isLeader)
                let lease = try await client.get(Lease.self, name: "vigilante", namespace: "default")
                #expect(lease.spec?.holderIdentity == nil)
            }
        }
    }

    @Test func dryRunMakesNoMutatingRequest() async throws {
        try await SimulatorHarness.withHarness { harness in
            try await using(try harness.adminClient()) { admin in
                let client = admin.readOnly()
                harness.simulator.addNode(name: "win1", os: "windows")
                harness.simulator.clearAccessLog()
                let recorder = EventRecorder(
                    client: client, component: "t", instance: "t", clock: SystemClock(), logger: Logger(label: "t"))
                await recorder.record(
                    on: ObjectReference(apiVersion: "v1", kind: "Node", name: "win1"), type: .normal, reason: "Test",
                    message: "hello")
                await #expect(throws: KubernetesError.self) {
                    _ = try await client.patch(
                        Node.self, name: "win1", mergePatch: ["metadata": ["annotations": ["a": "b"]]])
                }
                _ = try await client.list(Node.self)
                let verbs = Set(harness.simulator.accessLog().map(\.verb))
                #expect(verbs == ["list"])
            }
        }
    }

    @Test func repeatedEventsBumpTheCountOfOneEvent() async throws {
        try await SimulatorHarness.withHarness { harness in
            try await using(try harness.adminClient()) { client in
                let uid = harness.simulator.addNode(name: "win1", os: "windows")
                let recorder = EventRecorder(
                    client: client, component: "cops-vigilante", instance: "pod-1", clock: SystemClock(),
                    logger: Logger(label: "t"))
                let node = ObjectReference(apiVersion: "v1", kind: "Node", name: "win1", uid: uid)
                await recorder.record(on: node, type: .normal, reason: "SNATHealed", message: "healed")
                await recorder.record(on: node, type: .normal, reason: "SNATHealed", message: "healed")
                await recorder.record(on: node, type: .warning, reason: "SNATHealingFailed", message: "boom")
                let events = try await client.list(Event.self, namespace: "default").items
                #expect(events.count == 2)
                let healed = try #require(events.first { $0.reason == "SNATHealed" })
                #expect(healed.count == 2)
                #expect(healed.type == "Normal")
                #expect(healed.involvedObject.name == "win1")
                #expect(healed.involvedObject.uid == uid)
                #expect(healed.source?.component == "cops-vigilante")
                #expect(events.first { $0.reason == "SNATHealingFailed" }?.type == "Warning")
            }
        }
    }
}
