import Foundation

/// A webhook address. It carries the credential (Slack's and Teams' URLs are bearer secrets), so it never
/// prints itself: its description shows the scheme and host only.
public struct WebhookURL: Sendable, Equatable, CustomStringConvertible {
    /// The full address, for the HTTP request only.
    public let secret: String
    /// `https://hooks.slack.com/…`: safe for logs, status and `config check`.
    public let redacted: String

    /// Parses `text` (surrounding whitespace ignored, as in a file written with a final newline); nil with
    /// a problem that does not repeat the text when it is not an absolute http(s) URL with a host.
    public static func parse(_ text: String) -> Result<WebhookURL, WebhookURLError> {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return .failure(WebhookURLError(problem: "is empty")) }
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased() else {
            return .failure(WebhookURLError(problem: "is not a URL"))
        }
        guard scheme == "https" || scheme == "http" else {
            return .failure(WebhookURLError(problem: "must be an http or https URL, got scheme \"\(scheme)\""))
        }
        guard let host = components.host, !host.isEmpty else {
            return .failure(WebhookURLError(problem: "has no host"))
        }
        let port = components.port.map { ":\($0)" } ?? ""
        return .success(WebhookURL(secret: trimmed, redacted: "\(scheme)://\(host)\(port)/…"))
    }

    public var description: String { redacted }

    /// `text` with the address, its path and query, and every long segment of them (tokens, signatures)
    /// replaced: for error messages of the HTTP client or the receiver, which may quote what they got.
    public func redact(_ text: String) -> String {
        var result = text.replacingOccurrences(of: secret, with: redacted)
        guard let components = URLComponents(string: secret) else { return result }
        var secrets = [components.percentEncodedPath, components.percentEncodedQuery ?? ""]
        secrets += components.percentEncodedPath.split(separator: "/").map(String.init)
        secrets += (components.percentEncodedQuery ?? "").split(separator: "&").flatMap {
            $0.split(separator: "=").map(String.init)
        }
        // Longest first, so a path is replaced before the segments inside it.
        for part in Set(secrets).sorted(by: { $0.count > $1.count }) where part.count >= 16 {
            result = result.replacingOccurrences(of: part, with: "…")
            if let decoded = part.removingPercentEncoding, decoded != part {
                result = result.replacingOccurrences(of: decoded, with: "…")
            }
        }
        return result
    }
}

/// Why a webhook address is unusable; never quotes the address.
public struct WebhookURLError: Error, Sendable, Equatable {
    /// "is not a URL", "has no host"…
    public var problem: String
}
