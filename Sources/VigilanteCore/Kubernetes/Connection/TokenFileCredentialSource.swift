import Foundation

/// A bearer token read from a file and re-read when it may have changed: projected service-account
/// tokens are rotated by the kubelet (hourly), and kubeconfig `tokenFile`s may be rewritten.
///
/// The file is read at most once per `refreshInterval`, and again at once after a 401.
public final class TokenFileCredentialSource: CredentialSource {
    /// The token file.
    public let path: String
    private let refreshInterval: Duration
    private let clientIdentity: ClientIdentity?
    private let clock = ContinuousClock()
    private let state: LockedState<CachedToken?>

    private struct CachedToken {
        var token: String
        var readAt: ContinuousClock.Instant
    }

    /// Reads tokens from `path`, at most once per `refreshInterval`.
    public init(path: String, refreshInterval: Duration = .seconds(5), clientIdentity: ClientIdentity? = nil) {
        self.path = path
        self.refreshInterval = refreshInterval
        self.clientIdentity = clientIdentity
        self.state = LockedState(nil)
    }

    public func credentials() async throws -> Credentials {
        let now = clock.now
        if let cached = state.withLock({ cached in
            cached.flatMap { now - $0.readAt < refreshInterval ? $0.token : nil }
        }) {
            return Credentials(bearerToken: cached, clientIdentity: clientIdentity)
        }
        let token = try Self.readToken(at: path)
        state.withLock { $0 = CachedToken(token: token, readAt: now) }
        return Credentials(bearerToken: token, clientIdentity: clientIdentity)
    }

    public func invalidate() async -> Bool {
        state.withLock { $0 = nil }
        return true
    }

    static func readToken(at path: String) throws -> String {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw KubernetesError.transport("cannot read token file \(path)", underlying: error)
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else {
            throw KubernetesError.transport(
                "token file \(path) is empty",
                underlying: CocoaError(.fileReadCorruptFile)
            )
        }
        return token
    }
}
