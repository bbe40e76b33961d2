import NIOCore

/// Splits a byte stream into newline-terminated lines as chunks arrive, holding at most one partial line.
///
/// A watch stream can run for hours, so it is never buffered whole; a line longer than `maxLineBytes`
/// fails the stream instead of growing memory without bound.
struct JSONLineSplitter {
    private var buffer = ByteBuffer()
    /// How far (from the reader index) the buffer has been searched for a newline without finding one.
    private var scanned = 0
    let maxLineBytes: Int

    struct LineTooLong: Error, CustomStringConvertible {
        let limit: Int
        var description: String { "a watch event is larger than \(limit) bytes" }
    }

    init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    /// Adds a chunk.
    mutating func append(_ chunk: ByteBuffer) throws {
        var chunk = chunk
        if buffer.readableBytes == 0 {
            // Reclaim the space of lines already handed out.
            buffer.clear()
            scanned = 0
        } else if buffer.readerIndex > 64 * 1024 {
            buffer.discardReadBytes()
        }
        buffer.writeBuffer(&chunk)
        if buffer.readableBytes > maxLineBytes, nextNewline() == nil {
            throw LineTooLong(limit: maxLineBytes)
        }
    }

    /// The next complete line without its newline (blank lines are skipped), or nil if none is complete.
    mutating func nextLine() -> ByteBuffer? {
        while let newline = nextNewline() {
            let line = buffer.readSlice(length: newline)!
            buffer.moveReaderIndex(forwardBy: 1)
            scanned = 0
            if line.readableBytesView.contains(where: { $0 != 0x20 && $0 != 0x0D && $0 != 0x09 }) {
                return line
            }
        }
        return nil
    }

    /// The unterminated rest when the stream ends (a last event without a trailing newline).
    mutating func finish() -> ByteBuffer? {
        guard buffer.readableBytes > 0 else { return nil }
        let rest = buffer.readSlice(length: buffer.readableBytes)!
        scanned = 0
        return rest.readableBytesView.contains(where: { $0 != 0x20 && $0 != 0x0D && $0 != 0x0A && $0 != 0x09 })
            ? rest : nil
    }

    private mutating func nextNewline() -> Int? {
        let view = buffer.readableBytesView
        let start = view.index(view.startIndex, offsetBy: scanned)
        if let index = view[start...].firstIndex(of: 0x0A) {
            return view.distance(from: view.startIndex, to: index)
        }
        scanned = view.count
        return nil
    }
}
