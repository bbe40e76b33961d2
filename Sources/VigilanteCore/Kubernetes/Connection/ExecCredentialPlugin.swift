/// A kubeconfig `users[].user.exec` entry: a command that prints an `ExecCredential` (kubelogin, aws, gke).
public struct ExecCredentialPlugin: Sendable, Hashable {
    /// The supported `apiVersion`s of the exchange.
    public static let supportedAPIVersions = [
        "client.authentication.k8s.io/v1",
        "client.authentication.k8s.io/v1beta1",
    ]

    /// The `apiVersion` the plugin speaks.
    public var apiVersion: String
    /// The command: an absolute path, a path relative to the kubeconfig's folder, or a name looked up in PATH.
    public var command: String
    /// Arguments.
    public var args: [String]
    /// Extra environment variables, in order.
    public var env: [EnvironmentVariable]
    /// Shown when the command cannot be found.
    public var installHint: String?
    /// Whether to pass the cluster (server, CA) in `KUBERNETES_EXEC_INFO`.
    public var provideClusterInfo: Bool
    /// The folder relative commands are resolved against (the kubeconfig's folder).
    public var baseDirectory: String

    /// One `env` entry.
    public struct EnvironmentVariable: Sendable, Hashable {
        /// The variable name.
        public var name: String
        /// The value.
        public var value: String

        /// Creates an entry.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Creates a plugin description.
    public init(
        apiVersion: String,
        command: String,
        args: [String] = [],
        env: [EnvironmentVariable] = [],
        installHint: String? = nil,
        provideClusterInfo: Bool = false,
        baseDirectory: String = "."
    ) {
        self.apiVersion = apiVersion
        self.command = command
        self.args = args
        self.env = env
        self.installHint = installHint
        self.provideClusterInfo = provideClusterInfo
        self.baseDirectory = baseDirectory
    }
}

/// Why an exec credential plugin gave no credentials. Messages never contain the credential.
public struct ExecPluginError: Error, Sendable, CustomStringConvertible {
    /// The command that was run.
    public var command: String
    /// What went wrong.
    public var problem: String

    /// Creates an error.
    public init(command: String, problem: String) {
        self.command = command
        self.problem = problem
    }

    public var description: String { "exec credential plugin \"\(command)\": \(problem)" }
}
