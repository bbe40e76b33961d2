import VigilanteCore

/// The healing records in the task's store namespace. Dry-run keeps its own collection, so that what a
/// dry run pretended to do never shortens a real window.
struct HealingLedger: Sendable {
    /// A store failure; unlike a cluster failure it fails the whole pass.
    struct StoreFailure: Error, CustomStringConvertible {
        let underlying: any Error
        var description: String { "store: \(underlying)" }
    }

    let store: TaskStore
    let collection: String

    /// The ledger of a real run, or of a dry run.
    init(store: TaskStore, dryRun: Bool) {
        self.store = store
        collection = dryRun ? "dry-run-nodes" : "nodes"
    }

    /// Every record, by key.
    func all() throws(StoreFailure) -> [String: NodeHealingRecord] {
        do {
            return try store.records(NodeHealingRecord.self, collection: collection)
        } catch {
            throw StoreFailure(underlying: error)
        }
    }

    /// Saves a record.
    func save(_ record: NodeHealingRecord) throws(StoreFailure) {
        do {
            try store.save(record, collection: collection, key: record.key)
        } catch {
            throw StoreFailure(underlying: error)
        }
    }

    /// Forgets a record.
    func remove(_ key: String) throws(StoreFailure) {
        do {
            try store.remove(collection: collection, key: key)
        } catch {
            throw StoreFailure(underlying: error)
        }
    }
}
