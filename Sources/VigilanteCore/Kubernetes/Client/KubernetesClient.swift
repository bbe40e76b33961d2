import Foundation
import Logging
import Metrics
import NIOCore

/// The operator's typed Kubernetes API client: get, list, create, update, merge-patch, delete and watch of
/// ``KubernetesResource`` types, with typed errors, retries and metrics.
///
/// Retries: requests that are safe to repeat (GET, LIST, DELETE, merge PATCH) are retried with exponential
/// backoff and jitter on transport errors and 5xx; every request is retried on 429 (honouring `Retry-After`)
/// and on connection failures, where the server never saw it. After a 401 the credentials are refreshed once
/// (rotated token file, expired exec credential) and the request is repeated. Every attempt of a mutating
/// request first takes a token from the configuration's ``WriteRateLimiter`` (`kubernetes.qps`/`burst`).
public final class KubernetesClient: Sendable {
    /// The tunables.
    public let configuration: KubernetesClientConfiguration
    /// The namespace used when a namespaced call passes none.
    public let defaultNamespace: String
    /// The request metrics.
    public let metrics: KubernetesClientMetrics
    let transport: any KubernetesTransport
    let credentials: any CredentialSource
    let logger: Logger

    /// Creates a client for a resolved connection over HTTPS.
    public convenience init(
        connection: KubernetesConnection,
        configuration: KubernetesClientConfiguration = KubernetesClientConfiguration(),
        logger: Logger = Logger(label: "vigilante.kubernetes"),
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) throws {
        let transport = try AsyncHTTPClientTransport(
            connection: connection,
            connectTimeout: configuration.connectTimeout,
            logger: logger
        )
        self.init(
            transport: transport,
            credentials: connection.credentials,
            defaultNamespace: connection.namespace,
            configuration: configuration,
            logger: logger,
            metrics: KubernetesClientMetrics(factory: metricsFactory)
        )
    }

    /// Creates a client over any transport (tests use a fake one).
    public init(
        transport: any KubernetesTransport,
        credentials: any CredentialSource = StaticCredentialSource(.anonymous),
        defaultNamespace: String = "default",
        configuration: KubernetesClientConfiguration = KubernetesClientConfiguration(),
        logger: Logger = Logger(label: "vigilante.kubernetes"),
        metrics: KubernetesClientMetrics = KubernetesClientMetrics()
    ) {
        self.transport = transport
        self.credentials = credentials
        self.defaultNamespace = defaultNamespace
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
    }

    /// Closes connections. Call once, when the client is no longer used.
    public func shutdown() async throws {
        try await transport.shutdown()
    }

    // MARK: - Request execution

    /// The API verb, as in RBAC and apiserver metrics.
    enum Verb: String, Sendable {
        case get, list, watch, create, update, patch, delete

        var method: String {
            switch self {
            case .get, .list, .watch: return "GET"
            case .create: return "POST"
            case .update: return "PUT"
            case .patch: return "PATCH"
            case .delete: return "DELETE"
            }
        }

        var isMutating: Bool {
            switch self {
            case .get, .list, .watch: return false
            case .create, .update, .patch, .delete: return true
            }
        }

        /// Whether repeating the request after an unknown outcome is harmless.
        var isIdempotent: Bool {
            switch self {
            case .get, .list, .watch, .patch, .delete: return true
            case .create, .update: return false
            }
        }
    }

    struct Request: Sendable {
        var verb: Verb
        var resource: String
        var path: String
        var query: [(String, String)] = []
        var body: [UInt8]?
        var contentType: String?
        var timeout: Duration?
        /// What the request is about, for messages (`nodes/akswin000001`).
        var target: String
    }

    /// Runs a request with retries; returns the first 2xx response with its body unread.
    func execute(_ request: Request) async throws -> KubernetesHTTPResponse {
        if configuration.readOnly, request.verb.isMutating {
            throw KubernetesError.dryRun(
                "\(request.verb.rawValue) \(request.target) was not sent: the client is read-only (dry run)"
            )
        }
        var attempt = 0
        var refreshedCredentials = false
        while true {
            try Task.checkCancellation()
            attempt += 1
            if request.verb.isMutating, let limiter = configuration.writeLimiter {
                try await limiter.acquire()
            }
            let credentials = try await self.credentials.credentials()
            var headers: [(String, String)] = [
                ("Accept", "application/json"),
                ("User-Agent", configuration.userAgent),
            ]
            if let token = credentials.bearerToken {
                headers.append(("Authorization", "Bearer \(token)"))
            }
            if let contentType = request.contentType {
                headers.append(("Content-Type", contentType))
            }
            let httpRequest = KubernetesHTTPRequest(
                method: request.verb.method,
                pathAndQuery: request.path + Self.encodeQuery(request.query),
                headers: headers,
                body: request.body,
                timeout: request.timeout ?? configuration.requestTimeout,
                clientIdentity: credentials.clientIdentity
            )
            let started = ContinuousClock.now
            let failure: KubernetesError
            var neverSent = false
            do {
                let response = try await transport.send(httpRequest)
                let elapsed = ContinuousClock.now - started
                if (200..<300).contains(response.status) {
                    metrics.recordRequest(
                        verb: request.verb.rawValue,
                        resource: request.resource,
                        code: String(response.status),
                        duration: elapsed
                    )
                    return response
                }
                failure = await Self.error(from: response)
                metrics.recordRequest(
                    verb: request.verb.rawValue,
                    resource: request.resource,
                    code: String(response.status),
                    duration: ContinuousClock.now - started
                )
            } catch {
                metrics.recordRequest(
                    verb: request.verb.rawValue,
                    resource: request.resource,
                    code: "error",
                    duration: ContinuousClock.now - started
                )
                if Task.isCancelled || error is CancellationError {
                    throw CancellationError()
                }
                if let kubernetesError = error as? KubernetesError {
                    throw kubernetesError
                }
                neverSent = TransportFailure.isConnectFailure(error)
                failure = .transport(
                    "\(request.verb.method) \(request.path) failed: \(TransportFailure.summary(error))",
                    underlying: error
                )
            }

            if case .unauthorized = failure, !refreshedCredentials, await self.credentials.invalidate() {
                refreshedCredentials = true
                logger.debug(
                    "401 from the API server; refreshing credentials and retrying",
                    metadata: ["verb": "\(request.verb.rawValue)", "target": "\(request.target)"]
                )
                attempt -= 1
                continue
            }
            guard attempt < configuration.maxAttempts, shouldRetry(failure, verb: request.verb, neverSent: neverSent)
            else {
                throw failure
            }
            var delay = configuration.retryBackoff.delay(forAttempt: attempt - 1)
            if case .tooManyRequests(let retryAfter?, _) = failure {
                delay = min(retryAfter, configuration.maxRetryAfter)
            }
            logger.debug(
                "retrying Kubernetes request",
                metadata: [
                    "verb": "\(request.verb.rawValue)", "target": "\(request.target)",
                    "error": "\(failure)", "attempt": "\(attempt)", "delay": "\(delay)",
                ]
            )
            try await Task.sleep(for: delay)
        }
    }

    private func shouldRetry(_ error: KubernetesError, verb: Verb, neverSent: Bool) -> Bool {
        switch error {
        case .tooManyRequests:
            return true
        case .transport:
            return verb.isIdempotent || neverSent
        case .server(let code, _):
            return code >= 500 && verb.isIdempotent
        default:
            return false
        }
    }

    /// Builds the typed error from a non-2xx response, reading at most 1 MiB of its body.
    static func error(from response: KubernetesHTTPResponse) async -> KubernetesError {
        let bytes = (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer()
        var status: Status?
        if bytes.readableBytes > 0,
            let decoded = try? JSONDecoder().decode(Status.self, from: Data(bytes.readableBytesView)),
            decoded.reason != nil || decoded.message != nil || decoded.code != nil
        {
            status = decoded
        }
        if status == nil {
            // Not every error is a Status: unknown paths and 429 answer text/plain.
            let text = String(decoding: bytes.readableBytesView.prefix(2048), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            status = Status(
                status: "Failure",
                message: text.isEmpty ? "HTTP \(response.status)" : text,
                reason: nil,
                code: response.status
            )
        }
        var retryAfter: Duration?
        if let header = response.header("Retry-After"), let seconds = Int(header.trimmingCharacters(in: .whitespaces)) {
            retryAfter = .seconds(max(seconds, 0))
        } else if let seconds = status?.details?.retryAfterSeconds {
            retryAfter = .seconds(max(seconds, 0))
        }
        return KubernetesError.from(code: response.status, status: status!, retryAfter: retryAfter)
    }

    // MARK: - Paths

    func path<R: KubernetesResource>(
        _ type: R.Type,
        namespace: String?,
        name: String? = nil
    ) -> String {
        var path = R.group.isEmpty ? "/api/\(R.version)" : "/apis/\(R.group)/\(R.version)"
        if R.namespaced, let namespace, !namespace.isEmpty {
            path += "/namespaces/\(Self.encodePathSegment(namespace))"
        }
        path += "/\(R.plural)"
        if let name {
            path += "/\(Self.encodePathSegment(name))"
        }
        return path
    }

    /// The namespace for a call on a single object.
    func objectNamespace<R: KubernetesResource>(_ type: R.Type, _ namespace: String?) -> String? {
        R.namespaced ? (namespace ?? defaultNamespace) : nil
    }

    func target<R: KubernetesResource>(_ type: R.Type, namespace: String?, name: String?) -> String {
        var text = R.qualifiedResource
        if let namespace { text += " \(namespace)" + (name == nil ? "" : "/") } else if name != nil { text += " " }
        if let name { text += name }
        return text
    }

    private static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)

    static func percentEncode(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            if unreserved.contains(byte) {
                result.unicodeScalars.append(UnicodeScalar(byte))
            } else {
                result += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return result
    }

    static func encodePathSegment(_ segment: String) -> String {
        percentEncode(segment)
    }

    static func encodeQuery(_ items: [(String, String)]) -> String {
        guard !items.isEmpty else { return "" }
        return "?" + items.map { "\(percentEncode($0.0))=\(percentEncode($0.1))" }.joined(separator: "&")
    }

    // MARK: - Bodies

    func decode<T: Decodable>(_ type: T.Type, from response: KubernetesHTTPResponse, target: String) async throws -> T {
        let bytes: ByteBuffer
        do {
            bytes = try await response.body.collect(upTo: configuration.maxResponseBytes)
        } catch {
            throw KubernetesError.transport("reading the response for \(target) failed: \(error)", underlying: error)
        }
        do {
            return try KubernetesJSON.makeDecoder().decode(T.self, from: Data(bytes.readableBytesView))
        } catch {
            throw KubernetesError.decoding("the response for \(target) is not a valid \(T.self)", underlying: error)
        }
    }

    func encode<T: Encodable>(_ value: T, target: String) throws -> [UInt8] {
        do {
            return Array(try KubernetesJSON.makeEncoder().encode(value))
        } catch {
            throw KubernetesError.decoding("cannot encode the body for \(target)", underlying: error)
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
