import Foundation
import NIOCore

/// The events of one watch request, decoded line by line as the server sends them.
///
/// The stream ends when the server closes it (for example at `timeoutSeconds`); a broken connection
/// throws ``KubernetesError/transport(_:underlying:)``. Stopping iteration (or cancelling the task) closes
/// the connection.
public struct WatchEventStream<R: KubernetesResource>: AsyncSequence, Sendable {
    /// A watch event.
    public typealias Element = WatchEvent<R>

    let body: KubernetesResponseBody
    let maxEventBytes: Int
    let target: String

    /// Wraps a streaming body (exposed for tests that feed bytes directly).
    public init(body: KubernetesResponseBody, maxEventBytes: Int = 16 * 1024 * 1024, target: String = R.plural) {
        self.body = body
        self.maxEventBytes = maxEventBytes
        self.target = target
    }

    /// Creates the iterator; a stream can be iterated once.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(
            chunks: body.makeAsyncIterator(),
            splitter: JSONLineSplitter(maxLineBytes: maxEventBytes),
            decoder: KubernetesJSON.makeDecoder(),
            target: target
        )
    }

    /// Reads and decodes events.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: KubernetesResponseBody.AsyncIterator
        var splitter: JSONLineSplitter
        let decoder: JSONDecoder
        let target: String
        var finished = false

        /// The next event, or nil when the server ended the stream.
        public mutating func next() async throws -> WatchEvent<R>? {
            while !finished {
                if let line = splitter.nextLine() {
                    return try decode(line)
                }
                let chunk: ByteBuffer?
                do {
                    chunk = try await chunks.next()
                } catch {
                    finished = true
                    if Task.isCancelled || error is CancellationError { throw CancellationError() }
                    throw KubernetesError.transport(
                        "watch of \(target) broke: \(TransportFailure.summary(error))",
                        underlying: error
                    )
                }
                guard let chunk else {
                    finished = true
                    if let rest = splitter.finish() {
                        return try decode(rest)
                    }
                    return nil
                }
                do {
                    try splitter.append(chunk)
                } catch {
                    finished = true
                    throw KubernetesError.decoding("watch of \(target): \(error)", underlying: error)
                }
            }
            return nil
        }

        private func decode(_ line: ByteBuffer) throws -> WatchEvent<R> {
            do {
                return try decoder.decode(WatchEventFrame<R>.self, from: Data(line.readableBytesView)).event
            } catch {
                throw KubernetesError.decoding("watch of \(target) sent an undecodable event", underlying: error)
            }
        }
    }
}
