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

    @Test func version2IsServedAsJSONOrProtobuf() async throws {
        try await TestCluster.with { cluster async throws in
            let v2 = try await cluster.get("/openapi/v2")
            #expect(v2.status == 200)
            #expect(v2.header("Content-Type") == "application/json")
            #expect(v2.headers["Vary"] == ["Accept-Encoding", "Accept"])
            #expect(v2.json["swagger"] == "2.0")
            #expect(v2.json["definitions"]["io.k8s.api.core.v1.Node"] != nil)

            // What kubectl 1.28 asks for: gnostic's openapi.v2.Document message.
            let protobufType = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
            let protobuf = try await cluster.request(.GET, "/openapi/v2", headers: [("Accept", protobufType)])
            #expect(protobuf.status == 200)
            #expect(protobuf.header("Content-Type") == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
            #expect(protobuf.headers["Vary"] == ["Accept-Encoding", "Accept"])
            let tag = try #require(protobuf.header("Etag"))
            #expect(tag != v2.header("Etag"))
            let document = ProtobufFields(protobuf.bytes)
            #expect(document.strings(1) == ["2.0"])  // swagger
            #expect(ProtobufFields(document.messages(2).first ?? []).strings(2) == ["v1.28.15"])  // info.version
            // definitions (9): NamedSchema entries (name 1, Schema 2), as many as in the JSON form.
            let definitions = ProtobufFields(document.messages(9).first ?? []).messages(1).map(ProtobufFields.init)
            let names = definitions.flatMap { $0.strings(1) }
            #expect(names.count == v2.json["definitions"]?.objectValue?.count)
            let node = try #require(definitions.first { $0.strings(1) == ["io.k8s.api.core.v1.Node"] })
            let nodeSchema = ProtobufFields(node.messages(2).first ?? [])
            #expect(ProtobufFields(nodeSchema.messages(22).first ?? []).strings(1) == ["object"])  // type
            // x-kubernetes-group-version-kind (31) as YAML in an Any (NamedAny 2 → Any.yaml 2).
            let gvk = try #require(nodeSchema.messages(31).map(ProtobufFields.init).first)
            #expect(gvk.strings(1) == ["x-kubernetes-group-version-kind"])
            #expect(
                ProtobufFields(gvk.messages(2).first ?? []).strings(2) == [
                    "- group: \"\"\n  kind: Node\n  version: v1\n"
                ])

            // kube-openapi's negotiation: the best quality first, JSON on a tie; 406 for neither.
            let preferred = try await cluster.request(
                .GET, "/openapi/v2", headers: [("Accept", "application/json;q=0.5, \(protobufType)")])
            #expect(preferred.header("Content-Type") == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
            let tie = try await cluster.request(.GET, "/openapi/v2", headers: [("Accept", "*/*")])
            #expect(tie.header("Content-Type") == "application/json")
            let yaml = try await cluster.request(.GET, "/openapi/v2", headers: [("Accept", "application/yaml")])
            #expect(yaml.status == 406)
            let cached = try await cluster.request(
                .GET, "/openapi/v2", headers: [("Accept", protobufType), ("If-None-Match", tag)])
            #expect(cached.status == 304)
            // Like discovery, the documents need an authenticated user.
            #expect(try await cluster.get("/openapi/v2", auth: .none).status == 403)
        }
    }
}

/// The top-level fields of a protobuf message, read with nothing but the wire format: enough to check
/// the simulator's encoding without its encoder.
struct ProtobufFields {
    private(set) var lengthDelimited: [(field: Int, bytes: [UInt8])] = []

    init(_ bytes: [UInt8]) {
        var index = 0
        func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
            return nil
        }
        while index < bytes.count, let key = varint() {
            switch key & 7 {
            case 0: _ = varint()
            case 1: index += 8
            case 5: index += 4
            case 2:
                guard let length = varint().map(Int.init), index + length <= bytes.count else { return }
                lengthDelimited.append((Int(key >> 3), Array(bytes[index..<index + length])))
                index += length
            default: return
            }
        }
    }

    func messages(_ field: Int) -> [[UInt8]] { lengthDelimited.filter { $0.field == field }.map(\.bytes) }
    func strings(_ field: Int) -> [String] { messages(field).map { String(decoding: $0, as: UTF8.self) } }
}
