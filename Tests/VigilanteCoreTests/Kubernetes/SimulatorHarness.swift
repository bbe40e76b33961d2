import ClusterSimulator
import Foundation
import Logging
import Testing

@testable import VigilanteCore

/// A running ClusterSimulator plus a scratch folder, for client integration tests over HTTPS.
struct SimulatorHarness {
    let simulator: ClusterSimulator
    let directory: KubeTestDirectory

    static func withHarness(
        configure: (inout SimulatorConfiguration) -> Void = { _ in },
        _ body: (SimulatorHarness) async throws -> Void
    ) async throws {
        var configuration = SimulatorConfiguration()
        configuration.podStartDelay = .milliseconds(50)
        configure(&configuration)
        let simulator = try await ClusterSimulator.start(configuration)
        let directory = try KubeTestDirectory()
        do {
            try await body(SimulatorHarness(simulator: simulator, directory: directory))
        } catch {
            await simulator.stop()
            directory.remove()
            throw error
        }
        await simulator.stop()
        directory.remove()
    }

    /// Client settings for tests: short timeouts and retry delays, so failures show quickly.
    static let clientConfiguration = KubernetesClientConfiguration(
        requestTimeout: .seconds(15),
        connectTimeout: .seconds(2),
        maxAttempts: 4,
        retryBackoff: Backoff(initial: .milliseconds(20), maximum: .milliseconds(200))
    )

    /// Writes a kubeconfig for the simulator with the given `user:` block (indented by four spaces).
    func writeKubeconfig(user: String, name: String = "config") throws -> String {
        let ca = Data(simulator.caCertificatePEM.utf8).base64EncodedString()
        return try directory.write(
            name,
            """
            apiVersion: v1
            kind: Config
            current-context: sim
            clusters:
            - name: sim
              cluster:
                server: \(simulator.baseURL)
                certificate-authority-data: \(ca)
            contexts:
            - name: sim
              context:
                cluster: sim
                user: robot
                namespace: vigilante
            users:
            - name: robot
              user:
            \(user)
            """
        )
    }

    /// A client for a kubeconfig, resolved as the operator does.
    func client(
        kubeconfig: String,
        configuration: KubernetesClientConfiguration = SimulatorHarness.clientConfiguration,
        metrics: KubernetesClientMetrics = KubernetesClientMetrics(),
        tokenRefreshInterval: Duration = .seconds(5)
    ) throws -> KubernetesClient {
        let connection = try ConnectionResolver(
            kubeconfigPath: kubeconfig,
            environment: ["PATH": "/usr/bin:/bin"],
            tokenRefreshInterval: tokenRefreshInterval
        ).resolve()
        return KubernetesClient(
            transport: try AsyncHTTPClientTransport(
                connection: connection,
                connectTimeout: configuration.connectTimeout,
                logger: Logger(label: "test")
            ),
            credentials: connection.credentials,
            defaultNamespace: connection.namespace,
            configuration: configuration,
            metrics: metrics
        )
    }

    /// A client with the admin token (system:masters).
    func adminClient(
        configuration: KubernetesClientConfiguration = SimulatorHarness.clientConfiguration,
        metrics: KubernetesClientMetrics = KubernetesClientMetrics()
    ) throws -> KubernetesClient {
        let path = directory.path + "/admin-config"
        try simulator.writeKubeconfig(to: path)
        return try client(kubeconfig: path, configuration: configuration, metrics: metrics)
    }

    /// The users of the requests the simulator saw for a resource.
    func users(of resource: String) -> [String] {
        simulator.accessLog().filter { $0.resource == resource }.map(\.user)
    }
}

/// Runs `body` with a client and always shuts the client down.
func using<Result>(
    _ client: KubernetesClient,
    _ body: (KubernetesClient) async throws -> Result
) async throws -> Result {
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}
