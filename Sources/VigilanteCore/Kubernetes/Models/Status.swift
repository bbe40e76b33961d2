/// The API server's `Status` object: the body of every error response and of some deletes.
public struct Status: Codable, Sendable, Hashable, CustomStringConvertible {
    /// `Success` or `Failure`.
    public var status: String?
    /// The human-readable message.
    public var message: String?
    /// The machine-readable reason, for example `NotFound`, `Expired`, `Conflict`.
    public var reason: String?
    /// Details naming the object and, for `Invalid`, the causes.
    public var details: StatusDetails?
    /// The HTTP status code.
    public var code: Int?
    /// List metadata; a 410 on an expired continue token carries a replacement token here.
    public var metadata: ListMeta?

    /// Creates a status.
    public init(
        status: String? = nil,
        message: String? = nil,
        reason: String? = nil,
        details: StatusDetails? = nil,
        code: Int? = nil,
        metadata: ListMeta? = nil
    ) {
        self.status = status
        self.message = message
        self.reason = reason
        self.details = details
        self.code = code
        self.metadata = metadata
    }

    /// The message, or the reason and code when there is no message.
    public var description: String {
        if let message, !message.isEmpty { return message }
        return "\(reason ?? "Unknown") (\(code.map(String.init) ?? "no code"))"
    }
}

/// The `details` of a ``Status``.
public struct StatusDetails: Codable, Sendable, Hashable {
    /// The object's name.
    public var name: String?
    /// The API group (absent for the core group).
    public var group: String?
    /// The resource (for NotFound/AlreadyExists/Conflict) or kind (for Invalid).
    public var kind: String?
    /// The object's uid (successful deletes).
    public var uid: String?
    /// Individual validation failures.
    public var causes: [StatusCause]?
    /// A server hint for when to retry.
    public var retryAfterSeconds: Int?

    /// Creates details.
    public init(
        name: String? = nil,
        group: String? = nil,
        kind: String? = nil,
        uid: String? = nil,
        causes: [StatusCause]? = nil,
        retryAfterSeconds: Int? = nil
    ) {
        self.name = name
        self.group = group
        self.kind = kind
        self.uid = uid
        self.causes = causes
        self.retryAfterSeconds = retryAfterSeconds
    }
}

/// One cause in ``StatusDetails``.
public struct StatusCause: Codable, Sendable, Hashable {
    /// The cause's reason, for example `FieldValueInvalid`.
    public var reason: String?
    /// The cause's message.
    public var message: String?
    /// The field path, for example `metadata.labels`.
    public var field: String?

    /// Creates a cause.
    public init(reason: String? = nil, message: String? = nil, field: String? = nil) {
        self.reason = reason
        self.message = message
        self.field = field
    }
}
