/// Reads one mapping of a configuration document with typed accessors, recording every key it is asked
/// for, so that unknown keys are reported, defaults are documented, and overrides from the environment
/// and flags are applied in one place.
///
/// A section type reads its keys in its initializer and the loader calls `finish()` to reject the rest.
public struct ConfigReader {
    /// Shared state of one load: where values come from and what was read.
    final class Session {
        let fileSource: String
        /// Overrides by dotted path, later sources already applied over earlier ones.
        let overrides: [String: ConfigOverride]
        var described: [ConfigKeyDescription] = []
        var effective: [ConfigEffectiveValue] = []

        init(fileSource: String, overrides: [String: ConfigOverride]) {
            self.fileSource = fileSource
            self.overrides = overrides
        }
    }

    let session: Session
    let pathPrefix: String
    private let pairs: [ConfigEntry]
    private var consumed: Set<String> = []

    init(session: Session, pathPrefix: String, node: ConfigNode?) throws(ConfigurationError) {
        self.session = session
        self.pathPrefix = pathPrefix
        switch node {
        case nil:
            pairs = []
        case .some(.scalar(_, true, _)):
            pairs = []
        case .some(.mapping(let mappingPairs, _)):
            pairs = mappingPairs
        case .some(let other):
            throw ConfigurationError(
                source: session.fileSource, line: other.line, keyPath: pathPrefix,
                message: "expected a mapping of keys, got \(other.kindName)")
        }
    }

    /// The dotted path of `key` in this section.
    public func path(of key: String) -> String { pathPrefix.isEmpty ? key : "\(pathPrefix).\(key)" }

    /// The keys present in this mapping, in document order (for sections keyed by name, such as `tasks`).
    public var presentKeys: [String] { pairs.map(\.key) }

    // MARK: Typed accessors

    /// A duration (`30s`, `5m`, `1h30m`); with `integerSeconds`, a plain integer counts as seconds, as the
    /// original release's keys were. Must be positive.
    public mutating func duration(
        _ key: String, default defaultValue: Duration?, summary: String, integerSeconds: Bool = false,
        aliases: [String] = []
    ) throws(ConfigurationError) -> Duration? {
        try value(
            key, type: "duration", defaultValue: defaultValue, format: { $0.configText }, summary: summary,
            aliases: aliases
        ) { text, _ in
            if integerSeconds, let seconds = Int(text) {
                guard seconds > 0 else { return .failure("must be a positive duration, got \(seconds)") }
                return .success(.seconds(seconds))
            }
            if let number = Double(text) {
                return .failure(
                    "a duration needs a unit, such as \(Int(number))s or \(Int(number))m (got \(text))")
            }
            let isNegative = text.trimmingCharacters(in: .whitespaces).hasPrefix("-")
            guard !isNegative, let duration = Duration(configText: text) else {
                if isNegative { return .failure("must be a positive duration, got \"\(text)\"") }
                return .failure("expected a duration such as 30s, 5m or 1h30m, got \"\(text)\"")
            }
            guard duration > .zero else { return .failure("must be a positive duration, got \"\(text)\"") }
            return .success(duration)
        }
    }

    /// A non-optional duration with a default.
    public mutating func duration(
        _ key: String, default defaultValue: Duration, summary: String, integerSeconds: Bool = false,
        aliases: [String] = []
    ) throws(ConfigurationError) -> Duration {
        let value: Duration? = try duration(
            key, default: Optional(defaultValue), summary: summary, integerSeconds: integerSeconds,
            aliases: aliases)
        return value ?? defaultValue
    }

    /// `true` or `false` (any case).
    public mutating func bool(_ key: String, default defaultValue: Bool, summary: String) throws(ConfigurationError)
        -> Bool
    {
        let value = try value(
            key, type: "boolean", defaultValue: defaultValue, format: { String($0) }, summary: summary
        ) { text, _ in
            switch text.lowercased() {
            case "true": .success(true)
            case "false": .success(false)
            default: .failure("expected true or false, got \"\(text)\"")
            }
        }
        return value ?? defaultValue
    }

    /// An integer within `range`.
    public mutating func integer(
        _ key: String, default defaultValue: Int?, range: ClosedRange<Int>, summary: String,
        defaultDescription: String? = nil
    ) throws(ConfigurationError) -> Int? {
        try value(
            key, type: "integer", defaultValue: defaultValue, format: { String($0) }, summary: summary,
            defaultDescription: defaultDescription
        ) { text, _ in
            guard let number = Int(text) else { return .failure("expected an integer, got \"\(text)\"") }
            guard range.contains(number) else {
                return .failure("must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
            }
            return .success(number)
        }
    }

    /// A decimal number within `range` (`2`, `0.5`).
    public mutating func number(
        _ key: String, default defaultValue: Double?, range: ClosedRange<Double>, summary: String,
        defaultDescription: String? = nil
    ) throws(ConfigurationError) -> Double? {
        func text(_ number: Double) -> String {
            number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        }
        return try value(
            key, type: "number", defaultValue: defaultValue, format: text, summary: summary,
            defaultDescription: defaultDescription
        ) { value, _ in
            guard let number = Double(value), number.isFinite else {
                return .failure("expected a number, got \"\(value)\"")
            }
            guard range.contains(number) else {
                return .failure("must be between \(text(range.lowerBound)) and \(text(range.upperBound)), got \(value)")
            }
            return .success(number)
        }
    }

    /// A string; with `allowed`, one of those values (compared case-insensitively, returned as listed).
    public mutating func string(
        _ key: String, default defaultValue: String?, summary: String, allowed: [String]? = nil,
        defaultDescription: String? = nil, validate: ((String) -> String?)? = nil
    ) throws(ConfigurationError) -> String? {
        let type = allowed.map { $0.joined(separator: " | ") } ?? "string"
        return try value(
            key, type: type, defaultValue: defaultValue, format: { $0 }, summary: summary,
            defaultDescription: defaultDescription
        ) { text, _ in
            if let allowed {
                guard let match = allowed.first(where: { $0.lowercased() == text.lowercased() }) else {
                    return .failure("expected one of \(allowed.joined(separator: ", ")), got \"\(text)\"")
                }
                return .success(match)
            }
            if let problem = validate?(text) { return .failure(problem) }
            return .success(text)
        }
    }

    /// A nested mapping read by `body`; unknown keys inside it are rejected. With `shorthandKey`, a scalar
    /// in place of the mapping stands for that one key (the original release wrote `tls: true`).
    public mutating func section<T>(
        _ key: String, shorthandKey: String? = nil, _ body: (inout ConfigReader) throws(ConfigurationError) -> T
    ) throws(ConfigurationError) -> T {
        consumed.insert(key)
        var sectionNode = node(for: key)
        if let shorthandKey, let scalar = sectionNode, case .scalar(_, false, let line) = scalar {
            sectionNode = .mapping([ConfigEntry(key: shorthandKey, line: line, value: scalar)], line: line)
        }
        var reader = try ConfigReader(session: session, pathPrefix: path(of: key), node: sectionNode)
        let result = try body(&reader)
        try reader.finish()
        return result
    }

    /// A list whose items are mappings, each read by `item`; items are described once under `path[]`.
    public mutating func list<T>(
        _ key: String, type: String, defaultValue: [T], defaultDescription: String, summary: String,
        aliases: [String] = [], item: (inout ConfigReader) throws(ConfigurationError) -> T
    ) throws(ConfigurationError) -> [T] {
        let fullPath = path(of: key)
        session.described.append(
            ConfigKeyDescription(
                path: fullPath, type: type, defaultValue: defaultDescription, summary: summary,
                aliases: aliases.map(path(of:))))
        // Describe the item keys by reading an empty item once.
        let previousCount = session.described.count
        var probe = try ConfigReader(session: session, pathPrefix: "\(fullPath)[]", node: nil)
        _ = try? item(&probe)
        let itemKeys = Array(session.described[previousCount...])
        session.described.removeSubrange(previousCount...)
        session.effective.removeAll { $0.path.hasPrefix("\(fullPath)[]") }
        session.described.append(contentsOf: itemKeys)

        let (found, source) = try lookup(key, aliases: aliases)
        guard let found, !found.isNull else {
            session.effective.append(.init(path: fullPath, value: defaultDescription, source: "default"))
            return defaultValue
        }
        guard case .sequence(let items, _) = found else {
            throw ConfigurationError(
                source: source, line: found.line, keyPath: fullPath, message: "expected a list, got \(found.kindName)")
        }
        var result: [T] = []
        for (index, node) in items.enumerated() {
            var reader = try ConfigReader(
                session: Session(fileSource: source, overrides: [:]), pathPrefix: "\(fullPath)[\(index)]",
                node: node)
            result.append(try item(&reader))
            try reader.finish()
        }
        session.effective.append(.init(path: fullPath, value: "\(result.count) item(s)", source: source))
        return result
    }

    /// Rejects keys that were present but never read.
    public func finish() throws(ConfigurationError) {
        for entry in pairs where !consumed.contains(entry.key) {
            let key = entry.key
            let known = consumed.sorted()
            var message = "unknown key"
            if let suggestion = known.min(by: { editDistance($0, key) < editDistance($1, key) }),
                editDistance(suggestion, key) <= max(2, key.count / 3)
            {
                message += " (did you mean \"\(suggestion)\"?)"
            } else if !known.isEmpty {
                message += "; known keys here: \(known.joined(separator: ", "))"
            }
            throw ConfigurationError(
                source: session.fileSource, line: entry.line, keyPath: path(of: key),
                message: message)
        }
    }

    /// An error about `key` of this section, for checks that span several keys; names the environment
    /// variable or flag when the value came from one.
    public func error(at key: String, _ message: String) -> ConfigurationError {
        if let override = session.overrides[path(of: key)] {
            return ConfigurationError(source: override.source, keyPath: path(of: key), message: message)
        }
        return ConfigurationError(
            source: session.fileSource, line: pairs.first(where: { $0.key == key })?.line, keyPath: path(of: key),
            message: message)
    }

    /// Marks `key` as known without reading it (for sections handled elsewhere).
    public mutating func markRead(_ key: String) { consumed.insert(key) }

    /// The raw node under `key`, marking it as read.
    public mutating func rawNode(_ key: String) -> ConfigNode? {
        consumed.insert(key)
        return node(for: key)
    }

    // MARK: Internals

    private func node(for key: String) -> ConfigNode? {
        pairs.first(where: { $0.key == key })?.value
    }

    /// The node for `key` (or an alias), preferring environment and flag overrides, with its source.
    private mutating func lookup(_ key: String, aliases: [String]) throws(ConfigurationError) -> (ConfigNode?, String) {
        let fullPath = path(of: key)
        consumed.insert(key)
        for alias in aliases { consumed.insert(alias) }
        if let override = session.overrides[fullPath] {
            return (try override.node(keyPath: fullPath), override.source)
        }
        let present = ([key] + aliases).filter { node(for: $0) != nil }
        if present.count > 1 {
            throw ConfigurationError(
                source: session.fileSource, line: pairs.first(where: { $0.key == present[1] })?.line,
                keyPath: path(of: present[1]),
                message: "is another name for \(fullPath); set only one of them")
        }
        return (present.first.flatMap { node(for: $0) }, session.fileSource)
    }

    private mutating func value<T>(
        _ key: String, type: String, defaultValue: T?, format: (T) -> String, summary: String,
        aliases: [String] = [], defaultDescription: String? = nil,
        parse: (String, Int?) -> Result<T, ParseFailure>
    ) throws(ConfigurationError) -> T? {
        let fullPath = path(of: key)
        let shownDefault = defaultDescription ?? defaultValue.map(format) ?? "(none)"
        session.described.append(
            ConfigKeyDescription(
                path: fullPath, type: type, defaultValue: shownDefault, summary: summary,
                aliases: aliases.map(path(of:))))
        let (found, source) = try lookup(key, aliases: aliases)
        guard let found, !found.isNull else {
            session.effective.append(.init(path: fullPath, value: shownDefault, source: "default"))
            return defaultValue
        }
        guard case .scalar(let text, _, let line) = found else {
            throw ConfigurationError(
                source: source, line: found.line, keyPath: fullPath,
                message: "expected a \(type) value, got \(found.kindName)")
        }
        // Values from the environment or flags have no line worth naming.
        let shownLine = source == session.fileSource ? line : nil
        switch parse(text, shownLine) {
        case .success(let parsed):
            session.effective.append(.init(path: fullPath, value: format(parsed), source: source))
            return parsed
        case .failure(let failure):
            throw ConfigurationError(source: source, line: shownLine, keyPath: fullPath, message: failure.message)
        }
    }
}

/// Why a scalar could not be read as the key's type.
struct ParseFailure: Error, ExpressibleByStringInterpolation {
    let message: String
    init(stringLiteral value: String) { message = value }
    init(stringInterpolation: DefaultStringInterpolation) { message = String(stringInterpolation: stringInterpolation) }
}

extension Result where Failure == ParseFailure {
    static func failure(_ message: String) -> Self { .failure(ParseFailure(stringLiteral: message)) }
}

/// Levenshtein distance, for "did you mean" suggestions.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.lowercased()), b = Array(b.lowercased())
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}

/// A value set outside the file: an environment variable or a command-line flag.
public struct ConfigOverride: Sendable {
    /// Dotted key path it sets.
    public var path: String
    /// The value, parsed as YAML (so lists can be given in flow syntax: `[{operator: Exists}]`).
    public var text: String
    /// `environment variable VIGILANTE_…` or `flag --…`.
    public var source: String

    /// Creates an override of `path` from `source`.
    public init(path: String, text: String, source: String) {
        self.path = path
        self.text = text
        self.source = source
    }

    func node(keyPath: String) throws(ConfigurationError) -> ConfigNode {
        do {
            return try ConfigNode.parse(yaml: text, source: source)
        } catch {
            throw ConfigurationError(source: source, keyPath: keyPath, message: error.message)
        }
    }
}
