/// A reference from an object to its owner; the garbage collector deletes dependents of a deleted owner.
public struct OwnerReference: Codable, Sendable, Hashable {
    /// The owner's `apiVersion`, for example `v1`.
    public var apiVersion: String
    /// The owner's kind, for example `Node`.
    public var kind: String
    /// The owner's name.
    public var name: String
    /// The owner's uid.
    public var uid: String
    /// Whether the owner is the managing controller.
    public var controller: Bool?
    /// Whether foreground deletion of the owner waits for this dependent.
    public var blockOwnerDeletion: Bool?

    /// Creates a reference.
    public init(
        apiVersion: String,
        kind: String,
        name: String,
        uid: String,
        controller: Bool? = nil,
        blockOwnerDeletion: Bool? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }

    /// A reference to the given object, which must carry a name and a uid.
    public init<Owner: KubernetesResource>(to owner: Owner, controller: Bool? = nil) {
        self.init(
            apiVersion: Owner.apiVersion,
            kind: Owner.kind,
            name: owner.metadata.name ?? "",
            uid: owner.metadata.uid ?? "",
            controller: controller
        )
    }
}
