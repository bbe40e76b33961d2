import ClusterSimulator
import Foundation
import Synchronization
import Testing

@testable import VigilanteCore

@Suite("Resource cache against the ClusterSimulator over HTTPS", .serialized)
struct SimulatorCacheTests {
    /// Cache settings for tests: quick backoff so recovery is prompt on a loaded machine.
    static let cacheConfiguration = ResourceCacheConfiguration(
        labelSelector: "kubernetes.io/os=windows",
        pageSize: 2,
        watchTimeoutSeconds: 60...120,
        backoff: Backoff(initial: .milliseconds(50), maximum: .seconds(1))
    )

    static func names(_ cache: ResourceCache<Node>) -> Set<String> {
        Set(cache.snapshot().map(\.name))
    }

    @Test func convergesAfterCutWatchesCompactionAndRefusedConnections() async throws {
        try await SimulatorHarness.withHarness { harness in
            let simulator = harness.simulator
            for index in 0..<3 {
                simulator.addNode(name: "akswin00000\(index)", os: "windows")
            }
            simulator.addNode(name: "aks-linux-0", os: "linux")
            let metrics = KubeRecordingMetrics()
            let client = try harness.adminClient(metrics: KubernetesClientMetrics(factory: metrics))
            let cache = ResourceCache<Node>(client: client, configuration: Self.cacheConfiguration)
            let changes = cache.changes()
            let counter = Task {
                var count = 0
                for await _ in changes { count += 1 }
                return count
            }
            let runner = Task { try await cache.run() }
            do {
                try await cache.waitUntilSynced()
                #expect(Self.names(cache) == ["akswin000000", "akswin000001", "akswin000002"])
                #expect(cache.get(name: "aks-linux-0") == nil)

                // Changes arrive through the watch.
                simulator.addNode(name: "akswin000003", os: "windows")
                simulator.setNodeAnnotation("akswin000000", key: "cops-vigilante-snat-node-healed", value: "true")
                #expect(
                    try await pollUntil {
                        Self.names(cache).contains("akswin000003")
                            && cache.get(name: "akswin000000")?.metadata.annotations?["cops-vigilante-snat-node-healed"]
                                == "true"
                    }
                )

                // 1. Watch streams cut: the cache resumes from its resourceVersion and misses nothing.
                simulator.cutWatches()
                simulator.setNodeReady("akswin000001", false)
                simulator.deleteNode("akswin000002")
                #expect(
                    try await pollUntil {
                        Self.names(cache) == ["akswin000000", "akswin000001", "akswin000003"]
                            && cache.get(name: "akswin000001")?.isReady == false
                    }
                )
                #expect(try await pollUntil { simulator.openWatchCount == 1 })

                // 2. Server unreachable, history compacted meanwhile: resuming gives 410, the cache relists.
                await simulator.refuseConnections(for: .seconds(3))
                simulator.addNode(name: "akswin000004", os: "windows")
                let recreatedUID = simulator.recreateNode("akswin000003")
                simulator.compactHistory()
                #expect(
                    try await pollUntil(timeout: .seconds(60)) {
                        Self.names(cache) == ["akswin000000", "akswin000001", "akswin000003", "akswin000004"]
                            && cache.get(name: "akswin000003")?.metadata.uid == recreatedUID
                    }
                )
                #expect(
                    metrics.counter(
                        "vigilante_kube_watch_restarts_total", [("resource", "nodes"), ("reason", "expired")])
                        >= 1
                )
                #expect(
                    metrics.counter(
                        "vigilante_kube_watch_restarts_total", [("resource", "nodes"), ("reason", "error")])
                        >= 1
                )

                // 3. Refused again with no compaction: the cache resumes from its resourceVersion.
                await simulator.refuseConnections(for: .seconds(2))
                simulator.setNodeReady("akswin000001", true)
                #expect(try await pollUntil(timeout: .seconds(60)) { cache.get(name: "akswin000001")?.isReady == true })
                #expect(cache.hasSynced)
            } catch {
                runner.cancel()
                try? await client.shutdown()
                throw error
            }
            runner.cancel()
            try await runner.value
            #expect(await counter.value >= 8)
            try await client.shutdown()
        }
    }

    @Test func severalSubscribersSeeEveryChange() async throws {
        try await SimulatorHarness.withHarness { harness in
            let client = try harness.adminClient()
            let cache = ResourceCache<Node>(client: client, configuration: Self.cacheConfiguration)
            let first = cache.changes()
            let second = cache.changes()
            let runner = Task { try await cache.run() }
            try await cache.waitUntilSynced()
            harness.simulator.addNode(name: "akswin000009", os: "windows")
            var firstIterator = first.makeAsyncIterator()
            var secondIterator = second.makeAsyncIterator()
            let expected = ResourceChange(kind: .added, name: "akswin000009", namespace: nil)
            let a = await firstIterator.next()
            let b = await secondIterator.next()
            #expect(a == expected)
            #expect(b == expected)
            runner.cancel()
            try await runner.value
            try await client.shutdown()
        }
    }

    /// Kubelet heartbeats move a node's resourceVersion every few minutes but change nothing the model
    /// keeps: the cache stores the new version without announcing a change, so they start no pass.
    @Test func aNewResourceVersionAloneIsNotAChange() async throws {
        try await SimulatorHarness.withHarness { harness in
            let simulator = harness.simulator
            simulator.addNode(name: "akswin000000", os: "windows")
            simulator.addNode(name: "akswin000001", os: "windows")
            let client = try harness.adminClient()
            let cache = ResourceCache<Node>(client: client, configuration: Self.cacheConfiguration)
            let runner = Task { try await cache.run() }
            try await cache.waitUntilSynced()
            let seen = Mutex<[ResourceChange]>([])
            let changes = cache.changes()
            let collector = Task { for await change in changes { seen.withLock { $0.append(change) } } }
            let versions = Set(cache.snapshot().compactMap(\.metadata.resourceVersion))

            simulator.startNodeHeartbeats(interval: .milliseconds(50))
            #expect(
                try await pollUntil {
                    let current = cache.snapshot().compactMap(\.metadata.resourceVersion)
                    return current.count == 2 && versions.isDisjoint(with: current)
                }, "both heartbeats reached the cache")
            simulator.setNodeAnnotation("akswin000001", key: "example.com/touched", value: "yes")
            #expect(try await pollUntil { !seen.withLock { $0 }.isEmpty })
            #expect(seen.withLock { $0 } == [ResourceChange(kind: .modified, name: "akswin000001", namespace: nil)])
            #expect(cache.get(name: "akswin000001")?.metadata.annotations?["example.com/touched"] == "yes")

            runner.cancel()
            try await runner.value
            collector.cancel()
            try await client.shutdown()
        }
    }

    @Test func namespacedPodCacheWithFieldSelector() async throws {
        try await SimulatorHarness.withHarness { harness in
            harness.simulator.addNode(name: "akswin000001", os: "windows")
            let client = try harness.adminClient()
            _ = try await client.create(Namespace(metadata: ObjectMeta(name: "vigilante")))
            let cache = ResourceCache<Pod>(
                client: client,
                configuration: ResourceCacheConfiguration(
                    namespace: "vigilante",
                    fieldSelector: "spec.nodeName=akswin000001",
                    backoff: Backoff(initial: .milliseconds(50), maximum: .seconds(1))
                )
            )
            let runner = Task { try await cache.run() }
            try await cache.waitUntilSynced()
            let pod = try await client.create(
                Pod(
                    metadata: ObjectMeta(generateName: "snat-healer-"),
                    spec: PodSpec(
                        nodeName: "akswin000001",
                        containers: [Container(name: "pause", image: "pause")],
                        terminationGracePeriodSeconds: 0
                    )
                ),
                namespace: "vigilante"
            )
            // The simulated kubelet starts it: the cache follows Pending → Running.
            #expect(
                try await pollUntil {
                    cache.get(name: pod.name, namespace: "vigilante")?.status?.phase == "Running"
                }
            )
            try await client.delete(
                Pod.self, name: pod.name, namespace: "vigilante", options: .init(gracePeriodSeconds: 0))
            #expect(try await pollUntil { cache.count == 0 })
            runner.cancel()
            try await runner.value
            try await client.shutdown()
        }
    }
}
