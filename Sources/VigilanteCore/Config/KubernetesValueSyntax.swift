import Foundation

/// A qualified name as label and annotation keys use it (`example.com/team`, `team`): an optional DNS
/// subdomain prefix and `/`, then a name of at most 63 characters of letters, digits, `-`, `_` and `.`
/// that starts and ends with a letter or digit. Returns a problem or nil.
public func validateQualifiedName(_ key: String) -> String? {
    let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
    let name = parts.last ?? ""
    if parts.count == 2 {
        let prefix = parts[0]
        if prefix.isEmpty || validateDNSSubdomain(prefix) != nil {
            return "must have a DNS subdomain before the '/' (such as example.com/name), got \"\(key)\""
        }
    }
    if name.isEmpty || name.count > 63 || !isLabelValueSyntax(name) {
        return
            "must be a qualified name (an optional DNS subdomain and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit), got \"\(key)\""
    }
    return nil
}

/// A label value: empty, or at most 63 letters, digits, `-`, `_` and `.`, starting and ending with a
/// letter or digit. Returns a problem or nil.
public func validateLabelValue(_ value: String) -> String? {
    if value.isEmpty { return nil }
    if value.count > 63 || !isLabelValueSyntax(value) {
        return
            "must be a label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit), got \"\(value)\""
    }
    return nil
}

private func isLabelValueSyntax(_ text: String) -> Bool {
    func alphanumeric(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber)
    }
    guard let first = text.first, let last = text.last, alphanumeric(first), alphanumeric(last) else { return false }
    return text.allSatisfy { alphanumeric($0) || $0 == "-" || $0 == "_" || $0 == "." }
}

/// A Kubernetes resource quantity (`100m`, `64Mi`, `1.5`, `2e3`) as a number, or nil when the text is not
/// one. Negative quantities are nil: requests and limits cannot be negative.
public func parseQuantity(_ text: String) -> Double? {
    let suffixes: [(String, Double)] = [
        ("Ki", 1024), ("Mi", 1_048_576), ("Gi", 1_073_741_824), ("Ti", 1_099_511_627_776),
        ("Pi", 1_125_899_906_842_624), ("Ei", 1_152_921_504_606_846_976), ("n", 1e-9), ("u", 1e-6), ("m", 1e-3),
        ("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12), ("P", 1e15), ("E", 1e18),
    ]
    var number = Substring(text)
    var multiplier = 1.0
    for (suffix, value) in suffixes where number.hasSuffix(suffix) {
        number = number.dropLast(suffix.count)
        multiplier = value
        break
    }
    if multiplier == 1, let exponentIndex = number.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        guard let exponent = Int(number[number.index(after: exponentIndex)...]), abs(exponent) <= 18 else {
            return nil
        }
        multiplier = pow(10, Double(exponent))
        number = number[..<exponentIndex]
    }
    if number.hasPrefix("+") { number = number.dropFirst() }
    let digitsAndPoint = number.filter { $0 != "." }
    guard !digitsAndPoint.isEmpty, digitsAndPoint.allSatisfy({ $0.isASCII && $0.isNumber }),
        number.filter({ $0 == "." }).count <= 1, let value = Double(number)
    else { return nil }
    return value * multiplier
}

/// A resource quantity (`100m`, `64Mi`). Returns a problem or nil.
public func validateQuantity(_ text: String) -> String? {
    parseQuantity(text) == nil
        ? "must be a non-negative quantity such as 100m, 0.5, 64Mi or 1Gi (units m, k, M, G, Ki, Mi, Gi...), got \"\(text)\""
        : nil
}
