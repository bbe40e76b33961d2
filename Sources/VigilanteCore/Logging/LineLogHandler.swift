import Foundation
import Logging

/// A log handler that writes one line per message to standard error, as text for people or as JSON for
/// log pipelines. Metadata whose key names a secret is replaced by `<redacted>`.
public struct LineLogHandler: LogHandler {
    /// Metadata keys whose values are never written.
    public static let secretKeys: Set<String> = [
        "token", "authorization", "password", "secret", "privatekey", "clientkey", "bearer",
    ]

    private let label: String
    private let format: LogFormat
    private let write: @Sendable (String) -> Void
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    /// Creates a handler; `write` receives each finished line (with its newline), standard error by default.
    public init(
        label: String, format: LogFormat, level: Logger.Level,
        write: @escaping @Sendable (String) -> Void = LineLogHandler.writeToStandardError
    ) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.write = write
    }

    /// Installs this handler for every logger of the process.
    public static func bootstrap(format: LogFormat, level: Logger.Level) {
        LoggingSystem.bootstrap { label in LineLogHandler(label: label, format: format, level: level) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        for key in merged.keys where Self.secretKeys.contains(key.lowercased()) { merged[key] = "<redacted>" }
        let timestamp = Date().formatted(.iso8601)
        switch format {
        case .text:
            var line = "\(timestamp) \(event.level) \(label): \(event.message)"
            for key in merged.keys.sorted() { line += " \(key)=\(merged[key]!)" }
            write(line + "\n")
        case .json:
            var object: [String: Any] = [
                "timestamp": timestamp, "level": event.level.rawValue, "label": label,
                "message": event.message.description,
            ]
            if !merged.isEmpty { object["metadata"] = merged.mapValues(Self.jsonValue) }
            let data =
                (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
                ?? Data()
            write((String(data: data, encoding: .utf8) ?? "{}") + "\n")
        }
    }

    private static func jsonValue(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array(let array): array.map(jsonValue)
        case .dictionary(let dictionary): dictionary.mapValues(jsonValue)
        }
    }

    /// Writes `line` to standard error.
    @Sendable public static func writeToStandardError(_ line: String) {
        FileHandle.standardError.write(Data(line.utf8))
    }
}
