/// RFC 6902 JSON patch, as applied by the API server for `application/json-patch+json`.
enum JSONPatch {
    enum Failure: Error {
        /// The patch document is not an array of operations.
        case malformed(String)
        /// An operation could not be applied (missing path, failed test...).
        case failed(String)
    }

    static func apply(_ patch: JSONValue, to document: JSONValue) throws(Failure) -> JSONValue {
        guard case .array(let operations) = patch else {
            throw .malformed("json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp")
        }
        var result = document
        for operation in operations {
            guard case .object = operation, let op = operation["op"]?.stringValue else {
                throw .failed("missing op")
            }
            guard let path = operation["path"]?.stringValue else { throw .failed("missing path") }
            let pointer = try parsePointer(path)
            switch op {
            case "add":
                guard let value = operation["value"] else { throw .failed("missing value") }
                result = try add(value, at: pointer[...], in: result)
            case "remove":
                result = try remove(at: pointer[...], in: result)
            case "replace":
                guard let value = operation["value"] else { throw .failed("missing value") }
                _ = try get(pointer[...], in: result)
                result = try remove(at: pointer[...], in: result)
                result = try add(value, at: pointer[...], in: result)
            case "move":
                guard let from = operation["from"]?.stringValue else { throw .failed("missing from") }
                let fromPointer = try parsePointer(from)
                let value = try get(fromPointer[...], in: result)
                result = try remove(at: fromPointer[...], in: result)
                result = try add(value, at: pointer[...], in: result)
            case "copy":
                guard let from = operation["from"]?.stringValue else { throw .failed("missing from") }
                let value = try get(try parsePointer(from)[...], in: result)
                result = try add(value, at: pointer[...], in: result)
            case "test":
                let expected = operation["value"] ?? .null
                guard try get(pointer[...], in: result).semanticallyEquals(expected) else {
                    throw .failed("testing value \(path) failed")
                }
            default:
                throw .failed("unexpected kind: \(op)")
            }
        }
        return result
    }

    static func parsePointer(_ path: String) throws(Failure) -> [String] {
        if path.isEmpty { return [] }
        guard path.hasPrefix("/") else { throw .failed("invalid path \(path)") }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    private static func get(_ pointer: ArraySlice<String>, in document: JSONValue) throws(Failure) -> JSONValue {
        guard let token = pointer.first else { return document }
        switch document {
        case .object(let object):
            guard let child = object[token] else { throw .failed("missing key \(token)") }
            return try get(pointer.dropFirst(), in: child)
        case .array(let array):
            guard let index = Int(token), array.indices.contains(index) else { throw .failed("bad index \(token)") }
            return try get(pointer.dropFirst(), in: array[index])
        default:
            throw .failed("cannot traverse \(token)")
        }
    }

    private static func add(_ value: JSONValue, at pointer: ArraySlice<String>, in document: JSONValue) throws(Failure)
        -> JSONValue
    {
        guard let token = pointer.first else { return value }
        let last = pointer.count == 1
        switch document {
        case .object(var object):
            if last {
                object[token] = value
            } else {
                guard let child = object[token] else { throw .failed("missing key \(token)") }
                object[token] = try add(value, at: pointer.dropFirst(), in: child)
            }
            return .object(object)
        case .array(var array):
            if last {
                if token == "-" {
                    array.append(value)
                } else {
                    guard let index = Int(token), index >= 0, index <= array.count else {
                        throw .failed("bad index \(token)")
                    }
                    array.insert(value, at: index)
                }
            } else {
                guard let index = Int(token), array.indices.contains(index) else { throw .failed("bad index \(token)") }
                array[index] = try add(value, at: pointer.dropFirst(), in: array[index])
            }
            return .array(array)
        default:
            throw .failed("cannot add at \(token)")
        }
    }

    private static func remove(at pointer: ArraySlice<String>, in document: JSONValue) throws(Failure) -> JSONValue {
        guard let token = pointer.first else { throw .failed("cannot remove the root") }
        let last = pointer.count == 1
        switch document {
        case .object(var object):
            guard let child = object[token] else { throw .failed("missing key \(token)") }
            if last {
                object[token] = nil
            } else {
                object[token] = try remove(at: pointer.dropFirst(), in: child)
            }
            return .object(object)
        case .array(var array):
            guard let index = Int(token), array.indices.contains(index) else { throw .failed("bad index \(token)") }
            if last {
                array.remove(at: index)
            } else {
                array[index] = try remove(at: pointer.dropFirst(), in: array[index])
            }
            return .array(array)
        default:
            throw .failed("cannot remove at \(token)")
        }
    }
}
