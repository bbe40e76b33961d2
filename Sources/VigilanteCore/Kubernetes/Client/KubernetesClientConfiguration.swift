/// Tunables of a ``KubernetesClient``.
public struct KubernetesClientConfiguration: Sendable {
    /// How long a single request (not a watch) may take, including reading the body.
    public var requestTimeout: Duration
    /// How long establishing a connection (TCP and TLS) may take.
    public var connectTimeout: Duration
    /// How many times a request is tried in total (1 = no retries).
    public var maxAttempts: Int
    /// The delay between retries when the server gives no `Retry-After`.
    public var retryBackoff: Backoff
    /// The longest `Retry-After` honoured; longer hints are capped.
    public var maxRetryAfter: Duration
    /// When true, every mutating call throws ``KubernetesError/dryRun(_:)`` without touching the network.
    public var readOnly: Bool
    /// The `User-Agent` header; the API server records it as the field manager.
    public var userAgent: String
    /// The largest non-watch response body accepted, in bytes.
    public var maxResponseBytes: Int
    /// The largest single watch event accepted, in bytes.
    public var maxWatchEventBytes: Int
    /// Paces mutating requests (every attempt, retries included); nil sends them unpaced.
    public var writeLimiter: WriteRateLimiter?

    /// The default sustained write rate (`kubernetes.qps`): 1,000 new Windows nodes need about 2,000
    /// writes in their first interval (a healer pod and an Event each) and 2,000 per interval while they
    /// heal (a pod created, one deleted), so 100 per second heals them within a 30 s interval.
    public static let defaultQPS = 100.0
    /// The default burst (`kubernetes.burst`): two seconds' worth at the default rate.
    public static let defaultBurst = 200

    /// Creates a configuration with production defaults.
    public init(
        requestTimeout: Duration = .seconds(30),
        connectTimeout: Duration = .seconds(10),
        maxAttempts: Int = 5,
        retryBackoff: Backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(10)),
        maxRetryAfter: Duration = .seconds(30),
        readOnly: Bool = false,
        userAgent: String = "cops-vigilante/1.0",
        maxResponseBytes: Int = 256 * 1024 * 1024,
        maxWatchEventBytes: Int = 16 * 1024 * 1024,
        writeLimiter: WriteRateLimiter? = WriteRateLimiter(qps: defaultQPS, burst: defaultBurst)
    ) {
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
        self.maxAttempts = max(maxAttempts, 1)
        self.retryBackoff = retryBackoff
        self.maxRetryAfter = maxRetryAfter
        self.readOnly = readOnly
        self.userAgent = userAgent
        self.maxResponseBytes = maxResponseBytes
        self.maxWatchEventBytes = maxWatchEventBytes
        self.writeLimiter = writeLimiter
    }
}
