import Foundation

/// A Kubernetes `MicroTime`: RFC 3339 in UTC with exactly six fraction digits, which the API server
/// requires for Lease `acquireTime`/`renewTime` (it rejects 0, 3 or 9 digits).
public struct MicroTime: Codable, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The instant.
    public var date: Date

    /// Wraps a date (sub-microsecond precision is dropped on the wire).
    public init(_ date: Date) {
        self.date = date
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = KubernetesTime.parse(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "invalid MicroTime \"\(text)\"")
        }
        self.date = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// The wire form, `2026-11-25T11:12:45.673807Z`.
    public var description: String {
        KubernetesTime.format(date, fractionDigits: 6)
    }

    public static func < (lhs: MicroTime, rhs: MicroTime) -> Bool {
        lhs.date < rhs.date
    }
}
