import HTTPServerSupport
import HummingbirdCore
import Logging
import NIOCore
import NIOEmbedded
import Synchronization
import Testing

/// Shaped like Hummingbird's `HTTP1Channel`: setup wraps the connection in a `NIOAsyncChannel`
/// (whose writer traps if released unfinished), handle serves it with `executeThenClose`.
private struct CountingChildChannel: ServerChildChannel {
    typealias Value = NIOAsyncChannel<ByteBuffer, ByteBuffer>
    let counter: Counter

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        counter.count.withLock { $0 += 1 }
        try? await value.executeThenClose { inbound, _ in
            for try await _ in inbound {}
        }
    }
}

private final class Counter: Sendable {
    let count = Mutex(0)
    var served: Int { count.withLock { $0 } }
    var channel: CountingChildChannel { CountingChildChannel(counter: self) }
}

@Suite("Unserved connection guard", .timeLimit(.minutes(2)))
struct UnservedConnectionGuardTests {
    let logger = Logger(label: "test")

    /// Sets the connection up on its event loop, as the server bootstrap does.
    private func setUp(
        _ guarded: UnservedConnectionGuard<CountingChildChannel>, _ channel: NIOAsyncTestingChannel
    ) async throws -> UnservedConnectionGuard<CountingChildChannel>.Value {
        let logger = logger
        return try await channel.eventLoop.flatSubmit { guarded.setup(channel: channel, logger: logger) }.get()
    }

    /// The server task was cancelled after the connection was set up and before the accept loop
    /// read it: the value is released, then the connection becomes active (the moment NIO drops
    /// its own reference to the writer; on a real server that traps the process unguarded, which
    /// the fault-injection test `theListenerStopsWhileClientsKeepConnecting` shows). The guard
    /// closes it and hands it to `handle`, which finishes it.
    @Test func aConnectionReleasedUnservedIsClosedAndFinished() async throws {
        let counter = Counter()
        let guarded = UnservedConnectionGuard(counter.channel)
        let channel = NIOAsyncTestingChannel()
        do {
            let value = try await setUp(guarded, channel)
            #expect(value.channel === channel)
        }
        // The guard may already have closed the channel: then the connect fails, which is fine.
        try? await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080))
        #expect(try await eventually(timeout: .seconds(30)) { counter.served == 1 })
        try await channel.closeFuture.get()
    }

    @Test func aHandledConnectionIsServedOnce() async throws {
        let counter = Counter()
        let guarded = UnservedConnectionGuard(counter.channel)
        let handledChannel = NIOAsyncTestingChannel()
        try await handledChannel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080))
        do {
            let value = try await setUp(guarded, handledChannel)
            async let handled: Void = guarded.handle(value: value, logger: logger)
            try await handledChannel.writeInbound(ByteBuffer(string: "request"))
            try await handledChannel.close()
            await handled
        }
        #expect(counter.served == 1)
        // A released connection after it: once that one is served, the handled one has not been
        // handed over a second time.
        let releasedChannel = NIOAsyncTestingChannel()
        _ = try await setUp(guarded, releasedChannel)
        try await releasedChannel.closeFuture.get()
        #expect(try await eventually(timeout: .seconds(30)) { counter.served == 2 })
        #expect(counter.served == 2)
    }
}
