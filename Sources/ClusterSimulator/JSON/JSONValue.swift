/// A JSON document that keeps the order of object members, as the Kubernetes API server does
/// when it encodes Go structs (maps are written with sorted keys by the encoder that made them).
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

extension JSONValue {
    /// The member `key` of an object, or nil for a missing member or a non-object.
    public subscript(key: String) -> JSONValue? {
        get {
            if case .object(let object) = self { return object[key] }
            return nil
        }
        set {
            guard case .object(var object) = self else { return }
            self = .null
            object[key] = newValue
            self = .object(object)
        }
    }

    /// The element at `index` of an array, or nil.
    public subscript(index: Int) -> JSONValue? {
        if case .array(let array) = self, array.indices.contains(index) { return array[index] }
        return nil
    }

    /// The string value, or nil for other types.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The integer value (also from an integral double), or nil.
    public var intValue: Int? {
        switch self {
        case .int(let value): return value
        case .double(let value) where value.rounded() == value && abs(value) < 9e15: return Int(value)
        default: return nil
        }
    }

    /// The number as a Double, or nil.
    public var doubleValue: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    /// The boolean value, or nil.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The elements of an array, or nil.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The members of an object, or nil.
    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// True for `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// An object's string-valued members as a dictionary (labels, annotations); empty otherwise.
    public var stringMap: [String: String] {
        guard case .object(let object) = self else { return [:] }
        var result: [String: String] = [:]
        for member in object.members {
            if case .string(let value) = member.value { result[member.key] = value }
        }
        return result
    }

    /// A JSON object holding the given string map with sorted keys (the way Go encodes a map).
    public static func sortedStringMap(_ map: [String: String]) -> JSONValue {
        .object(JSONObject(map.keys.sorted().map { JSONObject.Member(key: $0, value: .string(map[$0]!)) }))
    }

    /// Numeric equality that treats `1` and `1.0` alike, used by JSON patch `test`.
    func semanticallyEquals(_ other: JSONValue) -> Bool {
        switch (self, other) {
        case (.int, .double), (.double, .int): return doubleValue == other.doubleValue
        case (.array(let lhs), .array(let rhs)):
            return lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { $0.semanticallyEquals($1) }
        case (.object(let lhs), .object(let rhs)):
            guard lhs.count == rhs.count else { return false }
            return lhs.members.allSatisfy { member in
                rhs[member.key].map { member.value.semanticallyEquals($0) } ?? false
            }
        default: return self == other
        }
    }
}

extension Optional where Wrapped == JSONValue {
    /// Chained member access: `value["metadata"]["name"]?.stringValue`.
    public subscript(key: String) -> JSONValue? {
        self?[key]
    }

    /// Chained element access.
    public subscript(index: Int) -> JSONValue? {
        self?[index]
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements.map { JSONObject.Member(key: $0.0, value: $0.1) }))
    }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            let dictionary = try container.decode([String: JSONValue].self)
            self = .object(JSONObject(dictionary.keys.sorted().map { .init(key: $0, value: dictionary[$0]!) }))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value):
            var dictionary: [String: JSONValue] = [:]
            for member in value.members { dictionary[member.key] = member.value }
            try container.encode(dictionary)
        }
    }
}

extension JSONValue: CustomStringConvertible {
    /// Compact JSON text.
    public var description: String { String(decoding: JSONWriter.encode(self), as: UTF8.self) }
}
