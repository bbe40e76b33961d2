import Foundation
import Logging
import Metrics
import TaskTestSupport
import Testing

@testable import VigilanteCore

/// The scheduler reports every failed pass with the length of the failure streak; the dispatcher sends
/// only from the threshold on.
@Suite struct TaskFailingNotificationTests {
    @Test func failedPassesAreReportedWithTheirStreak() async throws {
        struct Boom: Error, CustomStringConvertible { var description: String { "the API server said no" } }
        let notifications = RecordingNotifications()
        let client = KubernetesClient(transport: UnreachableTransport())
        let store = try VigilanteStore(inMemory: ())
        let log = PassLog()
        // Passes 1 to 3 fail, 4 succeeds, 5 and later fail again.
        let task = ProbeTask<ProbeA>(log: log) { pass in
            if pass == 4 { return .done }
            throw Boom()
        }
        let scheduler = TaskScheduler(
            registry: TaskRegistry(entries: [
                .init(
                    settings: TaskSettings(
                        section: "probe-a", enabled: true, interval: .milliseconds(20), dryRun: false,
                        options: ProbeConfiguration()),
                    task: AnyVigilanteTask(task))
            ]),
            leadership: FixedLeadership(), configuration: SchedulerConfiguration(),
            metrics: NOOPMetricsHandler.instance, logger: Logger(label: "test")
        ) { entry in
            TaskContext(
                settings: entry.settings, client: client,
                caches: TaskCaches(declarations: [], client: client, logger: Logger(label: "t")),
                store: store.namespace(entry.task.name),
                events: EventRecorder(
                    client: client, component: "t", instance: "t", clock: SystemClock(), logger: Logger(label: "t")),
                metrics: NOOPMetricsHandler.instance, logger: Logger(label: "t"), clock: SystemClock(),
                notifications: notifications)
        }
        let run = Task { try await scheduler.run() }
        defer { run.cancel() }
        try await waitUntil("six failed passes") { notifications.of(.taskFailing).count >= 6 }
        let failing = notifications.of(.taskFailing)
        #expect(failing.prefix(6).map(\.consecutiveFailures) == [1, 2, 3, 1, 2, 3])
        #expect(failing.allSatisfy { $0.subject == "probe-a" && $0.task == "probe-a" })
        #expect(failing.first?.detail == "the API server said no")
    }
}
