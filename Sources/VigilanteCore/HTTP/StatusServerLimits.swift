/// Protections of the status server against oversized, slow and excessive requests.
///
/// The defaults suit an internal endpoint polled by probes, Prometheus and people; tests shrink the
/// timeouts to keep slow-client cases fast.
public struct StatusServerLimits: Sendable {
    /// Largest accepted request body in bytes; no endpoint reads a body, so this is small.
    public var maxBodySize: Int
    /// Largest single header field (name and value) in bytes.
    public var maxHeaderFieldSize: Int
    /// Largest total size of all header fields in bytes.
    public var maxHeaderListSize: Int
    /// Most header fields in one request.
    public var maxHeaderCount: Int
    /// Most simultaneous connections; further clients wait in the listen backlog.
    public var maxConnections: Int
    /// A connection that sends nothing (or only part of a request head) for this long is closed.
    public var idleTimeout: Duration
    /// A request whose head arrived must be complete (body included) within this time.
    public var requestTimeout: Duration
    /// How long closing a TLS connection waits for the peer's close_notify.
    public var tlsShutdownTimeout: Duration

    /// Creates limits; every argument has a default suited to production.
    public init(
        maxBodySize: Int = 16 * 1024,
        maxHeaderFieldSize: Int = 16 * 1024,
        maxHeaderListSize: Int = 32 * 1024,
        maxHeaderCount: Int = 100,
        maxConnections: Int = 256,
        idleTimeout: Duration = .seconds(30),
        requestTimeout: Duration = .seconds(10),
        tlsShutdownTimeout: Duration = .seconds(1)
    ) {
        self.maxBodySize = maxBodySize
        self.maxHeaderFieldSize = maxHeaderFieldSize
        self.maxHeaderListSize = maxHeaderListSize
        self.maxHeaderCount = maxHeaderCount
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
        self.tlsShutdownTimeout = tlsShutdownTimeout
    }
}
