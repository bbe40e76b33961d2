import AsyncHTTPClient

/// Classifies transport errors from AsyncHTTPClient and NIO.
enum TransportFailure {
    /// Whether the request certainly never reached the server (so repeating a create is safe).
    static func isConnectFailure(_ error: any Error) -> Bool {
        if let httpError = error as? HTTPClientError, httpError == .connectTimeout {
            return true
        }
        let text = String(describing: error).lowercased()
        return text.contains("connection refused") || text.contains("connectionrefused")
            || text.contains("connecttimeout") || text.contains("econnrefused")
    }

    /// A short description without request details (which could include credentials).
    static func summary(_ error: any Error) -> String {
        let text = String(describing: error)
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }
}
