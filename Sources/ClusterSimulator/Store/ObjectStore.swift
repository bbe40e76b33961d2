import Foundation
import NIOCore

/// What a watch stream receives.
enum WatchChunk: Sendable {
    /// One encoded event line.
    case line(ByteBuffer)
    /// The stream is cut abruptly (fault injection): the connection closes without the final chunk.
    case cut
}

/// A registered watch: its filter and the stream it feeds.
final class Watcher: @unchecked Sendable {
    let id: Int
    let definition: ResourceDefinition
    let namespace: String?
    let labelSelector: LabelSelector
    let fieldSelector: FieldSelector
    let allowBookmarks: Bool
    let continuation: AsyncStream<WatchChunk>.Continuation
    /// The last revision the client has seen (event or bookmark); guarded by the store lock.
    var lastRevision: Int

    init(
        id: Int, definition: ResourceDefinition, namespace: String?, labelSelector: LabelSelector,
        fieldSelector: FieldSelector, allowBookmarks: Bool, continuation: AsyncStream<WatchChunk>.Continuation,
        lastRevision: Int
    ) {
        self.id = id
        self.definition = definition
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.allowBookmarks = allowBookmarks
        self.continuation = continuation
        self.lastRevision = lastRevision
    }

    func matches(_ stored: StoredObject) -> Bool {
        if let namespace, stored.namespace != namespace { return false }
        if !labelSelector.isEmpty, !labelSelector.matches(stored.labels) { return false }
        if !fieldSelector.isEmpty {
            let object = stored.object
            return fieldSelector.matches { definition.fieldValue($0, of: object) }
        }
        return true
    }

    /// Sends a line; a watcher that cannot keep up is closed, as the real server does.
    func send(_ buffer: ByteBuffer) -> Bool {
        switch continuation.yield(.line(buffer)) {
        case .enqueued: return true
        case .dropped, .terminated:
            continuation.finish()
            return false
        @unknown default: return false
        }
    }
}

/// All objects of one storage key (one resource), its watch history and watchers.
final class ResourceTable {
    var objects: [String: StoredObject] = [:]
    var sortedKeys: [String] = []
    var history: [WatchEventRecord] = []
    var historyStart = 0
    /// Watches from a revision older than this get 410 Expired.
    var compactedRevision = 0
    /// Revision of the last change of this resource.
    var lastRevision = 0
    var watchers: [Int: Watcher] = [:]
    /// Objects by the value of `indexedField` (pods by spec.nodeName).
    var fieldIndex: [String: Set<String>] = [:]
    /// Keys of objects by the uid of each owner in their ownerReferences (garbage collection).
    var ownerIndex: [String: Set<String>] = [:]
    let indexedField: String?

    init(indexedField: String?) {
        self.indexedField = indexedField
    }

    func insertKey(_ key: String) {
        var low = 0
        var high = sortedKeys.count
        while low < high {
            let mid = (low + high) / 2
            if sortedKeys[mid] < key { low = mid + 1 } else { high = mid }
        }
        if low < sortedKeys.count, sortedKeys[low] == key { return }
        sortedKeys.insert(key, at: low)
    }

    func removeKey(_ key: String) {
        let index = firstIndex(atOrAfter: key)
        if index < sortedKeys.count, sortedKeys[index] == key { sortedKeys.remove(at: index) }
    }

    func firstIndex(atOrAfter key: String) -> Int {
        var low = 0
        var high = sortedKeys.count
        while low < high {
            let mid = (low + high) / 2
            if sortedKeys[mid] < key { low = mid + 1 } else { high = mid }
        }
        return low
    }

    func appendHistory(_ record: WatchEventRecord, limit: Int) {
        history.append(record)
        while history.count - historyStart > max(limit, 1) {
            compactedRevision = history[historyStart].revision
            historyStart += 1
        }
        if historyStart > 4096 && historyStart * 2 > history.count {
            history.removeFirst(historyStart)
            historyStart = 0
        }
    }

    var retainedHistory: ArraySlice<WatchEventRecord> { history[historyStart...] }
}

/// The simulated etcd plus watch cache: every object of every resource, one global revision
/// counter, per-resource history for watch resumption, and watch fan-out.
///
/// One lock guards everything; work under it is bounded by what a request needs (objects are
/// encoded once, when written).
final class ObjectStore: @unchecked Sendable {
    let registry: ResourceRegistry
    private let lock = NSLock()
    private var revision: Int = 0
    private var tables: [String: ResourceTable] = [:]
    private var nextWatcherID = 0
    private var historyLimit: Int
    private var observers: [@Sendable ([WatchEventRecord]) -> Void] = []

    init(registry: ResourceRegistry, historyLimit: Int) {
        self.registry = registry
        self.historyLimit = historyLimit
    }

    /// Adds a controller that sees every committed change after the lock is released.
    func addObserver(_ observer: @escaping @Sendable ([WatchEventRecord]) -> Void) {
        lock.lock()
        observers.append(observer)
        lock.unlock()
    }

    /// Runs `body` atomically; changes are fanned out to watchers as they are made and to
    /// observers afterwards.
    func transaction<T>(_ body: (Transaction) throws -> T) rethrows -> T {
        lock.lock()
        let transaction = Transaction(store: self)
        let result: T
        do {
            result = try body(transaction)
        } catch {
            let records = transaction.records
            let observers = self.observers
            lock.unlock()
            if !records.isEmpty { observers.forEach { $0(records) } }
            throw error
        }
        let records = transaction.records
        let observers = self.observers
        lock.unlock()
        if !records.isEmpty { observers.forEach { $0(records) } }
        return result
    }

    fileprivate func table(_ storageKey: String) -> ResourceTable {
        if let table = tables[storageKey] { return table }
        let table = ResourceTable(indexedField: storageKey == "pods" ? "spec.nodeName" : nil)
        tables[storageKey] = table
        return table
    }

    /// Operations available inside ``ObjectStore/transaction(_:)``.
    final class Transaction {
        fileprivate let store: ObjectStore
        fileprivate var records: [WatchEventRecord] = []

        fileprivate init(store: ObjectStore) {
            self.store = store
        }

        var currentRevision: Int { store.revision }

        func lastRevision(of storageKey: String) -> Int {
            store.table(storageKey).lastRevision
        }

        func compactedRevision(of storageKey: String) -> Int {
            store.table(storageKey).compactedRevision
        }

        func get(_ storageKey: String, key: String) -> StoredObject? {
            store.table(storageKey).objects[key]
        }

        func count(_ storageKey: String) -> Int {
            store.table(storageKey).objects.count
        }

        /// Objects in key order, optionally only one namespace, starting after `continueAfter`.
        /// `indexed` narrows by the table's field index (a `spec.nodeName=x` selector).
        func list(
            _ storageKey: String, namespace: String?, startingAt start: String? = nil, indexed: (String, String)? = nil
        ) -> [StoredObject] {
            let table = store.table(storageKey)
            if let (field, value) = indexed, table.indexedField == field {
                let keys = (table.fieldIndex[value] ?? []).sorted()
                return keys.compactMap { key in
                    guard let object = table.objects[key] else { return nil }
                    if let namespace, object.namespace != namespace { return nil }
                    if let start, key < start { return nil }
                    return object
                }
            }
            var index: Int
            let prefix = namespace.map { "\($0)/" }
            if let start {
                index = table.firstIndex(atOrAfter: start)
            } else if let prefix {
                index = table.firstIndex(atOrAfter: prefix)
            } else {
                index = 0
            }
            var result: [StoredObject] = []
            while index < table.sortedKeys.count {
                let key = table.sortedKeys[index]
                if let prefix, !key.hasPrefix(prefix) { break }
                if let object = table.objects[key] { result.append(object) }
                index += 1
            }
            return result
        }

        /// Objects whose ownerReferences name `uid`.
        func dependents(of uid: String, storageKey: String) -> [StoredObject] {
            let table = store.table(storageKey)
            return (table.ownerIndex[uid] ?? []).sorted().compactMap { table.objects[$0] }
        }

        /// Stores a new state of an object (created or replaced): assigns the next revision.
        @discardableResult
        func put(_ definition: ResourceDefinition, key: String, object: JSONObject) -> StoredObject {
            let table = store.table(definition.storageKey)
            store.revision += 1
            let revision = store.revision
            var object = object
            if case .object(var metadata) = object["metadata"] {
                metadata["resourceVersion"] = .string(String(revision))
                object["metadata"] = .object(metadata)
            }
            let stored = StoredObject(key: key, object: .object(object), revision: revision)
            let previous = table.objects[key]
            table.objects[key] = stored
            if previous == nil { table.insertKey(key) }
            if let field = table.indexedField {
                let oldValue = previous.flatMap { definition.fieldValue(field, of: $0.object) }
                let newValue = definition.fieldValue(field, of: stored.object) ?? ""
                if oldValue != newValue {
                    if let oldValue { table.fieldIndex[oldValue]?.remove(key) }
                    table.fieldIndex[newValue, default: []].insert(key)
                }
            }
            if previous?.ownerUIDs != stored.ownerUIDs {
                for uid in previous?.ownerUIDs ?? [] { table.ownerIndex[uid]?.remove(key) }
                for uid in stored.ownerUIDs { table.ownerIndex[uid, default: []].insert(key) }
            }
            let record = WatchEventRecord(
                kind: previous == nil ? .added : .modified, revision: revision, storageKey: definition.storageKey,
                object: stored, previous: previous)
            commit(record, table: table)
            return stored
        }

        /// Removes an object: the DELETED event carries its last state at the new revision.
        @discardableResult
        func remove(_ definition: ResourceDefinition, key: String) -> StoredObject? {
            let table = store.table(definition.storageKey)
            guard let previous = table.objects.removeValue(forKey: key) else { return nil }
            table.removeKey(key)
            if let field = table.indexedField, let value = definition.fieldValue(field, of: previous.object) {
                table.fieldIndex[value]?.remove(key)
            }
            for uid in previous.ownerUIDs { table.ownerIndex[uid]?.remove(key) }
            store.revision += 1
            let final = previous.at(revision: store.revision)
            let record = WatchEventRecord(
                kind: .deleted, revision: store.revision, storageKey: definition.storageKey, object: final,
                previous: previous)
            commit(record, table: table)
            return final
        }

        private func commit(_ record: WatchEventRecord, table: ResourceTable) {
            table.lastRevision = record.revision
            table.appendHistory(record, limit: store.historyLimit)
            records.append(record)
            var closed: [Int] = []
            for watcher in table.watchers.values where !deliver(record, to: watcher) {
                closed.append(watcher.id)
            }
            for id in closed { table.watchers[id] = nil }
        }

        /// Sends a record to a watcher as the type its selector sees; false if the watcher is gone.
        fileprivate func deliver(_ record: WatchEventRecord, to watcher: Watcher) -> Bool {
            let type: WatchEventRecord.Kind?
            switch record.kind {
            case .added:
                type = watcher.matches(record.object) ? .added : nil
            case .deleted:
                type = watcher.matches(record.previous ?? record.object) ? .deleted : nil
            case .modified:
                let now = watcher.matches(record.object)
                let before = record.previous.map(watcher.matches) ?? false
                switch (before, now) {
                case (true, true): type = .modified
                case (false, true): type = .added
                case (true, false): type = .deleted
                case (false, false): type = nil
                }
            }
            guard let type else { return true }
            watcher.lastRevision = record.revision
            return watcher.send(record.line(type: type, definition: watcher.definition))
        }

        /// The result of starting a watch.
        enum WatchStart {
            case started(id: Int, stream: AsyncStream<WatchChunk>)
            case expired(requested: Int, oldest: Int)
        }

        /// Registers a watch. `from` nil: synthetic ADDED events for the current state first
        /// ("0" or no resourceVersion); otherwise the retained history after `from` is replayed.
        func watch(
            _ definition: ResourceDefinition, namespace: String?, labelSelector: LabelSelector,
            fieldSelector: FieldSelector, from: Int?, allowBookmarks: Bool
        ) -> WatchStart {
            let table = store.table(definition.storageKey)
            if let from, from < table.compactedRevision {
                return .expired(requested: from, oldest: table.compactedRevision)
            }
            let (stream, continuation) = AsyncStream<WatchChunk>.makeStream(bufferingPolicy: .bufferingOldest(200_000))
            store.nextWatcherID += 1
            let watcher = Watcher(
                id: store.nextWatcherID, definition: definition, namespace: namespace, labelSelector: labelSelector,
                fieldSelector: fieldSelector, allowBookmarks: allowBookmarks, continuation: continuation,
                lastRevision: from ?? store.revision)
            if let from {
                for record in table.retainedHistory where record.revision > from {
                    guard deliver(record, to: watcher) else { break }
                }
            } else {
                for object in list(definition.storageKey, namespace: namespace) where watcher.matches(object) {
                    _ = watcher.send(WatchEventRecord.line(type: "ADDED", object: object, definition: definition))
                }
            }
            table.watchers[watcher.id] = watcher
            return .started(id: watcher.id, stream: stream)
        }
    }

    // MARK: watch management

    /// Sends a BOOKMARK if the resource moved past what the watcher has seen.
    func sendBookmarkIfProgressed(storageKey: String, watcherID: Int) {
        lock.lock()
        defer { lock.unlock() }
        let table = table(storageKey)
        guard let watcher = table.watchers[watcherID], watcher.allowBookmarks,
            table.lastRevision > watcher.lastRevision
        else { return }
        watcher.lastRevision = table.lastRevision
        var object = JSONObject()
        object["kind"] = .string(watcher.definition.kind)
        object["apiVersion"] = .string(watcher.definition.apiVersion)
        object["metadata"] = ["resourceVersion": .string(String(table.lastRevision)), "creationTimestamp": nil]
        for member in watcher.definition.bookmarkBody.members { object[member.key] = member.value }
        var bytes: [UInt8] = Array("{\"type\":\"BOOKMARK\",\"object\":".utf8)
        JSONWriter.write(.object(object), into: &bytes)
        bytes.append(contentsOf: [UInt8(ascii: "}"), 0x0A])
        if !watcher.send(ByteBuffer(bytes: bytes)) { table.watchers[watcherID] = nil }
    }

    /// Ends a watch cleanly (timeout or client gone).
    func stopWatch(storageKey: String, watcherID: Int) {
        lock.lock()
        let watcher = table(storageKey).watchers.removeValue(forKey: watcherID)
        lock.unlock()
        watcher?.continuation.finish()
    }

    /// Ends every open watch abruptly.
    func cutAllWatches() {
        lock.lock()
        var cut: [Watcher] = []
        for table in tables.values {
            cut.append(contentsOf: table.watchers.values)
            table.watchers.removeAll()
        }
        lock.unlock()
        for watcher in cut {
            watcher.continuation.yield(.cut)
            watcher.continuation.finish()
        }
    }

    /// Forgets all history: a watch from any earlier revision gets 410 Expired.
    func compactHistory() {
        lock.lock()
        for table in tables.values {
            table.history.removeAll()
            table.historyStart = 0
            table.compactedRevision = revision
        }
        lock.unlock()
    }

    var openWatchCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return tables.values.reduce(0) { $0 + $1.watchers.count }
    }

    var currentRevision: Int {
        lock.lock()
        defer { lock.unlock() }
        return revision
    }
}
