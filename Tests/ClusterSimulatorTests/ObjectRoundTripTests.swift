import ClusterSimulator
import Foundation
import Testing

@Suite("Object and list shapes, create/get/list/update/patch/delete")
struct ObjectRoundTripTests {
    @Test func nodeCreateGetListUpdateDelete() async throws {
        try await TestCluster.with { cluster async throws in
            let created = try await cluster.post(
                "/api/v1/nodes", Objects.node("akswin22000000", labels: ["kubernetes.io/os": "windows"]))
            #expect(created.status == 201)
            #expect(created.header("Content-Type") == "application/json")
            let node = created.json
            #expect(node["kind"]?.stringValue == "Node")
            #expect(node["apiVersion"]?.stringValue == "v1")
            let uid = try #require(node["metadata"]["uid"]?.stringValue)
            #expect(uid.count == 36)
            let rv = try #require(node["metadata"]["resourceVersion"]?.stringValue)
            #expect(Int(rv) != nil)
            let createdAt = try #require(node["metadata"]["creationTimestamp"]?.stringValue)
            #expect(isRFC3339Seconds(createdAt))
            // Admission adds the not-ready taint; status has the zero-value structs.
            #expect(node["spec"]["taints"][0]["key"]?.stringValue == "node.kubernetes.io/not-ready")
            #expect(node["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"]?.intValue == 0)
            #expect(node["status"]["nodeInfo"]["kubeletVersion"]?.stringValue == "")

            let fetched = try await cluster.get("/api/v1/nodes/akswin22000000")
            #expect(fetched.status == 200)
            #expect(fetched.json == node)

            let list = try await cluster.get("/api/v1/nodes")
            #expect(list.json["kind"]?.stringValue == "NodeList")
            #expect(list.json["apiVersion"]?.stringValue == "v1")
            let listRV = try #require(list.json["metadata"]["resourceVersion"]?.stringValue)
            #expect(Int(listRV)! >= Int(rv)!)
            let items = try #require(list.json["items"]?.arrayValue)
            #expect(items.count == 1)
            #expect(items[0]["kind"] == nil, "list items have no kind")
            #expect(items[0]["metadata"]["uid"]?.stringValue == uid)

            var updated = node
            updated["metadata"]?["labels"]?["cops"] = "yes"
            let put = try await cluster.request(.PUT, "/api/v1/nodes/akswin22000000", body: updated.description)
            #expect(put.status == 200)
            let newRV = try #require(put.json["metadata"]["resourceVersion"]?.stringValue)
            #expect(Int(newRV)! > Int(rv)!, "one global, monotonic counter")
            #expect(put.json["metadata"]["labels"]["cops"]?.stringValue == "yes")
            #expect(put.json["metadata"]["uid"]?.stringValue == uid)

            let deleted = try await cluster.request(.DELETE, "/api/v1/nodes/akswin22000000")
            #expect(deleted.status == 200)
            #expect(deleted.json["kind"]?.stringValue == "Status")
            #expect(deleted.json["status"]?.stringValue == "Success")
            #expect(deleted.json["details"]["uid"]?.stringValue == uid)
            #expect(try await cluster.get("/api/v1/nodes/akswin22000000").status == 404)
        }
    }

    @Test func mergePatchAndJSONPatchOnAnnotations() async throws {
        try await TestCluster.with { cluster async throws in
            _ = try await cluster.post("/api/v1/nodes", Objects.node("n1"))
            let merge = try await cluster.request(
                .PATCH, "/api/v1/nodes/n1",
                body: #"{"metadata":{"annotations":{"cops-vigilante-snat-node-healed":"true"}}}"#,
                contentType: "application/merge-patch+json")
            #expect(merge.status == 200)
            #expect(merge.json["metadata"]["annotations"]["cops-vigilante-snat-node-healed"]?.stringValue == "true")

            let remove = try await cluster.request(
                .PATCH, "/api/v1/nodes/n1",
                body: #"{"metadata":{"annotations":{"cops-vigilante-snat-node-healed":null}}}"#,
                contentType: "application/merge-patch+json")
            #expect(remove.json["metadata"]["annotations"] == nil, "an empty annotations map disappears")

            let add = try await cluster.request(
                .PATCH, "/api/v1/nodes/n1",
                body:
                    #"[{"op":"add","path":"/metadata/annotations","value":{"cops.example.com/snat-healed-at":"now"}}]"#,
                contentType: "application/json-patch+json")
            #expect(add.status == 200)
            #expect(add.json["metadata"]["annotations"]["cops.example.com/snat-healed-at"]?.stringValue == "now")
            let slash = try await cluster.request(
                .PATCH, "/api/v1/nodes/n1",
                body: #"[{"op":"remove","path":"/metadata/annotations/cops.example.com~1snat-healed-at"}]"#,
                contentType: "application/json-patch+json")
            #expect(slash.status == 200)
            #expect(slash.json["metadata"]["annotations"]["cops.example.com/snat-healed-at"] == nil)

            let failing = try await cluster.request(
                .PATCH, "/api/v1/nodes/n1", body: #"[{"op":"test","path":"/metadata/name","value":"other"}]"#,
                contentType: "application/json-patch+json")
            #expect(failing.status == 422)
            #expect(failing.json["reason"]?.stringValue == "Invalid")

            let wrongType = try await cluster.request(
                .PATCH, "/api/v1/nodes/n1", body: "{}", contentType: "application/json")
            #expect(wrongType.status == 415)
        }
    }

    @Test func strategicMergePatchMergesConditionsByType() async throws {
        try await TestCluster.with { cluster async throws in
            _ = try await cluster.post("/api/v1/nodes", Objects.node("n1"))
            let status =
                #"{"status":{"conditions":[{"type":"MemoryPressure","status":"False"},{"type":"Ready","status":"False"}]}}"#
            let first = try await cluster.request(
                .PATCH, "/api/v1/nodes/n1/status", body: status, contentType: "application/merge-patch+json")
            #expect(first.status == 200)
            let strategic = try await cluster.request(
                .PATCH, "/api/v1/nodes/n1/status",
                body: #"{"status":{"conditions":[{"type":"Ready","status":"True"}]}}"#,
                contentType: "application/strategic-merge-patch+json")
            let conditions = try #require(strategic.json["status"]["conditions"]?.arrayValue)
            #expect(conditions.count == 2)
            #expect(conditions[1]["status"]?.stringValue == "True")
            let merge = try await cluster.request(
                .PATCH, "/api/v1/nodes/n1/status",
                body: #"{"status":{"conditions":[{"type":"Ready","status":"True"}]}}"#,
                contentType: "application/merge-patch+json")
            #expect(merge.json["status"]["conditions"]?.arrayValue?.count == 1, "merge patch replaces lists")
            // The main resource ignores status; /status ignores the rest.
            let ignored = try await cluster.request(
                .PATCH, "/api/v1/nodes/n1", body: #"{"status":{"phase":"x"}}"#,
                contentType: "application/merge-patch+json")
            #expect(ignored.json["status"]["phase"] == nil)
            #expect(cluster.simulator.accessLog().contains { $0.resource == "nodes/status" && $0.verb == "patch" })
        }
    }

    @Test func podCreateWithGenerateNameGetsDefaults() async throws {
        try await TestCluster.with { cluster async throws in
            _ = try await cluster.post(
                "/api/v1/namespaces", ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "vigilante"]])
            var pod = Objects.pod("ignored", namespace: "vigilante", node: "n1")
            pod["metadata"]?["name"] = nil
            pod["metadata"]?["generateName"] = "cops-vigilante-snat-healer-"
            let created = try await cluster.post("/api/v1/namespaces/vigilante/pods", pod)
            #expect(created.status == 201)
            let name = try #require(created.json["metadata"]["name"]?.stringValue)
            #expect(
                name.hasPrefix("cops-vigilante-snat-healer-") && name.count == "cops-vigilante-snat-healer-".count + 5)
            #expect(created.json["status"]["phase"]?.stringValue == "Pending")
            #expect(created.json["status"]["qosClass"]?.stringValue == "BestEffort")
            #expect(created.json["spec"]["schedulerName"]?.stringValue == "default-scheduler")
            #expect(created.json["spec"]["containers"][0]["imagePullPolicy"]?.stringValue == "IfNotPresent")
            #expect(created.json["spec"]["tolerations"]?.arrayValue?.count == 2)
            #expect(created.json["metadata"]["managedFields"][0]["manager"]?.stringValue == "simulator-tests")
            // A fresh namespace has its default ServiceAccount, as kube-controller-manager makes it.
            #expect(try await cluster.get("/api/v1/namespaces/vigilante/serviceaccounts/default").status == 200)
        }
    }

    @Test func leaseAndEventsRoundTrip() async throws {
        try await TestCluster.with { cluster async throws in
            let lease: JSONValue = [
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": ["name": "leader", "namespace": "default"],
                "spec": [
                    "holderIdentity": "me", "leaseDurationSeconds": 15, "renewTime": "2026-11-25T12:15:03.000001+01:00",
                ],
            ]
            let created = try await cluster.post("/apis/coordination.k8s.io/v1/namespaces/default/leases", lease)
            #expect(created.status == 201)
            #expect(created.json["spec"]["renewTime"]?.stringValue == "2026-11-25T11:15:03.000001Z")
            var bad = lease
            bad["spec"]?["renewTime"] = "2026-11-25T11:15:03.123Z"
            bad["metadata"]?["name"] = "other"
            #expect(try await cluster.post("/apis/coordination.k8s.io/v1/namespaces/default/leases", bad).status == 400)
            let deleted = try await cluster.request(
                .DELETE, "/apis/coordination.k8s.io/v1/namespaces/default/leases/leader")
            #expect(deleted.json["details"]["group"]?.stringValue == "coordination.k8s.io")

            let event: JSONValue = [
                "apiVersion": "events.k8s.io/v1", "kind": "Event",
                "metadata": ["name": "n1.1", "namespace": "default"],
                "eventTime": "2026-11-25T11:13:13.541586Z", "regarding": ["kind": "Node", "name": "n1"],
                "reason": "SNATHealed", "action": "HealSNAT", "note": "healed", "type": "Normal",
                "reportingController": "cops-vigilante", "reportingInstance": "pod-1",
            ]
            #expect(try await cluster.post("/apis/events.k8s.io/v1/namespaces/default/events", event).status == 201)
            let core = try await cluster.get("/api/v1/namespaces/default/events/n1.1")
            #expect(core.json["message"]?.stringValue == "healed")
            #expect(core.json["involvedObject"]["name"]?.stringValue == "n1")
            #expect(core.json["reportingComponent"]?.stringValue == "cops-vigilante")
            let listed = try await cluster.get(
                "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dn1,reason%3DSNATHealed")
            #expect(listed.json["items"]?.arrayValue?.count == 1)
        }
    }
}
