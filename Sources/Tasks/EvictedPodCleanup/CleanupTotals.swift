import Foundation
import VigilanteCore

// snippet:store
/// What the task keeps in its store table across restarts: the total it deleted and its last error.
struct CleanupTotals: Codable, Sendable, Equatable {
    /// Pods deleted since the store was created.
    var deletedTotal = 0
    /// The last failed deletion, and when it happened.
    var lastError: String?
    var lastErrorAt: Date?

    static let collection = "totals"
    static let key = "evictedPods"

    /// The saved totals, or zeros on a new store.
    static func load(from store: TaskStore) throws -> CleanupTotals {
        try store.record(CleanupTotals.self, collection: collection, key: key) ?? CleanupTotals()
    }

    /// Saves the totals in one transaction.
    func save(to store: TaskStore) throws {
        try store.save(self, collection: Self.collection, key: Self.key)
    }
}
// end-snippet
