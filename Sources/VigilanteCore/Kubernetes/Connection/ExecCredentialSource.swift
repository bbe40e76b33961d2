import Foundation

/// Runs an exec credential plugin and caches its credential until `expirationTimestamp` (or, without one,
/// until the server answers 401), as kubectl does.
public actor ExecCredentialSource: CredentialSource {
    private let plugin: ExecCredentialPlugin
    private let cluster: ClusterInfo?
    private let fallbackIdentity: ClientIdentity?
    private let environment: [String: String]
    private let timeout: Duration
    private var cached: CachedCredential?
    private var running: Task<CachedCredential, any Error>?
    /// How many times the plugin has been run (for tests and diagnostics).
    public private(set) var runCount = 0

    /// The cluster passed to plugins that set `provideClusterInfo`.
    public struct ClusterInfo: Sendable {
        /// The server URL.
        public var server: String
        /// The CA bundle, PEM.
        public var certificateAuthorityPEM: String?
        /// Whether TLS verification is off.
        public var insecureSkipTLSVerify: Bool

        /// Creates cluster info.
        public init(server: String, certificateAuthorityPEM: String?, insecureSkipTLSVerify: Bool) {
            self.server = server
            self.certificateAuthorityPEM = certificateAuthorityPEM
            self.insecureSkipTLSVerify = insecureSkipTLSVerify
        }
    }

    private struct CachedCredential: Sendable {
        var credentials: Credentials
        var expiry: Date?
    }

    /// Creates a source for the plugin; `environment` is the process environment the plugin inherits.
    public init(
        plugin: ExecCredentialPlugin,
        cluster: ClusterInfo? = nil,
        fallbackIdentity: ClientIdentity? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        timeout: Duration = .seconds(60)
    ) {
        self.plugin = plugin
        self.cluster = cluster
        self.fallbackIdentity = fallbackIdentity
        self.environment = environment
        self.timeout = timeout
    }

    public func credentials() async throws -> Credentials {
        if let cached, cached.expiry.map({ $0.timeIntervalSinceNow > 0 }) ?? true {
            return cached.credentials
        }
        if let running {
            return try await running.value.credentials
        }
        let task = Task { try await self.runPlugin() }
        running = task
        defer { running = nil }
        let fresh = try await task.value
        cached = fresh
        return fresh.credentials
    }

    public func invalidate() async -> Bool {
        cached = nil
        return true
    }

    private func runPlugin() async throws -> CachedCredential {
        runCount += 1
        let executable = try resolveExecutable()
        var environment = self.environment
        for variable in plugin.env {
            environment[variable.name] = variable.value
        }
        environment["KUBERNETES_EXEC_INFO"] = execInfo()
        let result = try await ProcessRunner.run(
            executable: executable,
            arguments: plugin.args,
            environment: environment,
            timeout: timeout
        )
        guard result.status == 0 else {
            let detail = String(decoding: result.standardError.prefix(500), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            throw ExecPluginError(
                command: plugin.command,
                problem: "exited with status \(result.status)" + (detail.isEmpty ? "" : ": \(detail)")
            )
        }
        return try parse(result.standardOutput)
    }

    private func parse(_ output: Data) throws -> CachedCredential {
        struct ExecCredential: Decodable {
            var apiVersion: String?
            var kind: String?
            var status: Status?
            struct Status: Decodable {
                var token: String?
                var clientCertificateData: String?
                var clientKeyData: String?
                var expirationTimestamp: String?
            }
        }
        let credential: ExecCredential
        do {
            credential = try JSONDecoder().decode(ExecCredential.self, from: output)
        } catch {
            throw ExecPluginError(
                command: plugin.command, problem: "printed something that is not an ExecCredential JSON")
        }
        guard credential.kind == "ExecCredential" else {
            throw ExecPluginError(
                command: plugin.command,
                problem: "printed kind \"\(credential.kind ?? "")\", expected ExecCredential"
            )
        }
        guard credential.apiVersion == plugin.apiVersion else {
            throw ExecPluginError(
                command: plugin.command,
                problem: "printed apiVersion \"\(credential.apiVersion ?? "")\", expected \"\(plugin.apiVersion)\""
            )
        }
        guard let status = credential.status else {
            throw ExecPluginError(command: plugin.command, problem: "printed an ExecCredential without status")
        }
        var identity = fallbackIdentity
        switch (status.clientCertificateData, status.clientKeyData) {
        case (let certificate?, let key?):
            identity = ClientIdentity(certificatePEM: certificate, privateKeyPEM: key)
        case (nil, nil):
            break
        default:
            throw ExecPluginError(
                command: plugin.command,
                problem: "status must set both clientCertificateData and clientKeyData, or neither"
            )
        }
        let token = status.token.flatMap { $0.isEmpty ? nil : $0 }
        guard token != nil || identity != nil else {
            throw ExecPluginError(
                command: plugin.command, problem: "status has neither a token nor a client certificate")
        }
        var expiry: Date?
        if let text = status.expirationTimestamp {
            guard let date = KubernetesTime.parse(text) else {
                throw ExecPluginError(
                    command: plugin.command, problem: "expirationTimestamp \"\(text)\" is not RFC 3339")
            }
            expiry = date
        }
        return CachedCredential(credentials: Credentials(bearerToken: token, clientIdentity: identity), expiry: expiry)
    }

    private func resolveExecutable() throws -> String {
        let command = plugin.command
        if command.contains("/") {
            let path = command.hasPrefix("/") ? command : plugin.baseDirectory + "/" + command
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw ExecPluginError(command: command, problem: "\(path) is not an executable file" + hint)
            }
            return path
        }
        for directory in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let path = "\(directory)/\(command)"
            if FileManager.default.isExecutableFile(atPath: path) {
                return path
            }
        }
        throw ExecPluginError(command: command, problem: "not found in PATH" + hint)
    }

    private var hint: String {
        plugin.installHint.map { "; \($0.trimmingCharacters(in: .whitespacesAndNewlines))" } ?? ""
    }

    private func execInfo() -> String {
        var spec: [String: RawJSON] = ["interactive": false]
        if plugin.provideClusterInfo, let cluster {
            var clusterJSON: [String: RawJSON] = ["server": .string(cluster.server)]
            if let ca = cluster.certificateAuthorityPEM {
                clusterJSON["certificate-authority-data"] = .string(Data(ca.utf8).base64EncodedString())
            }
            if cluster.insecureSkipTLSVerify {
                clusterJSON["insecure-skip-tls-verify"] = true
            }
            spec["cluster"] = .object(clusterJSON)
        }
        let info: RawJSON = [
            "apiVersion": .string(plugin.apiVersion),
            "kind": "ExecCredential",
            "spec": .object(spec),
        ]
        let data = (try? KubernetesJSON.makeEncoder().encode(info)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
