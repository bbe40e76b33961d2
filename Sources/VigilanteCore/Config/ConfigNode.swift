import Yams

/// A parsed YAML value with the line it came from, independent of the YAML library.
public indirect enum ConfigNode: Sendable {
    /// A scalar; `isNull` for `~`, `null` and empty values.
    case scalar(String, isNull: Bool, line: Int?)
    /// A mapping with its entries in document order.
    case mapping([ConfigEntry], line: Int?)
    /// A sequence.
    case sequence([ConfigNode], line: Int?)

    /// The 1-based line of the value, when known.
    public var line: Int? {
        switch self {
        case .scalar(_, _, let line), .mapping(_, let line), .sequence(_, let line): line
        }
    }

    /// A short name of the value's YAML kind, for error messages.
    public var kindName: String {
        switch self {
        case .scalar(_, let isNull, _): isNull ? "null" : "a scalar"
        case .mapping: "a mapping"
        case .sequence: "a list"
        }
    }

    /// True for an explicit YAML null (`~`, `null` or an empty value).
    public var isNull: Bool {
        if case .scalar(_, true, _) = self { return true }
        return false
    }

    /// Parses YAML text. `source` names the text in errors. An empty document is an empty mapping.
    public static func parse(yaml: String, source: String) throws(ConfigurationError) -> ConfigNode {
        let composed: Yams.Node?
        do {
            composed = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConfigurationError(source: source, keyPath: "", message: "malformed YAML: \(describe(error))")
        } catch {
            throw ConfigurationError(source: source, keyPath: "", message: "malformed YAML: \(error)")
        }
        guard let composed else { return .mapping([], line: 1) }
        return try convert(composed, source: source, path: "")
    }

    private static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _):
            let where_ = "line \(mark.line), column \(mark.column)"
            if let context { return "\(problem) \(context.text) at \(where_)" }
            return "\(problem) at \(where_)"
        case .duplicatedKeysInMapping(let duplicates, _):
            return "duplicate key(s) \(duplicates.map { "\"\($0)\"" }.joined(separator: ", ")) in one mapping"
        default:
            return String(describing: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
        }
    }

    private static func convert(_ node: Yams.Node, source: String, path: String) throws(ConfigurationError)
        -> ConfigNode
    {
        let line = node.mark?.line
        switch node {
        case .scalar(let scalar):
            let nullSpellings: Set<String> = ["", "~", "null", "Null", "NULL"]
            let isNull = scalar.style == .plain && nullSpellings.contains(scalar.string)
            return .scalar(scalar.string, isNull: isNull, line: line)
        case .sequence(let sequence):
            var items: [ConfigNode] = []
            for (index, item) in sequence.enumerated() {
                items.append(try convert(item, source: source, path: "\(path)[\(index)]"))
            }
            return .sequence(items, line: line)
        case .mapping(let mapping):
            var pairs: [ConfigEntry] = []
            for (keyNode, valueNode) in mapping {
                guard case .scalar(let keyScalar) = keyNode else {
                    throw ConfigurationError(
                        source: source, line: keyNode.mark?.line, keyPath: path,
                        message: "keys must be plain strings")
                }
                let key = keyScalar.string
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                pairs.append(
                    ConfigEntry(
                        key: key, line: keyNode.mark?.line,
                        value: try convert(valueNode, source: source, path: childPath)))
            }
            return .mapping(pairs, line: line)
        case .alias:
            throw ConfigurationError(
                source: source, line: line, keyPath: path, message: "YAML aliases are not supported")
        }
    }
}

/// One `key: value` entry of a mapping, with the line of its key.
public struct ConfigEntry: Sendable {
    /// The key.
    public var key: String
    /// The 1-based line of the key, when known.
    public var line: Int?
    /// The value.
    public var value: ConfigNode
}
