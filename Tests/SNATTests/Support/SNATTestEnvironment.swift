import ClusterSimulator
import CoreMetrics
import Foundation
import Logging
import Synchronization
import TaskTestSupport
import Testing
import VigilanteCore

@testable import SNAT

/// One test's world: its own simulated API server over HTTPS (port 0), a client from a kubeconfig the
/// simulator wrote, a store file, a manual clock, and recorders for metrics and events.
final class SNATTestEnvironment: Sendable {
    /// The healer namespace of the tests.
    static let namespace = "vigilante"

    let simulator: ClusterSimulator
    let client: KubernetesClient
    /// Lets a test make pod creates for one node fail.
    let transport: NodeFailureTransport
    let directory: String
    let clock: ManualClock
    let metrics = RecordingMetrics()
    let events: RecordingEvents
    let notifications = RecordingNotifications()
    private let harnesses = Mutex<[TaskHarness<SNATTask>]>([])
    /// Labels a node needs to be selected (a test's `nodeSelector`), for ``settle(_:)``.
    let selectedNodeLabels = Mutex<[String: String]>([:])

    private init(
        simulator: ClusterSimulator, client: KubernetesClient, transport: NodeFailureTransport, directory: String
    ) {
        self.simulator = simulator
        self.client = client
        self.transport = transport
        self.directory = directory
        // Now, in whole seconds, so that the dates the tests compute are exact.
        clock = ManualClock(now: Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
        events = RecordingEvents(
            forwardingTo: EventRecorder(
                client: client, component: "cops-vigilante", instance: "test", clock: clock,
                logger: Logger(label: "test.events")))
    }

    static func start(
        clientConfiguration: KubernetesClientConfiguration = KubernetesClientConfiguration()
    ) async throws -> SNATTestEnvironment {
        let test = try await TestSimulator.start(prefix: "snat-tests", namespaces: [namespace])
        let transport = NodeFailureTransport(inner: try test.transport())
        let simulator = test.simulator
        let directory = test.directory
        let client = test.client(over: transport, configuration: clientConfiguration)
        return SNATTestEnvironment(simulator: simulator, client: client, transport: transport, directory: directory)
    }

    /// Runs `body` with a fresh environment and stops it afterwards, also when `body` throws.
    static func with(
        clientConfiguration: KubernetesClientConfiguration = KubernetesClientConfiguration(),
        _ body: (SNATTestEnvironment) async throws -> Void
    ) async throws {
        let environment = try await start(clientConfiguration: clientConfiguration)
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
        try? await client.shutdown()
        await simulator.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: Configuration and harness

    /// The task's settings from a configuration file with `tasks.snat` set to the defaults of the tests
    /// plus `extra` (YAML lines indented under `snat:`).
    func settings(_ extra: String = "", interval: String = "30s", healingDuration: String = "30m") throws
        -> TaskSettings
    {
        try #require(try configuration(extra, interval: interval, healingDuration: healingDuration).task("snat"))
    }

    /// The whole configuration of ``settings(_:interval:healingDuration:)``.
    func configuration(_ extra: String = "", interval: String = "30s", healingDuration: String = "30m") throws
        -> Configuration
    {
        let file = directory + "/config-\(UUID().uuidString).yaml"
        let text = """
            tasks:
              snat:
                interval: \(interval)
                healingDuration: \(healingDuration)
                namespace: \(Self.namespace)
                backoff:
                  base: 10s
                  cap: 2m
            \(extra.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))

            """
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let environment = ConfigEnvironment(variables: [:], serviceAccountDirectory: "/nonexistent", hostName: "test")
        return try ConfigurationLoader(taskTypes: [SNATConfiguration.self], environment: environment).load(path: file)
            .configuration
    }

    /// A new store on `path` (default: this test's store file), as a restarted operator would open it.
    func openStore(_ path: String? = nil) throws -> VigilanteStore {
        try VigilanteStore(path: path ?? directory + "/vigilante.sqlite")
    }

    /// Starts the task with `settings` on `store`, its caches synced.
    func harness(_ settings: TaskSettings, store: VigilanteStore) async throws -> TaskHarness<SNATTask> {
        let options = try #require(settings.options(as: SNATConfiguration.self))
        let harness = try await TaskHarness(
            task: SNATTask(configuration: options, settings: settings), settings: settings, client: client,
            store: store.namespace(SNATTask.name), clock: clock, events: events, metrics: metrics,
            logger: Logger(label: "test.snat"), notifications: notifications)
        harnesses.withLock { $0.append(harness) }
        return harness
    }

    // MARK: Observing the cluster

    /// Healer pods of `node` that are not terminating, as the API server has them.
    func runningHealerPods(on node: String) -> [String] {
        simulator.pods(namespace: Self.namespace, labelSelector: HealerPodSpec.selector)
            .filter { $0["spec"]?["nodeName"]?.stringValue == node && $0["metadata"]?["deletionTimestamp"] == nil }
            .compactMap { $0["metadata"]?["name"]?.stringValue }
    }

    /// Every healer pod (terminating ones included).
    func allHealerPods() -> [JSONValue] {
        simulator.pods(namespace: Self.namespace, labelSelector: HealerPodSpec.selector)
    }

    /// The node's healed annotation, nil when absent.
    func healedAnnotation(_ node: String) -> String? {
        simulator.node(node)?["metadata"]?["annotations"]?[SNATHealingRules.healedAnnotation]?.stringValue
    }

    /// The node's UID.
    func uid(_ node: String) -> String? {
        simulator.node(node)?["metadata"]?["uid"]?.stringValue
    }

    /// Requests that changed something (create, update, patch, delete), from the access log.
    func mutatingRequests() -> [AccessLogEntry] {
        simulator.accessLog().filter { !["get", "list", "watch"].contains($0.verb) }
    }

    /// The records of the real (not dry-run) ledger, by key.
    func records(_ harness: TaskHarness<SNATTask>, dryRun: Bool = false) throws -> [String: NodeHealingRecord] {
        try HealingLedger(store: harness.context.store, dryRun: dryRun).all()
    }

    /// The stored healing record of `node` (healed nodes keep theirs; status lists only unhealed nodes).
    func record(_ harness: TaskHarness<SNATTask>, _ node: String) throws -> NodeHealingRecord? {
        try records(harness).values.first { $0.nodeName == node }
    }

    /// The status entry of `node`.
    func status(_ harness: TaskHarness<SNATTask>, _ node: String) async -> SNATNodeStatus? {
        await harness.status().nodes.first { $0.name == node }
    }

    /// Advances the clock by the delay the last pass asked for (the interval when it asked for none).
    func advance(after outcome: TaskOutcome, interval: Duration = .seconds(30)) {
        if case .requeue(let after) = outcome {
            clock.advance(by: after)
        } else {
            clock.advance(by: interval)
        }
    }

    /// Waits until the task's caches show what the API server has: the Windows nodes (name, UID, Ready,
    /// annotations, boot ID) and the live healer pods. Passes then act on a settled view.
    func settle(_ harness: TaskHarness<SNATTask>) async throws {
        let nodeCache = harness.context.caches.cache(harness.task.windowsNodes)
        let podCache = harness.context.caches.cache(harness.task.healerPods)
        let settled = try await eventually {
            let selected = selectedNodeLabels.withLock { $0 }
            let expectedNodes = Set(
                simulator.nodeNames().compactMap { name -> String? in
                    guard let node = simulator.node(name),
                        node["metadata"]?["labels"]?["kubernetes.io/os"]?.stringValue?.lowercased() == "windows",
                        selected.allSatisfy({ node["metadata"]?["labels"]?[$0.key]?.stringValue == $0.value })
                    else { return nil }
                    return Self.describe(
                        name: name, uid: node["metadata"]?["uid"]?.stringValue,
                        ready: node["status"]?["conditions"]?.arrayValue?.contains {
                            $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True"
                        } ?? false,
                        annotations: (node["metadata"]?["annotations"] ?? .null).stringMap,
                        bootID: node["status"]?["nodeInfo"]?["bootID"]?.stringValue ?? "")
                })
            let cachedNodes = Set(
                nodeCache.snapshot().map {
                    Self.describe(
                        name: $0.name, uid: $0.metadata.uid, ready: $0.isReady,
                        annotations: $0.metadata.annotations ?? [:], bootID: $0.bootID ?? "")
                })
            let expectedPods = Set(allHealerPods().compactMap { $0["metadata"]?["name"]?.stringValue })
            let cachedPods = Set(podCache.snapshot().map(\.name))
            return expectedNodes == cachedNodes && expectedPods == cachedPods
        }
        #expect(settled, "the task's caches did not catch up with the API server")
    }

    private static func describe(
        name: String, uid: String?, ready: Bool, annotations: [String: String], bootID: String
    ) -> String {
        "\(name)|\(uid ?? "")|\(ready)|\(annotations.sorted { $0.key < $1.key })|\(bootID)"
    }

    /// One pass after the caches settled.
    @discardableResult
    func pass(_ harness: TaskHarness<SNATTask>) async throws -> TaskOutcome {
        try await settle(harness)
        return try await harness.reconcile()
    }
}

/// Polls `condition` until it holds or `timeout` passes (no fixed sleeps in tests).
func eventually(
    timeout: Duration = .seconds(20), _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}

/// Forwards every request to the simulator over HTTPS, except pod creates for one chosen node, which
/// fail as the test asks. The simulator's own failure injection hits a fraction of all requests and its
/// RBAC cannot tell one node's pods from another's (creates with generateName carry no name), so the
/// per-node part is done here, with the simulator answering where it can:
/// - `.forbidden`: the request is sent with the token of a user without permissions; the simulator answers 403.
/// - `.alreadyExists(name)`: the request asks for an existing pod's name; the simulator answers 409.
/// - `.serverError`: answered here with a 500 InternalError Status, as the API server sends it.
final class NodeFailureTransport: KubernetesTransport {
    enum Failure: Sendable {
        case forbidden(token: String)
        case alreadyExists(existingPod: String)
        case serverError
    }

    private let inner: AsyncHTTPClientTransport
    private let failing = Mutex<(node: String, failure: Failure)?>(nil)

    init(inner: AsyncHTTPClientTransport) {
        self.inner = inner
    }

    /// Makes pod creates for `node` fail with `failure` (nil: none fail).
    func failPodCreates(on node: String?, with failure: Failure = .serverError) {
        failing.withLock { $0 = node.map { ($0, failure) } }
    }

    func send(_ request: KubernetesHTTPRequest) async throws -> KubernetesHTTPResponse {
        guard let (node, failure) = failing.withLock({ $0 }), request.method == "POST",
            request.pathAndQuery.contains("/pods"), let body = request.body,
            var object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            (object["spec"] as? [String: Any])?["nodeName"] as? String == node
        else { return try await inner.send(request) }
        var request = request
        switch failure {
        case .forbidden(let token):
            request.headers = request.headers.filter { $0.0.lowercased() != "authorization" }
            request.headers.append(("Authorization", "Bearer \(token)"))
            return try await inner.send(request)
        case .alreadyExists(let existing):
            var metadata = object["metadata"] as? [String: Any] ?? [:]
            metadata["generateName"] = nil
            metadata["name"] = existing
            object["metadata"] = metadata
            request.body = Array(try JSONSerialization.data(withJSONObject: object))
            return try await inner.send(request)
        case .serverError:
            let status =
                #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Internal error occurred: etcdserver: request timed out","reason":"InternalError","code":500}"#
            return KubernetesHTTPResponse(
                status: 500, headers: [("Content-Type", "application/json")],
                body: KubernetesResponseBody(bytes: Array(status.utf8)))
        }
    }

    func shutdown() async throws {
        try await inner.shutdown()
    }
}

/// Records the events a task emits, and forwards them to a real recorder (so they reach the simulator).
final class RecordingEvents: EventRecording {
    struct Recorded: Sendable, Equatable {
        var node: String
        var type: String
        var reason: String
        var message: String
    }

    private let forward: (any EventRecording)?
    private let recorded = Mutex<[Recorded]>([])

    init(forwardingTo forward: (any EventRecording)? = nil) {
        self.forward = forward
    }

    var all: [Recorded] { recorded.withLock { $0 } }

    func reasons(for node: String) -> [String] { all.filter { $0.node == node }.map(\.reason) }

    func record(on object: ObjectReference, type: EventType, reason: String, message: String) async {
        recorded.withLock {
            $0.append(Recorded(node: object.name ?? "", type: type.rawValue, reason: reason, message: message))
        }
        await forward?.record(on: object, type: type, reason: reason, message: message)
    }
}
