import ClusterSimulator
import Foundation
import Testing

@Suite("Status error bodies and codes")
struct StatusErrorTests {
    private func expectStatus(
        _ response: TestResponse, code: Int, reason: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(response.status == code, sourceLocation: sourceLocation)
        #expect(response.json["kind"]?.stringValue == "Status", sourceLocation: sourceLocation)
        #expect(response.json["apiVersion"]?.stringValue == "v1", sourceLocation: sourceLocation)
        #expect(response.json["status"]?.stringValue == "Failure", sourceLocation: sourceLocation)
        #expect(response.json["reason"]?.stringValue == reason, sourceLocation: sourceLocation)
        #expect(response.json["code"]?.intValue == code, sourceLocation: sourceLocation)
    }

    @Test func authenticationErrors() async throws {
        try await TestCluster.with { cluster async throws in
            let wrong = try await cluster.get("/api/v1/nodes", auth: .bearer("nope"))
            expectStatus(wrong, code: 401, reason: "Unauthorized")
            #expect(wrong.json["details"] == nil)

            let anonymous = try await cluster.get("/api/v1/nodes", auth: .none)
            expectStatus(anonymous, code: 403, reason: "Forbidden")
            #expect(
                anonymous.json["message"]?.stringValue
                    == "nodes is forbidden: User \"system:anonymous\" cannot list resource \"nodes\" in API group \"\" at the cluster scope"
            )
            #expect(anonymous.json["details"]["kind"]?.stringValue == "nodes")
            #expect(try await cluster.get("/version", auth: .none).status == 200)
        }
        try await TestCluster.with({ $0.anonymousAuthEnabled = false }) { cluster async throws in
            expectStatus(try await cluster.get("/api/v1/nodes", auth: .none), code: 401, reason: "Unauthorized")
        }
    }

    @Test func rbacForbidden() async throws {
        try await TestCluster.with { cluster async throws in
            cluster.simulator.addToken("operator-token", user: "system:serviceaccount:vigilante:operator")
            cluster.simulator.allow(
                user: "system:serviceaccount:vigilante:operator", verbs: ["get", "list"], group: "",
                resources: ["pods"],
                namespace: "vigilante")
            let denied = try await cluster.request(
                .POST, "/api/v1/namespaces/vigilante/pods", auth: .bearer("operator-token"),
                body: Objects.pod("p", namespace: "vigilante").description)
            expectStatus(denied, code: 403, reason: "Forbidden")
            #expect(denied.header("X-Content-Type-Options") == "nosniff")
            #expect(
                denied.json["message"]?.stringValue
                    == "pods is forbidden: User \"system:serviceaccount:vigilante:operator\" cannot create resource \"pods\" in API group \"\" in the namespace \"vigilante\""
            )
            // Allowed in vigilante (the namespace does not exist: 404 comes after authorization), not elsewhere.
            #expect(
                try await cluster.get("/api/v1/namespaces/vigilante/pods", auth: .bearer("operator-token")).status
                    == 200)
            #expect(
                try await cluster.get("/api/v1/namespaces/default/pods", auth: .bearer("operator-token")).status == 403)
        }
    }

    @Test func notFoundAlreadyExistsConflictInvalid() async throws {
        try await TestCluster.with { cluster async throws in
            let missing = try await cluster.get("/api/v1/namespaces/default/pods/does-not-exist")
            expectStatus(missing, code: 404, reason: "NotFound")
            #expect(missing.json["details"]["name"]?.stringValue == "does-not-exist")
            #expect(missing.json["details"]["kind"]?.stringValue == "pods")
            let lease = try await cluster.get("/apis/coordination.k8s.io/v1/namespaces/default/leases/x")
            #expect(lease.json["details"]["group"]?.stringValue == "coordination.k8s.io")
            #expect(lease.json["message"]?.stringValue == "leases.coordination.k8s.io \"x\" not found")

            let unknownGroup = try await cluster.get("/apis/cops.example.com/v1/things")
            #expect(unknownGroup.status == 404)
            #expect(unknownGroup.text == "404 page not found\n")
            expectStatus(try await cluster.get("/api/v1/nodez"), code: 404, reason: "NotFound")

            #expect(try await cluster.post("/api/v1/namespaces/default/pods", Objects.pod("p")).status == 201)
            let again = try await cluster.post("/api/v1/namespaces/default/pods", Objects.pod("p"))
            expectStatus(again, code: 409, reason: "AlreadyExists")

            let current = try await cluster.get("/api/v1/namespaces/default/pods/p").json
            var first = current
            first["metadata"]?["labels"] = ["a": "1"]
            #expect(
                try await cluster.request(.PUT, "/api/v1/namespaces/default/pods/p", body: first.description).status
                    == 200)
            var stale = current
            stale["metadata"]?["labels"] = ["a": "2"]
            let conflict = try await cluster.request(.PUT, "/api/v1/namespaces/default/pods/p", body: stale.description)
            expectStatus(conflict, code: 409, reason: "Conflict")
            #expect(conflict.json["details"]["kind"]?.stringValue == "pods")

            var unnamed = Objects.pod("x")
            unnamed["metadata"]?["name"] = nil
            let invalid = try await cluster.post("/api/v1/namespaces/default/pods", unnamed)
            expectStatus(invalid, code: 422, reason: "Invalid")
            #expect(invalid.json["details"]["kind"]?.stringValue == "Pod")
            #expect(invalid.json["details"]["causes"][0]["field"]?.stringValue == "metadata.name")

            var badName = Objects.pod("Cops_INVALID")
            badName["spec"]?["containers"] = []
            let causes = try await cluster.post("/api/v1/namespaces/default/pods", badName).json["details"]["causes"]
            #expect(causes?.arrayValue?.count == 2)

            let malformed = try await cluster.request(.POST, "/api/v1/namespaces/default/pods", body: #"{"kind":"Pod""#)
            expectStatus(malformed, code: 400, reason: "BadRequest")
            let method = try await cluster.request(.PUT, "/api/v1/nodes", body: "{}")
            expectStatus(method, code: 405, reason: "MethodNotAllowed")
        }
    }

    @Test func injectedFailuresCarryRetryAfter() async throws {
        try await TestCluster.with { cluster async throws in
            cluster.simulator.setFailureInjection(fraction: 1, statuses: [429], retryAfterSeconds: 3)
            let throttled = try await cluster.get("/api/v1/nodes")
            #expect(throttled.status == 429)
            #expect(throttled.header("Retry-After") == "3")
            #expect(throttled.text == "Too many requests, please try again later.\n")
            cluster.simulator.setFailureInjection(fraction: 1, statuses: [503])
            let unavailable = try await cluster.get("/api/v1/nodes")
            expectStatus(unavailable, code: 503, reason: "ServiceUnavailable")
            #expect(unavailable.header("Retry-After") == "1")
            cluster.simulator.setFailureInjection(fraction: 1, statuses: [500])
            expectStatus(try await cluster.get("/api/v1/nodes"), code: 500, reason: "InternalError")
            cluster.simulator.setFailureInjection(fraction: 0, statuses: [])
            #expect(try await cluster.get("/api/v1/nodes").status == 200)
        }
    }
}
