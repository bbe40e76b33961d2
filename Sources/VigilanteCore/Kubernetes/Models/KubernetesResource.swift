/// A Kubernetes object type the client can address: where it lives in the API and how it is named.
///
/// Models decode only the fields the operator uses; unknown fields are ignored, and writes are
/// creates or merge patches, so fields the model does not know are never lost on the server.
public protocol KubernetesResource: Codable, Sendable, Equatable {
    /// The API group, empty for the core group (`v1`).
    static var group: String { get }
    /// The API version inside the group, for example `v1`.
    static var version: String { get }
    /// The kind, for example `Node`.
    static var kind: String { get }
    /// The plural resource name used in URLs, for example `nodes`.
    static var plural: String { get }
    /// Whether objects live in a namespace.
    static var namespaced: Bool { get }

    /// The object's metadata.
    var metadata: ObjectMeta { get set }
}

extension KubernetesResource {
    /// The `apiVersion` field of this kind, `v1` or `group/version`.
    public static var apiVersion: String {
        group.isEmpty ? version : "\(group)/\(version)"
    }

    /// The resource name used in metrics and messages: `nodes`, `leases.coordination.k8s.io`.
    public static var qualifiedResource: String {
        group.isEmpty ? plural : "\(plural).\(group)"
    }

    /// The object's name, or an empty string when the server has not assigned one yet.
    public var name: String { metadata.name ?? "" }

    /// The object's namespace, nil for cluster-scoped objects.
    public var namespace: String? { metadata.namespace }
}

/// Encodes a resource with its `apiVersion` and `kind`, as the API server expects on writes.
struct TypedObjectBody<R: KubernetesResource>: Encodable {
    let object: R

    private enum TypeKeys: String, CodingKey {
        case apiVersion
        case kind
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: TypeKeys.self)
        try container.encode(R.apiVersion, forKey: .apiVersion)
        try container.encode(R.kind, forKey: .kind)
        try object.encode(to: encoder)
    }
}
