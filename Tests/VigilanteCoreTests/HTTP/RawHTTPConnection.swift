import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// A raw TCP (or TLS) connection for requests no HTTP client would send: malformed, partial,
/// trickled. Every read has a deadline, so a test fails instead of hanging.
final class RawHTTPConnection {
    /// A response as read off the wire.
    struct Response {
        var status: Int
        var headers: [(name: String, value: String)]
        var body: Data

        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// Why reading stopped without a response.
    enum ReadError: Error {
        case timedOut
        case closedBeforeResponse(received: Int)
        case malformedResponse(String)
    }

    private typealias Iterator = NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private typealias Advanced = (chunk: ByteBuffer?, iterator: Iterator)

    private var iterator: Iterator
    private let writer: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var buffered = Data()
    private(set) var isClosedByServer = false

    private init(
        iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
        writer: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) {
        self.iterator = iterator
        self.writer = writer
    }

    /// Connects to 127.0.0.1:port (through TLS when `tls` is given), runs `body`, then closes.
    static func with<Result: Sendable>(
        port: Int, tls: TLSConfiguration? = nil, _ body: (RawHTTPConnection) async throws -> Result
    ) async throws -> Result {
        let sslContext = try tls.map { try NIOSSLContext(configuration: $0) }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: sslContext, serverHostname: nil))
                    }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            let connection = RawHTTPConnection(iterator: inbound.makeAsyncIterator(), writer: outbound)
            return try await body(connection)
        }
    }

    /// Sends bytes as they are.
    func send(_ text: String) async throws {
        try await writer.write(ByteBuffer(string: text))
    }

    /// Sends raw bytes.
    func send(bytes: [UInt8]) async throws {
        try await writer.write(ByteBuffer(bytes: bytes))
    }

    /// Reads one complete response (Content-Length framed).
    func readResponse(timeout: Duration = .seconds(30)) async throws -> Response {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let headEnd = buffered.range(of: Data("\r\n\r\n".utf8)) {
                let head = String(decoding: buffered[..<headEnd.lowerBound], as: UTF8.self)
                var lines = head.components(separatedBy: "\r\n")
                let statusLine = lines.removeFirst().split(separator: " ")
                guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
                    throw ReadError.malformedResponse(head)
                }
                let headers = lines.compactMap { line -> (String, String)? in
                    guard let colon = line.firstIndex(of: ":") else { return nil }
                    return (
                        String(line[..<colon]),
                        line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    )
                }
                let length =
                    headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) } ?? 0
                let bodyStart = headEnd.upperBound
                if buffered.count - (bodyStart - buffered.startIndex) >= length {
                    let body = Data(buffered[bodyStart..<(bodyStart + length)])
                    buffered = Data(buffered[(bodyStart + length)...])
                    return Response(status: status, headers: headers.map { ($0.0, $0.1) }, body: body)
                }
            }
            guard try await readMore(until: deadline) else {
                throw ReadError.closedBeforeResponse(received: buffered.count)
            }
        }
    }

    /// Reads until the server closes the connection; returns what arrived, or throws on timeout.
    func readUntilClosed(timeout: Duration = .seconds(30)) async throws -> Data {
        let deadline = ContinuousClock.now + timeout
        while try await readMore(until: deadline) {}
        return buffered
    }

    /// Reads one chunk; false when the server closed the connection (or reset it).
    private func readMore(until deadline: ContinuousClock.Instant) async throws -> Bool {
        if isClosedByServer { return false }
        let chunk: ByteBuffer?
        do {
            let transferred = UnsafeTransfer(iterator)
            let result = try await withThrowingTaskGroup(of: UnsafeTransfer<Advanced>.self) { group in
                group.addTask {
                    var iterator = transferred.value
                    let chunk = try await iterator.next()
                    return UnsafeTransfer((chunk, iterator))
                }
                group.addTask {
                    try await Task.sleep(until: deadline)
                    throw ReadError.timedOut
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
            chunk = result.value.chunk
            iterator = result.value.iterator
        } catch let error as ReadError {
            throw error
        } catch {
            // A reset or a TLS alert ends the connection like a close does.
            isClosedByServer = true
            return false
        }
        guard let chunk else {
            isClosedByServer = true
            return false
        }
        buffered.append(contentsOf: chunk.readableBytesView)
        return true
    }
}

/// Moves a non-Sendable value into a child task that is the only one to use it.
private struct UnsafeTransfer<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
