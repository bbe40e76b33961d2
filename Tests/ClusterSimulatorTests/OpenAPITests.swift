import ClusterSimulator
import Foundation
import Testing

/// The OpenAPI documents, served as a real kube-apiserver v1.28 serves them (the byte-for-byte and
/// header comparison with the recordings is FixtureReplayTests' cases 96a–96c).
@Suite("OpenAPI documents")
struct OpenAPITests {
    @Test func theIndexPointsAtTheServedCoreDocumentByItsHash() async throws {
        try await TestCluster.with { cluster async throws in
            let index = try await cluster.get("/openapi/v3")
            #expect(index.status == 200)
            #expect(index.header("Content-Type") == "text/plain; charset=utf-8")
            let relative = try #require(
                index.json["paths"]["api/v1"]["serverRelativeURL"]?.stringValue, "\(index.text.prefix(200))")
            let hash = try #require(relative.split(separator: "=").last.map(String.init))

            // The document's Etag is the index's hash; asked for by that hash it is immutable.
            let plain = try await cluster.get("/openapi/v3/api/v1")
            #expect(plain.status == 200)
            #expect(plain.header("Etag") == "\"\(hash)\"")
            #expect(plain.header("Cache-Control") == "no-cache, private")
            #expect(plain.headers["Vary"] == ["Accept"])
            #expect(plain.header("Accept-Ranges") == "bytes")
            #expect(plain.header("Last-Modified")?.hasSuffix(" GMT") == true)
            #expect(plain.json["components"]["schemas"]["io.k8s.api.core.v1.NodeStatus"] != nil)

            let pinned = try await cluster.get(relative)
            #expect(pinned.status == 200)
            #expect(pinned.header("Cache-Control") == "public, immutable")
            #expect(pinned.header("Expires") != nil)
            #expect(pinned.bytes == plain.bytes)

            // Another hash (an older document): redirected to the current one, which the client follows.
            let outdated = try await cluster.get("/openapi/v3/api/v1?hash=0123")
            #expect(outdated.status == 200)
            #expect(outdated.header("Etag") == "\"\(hash)\"")

            // Only the core group's v3 document is served.
            #expect(try await cluster.get("/openapi/v3/apis/apps/v1").status == 404)
            #expect(try await cluster.get("/openapi/v4").status == 404)
        }
    }

    @Test func version2IsServedAsJSONOnly() async throws {
        try await TestCluster.with { cluster async throws in
            let v2 = try await cluster.get("/openapi/v2")
            #expect(v2.status == 200)
            #expect(v2.header("Content-Type") == "application/json")
            #expect(v2.headers["Vary"] == ["Accept-Encoding", "Accept"])
            #expect(v2.json["swagger"] == "2.0")
            #expect(v2.json["definitions"]["io.k8s.api.core.v1.Node"] != nil)
            let protobuf = try await cluster.request(
                .GET, "/openapi/v2",
                headers: [("Accept", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf")])
            #expect(protobuf.status == 406)
            // Like discovery, the documents need an authenticated user.
            #expect(try await cluster.get("/openapi/v2", auth: .none).status == 403)
        }
    }
}
