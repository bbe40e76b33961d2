import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore

/// Delivers one destination's messages, one at a time: waits for the rate limit, posts with a timeout,
/// retries server errors, 429 and network failures with exponential backoff (a 429's `Retry-After`
/// decides the wait), and gives up after the configured attempts. Logs name the destination and its
/// redacted address, never the address itself.
struct WebhookDelivery: Sendable {
    let destination: NotificationSettings.Destination
    let requestTimeout: Duration
    let maxAttempts: Int
    let timing: NotificationDispatcher.Timing
    let logger: Logger
    let limiter: RateLimiter
    let sent: Counter
    let failed: Counter

    init(
        destination: NotificationSettings.Destination, requestTimeout: Duration,
        maxAttempts: Int, timing: NotificationDispatcher.Timing, metrics: any MetricsFactory, logger: Logger
    ) {
        self.destination = destination
        self.requestTimeout = requestTimeout
        self.maxAttempts = maxAttempts
        self.timing = timing
        var logger = logger
        logger[metadataKey: "destination"] = "\(destination.name)"
        self.logger = logger
        limiter = RateLimiter(perMinute: destination.messagesPerMinute)
        let dimensions = [("destination", destination.name)]
        sent = Counter(label: "vigilante_notifications_sent_total", dimensions: dimensions, factory: metrics)
        failed = Counter(label: "vigilante_notifications_failed_total", dimensions: dimensions, factory: metrics)
    }

    /// What one attempt came to.
    enum Attempt: Equatable {
        case delivered
        /// Worth another try, after at least `after` when the receiver said so.
        case retry(String, after: Duration?)
        /// The receiver refused the message itself (4xx other than 408 and 429): retrying cannot help.
        case rejected(String)
    }

    /// Sends `message`, retrying as needed; returns when it was delivered or given up (or on cancellation).
    func deliver(_ message: NotificationDispatcher.Outgoing, client: HTTPClient, makeID: @Sendable () -> String) async {
        let payload: NotificationPayload
        do {
            // Only CloudEvents carry an id.
            let id = destination.format == .cloudevents ? makeID() : ""
            payload = try NotificationPayload.make(
                message.batch, format: destination.format, id: id, time: message.time)
        } catch {
            failed.increment()
            logger.error("could not encode a notification", metadata: ["error": "\(error)"])
            return
        }
        do {
            try await limiter.acquire()
        } catch {
            return
        }
        var delay = timing.retryBase
        for attempt in 1...maxAttempts {
            let result = await post(payload, client: client)
            switch result {
            case .delivered:
                sent.increment()
                logger.debug(
                    "notification sent", metadata: ["kind": "\(message.batch.kind.rawValue)", "attempt": "\(attempt)"])
                return
            case .rejected(let problem):
                failed.increment()
                logger.warning(
                    "notification rejected by the destination",
                    metadata: ["url": "\(destination.url.redacted)", "error": "\(problem)"])
                return
            case .retry(let problem, let after):
                guard attempt < maxAttempts else {
                    failed.increment()
                    logger.warning(
                        "notification not delivered; giving up",
                        metadata: [
                            "url": "\(destination.url.redacted)", "attempts": "\(attempt)", "error": "\(problem)",
                        ])
                    return
                }
                let wait = min(after ?? delay, timing.retryCap)
                logger.info(
                    "notification not delivered; retrying",
                    metadata: [
                        "url": "\(destination.url.redacted)", "attempt": "\(attempt)", "error": "\(problem)",
                        "retryIn": "\(wait.configText)",
                    ])
                do {
                    try await Task.sleep(for: wait)
                } catch {
                    return
                }
                delay = min(delay * 2, timing.retryCap)
            }
        }
    }

    /// One POST with the request timeout.
    func post(_ payload: NotificationPayload, client: HTTPClient) async -> Attempt {
        var request = HTTPClientRequest(url: destination.url.secret)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: payload.contentType)
        request.headers.add(name: "User-Agent", value: "cops-vigilante")
        request.body = .bytes(ByteBuffer(data: payload.body))
        do {
            let deadline = NIODeadline.now() + .nanoseconds(Int64(requestTimeout.seconds * 1e9))
            let response = try await client.execute(request, deadline: deadline, logger: nil)
            // The body says why a request was refused (Slack: "invalid_payload"); a short excerpt is enough.
            let body = (try? await response.body.collect(upTo: 4096)).map { String(buffer: $0) } ?? ""
            let status = response.status.code
            if (200..<300).contains(status) { return .delivered }
            let problem = destination.url.redact(
                "HTTP \(status)" + (body.isEmpty ? "" : ": \(body.prefix(200))"))
            if status == 429 || status == 408 || status >= 500 {
                let after = response.headers.first(name: "Retry-After").flatMap { Self.retryAfter($0) }
                return .retry(problem, after: after)
            }
            return .rejected(problem)
        } catch {
            return .retry(destination.url.redact("\(error)"), after: nil)
        }
    }

    /// A `Retry-After` value: delay seconds or an HTTP date.
    static func retryAfter(_ value: String, now: Date = Date()) -> Duration? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(text), seconds >= 0 { return .seconds(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text) else { return nil }
        return .seconds(max(0, date.timeIntervalSince(now)))
    }
}
