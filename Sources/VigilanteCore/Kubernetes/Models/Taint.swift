import Foundation

/// A node taint.
public struct Taint: Codable, Sendable, Hashable {
    /// The taint key.
    public var key: String
    /// The taint value.
    public var value: String?
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    public var effect: String
    /// When a `NoExecute` taint was added.
    public var timeAdded: Date?

    /// Creates a taint.
    public init(key: String, value: String? = nil, effect: String, timeAdded: Date? = nil) {
        self.key = key
        self.value = value
        self.effect = effect
        self.timeAdded = timeAdded
    }
}
