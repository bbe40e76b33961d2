import Foundation

/// The documented rules of each destination's payload, checked on what the receiver got: a golden file
/// that drifted from the service's schema fails here even when it matches itself.
enum PayloadSchemas {
    /// Slack incoming webhooks (api.slack.com/messaging/webhooks, Block Kit reference): `text` is the
    /// notification fallback and required with blocks; at most 50 blocks; a header is `plain_text` of at
    /// most 150 characters; a section's text at most 3000; a context at most 10 elements.
    static func slackProblems(_ json: [String: Any]) -> [String] {
        var problems: [String] = []
        if (json["text"] as? String)?.isEmpty != false { problems.append("text must be a non-empty string") }
        guard let blocks = json["blocks"] as? [[String: Any]] else { return problems + ["blocks must be a list"] }
        if blocks.count > 50 { problems.append("at most 50 blocks") }
        let allowedKeys = Set(["text", "blocks"])
        for key in json.keys where !allowedKeys.contains(key) { problems.append("unexpected key \(key)") }
        for (index, block) in blocks.enumerated() {
            let text = block["text"] as? [String: Any]
            switch block["type"] as? String {
            case "header":
                if text?["type"] as? String != "plain_text" {
                    problems.append("block \(index): header needs plain_text")
                }
                if ((text?["text"] as? String)?.count ?? 0) > 150 { problems.append("block \(index): header > 150") }
            case "section":
                if !["mrkdwn", "plain_text"].contains(text?["type"] as? String ?? "") {
                    problems.append("block \(index): section text type")
                }
                let count = (text?["text"] as? String)?.count ?? 0
                if count == 0 || count > 3000 { problems.append("block \(index): section text 1...3000") }
            case "context":
                let elements = block["elements"] as? [[String: Any]] ?? []
                if elements.isEmpty || elements.count > 10 {
                    problems.append("block \(index): context 1...10 elements")
                }
                for element in elements where !["mrkdwn", "plain_text"].contains(element["type"] as? String ?? "") {
                    problems.append("block \(index): context element type")
                }
            default:
                problems.append("block \(index): unexpected type \(block["type"] ?? "nil")")
            }
        }
        return problems
    }

    /// Teams Workflows webhooks (learn.microsoft.com, "Create incoming webhooks with Workflows"): a
    /// `message` whose attachments hold `application/vnd.microsoft.card.adaptive` content; the card is an
    /// `AdaptiveCard` of a version Teams renders (at most 1.5), with a `body` of elements.
    static func teamsProblems(_ json: [String: Any]) -> [String] {
        var problems: [String] = []
        if json["type"] as? String != "message" { problems.append("type must be message") }
        guard let attachments = json["attachments"] as? [[String: Any]], !attachments.isEmpty else {
            return problems + ["attachments must be a non-empty list"]
        }
        for attachment in attachments {
            if attachment["contentType"] as? String != "application/vnd.microsoft.card.adaptive" {
                problems.append("contentType must be application/vnd.microsoft.card.adaptive")
            }
            guard let card = attachment["content"] as? [String: Any] else {
                problems.append("content must be an object")
                continue
            }
            if card["type"] as? String != "AdaptiveCard" { problems.append("content.type must be AdaptiveCard") }
            if card["$schema"] as? String != "http://adaptivecards.io/schemas/adaptive-card.json" {
                problems.append("$schema")
            }
            let version = (card["version"] as? String).flatMap(Double.init) ?? 0
            if !(1.0...1.5).contains(version) { problems.append("version must be 1.0 to 1.5, got \(version)") }
            let body = card["body"] as? [[String: Any]] ?? []
            if body.isEmpty { problems.append("body must not be empty") }
            for element in body {
                if element["type"] as? String != "TextBlock" { problems.append("unexpected element \(element)") }
                if (element["text"] as? String)?.isEmpty != false { problems.append("TextBlock needs text") }
                if let size = element["size"] as? String,
                    !["Default", "Small", "Medium", "Large", "ExtraLarge"].contains(size)
                {
                    problems.append("size \(size)")
                }
                if let weight = element["weight"] as? String, !["Default", "Lighter", "Bolder"].contains(weight) {
                    problems.append("weight \(weight)")
                }
                if let color = element["color"] as? String,
                    !["Default", "Dark", "Light", "Accent", "Good", "Warning", "Attention"].contains(color)
                {
                    problems.append("color \(color)")
                }
            }
        }
        return problems
    }

    /// CloudEvents 1.0 structured JSON mode (spec.md, json-format.md): the required `specversion` "1.0",
    /// non-empty `id`, `source` (URI-reference) and `type`; `time` RFC 3339; attribute names lower-case
    /// letters and digits; content type `application/cloudevents+json`.
    static func cloudEventProblems(_ json: [String: Any], contentType: String?) -> [String] {
        var problems: [String] = []
        if contentType?.hasPrefix("application/cloudevents+json") != true { problems.append("content type") }
        if json["specversion"] as? String != "1.0" { problems.append("specversion must be 1.0") }
        for required in ["id", "source", "type"] where (json[required] as? String)?.isEmpty != false {
            problems.append("\(required) is required and must be a non-empty string")
        }
        if let source = json["source"] as? String, URLComponents(string: source) == nil {
            problems.append("source must be a URI-reference")
        }
        if let time = json["time"] as? String, ISO8601DateFormatter().date(from: time) == nil {
            problems.append("time must be RFC 3339")
        }
        for key in json.keys
        where key.count > 20 || !key.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber) }) {
            problems.append("attribute name \(key)")
        }
        if json["data"] != nil, json["datacontenttype"] as? String != "application/json" {
            problems.append("datacontenttype must be application/json for JSON data")
        }
        return problems
    }
}
