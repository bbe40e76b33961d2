/// A parsed `labelSelector` query (k8s.io/apimachinery/pkg/labels grammar):
/// `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1`, joined by commas.
public struct LabelSelector: Sendable, Equatable {
    enum Operator: Sendable, Equatable {
        case equals, notEquals, `in`, notIn, exists, doesNotExist, greaterThan, lessThan
    }

    struct Requirement: Sendable, Equatable {
        var key: String
        var op: Operator
        var values: [String]

        func matches(_ labels: [String: String]) -> Bool {
            let value = labels[key]
            switch op {
            case .equals, .in: return value.map { values.contains($0) } ?? false
            case .notEquals, .notIn: return value.map { !values.contains($0) } ?? true
            case .exists: return value != nil
            case .doesNotExist: return value == nil
            case .greaterThan:
                guard let value, let number = Int(value), let bound = Int(values[0]) else { return false }
                return number > bound
            case .lessThan:
                guard let value, let number = Int(value), let bound = Int(values[0]) else { return false }
                return number < bound
            }
        }
    }

    var requirements: [Requirement]

    /// True when the selector selects everything.
    public var isEmpty: Bool { requirements.isEmpty }

    /// Parses a selector; the error text is the real server's ("unable to parse requirement: ...").
    public init(parsing text: String) throws {
        var parser = LabelSelectorParser(text)
        requirements = try parser.parse()
    }

    init(requirements: [Requirement]) {
        self.requirements = requirements
    }

    /// Whether the labels satisfy every requirement.
    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { $0.matches(labels) }
    }
}

struct SelectorParseError: Error, CustomStringConvertible {
    let description: String
}

private struct LabelSelectorParser {
    enum Token: Equatable {
        case identifier(String), openParen, closeParen, comma, equals, doubleEquals, notEquals, bang, inToken,
            notInToken, greater, less, end

        var text: String {
            switch self {
            case .identifier(let value): return value
            case .openParen: return "("
            case .closeParen: return ")"
            case .comma: return ","
            case .equals: return "="
            case .doubleEquals: return "=="
            case .notEquals: return "!="
            case .bang: return "!"
            case .inToken: return "in"
            case .notInToken: return "notin"
            case .greater: return ">"
            case .less: return "<"
            case .end: return ""
            }
        }
    }

    private var tokens: [Token] = []
    private var position = 0

    init(_ text: String) {
        tokens = Self.lex(Array(text.unicodeScalars))
    }

    private static func lex(_ scalars: [Unicode.Scalar]) -> [Token] {
        var tokens: [Token] = []
        var index = 0
        let special: Set<Unicode.Scalar> = [" ", "\t", "\n", "\r", ",", "=", "!", "(", ")", "<", ">"]
        while index < scalars.count {
            let scalar = scalars[index]
            switch scalar {
            case " ", "\t", "\n", "\r": index += 1
            case ",": tokens.append(.comma); index += 1
            case "(": tokens.append(.openParen); index += 1
            case ")": tokens.append(.closeParen); index += 1
            case ">": tokens.append(.greater); index += 1
            case "<": tokens.append(.less); index += 1
            case "=":
                if index + 1 < scalars.count, scalars[index + 1] == "=" {
                    tokens.append(.doubleEquals)
                    index += 2
                } else {
                    tokens.append(.equals)
                    index += 1
                }
            case "!":
                if index + 1 < scalars.count, scalars[index + 1] == "=" {
                    tokens.append(.notEquals)
                    index += 2
                } else {
                    tokens.append(.bang)
                    index += 1
                }
            default:
                var word = ""
                while index < scalars.count, !special.contains(scalars[index]) {
                    word.unicodeScalars.append(scalars[index])
                    index += 1
                }
                if word == "in" {
                    tokens.append(.inToken)
                } else if word == "notin" {
                    tokens.append(.notInToken)
                } else {
                    tokens.append(.identifier(word))
                }
            }
        }
        tokens.append(.end)
        return tokens
    }

    private var current: Token { tokens[position] }

    private mutating func next() -> Token {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    private func error(_ detail: String) -> SelectorParseError {
        SelectorParseError(description: "unable to parse requirement: \(detail)")
    }

    mutating func parse() throws -> [LabelSelector.Requirement] {
        var requirements: [LabelSelector.Requirement] = []
        if current == .end { return [] }
        while true {
            requirements.append(try parseRequirement())
            switch next() {
            case .end: return requirements
            case .comma:
                if current == .end || current == .comma {
                    throw error("found '\(current.text)', expected: identifier")
                }
            case let token:
                throw error("found '\(token.text)', expected: ',' or 'end of string'")
            }
        }
    }

    private mutating func parseRequirement() throws -> LabelSelector.Requirement {
        var negated = false
        if current == .bang {
            negated = true
            _ = next()
        }
        guard case .identifier(let key) = next() else {
            throw error("found '\(tokens[max(0, position - 1)].text)', expected: identifier")
        }
        try validateKey(key)
        if negated { return .init(key: key, op: .doesNotExist, values: []) }
        switch current {
        case .end, .comma: return .init(key: key, op: .exists, values: [])
        default: break
        }
        let op: LabelSelector.Operator
        switch next() {
        case .equals, .doubleEquals: op = .equals
        case .notEquals: op = .notEquals
        case .inToken: op = .in
        case .notInToken: op = .notIn
        case .greater: op = .greaterThan
        case .less: op = .lessThan
        case let token:
            throw error("found '\(token.text)', expected: in, notin, =, ==, !=, gt, lt")
        }
        if op == .in || op == .notIn {
            guard next() == .openParen else { throw error("found '\(current.text)', expected: '('") }
            var values: [String] = []
            if current == .closeParen {
                _ = next()
                return .init(key: key, op: op, values: [""])
            }
            while true {
                switch next() {
                case .identifier(let value):
                    try validateValue(value)
                    values.append(value)
                case let token: throw error("found '\(token.text)', expected: ',', ')' or identifier")
                }
                switch next() {
                case .comma: continue
                case .closeParen: return .init(key: key, op: op, values: values)
                case let token: throw error("found '\(token.text)', expected: ',' or ')'")
                }
            }
        }
        switch current {
        case .end, .comma:
            return .init(key: key, op: op, values: [""])
        case .identifier(let value):
            _ = next()
            try validateValue(value)
            if op == .greaterThan || op == .lessThan, Int(value) == nil {
                throw error("for 'Gt', 'Lt' operators, the value must be an integer")
            }
            return .init(key: key, op: op, values: [value])
        default:
            throw error("found '\(current.text)', expected: identifier")
        }
    }

    private func validateKey(_ key: String) throws {
        if let problem = Validation.qualifiedNameProblem(key) {
            throw error("key: Invalid value: \"\(key)\": \(problem)")
        }
    }

    private func validateValue(_ value: String) throws {
        if let problem = Validation.labelValueProblem(value) {
            throw error("values[0]: Invalid value: \"\(value)\": \(problem)")
        }
    }
}

/// A parsed `fieldSelector`: `field=value`, `field==value`, `field!=value`, joined by commas.
struct FieldSelector: Sendable, Equatable {
    struct Requirement: Sendable, Equatable {
        var field: String
        var value: String
        var negated: Bool
    }

    var requirements: [Requirement]

    var isEmpty: Bool { requirements.isEmpty }

    init(parsing text: String) throws {
        requirements = []
        for part in Self.splitUnescaped(text, on: ",") where !part.isEmpty {
            let requirement: Requirement
            if let range = Self.firstUnescaped(part, of: "!=") {
                requirement = Requirement(
                    field: String(part[..<range.lowerBound]), value: Self.unescape(String(part[range.upperBound...])),
                    negated: true)
            } else if let range = Self.firstUnescaped(part, of: "==") {
                requirement = Requirement(
                    field: String(part[..<range.lowerBound]), value: Self.unescape(String(part[range.upperBound...])),
                    negated: false)
            } else if let range = Self.firstUnescaped(part, of: "=") {
                requirement = Requirement(
                    field: String(part[..<range.lowerBound]), value: Self.unescape(String(part[range.upperBound...])),
                    negated: false)
            } else {
                throw SelectorParseError(description: "invalid selector: '\(text)'; can't understand '\(part)'")
            }
            requirements.append(requirement)
        }
    }

    init(requirements: [Requirement]) {
        self.requirements = requirements
    }

    func matches(_ fields: (String) -> String?) -> Bool {
        requirements.allSatisfy { requirement in
            let value = fields(requirement.field) ?? ""
            return requirement.negated ? value != requirement.value : value == requirement.value
        }
    }

    private static func splitUnescaped(_ text: String, on separator: Character) -> [String] {
        var parts: [String] = []
        var current = ""
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                current.append(character)
                escaped = true
            } else if character == separator {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        return parts
    }

    private static func firstUnescaped(_ text: String, of needle: String) -> Range<String.Index>? {
        var searchStart = text.startIndex
        while let range = text.range(of: needle, range: searchStart..<text.endIndex) {
            if range.lowerBound > text.startIndex, text[text.index(before: range.lowerBound)] == "\\" {
                searchStart = range.upperBound
                continue
            }
            return range
        }
        return nil
    }

    private static func unescape(_ value: String) -> String {
        var result = ""
        var escaped = false
        for character in value {
            if escaped {
                result.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                result.append(character)
            }
        }
        return result
    }
}
