import Foundation

/// The JSON encoding of every status body: RFC 3339 UTC timestamps, sorted keys, and no throwing on
/// non-finite numbers (they become strings) so that a task's odd snapshot cannot break an answer.
enum StatusJSON {
    /// `null`, the details of a task whose snapshot cannot be encoded.
    static let null = Data("null".utf8)

    /// Encodes a value, indented and newline-terminated when `pretty`.
    static func encode(_ value: some Encodable, pretty: Bool) throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys]
        var data = try encoder.encode(value)
        if pretty {
            data.append(UInt8(ascii: "\n"))
        }
        return data
    }

    /// The compact encoding of `entry` whose `details` are `details`, already encoded compactly.
    ///
    /// A task's snapshot can cover thousands of nodes; it is encoded once per pass, and a request only
    /// encodes the small rest of the entry. With sorted keys `details` is the first member, so the entry
    /// is encoded with `null` details and the encoded snapshot takes that `null`'s place.
    static func encode(_ entry: TaskStatusEntry, details: Data) throws -> Data {
        var shell = entry
        shell.details = .null
        let encoded = try encode(shell, pretty: false)
        guard encoded.starts(with: detailsNullPrefix) else {
            // Not reachable while `details` sorts first; correct, only slower, if that ever changes.
            shell.details = (try? JSONDecoder().decode(RawJSON.self, from: details)) ?? .null
            return try encode(shell, pretty: false)
        }
        var data = Data(detailsPrefix)
        data.reserveCapacity(encoded.count + details.count)
        data.append(details)
        data.append(encoded.dropFirst(detailsNullPrefix.count))
        return data
    }

    /// Compact JSON array of already encoded values.
    static func array(_ elements: [Data]) -> Data {
        var data = Data("[".utf8)
        data.reserveCapacity(elements.reduce(2) { $0 + $1.count + 1 })
        for (index, element) in elements.enumerated() {
            if index > 0 { data.append(UInt8(ascii: ",")) }
            data.append(element)
        }
        data.append(UInt8(ascii: "]"))
        return data
    }

    private static let detailsPrefix = Array(#"{"details":"#.utf8)
    private static let detailsNullPrefix = Array(#"{"details":null"#.utf8)
}
