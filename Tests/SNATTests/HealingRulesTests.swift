import Foundation
import Testing
import VigilanteCore

@testable import SNAT

/// The rules of BRIEF section 2 as pure decisions, without a cluster.
@Suite struct HealingRulesTests {
    let rules = SNATHealingRules(
        healingDuration: .seconds(30 * 60), podInterval: .seconds(30),
        backoff: NodeBackoff(base: .seconds(10), cap: .seconds(600)))
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// `uid-8`'s renewal phase is 0, and `start` is on a whole interval: its pods fall due on whole
    /// intervals from `start`.
    func node(
        os: String? = "windows", ready: Bool = true, healed: String? = nil, uid: String = "uid-8"
    ) -> Node {
        Node(
            metadata: ObjectMeta(
                name: "akswin000000", uid: uid, labels: os.map { ["kubernetes.io/os": $0] },
                annotations: healed.map { [SNATHealingRules.healedAnnotation: $0] }),
            status: NodeStatus(conditions: [NodeCondition(type: "Ready", status: ready ? "True" : "False")]))
    }

    func record(podsAt offsets: [Double], completed: Bool = false) -> NodeHealingRecord {
        var record = NodeHealingRecord(node: node(), windowStartedAt: start, reason: .firstSeenReady)
        record.podsCreated = offsets.count
        record.lastPodAt = offsets.last.map { start.addingTimeInterval($0) }
        record.currentPod = offsets.isEmpty ? nil : "snat-healer-akswin000000-abcde"
        if completed { record.completedAt = start.addingTimeInterval(1800) }
        return record
    }

    @Test func rule1OnlyReadyWindowsNodesAreCandidatesAndTheLabelIsCaseInsensitive() {
        #expect(SNATHealingRules.isCandidate(node(os: "windows")))
        #expect(SNATHealingRules.isCandidate(node(os: "Windows")))
        #expect(SNATHealingRules.isCandidate(node(os: "WINDOWS")))
        #expect(!SNATHealingRules.isCandidate(node(os: "linux")))
        #expect(!SNATHealingRules.isCandidate(node(os: nil)), "a node without the OS label is not Windows")
        #expect(!SNATHealingRules.isCandidate(node(ready: false)))
    }

    @Test func rule2HealedIsTheAnnotationTrueInAnyCase() {
        #expect(SNATHealingRules.isHealed(node(healed: "true")))
        #expect(SNATHealingRules.isHealed(node(healed: "TRUE")))
        #expect(SNATHealingRules.isHealed(node(healed: "True")))
        #expect(!SNATHealingRules.isHealed(node(healed: "false")))
        #expect(!SNATHealingRules.isHealed(node(healed: "yes")))
        #expect(!SNATHealingRules.isHealed(node(healed: nil)))
        #expect(rules.plan(for: node(healed: "TRUE"), record: nil, now: start) == .leaveAlone(.healed))
    }

    @Test func rule3AWindowStartsWhenFirstSeenReadyAndNotHealed() {
        #expect(rules.plan(for: node(), record: nil, now: start) == .startWindow(.firstSeenReady))
        #expect(rules.plan(for: node(ready: false), record: nil, now: start) == .leaveAlone(.notReady))
    }

    @Test func rule4AFreshPodEveryIntervalDuringTheWindow() {
        let record = record(podsAt: [0])
        #expect(rules.renewalPhase(of: record) == 0)
        #expect(
            rules.plan(for: node(), record: record, now: start.addingTimeInterval(10)) == .waitForNextPod(start + 30))
        #expect(rules.plan(for: node(), record: record, now: start.addingTimeInterval(30)) == .freshHealerPod)
        #expect(rules.nextWake(for: record, now: start.addingTimeInterval(10)) == start + 30)
    }

    @Test func rule5TheWindowCompletesAtItsEnd() {
        let record = record(podsAt: Array(stride(from: 0.0, to: 1800, by: 30)))
        #expect(
            rules.plan(for: node(), record: record, now: start.addingTimeInterval(1799))
                == .waitForNextPod(start + 1800))
        #expect(rules.plan(for: node(), record: record, now: start.addingTimeInterval(1800)) == .completeWindow)
        #expect(rules.healsAt(record) == start + 1800)
    }

    @Test func rule5ANodeWithoutARecentPodIsNotMarkedHealedButGetsOneMore() {
        // Creation failed for the last five minutes of the window.
        var record = record(podsAt: Array(stride(from: 0.0, to: 1500, by: 30)))
        let end = start.addingTimeInterval(1800)
        #expect(rules.plan(for: node(), record: record, now: end) == .freshHealerPod)
        // The extra pod lives one interval before the node is healed.
        record.lastPodAt = end.addingTimeInterval(40)
        #expect(rules.plan(for: node(), record: record, now: end + 50) == .waitForNextPod(end + 70))
        #expect(rules.plan(for: node(), record: record, now: end + 70) == .completeWindow)
    }

    @Test func rule6HealedBeforeButTheAnnotationIsGoneRestartsAfterALookAtTheLiveNode() {
        let completed = record(podsAt: [0], completed: true)
        #expect(rules.plan(for: node(healed: nil), record: completed, now: start + 3600) == .confirmHealingRestart)
        #expect(rules.plan(for: node(healed: "false"), record: completed, now: start + 3600) == .confirmHealingRestart)
        #expect(rules.plan(for: node(healed: "true"), record: completed, now: start + 3600) == .leaveAlone(.healed))
    }

    @Test func rule7ANodeThatIsNotReadyLosesItsWindow() {
        #expect(rules.plan(for: node(ready: false), record: record(podsAt: [0]), now: start + 10) == .dropWindow)
        #expect(
            rules.plan(
                for: node(ready: false, healed: "true"), record: record(podsAt: [0], completed: true), now: start)
                == .leaveAlone(.healed))
    }

    @Test func rule8AFailingNodeBacksOffExponentiallyCappedAndIsNeverAbandoned() {
        let backoff = NodeBackoff(base: .seconds(10), cap: .seconds(600))
        #expect(backoff.delay(afterFailures: 0) == .zero)
        #expect(backoff.delay(afterFailures: 1) == .seconds(10))
        #expect(backoff.delay(afterFailures: 2) == .seconds(20))
        #expect(backoff.delay(afterFailures: 6) == .seconds(320))
        #expect(backoff.delay(afterFailures: 7) == .seconds(600))
        #expect(backoff.delay(afterFailures: 10_000) == .seconds(600))
        var record = record(podsAt: [0])
        for _ in 0..<50 { record.recordFailure("boom", at: start + 10, backoff: backoff) }
        #expect(record.consecutiveErrors == 50)
        #expect(record.nextRetryAt == start + 610)
        #expect(rules.plan(for: node(), record: record, now: start + 600) == .backOff(until: start + 610))
        #expect(rules.plan(for: node(), record: record, now: start + 610) == .freshHealerPod)
        #expect(rules.phase(of: node(), record: record, now: start + 600) == .backoff)
    }

    @Test func aNodeReCreatedUnderTheSameNameHasADifferentKey() {
        #expect(NodeHealingRecord.key(of: node(uid: "a")) != NodeHealingRecord.key(of: node(uid: "b")))
        #expect(NodeHealingRecord.key(of: node(uid: "a")) == "akswin000000/a")
    }
}

/// The healer pod of rule 9.
@Suite struct HealerPodSpecTests {
    func spec(priorityClassName: String? = nil) throws -> HealerPodSpec {
        var spec = HealerPodSpec(configuration: try SNATConfigurationFixture.load("namespace: vigilante"))
        spec.priorityClassName = priorityClassName
        return spec
    }

    @Test func theHealerPodIsAPinnedPauseContainerOwnedByItsNode() throws {
        let node = Node(metadata: ObjectMeta(name: "akswin000002", uid: "uid-2"))
        let pod = try spec(priorityClassName: "system-node-critical").pod(for: node)
        #expect(pod.metadata.name == nil)
        #expect(pod.metadata.generateName == "snat-healer-akswin000002-")
        #expect(pod.metadata.namespace == "vigilante")
        #expect(pod.spec?.nodeName == "akswin000002")
        #expect(pod.spec?.terminationGracePeriodSeconds == 0)
        #expect(pod.spec?.automountServiceAccountToken == false)
        #expect(pod.spec?.tolerations == [Toleration(operator: "Exists")])
        #expect(pod.spec?.priorityClassName == "system-node-critical")
        #expect(pod.spec?.containers.count == 1)
        #expect(pod.spec?.containers.first?.image == SNATConfiguration.defaultImage)
        #expect(pod.spec?.containers.first?.resources?.requests == ["cpu": "1m", "memory": "8Mi"])
        #expect(
            pod.metadata.labels == [
                "app.kubernetes.io/managed-by": "cops-vigilante", "cops-vigilante/task": "snat",
                "cops-vigilante/node": "akswin000002", "cops-vigilante/node-uid": "uid-2",
            ])
        #expect(
            pod.metadata.ownerReferences == [
                OwnerReference(apiVersion: "v1", kind: "Node", name: "akswin000002", uid: "uid-2")
            ])
    }

    @Test func tolerationsAndPriorityClassComeFromTheConfigurationAndTheOriginalKeyStillWorks() throws {
        let configured = try SNATConfigurationFixture.load(
            """
            namespace: healers
            image: registry.example/pause:3.10
            priorityClassName: system-node-critical
            tolerations:
              - key: sku
                operator: Equal
                value: gpu
                effect: NoSchedule
            """)
        let pod = HealerPodSpec(configuration: configured).pod(for: Node(metadata: ObjectMeta(name: "n", uid: "u")))
        #expect(pod.metadata.namespace == "healers")
        #expect(pod.spec?.containers.first?.image == "registry.example/pause:3.10")
        #expect(pod.spec?.priorityClassName == "system-node-critical")
        #expect(
            pod.spec?.tolerations == [Toleration(key: "sku", operator: "Equal", value: "gpu", effect: "NoSchedule")])

        let original = try SNATConfigurationFixture.load(
            """
            healing_pod_tolerations:
              - key: os
                operator: Exists
            """)
        #expect(original.tolerations == [Toleration(key: "os", operator: "Exists")])
    }

    @Test func longNodeNamesGiveValidLabelValuesAndNamePrefixes() {
        let long = "aks-windowspool-" + String(repeating: "verylongsegment.", count: 6) + "node000001"
        #expect(long.count > 63)
        let value = HealerPodSpec.labelValue(forNodeName: long)
        #expect(value.count <= 63)
        #expect(isValidLabelValue(value))
        let other = HealerPodSpec.labelValue(forNodeName: long.replacingOccurrences(of: "000001", with: "000002"))
        #expect(value != other, "two long names with the same beginning keep distinct labels")
        #expect(HealerPodSpec.labelValue(forNodeName: "akswin000001") == "akswin000001")
        let exactly63 = String(repeating: "a", count: 63)
        #expect(HealerPodSpec.labelValue(forNodeName: exactly63) == exactly63)

        let prefix = HealerPodSpec.namePrefix(forNodeName: long)
        #expect(prefix.count <= 58)
        #expect(prefix.hasPrefix("snat-healer-aks-windowspool-"))
        #expect(prefix.hasSuffix("-"))
        #expect(!prefix.contains("."))
        #expect(!prefix.contains(".-") && !prefix.contains("-."))
    }

    func isValidLabelValue(_ value: String) -> Bool {
        guard let first = value.first, let last = value.last else { return true }
        let alphanumeric: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber) }
        return value.count <= 63 && alphanumeric(first) && alphanumeric(last)
            && value.allSatisfy { alphanumeric($0) || "-_.".contains($0) }
    }
}

/// Loads `tasks.snat` options from YAML lines, with test defaults.
enum SNATConfigurationFixture {
    static func load(_ lines: String) throws -> SNATConfiguration {
        let file = NSTemporaryDirectory() + "snat-config-\(UUID().uuidString).yaml"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let text = "tasks:\n  snat:\n" + lines.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let environment = ConfigEnvironment(variables: [:], serviceAccountDirectory: "/nonexistent", hostName: "test")
        let loaded = try ConfigurationLoader(taskTypes: [SNATConfiguration.self], environment: environment).load(
            path: file)
        return try #require(loaded.configuration.task("snat")?.options(as: SNATConfiguration.self))
    }
}
