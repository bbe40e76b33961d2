import Foundation

/// The JSON encoding of every status body: RFC 3339 UTC timestamps, sorted keys, and no throwing on
/// non-finite numbers (they become strings) so that a task's odd snapshot cannot break an answer.
enum StatusJSON {
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
}
