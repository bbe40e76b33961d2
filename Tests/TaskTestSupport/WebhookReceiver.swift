import Foundation
import HTTPServerSupport
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Synchronization

/// A webhook receiver on loopback for notification tests: records every request and answers as scripted
/// (a status with headers, or no answer at all). Unscripted requests get 200 "ok".
public final class WebhookReceiver: Sendable {
    /// One request as received.
    public struct Request: Sendable {
        /// The request path.
        public var path: String
        /// Header values by lower-cased name.
        public var headers: [String: String]
        /// The body.
        public var body: Data
        /// When it arrived.
        public var receivedAt: ContinuousClock.Instant

        /// The body parsed as a JSON object.
        public var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
    }

    /// How to answer one request.
    public enum Reply: Sendable {
        /// This status, headers and body.
        case status(Int, headers: [String: String] = [:], body: String = "")
        /// Never answer (until the receiver stops).
        case hang
    }

    private struct State {
        var requests: [Request] = []
        var replies: [Reply] = []
        /// Replies for requests whose path starts with the key, used before `replies`.
        var repliesByPath: [String: [Reply]] = [:]
        var stopped = false
    }

    private let state = Mutex(State())
    private let server = Mutex<Task<Void, any Error>?>(nil)
    private let boundPort = Mutex<Int?>(nil)

    /// Starts listening on a free loopback port.
    public static func start() async throws -> WebhookReceiver {
        let receiver = WebhookReceiver()
        try await receiver.listen()
        return receiver
    }

    private init() {}

    private func listen() async throws {
        let router = Router()
        router.post("**") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
            let reply = self.state.withLock { state -> Reply in
                state.requests.append(
                    Request(
                        path: request.uri.path, headers: headers, body: Data(body.readableBytesView), receivedAt: .now))
                let path = request.uri.path
                if let key = state.repliesByPath.keys.first(where: { path.hasPrefix($0) }),
                    let reply = state.repliesByPath[key]?.first
                {
                    state.repliesByPath[key]?.removeFirst()
                    return reply
                }
                return state.replies.isEmpty ? .status(200, body: "ok") : state.replies.removeFirst()
            }
            switch reply {
            case .status(let code, let replyHeaders, let text):
                var fields = HTTPFields()
                for (name, value) in replyHeaders {
                    if let name = HTTPField.Name(name) { fields[name] = value }
                }
                return Response(
                    status: .init(code: code), headers: fields, body: .init(byteBuffer: ByteBuffer(string: text)))
            case .hang:
                while !self.state.withLock({ $0.stopped }) { try await Task.sleep(for: .milliseconds(50)) }
                return Response(status: .serviceUnavailable)
            }
        }
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "webhook-receiver")
        // Its shutdown (cancellation) is the test's doing, not an error worth printing.
        logger.logLevel = .critical
        let application = Application(
            router: router,
            server: HTTPServerBuilder { responder in UnservedConnectionGuard(HTTP1Channel(responder: responder)) },
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            }, logger: logger)
        server.withLock { $0 = Task { try await application.runService(gracefulShutdownSignals: []) } }
        for await port in ports { boundPort.withLock { $0 = port } }
    }

    /// The port it listens on.
    public var port: Int { boundPort.withLock { $0 ?? 0 } }

    /// `http://127.0.0.1:PORT` + `path`.
    public func url(_ path: String = "/hook") -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Answers the next requests (those whose path starts with `path`, when given) with `replies`, in order.
    public func script(_ replies: [Reply], path: String? = nil) {
        state.withLock { state in
            if let path { state.repliesByPath[path, default: []] += replies } else { state.replies += replies }
        }
    }

    /// The requests so far.
    public var requests: [Request] { state.withLock { $0.requests } }

    /// Stops listening; hanging requests end.
    public func stop() async {
        state.withLock { $0.stopped = true }
        let task = server.withLock { $0 }
        task?.cancel()
        _ = await task?.result
    }
}
