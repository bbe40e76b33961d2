import ClusterSimulator
import Testing

/// Members the real server's decoder does not know, found from its recorded schemas of the core group:
/// refused with `fieldValidation=Strict`, dropped with a warning otherwise (fixtures 67e and 67f for pods).
@Suite("Unknown fields")
struct UnknownFieldTests {
    @Test func strictValidationNamesEveryUnknownMemberOfACoreObject() async throws {
        try await TestCluster.with { cluster async throws in
            let node = """
                {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "labels": {"any": "label"}, "colour": "red"},
                 "spec": {"podCIDR": "10.0.0.0/24", "notAField": 1, "taints": [{"key": "k", "effect": "NoSchedule", "tint": 2}]}}
                """
            let strict = try await cluster.request(.POST, "/api/v1/nodes?fieldValidation=Strict", body: node)
            #expect(strict.status == 400)
            #expect(strict.json["reason"] == "BadRequest")
            #expect(
                strict.json["message"]?.stringValue
                    == "Node in version \"v1\" cannot be handled as a Node: strict decoding error: unknown field \"metadata.colour\", unknown field \"spec.notAField\", unknown field \"spec.taints[0].tint\""
            )
            #expect(try await cluster.get("/api/v1/nodes/n1").status == 404)

            // The default (Warn): created without them, one warning each.
            let warned = try await cluster.request(.POST, "/api/v1/nodes", body: node)
            #expect(warned.status == 201)
            #expect(warned.headers["Warning"].count == 3)
            #expect(warned.header("Warning") == "299 - \"unknown field \\\"metadata.colour\\\"\"")
            #expect(warned.json["spec"]["notAField"] == nil)
            #expect(warned.json["spec"]["taints"][0]?["tint"] == nil)
            #expect(warned.json["spec"]["podCIDR"] == "10.0.0.0/24")
            #expect(warned.json["metadata"]["labels"]["any"] == "label")
        }
    }

    @Test func podContainersAreCheckedThroughTheirSchemas() async throws {
        try await TestCluster.with { cluster async throws in
            let pod = """
                {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
                 "spec": {"containers": [{"name": "c", "image": "i", "resources": {"limits": {"cpu": "1"}, "limitz": {}},
                   "securityContext": {"runAsNonRoot": true, "windowsOptions": {"runAsUserName": "ContainerUser", "hostProcesz": true}}}]}}
                """
            let strict = try await cluster.request(
                .POST, "/api/v1/namespaces/default/pods?fieldValidation=Strict", body: pod)
            #expect(strict.status == 400)
            #expect(
                strict.json["message"]?.stringValue
                    == "Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"spec.containers[0].resources.limitz\", unknown field \"spec.containers[0].securityContext.windowsOptions.hostProcesz\""
            )
            let ignored = try await cluster.request(
                .POST, "/api/v1/namespaces/default/pods?fieldValidation=Ignore", body: pod)
            #expect(ignored.status == 201)
            #expect(ignored.headers["Warning"].isEmpty)
        }
    }
}
