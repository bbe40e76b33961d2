import NIOCore

/// Sends one HTTP request to the API server and returns the response with its body still streaming.
///
/// ``AsyncHTTPClientTransport`` is the real one; tests can supply a fake.
public protocol KubernetesTransport: Sendable {
    /// Sends the request; the returned body is read lazily.
    func send(_ request: KubernetesHTTPRequest) async throws -> KubernetesHTTPResponse
    /// Releases connections; the transport is unusable afterwards.
    func shutdown() async throws
}

/// One HTTP request, with the credentials already resolved.
public struct KubernetesHTTPRequest: Sendable {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    public var method: String
    /// The path and query, for example `/api/v1/nodes?limit=500`.
    public var pathAndQuery: String
    /// Headers (Authorization included).
    public var headers: [(String, String)]
    /// The body, if any.
    public var body: [UInt8]?
    /// How long the whole exchange, body included, may take; nil for no limit.
    public var timeout: Duration?
    /// The TLS client identity to present, if any.
    public var clientIdentity: ClientIdentity?

    /// Creates a request.
    public init(
        method: String,
        pathAndQuery: String,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil,
        timeout: Duration? = nil,
        clientIdentity: ClientIdentity? = nil
    ) {
        self.method = method
        self.pathAndQuery = pathAndQuery
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.clientIdentity = clientIdentity
    }

    /// The first value of a header, case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// An HTTP response whose body is still streaming.
public struct KubernetesHTTPResponse: Sendable {
    /// The status code.
    public var status: Int
    /// The headers.
    public var headers: [(String, String)]
    /// The body, read chunk by chunk.
    public var body: KubernetesResponseBody

    /// Creates a response.
    public init(status: Int, headers: [(String, String)] = [], body: KubernetesResponseBody) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of a header, case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// A response body as an asynchronous sequence of byte chunks, read as they arrive from the network.
public struct KubernetesResponseBody: AsyncSequence, Sendable {
    /// A chunk of bytes.
    public typealias Element = ByteBuffer

    private let makeSource: @Sendable () -> ChunkSource

    /// Wraps any sequence of byte chunks (AsyncHTTPClient's body, or a test stream).
    public init<Chunks: AsyncSequence & Sendable>(_ chunks: Chunks) where Chunks.Element == ByteBuffer {
        makeSource = {
            var iterator = chunks.makeAsyncIterator()
            return ChunkSource { try await iterator.next() }
        }
    }

    /// A body made of the given bytes.
    public init(bytes: [UInt8]) {
        self.init(BufferedChunks(chunks: bytes.isEmpty ? [] : [ByteBuffer(bytes: bytes)]))
    }

    /// An empty body.
    public static var empty: KubernetesResponseBody { KubernetesResponseBody(bytes: []) }

    /// Creates an iterator; a body can be iterated once.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(source: makeSource())
    }

    /// Reads the whole body, failing when it is larger than `limit` bytes.
    public func collect(upTo limit: Int) async throws -> ByteBuffer {
        var result = ByteBuffer()
        for try await var chunk in self {
            guard result.readableBytes + chunk.readableBytes <= limit else {
                throw ResponseTooLarge(limit: limit)
            }
            result.writeBuffer(&chunk)
        }
        return result
    }

    /// Iterates the chunks.
    public struct AsyncIterator: AsyncIteratorProtocol {
        fileprivate let source: ChunkSource

        /// The next chunk, or nil at the end of the body.
        public mutating func next() async throws -> ByteBuffer? {
            try await source.next()
        }
    }

    fileprivate final class ChunkSource {
        let next: () async throws -> ByteBuffer?

        init(next: @escaping () async throws -> ByteBuffer?) {
            self.next = next
        }
    }

    struct ResponseTooLarge: Error, CustomStringConvertible {
        let limit: Int
        var description: String { "response body larger than \(limit) bytes" }
    }
}

/// A fixed list of chunks as an async sequence.
struct BufferedChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let chunks: [ByteBuffer]

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(remaining: chunks[...])
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: ArraySlice<ByteBuffer>

        mutating func next() async throws -> ByteBuffer? {
            remaining.popFirst()
        }
    }
}
