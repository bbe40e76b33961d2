extension ConfigReader {
    /// A list of strings (`[kube-system, monitoring]`), each checked by `validate` (which returns a problem
    /// or nil). A null or absent value gives the default; an empty list (`[]`) is an empty list.
    ///
    /// ``list(_:type:defaultValue:defaultDescription:summary:aliases:item:)`` reads lists of mappings; this
    /// reads lists of scalars, such as namespace names.
    public mutating func stringList(
        _ key: String, default defaultValue: [String], summary: String, validate: ((String) -> String?)? = nil
    ) throws(ConfigurationError) -> [String] {
        let fullPath = path(of: key)
        let shownDefault = "[" + defaultValue.joined(separator: ", ") + "]"
        session.described.append(
            ConfigKeyDescription(
                path: fullPath, type: "list of strings", defaultValue: shownDefault, summary: summary, aliases: []))
        guard let (found, source, fromFile) = try resolveCollection(fullPath, key: key, shownDefault: shownDefault)
        else { return defaultValue }
        guard case .sequence(let items, _) = found else {
            throw ConfigurationError(
                source: source, line: fromFile ? found.line : nil, keyPath: fullPath,
                message: "expected a list of strings such as [a, b], got \(found.kindName)")
        }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            guard case .scalar(let text, false, let line) = item else {
                throw ConfigurationError(
                    source: source, line: fromFile ? item.line : nil, keyPath: "\(fullPath)[\(index)]",
                    message: "expected a string, got \(item.kindName)")
            }
            if let problem = validate?(text) {
                throw ConfigurationError(
                    source: source, line: fromFile ? line : nil, keyPath: "\(fullPath)[\(index)]",
                    message: problem)
            }
            result.append(text)
        }
        session.effective.append(
            .init(path: fullPath, value: "[" + result.joined(separator: ", ") + "]", source: source))
        return result
    }

    /// The value of a collection key, from an override (environment, flag) or the file, with where it
    /// came from and whether its lines are worth naming; nil (the default recorded as effective) when it
    /// is absent or null.
    mutating func resolveCollection(
        _ fullPath: String, key: String, shownDefault: String
    ) throws(ConfigurationError) -> (node: ConfigNode, source: String, fromFile: Bool)? {
        let fileNode = rawNode(key)  // marks the key as read, also when an override wins
        let (found, source): (ConfigNode?, String)
        if let override = session.overrides[fullPath] {
            (found, source) = (try override.node(keyPath: fullPath), override.source)
        } else {
            (found, source) = (fileNode, session.fileSource)
        }
        guard let found, !found.isNull else {
            session.effective.append(.init(path: fullPath, value: shownDefault, source: "default"))
            return nil
        }
        // Values from the environment or flags have no line worth naming.
        return (found, source, source == session.fileSource)
    }
}
