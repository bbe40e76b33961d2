import Logging

extension Configuration {
    /// Reads the whole document. `taskTypes` are the registered tasks; their sections are read by their
    /// own types.
    static func read(
        _ root: inout ConfigReader, taskTypes: [any TaskConfiguration.Type], environment: ConfigEnvironment
    ) throws(ConfigurationError) -> Configuration {
        let operatorNamespace = environment.operatorNamespace
        let defaultInterval = try root.duration(
            "interval", default: nil,
            summary: "Interval of every task that does not set its own (the original release's key; "
                + "plain integers are seconds). Unset: each task's default.",
            integerSeconds: true)
        let dryRun = try root.bool(
            "dryRun", default: false, summary: "Log and report every action instead of taking it, for all tasks.")
        let namespace =
            try root.string(
                "namespace", default: operatorNamespace,
                summary: "The operator's namespace: holds the lease and, by default, healer pods.",
                defaultDescription: "POD_NAMESPACE, else the service account's namespace, else default",
                validate: validateDNSLabel) ?? operatorNamespace

        var taskEnvironment = environment
        taskEnvironment.configuredNamespace = namespace
        let tls = try root.section("tls", shorthandKey: "enabled") { (reader) throws(ConfigurationError) in
            TLSSettings(
                enabled: try reader.bool(
                    "enabled", default: false,
                    summary: "Serve HTTPS instead of HTTP (`tls: true` is the original release's spelling)."),
                certFile: try reader.string(
                    "certFile", default: "/etc/vigilante/certs/tls.crt",
                    summary: "PEM certificate chain, reloaded when the file changes.") ?? "",
                keyFile: try reader.string(
                    "keyFile", default: "/etc/vigilante/certs/tls.key",
                    summary: "PEM private key, reloaded when the file changes.") ?? "",
                clientCAFile: try reader.string(
                    "clientCAFile", default: nil,
                    summary: "PEM CA bundle; when set, clients must present a certificate it signed (mTLS)."),
                reloadInterval: try reader.duration(
                    "reloadInterval", default: .seconds(10),
                    summary: "How often the certificate files are checked for changes."))
        }
        let http = try root.section("http") { (reader) throws(ConfigurationError) in
            HTTPSettings(
                address: try reader.string(
                    "address", default: "0.0.0.0", summary: "Address the status server binds.") ?? "0.0.0.0",
                port: try reader.integer(
                    "port", default: nil, range: 0...65535,
                    summary: "Port the status server binds; 0 picks a free port (logged at start).",
                    defaultDescription: "8000, or 8443 with TLS") ?? (tls.enabled ? 8443 : 8000))
        }
        let log = try root.section("log") { (reader) throws(ConfigurationError) in
            let level = try reader.string(
                "level", default: "info", summary: "Lowest level logged.",
                allowed: Logger.Level.allCases.map(\.rawValue))
            let format = try reader.string(
                "format", default: "text", summary: "`text` for people, `json` (one object per line) for pipelines.",
                allowed: LogFormat.allCases.map(\.rawValue))
            return LogSettings(
                level: level.flatMap(Logger.Level.init(rawValue:)) ?? .info,
                format: format.flatMap(LogFormat.init(rawValue:)) ?? .text)
        }
        let kubernetes = try root.section("kubernetes") { (reader) throws(ConfigurationError) in
            KubernetesSettings(
                kubeconfig: try reader.string(
                    "kubeconfig", default: nil,
                    summary: "Kubeconfig file. Unset: KUBECONFIG, else in-cluster service account, else ~/.kube/config."
                ),
                context: try reader.string(
                    "context", default: nil, summary: "Kubeconfig context. Unset: the current-context."),
                requestTimeout: try reader.duration(
                    "requestTimeout", default: .seconds(30),
                    summary: "Timeout of one API request (watches excepted)."),
                startupTimeout: try reader.duration(
                    "startupTimeout", default: .seconds(30),
                    summary: "How long the API server may stay unreachable at start before vigilante exits (status 1)."),
                qps: try reader.number(
                    "qps", default: KubernetesClientConfiguration.defaultQPS, range: 0...10_000,
                    summary: "Sustained API writes (create, update, patch, delete) per second, as client-go's QPS; "
                        + "0 turns the limit off. Reads and watches are not limited.")
                    ?? KubernetesClientConfiguration.defaultQPS,
                burst: try reader.integer(
                    "burst", default: KubernetesClientConfiguration.defaultBurst, range: 1...100_000,
                    summary: "API writes sent at once after a quiet period, as client-go's Burst.")
                    ?? KubernetesClientConfiguration.defaultBurst
            )
        }
        let store = try root.section("store") { (reader) throws(ConfigurationError) in
            StoreSettings(
                path: try reader.string(
                    "path", default: "/var/lib/vigilante/vigilante.sqlite",
                    summary: "SQLite database file; keep it on a persistent volume so progress survives restarts.")
                    ?? "")
        }
        let leaderElection = try root.section("leaderElection") { (reader) throws(ConfigurationError) in
            let identity = environment.variables["POD_NAME"].flatMap { $0.isEmpty ? nil : $0 } ?? environment.hostName
            let settings = LeaderElectionSettings(
                enabled: try reader.bool(
                    "enabled", default: true, summary: "Run tasks only while holding the Lease."),
                leaseName: try reader.string(
                    "leaseName", default: "cops-vigilante", summary: "Name of the coordination.k8s.io/v1 Lease.",
                    validate: validateDNSSubdomain) ?? "cops-vigilante",
                leaseNamespace: try reader.string(
                    "leaseNamespace", default: namespace, summary: "Namespace of the Lease.",
                    defaultDescription: "the operator's namespace", validate: validateDNSLabel) ?? namespace,
                identity: try reader.string(
                    "identity", default: identity, summary: "This instance's holder identity in the Lease.",
                    defaultDescription: "POD_NAME, else the host name") ?? identity,
                leaseDuration: try reader.duration(
                    "leaseDuration", default: .seconds(60),
                    summary: "How long a lease is valid without renewal; a standby takes over at most this long "
                        + "after the leader stopped renewing."),
                renewDeadline: try reader.duration(
                    "renewDeadline", default: .seconds(40),
                    summary: "How long the leader tries to renew before it stops its tasks."),
                retryPeriod: try reader.duration(
                    "retryPeriod", default: .seconds(15),
                    summary: "Time between acquire and renew attempts: the leader writes the Lease once per "
                        + "period (at 15s, 240 requests per hour)."))
            guard settings.leaseDuration > settings.renewDeadline, settings.renewDeadline > settings.retryPeriod else {
                throw reader.error(
                    at: "renewDeadline",
                    "must be shorter than leaderElection.leaseDuration and longer than leaderElection.retryPeriod "
                        + "(got leaseDuration \(settings.leaseDuration.configText), renewDeadline "
                        + "\(settings.renewDeadline.configText), retryPeriod \(settings.retryPeriod.configText))")
            }
            return settings
        }

        let notifications = try root.section("notifications") { (reader) throws(ConfigurationError) in
            try NotificationSettings.read(&reader, environment: environment)
        }

        let tasks = try root.section("tasks") { (reader) throws(ConfigurationError) in
            var tasks: [TaskSettings] = []
            for type in taskTypes {
                tasks.append(
                    try reader.section(type.section) { (section) throws(ConfigurationError) in
                        let enabled = try section.bool(
                            "enabled", default: type.enabledByDefault, summary: "Run this task.")
                        let interval = try section.duration(
                            "interval", default: defaultInterval ?? type.defaultInterval,
                            summary: "Time between passes (plain integers are seconds).", integerSeconds: true)
                        let taskDryRun = try section.bool(
                            "dryRun", default: false, summary: "Report this task's actions instead of taking them.")
                        let options = try type.init(reading: &section, environment: taskEnvironment)
                        return TaskSettings(
                            section: type.section, enabled: enabled, interval: interval,
                            dryRun: dryRun || taskDryRun, options: options)
                    })
            }
            let known = Set(taskTypes.map { $0.section })
            for name in reader.presentKeys where !known.contains(name) {
                reader.markRead(name)
                throw reader.error(
                    at: name, "unknown task; registered tasks: \(taskTypes.map { $0.section }.joined(separator: ", "))")
            }
            return tasks
        }
        return Configuration(
            dryRun: dryRun, namespace: namespace, http: http, tls: tls, log: log, kubernetes: kubernetes,
            store: store, leaderElection: leaderElection, tasks: tasks, notifications: notifications)
    }
}

/// A Kubernetes DNS label (namespace names): lower-case alphanumerics and `-`, at most 63 characters.
public func validateDNSLabel(_ value: String) -> String? {
    let valid =
        value.count <= 63 && !value.isEmpty
        && value.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
        && value.first != "-" && value.last != "-"
    return valid
        ? nil : "must be a DNS label (lower-case letters, digits and '-', at most 63 characters), got \"\(value)\""
}

/// A Kubernetes DNS subdomain (most object names): DNS labels joined by `.`, at most 253 characters.
public func validateDNSSubdomain(_ value: String) -> String? {
    let labelsValid =
        value.count <= 253
        && value.split(separator: ".", omittingEmptySubsequences: false).allSatisfy {
            validateDNSLabel(String($0)) == nil
        }
    return labelsValid
        ? nil
        : "must be a DNS subdomain (lower-case letters, digits, '-' and '.', at most 253 characters), got \"\(value)\""
}
