import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Closes connections whose requests are too slow or too large, after HTTP decoding.
///
/// - A request whose head arrived must end within `requestTimeout`: a client that trickles its body
///   cannot hold the connection (the idle timeout only sees complete parts, and a trickled body
///   consists of many small ones). Slow heads are closed by the idle timeout.
/// - Body bytes beyond `maxBodySize` are discarded and the connection is closed once the answer
///   (413 when `Content-Length` announced it) has been written.
final class RequestLimitHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let maxBodySize: Int
    private let requestTimeout: TimeAmount
    private var bodyBytes = 0
    private var bodyTooLarge = false
    private var responseWritten = false
    private var deadline: Scheduled<Void>?

    init(maxBodySize: Int, requestTimeout: TimeAmount) {
        self.maxBodySize = maxBodySize
        self.requestTimeout = requestTimeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            bodyBytes = 0
            responseWritten = false
            let announced = head.headerFields[.contentLength].flatMap { Int($0) } ?? 0
            bodyTooLarge = announced > maxBodySize
            scheduleDeadline(context: context)
            context.fireChannelRead(data)
        case .body(let buffer):
            bodyBytes += buffer.readableBytes
            if bodyBytes > maxBodySize {
                bodyTooLarge = true
                if responseWritten {
                    context.close(promise: nil)
                }
                return
            }
            context.fireChannelRead(data)
        case .end:
            deadline?.cancel()
            deadline = nil
            context.fireChannelRead(data)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        responseWritten = true
        if bodyTooLarge {
            context.writeAndFlush(data, promise: promise)
            context.close(promise: nil)
        } else {
            context.write(data, promise: promise)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    private func scheduleDeadline(context: ChannelHandlerContext) {
        deadline?.cancel()
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: requestTimeout) {
            loopBoundContext.value.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension RequestLimitHandler: Sendable {}
