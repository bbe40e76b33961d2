import Foundation
import Yams

@testable import VigilanteCore

/// docs/openapi.yaml, with a small structural validator for response bodies: `$ref`, `type`,
/// `nullable`, `required`, `properties`, `items`, `enum`, `minimum`, `pattern` and `format:
/// date-time`. Stricter than OpenAPI in one respect: a property the schema does not list is an
/// error, so the document cannot fall behind the server.
struct OpenAPIDocument {
    let root: [String: Any]

    /// The repository's docs/openapi.yaml.
    static func load() throws -> OpenAPIDocument {
        var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("docs/openapi.yaml").path) {
            guard folder.path != "/" else {
                throw DocumentError.invalid("docs/openapi.yaml not found above \(#filePath)")
            }
            folder = folder.deletingLastPathComponent()
        }
        let text = try String(contentsOf: folder.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        guard let root = try Yams.load(yaml: text) as? [String: Any] else {
            throw DocumentError.invalid("docs/openapi.yaml is not a mapping")
        }
        return OpenAPIDocument(root: root)
    }

    enum DocumentError: Error, CustomStringConvertible {
        case invalid(String)
        var description: String {
            switch self {
            case .invalid(let message): message
            }
        }
    }

    /// The documented path templates.
    var paths: Set<String> {
        Set((root["paths"] as? [String: Any])?.keys.map { $0 } ?? [])
    }

    /// The documented response of an operation for a status, with `$ref` resolved.
    func response(path: String, method: String, status: Int) -> [String: Any]? {
        guard let pathItem = (root["paths"] as? [String: Any])?[path] as? [String: Any],
            let operation = pathItem[method.lowercased()] as? [String: Any],
            let responses = operation["responses"] as? [String: Any],
            let response = responses[String(status)] as? [String: Any]
        else { return nil }
        return resolve(response)
    }

    /// Validates a response body: its content type must be documented, and a JSON body must match
    /// the schema. Returns the problems found (empty when it conforms).
    func validate(path: String, method: String, status: Int, contentType: String?, body: Data) -> [String] {
        guard let response = response(path: path, method: method, status: status) else {
            return ["\(method) \(path): status \(status) is not documented"]
        }
        guard let content = response["content"] as? [String: Any] else {
            return body.isEmpty ? [] : ["\(method) \(path) \(status): a body is returned but none is documented"]
        }
        // An exact match first (`/metrics` documents its parameters); else the media type without parameters.
        let mediaType = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) }
        guard let contentType, let mediaType,
            let media = (content[contentType] ?? content[mediaType]) as? [String: Any]
        else {
            return ["\(method) \(path) \(status): content type \(contentType ?? "none") is not documented"]
        }
        guard let schema = media["schema"] as? [String: Any] else { return [] }
        guard mediaType == "application/json" else {
            return resolve(schema)["type"] as? String == "string" ? [] : ["non-JSON body with a non-string schema"]
        }
        let value: RawJSON
        do {
            value = try JSONDecoder().decode(RawJSON.self, from: body)
        } catch {
            return ["\(method) \(path) \(status): the body is not JSON: \(error)"]
        }
        return validate(value, against: schema, at: "$")
    }

    /// Validates a JSON value against a schema; returns the problems with their JSON paths.
    func validate(_ value: RawJSON, against unresolved: [String: Any], at pointer: String) -> [String] {
        let schema = resolve(unresolved)
        if case .null = value {
            return schema["nullable"] as? Bool == true ? [] : ["\(pointer): null is not allowed"]
        }
        var problems: [String] = []
        if let type = schema["type"] as? String, !Self.matches(value, type: type) {
            return ["\(pointer): expected \(type), found \(value)"]
        }
        if let allowed = schema["enum"] as? [Any] {
            let texts = allowed.map { "\($0)" }
            let actual: String? =
                switch value {
                case .string(let text): text
                case .number(let number): number.rounded() == number ? String(Int(number)) : String(number)
                case .bool(let flag): String(flag)
                default: nil
                }
            if actual.map({ !texts.contains($0) }) ?? true {
                problems.append("\(pointer): \(value) is not one of \(texts)")
            }
        }
        if let minimum = schema["minimum"] as? Double ?? (schema["minimum"] as? Int).map(Double.init),
            case .number(let number) = value, number < minimum
        {
            problems.append("\(pointer): \(number) is below the minimum \(minimum)")
        }
        if case .string(let text) = value {
            if schema["format"] as? String == "date-time", ISO8601DateFormatter().date(from: text) == nil {
                problems.append("\(pointer): \"\(text)\" is not an RFC 3339 date-time")
            }
            if let pattern = schema["pattern"] as? String, text.range(of: pattern, options: .regularExpression) == nil {
                problems.append("\(pointer): \"\(text)\" does not match \(pattern)")
            }
        }
        if case .object(let members) = value {
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for required in schema["required"] as? [String] ?? [] where members[required] == nil {
                problems.append("\(pointer): the required property \"\(required)\" is missing")
            }
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                guard let propertySchema = properties[name] as? [String: Any] else {
                    if schema["properties"] != nil {
                        problems.append("\(pointer): the property \"\(name)\" is not documented")
                    }
                    continue
                }
                problems += validate(member, against: propertySchema, at: "\(pointer).\(name)")
            }
        }
        if case .array(let elements) = value, let items = schema["items"] as? [String: Any] {
            for (index, element) in elements.enumerated() {
                problems += validate(element, against: items, at: "\(pointer)[\(index)]")
            }
        }
        return problems
    }

    private func resolve(_ schema: [String: Any]) -> [String: Any] {
        guard let reference = schema["$ref"] as? String, reference.hasPrefix("#/") else { return schema }
        var node: Any = root
        for component in reference.dropFirst(2).split(separator: "/") {
            guard let next = (node as? [String: Any])?[String(component)] else { return [:] }
            node = next
        }
        return resolve(node as? [String: Any] ?? [:])
    }

    private static func matches(_ value: RawJSON, type: String) -> Bool {
        switch (type, value) {
        case ("string", .string), ("boolean", .bool), ("array", .array), ("object", .object), ("number", .number):
            true
        case ("integer", .number(let number)):
            number.rounded() == number
        default:
            false
        }
    }
}
