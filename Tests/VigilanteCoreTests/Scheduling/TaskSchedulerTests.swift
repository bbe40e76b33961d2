import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import Testing

@testable import VigilanteCore

/// The scheduler with probe tasks: interval, jitter, no overlap, timeout, isolation, enable/disable,
/// leadership, early runs.
@Suite struct TaskSchedulerTests {
    let client = KubernetesClient(transport: UnreachableTransport())

    func settings(interval: Duration, enabled: Bool = true) -> TaskSettings {
        TaskSettings(
            section: "probe", enabled: enabled, interval: interval, dryRun: false, options: ProbeConfiguration())
    }

    func scheduler(
        _ entries: [TaskRegistry.Entry], leadership: any Leadership = FixedLeadership(),
        configuration: SchedulerConfiguration = SchedulerConfiguration(), client: KubernetesClient? = nil
    ) throws -> TaskScheduler {
        try makeTestScheduler(
            entries, client: client ?? self.client, leadership: leadership, configuration: configuration)
    }

    /// Runs `scheduler` while `body` runs, then stops it as SIGTERM would.
    func running(_ scheduler: TaskScheduler, _ body: () async throws -> Void) async throws {
        let run = Task { try await scheduler.run() }
        defer { run.cancel() }
        try await body()
    }

    @Test func runsAtTheIntervalWithBoundedJitter() async throws {
        let log = PassLog()
        let interval = Duration.milliseconds(100)
        let scheduler = try scheduler(
            [.init(settings: settings(interval: interval), task: AnyVigilanteTask(ProbeTask<ProbeA>(log: log)))],
            configuration: SchedulerConfiguration(jitterFactor: 0.5))
        try await running(scheduler) {
            try await waitUntil("8 passes") { log.passes >= 8 }
        }
        let starts = log.starts
        let gaps = zip(starts.dropFirst(), starts).map { ($0 - $1).seconds }
        // Never earlier than the interval; jitter spreads them (never all equal), within interval × 1.5 on average.
        #expect(gaps.allSatisfy { $0 >= 0.1 }, "gaps \(gaps)")
        #expect(Set(gaps.map { Int($0 * 1000) }).count > 1, "no jitter in \(gaps)")
    }

    /// The jitter bounds themselves, without timing: the delay is interval × (1 + jitter × [0, 1)).
    @Test func jitteredDelayStaysWithinItsBounds() {
        let interval = Duration.seconds(10)
        #expect(TaskRunner.jitteredDelay(interval: interval, jitterFactor: 0.1, unit: 0) == .seconds(10))
        #expect(TaskRunner.jitteredDelay(interval: interval, jitterFactor: 0.1, unit: 0.5) == .seconds(10.5))
        for _ in 0..<1000 {
            let delay = TaskRunner.jitteredDelay(
                interval: interval, jitterFactor: 0.1, unit: Double.random(in: 0..<1))
            #expect(delay >= .seconds(10) && delay < .seconds(11))
        }
    }

    @Test func neverOverlapsItselfAndEarlyTriggersWaitForTheRunningPass() async throws {
        let log = PassLog()
        let scheduler = try scheduler([
            .init(
                settings: settings(interval: .milliseconds(10)),
                task: AnyVigilanteTask(
                    ProbeTask<ProbeA>(log: log) { _ in
                        try await Task.sleep(for: .milliseconds(50))
                        return .done
                    }))
        ])
        try await running(scheduler) {
            let runner = try #require(scheduler.runner("probe-a"))
            try await waitUntil("6 passes") {
                runner.wake()
                return log.passes >= 6
            }
        }
        #expect(log.maxActive == 1)
    }

    @Test func aPassOverTheTimeoutIsCancelledAndRecorded() async throws {
        let log = PassLog()
        let scheduler = try scheduler(
            [
                .init(
                    settings: settings(interval: .milliseconds(50)),
                    task: AnyVigilanteTask(
                        ProbeTask<ProbeA>(log: log) { pass in
                            if pass == 1 { try await Task.sleep(for: .seconds(60)) }
                            return .done
                        }))
            ], configuration: SchedulerConfiguration(runTimeout: .milliseconds(200)))
        try await running(scheduler) {
            try await waitUntil("a pass after the timed-out one") { log.passes >= 2 }
        }
        let runner = try #require(scheduler.runner("probe-a"))
        let first = try #require(runner.history.first)
        #expect(first.outcome == "timedOut")
        #expect(first.error?.contains("longer than 200ms") == true)
        let status = await scheduler.taskStatuses()[0]
        #expect(status.failures >= 1)
    }

    @Test func aFailingTaskNeverStopsTheOthers() async throws {
        let failing = PassLog()
        let healthy = PassLog()
        struct Boom: Error {}
        let scheduler = try scheduler([
            .init(
                settings: settings(interval: .milliseconds(20)),
                task: AnyVigilanteTask(ProbeTask<ProbeA>(log: failing) { _ in throw Boom() })),
            .init(
                settings: settings(interval: .milliseconds(20)),
                task: AnyVigilanteTask(ProbeTask<ProbeB>(log: healthy))),
        ])
        try await running(scheduler) {
            try await waitUntil("both keep running") { failing.passes >= 5 && healthy.passes >= 5 }
        }
        let statuses = await scheduler.taskStatuses()
        #expect(statuses[0].failures >= 4)
        let lastFinished = scheduler.runner("probe-a")?.history.last { $0.outcome != nil }
        #expect(lastFinished?.outcome == "failed")
        #expect(lastFinished?.error?.contains("Boom") == true)
        #expect(statuses[1].failures == 0)
    }

    @Test func aDisabledTaskIsListedButNeverRuns() async throws {
        let enabled = PassLog()
        let disabled = PassLog()
        let scheduler = try scheduler([
            .init(
                settings: settings(interval: .milliseconds(20)), task: AnyVigilanteTask(ProbeTask<ProbeA>(log: enabled))
            ),
            .init(
                settings: settings(interval: .milliseconds(20), enabled: false),
                task: AnyVigilanteTask(ProbeTask<ProbeB>(log: disabled))),
        ])
        try await running(scheduler) {
            try await waitUntil("the enabled task runs 5 times") { enabled.passes >= 5 }
        }
        #expect(disabled.passes == 0)
        let statuses = await scheduler.taskStatuses()
        #expect(statuses.map(\.name) == ["probe-a", "probe-b"])
        #expect(statuses[1].state == .disabled)
        #expect(statuses[1].enabled == false)
    }

    /// `/tasks` is served from the details encoded at the end of each pass; the bytes are those of
    /// encoding the entries whole, and a pass replaces them.
    @Test func encodedStatusesMatchTheEntriesAndFollowEachPass() async throws {
        let log = PassLog()
        let scheduler = try scheduler([
            .init(settings: settings(interval: .seconds(3600)), task: AnyVigilanteTask(ProbeTask<ProbeA>(log: log))),
            .init(
                settings: settings(interval: .seconds(3600), enabled: false),
                task: AnyVigilanteTask(ProbeTask<ProbeB>(log: PassLog()))),
        ])
        try await running(scheduler) {
            try await waitUntil("the first pass is recorded") {
                await scheduler.taskStatuses().first?.lastRun?.outcome == "done"
            }
            let encoded = try await scheduler.taskStatusesJSON()
            #expect(encoded == (try StatusJSON.encode(await scheduler.taskStatuses(), pretty: false)))
            let entries = try JSONDecoder.status.decode([TaskStatusEntry].self, from: encoded)
            #expect(entries.map(\.details) == [["passes": 1], ["passes": 0]])
            let one = try #require(try await scheduler.taskStatusJSON(named: "probe-a"))
            #expect(one == (try StatusJSON.encode(await scheduler.taskStatuses()[0], pretty: false)))
            #expect(try await scheduler.taskStatusJSON(named: "probe-c") == nil)

            // Details are as of the end of the last pass: a second pass shows in them.
            await scheduler.runner("probe-a")?.runPass()
            let after = try JSONDecoder.status.decode(
                [TaskStatusEntry].self, from: try await scheduler.taskStatusesJSON())
            #expect(after[0].details == ["passes": 2])
            #expect(after[0].runs == 2)
        }
    }

    /// A task that has not run (here: disabled) has its status computed for a request and reused for
    /// about a second, not computed once per request.
    @Test func statusComputedOnRequestIsReusedBriefly() async throws {
        let log = PassLog()
        let scheduler = try scheduler([
            .init(
                settings: settings(interval: .seconds(3600), enabled: false),
                task: AnyVigilanteTask(ProbeTask<ProbeA>(log: log)))
        ])
        let first = try await scheduler.taskStatusesJSON()
        for _ in 0..<100 { #expect(try await scheduler.taskStatusesJSON() == first) }
        #expect(
            log.statusCalls.withLock { $0 } <= 3, "computed \(log.statusCalls.withLock { $0 }) times for 101 requests")
        try await waitUntil("the details are computed again after their lifetime") {
            _ = try await scheduler.taskStatusesJSON()
            return log.statusCalls.withLock { $0 } >= 2
        }
    }

    @Test func requeueOverridesTheInterval() async throws {
        let log = PassLog()
        let scheduler = try scheduler([
            .init(
                settings: settings(interval: .seconds(3600)),
                task: AnyVigilanteTask(ProbeTask<ProbeA>(log: log) { _ in .requeue(after: .milliseconds(20)) }))
        ])
        try await running(scheduler) {
            try await waitUntil("requeued passes despite a 1h interval") { log.passes >= 4 }
        }
    }

    @Test func onlyTheLeaderRunsAndLosingLeadershipCancelsThePass() async throws {
        let log = PassLog()
        let cancelled = Mutex(false)
        let leadership = FixedLeadership(isLeader: false)
        let scheduler = try scheduler(
            [
                .init(
                    settings: settings(interval: .milliseconds(20)),
                    task: AnyVigilanteTask(
                        ProbeTask<ProbeA>(log: log) { _ in
                            do {
                                try await Task.sleep(for: .seconds(60))
                            } catch {
                                cancelled.withLock { $0 = true }
                                throw error
                            }
                            return .done
                        }))
            ], leadership: leadership)
        try await running(scheduler) {
            try await waitUntil("standby state") { await scheduler.taskStatuses()[0].state == .standby }
            #expect(log.passes == 0)
            leadership.set(true)
            try await waitUntil("a pass starts once leading") { log.passes == 1 }
            #expect(await scheduler.taskStatuses()[0].state == .running)
            leadership.set(false)
            try await waitUntil("the running pass is cancelled") { cancelled.withLock { $0 } }
            try await waitUntil("standby again") { await scheduler.taskStatuses()[0].state == .standby }
        }
        #expect(log.passes == 1)
    }

    @Test func gracefulShutdownLetsTheRunningPassFinish() async throws {
        let log = PassLog()
        let finished = Mutex(false)
        let scheduler = try scheduler([
            .init(
                settings: settings(interval: .seconds(3600)),
                task: AnyVigilanteTask(
                    ProbeTask<ProbeA>(log: log) { _ in
                        try await Task.sleep(for: .milliseconds(300))
                        finished.withLock { $0 = true }
                        return .done
                    }))
        ])
        let group = ServiceGroup(services: [scheduler], logger: Logger(label: "test"))
        let run = Task { try await group.run() }
        try await waitUntil("the pass started") { log.passes == 1 }
        await group.triggerGracefulShutdown()
        try await run.value
        #expect(finished.withLock { $0 })
        #expect(scheduler.runner("probe-a")?.history.last?.outcome == "done")
    }
}

extension JSONDecoder {
    /// Decodes status answers (RFC 3339 dates).
    static var status: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
