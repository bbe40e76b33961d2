import Foundation
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// Keeps the serving certificate current: it polls the certificate, key and client CA files every
/// `reloadInterval` and swaps in a new TLS context when their contents change.
///
/// Comparing contents (not modification times) catches every way the files are replaced: in-place
/// writes, renames, and Kubernetes' atomic swap of the `..data` symlink of a secret volume, which
/// may even bring back older timestamps. New connections use the newest context; open connections
/// keep the one they started with. When changed files cannot be used (unparsable, a key that does
/// not fit the certificate, a missing file) the previous certificate stays in service, the error is
/// logged once per broken version, and `vigilante_tls_certificate_reloads_total{result="failure"}`
/// counts it.
final class CertificateReloader: Service, Sendable {
    /// The result of one check of the files.
    enum CheckResult: Equatable {
        /// The contents are those in service (or those that already failed).
        case unchanged
        /// A new certificate is in service.
        case reloaded
        /// The changed files cannot be used; the previous certificate stays in service.
        case failed(String)
    }

    /// What failed last time, so that one broken version of the files is reported once.
    private enum Failure: Equatable {
        case unusable(ServingCertificate.FileContents)
        case unreadable(String)
    }

    private struct State {
        var current: ServingCertificate
        var lastFailure: Failure?
    }

    private let certFile: String
    private let keyFile: String
    private let clientCAFile: String?
    private let reloadInterval: Duration
    private let shutdownTimeout: TimeAmount
    private let metrics: StatusServerMetrics
    private let logger: Logger
    private let state: LockedState<State>

    /// Loads the initial certificate; throws (naming the file) when it cannot be served.
    init(
        settings: Configuration.TLSSettings, shutdownTimeout: Duration, metrics: StatusServerMetrics, logger: Logger
    ) throws(ServingCertificate.LoadError) {
        certFile = settings.certFile
        keyFile = settings.keyFile
        clientCAFile = settings.clientCAFile
        reloadInterval = settings.reloadInterval
        self.shutdownTimeout = TimeAmount(shutdownTimeout)
        self.metrics = metrics
        self.logger = logger
        let contents = try ServingCertificate.read(certFile: certFile, keyFile: keyFile, clientCAFile: clientCAFile)
        let initial = try ServingCertificate(
            contents: contents, certFile: certFile, keyFile: keyFile, clientCAFile: clientCAFile,
            shutdownTimeout: self.shutdownTimeout)
        state = LockedState(State(current: initial, lastFailure: nil))
        metrics.registerCertificateReloads()
        metrics.recordCertificateExpiry(unixTime: initial.expiresAt)
    }

    /// The TLS context for a new connection.
    var currentContext: NIOSSLContext {
        state.withLock { $0.current.context }
    }

    /// Polls the files until graceful shutdown or cancellation, both of which end it normally.
    func run() async {
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    try await Task.sleep(for: self.reloadInterval)
                    self.checkForChanges()
                }
            }
        } catch {
            // Only the sleep throws, and only when cancelled: that is how polling stops.
        }
    }

    /// Reads the files once and swaps in a new certificate when their contents changed and can be used.
    @discardableResult
    func checkForChanges() -> CheckResult {
        let contents: ServingCertificate.FileContents
        do {
            contents = try ServingCertificate.read(certFile: certFile, keyFile: keyFile, clientCAFile: clientCAFile)
        } catch {
            return recordFailure(error, .unreadable(error.description))
        }
        let isKnown = state.withLock { state -> Bool in
            if state.current.contents == contents {
                state.lastFailure = nil
                return true
            }
            return state.lastFailure == .unusable(contents)
        }
        if isKnown { return .unchanged }
        let replacement: ServingCertificate
        do {
            replacement = try ServingCertificate(
                contents: contents, certFile: certFile, keyFile: keyFile, clientCAFile: clientCAFile,
                shutdownTimeout: shutdownTimeout)
        } catch {
            return recordFailure(error, .unusable(contents))
        }
        state.withLock {
            $0.current = replacement
            $0.lastFailure = nil
        }
        metrics.recordCertificateReload(success: true)
        metrics.recordCertificateExpiry(unixTime: replacement.expiresAt)
        logger.info(
            "serving certificate reloaded",
            metadata: [
                "certFile": "\(certFile)",
                "notAfter": "\(Date(timeIntervalSince1970: replacement.expiresAt).formatted(.iso8601))",
            ])
        return .reloaded
    }

    /// Counts and logs a failed attempt, once per broken version of the files.
    private func recordFailure(_ error: ServingCertificate.LoadError, _ failure: Failure) -> CheckResult {
        let isNew = state.withLock { state -> Bool in
            defer { state.lastFailure = failure }
            return state.lastFailure != failure
        }
        if isNew {
            metrics.recordCertificateReload(success: false)
            logger.error(
                "cannot reload the serving certificate; the previous one stays in service",
                metadata: ["error": "\(error.description)"])
        }
        return .failed(error.description)
    }
}
