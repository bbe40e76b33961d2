import Foundation
import GRDB

/// The operator's SQLite database: one file on a persistent volume, in WAL mode, with versioned
/// migrations. Each task gets its own namespace of records (``TaskStore``); every write is one
/// transaction, so a kill -9 leaves either the old or the new record, never half of one.
public final class VigilanteStore: Sendable {
    /// The database file, or `:memory:`.
    public let path: String
    private let writer: any DatabaseWriter

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    public init(path: String) throws(StoreError) {
        self.path = path
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(5)
        configuration.label = "vigilante-store"
        let folder = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        if !folder.isEmpty, !FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) {
            throw StoreError(path: path, message: "its folder \(folder) does not exist")
        }
        do {
            writer = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(writer)
        } catch let error as DatabaseError {
            throw StoreError(path: path, message: Self.describe(error))
        } catch {
            throw StoreError(path: path, message: "\(error)")
        }
    }

    /// An in-memory store, for tests and the demo.
    public init(inMemory: Void = ()) throws(StoreError) {
        path = ":memory:"
        do {
            writer = try DatabaseQueue()
            try Self.migrator.migrate(writer)
        } catch {
            throw StoreError(path: path, message: "\(error)")
        }
    }

    /// The records of one task.
    public func namespace(_ task: String) -> TaskStore { TaskStore(task: task, writer: writer) }

    /// Whether the database answers a trivial query (for readiness).
    public func isHealthy() -> Bool {
        (try? writer.read { db in try Int.fetchOne(db, sql: "SELECT 1") }) == 1
    }

    /// The applied schema migrations, oldest first.
    public func appliedMigrations() throws -> [String] {
        try writer.read { db in try Self.migrator.appliedMigrations(db) }
    }

    /// Closes the database; later calls fail.
    public func close() throws {
        if let pool = writer as? DatabasePool { try pool.close() }
        if let queue = writer as? DatabaseQueue { try queue.close() }
    }

    /// The schema, one migration per version. Never edit a shipped migration; add a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-task-records") { db in
            try db.execute(
                sql: """
                    CREATE TABLE task_records (
                        task TEXT NOT NULL,
                        collection TEXT NOT NULL,
                        key TEXT NOT NULL,
                        value TEXT NOT NULL,
                        updated_at DOUBLE NOT NULL,
                        PRIMARY KEY (task, collection, key)
                    ) WITHOUT ROWID
                    """)
        }
        return migrator
    }

    private static func describe(_ error: DatabaseError) -> String {
        switch error.resultCode {
        case .SQLITE_NOTADB: "the file is not a SQLite database (is the path right? move the file away to start afresh)"
        case .SQLITE_CANTOPEN: "cannot open the file (does its folder exist, and is it writable by this user?)"
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_AUTH: "the file or its folder is not writable by this user"
        case .SQLITE_CORRUPT: "the database file is corrupt (move it away to start afresh; only progress is lost)"
        case .SQLITE_FULL: "the disk is full"
        default: error.message ?? "\(error)"
        }
    }
}

/// A store problem, naming the database file.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    /// The database file.
    public var path: String
    /// What is wrong.
    public var message: String

    public var description: String { "store \(path): \(message)" }
}
