import Foundation
import Testing

@testable import VigilanteCore

@Suite struct VigilanteStoreTests {
    struct Record: Codable, Equatable {
        var windowStart: Date
        var podsCreated: Int
    }

    func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func migratesANewFileAndKeepsRecordsAcrossReopen() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/vigilante.sqlite"
        let record = Record(windowStart: Date(timeIntervalSince1970: 1_800_000_000), podsCreated: 3)
        do {
            let store = try VigilanteStore(path: path)
            #expect(try store.appliedMigrations() == ["v1-task-records"])
            try store.namespace("snat").save(record, collection: "nodes", key: "win1/uid-1")
            try store.namespace("other").save(
                Record(windowStart: .now, podsCreated: 9), collection: "nodes", key: "win1/uid-1")
            try store.close()
        }
        let reopened = try VigilanteStore(path: path)
        #expect(try reopened.namespace("snat").record(Record.self, collection: "nodes", key: "win1/uid-1") == record)
        #expect(try reopened.namespace("snat").records(Record.self, collection: "nodes").count == 1)
        try reopened.namespace("snat").remove(collection: "nodes", key: "win1/uid-1")
        #expect(try reopened.namespace("snat").record(Record.self, collection: "nodes", key: "win1/uid-1") == nil)
        // Task namespaces are separate.
        #expect(
            try reopened.namespace("other").record(Record.self, collection: "nodes", key: "win1/uid-1")?.podsCreated
                == 9)
    }

    @Test func aTransactionStoresAllOrNothing() throws {
        let store = try VigilanteStore(inMemory: ())
        let tasks = store.namespace("t")
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try tasks.write { transaction in
                try transaction.save(Record(windowStart: .now, podsCreated: 1), collection: "c", key: "a")
                throw Abort()
            }
        }
        #expect(try tasks.records(Record.self, collection: "c").isEmpty)
    }

    @Test func clearErrorsForFilesThatCannotBeUsed() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let notADatabase = directory + "/garbage.sqlite"
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: notADatabase))
        #expect {
            try VigilanteStore(path: notADatabase)
        } throws: { error in
            "\(error)"
                == "store \(notADatabase): the file is not a SQLite database (is the path right? move the file away to start afresh)"
        }
        #expect {
            try VigilanteStore(path: directory + "/missing/folder/v.sqlite")
        } throws: { error in
            "\(error)"
                == "store \(directory)/missing/folder/v.sqlite: its folder \(directory)/missing/folder does not exist"
        }
    }

    /// A writer killed with SIGKILL in the middle of committing leaves a database that opens, passes an
    /// integrity check and holds only whole records.
    @Test func reopensCleanlyAfterAWriterIsKilled() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/vigilante.sqlite"
        try VigilanteStore(path: path).close()
        // A separate process writes transactions of two records (WAL mode, as the store does) until killed.
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        writer.arguments = [
            "python3", "-c",
            """
            import sqlite3, sys, json, time
            db = sqlite3.connect(sys.argv[1], isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            i = 0
            while True:
                db.execute("BEGIN IMMEDIATE")
                for part in ("a", "b"):
                    value = json.dumps({"windowStart": 1800000000, "podsCreated": i})
                    db.execute("INSERT INTO task_records VALUES ('snat','nodes',?,?,?) ON CONFLICT (task, collection, key) DO UPDATE SET value = excluded.value", (f"n{i % 50}{part}", value, time.time()))
                db.execute("COMMIT")
                i += 1
                if i == 200:
                    open(sys.argv[1] + ".started", "w").close()
            """,
            path,
        ]
        try writer.run()
        try await waitUntil("the writer committed 200 transactions") {
            FileManager.default.fileExists(atPath: path + ".started")
        }
        kill(writer.processIdentifier, SIGKILL)
        writer.waitUntilExit()
        #expect(writer.terminationReason == .uncaughtSignal)

        let store = try VigilanteStore(path: path)
        #expect(store.isHealthy())
        let records = try store.namespace("snat").records(Record.self, collection: "nodes")
        #expect(records.count == 100)
        // Both records of a transaction carry the same counter: no transaction is half applied.
        for index in 0..<50 {
            #expect(records["n\(index)a"] == records["n\(index)b"], "half-applied transaction at n\(index)")
        }
    }
}
