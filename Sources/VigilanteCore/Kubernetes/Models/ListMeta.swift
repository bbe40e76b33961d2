/// The `metadata` of a list: its resourceVersion and, when paging, the continue token.
public struct ListMeta: Codable, Sendable, Hashable {
    /// The version the list is consistent at; a watch started from it misses nothing.
    public var resourceVersion: String?
    /// The token for the next page, absent or empty on the last page.
    public var `continue`: String?
    /// How many items the remaining pages hold, when the server knows.
    public var remainingItemCount: Int?

    /// Creates list metadata.
    public init(resourceVersion: String? = nil, continue: String? = nil, remainingItemCount: Int? = nil) {
        self.resourceVersion = resourceVersion
        self.continue = `continue`
        self.remainingItemCount = remainingItemCount
    }
}
