/// Notifications: where they go, what each destination receives, and how the dispatcher keeps them quiet.
public struct NotificationSettings: Sendable {
    /// The destinations; none means nothing is sent.
    public var destinations: [Destination]
    /// Names the cluster in every message (teams with several clusters need to know which one).
    public var clusterName: String?
    /// Events of one kind arriving within this period make one message per destination.
    public var batchWindow: Duration
    /// The same event (kind, subject, detail) is not sent again to a destination within this period.
    public var dedupPeriod: Duration
    /// A node or task is notified as failing once it failed this many times in a row.
    public var failureThreshold: Int
    /// Messages waiting for delivery per destination; more are dropped (and counted).
    public var queueCapacity: Int
    /// Timeout of one delivery request.
    public var requestTimeout: Duration
    /// Delivery attempts of one message before it counts as failed.
    public var maxAttempts: Int

    /// No destination; the defaults otherwise.
    public static let none = NotificationSettings(
        destinations: [], clusterName: nil, batchWindow: .seconds(30), dedupPeriod: .seconds(3600), failureThreshold: 3,
        queueCapacity: 100, requestTimeout: .seconds(10), maxAttempts: 5)

    /// Creates settings.
    public init(
        destinations: [Destination], clusterName: String?, batchWindow: Duration, dedupPeriod: Duration,
        failureThreshold: Int,
        queueCapacity: Int, requestTimeout: Duration, maxAttempts: Int
    ) {
        self.destinations = destinations
        self.clusterName = clusterName
        self.batchWindow = batchWindow
        self.dedupPeriod = dedupPeriod
        self.failureThreshold = failureThreshold
        self.queueCapacity = queueCapacity
        self.requestTimeout = requestTimeout
        self.maxAttempts = maxAttempts
    }

    /// One place notifications go.
    public struct Destination: Sendable {
        /// Names it in logs and metrics (`destination` label).
        public var name: String
        /// The payload it understands.
        public var format: NotificationFormat
        /// Its address (a secret).
        public var url: WebhookURL
        /// The kinds it receives.
        public var kinds: Set<NotificationEvent.Kind>
        /// Messages per minute at most; more wait their turn.
        public var messagesPerMinute: Int

        /// Creates a destination.
        public init(
            name: String, format: NotificationFormat, url: WebhookURL, kinds: Set<NotificationEvent.Kind>,
            messagesPerMinute: Int
        ) {
            self.name = name
            self.format = format
            self.url = url
            self.kinds = kinds
            self.messagesPerMinute = messagesPerMinute
        }
    }
}

/// The payload a destination understands.
public enum NotificationFormat: String, Sendable, CaseIterable {
    /// A Slack incoming webhook: `text` and Block Kit `blocks`.
    case slack
    /// A Microsoft Teams Workflows webhook: a message with an Adaptive Card attachment.
    case teams
    /// Any webhook: a CloudEvents 1.0 event in structured JSON mode.
    case cloudevents
}
