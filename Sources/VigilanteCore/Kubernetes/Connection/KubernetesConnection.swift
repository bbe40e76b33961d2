/// Where the API server is and how to authenticate to it, resolved from a kubeconfig or the in-cluster
/// service account (see ``ConnectionResolver``).
public struct KubernetesConnection: Sendable {
    /// The server URL, for example `https://10.0.0.1:443`.
    public var server: String
    /// The CA bundle (PEM) that signs the server's certificate; nil uses the system trust store.
    public var certificateAuthorityPEM: String?
    /// Skip server certificate verification (insecure; kubeconfig `insecure-skip-tls-verify`).
    public var insecureSkipTLSVerify: Bool
    /// Supplies the token and/or client certificate for each request.
    public var credentials: any CredentialSource
    /// The default namespace (kubeconfig context namespace, or the service account's namespace).
    public var namespace: String
    /// Where this came from, for messages: a kubeconfig path or `in-cluster`.
    public var source: String
    /// The kubeconfig context, if any.
    public var contextName: String?

    /// Creates a connection.
    public init(
        server: String,
        certificateAuthorityPEM: String? = nil,
        insecureSkipTLSVerify: Bool = false,
        credentials: any CredentialSource = StaticCredentialSource(.anonymous),
        namespace: String = "default",
        source: String = "explicit",
        contextName: String? = nil
    ) {
        self.server = server
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.credentials = credentials
        self.namespace = namespace
        self.source = source
        self.contextName = contextName
    }
}
