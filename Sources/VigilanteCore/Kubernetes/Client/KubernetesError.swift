/// A failed Kubernetes API call, classified so callers can react by case, carrying the server's ``Status``.
public enum KubernetesError: Error, Sendable, CustomStringConvertible {
    /// 404: the object (or its namespace) does not exist.
    case notFound(Status)
    /// 409 `AlreadyExists`: a create found an object with that name.
    case alreadyExists(Status)
    /// 409 `Conflict`: the resourceVersion (or a precondition) did not match.
    case conflict(Status)
    /// 410 `Expired`: the resourceVersion or continue token is too old; relist.
    case gone(Status)
    /// 422 `Invalid`: validation failed; ``Status/details`` holds the causes.
    case invalid(Status)
    /// 400: the request was malformed.
    case badRequest(Status)
    /// 401: the credentials were rejected.
    case unauthorized(Status)
    /// 403: the user may not do this (RBAC).
    case forbidden(Status)
    /// 429: throttled; retry after the given delay.
    case tooManyRequests(retryAfter: Duration?, Status)
    /// Any other status code (5xx and the rarer 4xx such as 405/406/415).
    case server(code: Int, Status)
    /// The request did not get an HTTP response: connection refused, TLS failure, timeout.
    case transport(String, underlying: any Error)
    /// The response could not be decoded into the expected type.
    case decoding(String, underlying: any Error)
    /// The client is read-only (dry run) and refused a mutating call without sending it.
    case dryRun(String)

    /// Maps an HTTP error status and its body to a case.
    static func from(code: Int, status: Status, retryAfter: Duration?) -> KubernetesError {
        switch code {
        case 400: return .badRequest(status)
        case 401: return .unauthorized(status)
        case 403: return .forbidden(status)
        case 404: return .notFound(status)
        case 409: return status.reason == "AlreadyExists" ? .alreadyExists(status) : .conflict(status)
        case 410: return .gone(status)
        case 422: return .invalid(status)
        case 429: return .tooManyRequests(retryAfter: retryAfter, status)
        default: return .server(code: code, status)
        }
    }

    /// The server's Status, when the server answered.
    public var status: Status? {
        switch self {
        case .notFound(let status), .alreadyExists(let status), .conflict(let status), .gone(let status),
            .invalid(let status), .badRequest(let status), .unauthorized(let status), .forbidden(let status),
            .tooManyRequests(_, let status), .server(_, let status):
            return status
        case .transport, .decoding, .dryRun:
            return nil
        }
    }

    /// The HTTP status code, when the server answered.
    public var code: Int? {
        switch self {
        case .notFound: return 404
        case .alreadyExists, .conflict: return 409
        case .gone: return 410
        case .invalid: return 422
        case .badRequest: return 400
        case .unauthorized: return 401
        case .forbidden: return 403
        case .tooManyRequests: return 429
        case .server(let code, _): return code
        case .transport, .decoding, .dryRun: return nil
        }
    }

    /// The server's message, or a description of the local failure.
    public var message: String {
        switch self {
        case .transport(let message, _), .decoding(let message, _), .dryRun(let message):
            return message
        default:
            return status?.description ?? "unknown error"
        }
    }

    /// Whether a later identical request may succeed (transport failures, 429, 5xx).
    public var isTransient: Bool {
        switch self {
        case .transport, .tooManyRequests: return true
        case .server(let code, _): return code >= 500
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .notFound: return "not found: \(message)"
        case .alreadyExists: return "already exists: \(message)"
        case .conflict: return "conflict: \(message)"
        case .gone: return "gone (410): \(message)"
        case .invalid: return "invalid: \(message)"
        case .badRequest: return "bad request: \(message)"
        case .unauthorized: return "unauthorized: \(message)"
        case .forbidden: return "forbidden: \(message)"
        case .tooManyRequests(let retryAfter, _):
            return "too many requests (retry after \(retryAfter.map { "\($0)" } ?? "unspecified")): \(message)"
        case .server(let code, _): return "server error \(code): \(message)"
        case .transport(let message, let underlying):
            // A connection failure's message already says what happened and to which server.
            if underlying is ConnectionFailure { return "transport error: \(message)" }
            return "transport error: \(message) (\(underlying))"
        case .decoding(let message, let underlying): return "decoding error: \(message) (\(underlying))"
        case .dryRun(let message): return "dry run: \(message)"
        }
    }
}
