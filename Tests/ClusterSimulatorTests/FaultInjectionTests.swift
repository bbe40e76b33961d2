import ClusterSimulator
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing

@Suite("Fault injection")
struct FaultInjectionTests {
    @Test func refusedConnectionsThenTheSamePortAgain() async throws {
        try await TestCluster.with { cluster async throws in
            let port = cluster.simulator.port
            #expect(try await cluster.get("/version").status == 200)
            await cluster.simulator.refuseConnections(for: .seconds(3))
            // A short connect timeout: the client retries refused connections until it passes.
            let fresh = try TestCluster.client(for: cluster.simulator, connectTimeout: .milliseconds(300))
            await #expect(throws: (any Error).self) {
                _ = try await cluster.request(.GET, "/version", client: fresh)
            }
            let back = await eventually {
                (try? await cluster.request(.GET, "/version", client: fresh).status) == 200
            }
            #expect(back)
            #expect(cluster.simulator.port == port)
            try await fresh.shutdown()
        }
    }

    /// Connections keep arriving while the listener stops and starts again: one accepted in the
    /// instant the server stops must be closed, not trap the process (swift-nio issue 2813).
    @Test func theListenerStopsWhileClientsKeepConnecting() async throws {
        try await TestCluster.with { cluster async throws in
            let port = cluster.simulator.port
            let accepted = Atomic<Int>(0)
            let stop = Atomic<Bool>(false)
            let connector = Task {
                let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connectTimeout(.seconds(2))
                while !stop.load(ordering: .relaxed) {
                    guard let channel = try? await bootstrap.connect(host: "127.0.0.1", port: port).get() else {
                        continue
                    }
                    accepted.add(1, ordering: .relaxed)
                    try? await channel.close()
                }
            }
            for _ in 0..<25 {
                // Stop only while connections are being accepted.
                let before = accepted.load(ordering: .relaxed)
                #expect(await eventually { accepted.load(ordering: .relaxed) >= before + 3 })
                await cluster.simulator.refuseConnections(for: .milliseconds(1))
            }
            stop.store(true, ordering: .relaxed)
            await connector.value
            #expect(await eventually { (try? await cluster.get("/version").status) == 200 })
        }
    }

    @Test func addedLatency() async throws {
        try await TestCluster.with { cluster async throws in
            cluster.simulator.setLatency(.milliseconds(300))
            let clock = ContinuousClock()
            let start = clock.now
            _ = try await cluster.get("/api/v1/nodes")
            #expect(clock.now - start >= .milliseconds(300))
            cluster.simulator.setLatency(.zero)
        }
    }

    @Test func aFractionOfRequestsFails() async throws {
        try await TestCluster.with { cluster async throws in
            cluster.simulator.setFailureInjection(fraction: 0.5, statuses: [500, 503, 429])
            var codes: [Int: Int] = [:]
            for _ in 0..<200 { codes[try await cluster.get("/api/v1/nodes").status, default: 0] += 1 }
            #expect(codes[200, default: 0] > 40 && codes[200, default: 0] < 160)
            #expect(Set(codes.keys).isSubset(of: [200, 500, 503, 429]))
            #expect(codes.count == 4)
        }
    }

    @Test func writesBeyondTheConcurrencyLimitGet429WithRetryAfter() async throws {
        try await TestCluster.with { cluster async throws in
            cluster.simulator.setWriteConcurrencyLimit(2, retryAfterSeconds: 3)
            // Long enough that all eight writes arrive while the first two are still being handled.
            cluster.simulator.setLatency(.seconds(2))
            cluster.simulator.clearAccessLog()
            let responses = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        try await cluster.post(
                            "/api/v1/namespaces", ["metadata": ["name": .string("throttled-\(index)")]])
                    }
                }
                // Reads are not counted against the write limit.
                group.addTask { try await cluster.get("/api/v1/namespaces") }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let throttled = responses.filter { $0.status == 429 }
            let created = responses.filter { $0.status == 201 }.count
            // At least the two that fit are admitted (the client may open its connections one after another,
            // so more can get through once the first are answered); the others are refused.
            #expect(created >= 2 && !throttled.isEmpty && created + throttled.count == 8, "\(created) created")
            #expect(responses.contains { $0.status == 200 })
            // As the real server's 90-429 recording: text/plain, Retry-After.
            for response in throttled {
                #expect(response.header("Retry-After") == "3")
                #expect(response.header("Content-Type") == "text/plain; charset=utf-8")
                #expect(response.text == "Too many requests, please try again later.\n")
            }
            #expect(cluster.simulator.throttledWrites == throttled.count)
            #expect(cluster.simulator.writeTimes().count == created)
            // Without the limit every write goes through.
            cluster.simulator.setWriteConcurrencyLimit(nil)
            cluster.simulator.setLatency(.zero)
            #expect(try await cluster.post("/api/v1/namespaces", ["metadata": ["name": "after"]]).status == 201)
        }
    }

    @Test func cutWatchesEndsStreamsAbruptly() async throws {
        try await TestCluster.with { cluster async throws in
            let watch = try await cluster.watch(
                "/api/v1/nodes?watch=1&resourceVersion=\(cluster.simulator.resourceVersion)")
            #expect(await eventually { cluster.simulator.openWatchCount == 1 })
            cluster.simulator.cutWatches()
            let ending = await watch.waitForEnd()
            if case .error = ending {
            } else {
                Issue.record("expected an abrupt end, got \(String(describing: ending))")
            }
            #expect(cluster.simulator.openWatchCount == 0)
        }
    }
}
