import Foundation

extension Duration {
    /// Parses a Go-style duration: one or more `<number><unit>` parts with units `ms`, `s`, `m`, `h`
    /// (`30s`, `5m`, `1h30m`, `1.5h`, `250ms`). Returns nil for anything else.
    public init?(configText text: String) {
        // "ms" before "m", so that "250ms" is not read as 250 minutes.
        let units: [(suffix: String, nanoseconds: Double)] = [
            ("ms", 1e6), ("h", 3600e9), ("m", 60e9), ("s", 1e9),
        ]
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        guard !rest.isEmpty else { return nil }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.suffix) }) else { return nil }
            rest = rest.dropFirst(unit.suffix.count)
            total += value * unit.nanoseconds
        }
        self = .nanoseconds(Int64(total.rounded()))
    }

    /// The duration in seconds as a `Double`.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// The shortest Go-style spelling (`1h30m`, `30s`, `250ms`), the inverse of `init(configText:)`.
    public var configText: String {
        var milliseconds = Int64((seconds * 1000).rounded())
        if milliseconds == 0 { return "0s" }
        var text = milliseconds < 0 ? "-" : ""
        milliseconds = abs(milliseconds)
        let hours = milliseconds / 3_600_000
        let minutes = milliseconds % 3_600_000 / 60_000
        let wholeSeconds = milliseconds % 60_000 / 1000
        let rest = milliseconds % 1000
        if hours > 0 { text += "\(hours)h" }
        if minutes > 0 { text += "\(minutes)m" }
        if rest > 0 && hours == 0 && minutes == 0 && wholeSeconds == 0 { return text + "\(rest)ms" }
        if rest > 0 {
            text +=
                String(format: "%.3f", Double(wholeSeconds) + Double(rest) / 1000)
                .replacingOccurrences(of: #"\.?0+$"#, with: "", options: .regularExpression) + "s"
        } else if wholeSeconds > 0 {
            text += "\(wholeSeconds)s"
        }
        return text
    }
}
