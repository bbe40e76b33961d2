import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Prometheus
import Testing

@testable import VigilanteCore

/// Every endpoint over a real socket (plain HTTP), with a fake status provider.
@Suite("HTTP status server endpoints")
struct StatusServerEndpointTests {
    @Test("GET /tasks returns every task as JSON with RFC 3339 dates")
    func taskList() async throws {
        let server = try await RunningStatusServer.start()
        let response = try await StatusClient.request(server.url("/tasks"))
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"].first == "application/json")
        #expect(response.headers["Cache-Control"].first == "no-store")
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let entries = try decoder.decode([TaskStatusEntry].self, from: response.body)
        #expect(entries == FakeStatusProvider.sampleTasks)
        #expect(response.text.contains("\"startedAt\":\"2023-11-14T22:13:20Z\""))
        try await server.stop()
    }

    @Test("GET /tasks?pretty indents; Accept: text/plain gives a table")
    func taskListVariants() async throws {
        let server = try await RunningStatusServer.start()
        let pretty = try await StatusClient.request(server.url("/tasks?pretty"))
        #expect(pretty.status == 200)
        #expect(pretty.text.hasPrefix("[\n"))
        #expect(pretty.text.contains("\n    \"name\" : \"snat\"") || pretty.text.contains("\n    \"name\": \"snat\""))
        let notPretty = try await StatusClient.request(server.url("/tasks?pretty=false"))
        #expect(!notPretty.text.contains("\n"))

        let table = try await StatusClient.request(server.url("/tasks"), headers: [("Accept", "text/plain")])
        #expect(table.status == 200)
        #expect(table.headers["Content-Type"].first == "text/plain; charset=utf-8")
        let lines = table.text.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("NAME"))
        #expect(lines[1].hasPrefix("snat "))
        #expect(lines[2].hasPrefix("idle-task "))

        let preferred = try await StatusClient.request(
            server.url("/tasks"), headers: [("Accept", "text/plain, application/json;q=0.5")])
        #expect(preferred.headers["Content-Type"].first == "text/plain; charset=utf-8")
        let anything = try await StatusClient.request(server.url("/tasks"), headers: [("Accept", "*/*")])
        #expect(anything.headers["Content-Type"].first == "application/json")

        let invalid = try await StatusClient.request(server.url("/tasks?pretty=maybe"))
        #expect(invalid.status == 400)
        #expect(try errorReason(invalid) == "BadRequest")
        try await server.stop()
    }

    @Test("GET /tasks/{name} returns one task, or a JSON 404")
    func singleTask() async throws {
        let server = try await RunningStatusServer.start()
        let response = try await StatusClient.request(server.url("/tasks/snat"))
        #expect(response.status == 200)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        #expect(try decoder.decode(TaskStatusEntry.self, from: response.body) == FakeStatusProvider.sampleTasks[0])

        let text = try await StatusClient.request(server.url("/tasks/snat"), headers: [("Accept", "text/plain")])
        #expect(text.text.contains("name: snat\n"))
        #expect(text.text.contains("lastRun.outcome: done\n"))

        let trailingSlash = try await StatusClient.request(server.url("/tasks/snat/"))
        #expect(trailingSlash.status == 200)

        let unknown = try await StatusClient.request(server.url("/tasks/nope"))
        #expect(unknown.status == 404)
        #expect(unknown.headers["Content-Type"].first == "application/json")
        let body = try #require(try unknown.json() as? [String: Any])
        #expect(body["status"] as? Int == 404)
        #expect(body["error"] as? String == "NotFound")
        #expect((body["message"] as? String)?.contains("nope") == true)

        let encoded = try await StatusClient.request(server.url("/tasks/sn%61t"))
        #expect(encoded.status == 200)
        let slash = try await StatusClient.request(server.url("/tasks/sn%2Fat"))
        #expect(slash.status == 404)
        try await server.stop()
    }

    @Test("GET /healthz and /health report liveness: 200, or 503 with the reason")
    func liveness() async throws {
        let provider = FakeStatusProvider()
        let server = try await RunningStatusServer.start(provider: provider)
        for path in ["/healthz", "/health"] {
            let response = try await StatusClient.request(server.url(path))
            #expect(response.status == 200)
            #expect(try response.json() as? [String: String] == ["status": "ok"])
            let text = try await StatusClient.request(server.url(path), headers: [("Accept", "text/plain")])
            #expect(text.text == "ok\n")
        }
        provider.setLivenessProblem("scheduler loop stalled for 5m")
        for path in ["/healthz", "/health"] {
            let response = try await StatusClient.request(server.url(path))
            #expect(response.status == 503)
            #expect(
                try response.json() as? [String: String] == [
                    "status": "failing", "problem": "scheduler loop stalled for 5m",
                ]
            )
        }
        try await server.stop()
    }

    @Test("GET /readyz reports readiness: 200, or 503 naming the failing check")
    func readiness() async throws {
        let provider = FakeStatusProvider()
        let server = try await RunningStatusServer.start(provider: provider)
        let ready = try await StatusClient.request(server.url("/readyz"))
        #expect(ready.status == 200)
        let readyBody = try #require(try ready.json() as? [String: Any])
        #expect(readyBody["status"] as? String == "ready")
        #expect((readyBody["failing"] as? [String])?.isEmpty == true)
        #expect((readyBody["checks"] as? [[String: Any]])?.count == 3)

        provider.setReadiness([
            ReadinessCheck(name: "store", ok: true),
            ReadinessCheck(name: "kubernetes-api", ok: false, detail: "no answer for 2m"),
        ])
        let notReady = try await StatusClient.request(server.url("/readyz"))
        #expect(notReady.status == 503)
        let body = try #require(try notReady.json() as? [String: Any])
        #expect(body["status"] as? String == "notReady")
        #expect(body["failing"] as? [String] == ["kubernetes-api"])
        let text = try await StatusClient.request(server.url("/readyz"), headers: [("Accept", "text/plain")])
        #expect(text.status == 503)
        #expect(text.text == "[+]store ok\n[-]kubernetes-api failed: no answer for 2m\nreadyz check failed\n")
        try await server.stop()
    }

    @Test("GET /metrics renders the registry in Prometheus text format 0.0.4")
    func metrics() async throws {
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "cops_vigilante", subsystem: "snat", metricName: "node_healing_attempts", unitName: "",
                helpText: "Healing attempts.")
        ).increment(by: Int64(3))
        let server = try await RunningStatusServer.start(registry: registry)
        _ = try await StatusClient.request(server.url("/tasks"))
        _ = try await StatusClient.request(server.url("/nowhere"))
        let response = try await StatusClient.request(server.url("/metrics"))
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"].first == "text/plain; version=0.0.4; charset=utf-8")
        #expect(response.text.contains("cops_vigilante_snat_node_healing_attempts 3"))
        #expect(response.text.contains(#"vigilante_http_requests_total{endpoint="tasks",code="200"} 1"#))
        #expect(response.text.contains(#"vigilante_http_requests_total{endpoint="other",code="404"} 1"#))
        try await server.stop()
    }

    @Test("HEAD answers with GET's headers and no body")
    func head() async throws {
        let server = try await RunningStatusServer.start()
        for path in ["/tasks", "/tasks/snat", "/healthz", "/health", "/readyz", "/metrics"] {
            let get = try await StatusClient.request(server.url(path))
            let head = try await StatusClient.request(server.url(path), method: .HEAD)
            #expect(head.status == 200, "\(path)")
            #expect(head.body.isEmpty, "\(path)")
            #expect(head.headers["Content-Type"] == get.headers["Content-Type"], "\(path)")
            if path != "/metrics" {
                #expect(head.headers["Content-Length"].first == String(get.body.count), "\(path)")
            }
        }
        let missing = try await StatusClient.request(server.url("/tasks/nope"), method: .HEAD)
        #expect(missing.status == 404)
        #expect(missing.body.isEmpty)
        try await server.stop()
    }

    @Test("Other methods on a known path get a JSON 405 with Allow; unknown paths a JSON 404")
    func methodsAndUnknownPaths() async throws {
        let server = try await RunningStatusServer.start()
        for path in ["/", "/tasks", "/tasks/snat", "/healthz", "/health", "/readyz", "/metrics"] {
            for method in [HTTPMethod.POST, .PUT, .DELETE, .PATCH, .OPTIONS] {
                let response = try await StatusClient.request(server.url(path), method: method)
                #expect(response.status == 405, "\(method) \(path)")
                #expect(response.headers["Allow"].first == "GET, HEAD", "\(method) \(path)")
                #expect(try errorReason(response) == "MethodNotAllowed", "\(method) \(path)")
            }
        }
        for path in ["/task", "/tasks/snat/runs", "/metrics/x", "//tasks", "/healthz.json"] {
            let response = try await StatusClient.request(server.url(path))
            #expect(response.status == 404, "\(path)")
            #expect(try errorReason(response) == "NotFound", "\(path)")
            let post = try await StatusClient.request(server.url(path), method: .POST)
            #expect(post.status == 404, "POST \(path)")
        }
        try await server.stop()
    }

    @Test("A request announcing a body over the limit gets a JSON 413")
    func oversizedBody() async throws {
        let server = try await RunningStatusServer.start()
        let client = StatusClient.makeClient()
        var request = HTTPClientRequest(url: server.url("/tasks"))
        request.method = .POST
        request.body = .bytes(ByteBuffer(repeating: UInt8(ascii: "x"), count: 64 * 1024))
        let response = try await client.execute(request, timeout: .seconds(30))
        #expect(response.status.code == 413)
        let body = try await response.body.collect(upTo: 1024 * 1024)
        let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
        #expect(object?["error"] as? String == "PayloadTooLarge")
        try await client.shutdown()
        // The server still answers after closing that connection.
        #expect(try await StatusClient.request(server.url("/healthz")).status == 200)
        try await server.stop()
    }

    @Test("No endpoint changes what the provider reports")
    func readOnly() async throws {
        let provider = FakeStatusProvider()
        let server = try await RunningStatusServer.start(provider: provider)
        let before = try await StatusClient.request(server.url("/tasks")).body
        for method in [HTTPMethod.POST, .PUT, .DELETE, .PATCH] {
            _ = try await StatusClient.request(server.url("/tasks/snat"), method: method)
        }
        #expect(try await StatusClient.request(server.url("/tasks")).body == before)
        try await server.stop()
    }

    private func errorReason(_ response: CollectedResponse) throws -> String? {
        #expect(response.headers["Content-Type"].first == "application/json")
        return (try response.json() as? [String: Any])?["error"] as? String
    }
}
