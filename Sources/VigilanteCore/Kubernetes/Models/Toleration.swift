/// A pod toleration. An empty key with operator `Exists` tolerates every taint.
public struct Toleration: Codable, Sendable, Hashable {
    /// The taint key to match; nil or empty matches all keys (with `Exists`).
    public var key: String?
    /// `Exists` or `Equal` (the server's default).
    public var `operator`: String?
    /// The value to match with `Equal`.
    public var value: String?
    /// The effect to match; nil matches all effects.
    public var effect: String?
    /// How long a `NoExecute` taint is tolerated.
    public var tolerationSeconds: Int64?

    /// Creates a toleration.
    public init(
        key: String? = nil,
        operator: String? = nil,
        value: String? = nil,
        effect: String? = nil,
        tolerationSeconds: Int64? = nil
    ) {
        self.key = key
        self.operator = `operator`
        self.value = value
        self.effect = effect
        self.tolerationSeconds = tolerationSeconds
    }

    /// Tolerates every taint.
    public static let everything = Toleration(operator: "Exists")
}
