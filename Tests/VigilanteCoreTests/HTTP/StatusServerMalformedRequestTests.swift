import Foundation
import Testing

@testable import VigilanteCore

/// Requests no well-behaved client sends, over a raw socket: each is answered with a 4xx or the
/// connection is closed, never a 5xx, and the server keeps serving.
@Suite("HTTP status server: malformed and hostile requests")
struct StatusServerMalformedRequestTests {
    @Test(
        "Invalid methods and request lines are answered 400 or closed",
        arguments: [
            "FOO /tasks HTTP/1.1\r\nHost: x\r\n\r\n",
            "get /tasks HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /tasks HTTP/9.9\r\nHost: x\r\n\r\n",
            "GET\r\n\r\n",
            "\u{16}\u{03}\u{01}\u{00}\u{a5}\u{01}\u{00}\u{00}\u{a1}\u{03}\u{03}\r\n\r\n",
            "GET /tasks HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
            "GET /tasks HTTP/1.1\r\nHost: x\r\nBad Header Name: y\r\n\r\n",
        ]
    )
    func badRequestLines(request: String) async throws {
        let server = try await RunningStatusServer.start()
        let received = try await RawHTTPConnection.with(port: server.port) { connection in
            // The server may answer and close before all of it is written.
            try? await connection.send(request)
            return try await connection.readUntilClosed()
        }
        try expectCleanRejection(received)
        #expect(try await StatusClient.request(server.url("/healthz")).status == 200)
        try await server.stop()
    }

    @Test("Oversized headers and too many headers are rejected with 400 or a close")
    func headerLimits() async throws {
        let server = try await RunningStatusServer.start()
        let hugeValue = String(repeating: "a", count: 100 * 1024)
        let manyHeaders = (0..<200).map { "X-Header-\($0): \($0)\r\n" }.joined()
        for request in [
            "GET /tasks HTTP/1.1\r\nHost: x\r\nX-Big: \(hugeValue)\r\n\r\n",
            "GET /tasks HTTP/1.1\r\nHost: x\r\n\(manyHeaders)\r\n",
            "GET /tasks?\(hugeValue) HTTP/1.1\r\nHost: x\r\n\r\n",
        ] {
            let received = try await RawHTTPConnection.with(port: server.port) { connection in
                // The server answers 400 and closes while the rest is still being written; the close
                // may then reset the connection before the answer is read, so either is accepted.
                try? await connection.send(request)
                return try await connection.readUntilClosed()
            }
            try expectCleanRejection(received)
        }
        // Small enough to be read in one go, so the answer is not lost to a reset: a 400 is sent.
        let tooMany = try await RawHTTPConnection.with(port: server.port) { connection in
            try await connection.send("GET /tasks HTTP/1.1\r\nHost: x\r\n\(manyHeaders)\r\n")
            return try await connection.readResponse()
        }
        #expect(tooMany.status == 400)
        #expect(try await StatusClient.request(server.url("/tasks")).status == 200)
        try await server.stop()
    }

    @Test(
        "Invalid percent-encoding in the path gets a JSON 400",
        arguments: ["/tasks/%zz", "/tasks/%", "/tasks/%4", "/%ff", "/tasks/%C3%28", "/tasks?pretty=%zz"]
    )
    func invalidPercentEncoding(path: String) async throws {
        let server = try await RunningStatusServer.start()
        let response = try await RawHTTPConnection.with(port: server.port) { connection in
            try await connection.send("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
            return try await connection.readResponse()
        }
        #expect(response.status == 400)
        #expect(response.header("Content-Type") == "application/json")
        let body = try JSONSerialization.jsonObject(with: response.body) as? [String: Any]
        #expect(body?["error"] as? String == "BadRequest")
        try await server.stop()
    }

    @Test("A request head that never completes is closed by the idle timeout (slowloris)")
    func partialHead() async throws {
        let server = try await RunningStatusServer.start(
            limits: StatusServerLimits(idleTimeout: .seconds(2), requestTimeout: .seconds(2)))
        let started = ContinuousClock.now
        let received = try await RawHTTPConnection.with(port: server.port) { connection in
            do {
                try await connection.send("GET /tasks HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            } catch {
                // On a loaded machine the idle timeout may close the connection even before this write.
                return Data()
            }
            return try await connection.readUntilClosed(timeout: .seconds(60))
        }
        #expect(received.isEmpty)
        #expect(ContinuousClock.now - started < .seconds(60))
        #expect(try await StatusClient.request(server.url("/healthz")).status == 200)
        try await server.stop()
    }

    @Test("A head trickled byte by byte is closed by the idle timeout")
    func trickledHead() async throws {
        let server = try await RunningStatusServer.start(
            limits: StatusServerLimits(idleTimeout: .seconds(1), requestTimeout: .seconds(1)))
        let closed = try await RawHTTPConnection.with(port: server.port) { connection in
            let head = Array("GET /tasks HTTP/1.1\r\nHost: x\r\nX-Slow: " + String(repeating: "z", count: 2000))
            for character in head {
                do {
                    try await connection.send(String(character))
                } catch {
                    return true
                }
                try await Task.sleep(for: .milliseconds(100))
                if connection.isClosedByServer { return true }
            }
            return try await connection.readUntilClosed(timeout: .seconds(60)).isEmpty
        }
        #expect(closed)
        try await server.stop()
    }

    @Test("A body that never arrives is cut by the request timeout after the answer")
    func partialBody() async throws {
        let server = try await RunningStatusServer.start(
            limits: StatusServerLimits(idleTimeout: .seconds(30), requestTimeout: .seconds(1)))
        let started = ContinuousClock.now
        try await RawHTTPConnection.with(port: server.port) { connection in
            try await connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
            let response = try await connection.readResponse()
            #expect(response.status == 200)
            _ = try await connection.readUntilClosed(timeout: .seconds(60))
        }
        #expect(ContinuousClock.now - started < .seconds(30))
        try await server.stop()
    }

    @Test("A chunked body over the limit closes the connection")
    func chunkedBodyOverLimit() async throws {
        let server = try await RunningStatusServer.start()
        try await RawHTTPConnection.with(port: server.port) { connection in
            try await connection.send("POST /tasks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            let chunk = String(repeating: "b", count: 4096)
            for _ in 0..<16 {
                do {
                    try await connection.send(String(4096, radix: 16) + "\r\n" + chunk + "\r\n")
                } catch {
                    break
                }
            }
            let received = try await connection.readUntilClosed(timeout: .seconds(60))
            try expectCleanRejection(received)
        }
        #expect(try await StatusClient.request(server.url("/healthz")).status == 200)
        try await server.stop()
    }

    @Test("Keep-alive: several requests on one connection, including an error, all answered")
    func keepAlive() async throws {
        let server = try await RunningStatusServer.start()
        try await RawHTTPConnection.with(port: server.port) { connection in
            for (path, status) in [("/healthz", 200), ("/tasks/%zz", 400), ("/nope", 404), ("/tasks/snat", 200)] {
                try await connection.send("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try await connection.readResponse().status == status, "\(path)")
            }
            try await connection.send("DELETE /tasks HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            let response = try await connection.readResponse()
            #expect(response.status == 405)
            #expect(response.header("Allow") == "GET, HEAD")
        }
        try await server.stop()
    }

    /// Whatever arrived is either nothing (the connection was closed) or a 4xx response.
    private func expectCleanRejection(_ received: Data) throws {
        if received.isEmpty { return }
        let statusLine = String(decoding: received.prefix(while: { $0 != UInt8(ascii: "\r") }), as: UTF8.self)
        let parts = statusLine.split(separator: " ")
        let status = try #require(parts.count >= 2 ? Int(parts[1]) : nil, "not a status line: \(statusLine)")
        #expect((400..<500).contains(status), "\(statusLine)")
    }
}
