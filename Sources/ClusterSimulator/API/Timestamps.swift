import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// RFC 3339 timestamps as the API server writes them: `metav1.Time` to the second, `MicroTime`
/// with exactly six fractional digits.
enum Timestamps {
    static func time(_ date: Date = Date()) -> String {
        format(date, micro: false)
    }

    static func microTime(_ date: Date = Date()) -> String {
        format(date, micro: true)
    }

    private static func format(_ date: Date, micro: Bool) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = time_t(interval.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var text =
            "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))"
        if micro {
            let fraction = Int32(((interval - interval.rounded(.down)) * 1_000_000).rounded())
            text += "." + pad(min(fraction, 999_999), 6)
        }
        return text + "Z"
    }

    /// Parses RFC 3339 (any fraction, `Z` or offset); nil when malformed.
    static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            Int(String(decoding: bytes[range], as: UTF8.self))
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if bytes[index] == UInt8(ascii: ".") {
            let start = index
            index += 1
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            fraction = Double(String(decoding: bytes[start..<index], as: UTF8.self)) ?? 0
        }
        var offset = 0
        guard index < bytes.count else { return nil }
        if bytes[index] == UInt8(ascii: "Z") {
            index += 1
        } else if bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-"), index + 6 == bytes.count {
            guard let hours = number(index + 1..<index + 3), let minutes = number(index + 4..<index + 6) else {
                return nil
            }
            offset = (hours * 3600 + minutes * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
            index += 6
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let epoch = timegm(&parts)
        return Date(timeIntervalSince1970: Double(epoch - offset) + fraction)
    }

    /// Validates a MicroTime as Go's RFC3339Micro layout does and normalises it to UTC.
    /// Returns the Go-style parse error text on failure.
    static func normalizeMicroTime(_ text: String) -> Result<String, MicroTimeError> {
        let bytes = Array(text.utf8)
        let layout = "2006-01-02T15:04:05.000000Z07:00"
        guard bytes.count >= 27, bytes[10] == UInt8(ascii: "T"), bytes[19] == UInt8(ascii: ".") else {
            return .failure(MicroTimeError(text: text, layout: layout))
        }
        var index = 20
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        guard index - 20 == 6, let date = parse(text) else {
            return .failure(MicroTimeError(text: text, layout: layout))
        }
        // Whole seconds from the parsed date, the six digits kept as written (no float rounding).
        let digits = String(decoding: bytes[20..<26], as: UTF8.self)
        let seconds = Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
        return .success(String(time(seconds).dropLast()) + ".\(digits)Z")
    }

    struct MicroTimeError: Error {
        let text: String
        let layout: String

        var message: String {
            "parsing time \"\(text)\" as \"\(layout)\": cannot parse \"\(text.dropFirst(min(19, text.count)))\" as \".000000\""
        }
    }
}

/// Random values the API server generates.
enum Identifiers {
    static func uid() -> String {
        UUID().uuidString.lowercased()
    }

    private static let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    /// The five-character suffix of `generateName` (k8s.io/apiserver/pkg/storage/names).
    static func nameSuffix() -> String {
        String((0..<5).map { _ in alphabet.randomElement()! })
    }
}
