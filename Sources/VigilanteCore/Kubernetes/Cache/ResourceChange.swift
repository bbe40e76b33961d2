/// A signal that an object in a ``ResourceCache`` changed; read the cache for the current state.
public struct ResourceChange: Sendable, Hashable {
    /// What happened.
    public enum Kind: String, Sendable, Hashable {
        /// The object appeared.
        case added
        /// The object changed.
        case modified
        /// The object disappeared.
        case deleted
    }

    /// What happened.
    public var kind: Kind
    /// The object's name.
    public var name: String
    /// The object's namespace, nil for cluster-scoped kinds.
    public var namespace: String?

    /// Creates a change signal.
    public init(kind: Kind, name: String, namespace: String?) {
        self.kind = kind
        self.name = name
        self.namespace = namespace
    }
}
