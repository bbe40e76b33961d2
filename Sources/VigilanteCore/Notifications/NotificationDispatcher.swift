import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Takes notifications from tasks and the core and delivers them to every destination that wants their
/// kind, quietly: the same event is sent once per `dedupPeriod`, events of one kind within `batchWindow`
/// make one message, each destination has its own bounded queue, rate limit and delivery worker.
/// ``send(_:)`` only takes a lock: a slow or failing destination never delays a pass.
///
/// Windows are measured with the injected ``WallClock``; a tick (one second by default) checks which
/// batches are due, so tests move a ``ManualClock`` instead of sleeping.
public final class NotificationDispatcher: NotificationSending, Service {
    /// Timing of the dispatcher itself (tests shorten it).
    public struct Timing: Sendable {
        /// How often due batches are looked for.
        public var tick: Duration = .seconds(1)
        /// The first retry delay; doubled per attempt.
        public var retryBase: Duration = .seconds(2)
        /// The longest retry delay, and the longest `Retry-After` honoured.
        public var retryCap: Duration = .seconds(300)
        /// How long queued messages may still be delivered at shutdown.
        public var shutdownGrace: Duration = .seconds(5)
        /// Identifies each CloudEvent.
        public var makeID: @Sendable () -> String = { UUID().uuidString.lowercased() }

        /// The defaults.
        public init() {}
    }

    /// A message ready to go to one destination.
    struct Outgoing: Sendable {
        let batch: NotificationBatch
        let time: Date
    }

    private struct Pending {
        /// Open batches by kind, task and dry-run.
        var batches: [String: NotificationBatch] = [:]
        /// When each event was last accepted, for deduplication.
        var lastSeen: [String: Date] = [:]
    }

    private let settings: NotificationSettings
    private let instance: String
    private let cluster: String?
    /// Leadership changes, subscribed at creation so that none is missed before ``run()``.
    private let leadershipChanges: AsyncStream<Bool>?
    private let clock: any WallClock
    private let timing: Timing
    private let logger: Logger
    private let pending: Mutex<[Pending]>
    private let stopping = Mutex(false)
    private let deliveries: [WebhookDelivery]
    private let queues: [AsyncStream<Outgoing>.Continuation]
    private let streams: [AsyncStream<Outgoing>]
    private let dropped: [Counter]

    /// Creates the dispatcher of `settings`. `instance` (the leader-election identity) and `cluster` name
    /// the sender in every message; with `leadership`, gaining and losing it is notified.
    public init(
        settings: NotificationSettings, instance: String, cluster: String? = nil, leadership: (any Leadership)?,
        clock: any WallClock, metrics: any MetricsFactory, logger: Logger, timing: Timing = Timing()
    ) {
        self.settings = settings
        self.instance = instance
        self.cluster = cluster
        leadershipChanges = leadership?.changes()
        self.clock = clock
        self.timing = timing
        self.logger = logger
        pending = Mutex(Array(repeating: Pending(), count: settings.destinations.count))
        var queues: [AsyncStream<Outgoing>.Continuation] = []
        var streams: [AsyncStream<Outgoing>] = []
        for _ in settings.destinations {
            let (stream, continuation) = AsyncStream<Outgoing>.makeStream(
                bufferingPolicy: .bufferingOldest(settings.queueCapacity))
            streams.append(stream)
            queues.append(continuation)
        }
        self.queues = queues
        self.streams = streams
        dropped = settings.destinations.map {
            Counter(
                label: "vigilante_notifications_dropped_total", dimensions: [("destination", $0.name)], factory: metrics
            )
        }
        deliveries = settings.destinations.map {
            WebhookDelivery(
                destination: $0, requestTimeout: settings.requestTimeout,
                maxAttempts: settings.maxAttempts, timing: timing, metrics: metrics, logger: logger)
        }
        for destination in settings.destinations {
            logger.info(
                "notification destination",
                metadata: [
                    "destination": "\(destination.name)", "type": "\(destination.format.rawValue)",
                    "url": "\(destination.url.redacted)",
                    "events": "\(destination.kinds.map(\.rawValue).sorted().joined(separator: ","))",
                ])
        }
    }

    // MARK: Accepting events

    public func send(_ event: NotificationEvent) {
        if [.nodeFailing, .taskFailing].contains(event.kind),
            (event.consecutiveFailures ?? 0) < settings.failureThreshold
        {
            return
        }
        guard !stopping.withLock({ $0 }) else { return }
        let now = clock.now()
        // A failing node or task is one failure whatever its latest message; other events are the same
        // when their detail is.
        let failing = [.nodeFailing, .taskFailing].contains(event.kind)
        let identity = [event.kind.rawValue, event.task, event.subject, failing ? "" : event.detail ?? ""]
            .joined(separator: "\u{1}")
        let group = [event.kind.rawValue, event.task, String(event.dryRun)].joined(separator: "\u{1}")
        let dedupSeconds = settings.dedupPeriod.seconds
        pending.withLock { pending in
            for (index, destination) in settings.destinations.enumerated() where destination.kinds.contains(event.kind)
            {
                // Every leadership change is news: a repeated "became the leader" follows a "lost".
                if event.kind != .leadership, let last = pending[index].lastSeen[identity],
                    now.timeIntervalSince(last) < dedupSeconds
                {
                    continue
                }
                if pending[index].lastSeen.count >= 10_000 {
                    pending[index].lastSeen = pending[index].lastSeen.filter {
                        now.timeIntervalSince($0.value) < dedupSeconds
                    }
                }
                pending[index].lastSeen[identity] = now
                if pending[index].batches[group] != nil {
                    pending[index].batches[group]?.add(event)
                } else {
                    pending[index].batches[group] = NotificationBatch(
                        event: event, instance: instance, cluster: cluster, at: now)
                }
            }
        }
    }

    /// Queues the batches whose window has passed, and those of `kind` (or all, with `everything`) at once.
    /// Called every tick; tests call it after moving their clock.
    public func flushDue(everything: Bool = false, kind: NotificationEvent.Kind? = nil) {
        let now = clock.now()
        let window = settings.batchWindow.seconds
        let due = pending.withLock { pending -> [(index: Int, group: String, batch: NotificationBatch)] in
            var due: [(index: Int, group: String, batch: NotificationBatch)] = []
            for index in pending.indices {
                for (group, batch) in pending[index].batches
                where everything || batch.kind == kind || now.timeIntervalSince(batch.firstAt) >= window {
                    due.append((index, group, batch))
                    pending[index].batches[group] = nil
                }
            }
            // Oldest first; a stable order for batches started together.
            return due.sorted { ($0.batch.firstAt, $0.group) < ($1.batch.firstAt, $1.group) }
        }
        for (index, _, batch) in due {
            if case .dropped = queues[index].yield(Outgoing(batch: batch, time: now)) {
                dropped[index].increment()
                logger.warning(
                    "notification queue full: message dropped",
                    metadata: [
                        "destination": "\(settings.destinations[index].name)", "kind": "\(batch.kind.rawValue)",
                        "count": "\(batch.count)",
                    ])
            }
        }
    }

    // MARK: Running

    /// Delivers until graceful shutdown, then sends what is pending for at most `shutdownGrace`.
    public func run() async throws {
        let streams = streams
        let deliveries = deliveries
        let makeID = timing.makeID
        // A webhook's address is its credential: it is not handed to another host by a redirect.
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: HTTPClient.Configuration(
                redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5))))
        let delivering = Task {
            await withDiscardingTaskGroup { group in
                for (stream, delivery) in zip(streams, deliveries) {
                    group.addTask {
                        for await message in stream { await delivery.deliver(message, client: client, makeID: makeID) }
                    }
                }
            }
        }
        let listening = leadershipChanges.map { changes in
            Task { [self] in
                for await isLeader in changes {
                    send(
                        NotificationEvent(
                            kind: .leadership, subject: instance,
                            detail: (isLeader ? LeadershipChange.gained : .lost).rawValue))
                    // Leadership is news now, not at the end of a batch window.
                    flushDue(kind: .leadership)
                }
            }
        }
        let tick = timing.tick
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: tick)
                self.flushDue()
            }
        }
        listening?.cancel()
        flushDue(everything: true)
        stopping.withLock { $0 = true }
        for queue in queues { queue.finish() }
        // Workers end when their queues are empty; one stuck on a hanging destination is cut off.
        let grace = timing.shutdownGrace
        let deadline = Task {
            try await Task.sleep(for: grace)
            delivering.cancel()
        }
        await delivering.value
        deadline.cancel()
        try? await client.shutdown()
    }
}
