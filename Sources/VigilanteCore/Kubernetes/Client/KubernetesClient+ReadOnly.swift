extension KubernetesClient {
    /// A client sharing this one's connection that refuses every mutation with
    /// ``KubernetesError/dryRun(_:)``: what a task in dry-run mode gets.
    public func readOnly() -> KubernetesClient {
        if configuration.readOnly { return self }
        var configuration = configuration
        configuration.readOnly = true
        return KubernetesClient(
            transport: transport, credentials: credentials, defaultNamespace: defaultNamespace,
            configuration: configuration, logger: logger, metrics: metrics)
    }
}
