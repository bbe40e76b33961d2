/// The apimachinery validation rules the simulator enforces, with the real error texts.
enum Validation {
    static let subdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    static let labelMessage =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    static let qualifiedNamePartMessage =
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    static let labelValueMessage =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

    private static func isLowerAlnum(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isAlnum(_ byte: UInt8) -> Bool {
        isLowerAlnum(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    static func isDNSLabel(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty, bytes.count <= 63, isLowerAlnum(bytes.first!), isLowerAlnum(bytes.last!) else {
            return false
        }
        return bytes.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
    }

    static func isDNSSubdomain(_ value: String) -> Bool {
        guard !value.isEmpty, value.utf8.count <= 253 else { return false }
        return value.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isDNSLabel(String($0)) }
    }

    /// Problem text for an invalid object name, nil when valid.
    static func nameProblem(_ name: String, dnsLabel: Bool) -> String? {
        if dnsLabel {
            if name.utf8.count > 63 { return "must be no more than 63 characters" }
            return isDNSLabel(name) ? nil : labelMessage
        }
        if name.utf8.count > 253 { return "must be no more than 253 characters" }
        return isDNSSubdomain(name) ? nil : subdomainMessage
    }

    private static func isNamePart(_ value: Substring) -> Bool {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty, bytes.count <= 63, isAlnum(bytes.first!), isAlnum(bytes.last!) else { return false }
        return bytes.allSatisfy {
            isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        }
    }

    /// Problem text for an invalid label/annotation key (a qualified name), nil when valid.
    static func qualifiedNameProblem(_ key: String) -> String? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 1:
            return isNamePart(parts[0]) ? nil : qualifiedNamePartMessage
        case 2:
            if parts[0].isEmpty { return "prefix part must be non-empty" }
            if !isDNSSubdomain(String(parts[0])) { return "prefix part \(subdomainMessage)" }
            return isNamePart(parts[1]) ? nil : qualifiedNamePartMessage
        default:
            return
                "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        }
    }

    /// Problem text for an invalid label value, nil when valid.
    static func labelValueProblem(_ value: String) -> String? {
        if value.isEmpty { return nil }
        if value.utf8.count > 63 { return "must be no more than 63 characters" }
        return isNamePart(Substring(value)) ? nil : labelValueMessage
    }

    /// Causes for the standard metadata checks (name, generateName, labels, annotations).
    static func metadataCauses(_ metadata: JSONValue?, dnsLabelNames: Bool, nameRequired: Bool = true)
        -> [APIError.Cause]
    {
        var causes: [APIError.Cause] = []
        let name = metadata["name"]?.stringValue ?? ""
        let generateName = metadata["generateName"]?.stringValue ?? ""
        if name.isEmpty && generateName.isEmpty && nameRequired {
            causes.append(
                .init(
                    reason: "FieldValueRequired", message: "Required value: name or generateName is required",
                    field: "metadata.name"))
        }
        if !generateName.isEmpty {
            // The prefix is checked with a trailing '-' masked, as apimachinery does.
            var prefix = generateName
            if prefix.hasSuffix("-") { prefix.removeLast() }
            if let problem = nameProblem(prefix, dnsLabel: dnsLabelNames) {
                causes.append(invalid("metadata.generateName", generateName, problem))
            }
        }
        if !name.isEmpty, let problem = nameProblem(name, dnsLabel: dnsLabelNames) {
            causes.append(invalid("metadata.name", name, problem))
        }
        for (key, value) in (metadata["labels"] ?? .null).stringMap.sorted(by: { $0.key < $1.key }) {
            if let problem = qualifiedNameProblem(key) {
                causes.append(invalid("metadata.labels", key, problem))
            }
            if let problem = labelValueProblem(value) {
                causes.append(invalid("metadata.labels", value, problem))
            }
        }
        if case .object(let annotations) = metadata["annotations"] {
            for key in annotations.keys.sorted() {
                if let problem = qualifiedNameProblem(key.lowercased()) {
                    causes.append(invalid("metadata.annotations", key, problem))
                }
            }
        }
        return causes
    }

    static func invalid(_ field: String, _ value: String, _ detail: String) -> APIError.Cause {
        .init(reason: "FieldValueInvalid", message: "Invalid value: \"\(value)\": \(detail)", field: field)
    }

    static func required(_ field: String) -> APIError.Cause {
        .init(reason: "FieldValueRequired", message: "Required value", field: field)
    }
}
