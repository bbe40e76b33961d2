import ClusterSimulator
import Foundation
import Testing

/// Two real operators against one cluster: only the Lease holder runs tasks; when it is killed with
/// SIGKILL (no release), the standby takes over once the lease has expired.
@Suite struct LeaderElectionEndToEndTests {
    static func state(_ process: OperatorProcess) async throws -> String? {
        let tasks = try await process.json("/tasks") as? [[String: Any]]
        return tasks?.first { $0["name"] as? String == "snat" }?["state"] as? String
    }

    @Test func theStandbyTakesOverAfterTheLeaderIsKilled() async throws {
        try await EndToEndCluster.with { cluster in
            let simulator = cluster.simulator
            simulator.addNode(name: "akswin000000", os: "windows")
            let config = try cluster.writeConfig(window: "60s", interval: "1s")
            let first = try cluster.startOperator(config: config, environment: ["POD_NAME": "operator-a"])
            try await waitFor("operator-a to lead") {
                let state = try await Self.state(first)
                return state != nil && state != "standby"
            }
            // The second instance shares nothing but the cluster: its own store file.
            let secondConfig = cluster.directory + "/second.yaml"
            try (try String(contentsOfFile: config, encoding: .utf8))
                .replacingOccurrences(of: cluster.storePath, with: cluster.directory + "/store/second.sqlite")
                .write(toFile: secondConfig, atomically: true, encoding: .utf8)
            let second = try cluster.startOperator(config: secondConfig, environment: ["POD_NAME": "operator-b"])
            try await waitFor("operator-b to report standby") { try await Self.state(second) == "standby" }
            let lease = {
                simulator.object(
                    apiVersion: "coordination.k8s.io/v1", resource: "leases", namespace: "vigilante",
                    name: "cops-vigilante")?["spec"]?["holderIdentity"]?.stringValue
            }
            #expect(lease() == "operator-a")
            let podsBefore = HealingEndToEndTests.healerPods(simulator, on: "akswin000000").count
            #expect(podsBefore >= 1)

            first.send(SIGKILL)
            _ = try await first.waitForExit()
            let killed = ContinuousClock.now
            try await waitFor("operator-b to take over", timeout: .seconds(60)) { lease() == "operator-b" }
            let takeover = ContinuousClock.now - killed
            // The lease (3 s) must expire first; client-go timing adds up to one retry period.
            #expect(takeover >= .seconds(2), "took over after \(takeover), before the lease could expire")
            #expect(takeover < .seconds(20), "took over only after \(takeover)")
            try await waitFor("operator-b to run the task") {
                let state = try await Self.state(second)
                return state == "idle" || state == "running"
            }
        }
    }
}
