import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// Wraps a child channel (HTTP/1.1) in TLS, taking the TLS context from the certificate reloader
/// for each new connection: a reload changes what new connections get without touching the
/// listener or the connections already open.
struct ReloadingTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let reloader: CertificateReloader

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let context = reloader.currentContext
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
