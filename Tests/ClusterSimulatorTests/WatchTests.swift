import ClusterSimulator
import Foundation
import Testing

@Suite("Watch streams")
struct WatchTests {
    private func type(_ event: JSONValue?) -> String? { event["type"]?.stringValue }
    private func name(_ event: JSONValue?) -> String? { event["object"]["metadata"]["name"]?.stringValue }

    @Test func eventsFollowTheSelectorFromAResourceVersion() async throws {
        try await TestCluster.with { cluster async throws in
            let list = try await cluster.get("/api/v1/nodes?labelSelector=vigilante-fixture%3Dwatch")
            let rv = try #require(list.json["metadata"]["resourceVersion"]?.stringValue)
            let watch = try await cluster.watch(
                "/api/v1/nodes?labelSelector=vigilante-fixture%3Dwatch&resourceVersion=\(rv)&timeoutSeconds=60&watch=1")
            #expect(watch.status == 200)
            #expect(watch.headers.first(name: "Content-Type") == "application/json")
            #expect(watch.headers.first(name: "Transfer-Encoding") == "chunked")

            _ = try await cluster.post("/api/v1/nodes", Objects.node("w1", labels: ["vigilante-fixture": "watch"]))
            _ = try await cluster.request(
                .PATCH, "/api/v1/nodes/w1", body: #"{"metadata":{"annotations":{"a":"b"}}}"#,
                contentType: "application/merge-patch+json")
            _ = try await cluster.post("/api/v1/nodes", Objects.node("w2"))
            _ = try await cluster.request(
                .PATCH, "/api/v1/nodes/w2", body: #"{"metadata":{"labels":{"vigilante-fixture":"watch"}}}"#,
                contentType: "application/merge-patch+json")
            _ = try await cluster.request(
                .PATCH, "/api/v1/nodes/w1", body: #"{"metadata":{"labels":{"vigilante-fixture":null}}}"#,
                contentType: "application/merge-patch+json")
            _ = try await cluster.request(.DELETE, "/api/v1/nodes/w2")

            var seen: [String] = []
            for _ in 0..<5 {
                let event = await watch.next()
                seen.append("\(type(event) ?? "none") \(name(event) ?? "")")
            }
            #expect(seen == ["ADDED w1", "MODIFIED w1", "ADDED w2", "DELETED w1", "DELETED w2"])
            watch.cancel()

            // Resuming from the first list's resourceVersion replays the same history.
            let resumed = try await cluster.watch(
                "/api/v1/nodes?labelSelector=vigilante-fixture%3Dwatch&resourceVersion=\(rv)&timeoutSeconds=60&watch=1")
            #expect(type(await resumed.next()) == "ADDED")
            resumed.cancel()
        }
    }

    @Test func watchWithoutResourceVersionStartsWithSyntheticAdded() async throws {
        try await TestCluster.with { cluster async throws in
            cluster.simulator.addNode(name: "a", os: "linux")
            cluster.simulator.addNode(name: "b", os: "windows")
            let watch = try await cluster.watch(
                "/api/v1/nodes?watch=true&resourceVersion=0&labelSelector=kubernetes.io%2Fos%3Dwindows")
            let first = await watch.next()
            #expect(type(first) == "ADDED")
            #expect(name(first) == "b")
            #expect(first["object"]["kind"]?.stringValue == "Node")
            watch.cancel()
        }
    }

    @Test func timeoutEndsTheStreamCleanlyAfterABookmark() async throws {
        try await TestCluster.with({ $0.bookmarkInterval = .milliseconds(300) }) { cluster async throws in
            let rv = cluster.simulator.resourceVersion
            let watch = try await cluster.watch(
                "/api/v1/nodes?watch=1&allowWatchBookmarks=true&labelSelector=none%3Dmatches&resourceVersion=\(rv)&timeoutSeconds=4"
            )
            cluster.simulator.addNode(name: "other", os: "linux")
            let bookmark = await watch.next()
            #expect(type(bookmark) == "BOOKMARK")
            let bookmarkRV = bookmark["object"]["metadata"]["resourceVersion"]?.stringValue
            #expect(bookmarkRV == String(cluster.simulator.resourceVersion))
            #expect(bookmark["object"]["metadata"]["creationTimestamp"] == .null)
            #expect(bookmark["object"]["kind"]?.stringValue == "Node")
            #expect(await watch.waitForEnd() == .clean)
            #expect(await eventually { cluster.simulator.openWatchCount == 0 })
        }
    }

    @Test func noBookmarksUnlessAsked() async throws {
        try await TestCluster.with({ $0.bookmarkInterval = .milliseconds(200) }) { cluster async throws in
            let rv = cluster.simulator.resourceVersion
            let watch = try await cluster.watch(
                "/api/v1/nodes?watch=1&labelSelector=none%3Dmatches&resourceVersion=\(rv)&timeoutSeconds=3")
            cluster.simulator.addNode(name: "other", os: "linux")
            #expect(await watch.next(within: .seconds(10)) == nil)
            #expect(await watch.waitForEnd() == .clean)
        }
    }

    @Test func tooOldResourceVersionGivesAnErrorEvent() async throws {
        try await TestCluster.with({ $0.watchHistoryLimit = 5 }) { cluster async throws in
            let start = cluster.simulator.resourceVersion
            for index in 0..<10 { cluster.simulator.addNode(name: "n\(index)", os: "linux") }
            let watch = try await cluster.watch("/api/v1/nodes?watch=1&resourceVersion=\(start)")
            #expect(watch.status == 200)
            let error = await watch.next()
            #expect(type(error) == "ERROR")
            #expect(error["object"]["kind"]?.stringValue == "Status")
            #expect(error["object"]["reason"]?.stringValue == "Expired")
            #expect(error["object"]["code"]?.intValue == 410)
            #expect(await watch.waitForEnd() == .clean)

            // compactHistory(): any earlier revision is gone, the current one still works.
            let current = cluster.simulator.resourceVersion
            cluster.simulator.compactHistory()
            let old = try await cluster.watch("/api/v1/nodes?watch=1&resourceVersion=\(current - 1)")
            #expect(type(await old.next()) == "ERROR")
            let fresh = try await cluster.watch("/api/v1/nodes?watch=1&resourceVersion=\(current)")
            cluster.simulator.addNode(name: "later", os: "linux")
            #expect(name(await fresh.next()) == "later")
            fresh.cancel()
        }
    }

    @Test func manyWatchersEachGetEveryEvent() async throws {
        try await TestCluster.with { cluster async throws in
            let rv = cluster.simulator.resourceVersion
            var watches: [WatchStream] = []
            for _ in 0..<20 {
                watches.append(try await cluster.watch("/api/v1/pods?watch=1&resourceVersion=\(rv)"))
            }
            #expect(await eventually { cluster.simulator.openWatchCount == 20 })
            for index in 0..<10 {
                #expect(
                    try await cluster.post("/api/v1/namespaces/default/pods", Objects.pod("p\(index)")).status == 201)
            }
            for watch in watches {
                var names: [String] = []
                for _ in 0..<10 { names.append(name(await watch.next()) ?? "none") }
                #expect(names == (0..<10).map { "p\($0)" })
                watch.cancel()
            }
        }
    }
}
