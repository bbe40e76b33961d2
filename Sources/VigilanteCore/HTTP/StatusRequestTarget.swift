import Foundation

/// The path segments and query parameters of a request target, percent-decoded.
///
/// Parsing is strict where a wrong guess would be misleading (an invalid `%` escape is an error)
/// and lenient where nothing is at stake (a trailing slash is ignored, unknown parameters too).
struct StatusRequestTarget: Equatable {
    /// Why a request target cannot be parsed.
    enum ParseError: Error, Equatable {
        /// An invalid percent escape (`%zz`, a lone `%`, or bytes that are not UTF-8).
        case invalidPercentEncoding
        /// Not an origin-form target (`/path?query`).
        case notOriginForm
    }

    /// Decoded path segments: `/tasks/snat` is `["tasks", "snat"]`, `/` is `[]`.
    var segments: [String]
    /// Decoded query parameters in order; a parameter without `=` has an empty value.
    var query: [(name: String, value: String)]

    init(segments: [String], query: [(name: String, value: String)] = []) {
        self.segments = segments
        self.query = query
    }

    /// Parses an origin-form request target such as `/tasks/snat?pretty`.
    init(parsing target: String) throws(ParseError) {
        guard target.hasPrefix("/") else { throw .notOriginForm }
        let withoutFragment = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let parts = withoutFragment.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var rawSegments = parts[0].dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        if rawSegments.last == "" { rawSegments.removeLast() }
        var segments: [String] = []
        for raw in rawSegments {
            segments.append(try Self.decode(raw, plusIsSpace: false))
        }
        var query: [(name: String, value: String)] = []
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let nameAndValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = try Self.decode(nameAndValue[0], plusIsSpace: true)
                let value = nameAndValue.count == 2 ? try Self.decode(nameAndValue[1], plusIsSpace: true) : ""
                query.append((name, value))
            }
        }
        self.segments = segments
        self.query = query
    }

    /// The value of the first query parameter with this name, if present.
    func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.segments == rhs.segments && lhs.query.elementsEqual(rhs.query) { $0 == $1 }
    }

    private static func decode(_ text: Substring, plusIsSpace: Bool) throws(ParseError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    throw .invalidPercentEncoding
                }
                bytes.append(high << 4 | low)
            case UInt8(ascii: "+") where plusIsSpace:
                bytes.append(UInt8(ascii: " "))
            default:
                bytes.append(byte)
            }
        }
        guard let decoded = String(bytes: bytes, encoding: .utf8) else { throw .invalidPercentEncoding }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
