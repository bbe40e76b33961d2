import Foundation
import Testing

@testable import VigilanteCore

@Suite("Kubeconfig parsing and connection resolution")
struct KubeconfigTests {
    static let pem = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"
    static let keyPEM = "-----BEGIN PRIVATE KEY-----\nMIIBfake\n-----END PRIVATE KEY-----\n"
    static var pemBase64: String { Data(pem.utf8).base64EncodedString() }
    static var keyBase64: String { Data(keyPEM.utf8).base64EncodedString() }

    /// A well-formed kubeconfig with one context, to which each case adds or changes a little.
    static func config(
        cluster: String = "    server: https://127.0.0.1:6443",
        user: String = "    token: abc",
        currentContext: String = "current-context: prod",
        contextUser: String = "alice"
    ) -> String {
        """
        apiVersion: v1
        kind: Config
        \(currentContext)
        clusters:
        - name: aks
          cluster:
        \(cluster)
        contexts:
        - name: prod
          context:
            cluster: aks
            user: \(contextUser)
            namespace: vigilante
        users:
        - name: alice
          user:
        \(user)
        """
    }

    /// Loads `yaml` as `~/.kube/config` and returns the error message of building its connection.
    func errorMessage(_ yaml: String, context: String? = nil, files: [String: String] = [:]) throws -> String? {
        let directory = try KubeTestDirectory()
        defer { directory.remove() }
        for (name, contents) in files {
            try directory.write(name, contents)
        }
        let path = try directory.write(".kube/config", yaml)
        do {
            let kubeconfig = try Kubeconfig.load(path: path, displayPath: "~/.kube/config")
            _ = try kubeconfig.connection(context: context)
            return nil
        } catch let error as KubeconfigError {
            return error.description.replacingOccurrences(of: directory.path, with: "$DIR")
        }
    }

    // MARK: - Malformed files

    @Test func missingFileNamesThePath() throws {
        let error = #expect(throws: KubeconfigError.self) {
            try Kubeconfig.load(path: "/nonexistent/kubeconfig")
        }
        #expect(error?.description == "/nonexistent/kubeconfig: cannot be read (no such file)")
    }

    @Test func invalidYAMLNamesLineAndColumn() throws {
        let message = try errorMessage("clusters:\n- name: a\n  cluster: {server: [\n")
        #expect(message?.hasPrefix("~/.kube/config: is not valid YAML: ") == true)
        #expect(message?.contains("line 4") == true)
    }

    @Test func topLevelMustBeAMapping() throws {
        #expect(try errorMessage("- a\n- b\n") == "~/.kube/config: the top level must be a mapping (line 1)")
    }

    @Test func wrongKind() throws {
        #expect(try errorMessage("kind: Pod\n") == "~/.kube/config: kind is \"Pod\", expected Config")
    }

    @Test func noCurrentContext() throws {
        #expect(
            try errorMessage(Self.config(currentContext: ""))
                == "~/.kube/config: current-context is not set and no context was given"
        )
    }

    @Test func emptyFileHasNoCurrentContext() throws {
        #expect(try errorMessage("") == "~/.kube/config: current-context is not set and no context was given")
    }

    @Test func unknownContext() throws {
        #expect(
            try errorMessage(Self.config(), context: "staging")
                == "~/.kube/config: context \"staging\" not found in contexts"
        )
    }

    @Test func unknownUser() throws {
        #expect(
            try errorMessage(Self.config(contextUser: "x"))
                == "~/.kube/config: context \"prod\": user \"x\" not found in users"
        )
    }

    @Test func unknownCluster() throws {
        let yaml = Self.config().replacingOccurrences(of: "    cluster: aks", with: "    cluster: gke")
        #expect(try errorMessage(yaml) == "~/.kube/config: context \"prod\": cluster \"gke\" not found in clusters")
    }

    @Test func missingServer() throws {
        #expect(
            try errorMessage(Self.config(cluster: "    insecure-skip-tls-verify: true"))
                == "~/.kube/config: context \"prod\": cluster \"aks\": server is not set"
        )
    }

    @Test func serverIsNotAURL() throws {
        #expect(
            try errorMessage(Self.config(cluster: "    server: 10.0.0.1:6443"))
                == "~/.kube/config: context \"prod\": cluster \"aks\": server \"10.0.0.1:6443\" is not an https:// URL"
        )
    }

    @Test func certificateAuthorityDataIsNotBase64() throws {
        let cluster = "    server: https://a:443\n    certificate-authority-data: not*base64"
        #expect(
            try errorMessage(Self.config(cluster: cluster))
                == "~/.kube/config: context \"prod\": cluster \"aks\": certificate-authority-data is not valid base64"
        )
    }

    @Test func certificateAuthorityDataIsNotPEM() throws {
        let cluster =
            "    server: https://a:443\n    certificate-authority-data: \(Data("hello".utf8).base64EncodedString())"
        #expect(
            try errorMessage(Self.config(cluster: cluster))
                == "~/.kube/config: context \"prod\": cluster \"aks\": certificate-authority-data does not hold PEM data"
        )
    }

    @Test func certificateAuthorityFileMissingIsResolvedAgainstTheKubeconfigFolder() throws {
        let cluster = "    server: https://a:443\n    certificate-authority: ca.crt"
        #expect(
            try errorMessage(Self.config(cluster: cluster))
                == "~/.kube/config: context \"prod\": cluster \"aks\": certificate-authority \"$DIR/.kube/ca.crt\" cannot be read (no such file)"
        )
    }

    @Test func insecureFlagMustBeABoolean() throws {
        let cluster = "    server: https://a:443\n    insecure-skip-tls-verify: maybe"
        #expect(
            try errorMessage(Self.config(cluster: cluster))
                == "~/.kube/config: clusters[0] (\"aks\").cluster.insecure-skip-tls-verify must be true or false (line 8)"
        )
    }

    @Test func insecureFlagWithCertificateAuthority() throws {
        let cluster =
            "    server: https://a:443\n    insecure-skip-tls-verify: true\n    certificate-authority-data: \(Self.pemBase64)"
        #expect(
            try errorMessage(Self.config(cluster: cluster))
                == "~/.kube/config: context \"prod\": cluster \"aks\": insecure-skip-tls-verify cannot be combined with certificate-authority(-data)"
        )
    }

    @Test func clientCertificateWithoutKey() throws {
        #expect(
            try errorMessage(Self.config(user: "    client-certificate-data: \(Self.pemBase64)"))
                == "~/.kube/config: context \"prod\": user \"alice\": client-certificate is set but client-key(-data) is missing"
        )
    }

    @Test func execWithoutCommand() throws {
        let user = "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      args: [get-token]"
        #expect(
            try errorMessage(Self.config(user: user))
                == "~/.kube/config: context \"prod\": user \"alice\": exec.command is not set"
        )
    }

    @Test func execWithUnsupportedAPIVersion() throws {
        let user = "    exec:\n      apiVersion: client.authentication.k8s.io/v1alpha1\n      command: kubelogin"
        #expect(
            try errorMessage(Self.config(user: user))
                == "~/.kube/config: context \"prod\": user \"alice\": exec.apiVersion \"client.authentication.k8s.io/v1alpha1\" is not supported (use client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1)"
        )
    }

    @Test func execArgsMustBeAList() throws {
        let user =
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: kubelogin\n      args: get-token"
        #expect(
            try errorMessage(Self.config(user: user))
                == "~/.kube/config: users[0] (\"alice\").user.exec.args must be a list (line 20)"
        )
    }

    @Test func execEnvEntryWithoutName() throws {
        let user =
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: kubelogin\n      env:\n      - value: x"
        #expect(
            try errorMessage(Self.config(user: user))
                == "~/.kube/config: users[0] (\"alice\").user.exec.env[0].name is missing (line 21)"
        )
    }

    @Test func legacyAuthProviderIsRejected() throws {
        let user = "    auth-provider:\n      name: azure\n      config: {}"
        #expect(
            try errorMessage(Self.config(user: user))
                == "~/.kube/config: context \"prod\": user \"alice\": auth-provider \"azure\" is not supported (kubectl removed it; use an exec plugin such as kubelogin)"
        )
    }

    @Test func basicAuthIsRejected() throws {
        #expect(
            try errorMessage(Self.config(user: "    username: admin\n    password: secret"))
                == "~/.kube/config: context \"prod\": user \"alice\": username/password (basic auth) is not supported by Kubernetes"
        )
    }

    @Test func unreadableTokenFile() throws {
        #expect(
            try errorMessage(Self.config(user: "    tokenFile: token.txt"))
                == "~/.kube/config: context \"prod\": user \"alice\": tokenFile \"$DIR/.kube/token.txt\" cannot be read"
        )
    }

    @Test func duplicateContextNames() throws {
        let yaml = Self.config() + "\n" + "contexts:\n- name: a\n- name: a\n"
        // A repeated top-level key is itself a YAML error; check duplicate names inside one list instead.
        #expect(try errorMessage(yaml)?.contains("duplicate keys \"contexts\"") == true)
        let duplicated = Self.config().replacingOccurrences(
            of: "users:\n",
            with: "- name: prod\n  context: {cluster: aks}\nusers:\n"
        )
        #expect(try errorMessage(duplicated) == "~/.kube/config: contexts: duplicate name \"prod\" (line 14)")
    }

    @Test func entryWithoutName() throws {
        let yaml = Self.config().replacingOccurrences(of: "- name: aks\n", with: "- cluster-name: aks\n")
        #expect(try errorMessage(yaml) == "~/.kube/config: clusters[0].name is not set (line 5)")
    }

    @Test func tokenMustBeAString() throws {
        #expect(
            try errorMessage(Self.config(user: "    token: [a, b]"))
                == "~/.kube/config: users[0] (\"alice\").user.token must be a string (line 17)"
        )
    }

    // MARK: - Valid files

    @Test func tokenUserWithCADataAndNamespace() throws {
        let directory = try KubeTestDirectory()
        defer { directory.remove() }
        let path = try directory.write(
            "config",
            Self.config(
                cluster: "    server: https://127.0.0.1:6443\n    certificate-authority-data: \(Self.pemBase64)")
        )
        let connection = try Kubeconfig.load(path: path).connection()
        #expect(connection.server == "https://127.0.0.1:6443")
        #expect(connection.certificateAuthorityPEM == Self.pem)
        #expect(connection.namespace == "vigilante")
        #expect(connection.contextName == "prod")
        #expect(!connection.insecureSkipTLSVerify)
    }

    @Test func relativeClientCertificatePathsAreResolvedAgainstTheKubeconfigFolder() async throws {
        let directory = try KubeTestDirectory()
        defer { directory.remove() }
        try directory.write("kube/certs/client.crt", Self.pem)
        try directory.write("kube/certs/client.key", Self.keyPEM)
        let path = try directory.write(
            "kube/config",
            Self.config(user: "    client-certificate: certs/client.crt\n    client-key: certs/client.key")
        )
        let connection = try Kubeconfig.load(path: path).connection()
        let credentials = try await connection.credentials.credentials()
        #expect(credentials.bearerToken == nil)
        #expect(credentials.clientIdentity == ClientIdentity(certificatePEM: Self.pem, privateKeyPEM: Self.keyPEM))
        #expect("\(credentials)" == "client certificate")
    }

    @Test func tokenTakesPrecedenceOverTokenFile() async throws {
        let directory = try KubeTestDirectory()
        defer { directory.remove() }
        try directory.write("token", "from-file\n")
        let path = try directory.write("config", Self.config(user: "    token: inline\n    tokenFile: token"))
        let credentials = try await Kubeconfig.load(path: path).connection().credentials.credentials()
        #expect(credentials.bearerToken == "inline")
        #expect(!"\(credentials)".contains("inline"))
    }

    @Test func tokenFileIsRead() async throws {
        let directory = try KubeTestDirectory()
        defer { directory.remove() }
        try directory.write("token", "from-file\n")
        let path = try directory.write("config", Self.config(user: "    tokenFile: token"))
        let source = try Kubeconfig.load(path: path).connection().credentials
        #expect(source is TokenFileCredentialSource)
        #expect(try await source.credentials().bearerToken == "from-file")
    }

    @Test func execPluginIsParsed() throws {
        let user = """
                exec:
                  apiVersion: client.authentication.k8s.io/v1beta1
                  command: kubelogin
                  args: [get-token, --server-id, "6dae42f8"]
                  env:
                  - name: AAD_LOGIN_METHOD
                    value: msi
                  provideClusterInfo: true
                  interactiveMode: IfAvailable
            """
        let kubeconfig = try Kubeconfig(yaml: Self.config(user: user), file: "k", directory: "/etc/kube")
        let plugin = try #require(kubeconfig.users["alice"]?.exec)
        #expect(plugin.command == "kubelogin")
        #expect(plugin.args == ["get-token", "--server-id", "6dae42f8"])
        #expect(plugin.env == [.init(name: "AAD_LOGIN_METHOD", value: "msi")])
        #expect(plugin.provideClusterInfo)
        #expect(plugin.baseDirectory == "/etc/kube")
        #expect(try kubeconfig.connection().credentials is ExecCredentialSource)
    }

    @Test func contextOverrideWins() throws {
        let yaml = Self.config().replacingOccurrences(
            of: "users:\n",
            with: "- name: dev\n  context: {cluster: aks, user: alice}\nusers:\n"
        )
        let kubeconfig = try Kubeconfig(yaml: yaml, file: "k", directory: "/")
        #expect(try kubeconfig.connection().namespace == "vigilante")
        let dev = try kubeconfig.connection(context: "dev")
        #expect(dev.contextName == "dev")
        #expect(dev.namespace == "default")
    }

    // MARK: - Resolution order

    @Test func explicitPathBeatsKUBECONFIGWhichBeatsInClusterAndHome() throws {
        let directory = try KubeTestDirectory()
        defer { directory.remove() }
        let explicit = try directory.write("explicit", Self.config(cluster: "    server: https://explicit:1"))
        let fromEnvironment = try directory.write("env", Self.config(cluster: "    server: https://env:1"))
        try directory.write("home/.kube/config", Self.config(cluster: "    server: https://home:1"))
        try directory.write("sa/token", "sa-token")
        try directory.write("sa/ca.crt", Self.pem)
        var environment = [
            "KUBECONFIG": "\(fromEnvironment):/nonexistent/second",
            "KUBERNETES_SERVICE_HOST": "10.0.0.1",
            "KUBERNETES_SERVICE_PORT": "443",
        ]
        func resolve(_ explicitPath: String?) throws -> (String, ConnectionResolver.Origin) {
            let resolved = try ConnectionResolver(
                kubeconfigPath: explicitPath,
                environment: environment,
                serviceAccountDirectory: directory.path + "/sa",
                homeDirectory: directory.path + "/home"
            ).resolveWithOrigin()
            return (resolved.connection.server, resolved.origin)
        }
        #expect(try resolve(explicit) == ("https://explicit:1", .explicitKubeconfig))
        #expect(try resolve(nil) == ("https://env:1", .kubeconfigEnvironment))
        environment["KUBECONFIG"] = nil
        #expect(try resolve(nil) == ("https://10.0.0.1:443", .inCluster))
        environment = [:]
        #expect(try resolve(nil) == ("https://home:1", .homeKubeconfig))
    }

    @Test func homeKubeconfigErrorsAreShownWithATilde() throws {
        let directory = try KubeTestDirectory()
        defer { directory.remove() }
        try directory.write("home/.kube/config", Self.config(contextUser: "x"))
        let error = #expect(throws: KubeconfigError.self) {
            try ConnectionResolver(environment: [:], homeDirectory: directory.path + "/home").resolve()
        }
        #expect(error?.description == "~/.kube/config: context \"prod\": user \"x\" not found in users")
    }

    @Test func nothingConfigured() throws {
        let error = #expect(throws: KubeconfigError.self) {
            try ConnectionResolver(environment: [:], homeDirectory: "/nonexistent").resolve()
        }
        #expect(error?.description.contains("no Kubernetes configuration found") == true)
    }

    @Test func inClusterLayout() async throws {
        let directory = try KubeTestDirectory()
        defer { directory.remove() }
        try directory.write("token", "sa-token-1\n")
        try directory.write("ca.crt", Self.pem)
        try directory.write("namespace", "vigilante")
        let connection = try ConnectionResolver(
            environment: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"],
            serviceAccountDirectory: directory.path
        ).resolve()
        #expect(connection.server == "https://[fd00::1]:443")
        #expect(connection.namespace == "vigilante")
        #expect(connection.certificateAuthorityPEM == Self.pem)
        #expect(connection.source == "in-cluster")
        #expect(try await connection.credentials.credentials().bearerToken == "sa-token-1")
    }

    @Test func inClusterWithoutTokenFails() throws {
        let directory = try KubeTestDirectory()
        defer { directory.remove() }
        let error = #expect(throws: KubeconfigError.self) {
            try ConnectionResolver(
                environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"],
                serviceAccountDirectory: directory.path
            ).resolve()
        }
        #expect(error?.description == "in-cluster: service account token \(directory.path)/token cannot be read")
    }
}
