import Foundation
import NIOCore
import Testing

@testable import VigilanteCore

@Suite("Watch line parsing")
struct WatchStreamTests {
    static let added =
        "{\"type\":\"ADDED\",\"object\":\(KubeFixtures.node(name: "akswin000001", resourceVersion: "278"))}"
    static let modified =
        "{\"type\":\"MODIFIED\",\"object\":\(KubeFixtures.node(name: "akswin000001", resourceVersion: "280"))}"
    static let bookmark = """
        {"type":"BOOKMARK","object":{"kind":"Node","apiVersion":"v1","metadata":{"resourceVersion":"311","creationTimestamp":null},"spec":{},"status":{"daemonEndpoints":{"kubeletEndpoint":{"Port":0}},"nodeInfo":{"machineID":""}}}}
        """

    static func chunks(_ text: String, size: Int) -> [ByteBuffer] {
        let bytes = Array(text.utf8)
        return stride(from: 0, to: bytes.count, by: size).map {
            ByteBuffer(bytes: bytes[$0..<min($0 + size, bytes.count)])
        }
    }

    static func events(_ chunks: [ByteBuffer]) async throws -> [WatchEvent<Node>] {
        var events: [WatchEvent<Node>] = []
        for try await event in WatchEventStream<Node>(body: KubernetesResponseBody(BufferedChunks(chunks: chunks))) {
            events.append(event)
        }
        return events
    }

    @Test(arguments: [1, 7, 100, 4096])
    func eventsSplitAcrossChunksAreReassembled(chunkSize: Int) async throws {
        let text = [Self.added, Self.modified, Self.bookmark, KubeFixtures.watchExpired].joined(separator: "\n") + "\n"
        let events = try await Self.events(Self.chunks(text, size: chunkSize))
        #expect(events.count == 4)
        guard case .added(let node) = events[0], case .modified(let changed) = events[1],
            case .bookmark(let version) = events[2], case .error(let status) = events[3]
        else {
            Issue.record("unexpected events \(events)")
            return
        }
        #expect(node.name == "akswin000001")
        #expect(node.metadata.resourceVersion == "278")
        #expect(node.isReady)
        #expect(node.spec?.taints == [Taint(key: "node.kubernetes.io/not-ready", effect: "NoSchedule")])
        #expect(changed.metadata.resourceVersion == "280")
        #expect(version == "311")
        #expect(status.code == 410)
        #expect(status.reason == "Expired")
        #expect(status.message == "too old resource version: 300 (438)")
        #expect(events.map(\.resourceVersion) == ["278", "280", "311", nil])
    }

    @Test func lastEventWithoutNewlineAndBlankLines() async throws {
        let text = "\n\r\n" + Self.added + "\n\n" + Self.bookmark
        let events = try await Self.events(Self.chunks(text, size: 50))
        #expect(events.count == 2)
    }

    @Test func eventsArriveBeforeTheStreamEnds() async throws {
        // The body never ends: the first event must be delivered while the connection is still open.
        let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        let body = KubernetesResponseBody(stream)
        continuation.yield(ByteBuffer(string: Self.added + "\n" + String(Self.modified.prefix(40))))
        var iterator = WatchEventStream<Node>(body: body).makeAsyncIterator()
        let first = try await iterator.next()
        guard case .added = first else {
            Issue.record("expected ADDED, got \(String(describing: first))")
            return
        }
        continuation.yield(ByteBuffer(string: String(Self.modified.dropFirst(40)) + "\n"))
        let second = try await iterator.next()
        guard case .modified = second else {
            Issue.record("expected MODIFIED, got \(String(describing: second))")
            return
        }
        continuation.finish()
        let end = try await iterator.next()
        #expect(end == nil)
    }

    @Test func oversizedEventFailsInsteadOfGrowingMemory() async throws {
        let huge = ByteBuffer(repeating: UInt8(ascii: "x"), count: 4096)
        let stream = WatchEventStream<Node>(
            body: KubernetesResponseBody(BufferedChunks(chunks: [huge, huge])),
            maxEventBytes: 1000
        )
        await #expect(throws: KubernetesError.self) {
            for try await _ in stream {}
        }
    }

    @Test func undecodableEventIsADecodingError() async throws {
        let stream = WatchEventStream<Node>(body: KubernetesResponseBody(bytes: Array("{\"type\":\"NOPE\"}\n".utf8)))
        do {
            for try await _ in stream {}
            Issue.record("expected an error")
        } catch KubernetesError.decoding(let message, _) {
            #expect(message.contains("undecodable event"))
        }
    }

    @Test func brokenConnectionIsATransportError() async throws {
        struct Cut: Error {}
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: ByteBuffer.self)
        continuation.yield(ByteBuffer(string: Self.added + "\n"))
        continuation.finish(throwing: Cut())
        var iterator = WatchEventStream<Node>(body: KubernetesResponseBody(stream)).makeAsyncIterator()
        _ = try await iterator.next()
        do {
            _ = try await iterator.next()
            Issue.record("expected an error")
        } catch KubernetesError.transport(let message, _) {
            #expect(message.contains("watch of nodes broke"))
        }
    }

    @Test func splitterKeepsOnlyThePartialLine() throws {
        var splitter = JSONLineSplitter(maxLineBytes: 100)
        try splitter.append(ByteBuffer(string: "{\"a\":1}\n{\"b\""))
        #expect(splitter.nextLine().map { String(buffer: $0) } == "{\"a\":1}")
        #expect(splitter.nextLine() == nil)
        try splitter.append(ByteBuffer(string: ":2}\n"))
        #expect(splitter.nextLine().map { String(buffer: $0) } == "{\"b\":2}")
        #expect(splitter.finish() == nil)
    }
}
