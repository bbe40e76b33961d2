import CoreMetrics
import Foundation
import NIOCore
import Testing

@testable import VigilanteCore

/// A folder under the system temp directory, removed by `remove()`.
struct KubeTestDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "vigilante-kube-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    @discardableResult
    func write(_ name: String, _ contents: String, executable: Bool = false) throws -> String {
        let file = path + "/" + name
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        try Data(contents.utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
        if executable {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file)
        }
        return file
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A transport that answers from a closure and records every request.
final class FakeKubeTransport: KubernetesTransport {
    typealias Handler = @Sendable (KubernetesHTTPRequest, Int) async throws -> KubernetesHTTPResponse

    private let handler: Handler
    private let recorded = LockedState<[KubernetesHTTPRequest]>([])

    init(_ handler: @escaping Handler) {
        self.handler = handler
    }

    var requests: [KubernetesHTTPRequest] {
        recorded.withLock { $0 }
    }

    func send(_ request: KubernetesHTTPRequest) async throws -> KubernetesHTTPResponse {
        let index = recorded.withLock { list -> Int in
            list.append(request)
            return list.count - 1
        }
        return try await handler(request, index)
    }

    func shutdown() async throws {}
}

extension KubernetesHTTPResponse {
    static func json(_ status: Int, _ body: String, headers: [(String, String)] = []) -> KubernetesHTTPResponse {
        KubernetesHTTPResponse(
            status: status,
            headers: [("Content-Type", "application/json")] + headers,
            body: KubernetesResponseBody(bytes: Array(body.utf8))
        )
    }

    static func text(_ status: Int, _ body: String, headers: [(String, String)] = []) -> KubernetesHTTPResponse {
        KubernetesHTTPResponse(
            status: status,
            headers: [("Content-Type", "text/plain; charset=utf-8")] + headers,
            body: KubernetesResponseBody(bytes: Array(body.utf8))
        )
    }
}

/// Polls `condition` until it holds or `timeout` passes (no fixed sleeps in tests).
func pollUntil(
    timeout: Duration = .seconds(30),
    interval: Duration = .milliseconds(50),
    _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: interval)
    }
    return try await condition()
}

/// A swift-metrics factory that keeps counter values, for asserting request metrics.
final class KubeRecordingMetrics: MetricsFactory, @unchecked Sendable {
    private let lock = NSLock()
    private var counterValues: [String: Int64] = [:]
    private var timerCounts: [String: Int] = [:]

    static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        label + "{" + dimensions.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}"
    }

    func counter(_ label: String, _ dimensions: [(String, String)]) -> Int64 {
        lock.withLock { counterValues[Self.key(label, dimensions)] ?? 0 }
    }

    func timerCount(_ label: String, _ dimensions: [(String, String)]) -> Int {
        lock.withLock { timerCounts[Self.key(label, dimensions)] ?? 0 }
    }

    fileprivate func add(_ key: String, _ amount: Int64) {
        lock.withLock { counterValues[key, default: 0] += amount }
    }

    fileprivate func record(_ key: String) {
        lock.withLock { timerCounts[key, default: 0] += 1 }
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        RecordingCounter(factory: self, key: Self.key(label, dimensions))
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        RecordingTimer(factory: self, key: Self.key(label, dimensions))
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        RecordingTimer(factory: self, key: Self.key(label, dimensions))
    }

    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}

private final class RecordingCounter: CounterHandler, @unchecked Sendable {
    let factory: KubeRecordingMetrics
    let key: String
    init(factory: KubeRecordingMetrics, key: String) {
        self.factory = factory
        self.key = key
    }
    func increment(by amount: Int64) { factory.add(key, amount) }
    func reset() {}
}

private final class RecordingTimer: TimerHandler, RecorderHandler, @unchecked Sendable {
    let factory: KubeRecordingMetrics
    let key: String
    init(factory: KubeRecordingMetrics, key: String) {
        self.factory = factory
        self.key = key
    }
    func recordNanoseconds(_ duration: Int64) { factory.record(key) }
    func record(_ value: Int64) { factory.record(key) }
    func record(_ value: Double) { factory.record(key) }
}

enum KubeFixtures {
    static let nodeNotFound = """
        {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"nodes \\"no-such-node\\" not found","reason":"NotFound","details":{"name":"no-such-node","kind":"nodes"},"code":404}
        """
    static let podAlreadyExists = """
        {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \\"healer\\" already exists","reason":"AlreadyExists","details":{"name":"healer","kind":"pods"},"code":409}
        """
    static let leaseConflict = """
        {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on leases.coordination.k8s.io \\"cops-vigilante-leader\\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"cops-vigilante-leader","group":"coordination.k8s.io","kind":"leases"},"code":409}
        """
    static let expiredContinue = """
        {"kind":"Status","apiVersion":"v1","metadata":{"continue":"eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6LTF9"},"status":"Failure","message":"The provided continue parameter is too old to display a consistent list result.","reason":"Expired","code":410}
        """
    static let watchExpired = """
        {"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 300 (438)","reason":"Expired","code":410}}
        """
    static let invalidLabel = """
        {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Pod \\"x\\" is invalid: metadata.labels: Invalid value: \\"-bad\\"","reason":"Invalid","details":{"name":"x","kind":"Pod","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \\"-bad\\"","field":"metadata.labels"}]},"code":422}
        """
    static let unauthorized = """
        {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}
        """

    static func node(name: String, resourceVersion: String, uid: String = "uid-1", ready: Bool = true) -> String {
        """
        {"kind":"Node","apiVersion":"v1","metadata":{"name":"\(name)","uid":"\(uid)","resourceVersion":"\(resourceVersion)","creationTimestamp":"2026-11-25T11:11:48Z","labels":{"kubernetes.io/os":"windows"},"managedFields":[{"manager":"kubectl","operation":"Update"}]},"spec":{"taints":[{"key":"node.kubernetes.io/not-ready","effect":"NoSchedule"}]},"status":{"conditions":[{"type":"Ready","status":"\(ready ? "True" : "False")","lastHeartbeatTime":"2026-11-25T11:11:48Z","lastTransitionTime":"2026-11-25T11:11:48Z","reason":"KubeletReady","message":"kubelet is posting ready status"}],"nodeInfo":{"machineID":""}}}
        """
    }

    static func nodeList(resourceVersion: String, nodes: [String], continue token: String? = nil) -> String {
        let meta =
            token.map { "\"resourceVersion\":\"\(resourceVersion)\",\"continue\":\"\($0)\"" }
            ?? "\"resourceVersion\":\"\(resourceVersion)\""
        return
            "{\"kind\":\"NodeList\",\"apiVersion\":\"v1\",\"metadata\":{\(meta)},\"items\":[\(nodes.joined(separator: ","))]}"
    }
}
