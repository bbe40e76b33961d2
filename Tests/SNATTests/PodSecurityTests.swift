import ClusterSimulator
import Foundation
import Testing
import VigilanteCore

@testable import SNAT

/// Issue 13: healer pods on clusters hardened with Pod Security and other admission policies, against
/// the simulated API server (its Pod Security admission stage) over HTTPS.
@Suite struct PodSecurityTests {
    @Test func healingCompletesInANamespaceEnforcingRestricted() async throws {
        try await SNATTestEnvironment.with { env in
            env.simulator.setPodSecurity(namespace: SNATTestEnvironment.namespace, enforce: "restricted")
            let nodes = ["akswin000000", "akswin000001"]
            for node in nodes { env.simulator.addNode(name: node, os: "windows") }
            let harness = try await env.harness(try env.settings(healingDuration: "2m"), store: try env.openStore())

            try await env.pass(harness)
            for node in nodes { #expect(env.runningHealerPods(on: node).count == 1) }
            let pod = try #require(env.allHealerPods().first)
            #expect(pod["spec"]?["os"]?["name"] == "windows")
            #expect(pod["spec"]?["securityContext"]?["runAsNonRoot"] == true)
            #expect(pod["spec"]?["securityContext"]?["windowsOptions"]?["runAsUserName"] == "ContainerUser")
            let resources = pod["spec"]?["containers"]?[0]?["resources"]
            #expect(resources?["requests"] == ["cpu": "1m", "memory": "8Mi"])
            #expect(resources?["limits"] == resources?["requests"], "limits equal requests")
            #expect(pod["status"]?["qosClass"] == "Guaranteed")

            try await healAll(env, harness)
            for node in nodes { #expect(env.healedAnnotation(node) == "true") }
            let refused = env.simulator.accessLog().filter { $0.resource == "pods" && $0.code == 403 }
            #expect(refused.isEmpty, "\(refused)")
            #expect(env.metrics.counter("vigilante_snat_step_errors_total", [("step", "createPod")]) == 0)
        }
    }

    @Test func configuredLabelsAnnotationsSecretsResourcesAndClassesReachThePod() async throws {
        try await SNATTestEnvironment.with { env in
            env.simulator.setPodSecurity(namespace: SNATTestEnvironment.namespace, enforce: "restricted")
            env.simulator.addNode(name: "akswin000000", os: "windows")
            let settings = try env.settings(
                """
                podLabels:
                  team: platform
                  example.com/cost-center: "4711"
                podAnnotations:
                  example.com/owner: sre@example.com
                imagePullSecrets: [mirror-pull]
                image: mirror.example.com/pause:3.9
                resources:
                  requests: {cpu: 5m, memory: 16Mi}
                  limits: {cpu: 10m, memory: 16Mi}
                runtimeClassName: windows-2022
                priorityClassName: system-node-critical
                """)
            let harness = try await env.harness(settings, store: try env.openStore())
            try await env.pass(harness)
            let pod = try #require(env.allHealerPods().first)
            let labels = pod["metadata"]?["labels"]
            #expect(labels?["team"] == "platform")
            #expect(labels?["example.com/cost-center"] == "4711")
            #expect(labels?["cops-vigilante/task"] == "snat", "the operator's own labels stay")
            #expect(pod["metadata"]?["annotations"]?["example.com/owner"] == "sre@example.com")
            #expect(pod["spec"]?["imagePullSecrets"] == [["name": "mirror-pull"]])
            #expect(pod["spec"]?["containers"]?[0]?["image"] == "mirror.example.com/pause:3.9")
            #expect(
                pod["spec"]?["containers"]?[0]?["resources"] == [
                    "limits": ["cpu": "10m", "memory": "16Mi"], "requests": ["cpu": "5m", "memory": "16Mi"],
                ])
            #expect(pod["spec"]?["runtimeClassName"] == "windows-2022")
            #expect(pod["spec"]?["priorityClassName"] == "system-node-critical")
            #expect(pod["status"]?["qosClass"] == "Burstable")
        }
    }

    /// A pod the policy refuses: the server's message is the node's lastError (as `/tasks` shows it), the
    /// Warning Event's message and a step-error count; the node backs off and is never abandoned.
    @Test func aPodThePolicyRejectsShowsTheServersMessageAndBacksOff() async throws {
        try await SNATTestEnvironment.with { env in
            // Policy v1.24 predates the Windows exemption of the Linux-only checks: the pod is refused.
            env.simulator.setPodSecurity(
                namespace: SNATTestEnvironment.namespace, enforce: "restricted", version: "v1.24")
            let node = "akswin000000"
            env.simulator.addNode(name: node, os: "windows")
            let harness = try await env.harness(try env.settings(healingDuration: "2m"), store: try env.openStore())
            let start = env.clock.now()

            var outcome = try await env.pass(harness)
            #expect(outcome == .requeue(after: .seconds(10)))
            #expect(env.runningHealerPods(on: node).isEmpty)
            let status = try #require(await env.status(harness, node))
            #expect(status.phase == .backoff)
            let message =
                #"violates PodSecurity "restricted:v1.24": allowPrivilegeEscalation != false (container "pause" must set securityContext.allowPrivilegeEscalation=false)"#
            #expect(status.lastError?.contains("createPod") == true, "\(status.lastError ?? "")")
            #expect(status.lastError?.contains(message) == true, "\(status.lastError ?? "")")
            #expect(status.nextRetryAt == start.addingTimeInterval(10))
            let warning = try #require(env.events.all.first { $0.node == node && $0.reason == "SNATHealingFailed" })
            #expect(warning.type == "Warning")
            #expect(warning.message.contains(message), "\(warning.message)")
            let stored = try await env.client.list(Event.self, namespace: "default").items
            #expect(stored.contains { $0.reason == "SNATHealingFailed" && ($0.message ?? "").contains(message) })
            #expect(env.metrics.counter("vigilante_snat_step_errors_total", [("step", "createPod")]) == 1)

            // It keeps backing off, exponentially, while the policy refuses.
            var failures = 1
            while env.clock.now() < start.addingTimeInterval(200) {
                env.advance(after: outcome)
                outcome = try await env.pass(harness)
                let current = try #require(await env.status(harness, node))
                #expect(current.phase == .backoff)
                if current.consecutiveErrors > failures {
                    failures = current.consecutiveErrors
                    let delay = min(120, 10 * pow(2, Double(failures - 1)))
                    #expect(current.nextRetryAt == env.clock.now().addingTimeInterval(delay))
                }
            }
            #expect(failures >= 4)
            #expect(env.metrics.counter("vigilante_snat_step_errors_total", [("step", "createPod")]) == Int64(failures))

            // Once the namespace follows the current policy, the node heals.
            env.simulator.setPodSecurity(namespace: SNATTestEnvironment.namespace, enforce: "restricted")
            try await healAll(env, harness)
            #expect(env.healedAnnotation(node) == "true")
        }
    }
}
