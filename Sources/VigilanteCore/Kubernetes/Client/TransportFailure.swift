import AsyncHTTPClient

/// Classifies transport errors from AsyncHTTPClient and NIO.
enum TransportFailure {
    /// Whether the request certainly never reached the server (so repeating a create is safe).
    static func isConnectFailure(_ error: any Error) -> Bool {
        if error is ConnectionFailure { return true }
        if let httpError = error as? HTTPClientError, httpError == .connectTimeout {
            return true
        }
        let text = String(describing: error).lowercased()
        return text.contains("connection refused") || text.contains("connectionrefused")
            || text.contains("connecttimeout") || text.contains("econnrefused")
    }

    /// `error` as a ``ConnectionFailure`` naming the server when the connection to it failed (refused, or
    /// not made within the connect timeout), as kubectl says it; other errors unchanged.
    static func naming(_ error: any Error, server: String, connectTimeout: Duration) -> any Error {
        if let httpError = error as? HTTPClientError, httpError == .connectTimeout {
            return ConnectionFailure(
                description: "no connection to \(server) within \(connectTimeout.configText)", underlying: error)
        }
        let text = String(describing: error).lowercased()
        if text.contains("connection refused") || text.contains("connectionrefused") || text.contains("econnrefused") {
            return ConnectionFailure(description: "connection refused to \(server)", underlying: error)
        }
        return error
    }

    /// A short description without request details (which could include credentials).
    static func summary(_ error: any Error) -> String {
        let text = String(describing: error)
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }
}

/// The connection to the API server failed: refused, or not made in time. Its description says so and
/// names the server (`connection refused to https://10.0.0.1:443`).
struct ConnectionFailure: Error, CustomStringConvertible {
    let description: String
    /// What the HTTP client reported.
    let underlying: any Error
}
