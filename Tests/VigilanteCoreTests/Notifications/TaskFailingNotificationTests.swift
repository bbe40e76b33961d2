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
        let log = PassLog()
        // Passes 1 to 3 fail, 4 succeeds, 5 and later fail again.
        let task = ProbeTask<ProbeA>(log: log) { pass in
            if pass == 4 { return .done }
            throw Boom()
        }
        let settings = TaskSettings(
            section: "probe-a", enabled: true, interval: .milliseconds(20), dryRun: false,
            options: ProbeConfiguration())
        let scheduler = try makeTestScheduler(
            [.init(settings: settings, task: AnyVigilanteTask(task))], client: client, notifications: notifications)
        let run = Task { try await scheduler.run() }
        defer { run.cancel() }
        try await waitUntil("six failed passes") { notifications.of(.taskFailing).count >= 6 }
        let failing = notifications.of(.taskFailing)
        #expect(failing.prefix(6).map(\.consecutiveFailures) == [1, 2, 3, 1, 2, 3])
        #expect(failing.allSatisfy { $0.subject == "probe-a" && $0.task == "probe-a" })
        #expect(failing.first?.detail == "the API server said no")
    }
}
