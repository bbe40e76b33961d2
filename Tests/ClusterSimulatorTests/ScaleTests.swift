import AsyncHTTPClient
import ClusterSimulator
import Foundation
import Testing

/// Holds a benchmark-sized cluster and fans events out to many watchers. Prints figures for
/// docs/simulator.md; asserts correctness only (timings depend on the machine).
@Suite("Scale")
struct ScaleTests {
    @Test func fiveThousandNodesTenThousandPodsAndManyWatchers() async throws {
        let full = ProcessInfo.processInfo.environment["SIMULATOR_BENCHMARK"] == "1"
        let nodeCount = full ? 5_000 : 1_000
        let podCount = full ? 10_000 : 2_000
        try await TestCluster.with({ $0.podStartDelay = .seconds(3600) }) { cluster async throws in
            let simulator = cluster.simulator
            let clock = ContinuousClock()
            var start = clock.now
            for index in 0..<nodeCount {
                simulator.addNode(
                    name: String(format: "aks-node-%05d", index), os: index % 2 == 0 ? "windows" : "linux")
            }
            let addNodes = clock.now - start
            start = clock.now
            for index in 0..<podCount {
                let node = String(format: "aks-node-%05d", index % nodeCount)
                simulator.create(apiVersion: "v1", resource: "pods", Objects.pod("pod-\(index)", node: node))
            }
            let addPods = clock.now - start

            start = clock.now
            let nodes = try await cluster.get("/api/v1/nodes")
            let listNodes = clock.now - start
            #expect(nodes.json["items"]?.arrayValue?.count == nodeCount)
            start = clock.now
            let pods = try await cluster.get("/api/v1/pods")
            let listPods = clock.now - start
            #expect(pods.json["items"]?.arrayValue?.count == podCount)
            start = clock.now
            let onNode = try await cluster.get("/api/v1/pods?fieldSelector=spec.nodeName%3Daks-node-00007")
            let listOnNode = clock.now - start
            #expect(onNode.json["items"]?.arrayValue?.count == podCount / nodeCount)
            start = clock.now
            let windows = try await cluster.get("/api/v1/nodes?labelSelector=kubernetes.io%2Fos%3Dwindows&limit=500")
            let listWindowsPage = clock.now - start
            #expect(windows.json["items"]?.arrayValue?.count == 500)

            let watcherCount = full ? 100 : 20
            let eventCount = 200
            let rv = simulator.resourceVersion
            // Lightweight readers: count event lines without decoding them (the client is not under test).
            var responses: [HTTPClientResponse] = []
            for _ in 0..<watcherCount {
                var request = HTTPClientRequest(url: simulator.baseURL + "/api/v1/nodes?watch=1&resourceVersion=\(rv)")
                request.headers.add(name: "Authorization", value: "Bearer \(cluster.token)")
                responses.append(try await cluster.http.execute(request, timeout: .seconds(600)))
            }
            #expect(await eventually { simulator.openWatchCount == watcherCount })
            start = clock.now
            for index in 0..<eventCount {
                simulator.setNodeAnnotation(String(format: "aks-node-%05d", index), key: "cops/touched", value: "1")
            }
            let produce = clock.now - start
            await withTaskGroup(of: Int.self) { group in
                for response in responses {
                    group.addTask {
                        var lines = 0
                        do {
                            for try await chunk in response.body {
                                lines += chunk.readableBytesView.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                                if lines >= eventCount { break }
                            }
                        } catch {}
                        return lines
                    }
                }
                for await lines in group { #expect(lines == eventCount) }
            }
            let fanOut = clock.now - start
            simulator.cutWatches()
            print(
                """
                scale (\(full ? "full" : "reduced"), debug build unless noted): \(nodeCount) nodes added in \(addNodes), \
                \(podCount) pods in \(addPods); LIST nodes \(listNodes) (\(nodes.bytes.count) bytes), LIST pods \(listPods) \
                (\(pods.bytes.count) bytes), pods by spec.nodeName \(listOnNode), 500 windows nodes \(listWindowsPage); \
                \(eventCount) node changes produced in \(produce), delivered to \(watcherCount) watchers in \(fanOut)
                """)
        }
    }
}
