import Foundation

/// The HTTP body of one message in a destination's format.
public struct NotificationPayload: Sendable, Equatable {
    /// The `Content-Type` header.
    public var contentType: String
    /// The JSON body.
    public var body: Data

    /// `batch` as `format` wants it. `id` and `time` identify a CloudEvent (unused by the chat formats).
    public static func make(_ batch: NotificationBatch, format: NotificationFormat, id: String, time: Date) throws
        -> NotificationPayload
    {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        switch format {
        case .slack:
            return NotificationPayload(
                contentType: "application/json", body: try encoder.encode(SlackMessage(batch)))
        case .teams:
            return NotificationPayload(
                contentType: "application/json", body: try encoder.encode(TeamsMessage(batch)))
        case .cloudevents:
            encoder.dateEncodingStrategy = .iso8601
            return NotificationPayload(
                contentType: "application/cloudevents+json; charset=utf-8",
                body: try encoder.encode(CloudEvent(batch, id: id, time: time)))
        }
    }
}

/// A Slack incoming-webhook message: `text` (the notification fallback) and Block Kit `blocks` (header,
/// section, context). Slack's limits: a header's text at most 150 characters, a section's 3000.
struct SlackMessage: Encodable {
    struct Text: Encodable {
        let type: String
        let text: String
    }
    struct Block: Encodable {
        let type: String
        var text: Text?
        var elements: [Text]?
    }
    let text: String
    let blocks: [Block]

    init(_ batch: NotificationBatch) {
        text = Self.escape("\(batch.title)\n\(batch.text)")
        blocks = [
            Block(type: "header", text: Text(type: "plain_text", text: String(batch.title.prefix(150)))),
            Block(type: "section", text: Text(type: "mrkdwn", text: String(Self.escape(batch.text).prefix(3000)))),
            Block(type: "context", elements: [Text(type: "mrkdwn", text: Self.escape(batch.context))]),
        ]
    }

    /// Slack's mrkdwn treats `&`, `<` and `>` as control characters (links, mentions): they are escaped.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}

/// A message for a Microsoft Teams Workflows webhook ("When a Teams webhook request is received"): one
/// attachment holding an Adaptive Card, version 1.4 (what Teams renders on every client).
struct TeamsMessage: Encodable {
    struct Attachment: Encodable {
        let contentType = "application/vnd.microsoft.card.adaptive"
        let contentUrl: String? = nil
        let content: Card

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(contentType, forKey: .contentType)
            try container.encodeNil(forKey: .contentUrl)
            try container.encode(content, forKey: .content)
        }
        enum CodingKeys: String, CodingKey { case contentType, contentUrl, content }
    }
    struct Card: Encodable {
        let schema = "http://adaptivecards.io/schemas/adaptive-card.json"
        let type = "AdaptiveCard"
        let version = "1.4"
        let body: [TextBlock]
        let msteams = ["width": "Full"]
        enum CodingKeys: String, CodingKey {
            case schema = "$schema"
            case type, version, body, msteams
        }
    }
    struct TextBlock: Encodable {
        let type = "TextBlock"
        let text: String
        let wrap = true
        var weight: String?
        var size: String?
        var isSubtle: Bool?
        var color: String?
    }
    let type = "message"
    let attachments: [Attachment]

    init(_ batch: NotificationBatch) {
        let attention = [.nodeFailing, .taskFailing].contains(batch.kind)
        attachments = [
            Attachment(
                content: Card(body: [
                    TextBlock(
                        text: batch.title, weight: "Bolder", size: "Medium",
                        color: attention ? "Attention" : nil),
                    TextBlock(text: batch.text),
                    TextBlock(text: batch.context, size: "Small", isSubtle: true),
                ]))
        ]
    }
}

/// A CloudEvents 1.0 event in structured JSON mode: the required attributes (`specversion`, `id`,
/// `source`, `type`), `subject` for a single subject, `time`, and the batch as `data`.
struct CloudEvent: Encodable {
    struct Payload: Encodable {
        let kind: String
        let task: String
        let dryRun: Bool
        let count: Int
        let items: [NotificationBatch.Item]
        let title: String
        let text: String
        let instance: String
        let cluster: String?
    }
    let specversion = "1.0"
    let id: String
    let source: String
    let type: String
    let subject: String?
    let time: Date
    let datacontenttype = "application/json"
    let data: Payload

    init(_ batch: NotificationBatch, id: String, time: Date) {
        self.id = id
        let instance =
            batch.instance.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"]))
            ?? "instance"
        source = "/cops-vigilante/\(instance)"
        type = "io.cops-vigilante.\(batch.kind.rawValue)"
        subject = batch.count == 1 ? batch.items.first?.subject : nil
        self.time = time
        data = Payload(
            kind: batch.kind.rawValue, task: batch.task, dryRun: batch.dryRun, count: batch.count, items: batch.items,
            title: batch.title, text: batch.text, instance: batch.instance, cluster: batch.cluster)
    }
}
