import Foundation

/// The subset of `metadata` the operator reads and writes.
public struct ObjectMeta: Codable, Sendable, Hashable {
    /// The object's name; nil on a create that uses ``generateName``.
    public var name: String?
    /// A prefix from which the server generates a unique name on create.
    public var generateName: String?
    /// The namespace, nil for cluster-scoped objects.
    public var namespace: String?
    /// The server-assigned unique id; a re-created object with the same name gets a new one.
    public var uid: String?
    /// The opaque version used for optimistic concurrency and for watches.
    public var resourceVersion: String?
    /// When the object was created.
    public var creationTimestamp: Date?
    /// Set when deletion was requested; the object is terminating.
    public var deletionTimestamp: Date?
    /// Labels.
    public var labels: [String: String]?
    /// Annotations.
    public var annotations: [String: String]?
    /// Owners, for garbage collection.
    public var ownerReferences: [OwnerReference]?
    /// Finalizers (kept so that a Lease update does not drop them).
    public var finalizers: [String]?

    /// Creates metadata; every field is optional.
    public init(
        name: String? = nil,
        generateName: String? = nil,
        namespace: String? = nil,
        uid: String? = nil,
        resourceVersion: String? = nil,
        creationTimestamp: Date? = nil,
        deletionTimestamp: Date? = nil,
        labels: [String: String]? = nil,
        annotations: [String: String]? = nil,
        ownerReferences: [OwnerReference]? = nil,
        finalizers: [String]? = nil
    ) {
        self.name = name
        self.generateName = generateName
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.creationTimestamp = creationTimestamp
        self.deletionTimestamp = deletionTimestamp
        self.labels = labels
        self.annotations = annotations
        self.ownerReferences = ownerReferences
        self.finalizers = finalizers
    }
}
