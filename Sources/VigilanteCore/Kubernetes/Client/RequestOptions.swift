/// Options of a LIST.
public struct ListOptions: Sendable, Hashable {
    /// A label selector, for example `kubernetes.io/os=windows` or `app in (a,b),!legacy`.
    public var labelSelector: String?
    /// A field selector, for example `spec.nodeName=akswin000001`.
    public var fieldSelector: String?
    /// The page size; nil lets the server return everything at once.
    public var limit: Int?
    /// The continue token from the previous page.
    public var `continue`: String?
    /// The resourceVersion to list at (`"0"` serves from the server's watch cache).
    public var resourceVersion: String?

    /// Creates list options.
    public init(
        labelSelector: String? = nil,
        fieldSelector: String? = nil,
        limit: Int? = nil,
        continue: String? = nil,
        resourceVersion: String? = nil
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continue = `continue`
        self.resourceVersion = resourceVersion
    }

    var queryItems: [(String, String)] {
        var items: [(String, String)] = []
        if let labelSelector, !labelSelector.isEmpty { items.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { items.append(("fieldSelector", fieldSelector)) }
        if let limit { items.append(("limit", String(limit))) }
        if let token = self.continue, !token.isEmpty { items.append(("continue", token)) }
        if let resourceVersion { items.append(("resourceVersion", resourceVersion)) }
        return items
    }
}

/// Options of a WATCH.
public struct WatchOptions: Sendable, Hashable {
    /// A label selector.
    public var labelSelector: String?
    /// A field selector.
    public var fieldSelector: String?
    /// Start after this version (from a LIST or the last event); nil starts "now" with synthetic ADDED events
    /// for existing objects being undefined, so callers should always pass one.
    public var resourceVersion: String?
    /// Ask the server to send BOOKMARK events carrying newer resourceVersions.
    public var allowWatchBookmarks: Bool
    /// The server ends the stream cleanly after this many seconds.
    public var timeoutSeconds: Int?

    /// Creates watch options.
    public init(
        labelSelector: String? = nil,
        fieldSelector: String? = nil,
        resourceVersion: String? = nil,
        allowWatchBookmarks: Bool = true,
        timeoutSeconds: Int? = 300
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.resourceVersion = resourceVersion
        self.allowWatchBookmarks = allowWatchBookmarks
        self.timeoutSeconds = timeoutSeconds
    }

    var queryItems: [(String, String)] {
        var items: [(String, String)] = [("watch", "1")]
        if let labelSelector, !labelSelector.isEmpty { items.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { items.append(("fieldSelector", fieldSelector)) }
        if let resourceVersion { items.append(("resourceVersion", resourceVersion)) }
        if allowWatchBookmarks { items.append(("allowWatchBookmarks", "true")) }
        if let timeoutSeconds { items.append(("timeoutSeconds", String(timeoutSeconds))) }
        return items
    }
}

/// Options of a DELETE.
public struct DeleteOptions: Sendable, Hashable {
    /// How dependents are deleted.
    public enum PropagationPolicy: String, Sendable, Hashable {
        /// Delete dependents in the background (the default for most kinds).
        case background = "Background"
        /// Delete dependents first; the owner stays until they are gone.
        case foreground = "Foreground"
        /// Leave dependents.
        case orphan = "Orphan"
    }

    /// Seconds the object may take to terminate; 0 deletes at once.
    public var gracePeriodSeconds: Int?
    /// How dependents are deleted.
    public var propagationPolicy: PropagationPolicy?
    /// Only delete if the object still has this uid (protects a re-created object with the same name).
    public var preconditionUID: String?

    /// Creates delete options.
    public init(
        gracePeriodSeconds: Int? = nil,
        propagationPolicy: PropagationPolicy? = nil,
        preconditionUID: String? = nil
    ) {
        self.gracePeriodSeconds = gracePeriodSeconds
        self.propagationPolicy = propagationPolicy
        self.preconditionUID = preconditionUID
    }

    var queryItems: [(String, String)] {
        var items: [(String, String)] = []
        if let gracePeriodSeconds { items.append(("gracePeriodSeconds", String(gracePeriodSeconds))) }
        if let propagationPolicy { items.append(("propagationPolicy", propagationPolicy.rawValue)) }
        return items
    }

    /// A DeleteOptions body, sent only for preconditions (the query carries the rest; when a body is sent
    /// the server ignores the query, so the body repeats everything).
    var body: RawJSON? {
        guard let preconditionUID else { return nil }
        var members: [String: RawJSON] = ["kind": "DeleteOptions", "apiVersion": "v1"]
        if let gracePeriodSeconds { members["gracePeriodSeconds"] = .number(Double(gracePeriodSeconds)) }
        if let propagationPolicy { members["propagationPolicy"] = .string(propagationPolicy.rawValue) }
        members["preconditions"] = ["uid": .string(preconditionUID)]
        return .object(members)
    }
}
