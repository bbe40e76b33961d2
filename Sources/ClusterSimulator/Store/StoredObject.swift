import NIOCore

/// One revision of an object as stored: immutable, with its encoding cached so that lists and
/// watch fan-out never re-encode it.
final class StoredObject: Sendable {
    /// `name` or `namespace/name`: the order of lists.
    let key: String
    /// The object in the storage version, `metadata.resourceVersion` set.
    let object: JSONValue
    let revision: Int
    let namespace: String?
    let name: String
    let uid: String
    let labels: [String: String]
    /// uids in `metadata.ownerReferences`.
    let ownerUIDs: [String]
    /// JSON of the object without `kind` and `apiVersion` (a list item), in the storage version.
    let itemEncoding: [UInt8]

    init(key: String, object: JSONValue, revision: Int) {
        self.key = key
        self.object = object
        self.revision = revision
        let metadata = object["metadata"]
        self.namespace = metadata["namespace"]?.stringValue
        self.name = metadata["name"]?.stringValue ?? ""
        self.uid = metadata["uid"]?.stringValue ?? ""
        self.labels = (metadata["labels"] ?? .null).stringMap
        self.ownerUIDs = (metadata["ownerReferences"]?.arrayValue ?? []).compactMap { $0["uid"]?.stringValue }
        var item = object.objectValue ?? JSONObject()
        item["kind"] = nil
        item["apiVersion"] = nil
        self.itemEncoding = JSONWriter.encode(.object(item))
    }

    /// The same object at another resourceVersion (a DELETED event carries the deletion's revision).
    func at(revision newRevision: Int) -> StoredObject {
        var copy = object
        copy["metadata"]?["resourceVersion"] = .string(String(newRevision))
        return StoredObject(key: key, object: copy, revision: newRevision)
    }

    /// Item JSON (no kind/apiVersion) in the version of `definition`.
    func item(for definition: ResourceDefinition) -> [UInt8] {
        guard definition.fromStorage != nil else { return itemEncoding }
        var external = definition.external(object).objectValue ?? JSONObject()
        external["kind"] = nil
        external["apiVersion"] = nil
        return JSONWriter.encode(.object(external))
    }

    /// Full JSON (kind and apiVersion first) in the version of `definition`, appended to `output`.
    func writeFull(for definition: ResourceDefinition, into output: inout [UInt8]) {
        if definition.fromStorage != nil {
            JSONWriter.write(definition.external(object), into: &output)
            return
        }
        output.append(
            contentsOf: Array("{\"kind\":\"\(definition.kind)\",\"apiVersion\":\"\(definition.apiVersion)\"".utf8))
        if itemEncoding.count > 2 {
            output.append(UInt8(ascii: ","))
            output.append(contentsOf: itemEncoding[1...])
        } else {
            output.append(UInt8(ascii: "}"))
        }
    }

    func fullEncoding(for definition: ResourceDefinition) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(itemEncoding.count + 64)
        writeFull(for: definition, into: &output)
        return output
    }

    /// The object in the version of `definition` as a JSON value.
    func external(for definition: ResourceDefinition) -> JSONValue {
        definition.external(object)
    }
}

/// One change in the store's history, delivered to watchers.
final class WatchEventRecord: @unchecked Sendable {
    enum Kind: String, Sendable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
    }

    let kind: Kind
    let revision: Int
    let storageKey: String
    /// The new state; for a deletion the last state at the deletion's revision.
    let object: StoredObject
    /// The state before a modification or deletion.
    let previous: StoredObject?
    /// Encoded `{"type":...,"object":...}\n` lines per (type, version); only touched under the store lock.
    private var encoded: [String: ByteBuffer] = [:]
    private var previousAtRevision: StoredObject?

    init(kind: Kind, revision: Int, storageKey: String, object: StoredObject, previous: StoredObject?) {
        self.kind = kind
        self.revision = revision
        self.storageKey = storageKey
        self.object = object
        self.previous = previous
    }

    /// The watch line of this event for a watcher that sees it as `type`.
    func line(type: Kind, definition: ResourceDefinition) -> ByteBuffer {
        let cacheKey = "\(type.rawValue)|\(definition.apiVersion)"
        if let buffer = encoded[cacheKey] { return buffer }
        let source: StoredObject
        if type == .deleted, kind == .modified, let previous {
            // An object that stops matching leaves as DELETED with its previous state at the new revision.
            if previousAtRevision == nil { previousAtRevision = previous.at(revision: revision) }
            source = previousAtRevision!
        } else {
            source = object
        }
        let buffer = WatchEventRecord.line(type: type.rawValue, object: source, definition: definition)
        encoded[cacheKey] = buffer
        return buffer
    }

    static func line(type: String, object: StoredObject, definition: ResourceDefinition) -> ByteBuffer {
        var bytes: [UInt8] = Array("{\"type\":\"\(type)\",\"object\":".utf8)
        bytes.reserveCapacity(object.itemEncoding.count + 96)
        object.writeFull(for: definition, into: &bytes)
        bytes.append(contentsOf: [UInt8(ascii: "}"), 0x0A])
        return ByteBuffer(bytes: bytes)
    }
}
