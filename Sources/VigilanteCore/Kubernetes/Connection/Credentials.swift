/// What a request authenticates with: a bearer token, a TLS client certificate, both or neither.
///
/// Descriptions never include the secret material.
public struct Credentials: Sendable, Hashable, CustomStringConvertible {
    /// The bearer token for the `Authorization` header.
    public var bearerToken: String?
    /// The TLS client certificate and key.
    public var clientIdentity: ClientIdentity?

    /// Creates credentials.
    public init(bearerToken: String? = nil, clientIdentity: ClientIdentity? = nil) {
        self.bearerToken = bearerToken
        self.clientIdentity = clientIdentity
    }

    /// No credentials: the request is anonymous.
    public static let anonymous = Credentials()

    public var description: String {
        var parts: [String] = []
        if bearerToken != nil { parts.append("bearer token (redacted)") }
        if clientIdentity != nil { parts.append("client certificate") }
        return parts.isEmpty ? "anonymous" : parts.joined(separator: " + ")
    }
}

/// A PEM client certificate chain and its private key.
public struct ClientIdentity: Sendable, Hashable, CustomStringConvertible {
    /// The certificate chain, PEM.
    public var certificatePEM: String
    /// The private key, PEM.
    public var privateKeyPEM: String

    /// Creates an identity.
    public init(certificatePEM: String, privateKeyPEM: String) {
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
    }

    public var description: String { "client certificate (key redacted)" }
}

/// Supplies ``Credentials`` for each request; implementations cache and refresh them.
public protocol CredentialSource: Sendable {
    /// The credentials to use now.
    func credentials() async throws -> Credentials
    /// Called after a 401: drop cached credentials. Returns true when fresh ones may differ, so that
    /// a retry is worthwhile.
    func invalidate() async -> Bool
}

/// Credentials that never change: a fixed token and/or client certificate, or none.
public struct StaticCredentialSource: CredentialSource {
    private let value: Credentials

    /// Wraps fixed credentials.
    public init(_ credentials: Credentials) {
        value = credentials
    }

    public func credentials() async throws -> Credentials { value }

    public func invalidate() async -> Bool { false }
}
