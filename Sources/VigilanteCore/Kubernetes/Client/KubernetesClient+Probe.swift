extension KubernetesClient {
    /// Sends `GET /version` once, without retries, and returns when the server answered with any HTTP
    /// status (even 401 or 403 prove the server is there). Throws the transport error otherwise.
    public func probeServer(timeout: Duration) async throws {
        let credentials = (try? await self.credentials.credentials()) ?? .anonymous
        var headers = [("Accept", "application/json"), ("User-Agent", configuration.userAgent)]
        if let token = credentials.bearerToken { headers.append(("Authorization", "Bearer \(token)")) }
        let response = try await transport.send(
            KubernetesHTTPRequest(
                method: "GET", pathAndQuery: "/version", headers: headers, timeout: timeout,
                clientIdentity: credentials.clientIdentity))
        for try await _ in response.body {}
    }
}
