import Foundation
import Yams

/// A parsed kubeconfig file: clusters, contexts and users by name.
///
/// Parsing checks the structure of every entry (as kubectl does); ``connection(context:tokenRefreshInterval:environment:)``
/// checks the entries the chosen context uses and reads the files they name.
public struct Kubeconfig: Sendable {
    /// The file as shown in messages.
    public var file: String
    /// The folder relative paths are resolved against.
    public var directory: String
    /// `current-context`.
    public var currentContext: String?
    /// Clusters by name.
    public var clusters: [String: Cluster]
    /// Contexts by name.
    public var contexts: [String: Context]
    /// Users by name.
    public var users: [String: User]

    /// A `clusters[].cluster` entry.
    public struct Cluster: Sendable, Hashable {
        /// `server`.
        public var server: String?
        /// `certificate-authority` (a path).
        public var certificateAuthority: String?
        /// `certificate-authority-data` (base64 PEM).
        public var certificateAuthorityData: String?
        /// `insecure-skip-tls-verify`.
        public var insecureSkipTLSVerify: Bool
    }

    /// A `contexts[].context` entry.
    public struct Context: Sendable, Hashable {
        /// `cluster`.
        public var cluster: String?
        /// `user`.
        public var user: String?
        /// `namespace`.
        public var namespace: String?
    }

    /// A `users[].user` entry.
    public struct User: Sendable, Hashable {
        /// `token`.
        public var token: String?
        /// `tokenFile`.
        public var tokenFile: String?
        /// `client-certificate` (a path).
        public var clientCertificate: String?
        /// `client-certificate-data` (base64 PEM).
        public var clientCertificateData: String?
        /// `client-key` (a path).
        public var clientKey: String?
        /// `client-key-data` (base64 PEM).
        public var clientKeyData: String?
        /// `exec`.
        public var exec: ExecCredentialPlugin?
        /// `exec.interactiveMode`.
        public var execInteractiveMode: String?
        /// The name of an `auth-provider`, which is not supported.
        public var authProvider: String?
        /// Whether `username`/`password` are set, which is not supported.
        public var hasBasicAuth: Bool
    }

    /// Reads and parses the file at `path`; `displayPath` is how messages name it.
    public static func load(path: String, displayPath: String? = nil) throws -> Kubeconfig {
        let shown = displayPath ?? path
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw KubeconfigError(file: shown, problem: "cannot be read (\(Self.reason(for: error, path: path)))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw KubeconfigError(file: shown, problem: "is not UTF-8 text")
        }
        let directory = (path as NSString).deletingLastPathComponent
        return try Kubeconfig(yaml: text, file: shown, directory: directory.isEmpty ? "." : directory)
    }

    /// Parses kubeconfig YAML; `file` names it in messages, `directory` anchors relative paths.
    public init(yaml: String, file: String, directory: String) throws {
        self.file = file
        self.directory = directory
        let reader = KubeconfigReader(file: file)
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw KubeconfigError(file: file, problem: "is not valid YAML: \(KubeconfigReader.describe(error))")
        } catch {
            throw KubeconfigError(file: file, problem: "is not valid YAML: \(error)")
        }
        guard let root, root.null == nil else {
            // An empty file is an empty config, as for kubectl.
            currentContext = nil
            clusters = [:]
            contexts = [:]
            users = [:]
            return
        }
        let top = try reader.mapping(root, at: "the top level")
        if let kind = try reader.string(top, "kind", at: ""), !kind.isEmpty, kind != "Config" {
            throw KubeconfigError(file: file, problem: "kind is \"\(kind)\", expected Config")
        }
        currentContext = try reader.string(top, "current-context", at: "")
        clusters = try reader.namedEntries(top, list: "clusters", entry: "cluster") { entry, path in
            Cluster(
                server: try reader.string(entry, "server", at: path),
                certificateAuthority: try reader.string(entry, "certificate-authority", at: path),
                certificateAuthorityData: try reader.string(entry, "certificate-authority-data", at: path),
                insecureSkipTLSVerify: try reader.bool(entry, "insecure-skip-tls-verify", at: path) ?? false
            )
        }
        contexts = try reader.namedEntries(top, list: "contexts", entry: "context") { entry, path in
            Context(
                cluster: try reader.string(entry, "cluster", at: path),
                user: try reader.string(entry, "user", at: path),
                namespace: try reader.string(entry, "namespace", at: path)
            )
        }
        users = try reader.namedEntries(top, list: "users", entry: "user") { entry, path in
            var exec: ExecCredentialPlugin?
            var interactiveMode: String?
            if let execNode = entry["exec"], execNode.null == nil {
                let execPath = path + ".exec"
                let execMapping = try reader.mapping(execNode, at: execPath)
                let env = try reader.list(execMapping, "env", at: execPath).enumerated().map { index, item in
                    let itemPath = "\(execPath).env[\(index)]"
                    let variable = try reader.mapping(item, at: itemPath)
                    guard let name = try reader.string(variable, "name", at: itemPath), !name.isEmpty else {
                        throw reader.error("\(itemPath).name is missing", node: item)
                    }
                    return ExecCredentialPlugin.EnvironmentVariable(
                        name: name,
                        value: try reader.string(variable, "value", at: itemPath) ?? ""
                    )
                }
                exec = ExecCredentialPlugin(
                    apiVersion: try reader.string(execMapping, "apiVersion", at: execPath) ?? "",
                    command: try reader.string(execMapping, "command", at: execPath) ?? "",
                    args: try reader.list(execMapping, "args", at: execPath).enumerated().map { index, item in
                        guard let text = reader.scalarString(item) else {
                            throw reader.error("\(execPath).args[\(index)] must be a string", node: item)
                        }
                        return text
                    },
                    env: env,
                    installHint: try reader.string(execMapping, "installHint", at: execPath),
                    provideClusterInfo: try reader.bool(execMapping, "provideClusterInfo", at: execPath) ?? false,
                    baseDirectory: directory
                )
                interactiveMode = try reader.string(execMapping, "interactiveMode", at: execPath)
            }
            var authProvider: String?
            if let providerNode = entry["auth-provider"], providerNode.null == nil {
                let provider = try reader.mapping(providerNode, at: path + ".auth-provider")
                authProvider = try reader.string(provider, "name", at: path + ".auth-provider") ?? "unnamed"
            }
            let username = try reader.string(entry, "username", at: path)
            let password = try reader.string(entry, "password", at: path)
            return User(
                token: try reader.string(entry, "token", at: path),
                tokenFile: try reader.string(entry, "tokenFile", at: path),
                clientCertificate: try reader.string(entry, "client-certificate", at: path),
                clientCertificateData: try reader.string(entry, "client-certificate-data", at: path),
                clientKey: try reader.string(entry, "client-key", at: path),
                clientKeyData: try reader.string(entry, "client-key-data", at: path),
                exec: exec,
                execInteractiveMode: interactiveMode,
                authProvider: authProvider,
                hasBasicAuth: !(username ?? "").isEmpty || !(password ?? "").isEmpty
            )
        }
    }

    /// Builds a connection for `context` (or `current-context`), reading the files it names.
    public func connection(
        context contextOverride: String? = nil,
        tokenRefreshInterval: Duration = .seconds(5),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> KubernetesConnection {
        guard let contextName = nonEmpty(contextOverride) ?? nonEmpty(currentContext) else {
            throw KubeconfigError(file: file, problem: "current-context is not set and no context was given")
        }
        func fail(_ problem: String) -> KubeconfigError {
            KubeconfigError(file: file, context: contextName, problem: problem)
        }
        guard let context = contexts[contextName] else {
            throw KubeconfigError(file: file, problem: "context \"\(contextName)\" not found in contexts")
        }
        guard let clusterName = nonEmpty(context.cluster) else {
            throw fail("cluster is not set")
        }
        guard let cluster = clusters[clusterName] else {
            throw fail("cluster \"\(clusterName)\" not found in clusters")
        }
        let clusterPath = "cluster \"\(clusterName)\""
        guard let server = nonEmpty(cluster.server) else {
            throw fail("\(clusterPath): server is not set")
        }
        guard let url = URL(string: server), let scheme = url.scheme?.lowercased(),
            scheme == "https" || scheme == "http",
            let host = url.host, !host.isEmpty
        else {
            throw fail("\(clusterPath): server \"\(server)\" is not an https:// URL")
        }
        var caPEM: String?
        if let data = nonEmpty(cluster.certificateAuthorityData) {
            caPEM = try decodePEM(data, field: "\(clusterPath): certificate-authority-data", fail: fail)
        } else if let path = nonEmpty(cluster.certificateAuthority) {
            caPEM = try readPEM(path, field: "\(clusterPath): certificate-authority", fail: fail)
        }
        if cluster.insecureSkipTLSVerify, caPEM != nil {
            throw fail(
                "\(clusterPath): insecure-skip-tls-verify cannot be combined with certificate-authority(-data)"
            )
        }

        var credentials: any CredentialSource = StaticCredentialSource(.anonymous)
        if let userName = nonEmpty(context.user) {
            guard let user = users[userName] else {
                throw fail("user \"\(userName)\" not found in users")
            }
            credentials = try credentialSource(
                for: user,
                path: "user \"\(userName)\"",
                cluster: ExecCredentialSource.ClusterInfo(
                    server: server,
                    certificateAuthorityPEM: caPEM,
                    insecureSkipTLSVerify: cluster.insecureSkipTLSVerify
                ),
                tokenRefreshInterval: tokenRefreshInterval,
                environment: environment,
                fail: fail
            )
        }
        return KubernetesConnection(
            server: server,
            certificateAuthorityPEM: caPEM,
            insecureSkipTLSVerify: cluster.insecureSkipTLSVerify,
            credentials: credentials,
            namespace: nonEmpty(context.namespace) ?? "default",
            source: file,
            contextName: contextName
        )
    }

    // swift-format-ignore: FunctionParameterCount
    private func credentialSource(
        for user: User,
        path: String,
        cluster: ExecCredentialSource.ClusterInfo,
        tokenRefreshInterval: Duration,
        environment: [String: String],
        fail: (String) -> KubeconfigError
    ) throws -> any CredentialSource {
        if let provider = user.authProvider {
            throw fail(
                "\(path): auth-provider \"\(provider)\" is not supported (kubectl removed it; use an exec plugin such as kubelogin)"
            )
        }
        if user.hasBasicAuth {
            throw fail("\(path): username/password (basic auth) is not supported by Kubernetes")
        }
        var certificatePEM: String?
        if let data = nonEmpty(user.clientCertificateData) {
            certificatePEM = try decodePEM(data, field: "\(path): client-certificate-data", fail: fail)
        } else if let file = nonEmpty(user.clientCertificate) {
            certificatePEM = try readPEM(file, field: "\(path): client-certificate", fail: fail)
        }
        var keyPEM: String?
        if let data = nonEmpty(user.clientKeyData) {
            keyPEM = try decodePEM(data, field: "\(path): client-key-data", fail: fail)
        } else if let file = nonEmpty(user.clientKey) {
            keyPEM = try readPEM(file, field: "\(path): client-key", fail: fail)
        }
        var identity: ClientIdentity?
        switch (certificatePEM, keyPEM) {
        case (let certificate?, let key?):
            identity = ClientIdentity(certificatePEM: certificate, privateKeyPEM: key)
        case (.some, nil):
            throw fail("\(path): client-certificate is set but client-key(-data) is missing")
        case (nil, .some):
            throw fail("\(path): client-key is set but client-certificate(-data) is missing")
        case (nil, nil):
            break
        }

        if let exec = user.exec {
            let execPath = "\(path): exec"
            guard !exec.apiVersion.isEmpty else {
                throw fail("\(execPath).apiVersion is not set")
            }
            guard ExecCredentialPlugin.supportedAPIVersions.contains(exec.apiVersion) else {
                throw fail(
                    "\(execPath).apiVersion \"\(exec.apiVersion)\" is not supported (use "
                        + ExecCredentialPlugin.supportedAPIVersions.joined(separator: " or ") + ")"
                )
            }
            guard !exec.command.isEmpty else {
                throw fail("\(execPath).command is not set")
            }
            if let mode = user.execInteractiveMode, !["", "Never", "IfAvailable", "Always"].contains(mode) {
                throw fail("\(execPath).interactiveMode \"\(mode)\" is not one of Never, IfAvailable, Always")
            }
            if user.execInteractiveMode == "Always" {
                throw fail("\(execPath).interactiveMode is Always, but the operator cannot answer interactive prompts")
            }
            return ExecCredentialSource(
                plugin: exec,
                cluster: cluster,
                fallbackIdentity: identity,
                environment: environment
            )
        }
        if let token = nonEmpty(user.token) {
            return StaticCredentialSource(Credentials(bearerToken: token, clientIdentity: identity))
        }
        if let tokenFile = nonEmpty(user.tokenFile) {
            let absolute = resolve(tokenFile)
            guard FileManager.default.isReadableFile(atPath: absolute) else {
                throw fail("\(path): tokenFile \"\(absolute)\" cannot be read")
            }
            return TokenFileCredentialSource(
                path: absolute,
                refreshInterval: tokenRefreshInterval,
                clientIdentity: identity
            )
        }
        return StaticCredentialSource(Credentials(clientIdentity: identity))
    }

    private func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : directory + "/" + path
    }

    private func readPEM(_ path: String, field: String, fail: (String) -> KubeconfigError) throws -> String {
        let absolute = resolve(path)
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: absolute))
            let text = String(decoding: data, as: UTF8.self)
            guard text.contains("-----BEGIN ") else {
                throw fail("\(field) \"\(absolute)\" does not hold PEM data")
            }
            return text
        } catch let error as KubeconfigError {
            throw error
        } catch {
            throw fail("\(field) \"\(absolute)\" cannot be read (\(Self.reason(for: error, path: absolute)))")
        }
    }

    private func decodePEM(_ base64: String, field: String, fail: (String) -> KubeconfigError) throws -> String {
        let compact = base64.filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: compact) else {
            throw fail("\(field) is not valid base64")
        }
        let text = String(decoding: data, as: UTF8.self)
        guard text.contains("-----BEGIN ") else {
            throw fail("\(field) does not hold PEM data")
        }
        return text
    }

    private func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }

    static func reason(for error: any Error, path: String) -> String {
        if !FileManager.default.fileExists(atPath: path) { return "no such file" }
        if !FileManager.default.isReadableFile(atPath: path) { return "permission denied" }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return "is a directory"
        }
        return "\(error)"
    }
}
