import HTTPServerSupport
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// The operator's status endpoint: `/tasks`, `/tasks/{name}`, `/healthz`, `/health`, `/readyz` and
/// `/metrics` over HTTP, or HTTPS with a certificate reloaded when its files change.
///
/// It is a swift-service-lifecycle `Service`: run it in a `ServiceGroup`, and graceful shutdown
/// stops the listener and lets open requests finish. With port 0 the system picks a free port;
/// `boundPort()` tells which.
///
/// ```swift
/// let server = StatusServer(http: config.http, tls: config.tls, provider: scheduler,
///                           registry: prometheus, logger: logger)
/// let group = ServiceGroup(services: [server, ...], gracefulShutdownSignals: [.sigterm], logger: logger)
/// try await group.run()
/// ```
public final class StatusServer: Service, Sendable {
    /// Why the server stopped or could not start.
    public enum StartError: Error, CustomStringConvertible, Equatable {
        /// TLS is enabled but the certificate, key or client CA cannot be served.
        case certificate(String)
        /// `run()` ended (or failed) before the listener was bound.
        case notRunning

        /// A message naming the cause.
        public var description: String {
            switch self {
            case .certificate(let reason): "cannot serve HTTPS: \(reason)"
            case .notRunning: "the status server is not running"
            }
        }
    }

    private enum Phase {
        case starting(waiters: [CheckedContinuation<Int, any Error>])
        case running(port: Int)
        case stopped
    }

    private let http: Configuration.HTTPSettings
    private let tls: Configuration.TLSSettings
    private let provider: any StatusProvider
    private let registry: PrometheusCollectorRegistry
    private let limits: StatusServerLimits
    private let metricHelp: MetricHelp
    private let logger: Logger
    private let phase = LockedState(Phase.starting(waiters: []))

    /// Creates a server; nothing is bound or read until `run()`.
    ///
    /// - Parameters:
    ///   - http: Address and port to listen on (port 0: any free port).
    ///   - tls: Whether to serve HTTPS, from which files, and how often to check them for changes.
    ///   - provider: What the endpoints show (the scheduler in the operator, a fake in tests).
    ///   - registry: The Prometheus registry `/metrics` renders; the server adds its own metrics to it.
    ///   - logger: Where startup, certificate reloads and (at debug level) requests are logged.
    ///   - limits: Size and time limits of requests and connections.
    ///   - metricHelp: The `# HELP` texts `/metrics` adds to the metrics made through swift-metrics.
    public init(
        http: Configuration.HTTPSettings, tls: Configuration.TLSSettings, provider: any StatusProvider,
        registry: PrometheusCollectorRegistry, logger: Logger, limits: StatusServerLimits = StatusServerLimits(),
        metricHelp: MetricHelp = .core
    ) {
        self.metricHelp = metricHelp
        self.http = http
        self.tls = tls
        self.provider = provider
        self.registry = registry
        self.logger = logger
        self.limits = limits
    }

    /// Serves until graceful shutdown or cancellation. Throws when the certificate cannot be loaded
    /// or the address cannot be bound.
    public func run() async throws {
        defer { markStopped() }
        let metrics = StatusServerMetrics(registry: registry)
        var reloader: CertificateReloader?
        if tls.enabled {
            do {
                reloader = try CertificateReloader(
                    settings: tls, shutdownTimeout: limits.tlsShutdownTimeout, metrics: metrics, logger: logger)
            } catch {
                logger.error("cannot serve HTTPS", metadata: ["error": "\(error.description)"])
                throw StartError.certificate(error.description)
            }
        }
        let application = Application(
            responder: StatusResponder(
                provider: provider, registry: registry, metrics: metrics, limits: limits, metricHelp: metricHelp,
                processMetrics: ProcessMetrics(registry: registry), logger: logger),
            server: serverBuilder(reloader: reloader),
            configuration: ApplicationConfiguration(
                address: .hostname(http.address, port: http.port),
                availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections, logger: logger)
            ),
            services: reloader.map { [$0] } ?? [],
            onServerRunning: { [self] channel in
                markRunning(port: channel.localAddress?.port ?? http.port)
            },
            logger: logger
        )
        try await application.run()
    }

    /// The port the listener is bound to, once it is; throws `StartError.notRunning` when `run()`
    /// ended before binding (or has ended since).
    public func boundPort() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let result: Result<Int, any Error>? = phase.withLock { phase in
                switch phase {
                case .starting(var waiters):
                    waiters.append(continuation)
                    phase = .starting(waiters: waiters)
                    return nil
                case .running(let port):
                    return .success(port)
                case .stopped:
                    return .failure(StartError.notRunning)
                }
            }
            if let result { continuation.resume(with: result) }
        }
    }

    private func serverBuilder(reloader: CertificateReloader?) -> HTTPServerBuilder {
        let limits = limits
        let configuration = HTTP1Channel.Configuration(
            additionalChannelHandlers: [
                RequestLimitHandler(maxBodySize: limits.maxBodySize, requestTimeout: TimeAmount(limits.requestTimeout))
            ],
            idleTimeout: TimeAmount(limits.idleTimeout),
            httpDecoderConfiguration: .init(
                maxHeaderFieldSize: limits.maxHeaderFieldSize,
                maxHeaderListSize: limits.maxHeaderListSize,
                maxHeaderFieldCount: limits.maxHeaderCount
            )
        )
        return HTTPServerBuilder { responder in
            let http1 = HTTP1Channel(responder: responder, configuration: configuration)
            guard let reloader else { return UnservedConnectionGuard(http1) }
            return UnservedConnectionGuard(ReloadingTLSChannel(base: http1, reloader: reloader))
        }
    }

    private func markRunning(port: Int) {
        let waiters = phase.withLock { phase -> [CheckedContinuation<Int, any Error>] in
            guard case .starting(let waiters) = phase else { return [] }
            phase = .running(port: port)
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }

    private func markStopped() {
        let waiters = phase.withLock { phase -> [CheckedContinuation<Int, any Error>] in
            defer { phase = .stopped }
            guard case .starting(let waiters) = phase else { return [] }
            return waiters
        }
        for waiter in waiters { waiter.resume(throwing: StartError.notRunning) }
    }
}
