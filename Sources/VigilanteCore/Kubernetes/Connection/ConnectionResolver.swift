import Foundation

/// Finds the cluster connection the way kubectl does: `--kubeconfig`, then `KUBECONFIG` (its first file),
/// then the in-cluster service account, then `~/.kube/config`.
public struct ConnectionResolver: Sendable {
    /// Where the connection came from.
    public enum Origin: String, Sendable {
        /// `--kubeconfig`.
        case explicitKubeconfig
        /// The `KUBECONFIG` environment variable.
        case kubeconfigEnvironment
        /// The in-cluster service account.
        case inCluster
        /// `~/.kube/config`.
        case homeKubeconfig
    }

    /// The default service-account folder inside a pod.
    public static let defaultServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// The `--kubeconfig` path, if given.
    public var kubeconfigPath: String?
    /// The `--context` override, if given.
    public var context: String?
    /// The process environment (`KUBECONFIG`, `KUBERNETES_SERVICE_HOST/PORT`, `HOME`).
    public var environment: [String: String]
    /// The service-account folder (injectable for tests).
    public var serviceAccountDirectory: String
    /// The home folder; defaults to `HOME`.
    public var homeDirectory: String?
    /// How often token files are re-read at most.
    public var tokenRefreshInterval: Duration

    /// Creates a resolver.
    public init(
        kubeconfigPath: String? = nil,
        context: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        serviceAccountDirectory: String = ConnectionResolver.defaultServiceAccountDirectory,
        homeDirectory: String? = nil,
        tokenRefreshInterval: Duration = .seconds(5)
    ) {
        self.kubeconfigPath = kubeconfigPath
        self.context = context
        self.environment = environment
        self.serviceAccountDirectory = serviceAccountDirectory
        self.homeDirectory = homeDirectory ?? environment["HOME"]
        self.tokenRefreshInterval = tokenRefreshInterval
    }

    /// Resolves the connection, or throws a ``KubeconfigError`` naming what is wrong.
    public func resolve() throws -> KubernetesConnection {
        try resolveWithOrigin().connection
    }

    /// Resolves the connection and tells where it came from.
    public func resolveWithOrigin() throws -> (connection: KubernetesConnection, origin: Origin) {
        if let path = kubeconfigPath, !path.isEmpty {
            return (try fromKubeconfig(path), .explicitKubeconfig)
        }
        if let list = environment["KUBECONFIG"],
            let first = list.split(separator: ":", omittingEmptySubsequences: true).first
        {
            return (try fromKubeconfig(String(first)), .kubeconfigEnvironment)
        }
        if let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty
        {
            return (try inCluster(host: host, port: port), .inCluster)
        }
        if let home = homeDirectory {
            let path = home + "/.kube/config"
            if FileManager.default.fileExists(atPath: path) {
                return (try fromKubeconfig(path), .homeKubeconfig)
            }
        }
        throw KubeconfigError(
            file: "~/.kube/config",
            problem:
                "no Kubernetes configuration found (no --kubeconfig, no KUBECONFIG, not running in a cluster, and no ~/.kube/config)"
        )
    }

    private func fromKubeconfig(_ path: String) throws -> KubernetesConnection {
        let kubeconfig = try Kubeconfig.load(path: path, displayPath: display(path))
        return try kubeconfig.connection(
            context: context,
            tokenRefreshInterval: tokenRefreshInterval,
            environment: environment
        )
    }

    private func display(_ path: String) -> String {
        if let home = homeDirectory, !home.isEmpty, path.hasPrefix(home + "/") {
            return "~" + path.dropFirst(home.count)
        }
        return path
    }

    private func inCluster(host: String, port: String) throws -> KubernetesConnection {
        let source = "in-cluster"
        let tokenPath = serviceAccountDirectory + "/token"
        let caPath = serviceAccountDirectory + "/ca.crt"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw KubeconfigError(file: source, problem: "service account token \(tokenPath) cannot be read")
        }
        guard let caData = FileManager.default.contents(atPath: caPath),
            String(decoding: caData, as: UTF8.self).contains("-----BEGIN ")
        else {
            throw KubeconfigError(file: source, problem: "service account CA \(caPath) cannot be read or is not PEM")
        }
        var namespace = "default"
        if let data = FileManager.default.contents(atPath: serviceAccountDirectory + "/namespace") {
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty { namespace = text }
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return KubernetesConnection(
            server: "https://\(hostPart):\(port)",
            certificateAuthorityPEM: String(decoding: caData, as: UTF8.self),
            insecureSkipTLSVerify: false,
            credentials: TokenFileCredentialSource(path: tokenPath, refreshInterval: tokenRefreshInterval),
            namespace: namespace,
            source: source
        )
    }
}
