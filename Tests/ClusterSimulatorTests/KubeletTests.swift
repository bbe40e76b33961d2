import ClusterSimulator
import Foundation
import Testing

@Suite("Simulated kubelet, garbage collection and node helpers")
struct KubeletTests {
    private func phase(_ cluster: TestCluster, _ name: String) async throws -> String? {
        try await cluster.get("/api/v1/namespaces/default/pods/\(name)").json["status"]["phase"]?.stringValue
    }

    @Test func boundPodStartsRunningOnAReadyNode() async throws {
        try await TestCluster.with({ $0.podStartDelay = .milliseconds(200) }) { cluster async throws in
            cluster.simulator.addNode(name: "win", os: "windows")
            cluster.simulator.addNode(name: "down", os: "linux", ready: false)
            #expect(
                try await cluster.post("/api/v1/namespaces/default/pods", Objects.pod("p", node: "win")).json["status"][
                    "phase"] == "Pending")
            #expect(
                try await cluster.post("/api/v1/namespaces/default/pods", Objects.pod("q", node: "down")).status == 201)
            #expect(try await eventually { try await phase(cluster, "p") == "Running" })
            let running = try await cluster.get("/api/v1/namespaces/default/pods/p").json
            #expect(running["status"]["containerStatuses"][0]["ready"]?.boolValue == true)
            #expect(running["status"]["podIP"]?.stringValue != nil)
            #expect(try await phase(cluster, "q") == "Pending")
            cluster.simulator.setNodeReady("down", true)
            #expect(try await eventually { try await phase(cluster, "q") == "Running" })
        }
    }

    @Test func gracefulDeletionStaysTerminatingUntilTheKubeletConfirms() async throws {
        try await TestCluster.with({
            $0.podStartDelay = .milliseconds(50)
            $0.podTerminationDelay = .seconds(2)
        }) { cluster async throws in
            cluster.simulator.addNode(name: "win", os: "windows")
            var pod = Objects.pod("slow", node: "win")
            pod["spec"]?["terminationGracePeriodSeconds"] = 30
            _ = try await cluster.post("/api/v1/namespaces/default/pods", pod)
            let deleted = try await cluster.request(.DELETE, "/api/v1/namespaces/default/pods/slow")
            #expect(deleted.status == 200)
            #expect(deleted.json["kind"]?.stringValue == "Pod")
            #expect(deleted.json["metadata"]["deletionGracePeriodSeconds"]?.intValue == 30)
            let terminating = try await cluster.get("/api/v1/namespaces/default/pods/slow")
            #expect(terminating.status == 200)
            #expect(terminating.json["metadata"]["deletionTimestamp"]?.stringValue != nil)
            #expect(
                try await eventually { try await cluster.get("/api/v1/namespaces/default/pods/slow").status == 404 })

            _ = try await cluster.post("/api/v1/namespaces/default/pods", Objects.pod("fast", node: "win"))
            let immediate = try await cluster.request(
                .DELETE, "/api/v1/namespaces/default/pods/fast?gracePeriodSeconds=0")
            #expect(immediate.json["metadata"]["deletionGracePeriodSeconds"]?.intValue == 0)
            #expect(try await cluster.get("/api/v1/namespaces/default/pods/fast").status == 404)
        }
    }

    @Test func apiCreatedNodesHaveNoKubelet() async throws {
        try await TestCluster.with({ $0.podStartDelay = .milliseconds(10) }) { cluster async throws in
            _ = try await cluster.post("/api/v1/nodes", Objects.node("bare"))
            _ = try await cluster.request(
                .PATCH, "/api/v1/nodes/bare/status",
                body: #"{"status":{"conditions":[{"type":"Ready","status":"True"}]}}"#,
                contentType: "application/merge-patch+json")
            var pod = Objects.pod("p", node: "bare")
            pod["spec"]?["terminationGracePeriodSeconds"] = 30
            _ = try await cluster.post("/api/v1/namespaces/default/pods", pod)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await phase(cluster, "p") == "Pending")
            _ = try await cluster.request(.DELETE, "/api/v1/namespaces/default/pods/p")
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await cluster.get("/api/v1/namespaces/default/pods/p").status == 200, "stays Terminating")
        }
    }

    @Test func deletingANodeCollectsItsPods() async throws {
        try await TestCluster.with { cluster async throws in
            let uid = cluster.simulator.addNode(name: "win", os: "windows")
            cluster.simulator.addNode(name: "other", os: "windows")
            var owned = Objects.pod("owned", node: "win")
            owned["metadata"]?["ownerReferences"] = [
                ["apiVersion": "v1", "kind": "Node", "name": "win", "uid": .string(uid)]
            ]
            _ = try await cluster.post("/api/v1/namespaces/default/pods", owned)
            _ = try await cluster.post("/api/v1/namespaces/default/pods", Objects.pod("elsewhere", node: "other"))
            let watch = try await cluster.watch(
                "/api/v1/pods?watch=1&resourceVersion=\(cluster.simulator.resourceVersion)")
            cluster.simulator.deleteNode("win")
            var deletedNames: Set<String> = []
            while let event = await watch.next(within: .seconds(5)), deletedNames.isEmpty {
                if event["type"]?.stringValue == "DELETED", let name = event["object"]["metadata"]["name"]?.stringValue
                {
                    deletedNames.insert(name)
                }
            }
            #expect(deletedNames == ["owned"])
            #expect(cluster.simulator.pods().compactMap { $0["metadata"]["name"]?.stringValue } == ["elsewhere"])
            #expect(cluster.simulator.node("win") == nil)
            watch.cancel()
        }
    }

    @Test func nodeHelpers() async throws {
        try await TestCluster.with { cluster async throws in
            let simulator = cluster.simulator
            let first = simulator.addNode(
                name: "akswin000000", os: "windows",
                taints: [["key": "os", "value": "windows", "effect": "NoSchedule"]])
            let node = try #require(simulator.node("akswin000000"))
            #expect(node["metadata"]["labels"]["kubernetes.io/os"]?.stringValue == "windows")
            #expect(node["status"]["nodeInfo"]["operatingSystem"]?.stringValue == "windows")
            #expect(node["spec"]["taints"]?.arrayValue?.count == 1)
            simulator.setNodeReady("akswin000000", false)
            let notReady = try await cluster.get("/api/v1/nodes/akswin000000").json
            let ready = notReady["status"]["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "Ready" }
            #expect(ready?["status"]?.stringValue == "False")
            #expect(notReady["spec"]["taints"]?.arrayValue?.count == 3)

            simulator.setNodeAnnotation("akswin000000", key: "cops/healed", value: "true")
            #expect(simulator.node("akswin000000")["metadata"]["annotations"]["cops/healed"]?.stringValue == "true")
            simulator.setNodeAnnotation("akswin000000", key: "cops/healed", value: nil)
            #expect(simulator.node("akswin000000")["metadata"]["annotations"] == nil)

            let second = simulator.recreateNode("akswin000000")
            #expect(second != first)
            #expect(simulator.node("akswin000000")["metadata"]["uid"]?.stringValue == second)

            let heartbeatStart = simulator.resourceVersion
            simulator.startNodeHeartbeats(interval: .milliseconds(200))
            #expect(await eventually { simulator.resourceVersion > heartbeatStart + 2 })
        }
    }
}
