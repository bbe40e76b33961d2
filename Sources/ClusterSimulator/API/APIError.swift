/// An error answered as a Kubernetes `Status` object (or, where the real server does so, as text).
struct APIError: Error, Sendable {
    /// One `details.causes[]` entry.
    struct Cause: Sendable {
        var reason: String
        var message: String
        var field: String?
    }

    var code: Int
    var reason: String
    var message: String
    /// nil: no `details` member; otherwise the members of `details` in order (may be empty: `{}`).
    var details: JSONObject?
    var causes: [Cause] = []
    /// Extra response headers (Retry-After).
    var headers: [(String, String)] = []
    /// A text/plain body instead of a Status (404 page not found, 429 from the throttle).
    var plainText: String?
    /// `metadata` of the Status (the new continue token of an expired list).
    var metadata: JSONObject = JSONObject()
    /// Written by the authorization filter, which adds `X-Content-Type-Options: nosniff` (admission's
    /// 403s, such as Pod Security's, come without it).
    var noSniff = false

    var status: JSONValue {
        var object = JSONObject()
        object["kind"] = "Status"
        object["apiVersion"] = "v1"
        object["metadata"] = .object(metadata)
        object["status"] = "Failure"
        object["message"] = .string(message)
        object["reason"] = .string(reason)
        if var details {
            if !causes.isEmpty {
                details["causes"] = .array(
                    causes.map { cause in
                        var entry = JSONObject()
                        entry["reason"] = .string(cause.reason)
                        entry["message"] = .string(cause.message)
                        if let field = cause.field { entry["field"] = .string(field) }
                        return .object(entry)
                    })
            }
            object["details"] = .object(details)
        }
        object["code"] = .int(code)
        return .object(object)
    }

    /// `details` for an object error: name, group (non-core only), kind.
    static func objectDetails(name: String?, group: String, kind: String) -> JSONObject {
        var details = JSONObject()
        if let name, !name.isEmpty { details["name"] = .string(name) }
        if !group.isEmpty { details["group"] = .string(group) }
        details["kind"] = .string(kind)
        return details
    }

    static func qualified(_ resource: String, group: String) -> String {
        group.isEmpty ? resource : "\(resource).\(group)"
    }

    static func notFound(resource: String, group: String, name: String) -> APIError {
        APIError(
            code: 404, reason: "NotFound", message: "\(qualified(resource, group: group)) \"\(name)\" not found",
            details: objectDetails(name: name, group: group, kind: resource))
    }

    static func alreadyExists(resource: String, group: String, name: String) -> APIError {
        APIError(
            code: 409, reason: "AlreadyExists",
            message: "\(qualified(resource, group: group)) \"\(name)\" already exists",
            details: objectDetails(name: name, group: group, kind: resource))
    }

    static func conflict(resource: String, group: String, name: String) -> APIError {
        APIError(
            code: 409, reason: "Conflict",
            message:
                "Operation cannot be fulfilled on \(qualified(resource, group: group)) \"\(name)\": the object has been modified; please apply your changes to the latest version and try again",
            details: objectDetails(name: name, group: group, kind: resource))
    }

    static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message, details: nil)
    }

    /// 422 with causes; `kind` is the Kind (not the resource), as the real server reports it.
    static func invalid(kind: String, group: String, name: String, causes: [Cause]) -> APIError {
        let summary: String
        let parts = causes.map { cause in cause.field.map { "\($0): \(cause.message)" } ?? cause.message }
        summary = parts.count == 1 ? parts[0] : "[\(parts.joined(separator: ", "))]"
        var error = APIError(
            code: 422, reason: "Invalid", message: "\(kind) \"\(name)\" is invalid: \(summary)",
            details: objectDetails(name: name, group: group, kind: kind))
        error.causes = causes
        return error
    }

    /// The generic 422 for a patch that cannot be applied.
    static var patchRejected: APIError {
        APIError(
            code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request",
            details: JSONObject())
    }

    static func forbidden(
        user: String, verb: String, resource: String, group: String, name: String?, namespace: String?
    )
        -> APIError
    {
        let subject = name.map { "\(qualified(resource, group: group)) \"\($0)\"" } ?? qualified(resource, group: group)
        let scope = namespace.map { "in the namespace \"\($0)\"" } ?? "at the cluster scope"
        let baseResource = resource.split(separator: "/").first.map(String.init) ?? resource
        var details = JSONObject()
        if let name { details["name"] = .string(name) }
        if !group.isEmpty { details["group"] = .string(group) }
        details["kind"] = .string(baseResource)
        var error = APIError(
            code: 403, reason: "Forbidden",
            message:
                "\(subject) is forbidden: User \"\(user)\" cannot \(verb) resource \"\(resource)\" in API group \"\(group)\" \(scope)",
            details: details)
        error.noSniff = true
        return error
    }

    static func forbiddenPath(user: String, verb: String, path: String) -> APIError {
        var error = APIError(
            code: 403, reason: "Forbidden",
            message: "forbidden: User \"\(user)\" cannot \(verb) path \"\(path)\"", details: JSONObject())
        error.noSniff = true
        return error
    }

    static var unauthorized: APIError {
        APIError(code: 401, reason: "Unauthorized", message: "Unauthorized", details: nil)
    }

    static var resourceNotFound: APIError {
        APIError(
            code: 404, reason: "NotFound", message: "the server could not find the requested resource",
            details: JSONObject())
    }

    static var pageNotFound: APIError {
        APIError(code: 404, reason: "NotFound", message: "404 page not found", plainText: "404 page not found\n")
    }

    static var methodNotAllowed: APIError {
        APIError(
            code: 405, reason: "MethodNotAllowed",
            message: "the server does not allow this method on the requested resource",
            details: JSONObject())
    }

    static var unsupportedPatchType: APIError {
        APIError(
            code: 415, reason: "UnsupportedMediaType", message: "415: Unsupported Media Type", details: JSONObject())
    }

    static var unsupportedBodyType: APIError {
        APIError(
            code: 415, reason: "UnsupportedMediaType",
            message:
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf",
            details: nil)
    }

    static var notAcceptable: APIError {
        APIError(
            code: 406, reason: "NotAcceptable",
            message:
                "406: Not Acceptable\n\nAvailable representations: application/json, application/yaml, application/vnd.kubernetes.protobuf",
            details: JSONObject())
    }

    static func expired(_ message: String) -> APIError {
        APIError(code: 410, reason: "Expired", message: message, details: nil)
    }

    static func tooManyRequests(retryAfter: Int) -> APIError {
        APIError(
            code: 429, reason: "TooManyRequests", message: "Too many requests, please try again later.",
            headers: [("Retry-After", String(retryAfter))],
            plainText: "Too many requests, please try again later.\n")
    }

    static func internalError(_ message: String) -> APIError {
        var details = JSONObject()
        details["causes"] = [["message": .string(message)]]
        return APIError(
            code: 500, reason: "InternalError", message: "Internal error occurred: \(message)", details: details)
    }

    static func serviceUnavailable(_ message: String, retryAfter: Int) -> APIError {
        APIError(
            code: 503, reason: "ServiceUnavailable", message: message, details: JSONObject(),
            headers: [("Retry-After", String(retryAfter))])
    }

    /// 422 about list options (`ListOptions.meta.k8s.io "" is invalid`).
    static func invalidListOptions(field: String, detail: String) -> APIError {
        var details = JSONObject()
        details["group"] = "meta.k8s.io"
        details["kind"] = "ListOptions"
        var error = APIError(
            code: 422, reason: "Invalid",
            message: "ListOptions.meta.k8s.io \"\" is invalid: \(field): Forbidden: \(detail)", details: details)
        error.causes = [Cause(reason: "FieldValueForbidden", message: "Forbidden: \(detail)", field: field)]
        return error
    }
}
