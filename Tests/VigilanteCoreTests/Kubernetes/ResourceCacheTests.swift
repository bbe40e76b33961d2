import Foundation
import NIOCore
import Testing

@testable import VigilanteCore

/// The reflector's recovery logic against a scripted fake API server (the simulator tests cover it over HTTPS).
@Suite("Resource cache over a fake transport")
struct ResourceCacheTests {
    @Test func listsWatchesResumesAndRelistsOnExpiry() async throws {
        let lists = LockedState(0)
        let transport = FakeKubeTransport { request, _ in
            let query = request.pathAndQuery
            if !query.contains("watch=1") {
                let round = lists.withLock { count -> Int in
                    count += 1
                    return count
                }
                let nodes =
                    round == 1
                    ? [
                        KubeFixtures.node(name: "a", resourceVersion: "1"),
                        KubeFixtures.node(name: "b", resourceVersion: "2"),
                    ]
                    : [
                        KubeFixtures.node(name: "a", resourceVersion: "1"),
                        KubeFixtures.node(name: "c", resourceVersion: "30"),
                    ]
                return .json(200, KubeFixtures.nodeList(resourceVersion: round == 1 ? "10" : "40", nodes: nodes))
            }
            if query.contains("resourceVersion=10&") {
                // Deliver one event, then a bookmark, then cut the stream.
                let added = "{\"type\":\"ADDED\",\"object\":\(KubeFixtures.node(name: "d", resourceVersion: "11"))}"
                let bookmark = "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"15\"}}}"
                return .json(200, added + "\n" + bookmark + "\n")
            }
            if query.contains("resourceVersion=15&") {
                // Resumed from the bookmark; history is gone.
                return .json(200, KubeFixtures.watchExpired + "\n")
            }
            // After the relist: hold the stream open until the test ends.
            let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
            _ = continuation
            return KubernetesHTTPResponse(status: 200, body: KubernetesResponseBody(stream))
        }
        let factory = KubeRecordingMetrics()
        let client = KubernetesClient(
            transport: transport,
            metrics: KubernetesClientMetrics(factory: factory)
        )
        let cache = ResourceCache<Node>(
            client: client,
            configuration: ResourceCacheConfiguration(
                backoff: Backoff(initial: .milliseconds(1), maximum: .milliseconds(10)))
        )
        let changes = cache.changes()
        let runner = Task { try await cache.run() }
        defer { runner.cancel() }
        try await cache.waitUntilSynced()
        #expect(
            try await pollUntil { Set(cache.snapshot().map(\.name)) == ["a", "c"] && cache.resourceVersion == "40" })
        #expect(cache.get(name: "b") == nil)
        #expect(cache.get(name: "c")?.metadata.resourceVersion == "30")
        let watchQueries = transport.requests.map(\.pathAndQuery).filter { $0.contains("watch=1") }
        #expect(watchQueries.count >= 3)
        #expect(watchQueries[0].contains("resourceVersion=10&"))
        #expect(watchQueries[1].contains("resourceVersion=15&"))
        #expect(watchQueries[2].contains("resourceVersion=40&"))
        #expect(
            factory.counter("vigilante_kube_watch_restarts_total", [("resource", "nodes"), ("reason", "expired")]) == 1
        )
        var seen: [ResourceChange] = []
        for await change in changes {
            seen.append(change)
            if seen.count == 6 { break }
        }
        #expect(
            seen
                == [
                    ResourceChange(kind: .added, name: "a", namespace: nil),
                    ResourceChange(kind: .added, name: "b", namespace: nil),
                    ResourceChange(kind: .added, name: "d", namespace: nil),
                    ResourceChange(kind: .added, name: "c", namespace: nil),
                    ResourceChange(kind: .deleted, name: "b", namespace: nil),
                    ResourceChange(kind: .deleted, name: "d", namespace: nil),
                ].sortedWithinRelist(seen)
        )
    }

    @Test func backsOffWhileTheServerIsUnreachable() async throws {
        struct Refused: Error, CustomStringConvertible {
            var description: String { "connection refused" }
        }
        let transport = FakeKubeTransport { request, index in
            if index < 6 { throw Refused() }
            if request.pathAndQuery.contains("watch=1") {
                let (stream, _) = AsyncStream.makeStream(of: ByteBuffer.self)
                return KubernetesHTTPResponse(status: 200, body: KubernetesResponseBody(stream))
            }
            return .json(
                200,
                KubeFixtures.nodeList(resourceVersion: "3", nodes: [KubeFixtures.node(name: "a", resourceVersion: "3")])
            )
        }
        let client = KubernetesClient(
            transport: transport,
            configuration: KubernetesClientConfiguration(maxAttempts: 1)
        )
        let cache = ResourceCache<Node>(
            client: client,
            configuration: ResourceCacheConfiguration(
                backoff: Backoff(initial: .milliseconds(5), maximum: .milliseconds(50)))
        )
        #expect(!cache.hasSynced)
        let runner = Task { try await cache.run() }
        defer { runner.cancel() }
        try await cache.waitUntilSynced()
        #expect(cache.count == 1)
        #expect(transport.requests.count >= 7)
    }

    @Test func cancellationEndsRunAndSubscriptions() async throws {
        let transport = FakeKubeTransport { request, _ in
            if request.pathAndQuery.contains("watch=1") {
                let (stream, _) = AsyncStream.makeStream(of: ByteBuffer.self)
                return KubernetesHTTPResponse(status: 200, body: KubernetesResponseBody(stream))
            }
            return .json(200, KubeFixtures.nodeList(resourceVersion: "3", nodes: []))
        }
        let cache = ResourceCache<Node>(client: KubernetesClient(transport: transport))
        let changes = cache.changes()
        let runner = Task { try await cache.run() }
        try await cache.waitUntilSynced()
        runner.cancel()
        try await runner.value
        for await _ in changes {}
    }
}

extension Array where Element == ResourceChange {
    /// The order of signals inside one relist follows dictionary order; compare those groups as sets.
    fileprivate func sortedWithinRelist(_ actual: [ResourceChange]) -> [ResourceChange] {
        guard actual.count == count else { return self }
        var result = self
        // Initial list: the first two signals; relist: the last three.
        for range in [0..<2, 3..<6] where Set(actual[range]) == Set(self[range]) {
            result.replaceSubrange(range, with: actual[range])
        }
        return result
    }
}
