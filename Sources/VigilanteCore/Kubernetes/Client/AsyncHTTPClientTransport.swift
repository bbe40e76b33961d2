import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOSSL

/// The real transport: AsyncHTTPClient over HTTPS (or HTTP) to one API server.
///
/// The TLS configuration is set per request, so a rotated client certificate (from an exec plugin)
/// takes effect on new connections without rebuilding the client.
public final class AsyncHTTPClientTransport: KubernetesTransport {
    private let httpClient: HTTPClient
    private let baseURL: String
    private let connectTimeout: Duration
    private let tlsCache: LockedState<TLSCache>
    private let baseTLS: TLSConfiguration?
    private let logger: Logger

    private struct TLSCache {
        var identity: ClientIdentity?
        var configuration: TLSConfiguration?
    }

    /// Creates a transport for the connection's server and CA settings.
    public init(
        connection: KubernetesConnection,
        connectTimeout: Duration,
        logger: Logger
    ) throws {
        self.baseURL = connection.server.hasSuffix("/") ? String(connection.server.dropLast()) : connection.server
        self.connectTimeout = connectTimeout
        self.logger = logger
        if connection.server.lowercased().hasPrefix("https://") {
            var tls = TLSConfiguration.makeClientConfiguration()
            // Closing a connection sends close_notify and waits for the server's; a server that keeps
            // streaming a watch instead (the simulator, a proxy) held every shutdown for NIOSSL's default
            // of 5 s: `vigilante demo` took 5 s to stop after Ctrl-C. A quarter second is plenty for a
            // server that answers.
            tls.shutdownTimeout = .milliseconds(250)
            if connection.insecureSkipTLSVerify {
                tls.certificateVerification = .none
            } else if let caPEM = connection.certificateAuthorityPEM {
                do {
                    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)))
                } catch {
                    throw KubeconfigError(
                        file: connection.source,
                        context: connection.contextName,
                        problem: "certificate authority is not valid PEM (\(error))"
                    )
                }
            }
            baseTLS = tls
        } else {
            baseTLS = nil
        }
        tlsCache = LockedState(TLSCache(identity: nil, configuration: baseTLS))
        var configuration = HTTPClient.Configuration()
        configuration.timeout = HTTPClient.Configuration.Timeout(
            connect: .nanoseconds(Int64(durationSeconds(connectTimeout) * 1e9)),
            read: nil
        )
        // Watches hold connections open; the default limit of 8 would starve other requests.
        configuration.connectionPool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: 64
        )
        // A failed connection fails the request at once (the client's own retries, with backoff, try again),
        // so that the error says what happened ("connection refused") instead of a deadline running out
        // while the pool retries connecting in silence.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.tlsConfiguration = baseTLS
        httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func send(_ request: KubernetesHTTPRequest) async throws -> KubernetesHTTPResponse {
        var httpRequest = HTTPClientRequest(url: baseURL + request.pathAndQuery)
        httpRequest.method = .init(rawValue: request.method)
        for (name, value) in request.headers {
            httpRequest.headers.add(name: name, value: value)
        }
        if let body = request.body {
            httpRequest.body = .bytes(ByteBuffer(bytes: body))
        }
        if baseTLS != nil {
            httpRequest.tlsConfiguration = try tlsConfiguration(for: request.clientIdentity)
        }
        let deadline: NIODeadline =
            request.timeout.map { .now() + .nanoseconds(Int64(durationSeconds($0) * 1e9)) } ?? .distantFuture
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(httpRequest, deadline: deadline, logger: logger)
        } catch {
            throw TransportFailure.naming(error, server: baseURL, connectTimeout: connectTimeout)
        }
        return KubernetesHTTPResponse(
            status: Int(response.status.code),
            headers: response.headers.map { ($0.name, $0.value) },
            body: KubernetesResponseBody(response.body)
        )
    }

    public func shutdown() async throws {
        try await httpClient.shutdown()
    }

    private func tlsConfiguration(for identity: ClientIdentity?) throws -> TLSConfiguration? {
        if let cached = tlsCache.withLock({ $0.identity == identity ? $0.configuration : nil }) {
            return cached
        }
        guard var tls = baseTLS else { return nil }
        if let identity {
            do {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(identity.certificatePEM.utf8))
                    .map { .certificate($0) }
                tls.privateKey = .privateKey(
                    try NIOSSLPrivateKey(bytes: Array(identity.privateKeyPEM.utf8), format: .pem))
            } catch {
                // The message must not include the key material.
                throw KubernetesError.transport("client certificate or key is not valid PEM", underlying: error)
            }
        }
        tlsCache.withLock { $0 = TLSCache(identity: identity, configuration: tls) }
        return tls
    }
}
