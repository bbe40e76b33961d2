import Yams

/// Typed access to kubeconfig YAML nodes with messages that name the field and line.
struct KubeconfigReader {
    let file: String

    func error(_ problem: String, node: Yams.Node?) -> KubeconfigError {
        if let line = node?.mark?.line {
            return KubeconfigError(file: file, problem: "\(problem) (line \(line))")
        }
        return KubeconfigError(file: file, problem: problem)
    }

    func mapping(_ node: Yams.Node, at path: String) throws -> Yams.Node.Mapping {
        guard case .mapping(let mapping) = node else {
            throw error("\(path) must be a mapping", node: node)
        }
        return mapping
    }

    func scalarString(_ node: Yams.Node) -> String? {
        guard case .scalar(let scalar) = node else { return nil }
        return scalar.string
    }

    private func qualified(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    func string(_ mapping: Yams.Node.Mapping, _ key: String, at path: String) throws -> String? {
        guard let node = mapping[key], node.null == nil else { return nil }
        guard let text = scalarString(node) else {
            throw error("\(qualified(path, key)) must be a string", node: node)
        }
        return text
    }

    func bool(_ mapping: Yams.Node.Mapping, _ key: String, at path: String) throws -> Bool? {
        guard let node = mapping[key], node.null == nil else { return nil }
        guard let value = node.bool else {
            throw error("\(qualified(path, key)) must be true or false", node: node)
        }
        return value
    }

    func list(_ mapping: Yams.Node.Mapping, _ key: String, at path: String) throws -> [Yams.Node] {
        guard let node = mapping[key], node.null == nil else { return [] }
        guard case .sequence(let sequence) = node else {
            throw error("\(qualified(path, key)) must be a list", node: node)
        }
        return Array(sequence)
    }

    /// Reads `clusters`/`contexts`/`users`: a list of `{name, <entry>: {...}}`, names unique.
    func namedEntries<Entry>(
        _ top: Yams.Node.Mapping,
        list key: String,
        entry entryKey: String,
        parse: (Yams.Node.Mapping, String) throws -> Entry
    ) throws -> [String: Entry] {
        var result: [String: Entry] = [:]
        for (index, item) in try list(top, key, at: "").enumerated() {
            let itemPath = "\(key)[\(index)]"
            let itemMapping = try mapping(item, at: itemPath)
            guard let name = try string(itemMapping, "name", at: itemPath), !name.isEmpty else {
                throw error("\(itemPath).name is not set", node: item)
            }
            let entryPath = "\(key)[\(index)] (\"\(name)\").\(entryKey)"
            guard result[name] == nil else {
                throw error("\(key): duplicate name \"\(name)\"", node: item)
            }
            let entryMapping: Yams.Node.Mapping
            if let entryNode = itemMapping[entryKey], entryNode.null == nil {
                entryMapping = try mapping(entryNode, at: entryPath)
            } else {
                entryMapping = Yams.Node.Mapping([])
            }
            result[name] = try parse(entryMapping, entryPath)
        }
        return result
    }

    static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return "\(problem) (line \(mark.line), column \(mark.column))"
        case .duplicatedKeysInMapping(let duplicates, _):
            return "duplicate keys " + duplicates.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
        default:
            return "\(error)"
        }
    }
}
