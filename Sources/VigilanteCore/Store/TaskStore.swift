import Foundation
import GRDB

/// One task's records in the store: JSON documents by collection and key. Each call is one transaction;
/// ``write(_:)`` groups several changes into one.
public struct TaskStore: Sendable {
    /// The task whose records these are.
    public let task: String
    let writer: any DatabaseWriter

    /// The record `key` of `collection`, if any.
    public func record<T: Decodable>(_ type: T.Type, collection: String, key: String) throws -> T? {
        let text = try writer.read { db in
            try String.fetchOne(
                db, sql: "SELECT value FROM task_records WHERE task = ? AND collection = ? AND key = ?",
                arguments: [task, collection, key])
        }
        return try text.map { try Self.decode(type, $0) }
    }

    /// Every record of `collection` by key.
    public func records<T: Decodable>(_ type: T.Type, collection: String) throws -> [String: T] {
        let rows = try writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT key, value FROM task_records WHERE task = ? AND collection = ?",
                arguments: [task, collection])
        }
        var result: [String: T] = [:]
        for row in rows {
            let key: String = row["key"]
            let value: String = row["value"]
            result[key] = try Self.decode(type, value)
        }
        return result
    }

    /// Saves (inserts or replaces) one record.
    public func save<T: Encodable>(_ value: T, collection: String, key: String) throws {
        try write { transaction in try transaction.save(value, collection: collection, key: key) }
    }

    /// Removes one record; removing a missing record is not an error.
    public func remove(collection: String, key: String) throws {
        try write { transaction in try transaction.remove(collection: collection, key: key) }
    }

    /// Runs `body` in one transaction: all of its changes are stored, or none.
    public func write(_ body: (TaskStoreTransaction) throws -> Void) throws {
        try writer.write { db in try body(TaskStoreTransaction(task: task, db: db)) }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        let decoder = JSONDecoder()
        // A Date is its timeIntervalSinceReferenceDate: stored as is, it reads back exactly equal.
        decoder.dateDecodingStrategy = .deferredToDate
        return try decoder.decode(type, from: Data(text.utf8))
    }
}

/// The changes of one ``TaskStore/write(_:)`` transaction.
public struct TaskStoreTransaction {
    let task: String
    let db: Database

    /// Saves (inserts or replaces) one record.
    public func save<T: Encodable>(_ value: T, collection: String, key: String) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .deferredToDate
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(value), as: UTF8.self)
        try db.execute(
            sql: """
                INSERT INTO task_records (task, collection, key, value, updated_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (task, collection, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                """,
            arguments: [task, collection, key, text, Date().timeIntervalSince1970])
    }

    /// Removes one record.
    public func remove(collection: String, key: String) throws {
        try db.execute(
            sql: "DELETE FROM task_records WHERE task = ? AND collection = ? AND key = ?",
            arguments: [task, collection, key])
    }
}
