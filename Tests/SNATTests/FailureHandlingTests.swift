import ClusterSimulator
import Foundation
import Testing
import VigilanteCore

@testable import SNAT

/// Rule 8: errors on one node never stop the others; a failing node backs off, shows its error, and is
/// never abandoned.
@Suite struct FailureHandlingTests {
    enum CreateFailure: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case forbidden403, alreadyExists409, serverError500

        var testDescription: String { rawValue }

        /// What the node's lastError says.
        var errorText: String {
            switch self {
            case .forbidden403: "forbidden"
            case .alreadyExists409: "already exists"
            case .serverError500: "server error 500"
            }
        }
    }

    @Test(arguments: CreateFailure.allCases)
    func podCreatesFailingOnOneNodeDoNotHoldUpTheOthers(_ failure: CreateFailure) async throws {
        try await SNATTestEnvironment.with { env in
            let good = ["akswin000000", "akswin000001"]
            let bad = "akswin000009"
            for node in good + [bad] { env.simulator.addNode(name: node, os: "windows") }
            switch failure {
            case .forbidden403:
                // Sent with the token of a user without permissions: the simulator's RBAC answers 403.
                env.simulator.addToken("powerless-token", user: "powerless")
                env.transport.failPodCreates(on: bad, with: .forbidden(token: "powerless-token"))
            case .alreadyExists409:
                // Sent with the name of an existing pod: the simulator answers 409 AlreadyExists.
                env.simulator.create(
                    apiVersion: "v1", resource: "pods",
                    [
                        "metadata": ["name": "occupied", "namespace": .string(SNATTestEnvironment.namespace)],
                        "spec": ["containers": [["name": "c", "image": "busybox"]]],
                    ])
                env.transport.failPodCreates(on: bad, with: .alreadyExists(existingPod: "occupied"))
            case .serverError500:
                env.transport.failPodCreates(on: bad, with: .serverError)
            }
            let harness = try await env.harness(try env.settings(healingDuration: "2m"), store: try env.openStore())
            let start = env.clock.now()

            var outcome = try await env.pass(harness)
            #expect(outcome == .requeue(after: .seconds(10)), "the next pass comes at the failing node's retry")
            for node in good { #expect(env.runningHealerPods(on: node).count == 1) }
            #expect(env.runningHealerPods(on: bad).isEmpty)
            let first = try #require(await env.status(harness, bad))
            #expect(first.phase == .backoff)
            #expect(first.consecutiveErrors == 1)
            #expect(first.nextRetryAt == start.addingTimeInterval(10))
            #expect(first.lastError?.contains(failure.errorText) == true, "\(first.lastError ?? "no error")")
            #expect(await harness.status().totals == SNATPhaseTotals(healing: 2, healed: 0, backoff: 1, notReady: 0))
            // The per-node series the alerts name nodes by: the window of every node, the failures of the bad one.
            for node in good + [bad] {
                #expect(
                    env.metrics.gauge("vigilante_snat_node_window_start_timestamp_seconds", [("node", node)])
                        == start.timeIntervalSince1970)
                #expect(
                    env.metrics.gauge("vigilante_snat_node_window_end_timestamp_seconds", [("node", node)])
                        == start.addingTimeInterval(120).timeIntervalSince1970)
            }
            #expect(env.metrics.gauge("vigilante_snat_node_consecutive_errors", [("node", bad)]) == 1)
            // The status page: totals, the good nodes in their window, the bad one backing off with its error.
            let page = await harness.status().statusPage
            #expect(page.counts.map(\.label) == ["in window", "backing off", "healed", "not Ready"])
            #expect(page.counts.map(\.value) == [2, 1, 0, 0])
            #expect(page.groups.map(\.title) == ["In their window", "Backing off", "Not Ready"])
            #expect(page.groups[0].items.map(\.name) == good)
            let window = StatusPageSection.Progress(start: start, end: start.addingTimeInterval(120))
            #expect(page.groups[0].items.allSatisfy { $0.progress == window && $0.state == "healing" })
            #expect(page.groups[0].items[0].facts.first == StatusPageSection.Fact("pods created", .text("1")))
            #expect(page.groups[1].items.map(\.name) == [bad])
            #expect(page.groups[1].items[0].state == "backoff")
            #expect(page.groups[1].items[0].error == first.lastError)
            #expect(page.groups[1].items[0].facts.contains(StatusPageSection.Fact("failures in a row", .text("1"))))
            #expect(env.metrics.gauge("vigilante_snat_node_consecutive_errors", [("node", good[0])]) == nil)
            #expect(
                env.events.all.contains { $0.node == bad && $0.type == "Warning" && $0.reason == "SNATHealingFailed" })

            // The others heal on time while the failing node backs off exponentially (base 10s, cap 2m).
            var failures = 1
            while env.clock.now() < start.addingTimeInterval(330) {
                env.advance(after: outcome)
                outcome = try await env.pass(harness)
                let status = try #require(await env.status(harness, bad))
                #expect(status.phase == .backoff)
                #expect(env.runningHealerPods(on: bad).isEmpty)
                if status.consecutiveErrors > failures {
                    failures = status.consecutiveErrors
                    let delay = min(120, 10 * pow(2, Double(failures - 1)))
                    #expect(status.nextRetryAt == env.clock.now().addingTimeInterval(delay))
                }
            }
            for node in good { #expect(env.healedAnnotation(node) == "true") }
            #expect(env.healedAnnotation(bad) == nil, "a node that never got a healer pod is not marked healed")
            #expect(failures >= 5, "still retried after \(failures) failures")
            #expect(env.metrics.counter("vigilante_snat_step_errors_total", [("step", "createPod")]) == Int64(failures))
            #expect(env.metrics.gauge("vigilante_snat_node_consecutive_errors", [("node", bad)]) == Double(failures))
            for node in good {
                #expect(env.metrics.gauge("vigilante_snat_node_window_end_timestamp_seconds", [("node", node)]) == nil)
            }
            let warnings = env.events.all.filter { $0.node == bad && $0.reason == "SNATHealingFailed" }
            #expect(warnings.count == 1, "one warning per failure streak")

            // Never abandoned: once creates work again, the node gets its pod and is healed an interval later.
            env.transport.failPodCreates(on: nil)
            try await healAll(env, harness)
            #expect(env.healedAnnotation(bad) == "true")
            #expect(env.runningHealerPods(on: bad).isEmpty)
            #expect(await env.status(harness, bad) == nil, "healed nodes are counted, not listed")
            #expect(env.metrics.gauge("vigilante_snat_node_consecutive_errors", [("node", bad)]) == nil)
            let healed = try #require(try env.record(harness, bad))
            #expect(healed.completedAt != nil)
            #expect(healed.consecutiveErrors == 0)
            #expect(healed.podsCreated == 1)
        }
    }

    @Test func nodesHealDespiteServerErrorsOnAnyRequest() async throws {
        try await SNATTestEnvironment.with { env in
            let nodes = (0..<4).map { "akswin00000\($0)" }
            for node in nodes { env.simulator.addNode(name: node, os: "windows") }
            let harness = try await env.harness(try env.settings(healingDuration: "2m"), store: try env.openStore())
            // A quarter of all requests (watches, creates, deletes, patches) fail with 500.
            env.simulator.setFailureInjection(fraction: 0.25, statuses: [500])
            var outcome = TaskOutcome.done
            for _ in 0..<30 {
                outcome = try await harness.reconcile()
                for node in nodes {
                    let running = env.runningHealerPods(on: node)
                    #expect(running.count <= 2, "failed deletes never pile pods up: \(node) has \(running)")
                }
                env.advance(after: outcome)
            }
            env.simulator.setFailureInjection(fraction: 0, statuses: [])
            try await healAll(env, harness)
            for node in nodes {
                #expect(env.healedAnnotation(node) == "true")
                #expect(env.runningHealerPods(on: node).isEmpty)
            }
        }
    }
}
