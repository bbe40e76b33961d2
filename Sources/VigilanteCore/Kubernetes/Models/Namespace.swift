/// A namespace (core/v1).
public struct Namespace: KubernetesResource, Hashable {
    /// The API group.
    public static let group = ""
    /// The API version.
    public static let version = "v1"
    /// The kind.
    public static let kind = "Namespace"
    /// The plural resource name.
    public static let plural = "namespaces"
    /// Whether the kind is namespaced.
    public static let namespaced = false

    /// The object's metadata.
    public var metadata: ObjectMeta
    /// The namespace's status.
    public var status: NamespaceStatus?

    /// Creates a namespace.
    public init(metadata: ObjectMeta, status: NamespaceStatus? = nil) {
        self.metadata = metadata
        self.status = status
    }
}

/// The `status` of a ``Namespace``.
public struct NamespaceStatus: Codable, Sendable, Hashable {
    /// `Active` or `Terminating`.
    public var phase: String?

    /// Creates a status.
    public init(phase: String? = nil) {
        self.phase = phase
    }
}
