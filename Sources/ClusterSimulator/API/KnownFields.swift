/// Which members of a core-group object Go's strict decoder knows, from the real server's own OpenAPI
/// v3 schemas of the core group (the recorded `/openapi/v3/api/v1`, generated from the same Go types).
///
/// `unknown field "spec.bogusField"` is what the server reports for a member its decoder drops: an
/// error with `fieldValidation=Strict` (kubectl's default), a warning otherwise. Objects of other groups
/// are not checked (their documents are not embedded).
enum KnownFields {
    /// `components.schemas` of the core group's document.
    private static let schemas: JSONObject = {
        guard let document = try? JSONParser.parse(OpenAPIDocuments.v3CoreV1.bytes),
            let schemas = document["components"]?["schemas"]?.objectValue
        else { preconditionFailure("the embedded OpenAPI v3 document has no schemas; regenerate it") }
        return schemas
    }()

    /// Removes from `object` (a core-group `kind`) every member its schema does not have; returns
    /// their paths in document order (`spec.containers[0].bogus`).
    static func dropUnknown(kind: String, from object: inout JSONObject) -> [String] {
        guard let schema = schemas["io.k8s.api.core.v1.\(kind)"]?.objectValue else { return [] }
        var unknown: [String] = []
        dropUnknown(in: &object, schema: schema, path: "", unknown: &unknown)
        return unknown
    }

    private static func dropUnknown(
        in object: inout JSONObject, schema: JSONObject, path: String, unknown: inout [String]
    ) {
        let schema = resolved(schema)
        if let properties = schema["properties"]?.objectValue {
            for key in object.keys {
                let memberPath = path.isEmpty ? key : "\(path).\(key)"
                guard let member = properties[key]?.objectValue else {
                    unknown.append(memberPath)
                    object[key] = nil
                    continue
                }
                if var value = object[key] {
                    dropUnknown(in: &value, schema: member, path: memberPath, unknown: &unknown)
                    object[key] = value
                }
            }
        } else if let values = schema["additionalProperties"]?.objectValue {
            for key in object.keys {
                guard var value = object[key] else { continue }
                dropUnknown(in: &value, schema: values, path: "\(path)[\(key)]", unknown: &unknown)
                object[key] = value
            }
        }
    }

    private static func dropUnknown(
        in value: inout JSONValue, schema: JSONObject, path: String, unknown: inout [String]
    ) {
        switch value {
        case .object(var object):
            value = .null
            dropUnknown(in: &object, schema: schema, path: path, unknown: &unknown)
            value = .object(object)
        case .array(var elements):
            guard let items = resolved(schema)["items"]?.objectValue else { return }
            value = .null
            for index in elements.indices {
                dropUnknown(in: &elements[index], schema: items, path: "\(path)[\(index)]", unknown: &unknown)
            }
            value = .array(elements)
        default:
            return
        }
    }

    /// The schema a `$ref` (or an `allOf` of one `$ref`, as the generator wraps referenced types) names.
    private static func resolved(_ schema: JSONObject) -> JSONObject {
        var reference = schema["$ref"]?.stringValue
        if reference == nil, let parts = schema["allOf"]?.arrayValue, parts.count == 1 {
            reference = parts[0]["$ref"]?.stringValue
        }
        guard let reference, let name = reference.split(separator: "/").last,
            let target = schemas[String(name)]?.objectValue
        else { return schema }
        return target
    }
}
