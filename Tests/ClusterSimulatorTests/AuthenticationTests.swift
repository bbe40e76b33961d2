import ClusterSimulator
import Foundation
import Testing

@Suite("Authentication, allow rules and the access log")
struct AuthenticationTests {
    @Test func clientCertificateIdentifiesTheUser() async throws {
        try await TestCluster.with { cluster async throws in
            let (certificate, key) = try cluster.simulator.issueClientCertificate(user: "alice", groups: ["ops"])
            let client = try TestCluster.client(for: cluster.simulator, certificate: (certificate, key))
            let denied = try await cluster.request(.GET, "/api/v1/nodes", auth: .none, client: client)
            #expect(denied.status == 403)
            #expect(denied.json["message"]?.stringValue?.contains("User \"alice\"") == true)
            cluster.simulator.allow(user: "ops", verbs: ["list"], group: "", resources: ["nodes"], namespace: nil)
            #expect(try await cluster.request(.GET, "/api/v1/nodes", auth: .none, client: client).status == 200)
            #expect(cluster.simulator.accessLog().last?.user == "alice")

            let (admin, adminKey) = try cluster.simulator.issueClientCertificate(
                user: "root", groups: ["system:masters"])
            let adminClient = try TestCluster.client(for: cluster.simulator, certificate: (admin, adminKey))
            let deleted = try await cluster.request(.DELETE, "/api/v1/nodes/x", auth: .none, client: adminClient)
            #expect(deleted.status == 404)
            try await client.shutdown()
            try await adminClient.shutdown()
        }
    }

    @Test func tokensRulesAndAccessLog() async throws {
        try await TestCluster.with { cluster async throws in
            let simulator = cluster.simulator
            simulator.addToken("op", user: "system:serviceaccount:vigilante:cops-vigilante")
            let user = "system:serviceaccount:vigilante:cops-vigilante"
            simulator.allow(
                user: user, verbs: ["get", "list", "watch", "patch"], group: "", resources: ["nodes"], namespace: nil)
            simulator.allow(
                user: user, verbs: ["create", "delete"], group: "", resources: ["pods"], namespace: "default")
            simulator.allow(
                user: user, verbs: ["*"], group: "coordination.k8s.io", resources: ["leases"], namespace: "default")
            simulator.addNode(name: "n1", os: "windows")
            simulator.clearAccessLog()

            #expect(try await cluster.get("/api/v1/nodes", auth: .bearer("op")).status == 200)
            #expect(
                try await cluster.request(
                    .PATCH, "/api/v1/nodes/n1", auth: .bearer("op"), body: #"{"metadata":{"labels":{"x":"y"}}}"#,
                    contentType: "application/merge-patch+json"
                ).status == 200)
            #expect(
                try await cluster.post("/api/v1/namespaces/default/pods", Objects.pod("p"), auth: .bearer("op")).status
                    == 201)
            #expect(
                try await cluster.post(
                    "/api/v1/namespaces/kube-system/pods", Objects.pod("p", namespace: "kube-system"),
                    auth: .bearer("op")
                ).status == 403)
            #expect(
                try await cluster.get("/apis/coordination.k8s.io/v1/namespaces/default/leases/l", auth: .bearer("op"))
                    .status == 404)
            #expect(
                try await cluster.request(
                    .PATCH, "/api/v1/nodes/n1/status", auth: .bearer("op"), body: "{}",
                    contentType: "application/merge-patch+json"
                ).status == 403)

            let log = simulator.accessLog()
            #expect(
                log == [
                    AccessLogEntry(
                        verb: "list", group: "", resource: "nodes", namespace: nil, name: nil, user: user, code: 200),
                    AccessLogEntry(
                        verb: "patch", group: "", resource: "nodes", namespace: nil, name: "n1", user: user, code: 200),
                    AccessLogEntry(
                        verb: "create", group: "", resource: "pods", namespace: "default", name: nil, user: user,
                        code: 201),
                    AccessLogEntry(
                        verb: "create", group: "", resource: "pods", namespace: "kube-system", name: nil, user: user,
                        code: 403),
                    AccessLogEntry(
                        verb: "get", group: "coordination.k8s.io", resource: "leases", namespace: "default", name: "l",
                        user: user, code: 404),
                    AccessLogEntry(
                        verb: "patch", group: "", resource: "nodes/status", namespace: nil, name: "n1", user: user,
                        code: 403),
                ])
            simulator.clearAccessLog()
            #expect(simulator.accessLog().isEmpty)
        }
    }

    @Test func discoveryNeedsAnAuthenticatedUser() async throws {
        try await TestCluster.with { cluster async throws in
            cluster.simulator.addToken("nobody", user: "nobody")
            #expect(try await cluster.get("/apis/coordination.k8s.io/v1", auth: .bearer("nobody")).status == 200)
            #expect(try await cluster.get("/api", auth: .none).status == 403)
            #expect(try await cluster.get("/healthz", auth: .none).text == "ok")
        }
    }
}
