import Foundation
import Testing

@testable import VigilanteCore

/// Real responses of every endpoint checked against docs/openapi.yaml.
@Suite("HTTP status server conforms to docs/openapi.yaml")
struct StatusServerOpenAPITests {
    @Test("The document describes exactly the served paths")
    func documentedPaths() throws {
        let document = try OpenAPIDocument.load()
        #expect(document.paths == ["/", "/tasks", "/tasks/{name}", "/healthz", "/health", "/readyz", "/metrics"])
    }

    @Test("Every answer, healthy or failing, matches its documented status, content type and schema")
    func responsesConform() async throws {
        let document = try OpenAPIDocument.load()
        let provider = FakeStatusProvider()
        let server = try await RunningStatusServer.start(provider: provider)
        let requests: [(template: String, path: String, accept: String?)] = [
            ("/", "/", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
            ("/", "/", nil),
            ("/", "/", "application/json"),
            ("/tasks", "/tasks", nil),
            ("/tasks", "/tasks?pretty", nil),
            ("/tasks", "/tasks", "text/plain"),
            ("/tasks", "/tasks?pretty=nope", nil),
            ("/tasks/{name}", "/tasks/snat", nil),
            ("/tasks/{name}", "/tasks/idle-task?pretty=1", nil),
            ("/tasks/{name}", "/tasks/snat", "text/plain"),
            ("/tasks/{name}", "/tasks/unknown", nil),
            ("/tasks/{name}", "/tasks/%zz", nil),
            ("/healthz", "/healthz", nil),
            ("/healthz", "/healthz", "text/plain"),
            ("/health", "/health", nil),
            ("/readyz", "/readyz", nil),
            ("/readyz", "/readyz", "text/plain"),
            ("/metrics", "/metrics", nil),
        ]
        var covered: Set<String> = []
        for round in ["healthy", "failing"] {
            if round == "failing" {
                provider.setLivenessProblem("scheduler loop stalled")
                provider.setReadiness([ReadinessCheck(name: "store", ok: false, detail: "database is locked")])
            }
            for request in requests {
                for method in ["GET", "HEAD"] {
                    let response = try await StatusClient.request(
                        server.url(request.path), method: .init(rawValue: method),
                        headers: request.accept.map { [("Accept", $0)] } ?? [])
                    let problems = document.validate(
                        path: request.template, method: method, status: response.status,
                        contentType: response.headers["Content-Type"].first, body: response.body)
                    #expect(problems.isEmpty, "\(round) \(method) \(request.path): \(problems)")
                    covered.insert("\(method) \(request.template) \(response.status)")
                }
            }
        }
        #expect(covered.contains("GET / 200"))
        #expect(covered.contains("GET / 404"))
        #expect(covered.contains("GET /healthz 503"))
        #expect(covered.contains("GET /readyz 503"))
        #expect(covered.contains("GET /tasks/{name} 404"))
        try await server.stop()
    }

    @Test("The validator notices a body that breaks the schema")
    func validatorCatchesViolations() throws {
        let document = try OpenAPIDocument.load()
        let broken = Data(#"[{"name":"x","enabled":"yes","interval":"30s","state":"sleeping","runs":-1}]"#.utf8)
        let problems = document.validate(
            path: "/tasks", method: "GET", status: 200, contentType: "application/json", body: broken)
        #expect(problems.contains { $0.contains("$[0].enabled") })
        #expect(problems.contains { $0.contains("$[0].state") })
        #expect(problems.contains { $0.contains("$[0].runs") })
        #expect(problems.contains { $0.contains("\"failures\" is missing") })
        #expect(problems.contains { $0.contains("\"details\" is missing") })
        let undocumented = document.validate(
            path: "/healthz", method: "GET", status: 200, contentType: "application/json",
            body: Data(#"{"status":"ok","extra":1}"#.utf8))
        #expect(undocumented == [#"$: the property "extra" is not documented"#])
        #expect(
            !document.validate(path: "/healthz", method: "GET", status: 418, contentType: nil, body: Data()).isEmpty)
    }
}
