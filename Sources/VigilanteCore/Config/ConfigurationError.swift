/// A configuration problem, reported once, naming where the bad value came from and the key it belongs to.
///
/// The description reads like a compiler diagnostic:
/// `/etc/vigilante/config.yaml, line 4: tasks.snat.interval: expected a duration such as 30s, 5m or 1h30m, got "soon"`.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Where the value came from: a file path, `environment variable VIGILANTE_…` or `flag --…`.
    public var source: String
    /// 1-based line in the file, when known.
    public var line: Int?
    /// Dotted key path such as `tasks.snat.interval`; empty for problems with the whole document.
    public var keyPath: String
    /// What is wrong, and what would be right.
    public var message: String

    /// Creates an error for `keyPath` read from `source`.
    public init(source: String, line: Int? = nil, keyPath: String, message: String) {
        self.source = source
        self.line = line
        self.keyPath = keyPath
        self.message = message
    }

    public var description: String {
        var text = source
        if let line { text += ", line \(line)" }
        if !keyPath.isEmpty { text += ": \(keyPath)" }
        return text + ": " + message
    }
}
