import AsyncHTTPClient
import ClusterSimulator
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// A response read completely.
struct TestResponse {
    var status: Int
    var headers: HTTPHeaders
    var bytes: [UInt8]

    var text: String { String(decoding: bytes, as: UTF8.self) }

    var json: JSONValue {
        (try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))) ?? .null
    }

    func header(_ name: String) -> String? { headers.first(name: name) }
}

/// A running simulator plus an HTTPS client that trusts its CA. Each test starts its own on port 0.
final class TestCluster: Sendable {
    let simulator: ClusterSimulator
    let http: HTTPClient
    let token: String

    init(simulator: ClusterSimulator, http: HTTPClient) {
        self.simulator = simulator
        self.http = http
        self.token = simulator.configuration.adminToken
    }

    static func client(
        for simulator: ClusterSimulator, certificate: (String, String)? = nil, connectTimeout: TimeAmount = .seconds(5)
    ) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([
            try NIOSSLCertificate(bytes: Array(simulator.caCertificatePEM.utf8), format: .pem)
        ])
        if let (certificatePEM, keyPEM) = certificate {
            tls.certificateChain = [
                .certificate(try NIOSSLCertificate(bytes: Array(certificatePEM.utf8), format: .pem))
            ]
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem))
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: connectTimeout, read: .seconds(60))
        // Watches hold their connection: allow many at once.
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 512)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Runs `body` against a fresh simulator with the default configuration.
    static func with<T>(_ body: (TestCluster) async throws -> T) async throws -> T {
        try await with({ _ in }, body)
    }

    /// Runs `body` against a fresh simulator and tears both down.
    static func with<T>(
        _ configure: (inout SimulatorConfiguration) -> Void, _ body: (TestCluster) async throws -> T
    ) async throws -> T {
        var configuration = SimulatorConfiguration()
        configure(&configuration)
        let simulator = try await ClusterSimulator.start(configuration)
        let http = try client(for: simulator)
        let cluster = TestCluster(simulator: simulator, http: http)
        do {
            let result = try await body(cluster)
            try? await http.shutdown()
            await simulator.stop()
            return result
        } catch {
            try? await http.shutdown()
            await simulator.stop()
            throw error
        }
    }

    enum Auth {
        case admin
        case none
        case bearer(String)
    }

    func request(
        _ method: HTTPMethod, _ path: String, auth: Auth = .admin, body: String? = nil,
        contentType: String = "application/json", headers: [(String, String)] = [], client: HTTPClient? = nil
    ) async throws -> TestResponse {
        var request = HTTPClientRequest(url: simulator.baseURL + path)
        request.method = method
        switch auth {
        case .admin: request.headers.add(name: "Authorization", value: "Bearer \(token)")
        case .bearer(let value): request.headers.add(name: "Authorization", value: "Bearer \(value)")
        case .none: break
        }
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "simulator-tests/1.0")
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await (client ?? http).execute(request, timeout: .seconds(30))
        var buffer = try await response.body.collect(upTo: 256 * 1024 * 1024)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        return TestResponse(status: Int(response.status.code), headers: response.headers, bytes: bytes)
    }

    func get(_ path: String, auth: Auth = .admin) async throws -> TestResponse {
        try await request(.GET, path, auth: auth)
    }

    func post(_ path: String, _ body: JSONValue, auth: Auth = .admin) async throws -> TestResponse {
        try await request(.POST, path, auth: auth, body: body.description)
    }

    /// Opens a watch; events arrive on the returned stream.
    func watch(_ path: String, auth: Auth = .admin) async throws -> WatchStream {
        var request = HTTPClientRequest(url: simulator.baseURL + path)
        switch auth {
        case .admin: request.headers.add(name: "Authorization", value: "Bearer \(token)")
        case .bearer(let value): request.headers.add(name: "Authorization", value: "Bearer \(value)")
        case .none: break
        }
        let response = try await http.execute(request, timeout: .seconds(600))
        return WatchStream(status: Int(response.status.code), headers: response.headers, body: response.body)
    }
}

/// The events of a watch response, parsed line by line as they arrive.
final class WatchStream: Sendable {
    enum Ending: Equatable, Sendable {
        case clean
        case error(String)
    }

    let status: Int
    let headers: HTTPHeaders
    private let events: AsyncStream<JSONValue>
    private let iterator: Locked<AsyncStream<JSONValue>.AsyncIterator>
    private let ending = Locked<Ending?>(nil)
    private let reader: Task<Void, Never>

    init(status: Int, headers: HTTPHeaders, body: HTTPClientResponse.Body) {
        self.status = status
        self.headers = headers
        let (stream, continuation) = AsyncStream<JSONValue>.makeStream()
        self.events = stream
        self.iterator = Locked(stream.makeAsyncIterator())
        let ending = self.ending
        self.reader = Task {
            var pending: [UInt8] = []
            do {
                for try await chunk in body {
                    pending.append(contentsOf: chunk.readableBytesView)
                    while let newline = pending.firstIndex(of: 0x0A) {
                        let line = Array(pending[..<newline])
                        pending.removeSubrange(...newline)
                        if let event = try? JSONDecoder().decode(JSONValue.self, from: Data(line)) {
                            continuation.yield(event)
                        }
                    }
                }
                ending.withLock { $0 = .clean }
            } catch {
                ending.withLock { $0 = .error("\(error)") }
            }
            continuation.finish()
        }
    }

    /// The next event, or nil when the stream ended or nothing came within `timeout`.
    func next(within timeout: Duration = .seconds(20)) async -> JSONValue? {
        let box = iterator
        return await withTaskGroup(of: JSONValue?.self) { group in
            group.addTask {
                var iterator = box.withLock { $0 }
                let value = await iterator.next()
                box.withLock { $0 = iterator }
                return value
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Waits for the stream to end; returns how it ended.
    func waitForEnd(within timeout: Duration = .seconds(30)) async -> Ending? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let ending = ending.withLock({ $0 }) { return ending }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    func cancel() {
        reader.cancel()
    }
}

/// A lock-protected value for test bookkeeping.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    @discardableResult
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// Polls `condition` until it holds or `timeout` passes (generous: the machine may be loaded).
func eventually(
    within timeout: Duration = .seconds(30), _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(25))
    }
    return try await condition()
}

/// Test fixtures shaped like the recorded requests.
enum Objects {
    static func node(_ name: String, labels: [String: String] = [:]) -> JSONValue {
        var labelObject = JSONObject()
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) { labelObject[key] = .string(value) }
        return [
            "apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(name), "labels": .object(labelObject)],
        ]
    }

    static func pod(_ name: String, namespace: String = "default", node: String? = nil, labels: [String: String] = [:])
        -> JSONValue
    {
        var labelObject = JSONObject()
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) { labelObject[key] = .string(value) }
        var spec: JSONObject = ["containers": [["name": "c", "image": "mcr.microsoft.com/oss/kubernetes/pause:3.9"]]]
        if let node { spec["nodeName"] = .string(node) }
        return [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string(name), "namespace": .string(namespace), "labels": .object(labelObject)],
            "spec": .object(spec),
        ]
    }
}

/// Whether a timestamp is RFC 3339 to the second, as metav1.Time is written.
func isRFC3339Seconds(_ text: String) -> Bool {
    text.wholeMatch(of: #/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/#) != nil
}
