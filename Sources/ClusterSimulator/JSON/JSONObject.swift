/// The members of a JSON object in document order.
///
/// Kubernetes objects are small (tens of members per level), so a linear scan beats hashing.
public struct JSONObject: Sendable, Equatable {
    /// One `"key": value` member.
    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: JSONValue

        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// The members in order.
    public private(set) var members: [Member]

    public init(_ members: [Member] = []) {
        self.members = members
    }

    /// Number of members.
    public var count: Int { members.count }

    /// True when there are no members.
    public var isEmpty: Bool { members.isEmpty }

    /// The keys in order.
    public var keys: [String] { members.map(\.key) }

    /// Member lookup; assigning nil removes the member, assigning a new key appends it.
    public subscript(key: String) -> JSONValue? {
        get {
            for member in members where member.key == key { return member.value }
            return nil
        }
        set {
            if let index = members.firstIndex(where: { $0.key == key }) {
                if let newValue {
                    members[index].value = newValue
                } else {
                    members.remove(at: index)
                }
            } else if let newValue {
                members.append(Member(key: key, value: newValue))
            }
        }
    }

    /// Equality regardless of member order (JSON semantics).
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        for member in lhs.members {
            guard let other = rhs[member.key], other == member.value else { return false }
        }
        return true
    }

    /// Reorders members: the listed keys first (in that order), the others after in their order.
    mutating func reorder(leading keys: [String]) {
        var leading: [Member] = []
        var rest = members
        for key in keys {
            if let index = rest.firstIndex(where: { $0.key == key }) {
                leading.append(rest.remove(at: index))
            }
        }
        members = leading + rest
    }

    /// Sorts members by key (how Go encodes a map).
    mutating func sortByKey() {
        members.sort { $0.key < $1.key }
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements.map { Member(key: $0.0, value: $0.1) })
    }
}
