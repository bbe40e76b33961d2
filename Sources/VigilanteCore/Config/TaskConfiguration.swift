import Foundation

/// The typed configuration section of one task, `tasks.<section>` in the file.
///
/// The core reads the keys every task has (`enabled`, `interval`, `dryRun`) and hands the rest of the
/// section to the task's own type, so a task declares its keys, types and defaults in one initializer.
public protocol TaskConfiguration: Sendable {
    /// The key of the task's section under `tasks` (`snat`, `evictedPodCleanup`).
    static var section: String { get }
    /// One line on what the task does, for `vigilante tasks`.
    static var summary: String { get }
    /// Whether the task runs when its section does not say.
    static var enabledByDefault: Bool { get }
    /// The interval between passes when neither the section nor the top-level `interval` sets one.
    static var defaultInterval: Duration { get }
    /// Reads the task's own keys from its section; unknown keys are rejected after it returns.
    init(reading reader: inout ConfigReader, environment: ConfigEnvironment) throws(ConfigurationError)
}

/// The settings the core keeps for every task, plus the task's own typed options.
public struct TaskSettings: Sendable {
    /// The task's section key.
    public var section: String
    /// Whether the scheduler runs it.
    public var enabled: Bool
    /// Time between passes.
    public var interval: Duration
    /// Report actions instead of taking them (also on when the global `dryRun` is).
    public var dryRun: Bool
    /// The task's own options; cast to the task's `TaskConfiguration` type.
    public var options: any TaskConfiguration

    /// Creates settings (the loader does this from the file; tests and tools may do it directly).
    public init(section: String, enabled: Bool, interval: Duration, dryRun: Bool, options: any TaskConfiguration) {
        self.section = section
        self.enabled = enabled
        self.interval = interval
        self.dryRun = dryRun
        self.options = options
    }

    /// The options as the task's own type.
    public func options<T: TaskConfiguration>(as type: T.Type) -> T? { options as? T }
}

/// Facts about the process's surroundings that defaults depend on, injectable for tests.
public struct ConfigEnvironment: Sendable {
    /// Environment variables.
    public var variables: [String: String]
    /// The folder of the in-cluster service account (`namespace`, `token`, `ca.crt`).
    public var serviceAccountDirectory: String
    /// The host name, the last fallback for the leader-election identity.
    public var hostName: String

    /// Creates an environment.
    public init(variables: [String: String], serviceAccountDirectory: String, hostName: String) {
        self.variables = variables
        self.serviceAccountDirectory = serviceAccountDirectory
        self.hostName = hostName
    }

    /// The real process environment.
    public static var process: ConfigEnvironment {
        ConfigEnvironment(
            variables: ProcessInfo.processInfo.environment,
            serviceAccountDirectory: "/var/run/secrets/kubernetes.io/serviceaccount",
            hostName: ProcessInfo.processInfo.hostName)
    }

    /// The top-level `namespace` key once read, so task defaults follow it.
    public var configuredNamespace: String?

    /// The operator's own namespace: the top-level `namespace` key when set, else `POD_NAMESPACE`
    /// (downward API), else the service account's namespace file, else `default`.
    public var operatorNamespace: String {
        if let configuredNamespace { return configuredNamespace }
        if let namespace = variables["POD_NAMESPACE"], !namespace.isEmpty { return namespace }
        let file = serviceAccountDirectory + "/namespace"
        if let namespace = try? String(contentsOfFile: file, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines), !namespace.isEmpty
        {
            return namespace
        }
        return "default"
    }
}
