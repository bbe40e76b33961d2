import Foundation
import HTTPServerSupport
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL

/// The request context of the simulator's Hummingbird application: keeps the channel so that the
/// client certificate of a TLS connection can be read.
struct SimulatorRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    var maxUploadSize: Int { 64 * 1024 * 1024 }
}

/// Adapts Hummingbird requests to ``APIServer`` and streams watch responses chunk by chunk.
struct SimulatorResponder: HTTPResponder {
    typealias Context = SimulatorRequestContext

    let server: APIServer
    let tls: Bool

    func respond(to request: Request, context: Context) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            if let existing = headers[name] {
                headers[name] = existing + "," + field.value
            } else {
                headers[name] = field.value
            }
        }
        let target = request.uri.string
        let pathPart: Substring
        let queryPart: Substring
        if let mark = target.firstIndex(of: "?") {
            pathPart = target[..<mark]
            queryPart = target[target.index(after: mark)...]
        } else {
            pathPart = target[...]
            queryPart = ""
        }
        var identity: UserInfo?
        if tls {
            let der: [UInt8]?? = try? await context.channel.pipeline.handler(type: NIOSSLHandler.self)
                .flatMapThrowing { try $0.peerCertificate?.toDERBytes() }.get()
            if let certificate = der ?? nil {
                identity = CertificateAuthority.identity(fromDER: certificate)
            }
        }
        let apiRequest = APIRequest(
            method: request.method.rawValue, path: APIRequest.percentDecodePath(pathPart),
            query: APIRequest.parseQuery(queryPart), headers: headers, body: Array(buffer: body),
            certificateIdentity: identity)
        let response = await server.handle(apiRequest)
        var fields = HTTPFields()
        for (name, value) in response.headers {
            if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
        }
        let status = HTTPResponse.Status(code: response.status)
        switch response.body {
        case .bytes(let bytes):
            return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        case .watch(let session):
            return Response(
                status: status, headers: fields,
                body: ResponseBody { writer in
                    // Each event is written (and flushed) as one chunk; a cut ends the connection abruptly.
                    let box = WriterBox(writer)
                    try await session.run { buffer in try await box.write(buffer) }
                    try await box.finish()
                })
        }
    }
}

/// Lets the Sendable event loop of ``WatchSession`` use Hummingbird's `inout` writer.
private final class WriterBox: @unchecked Sendable {
    private var writer: any ResponseBodyWriter

    init(_ writer: any ResponseBodyWriter) {
        self.writer = writer
    }

    func write(_ buffer: ByteBuffer) async throws {
        try await writer.write(buffer)
    }

    func finish() async throws {
        try await writer.finish(nil)
    }
}

extension APIRequest {
    static func percentDecodePath(_ path: Substring) -> String {
        // A '+' in a path is literal, unlike in a query.
        let protected = path.replacingOccurrences(of: "+", with: "%2B")
        return percentDecode(Substring(protected))
    }
}

/// Runs (and re-runs, for connection-refused fault injection) the HTTP(S) listener.
final class HTTPListener: Sendable {
    private let responder: SimulatorResponder
    private let tlsConfiguration: TLSConfiguration?
    private let host: String
    private let state = Locked<Task<Void, any Error>?>(nil)
    private let logger: Logger

    init(server: APIServer, host: String, tlsConfiguration: TLSConfiguration?) {
        self.responder = SimulatorResponder(server: server, tls: tlsConfiguration != nil)
        self.tlsConfiguration = tlsConfiguration
        self.host = host
        var logger = Logger(label: "cluster-simulator")
        logger.logLevel = .critical
        self.logger = logger
    }

    /// Binds and serves; returns the bound port.
    func start(port: Int) async throws -> Int {
        let tlsConfiguration = tlsConfiguration
        let serverBuilder = HTTPServerBuilder { responder in
            let http1 = HTTP1Channel(responder: responder)
            guard let tlsConfiguration else { return UnservedConnectionGuard(http1) }
            return UnservedConnectionGuard(try TLSChannel(http1, tlsConfiguration: tlsConfiguration))
        }
        let (portStream, portContinuation) = AsyncStream<Int>.makeStream()
        let application = Application(
            responder: responder, server: serverBuilder,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), reuseAddress: true),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? port)
                portContinuation.finish()
            },
            logger: logger)
        let task = Task {
            defer { portContinuation.finish() }
            try await application.runService(gracefulShutdownSignals: [])
        }
        state.withLock { $0 = task }
        for await bound in portStream {
            return bound
        }
        // The server never ran: report why.
        try await task.value
        throw SimulatorError.listenerFailed
    }

    /// Closes the listener and every connection.
    func stop() async {
        guard
            let task = state.withLock({ current -> Task<Void, any Error>? in
                let task = current
                current = nil
                return task
            })
        else { return }
        task.cancel()
        // Shutdown of TLS connections may wait for the peer's close_notify: bound the wait.
        await withTaskGroup(of: Void.self) { group in
            group.addTask { _ = try? await task.value }
            group.addTask { try? await Task.sleep(for: .seconds(5)) }
            await group.next()
            group.cancelAll()
        }
    }
}

/// Errors of the simulator itself (not of simulated API requests).
public enum SimulatorError: Error, Sendable {
    /// The HTTP(S) listener stopped before it was bound.
    case listenerFailed
    /// The kubeconfig could not be written.
    case cannotWrite(String)
}
