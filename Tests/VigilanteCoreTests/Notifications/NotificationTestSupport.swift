import Foundation
import Logging
import Synchronization
import TaskTestSupport
import Testing
import VigilanteCore

/// Keeps every log line (message and metadata) for assertions about what was logged.
final class RecordingLogHandler: LogHandler, Sendable {
    let lines = Mutex<[String]>([])
    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    func log(event: LogEvent) {
        let metadata = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        lines.withLock { $0.append("\(event.level) \(event.message) \(metadata.joined(separator: " "))") }
    }

    var logger: Logger { Logger(label: "test") { _ in self } }
}

/// A dispatcher under test with its receiver, clock, metrics and logs; ticks fast, retries fast.
struct DispatcherFixture {
    let receiver: WebhookReceiver
    let clock = ManualClock(now: Date(timeIntervalSince1970: 1_800_000_000))
    let metrics = RecordingMetrics()
    let logs = RecordingLogHandler()
    let dispatcher: NotificationDispatcher
    let leadership = FixedLeadership(isLeader: false)

    /// The secret part of every destination's URL: it must never be logged.
    static let secretPath = "/services/T000/B000/SECRETTOKEN0123456789abcdef"

    init(
        receiver: WebhookReceiver, destinations: [(String, NotificationFormat, Set<NotificationEvent.Kind>)],
        configure: (inout NotificationSettings) -> Void = { _ in }, requestTimeout: Duration = .seconds(5),
        shutdownGrace: Duration = .seconds(30)
    ) throws {
        self.receiver = receiver
        var settings = NotificationSettings.none
        settings.destinations = try destinations.map { name, format, kinds in
            NotificationSettings.Destination(
                name: name, format: format, url: try WebhookURL.parse(receiver.url("/\(name)" + Self.secretPath)).get(),
                kinds: kinds, messagesPerMinute: 600)
        }
        settings.batchWindow = .seconds(30)
        settings.requestTimeout = requestTimeout
        settings.clusterName = "prod-westeurope"
        configure(&settings)
        var timing = NotificationDispatcher.Timing()
        timing.tick = .milliseconds(20)
        timing.retryBase = .milliseconds(50)
        // Generous by default: on a loaded machine a first delivery at shutdown can take seconds.
        timing.shutdownGrace = shutdownGrace
        let counter = Mutex(0)
        timing.makeID = {
            counter.withLock {
                $0 += 1
                return "event-\($0)"
            }
        }
        dispatcher = NotificationDispatcher(
            settings: settings, instance: "vigilante-7d9f-abcde", cluster: settings.clusterName,
            leadership: leadership, clock: clock, metrics: metrics, logger: logs.logger, timing: timing)
    }

    /// Runs `body` with the dispatcher running, then shuts it down.
    func run(_ body: () async throws -> Void) async throws {
        let running = Task { try await dispatcher.run() }
        do {
            try await body()
        } catch {
            running.cancel()
            _ = await running.result
            throw error
        }
        running.cancel()
        _ = await running.result
    }

    /// Moves the clock past the batch window (the tick then queues what is due).
    func passWindow() { clock.advance(by: .seconds(31)) }

    /// Requests to the destination named `name`.
    func requests(to name: String) -> [WebhookReceiver.Request] {
        receiver.requests.filter { $0.path.hasPrefix("/\(name)/") }
    }

    func counter(_ label: String, _ destination: String) -> Int64 {
        metrics.counter("vigilante_notifications_\(label)_total", [("destination", destination)])
    }
}

/// Polls `condition` until it holds or `timeout` passes (never a fixed sleep).
func eventually(
    _ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out waiting for \(what)")
    throw CancellationError()
}

/// The golden payloads, in Tests/Golden/notifications.
enum Golden {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Golden/notifications")

    /// `body` pretty-printed with sorted keys, as the golden files are kept.
    static func normalized(_ body: Data) throws -> String {
        let object = try JSONSerialization.jsonObject(with: body)
        let data = try JSONSerialization.data(
            withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Compares `body` with the golden file `name`; `UPDATE_GOLDEN=1` rewrites the file instead.
    static func check(_ body: Data, against name: String) throws {
        let path = folder.appendingPathComponent(name)
        let actual = try normalized(body)
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try actual.write(to: path, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: path, encoding: .utf8)
        #expect(actual == expected, "payload differs from \(name) (UPDATE_GOLDEN=1 rewrites it):\n\(actual)")
    }
}
