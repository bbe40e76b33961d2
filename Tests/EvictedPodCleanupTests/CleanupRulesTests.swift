import ClusterSimulator
import Foundation
import Testing
import VigilanteCore

@testable import EvictedPodCleanup

@Suite struct CleanupRulesTests {
    /// Rule 4: an evicted pod goes once it is `minAge` past its last state transition (else its creation);
    /// pods that failed for another reason, and running pods, stay.
    @Test func deletesEvictedPodsOnceOlderThanMinAge() async throws {
        try await CleanupTestEnvironment.with { env in
            try await env.addEvictedPod("old", evictedAgo: .seconds(2 * 60 * 60))
            try await env.addEvictedPod("young", evictedAgo: .seconds(50 * 60))
            try await env.addEvictedPod("no-conditions", evictedAgo: nil)
            try await env.addEvictedPod("crashed", reason: "Error")
            try env.createPod("running")
            let harness = try await env.harness(try env.settings("minAge: 1h\ninterval: 5m"))

            var outcome = try await env.pass(harness)
            #expect(!env.podNames().contains("default/old"))
            #expect(env.podNames().isSuperset(of: ["default/young", "default/no-conditions", "default/crashed"]))
            #expect(env.podNames().contains("default/running"))
            var status = await harness.status()
            #expect(status.evictedPods == 3)
            #expect(status.deletedLastRun == 1)
            #expect(status.skippedLastRun.tooYoung == 2)
            #expect(status.lastPassActions == ["deleted evicted pod default/old"])
            // The young pod is due in 10 minutes, after the 5-minute interval: no early pass.
            #expect(outcome == .done)

            // Six minutes on, the young pod is due within the interval: the task asks to run then.
            env.clock.advance(by: .seconds(6 * 60))
            outcome = try await env.pass(harness)
            #expect(outcome == .requeue(after: .seconds(4 * 60)))

            env.clock.advance(by: .seconds(4 * 60))
            try await env.pass(harness)
            #expect(!env.podNames().contains("default/young"))
            #expect(env.podNames().contains("default/no-conditions"), "created just now: not an hour old yet")

            // The pod without condition times counts from its creation (the simulator's real clock).
            env.clock.set(Date().addingTimeInterval(61 * 60))
            try await env.pass(harness)
            #expect(!env.podNames().contains("default/no-conditions"))
            #expect(env.podNames().isSuperset(of: ["default/crashed", "default/running"]))
            status = await harness.status()
            #expect(status.deletedTotal == 3)
            #expect(env.metrics.counter("vigilante_evicted_pods_deleted_total") == 3)
            #expect(env.metrics.gauge("vigilante_evicted_pods") == 1, "seen by the last pass, which deleted it")
        }
    }

    /// Rules 2 and 3: `kube-system` is excluded by default; an include list keeps everything else.
    @Test func excludedAndIncludedNamespaces() async throws {
        try await CleanupTestEnvironment.with { env in
            for namespace in ["default", "kube-system", "web", "batch", "monitoring"] {
                try await env.addEvictedPod("evicted", namespace: namespace)
            }
            let harness = try await env.harness(try env.settings("includeNamespaces: [web, batch]"))
            try await env.pass(harness)
            #expect(env.failedPodNames() == ["default/evicted", "kube-system/evicted", "monitoring/evicted"])
            let status = await harness.status()
            #expect(status.deletedLastRun == 2)
            #expect(status.skippedLastRun.excludedNamespace == 1)
            #expect(status.skippedLastRun.notIncluded == 2)
            #expect(env.metrics.gauge("vigilante_evicted_pods_skipped", [("rule", "notIncluded")]) == 2)

            // Without an include list, everything but kube-system and the excluded namespaces goes.
            let everywhere = try await env.harness(try env.settings("excludeNamespaces: [kube-system, monitoring]"))
            try await env.pass(everywhere)
            #expect(env.failedPodNames() == ["kube-system/evicted", "monitoring/evicted"])
            #expect(await everywhere.status().skippedLastRun.excludedNamespace == 2)
        }
    }

    /// The label selector is applied by the API server: other pods never reach the task.
    @Test func labelSelector() async throws {
        try await CleanupTestEnvironment.with { env in
            try await env.addEvictedPod("batch-1", labels: ["team": "batch"])
            try await env.addEvictedPod("batch-2", labels: ["team": "batch", "tier": "low"])
            try await env.addEvictedPod("web-1", labels: ["team": "web"])
            try await env.addEvictedPod("unlabelled")
            let harness = try await env.harness(try env.settings("labelSelector: team in (batch),tier!=high"))
            try await env.pass(harness, expecting: ["default/batch-1", "default/batch-2"])
            #expect(env.failedPodNames() == ["default/web-1", "default/unlabelled"])
            #expect(await harness.status().evictedPods == 2)
            let watches = env.simulator.accessLog().filter { $0.resource == "pods" && $0.verb == "watch" }
            #expect(!watches.isEmpty)
            #expect(watches.allSatisfy { $0.namespace == nil }, "one cluster-wide watch")
        }
    }

    // snippet:test
    /// Rule 5: at most `maxDeletionsPerRun` pods per pass, the longest-evicted first.
    @Test func capPerRun() async throws {
        try await CleanupTestEnvironment.with { env in
            for index in 1...5 {
                try await env.addEvictedPod("pod-\(index)", evictedAgo: .seconds((10 - index) * 60 * 60))
            }
            let harness = try await env.harness(try env.settings("maxDeletionsPerRun: 2"))
            let outcome = try await env.pass(harness)
            #expect(outcome == .done, "the rest waits for the next interval")
            #expect(env.failedPodNames() == ["default/pod-3", "default/pod-4", "default/pod-5"])
            var status = await harness.status()
            #expect(status.deletedLastRun == 2)
            #expect(status.skippedLastRun.cap == 3)

            try await env.pass(harness)
            #expect(env.failedPodNames() == ["default/pod-5"])
            try await env.pass(harness)
            #expect(env.failedPodNames().isEmpty)
            status = await harness.status()
            #expect(status.deletedLastRun == 1)
            #expect(status.skippedLastRun.cap == 0)
            #expect(status.deletedTotal == 5)
        }
    }
    // end-snippet
}
