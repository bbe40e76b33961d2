import ClusterSimulator
import Foundation
import Testing
import VigilanteCore

@testable import EvictedPodCleanup

@Suite struct DryRunAndFailureTests {
    /// Dry-run reports what it would delete and changes nothing: no mutating request reaches the server.
    @Test func dryRunChangesNothing() async throws {
        try await CleanupTestEnvironment.with { env in
            let owner = OwnerReference(apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-6d4cf56db6", uid: "rs-1")
            try await env.addEvictedPod("web-6d4cf56db6-x1", namespace: "web", owner: owner)
            try await env.addEvictedPod("lonely", namespace: "batch")
            let harness = try await env.harness(try env.settings("dryRun: true"))
            env.simulator.clearAccessLog()

            let outcome = try await env.pass(harness)
            #expect(outcome == .done)
            #expect(env.mutatingRequests().isEmpty, "\(env.mutatingRequests())")
            #expect(env.failedPodNames() == ["web/web-6d4cf56db6-x1", "batch/lonely"])
            let status = await harness.status()
            #expect(status.dryRun)
            #expect(status.deletedLastRun == 0)
            #expect(status.wouldDeleteLastRun == 2)
            #expect(status.deletedTotal == 0)
            #expect(
                Set(status.lastPassActions) == [
                    "would delete evicted pod web/web-6d4cf56db6-x1", "would delete evicted pod batch/lonely",
                ])
            #expect(env.metrics.counter("vigilante_evicted_pods_deleted_total") == 0)
        }
    }

    /// A pod deleted by someone else between the task's view and its DELETE (404), or replaced by a new pod
    /// of the same name (the UID precondition answers 409), is not an error; the new pod is left alone.
    @Test func podsGoneOrReplacedBeforeDeleteAreNotErrors() async throws {
        try await CleanupTestEnvironment.with { env in
            try await env.addEvictedPod("first")
            let harness = try await env.harness(try env.settings())
            try await env.pass(harness)
            #expect(env.failedPodNames().isEmpty)

            // Now the race: each DELETE of the next pass finds its pod deleted, or deleted and re-created.
            try await env.addEvictedPod("gone-2")
            try await env.addEvictedPod("replaced-2")
            let transport = env.transport
            let recreate = env
            transport.onPodDelete { namespace, name in
                switch name {
                case "gone-2":
                    try await transport.deletePod(namespace: namespace, name: name)
                case "replaced-2":
                    try await transport.deletePod(namespace: namespace, name: name)
                    try recreate.createPod(name, namespace: namespace)
                default:
                    break
                }
            }
            let outcome = try await env.pass(harness, expecting: ["default/gone-2", "default/replaced-2"])
            transport.onPodDelete(nil)
            #expect(outcome == .done)
            let status = await harness.status()
            #expect(status.alreadyGoneLastRun == 2)
            #expect(status.deletedLastRun == 0)
            #expect(status.failedLastRun == 0)
            #expect(status.lastError == nil)
            #expect(status.deletedTotal == 1)
            #expect(env.podNames().contains("default/replaced-2"), "the new pod of the same name stays")
        }
    }

    /// A deletion the API server refuses fails the pass, shows in status as the last error, is counted in
    /// metrics, and stops the pass (every other deletion would be refused the same way).
    @Test func forbiddenDeletionIsReported() async throws {
        try await CleanupTestEnvironment.with { env in
            try await env.addEvictedPod("a", evictedAgo: .seconds(3 * 60 * 60))
            try await env.addEvictedPod("b", evictedAgo: .seconds(2 * 60 * 60))
            env.simulator.addToken("reader-token", user: "reader")
            env.simulator.allow(
                user: "reader", verbs: ["list", "watch"], group: "", resources: ["pods"], namespace: nil)
            let reader = try await env.harness(try env.settings(), client: try await env.client(token: "reader-token"))
            let outcome = try await env.pass(reader)
            guard case .failed(let message) = outcome else {
                Issue.record("expected a failed pass, got \(outcome)")
                return
            }
            #expect(message.contains("could not be deleted"))
            let status = await reader.status()
            #expect(status.failedLastRun == 1)
            #expect(status.lastError?.contains("default/a") == true)
            #expect(status.lastErrorAt != nil)
            #expect(env.failedPodNames() == ["default/a", "default/b"])
            #expect(env.metrics.counter("vigilante_evicted_pods_delete_errors_total") == 1)

            // The last error is kept in the store: a restarted operator shows it before its first pass.
            let restarted = try await env.harness(try env.settings())
            #expect(await restarted.status().lastError == status.lastError)
        }
    }
}
