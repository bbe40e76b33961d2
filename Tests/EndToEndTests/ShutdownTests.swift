import ClusterSimulator
import Foundation
import Testing

/// SIGTERM: the operator exits 0 within the grace period, releases its lease and leaves a usable store.
@Suite struct ShutdownTests {
    @Test func sigtermExitsCleanlyAndReleasesTheLease() async throws {
        try await EndToEndCluster.with { cluster in
            // The default lease timings: with the other tests' short ones, the release on SIGTERM gets
            // 2 s (renewDeadline), which a loaded machine can exceed. One CI run saw exit 0 with the
            // lease still held, most likely that.
            let config = try cluster.writeConfig(
                leaderElection: "{leaseDuration: 15s, renewDeadline: 10s, retryPeriod: 2s}")
            let process = try cluster.startOperator(config: config)
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
                "lease still held: \(String(describing: released))\nlog:\n\(process.log)")
            // The store is consistent: a new operator opens it and becomes ready.
            let second = try cluster.startOperator(config: config)
            defer { second.stop() }
            try await waitFor("a restarted operator to be ready") { try await second.get("/readyz")?.status == 200 }
        }
    }
}
