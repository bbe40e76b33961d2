import Foundation
import NIOCore
import NIOSSL

/// An in-process Kubernetes API server (v1.28 wire protocol) over real HTTP(S), with a simulated
/// kubelet, garbage collection and fault injection. Used by tests, `vigilante demo` and
/// `vigilante simulate`.
///
/// ```swift
/// let cluster = try await ClusterSimulator.start()
/// cluster.addNode(name: "akswin000000", os: "windows")
/// try cluster.writeKubeconfig(to: "/tmp/kubeconfig")
/// ```
public final class ClusterSimulator: Sendable {
    /// The configuration it was started with.
    public let configuration: SimulatorConfiguration
    let store: ObjectStore
    let server: APIServer
    let access: Locked<AccessControlState>
    private let listener: HTTPListener
    private let authority: CertificateAuthority
    private let boundPort: Locked<Int>
    let kubelet: Locked<KubeletState>

    private init(
        configuration: SimulatorConfiguration, store: ObjectStore, server: APIServer,
        access: Locked<AccessControlState>,
        listener: HTTPListener, authority: CertificateAuthority
    ) {
        self.configuration = configuration
        self.store = store
        self.server = server
        self.access = access
        self.listener = listener
        self.authority = authority
        self.boundPort = Locked(configuration.port)
        self.kubelet = Locked(KubeletState())
    }

    /// Starts a simulated cluster with the default namespaces (like a fresh real server) and
    /// serves it; returns once the listener is bound.
    public static func start(_ configuration: SimulatorConfiguration = .init()) async throws -> ClusterSimulator {
        let authority = try CertificateAuthority()
        var state = AccessControlState()
        state.anonymousEnabled = configuration.anonymousAuthEnabled
        state.tokens[configuration.adminToken] = UserInfo(
            name: "admin", groups: ["system:masters", "system:authenticated"])
        let access = Locked(state)
        let store = ObjectStore(registry: .builtIn, historyLimit: configuration.watchHistoryLimit)
        let server = APIServer(store: store, access: access, bookmarkInterval: configuration.bookmarkInterval)
        var tlsConfiguration: TLSConfiguration?
        if configuration.tls {
            let serving = try authority.issue(
                commonName: "kube-apiserver", dnsNames: ["localhost", "kubernetes", "kubernetes.default"],
                ipAddresses: [[127, 0, 0, 1], [UInt8](repeating: 0, count: 15) + [1]], server: true)
            var tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: [
                    .certificate(try NIOSSLCertificate(bytes: Array(serving.certificatePEM.utf8), format: .pem))
                ],
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(serving.privateKeyPEM.utf8), format: .pem)))
            tls.certificateVerification = .optionalVerification
            tls.trustRoots = .certificates([
                try NIOSSLCertificate(bytes: Array(authority.certificatePEM.utf8), format: .pem)
            ])
            tls.applicationProtocols = ["http/1.1"]
            tlsConfiguration = tls
        }
        let listener = HTTPListener(server: server, host: configuration.host, tlsConfiguration: tlsConfiguration)
        let simulator = ClusterSimulator(
            configuration: configuration, store: store, server: server, access: access, listener: listener,
            authority: authority)
        simulator.installControllers()
        simulator.createDefaultNamespaces()
        let port = try await listener.start(port: configuration.port)
        simulator.boundPort.withLock { $0 = port }
        return simulator
    }

    /// Stops serving: closes the listener, every connection and every watch; stops the kubelet.
    public func stop() async {
        kubelet.withLock {
            $0.stopped = true
            $0.heartbeats?.cancel()
            $0.heartbeats = nil
        }
        store.cutAllWatches()
        await listener.stop()
    }

    /// The bound port.
    public var port: Int { boundPort.current }

    /// `https://127.0.0.1:PORT` (http:// without TLS).
    public var baseURL: String {
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        return "\(configuration.tls ? "https" : "http")://\(host):\(port)"
    }

    /// PEM of the CA that signed the serving certificate and issues client certificates.
    public var caCertificatePEM: String { authority.certificatePEM }

    /// A client certificate the API server accepts: CN = user, O = groups.
    public func issueClientCertificate(user: String, groups: [String]) throws -> (
        certificatePEM: String, privateKeyPEM: String
    ) {
        try authority.issue(commonName: user, organizations: groups, server: false)
    }

    /// Writes a kubeconfig (context "simulator") with the CA embedded and the admin token (or `token`).
    public func writeKubeconfig(to path: String, token: String? = nil) throws {
        let caData = Data(caCertificatePEM.utf8).base64EncodedString()
        var cluster = "    server: \(baseURL)\n"
        if configuration.tls { cluster = "    certificate-authority-data: \(caData)\n" + cluster }
        let text = """
            apiVersion: v1
            kind: Config
            clusters:
            - cluster:
            \(cluster)  name: simulator
            contexts:
            - context:
                cluster: simulator
                user: simulator-admin
              name: simulator
            current-context: simulator
            preferences: {}
            users:
            - name: simulator-admin
              user:
                token: \(token ?? configuration.adminToken)

            """
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw SimulatorError.cannotWrite("\(path): \(error)")
        }
    }

    // MARK: authentication and authorization

    /// Adds a static bearer token.
    public func addToken(_ token: String, user: String, groups: [String] = []) {
        access.withLock { $0.tokens[token] = UserInfo(name: user, groups: groups + ["system:authenticated"]) }
    }

    /// Allows `user` the verbs on the resources (with subresources as `nodes/status`) of an API
    /// group ("" is core) in `namespace`, or cluster-wide when nil. `*` matches anything.
    public func allow(user: String, verbs: [String], group: String, resources: [String], namespace: String?) {
        access.withLock {
            $0.rules.append(
                AllowRule(user: user, verbs: verbs, group: group, resources: resources, namespace: namespace))
        }
    }

    /// Every resource request answered so far, in order.
    public func accessLog() -> [AccessLogEntry] {
        access.withLock { $0.log }
    }

    /// Forgets the access log (and the times of the writes in it).
    public func clearAccessLog() {
        access.withLock {
            $0.log.removeAll()
            $0.writes.received.removeAll()
        }
    }

    // MARK: fault injection

    /// Closes the listener (connections are refused and open ones dropped); it reopens on the same
    /// port after `duration`. Returns once the listener is closed.
    public func refuseConnections(for duration: Duration) async {
        store.cutAllWatches()
        await listener.stop()
        let port = self.port
        Task {
            try? await Task.sleep(for: duration)
            if self.kubelet.withLock({ $0.stopped }) { return }
            for _ in 0..<50 {
                if (try? await self.listener.start(port: port)) != nil { return }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Adds a delay before every request is handled (0 removes it).
    public func setLatency(_ latency: Duration) {
        access.withLock { $0.latency = latency }
    }

    /// Makes a fraction of requests fail with one of `statuses` (500 InternalError, 503 with
    /// Retry-After, 429 text/plain with Retry-After, like the real throttle). 0 disables.
    public func setFailureInjection(fraction: Double, statuses: [Int], retryAfterSeconds: Int = 1) {
        access.withLock {
            $0.failureFraction = fraction
            $0.failureStatuses = statuses
            $0.retryAfterSeconds = retryAfterSeconds
        }
    }

    /// Ends every open watch stream abruptly (no final chunk).
    public func cutWatches() {
        store.cutAllWatches()
    }

    /// Forgets all watch history: resuming from any older resourceVersion gives 410 Expired.
    public func compactHistory() {
        store.compactHistory()
    }

    /// Number of open watch streams.
    public var openWatchCount: Int { store.openWatchCount }

    /// The current (latest) resourceVersion of the cluster.
    public var resourceVersion: Int { store.currentRevision }
}
