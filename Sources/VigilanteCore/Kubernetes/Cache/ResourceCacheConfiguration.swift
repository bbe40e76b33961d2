/// What a ``ResourceCache`` watches and how it recovers.
public struct ResourceCacheConfiguration: Sendable {
    /// The namespace to cache, nil for all namespaces (or a cluster-scoped kind).
    public var namespace: String?
    /// A label selector.
    public var labelSelector: String?
    /// A field selector.
    public var fieldSelector: String?
    /// The page size of the initial list and of relists.
    public var pageSize: Int
    /// Each watch asks the server to end it after a random time in this range (seconds), like client-go,
    /// so that all watches of a fleet do not restart at once.
    public var watchTimeoutSeconds: ClosedRange<Int>
    /// The delay between attempts while the server is unreachable.
    public var backoff: Backoff
    /// How many unread change signals a subscriber may have before the oldest are dropped.
    public var changeBufferSize: Int

    /// Creates a configuration.
    public init(
        namespace: String? = nil,
        labelSelector: String? = nil,
        fieldSelector: String? = nil,
        pageSize: Int = 500,
        watchTimeoutSeconds: ClosedRange<Int> = 300...600,
        backoff: Backoff = Backoff(initial: .milliseconds(500), maximum: .seconds(30)),
        changeBufferSize: Int = 4096
    ) {
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.pageSize = pageSize
        self.watchTimeoutSeconds = watchTimeoutSeconds
        self.backoff = backoff
        self.changeBufferSize = changeBufferSize
    }
}
