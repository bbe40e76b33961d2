/// A coordination.k8s.io/v1 Lease, used for leader election.
///
/// Leader election updates the whole Lease with its resourceVersion (optimistic concurrency), so the
/// model carries every field of `spec` that Kubernetes 1.28 defines.
public struct Lease: KubernetesResource, Hashable {
    /// The API group.
    public static let group = "coordination.k8s.io"
    /// The API version.
    public static let version = "v1"
    /// The kind.
    public static let kind = "Lease"
    /// The plural resource name.
    public static let plural = "leases"
    /// Whether the kind is namespaced.
    public static let namespaced = true

    /// The object's metadata.
    public var metadata: ObjectMeta
    /// The lease's spec.
    public var spec: LeaseSpec?

    /// Creates a lease.
    public init(metadata: ObjectMeta, spec: LeaseSpec? = nil) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// The `spec` of a ``Lease``.
public struct LeaseSpec: Codable, Sendable, Hashable {
    /// The current holder's identity.
    public var holderIdentity: String?
    /// How long the lease is valid after ``renewTime``.
    public var leaseDurationSeconds: Int?
    /// When the current holder acquired it.
    public var acquireTime: MicroTime?
    /// When the holder last renewed it.
    public var renewTime: MicroTime?
    /// How many times the holder changed.
    public var leaseTransitions: Int?

    /// Creates a spec.
    public init(
        holderIdentity: String? = nil,
        leaseDurationSeconds: Int? = nil,
        acquireTime: MicroTime? = nil,
        renewTime: MicroTime? = nil,
        leaseTransitions: Int? = nil
    ) {
        self.holderIdentity = holderIdentity
        self.leaseDurationSeconds = leaseDurationSeconds
        self.acquireTime = acquireTime
        self.renewTime = renewTime
        self.leaseTransitions = leaseTransitions
    }
}
