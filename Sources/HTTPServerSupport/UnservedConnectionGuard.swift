public import HummingbirdCore
public import Logging
public import NIOCore
import Synchronization

/// Wraps a Hummingbird child channel so that no accepted connection can be dropped unserved.
///
/// NIO's async server channel hands each accepted connection, already wrapped in a
/// `NIOAsyncChannel`, to the server's accept loop through an async sequence. When the task that
/// runs the server is cancelled, that sequence drops what it still buffers: a connection accepted
/// in that instant is released without `executeThenClose` ever running on it, and its
/// `NIOAsyncWriter` traps the process ("Deinited NIOAsyncWriter without calling finish()",
/// swift-nio issue 2813). Any client connecting while a server stops can trigger it.
///
/// With this wrapper, a connection released before `handle` closes its channel and is then handed
/// to the base channel's `handle` anyway, which finishes it on a closed channel at once.
public struct UnservedConnectionGuard<Base: ServerChildChannel>: ServerChildChannel {
    /// One accepted connection; it remembers whether the server got to handle it.
    public struct Value: ServerChildChannelValue {
        let connection: Connection
        public var channel: any Channel { connection.value.channel }
    }

    final class Connection: Sendable {
        let value: Base.Value
        let base: Base
        let logger: Logger
        let handled = Atomic<Bool>(false)

        init(value: Base.Value, base: Base, logger: Logger) {
            self.value = value
            self.base = base
            self.logger = logger
        }

        deinit {
            guard !handled.load(ordering: .acquiring) else { return }
            value.channel.close(promise: nil)
            let (value, base, logger) = (value, base, logger)
            Task { await base.handle(value: value, logger: logger) }
        }
    }

    let base: Base

    public init(_ base: Base) {
        self.base = base
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let base = base
        return base.setup(channel: channel, logger: logger).map { value in
            Value(connection: Connection(value: value, base: base, logger: logger))
        }
    }

    public func handle(value: Value, logger: Logger) async {
        value.connection.handled.store(true, ordering: .releasing)
        await base.handle(value: value.connection.value, logger: logger)
    }
}
