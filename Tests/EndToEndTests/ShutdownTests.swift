import ClusterSimulator
import Foundation
import Testing

/// SIGTERM: the operator exits 0 within the grace period, releases its lease and leaves a usable store.
@Suite struct ShutdownTests {
    @Test func sigtermExitsCleanlyAndReleasesTheLease() async throws {
        try await EndToEndCluster.with { cluster in
            let process = try cluster.startOperator(config: try cluster.writeConfig())
            defer { process.stop() }
            try await waitFor("the operator to be ready") { try await process.get("/readyz")?.status == 200 }
            try await waitFor("the operator to hold the lease") {
                let lease = cluster.simulator.object(
                    apiVersion: "coordination.k8s.io/v1", resource: "leases", namespace: "vigilante",
                    name: "cops-vigilante")
                return lease?["spec"]?["holderIdentity"]?.stringValue?.isEmpty == false
            }
            let started = ContinuousClock.now
            process.send(SIGTERM)
            let status = try await process.waitForExit(timeout: .seconds(30))
            #expect(status == 0, "log:\n\(process.log)")
            #expect(ContinuousClock.now - started < .seconds(15))
            let released = cluster.simulator.object(
                apiVersion: "coordination.k8s.io/v1", resource: "leases", namespace: "vigilante", name: "cops-vigilante"
            )
            #expect(
                released?["spec"]?["holderIdentity"]?.stringValue == nil,
                "lease still held: \(String(describing: released))")
            // The store is consistent: a new operator opens it and becomes ready.
            let second = try cluster.startOperator(config: try cluster.writeConfig())
            defer { second.stop() }
            try await waitFor("a restarted operator to be ready") { try await second.get("/readyz")?.status == 200 }
        }
    }
}
