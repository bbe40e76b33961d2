import ClusterSimulator
import Foundation
import Logging
import VigilanteCore

/// A fast simulated API server for task tests: HTTPS on port 0, pods start and terminate in 20 ms, a
/// scratch folder holding the kubeconfig it wrote, and the connection resolved from that kubeconfig as
/// the operator resolves it.
public struct TestSimulator: Sendable {
    /// The running simulator.
    public let simulator: ClusterSimulator
    /// The scratch folder (remove it when done).
    public let directory: String
    /// The admin connection from the simulator's kubeconfig.
    public let connection: KubernetesConnection

    /// Starts a simulator with the given namespaces created.
    public static func start(prefix: String, namespaces: [String]) async throws -> TestSimulator {
        var configuration = SimulatorConfiguration()
        configuration.port = 0
        configuration.podStartDelay = .milliseconds(20)
        configuration.podTerminationDelay = .milliseconds(20)
        let simulator = try await ClusterSimulator.start(configuration)
        let directory = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let kubeconfig = directory + "/kubeconfig"
        try simulator.writeKubeconfig(to: kubeconfig)
        let connection = try ConnectionResolver(kubeconfigPath: kubeconfig, environment: [:]).resolve()
        for namespace in namespaces {
            simulator.create(apiVersion: "v1", resource: "namespaces", ["metadata": ["name": .string(namespace)]])
        }
        return TestSimulator(simulator: simulator, directory: directory, connection: connection)
    }

    /// A real HTTPS transport to the simulator.
    public func transport() throws -> AsyncHTTPClientTransport {
        try AsyncHTTPClientTransport(connection: connection, connectTimeout: .seconds(5), logger: Logger(label: "test"))
    }

    /// A client over `transport`, with the connection's credentials.
    public func client(
        over transport: any KubernetesTransport,
        configuration: KubernetesClientConfiguration = KubernetesClientConfiguration()
    ) -> KubernetesClient {
        KubernetesClient(
            transport: transport, credentials: connection.credentials, defaultNamespace: connection.namespace,
            configuration: configuration, logger: Logger(label: "test.kubernetes"))
    }
}
