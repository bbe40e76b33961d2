import ClusterSimulator
import Foundation
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
