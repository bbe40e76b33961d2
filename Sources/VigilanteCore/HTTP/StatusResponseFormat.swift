/// How a status answer is rendered: JSON (compact or indented) or plain text for people.
///
/// `?pretty` selects indented JSON; an `Accept` header that prefers `text/plain` over
/// `application/json` selects text. JSON wins ties and is the default, so `Accept: */*` (probes,
/// curl) gets JSON.
enum StatusResponseFormat: Equatable {
    /// `application/json`, indented when `pretty`.
    case json(pretty: Bool)
    /// `text/plain`, a table or key-value lines.
    case text

    /// Why a format cannot be chosen.
    enum NegotiationError: Error, Equatable {
        /// `pretty` has a value other than empty, `true`, `false`, `1` or `0` (lowercase, as documented).
        case invalidPretty(String)
    }

    /// Chooses the format from the `Accept` header and the `pretty` query parameter.
    init(accept: String?, pretty: String?) throws(NegotiationError) {
        var wantsPretty = false
        if let pretty {
            switch pretty {
            case "", "true", "1": wantsPretty = true
            case "false", "0": wantsPretty = false
            default: throw .invalidPretty(pretty)
            }
        }
        if let accept, Self.quality(of: "text/plain", in: accept) > Self.quality(of: "application/json", in: accept) {
            self = .text
        } else {
            self = .json(pretty: wantsPretty)
        }
    }

    /// Whether an `Accept` header prefers `text/html` to JSON, as a browser's does (`text/html,...,*/*;q=0.8`);
    /// `*/*` alone (curl, probes) does not.
    static func prefersHTML(accept: String?) -> Bool {
        guard let accept else { return false }
        return quality(of: "text/html", in: accept) > quality(of: "application/json", in: accept)
    }

    /// The quality an `Accept` header gives a media type: the `q` of the most specific matching
    /// range (`type/subtype` over `type/*` over `*/*`), 0 when none matches.
    static func quality(of mediaType: String, in accept: String) -> Double {
        let wantedType = mediaType.split(separator: "/").first.map(String.init) ?? mediaType
        var best: (specificity: Int, quality: Double) = (-1, 0)
        for range in accept.split(separator: ",") {
            let parameters = range.split(separator: ";").map { $0.trimmingSpaces().lowercased() }
            guard let type = parameters.first, !type.isEmpty else { continue }
            let specificity: Int
            if type == mediaType {
                specificity = 2
            } else if type == wantedType + "/*" {
                specificity = 1
            } else if type == "*/*" {
                specificity = 0
            } else {
                continue
            }
            var quality = 1.0
            for parameter in parameters.dropFirst() where parameter.hasPrefix("q=") {
                quality = Double(parameter.dropFirst(2)).map { min(max($0, 0), 1) } ?? 0
            }
            if specificity > best.specificity {
                best = (specificity, quality)
            }
        }
        return best.quality
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return self[first...last]
    }
}
