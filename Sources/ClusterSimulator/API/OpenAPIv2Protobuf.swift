/// The protobuf form of the OpenAPI v2 document, as kube-openapi serves it for
/// `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`: the gnostic
/// `openapi.v2.Document` message (github.com/google/gnostic-models, `openapiv2/OpenAPIv2.proto`) that
/// gnostic's compiler makes of the JSON document. kubectl 1.28 reads only this form when it validates a
/// manifest (`kubectl create -f`), through kube-openapi's `proto.NewOpenAPIData`; 1.32 and later read
/// the v3 documents.
///
/// Encoded from the recorded JSON document (so the binary carries the document once), with gnostic's
/// mapping: a parameter or response with `$ref` becomes a `JsonReference`; a parameter is a body
/// parameter or, by its `in`, a header, form-data, query or path sub-schema; `type` is a list; every
/// `x-` member is a vendor extension and every free-form value (`default`, `enum`, `example`, vendor
/// extensions) an `Any` holding the value as YAML. Fields are written in field-number order and
/// proto3 defaults (empty strings, false, 0) are left out, as Go's encoder does.
enum OpenAPIv2Protobuf {
    static func encode(_ document: JSONValue) -> [UInt8] {
        var writer = ProtobufWriter()
        guard let object = document.objectValue else { return [] }
        writer.string(1, object["swagger"])
        writer.message(2, object["info"]) { info, writer in
            writer.string(1, info["title"])
            writer.string(2, info["version"])
            writer.string(3, info["description"])
            writer.string(4, info["termsOfService"])
            writer.extensions(7, info)
        }
        writer.string(3, object["host"])
        writer.string(4, object["basePath"])
        writer.strings(5, object["schemes"])
        writer.strings(6, object["consumes"])
        writer.strings(7, object["produces"])
        writer.message(8, object["paths"]) { paths, writer in
            writer.extensions(1, paths)
            for member in paths.members where !member.key.hasPrefix("x-") {
                writer.named(2, member.key) { writer in
                    writer.message(2, member.value) { item, writer in pathItem(item, &writer) }
                }
            }
        }
        writer.message(9, object["definitions"]) { definitions, writer in
            writer.namedMessages(1, definitions) { schema, writer in self.schema(schema, &writer) }
        }
        writer.message(10, object["parameters"]) { parameters, writer in
            writer.namedMessages(1, parameters) { parameter, writer in self.parameter(parameter, &writer) }
        }
        writer.message(11, object["responses"]) { responses, writer in
            writer.namedMessages(1, responses) { response, writer in self.response(response, &writer) }
        }
        for requirement in object["security"]?.arrayValue ?? [] {
            writer.message(12, requirement) { requirement, writer in
                for member in requirement.members {
                    writer.named(1, member.key) { writer in
                        writer.message(2, .object(JSONObject())) { _, writer in writer.strings(1, member.value) }
                    }
                }
            }
        }
        writer.message(13, object["securityDefinitions"]) { definitions, writer in
            writer.namedMessages(1, definitions) { definition, writer in
                // SecurityDefinitionsItem: basic 1, apiKey 2, oauth2 implicit 3, password 4, application 5,
                // accessCode 6.
                switch (definition["type"]?.stringValue, definition["flow"]?.stringValue) {
                case ("basic", _):
                    writer.message(1, .object(definition)) { security, writer in
                        writer.string(1, security["type"])
                        writer.string(2, security["description"])
                        writer.extensions(3, security)
                    }
                case ("apiKey", _):
                    writer.message(2, .object(definition)) { security, writer in
                        writer.string(1, security["type"])
                        writer.string(2, security["name"])
                        writer.string(3, security["in"])
                        writer.string(4, security["description"])
                        writer.extensions(5, security)
                    }
                default:
                    break
                }
            }
        }
        for tag in object["tags"]?.arrayValue ?? [] {
            writer.message(14, tag) { tag, writer in
                writer.string(1, tag["name"])
                writer.string(2, tag["description"])
                writer.extensions(4, tag)
            }
        }
        writer.extensions(16, object)
        return writer.bytes
    }

    /// PathItem's operation fields, in field-number order.
    private static let operations = [
        ("get", 2), ("put", 3), ("post", 4), ("delete", 5), ("options", 6), ("head", 7), ("patch", 8),
    ]

    private static func pathItem(_ item: JSONObject, _ writer: inout ProtobufWriter) {
        writer.string(1, item["$ref"])
        for (method, field) in operations {
            writer.message(field, item[method]) { operation, writer in self.operation(operation, &writer) }
        }
        parameterItems(9, item["parameters"], &writer)
        writer.extensions(10, item)
    }

    private static func operation(_ operation: JSONObject, _ writer: inout ProtobufWriter) {
        writer.strings(1, operation["tags"])
        writer.string(2, operation["summary"])
        writer.string(3, operation["description"])
        writer.string(5, operation["operationId"])
        writer.strings(6, operation["produces"])
        writer.strings(7, operation["consumes"])
        parameterItems(8, operation["parameters"], &writer)
        writer.message(9, operation["responses"]) { responses, writer in
            for member in responses.members where !member.key.hasPrefix("x-") {
                writer.named(1, member.key) { writer in
                    writer.message(2, member.value) { response, writer in self.response(response, &writer) }
                }
            }
            writer.extensions(2, responses)
        }
        writer.strings(10, operation["schemes"])
        writer.bool(11, operation["deprecated"])
        writer.extensions(13, operation)
    }

    /// `ParametersItem`: a parameter (1) or a `JsonReference` (2).
    private static func parameterItems(_ field: Int, _ items: JSONValue?, _ writer: inout ProtobufWriter) {
        for item in items?.arrayValue ?? [] {
            writer.message(field, item) { item, writer in
                if item["$ref"] != nil {
                    writer.message(2, .object(item)) { reference, writer in jsonReference(reference, &writer) }
                } else {
                    writer.message(1, .object(item)) { parameter, writer in self.parameter(parameter, &writer) }
                }
            }
        }
    }

    private static func jsonReference(_ reference: JSONObject, _ writer: inout ProtobufWriter) {
        writer.string(1, reference["$ref"])
        writer.string(2, reference["description"])
    }

    /// `Parameter`: a body parameter (1) or a non-body one (2), whose sub-schema depends on `in`.
    private static func parameter(_ parameter: JSONObject, _ writer: inout ProtobufWriter) {
        let location = parameter["in"]?.stringValue ?? ""
        if location == "body" {
            writer.message(1, .object(parameter)) { body, writer in
                writer.string(1, body["description"])
                writer.string(2, body["name"])
                writer.string(3, body["in"])
                writer.bool(4, body["required"])
                writer.message(5, body["schema"]) { schema, writer in self.schema(schema, &writer) }
                writer.extensions(6, body)
            }
            return
        }
        // NonBodyParameter: header 1, formData 2, query 3, path 4. Query and form data have
        // allowEmptyValue as field 5, so their primitive fields start at 6; the others' at 5.
        let (choice, first): (Int, Int) =
            switch location {
            case "header": (1, 5)
            case "formData": (2, 6)
            case "query": (3, 6)
            default: (4, 5)
            }
        writer.message(2, .object(parameter)) { parameter, writer in
            writer.message(choice, .object(parameter)) { parameter, writer in
                writer.bool(1, parameter["required"])
                writer.string(2, parameter["in"])
                writer.string(3, parameter["description"])
                writer.string(4, parameter["name"])
                if first == 6 { writer.bool(5, parameter["allowEmptyValue"]) }
                primitiveFields(from: first, parameter, &writer)
            }
        }
    }

    /// The fields parameters, `PrimitivesItems` and headers share, numbered from `first` in this order.
    private static func primitiveFields(from first: Int, _ object: JSONObject, _ writer: inout ProtobufWriter) {
        writer.string(first, object["type"])
        writer.string(first + 1, object["format"])
        writer.message(first + 2, object["items"]) { items, writer in primitiveFields(from: 1, items, &writer) }
        writer.string(first + 3, object["collectionFormat"])
        writer.any(first + 4, object["default"])
        writer.double(first + 5, object["maximum"])
        writer.bool(first + 6, object["exclusiveMaximum"])
        writer.double(first + 7, object["minimum"])
        writer.bool(first + 8, object["exclusiveMinimum"])
        writer.int(first + 9, object["maxLength"])
        writer.int(first + 10, object["minLength"])
        writer.string(first + 11, object["pattern"])
        writer.int(first + 12, object["maxItems"])
        writer.int(first + 13, object["minItems"])
        writer.bool(first + 14, object["uniqueItems"])
        for value in object["enum"]?.arrayValue ?? [] { writer.any(first + 15, value) }
        writer.double(first + 16, object["multipleOf"])
        writer.extensions(first + 17, object)
    }

    /// `ResponseValue`: a response (1) or a `JsonReference` (2).
    private static func response(_ response: JSONObject, _ writer: inout ProtobufWriter) {
        if response["$ref"] != nil {
            writer.message(2, .object(response)) { reference, writer in jsonReference(reference, &writer) }
            return
        }
        writer.message(1, .object(response)) { response, writer in
            writer.string(1, response["description"])
            // SchemaItem: a schema (1) or, for `type: file`, a FileSchema (2).
            writer.message(2, response["schema"]) { schema, writer in
                if schema["type"]?.stringValue == "file" {
                    writer.message(2, .object(schema)) { file, writer in
                        writer.string(1, file["format"])
                        writer.string(2, file["title"])
                        writer.string(3, file["description"])
                        writer.any(4, file["default"])
                        writer.strings(5, file["required"])
                        writer.string(6, file["type"])
                        writer.bool(7, file["readOnly"])
                        writer.any(9, file["example"])
                        writer.extensions(10, file)
                    }
                } else {
                    writer.message(1, .object(schema)) { schema, writer in self.schema(schema, &writer) }
                }
            }
            writer.extensions(5, response)
        }
    }

    private static func schema(_ schema: JSONObject, _ writer: inout ProtobufWriter) {
        writer.string(1, schema["$ref"])
        writer.string(2, schema["format"])
        writer.string(3, schema["title"])
        writer.string(4, schema["description"])
        writer.any(5, schema["default"])
        writer.double(6, schema["multipleOf"])
        writer.double(7, schema["maximum"])
        writer.bool(8, schema["exclusiveMaximum"])
        writer.double(9, schema["minimum"])
        writer.bool(10, schema["exclusiveMinimum"])
        writer.int(11, schema["maxLength"])
        writer.int(12, schema["minLength"])
        writer.string(13, schema["pattern"])
        writer.int(14, schema["maxItems"])
        writer.int(15, schema["minItems"])
        writer.bool(16, schema["uniqueItems"])
        writer.int(17, schema["maxProperties"])
        writer.int(18, schema["minProperties"])
        writer.strings(19, schema["required"])
        for value in schema["enum"]?.arrayValue ?? [] { writer.any(20, value) }
        // AdditionalPropertiesItem: a schema (1) or a boolean (2).
        switch schema["additionalProperties"] {
        case .bool(let allowed):
            writer.message(21, .object(JSONObject())) { _, writer in writer.forcedBool(2, allowed) }
        case .object(let additional):
            writer.message(21, .object(additional)) { additional, writer in
                writer.message(1, .object(additional)) { additional, writer in self.schema(additional, &writer) }
            }
        default:
            break
        }
        // TypeItem: the type as a list.
        switch schema["type"] {
        case .string(let type):
            writer.message(22, .object(JSONObject())) { _, writer in writer.strings(1, .array([.string(type)])) }
        case .array(let types):
            writer.message(22, .object(JSONObject())) { _, writer in writer.strings(1, .array(types)) }
        default:
            break
        }
        // ItemsItem: one schema or a list of them.
        switch schema["items"] {
        case .object(let items):
            writer.message(23, .object(items)) { items, writer in
                writer.message(1, .object(items)) { items, writer in self.schema(items, &writer) }
            }
        case .array(let items):
            writer.message(23, .object(JSONObject())) { _, writer in
                for item in items {
                    writer.message(1, item) { item, writer in self.schema(item, &writer) }
                }
            }
        default:
            break
        }
        for part in schema["allOf"]?.arrayValue ?? [] {
            writer.message(24, part) { part, writer in self.schema(part, &writer) }
        }
        writer.message(25, schema["properties"]) { properties, writer in
            writer.namedMessages(1, properties) { property, writer in self.schema(property, &writer) }
        }
        writer.string(26, schema["discriminator"])
        writer.bool(27, schema["readOnly"])
        writer.any(30, schema["example"])
        writer.extensions(31, schema)
    }
}

/// Protocol buffers wire format, the few field kinds the gnostic messages use.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    private mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private mutating func key(_ field: Int, wireType: UInt64) {
        varint(UInt64(field) << 3 | wireType)
    }

    private mutating func lengthDelimited(_ field: Int, _ payload: some Collection<UInt8>) {
        key(field, wireType: 2)
        varint(UInt64(payload.count))
        bytes.append(contentsOf: payload)
    }

    /// A string field; left out when missing or empty (the proto3 default).
    mutating func string(_ field: Int, _ value: JSONValue?) {
        guard let string = value?.stringValue, !string.isEmpty else { return }
        lengthDelimited(field, string.utf8)
    }

    /// A repeated string field from a JSON array of strings.
    mutating func strings(_ field: Int, _ value: JSONValue?) {
        for element in value?.arrayValue ?? [] {
            guard let string = element.stringValue else { continue }
            lengthDelimited(field, string.utf8)
        }
    }

    /// A bool field; left out when missing or false.
    mutating func bool(_ field: Int, _ value: JSONValue?) {
        guard value?.boolValue == true else { return }
        forcedBool(field, true)
    }

    /// A bool that is written even when false: the chosen member of a oneof.
    mutating func forcedBool(_ field: Int, _ value: Bool) {
        key(field, wireType: 0)
        varint(value ? 1 : 0)
    }

    /// An int64 field; left out when missing or 0.
    mutating func int(_ field: Int, _ value: JSONValue?) {
        guard let number = value?.intValue, number != 0 else { return }
        key(field, wireType: 0)
        varint(UInt64(bitPattern: Int64(number)))
    }

    /// A double field; left out when missing or 0.
    mutating func double(_ field: Int, _ value: JSONValue?) {
        guard let number = value?.doubleValue, number != 0 else { return }
        key(field, wireType: 1)
        withUnsafeBytes(of: number.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A message field built from a JSON object; left out when the member is missing or not an object.
    mutating func message(_ field: Int, _ value: JSONValue?, _ body: (JSONObject, inout ProtobufWriter) -> Void) {
        guard let object = value?.objectValue else { return }
        var inner = ProtobufWriter()
        body(object, &inner)
        lengthDelimited(field, inner.bytes)
    }

    /// A `Named…` entry: the name as field 1, the value written by `body`.
    mutating func named(_ field: Int, _ name: String, _ body: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        inner.lengthDelimited(1, name.utf8)
        body(&inner)
        lengthDelimited(field, inner.bytes)
    }

    /// A map as repeated `Named…` entries whose value (field 2) is a message.
    mutating func namedMessages(
        _ field: Int, _ map: JSONObject, _ body: (JSONObject, inout ProtobufWriter) -> Void
    ) {
        for member in map.members {
            named(field, member.key) { writer in writer.message(2, member.value, body) }
        }
    }

    /// `Any`: the value as YAML (field 2), as gnostic keeps free-form values.
    mutating func any(_ field: Int, _ value: JSONValue?) {
        guard let value else { return }
        var inner = ProtobufWriter()
        inner.lengthDelimited(2, YAMLWriter.encode(value).utf8)
        lengthDelimited(field, inner.bytes)
    }

    /// The object's `x-` members as repeated `NamedAny`.
    mutating func extensions(_ field: Int, _ object: JSONObject) {
        for member in object.members where member.key.hasPrefix("x-") {
            named(field, member.key) { writer in writer.any(2, member.value) }
        }
    }
}
