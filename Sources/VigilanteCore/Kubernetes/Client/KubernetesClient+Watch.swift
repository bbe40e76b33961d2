extension KubernetesClient {
    /// Starts a watch and returns its event stream once the server has accepted it (HTTP errors such as
    /// 403 throw here). A resourceVersion that is too old arrives as an ``WatchEvent/error(_:)`` event with
    /// code 410, as the real API server sends it.
    public func watch<R: KubernetesResource>(
        _ type: R.Type = R.self,
        namespace: String? = nil,
        options: WatchOptions = WatchOptions()
    ) async throws -> WatchEventStream<R> {
        let target = target(R.self, namespace: namespace, name: nil)
        // The whole stream must fit in the deadline: give the server's own timeout some slack.
        let timeout: Duration? = options.timeoutSeconds.map { .seconds($0) + configuration.requestTimeout }
        let response = try await execute(
            Request(
                verb: .watch,
                resource: R.qualifiedResource,
                path: path(R.self, namespace: namespace),
                query: options.queryItems,
                timeout: timeout ?? .seconds(365 * 86_400),
                target: target
            )
        )
        return WatchEventStream(body: response.body, maxEventBytes: configuration.maxWatchEventBytes, target: target)
    }
}
