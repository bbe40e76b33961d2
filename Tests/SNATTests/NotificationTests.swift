import Foundation
import TaskTestSupport
import Testing
import VigilanteCore

@testable import SNAT

/// What the SNAT task tells the team: healed nodes, restarted healing and nodes that keep failing, each
/// emitted through the task context with the task's name and dry-run setting.
@Suite struct SNATNotificationTests {
    @Test func healedRestartedAndRecreatedNodesAreNotified() async throws {
        try await SNATTestEnvironment.with { env in
            for node in ["akswin000000", "akswin000001"] { env.simulator.addNode(name: node, os: "windows") }
            let harness = try await env.harness(try env.settings(healingDuration: "2m"), store: try env.openStore())
            try await healAll(env, harness)
            let healed = env.notifications.of(.nodeHealed)
            #expect(Set(healed.map(\.subject)) == ["akswin000000", "akswin000001"])
            #expect(healed.allSatisfy { $0.task == "snat" && !$0.dryRun })
            #expect(env.notifications.of(.healingRestarted).isEmpty, "first healing is not a restart")

            env.simulator.setNodeAnnotation("akswin000000", key: SNATHealingRules.healedAnnotation, value: nil)
            _ = env.simulator.recreateNode("akswin000001")
            env.clock.advance(by: .seconds(30))
            _ = try await env.pass(harness)
            let restarted = env.notifications.of(.healingRestarted)
            #expect(
                restarted.map { "\($0.subject): \($0.detail ?? "")" }.sorted() == [
                    "akswin000000: the cops-vigilante-snat-node-healed annotation was removed or changed",
                    "akswin000001: the node was re-created",
                ])
        }
    }

    @Test func aCompletionCutShortAfterTheAnnotationIsFinishedAsOurs() async throws {
        try await SNATTestEnvironment.with { env in
            env.simulator.addNode(name: "akswin000000", os: "windows")
            let harness = try await env.harness(try env.settings(healingDuration: "2m"), store: try env.openStore())
            _ = try await env.pass(harness)
            #expect(try env.record(harness, "akswin000000")?.isHealing == true)
            // The window ends; the pass that annotated the node was cancelled before it recorded anything.
            env.clock.advance(by: .seconds(121))
            env.simulator.setNodeAnnotation("akswin000000", key: SNATHealingRules.healedAnnotation, value: "true")
            _ = try await env.pass(harness)
            #expect(try env.record(harness, "akswin000000")?.isHealing == false)
            #expect(env.events.reasons(for: "akswin000000") == ["SNATHealingStarted", "SNATHealed"])
            #expect(env.notifications.of(.nodeHealed).map(\.subject) == ["akswin000000"])
            #expect(env.runningHealerPods(on: "akswin000000").isEmpty)
        }
    }

    @Test func aFailingNodeIsReportedWithItsCountAndTheServersMessage() async throws {
        try await SNATTestEnvironment.with { env in
            env.simulator.addNode(name: "akswin000000", os: "windows")
            env.transport.failPodCreates(on: "akswin000000", with: .serverError)
            let harness = try await env.harness(try env.settings(), store: try env.openStore())
            for _ in 0..<20 where env.notifications.of(.nodeFailing).count < 3 {
                let outcome = try await env.pass(harness)
                env.advance(after: outcome)
            }
            let failing = env.notifications.of(.nodeFailing)
            #expect(failing.map(\.consecutiveFailures) == [1, 2, 3])
            #expect(failing.allSatisfy { $0.subject == "akswin000000" && $0.detail?.hasPrefix("createPod: ") == true })
        }
    }

    @Test func dryRunNotificationsSayDryRun() async throws {
        try await SNATTestEnvironment.with { env in
            env.simulator.addNode(name: "akswin000000", os: "windows")
            let harness = try await env.harness(
                try env.settings("dryRun: true", healingDuration: "2m"), store: try env.openStore())
            try await healAll(env, harness)
            let healed = env.notifications.of(.nodeHealed)
            #expect(healed.map(\.subject) == ["akswin000000"])
            #expect(healed.first?.dryRun == true)
        }
    }
}
