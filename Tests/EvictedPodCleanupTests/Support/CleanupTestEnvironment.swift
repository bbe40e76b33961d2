import ClusterSimulator
import CoreMetrics
import Foundation
import Logging
import Synchronization
import TaskTestSupport
import Testing
import VigilanteCore

@testable import EvictedPodCleanup

/// One test's world: its own simulated API server over HTTPS (port 0), a client from a kubeconfig the
/// simulator wrote, a store file, a manual clock, and a metrics recorder.
final class CleanupTestEnvironment: Sendable {
    /// Namespaces the tests put pods in, besides `default` and `kube-system`.
    static let namespaces = ["web", "batch", "monitoring"]

    let simulator: ClusterSimulator
    let client: KubernetesClient
    let transport: InterceptingTransport
    let directory: String
    let clock: ManualClock
    let metrics = RecordingMetrics()
    private let harnesses = Mutex<[TaskHarness<EvictedPodCleanupTask>]>([])
    private let extraClients = Mutex<[KubernetesClient]>([])

    private init(
        simulator: ClusterSimulator, client: KubernetesClient, transport: InterceptingTransport, directory: String
    ) {
        self.simulator = simulator
        self.client = client
        self.transport = transport
        self.directory = directory
        // Whole seconds, as the API server writes times, so that ages come out exact.
        clock = ManualClock(now: Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
    }

    static func start() async throws -> CleanupTestEnvironment {
        let test = try await TestSimulator.start(prefix: "evicted-pod-cleanup-tests", namespaces: namespaces)
        let simulator = test.simulator
        let directory = test.directory
        let transport = InterceptingTransport(
            inner: try test.transport(), adminToken: simulator.configuration.adminToken)
        let client = test.client(over: transport)
        return CleanupTestEnvironment(simulator: simulator, client: client, transport: transport, directory: directory)
    }

    /// Runs `body` with a fresh environment and stops it afterwards, also when `body` throws.
    static func with(_ body: (CleanupTestEnvironment) async throws -> Void) async throws {
        let environment = try await start()
        do {
            try await body(environment)
        } catch {
            await environment.stop()
            throw error
        }
        await environment.stop()
    }

    func stop() async {
        for harness in harnesses.withLock({ $0 }) { await harness.shutdown() }
        for client in extraClients.withLock({ $0 }) { try? await client.shutdown() }
        try? await client.shutdown()
        await simulator.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: Configuration and harness

    /// The whole configuration from a file with `tasks.evictedPodCleanup` enabled plus `extra` (YAML lines
    /// indented under `evictedPodCleanup:`).
    func configuration(_ extra: String = "", variables: [String: String] = [:]) throws -> Configuration {
        try Self.configuration(extra, variables: variables, directory: directory)
    }

    /// ``configuration(_:variables:)`` without a cluster: the file goes to `directory`.
    static func configuration(
        _ extra: String = "", variables: [String: String] = [:], directory: String = NSTemporaryDirectory()
    ) throws -> Configuration {
        let file = directory + "/evicted-pod-cleanup-config-\(UUID().uuidString).yaml"
        let text = """
            tasks:
              evictedPodCleanup:
                enabled: true
            \(extra.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))

            """
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        return try load(file: file, variables: variables)
    }

    /// Loads `file` with the task's configuration type registered.
    static func load(file: String, variables: [String: String] = [:]) throws -> Configuration {
        let environment = ConfigEnvironment(
            variables: variables, serviceAccountDirectory: "/nonexistent", hostName: "test")
        return try ConfigurationLoader(taskTypes: [EvictedPodCleanupConfiguration.self], environment: environment)
            .load(path: file).configuration
    }

    /// The task's settings for `extra` (see ``configuration(_:variables:)``).
    func settings(_ extra: String = "") throws -> TaskSettings {
        try #require(try configuration(extra).task(EvictedPodCleanupConfiguration.section))
    }

    /// A new store on this test's store file, as a restarted operator would open it.
    func openStore() throws -> VigilanteStore {
        try VigilanteStore(path: directory + "/vigilante.sqlite")
    }

    /// A client that authenticates with `token` (shut down with the environment).
    func client(token: String) async throws -> KubernetesClient {
        let kubeconfig = directory + "/kubeconfig-\(UUID().uuidString)"
        try simulator.writeKubeconfig(to: kubeconfig, token: token)
        let connection = try ConnectionResolver(kubeconfigPath: kubeconfig, environment: [:]).resolve()
        let client = KubernetesClient(
            transport: try AsyncHTTPClientTransport(
                connection: connection, connectTimeout: .seconds(5), logger: Logger(label: "test")),
            credentials: connection.credentials, defaultNamespace: connection.namespace,
            logger: Logger(label: "test.kubernetes"))
        extraClients.withLock { $0.append(client) }
        return client
    }

    // snippet:harness
    /// Starts the task with `settings` on this test's store, its caches synced.
    func harness(_ settings: TaskSettings, client: KubernetesClient? = nil) async throws
        -> TaskHarness<EvictedPodCleanupTask>
    {
        let options = try #require(settings.options(as: EvictedPodCleanupConfiguration.self))
        let harness = try await TaskHarness(
            task: EvictedPodCleanupTask(configuration: options, settings: settings), settings: settings,
            client: client ?? self.client, store: try openStore().namespace(EvictedPodCleanupTask.name), clock: clock,
            metrics: metrics, logger: Logger(label: "test.evicted-pod-cleanup"))
        harnesses.withLock { $0.append(harness) }
        return harness
    }
    // end-snippet

    // MARK: Making pods

    /// Creates a pod bound to a node without a kubelet, then sets its status through the `status`
    /// subresource as the kubelet does: `Failed`/`Evicted` with its conditions turned `evictedAgo` before
    /// the test clock's now (`nil`: no condition times, so the age falls back to creation).
    @discardableResult
    func addEvictedPod(
        _ name: String, namespace: String = "default", evictedAgo: Duration? = .seconds(2 * 60 * 60),
        labels: [String: String] = [:], owner: OwnerReference? = nil, reason: String = "Evicted"
    ) async throws -> String {
        let uid = try createPod(name, namespace: namespace, labels: labels, owner: owner)
        var status: [String: Any] = [
            "phase": "Failed", "reason": reason,
            "message": "The node was low on resource: memory. Threshold quantity: 100Mi, available: 42Mi.",
        ]
        if let evictedAgo {
            let time = Self.kubernetesTime(clock.now().addingTimeInterval(-evictedAgo.seconds))
            status["conditions"] = [
                [
                    "type": "DisruptionTarget", "status": "True", "reason": "TerminationByKubelet",
                    "lastTransitionTime": time,
                ],
                ["type": "Ready", "status": "False", "reason": "PodFailed", "lastTransitionTime": time],
            ]
        }
        try await transport.patchStatus(namespace: namespace, name: name, status: status)
        return uid
    }

    /// Creates a pod (Pending, bound to a node without a kubelet); returns its UID.
    @discardableResult
    func createPod(
        _ name: String, namespace: String = "default", labels: [String: String] = [:], owner: OwnerReference? = nil
    ) throws -> String {
        var metadata: [String: JSONValue] = [
            "name": .string(name), "namespace": .string(namespace),
            "labels": .object(JSONObject(labels.map { .init(key: $0.key, value: .string($0.value)) })),
        ]
        if let owner {
            metadata["ownerReferences"] = [
                [
                    "apiVersion": .string(owner.apiVersion), "kind": .string(owner.kind), "name": .string(owner.name),
                    "uid": .string(owner.uid), "controller": .bool(owner.controller ?? false),
                ]
            ]
        }
        let pod: JSONValue = [
            "metadata": .object(JSONObject(metadata.map { .init(key: $0.key, value: $0.value) })),
            "spec": ["nodeName": "aks-nodepool1-00000", "containers": [["name": "app", "image": "nginx:1.27"]]],
        ]
        let created = try #require(simulator.create(apiVersion: "v1", resource: "pods", pod))
        return try #require(created["metadata"]?["uid"]?.stringValue)
    }

    static func kubernetesTime(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    // MARK: Observing the cluster

    /// `namespace/name` of every pod the API server has.
    func podNames() -> Set<String> {
        Set(
            simulator.pods().compactMap { pod in
                guard let name = pod["metadata"]?["name"]?.stringValue,
                    let namespace = pod["metadata"]?["namespace"]?.stringValue
                else { return nil }
                return "\(namespace)/\(name)"
            })
    }

    /// `namespace/name` of every pod in phase Failed.
    func failedPodNames() -> Set<String> {
        Set(
            simulator.pods().compactMap { pod in
                guard pod["status"]?["phase"]?.stringValue == "Failed",
                    let name = pod["metadata"]?["name"]?.stringValue,
                    let namespace = pod["metadata"]?["namespace"]?.stringValue
                else { return nil }
                return "\(namespace)/\(name)"
            })
    }

    /// Requests that changed something (create, update, patch, delete), from the access log.
    func mutatingRequests() -> [AccessLogEntry] {
        simulator.accessLog().filter { !["get", "list", "watch"].contains($0.verb) }
    }

    /// Waits until the task's cache holds exactly `expected` (default: every Failed pod), then runs a pass.
    @discardableResult
    func pass(_ harness: TaskHarness<EvictedPodCleanupTask>, expecting expected: Set<String>? = nil) async throws
        -> TaskOutcome
    {
        let cache = harness.context.caches.cache(harness.task.failedPods)
        let settled = try await eventually {
            let cached = Set(cache.snapshot().map { "\($0.namespace ?? "")/\($0.name)" })
            return cached == (expected ?? failedPodNames())
        }
        #expect(settled, "the task's cache did not catch up with the API server")
        return try await harness.reconcile()
    }
}

/// Polls `condition` until it holds or `timeout` passes (no fixed sleeps in tests).
func eventually(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}
