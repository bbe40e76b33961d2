/// Writes a JSON document as YAML the way the API server does for `Accept: application/yaml`
/// (sigs.k8s.io/yaml: sorted keys, block style, `- ` list items at the parent's indentation).
enum YAMLWriter {
    static func encode(_ value: JSONValue) -> String {
        var output = ""
        switch value {
        case .object(let object) where !object.isEmpty: writeObject(object, indent: 0, into: &output)
        case .array(let array) where !array.isEmpty: writeArray(array, indent: 0, into: &output)
        default: output = scalar(value) + "\n"
        }
        return output
    }

    private static func writeObject(
        _ object: JSONObject, indent: Int, into output: inout String, firstPrefix: String? = nil
    ) {
        let pad = String(repeating: " ", count: indent)
        for (position, member) in object.members.sorted(by: { $0.key < $1.key }).enumerated() {
            let lead = (position == 0 ? firstPrefix : nil) ?? pad
            let key = scalar(.string(member.key))
            switch member.value {
            case .object(let child) where !child.isEmpty:
                output += "\(lead)\(key):\n"
                writeObject(child, indent: indent + 2, into: &output)
            case .array(let child) where !child.isEmpty:
                output += "\(lead)\(key):\n"
                writeArray(child, indent: indent, into: &output)
            default:
                output += "\(lead)\(key): \(scalar(member.value))\n"
            }
        }
    }

    private static func writeArray(_ array: [JSONValue], indent: Int, into output: inout String) {
        let pad = String(repeating: " ", count: indent)
        for element in array {
            switch element {
            case .object(let child) where !child.isEmpty:
                writeObject(child, indent: indent + 2, into: &output, firstPrefix: pad + "- ")
            case .array(let child) where !child.isEmpty:
                output += "\(pad)-\n"
                writeArray(child, indent: indent + 2, into: &output)
            default:
                output += "\(pad)- \(scalar(element))\n"
            }
        }
    }

    private static func scalar(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .double(let number): return JSONWriter.formatDouble(number)
        case .object: return "{}"
        case .array: return "[]"
        case .string(let string):
            return needsQuotes(string) ? String(decoding: JSONWriter.encode(.string(string)), as: UTF8.self) : string
        }
    }

    private static func needsQuotes(_ string: String) -> Bool {
        if string.isEmpty { return true }
        if ["true", "false", "null", "yes", "no", "on", "off", "~", "y", "n"].contains(string.lowercased()) {
            return true
        }
        if Double(string) != nil || Int(string) != nil { return true }
        if string.first == " " || string.last == " " { return true }
        if let first = string.first, "-?:,[]{}#&*!|>'\"%@`".contains(first) { return true }
        if string.contains(": ") || string.contains(" #") || string.contains("\n") { return true }
        // Timestamps would be read back as dates.
        if string.count >= 10, string.prefix(4).allSatisfy(\.isNumber), string.dropFirst(4).first == "-" {
            return true
        }
        return false
    }
}
