extension ConfigReader {
    /// A mapping of strings to strings (labels, annotations, resource quantities), each key checked by
    /// `validateKey` and each value by `validateValue` (which return a problem or nil). A null or absent
    /// value gives the default; `{}` is an empty mapping. Keys keep the document's order.
    public mutating func stringMap(
        _ key: String, default defaultValue: [(String, String)], summary: String,
        defaultDescription: String? = nil, validateKey: ((String) -> String?)? = nil,
        validateValue: ((String) -> String?)? = nil
    ) throws(ConfigurationError) -> [(String, String)] {
        let fullPath = path(of: key)
        let shownDefault =
            defaultDescription ?? ("{" + defaultValue.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + "}")
        session.described.append(
            ConfigKeyDescription(
                path: fullPath, type: "map of strings", defaultValue: shownDefault, summary: summary, aliases: []))
        guard let (found, source, fromFile) = try resolveCollection(fullPath, key: key, shownDefault: shownDefault)
        else { return defaultValue }
        guard case .mapping(let entries, _) = found else {
            throw ConfigurationError(
                source: source, line: fromFile ? found.line : nil, keyPath: fullPath,
                message: "expected a mapping of strings such as {team: payments}, got \(found.kindName)")
        }
        var result: [(String, String)] = []
        for entry in entries {
            let entryPath = "\(fullPath).\(entry.key)"
            let line = fromFile ? entry.line : nil
            if let problem = validateKey?(entry.key) {
                throw ConfigurationError(source: source, line: line, keyPath: entryPath, message: "key \(problem)")
            }
            guard case .scalar(let text, let isNull, _) = entry.value, !isNull else {
                throw ConfigurationError(
                    source: source, line: line, keyPath: entryPath,
                    message: "expected a string value, got \(entry.value.kindName)")
            }
            if let problem = validateValue?(text) {
                throw ConfigurationError(source: source, line: line, keyPath: entryPath, message: problem)
            }
            result.append((entry.key, text))
        }
        session.effective.append(
            .init(
                path: fullPath, value: "{" + result.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + "}",
                source: source))
        return result
    }
}
