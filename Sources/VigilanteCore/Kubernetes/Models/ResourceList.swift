/// A page of objects of one kind, as returned by a LIST.
public struct ResourceList<R: KubernetesResource>: Codable, Sendable {
    /// The list metadata (resourceVersion, continue token).
    public var metadata: ListMeta
    /// The objects; items in a list carry no `apiVersion`/`kind`.
    public var items: [R]

    /// Creates a list.
    public init(metadata: ListMeta = ListMeta(), items: [R]) {
        self.metadata = metadata
        self.items = items
    }

    private enum CodingKeys: String, CodingKey {
        case metadata
        case items
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try container.decodeIfPresent(ListMeta.self, forKey: .metadata) ?? ListMeta()
        // The server sends `"items": null` for some empty lists.
        items = try container.decodeIfPresent([R].self, forKey: .items) ?? []
    }
}
