import ClusterSimulator
import Foundation
import Testing
import VigilanteCore

@testable import EvictedPodCleanup

@Suite struct EventsAndStoreTests {
    /// A deleted pod with an owner gets a Normal Event on its controller, in the pod's namespace, so
    /// `kubectl describe` of the workload tells where its evicted pods went; a pod without owner gets none.
    @Test func normalEventOnTheOwner() async throws {
        try await CleanupTestEnvironment.with { env in
            let replicaSet = OwnerReference(
                apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-6d4cf56db6", uid: "rs-uid", controller: true)
            try await env.addEvictedPod("web-6d4cf56db6-x1", namespace: "web", owner: replicaSet)
            try await env.addEvictedPod("lonely", namespace: "web")
            let harness = try await env.harness(try env.settings())
            try await env.pass(harness)
            #expect(env.failedPodNames().isEmpty)

            let events = try await env.client.list(Event.self, namespace: "web").items
            #expect(events.count == 1)
            let event = try #require(events.first)
            #expect(event.type == "Normal")
            #expect(event.reason == "EvictedPodDeleted")
            #expect(event.involvedObject.kind == "ReplicaSet")
            #expect(event.involvedObject.name == "web-6d4cf56db6")
            #expect(event.involvedObject.uid == "rs-uid")
            #expect(event.involvedObject.namespace == "web")
            #expect(event.message == "Deleted evicted pod web-6d4cf56db6-x1 (evicted 2h ago)")
            #expect(event.reportingComponent == "cops-vigilante")
        }
    }

    /// The owner that gets the Event is the controller; mirror pods owned by their Node get it in `default`.
    @Test func eventOwnerChoice() {
        let meta = { (owners: [OwnerReference]) in
            Pod(metadata: ObjectMeta(name: "p", namespace: "web", ownerReferences: owners))
        }
        let plain = OwnerReference(apiVersion: "v1", kind: "ConfigMap", name: "cm", uid: "1")
        let controller = OwnerReference(apiVersion: "batch/v1", kind: "Job", name: "job", uid: "2", controller: true)
        let node = OwnerReference(apiVersion: "v1", kind: "Node", name: "aks-1", uid: "3", controller: true)
        #expect(EvictedPodRules.owner(of: meta([])) == nil)
        #expect(EvictedPodRules.owner(of: meta([plain]))?.name == "cm")
        #expect(EvictedPodRules.owner(of: meta([plain, controller]))?.name == "job")
        #expect(EvictedPodRules.owner(of: meta([plain, controller]))?.namespace == "web")
        #expect(EvictedPodRules.owner(of: meta([node]))?.namespace == nil)
    }

    /// The total survives a restart: it is kept in the task's store table, not in memory.
    @Test func totalSurvivesRestart() async throws {
        try await CleanupTestEnvironment.with { env in
            try await env.addEvictedPod("one")
            try await env.addEvictedPod("two")
            let first = try await env.harness(try env.settings())
            try await env.pass(first)
            #expect(await first.status().deletedTotal == 2)
            await first.shutdown()

            let restarted = try await env.harness(try env.settings())
            var status = await restarted.status()
            #expect(status.deletedTotal == 2, "before the first pass, from the store")
            #expect(status.lastRunAt == nil)
            try await env.addEvictedPod("three")
            try await env.pass(restarted)
            status = await restarted.status()
            #expect(status.deletedLastRun == 1)
            #expect(status.deletedTotal == 3)
            let stored = try CleanupTotals.load(from: restarted.context.store)
            #expect(stored.deletedTotal == 3)
        }
    }
}

@Suite struct APIAccessTests {
    /// The requests the task makes are exactly what the chart's RBAC grants it: pods list, watch and delete
    /// cluster-wide, events create (and patch, when the recorder counts a repeated event).
    @Test func requestsStayWithinTheChartRules() async throws {
        try await CleanupTestEnvironment.with { env in
            let job = OwnerReference(
                apiVersion: "batch/v1", kind: "Job", name: "nightly", uid: "job-uid", controller: true)
            try await env.addEvictedPod("nightly-abc", namespace: "batch", owner: job)
            try await env.addEvictedPod("web-1", namespace: "web")
            env.simulator.clearAccessLog()
            let harness = try await env.harness(try env.settings())
            try await env.pass(harness)
            #expect(env.failedPodNames().isEmpty)
            let used = Set(env.simulator.accessLog().map { "\($0.verb) \($0.group)/\($0.resource)" })
            let granted: Set = ["list /pods", "watch /pods", "delete /pods", "create /events", "patch /events"]
            #expect(used.isSubset(of: granted), "\(used.subtracting(granted))")
            #expect(used.isSuperset(of: ["list /pods", "watch /pods", "delete /pods", "create /events"]))
        }
    }
}
