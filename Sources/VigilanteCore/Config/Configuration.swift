import Logging

/// The operator's whole configuration, after file, environment variables and flags were applied.
public struct Configuration: Sendable {
    /// Report every action instead of taking it, for every task.
    public var dryRun: Bool
    /// The operator's own namespace (lease and default healer-pod namespace).
    public var namespace: String
    /// The status server's listener.
    public var http: HTTPSettings
    /// Serving certificate of the status server.
    public var tls: TLSSettings
    /// Log output.
    public var log: LogSettings
    /// How to reach the Kubernetes API.
    public var kubernetes: KubernetesSettings
    /// The SQLite store.
    public var store: StoreSettings
    /// Leader election through a coordination.k8s.io Lease.
    public var leaderElection: LeaderElectionSettings
    /// One entry per registered task, in registration order.
    public var tasks: [TaskSettings]
    /// Slack, Teams and webhook notifications.
    public var notifications: NotificationSettings = .none

    /// The settings of the task whose section is `section`.
    public func task(_ section: String) -> TaskSettings? { tasks.first { $0.section == section } }

    /// The status server's listener.
    public struct HTTPSettings: Sendable {
        /// Address to bind.
        public var address: String
        /// Port to bind: 8000 for HTTP, 8443 for HTTPS unless set.
        public var port: Int
    }

    /// TLS for the status server.
    public struct TLSSettings: Sendable {
        /// Serve HTTPS instead of HTTP.
        public var enabled: Bool
        /// PEM certificate chain; reloaded when it changes.
        public var certFile: String
        /// PEM private key; reloaded when it changes.
        public var keyFile: String
        /// PEM CA bundle; when set, clients must present a certificate it signed.
        public var clientCAFile: String?
        /// How often the files are checked for changes.
        public var reloadInterval: Duration
    }

    /// Log output.
    public struct LogSettings: Sendable {
        /// The lowest level written.
        public var level: Logger.Level
        /// `text` for people, `json` for log pipelines.
        public var format: LogFormat
    }

    /// How to reach the Kubernetes API.
    public struct KubernetesSettings: Sendable {
        /// Kubeconfig file; unset resolves like kubectl (KUBECONFIG, in-cluster, ~/.kube/config).
        public var kubeconfig: String?
        /// Kubeconfig context; unset uses current-context.
        public var context: String?
        /// Timeout of one request (watches excepted).
        public var requestTimeout: Duration
        /// How long the API server may stay unreachable at start.
        public var startupTimeout: Duration
        /// Sustained writes per second (0: no limit).
        public var qps: Double = KubernetesClientConfiguration.defaultQPS
        /// Writes sent at once after a quiet period.
        public var burst: Int = KubernetesClientConfiguration.defaultBurst

        /// The client-side write limiter of these settings; nil when `qps` is 0.
        public var writeLimiter: WriteRateLimiter? {
            qps > 0 ? WriteRateLimiter(qps: qps, burst: burst) : nil
        }
    }

    /// The SQLite store.
    public struct StoreSettings: Sendable {
        /// Database file path (its folder must exist and be writable).
        public var path: String
    }

    /// Leader election.
    public struct LeaderElectionSettings: Sendable {
        /// Run tasks only while holding the lease.
        public var enabled: Bool
        /// Lease name.
        public var leaseName: String
        /// Lease namespace.
        public var leaseNamespace: String
        /// This instance's identity in the lease.
        public var identity: String
        /// How long a lease is valid without renewal.
        public var leaseDuration: Duration
        /// How long the leader keeps trying to renew before it stops its tasks.
        public var renewDeadline: Duration
        /// Time between acquire and renew attempts.
        public var retryPeriod: Duration
    }
}

/// Log line format.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `2026-11-25T12:00:00Z info vigilante: message key=value`.
    case text
    /// One JSON object per line: timestamp, level, label, message, metadata.
    case json
}
