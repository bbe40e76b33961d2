import Foundation
import Logging
import VigilanteCore

/// Carries out, for one node in one pass, what ``SNATHealingRules`` decided: the cluster calls, the
/// record updates and the events. A failing cluster call ends the node's pass with backoff (rule 8); it
/// never touches another node. In dry-run every mutation is logged and listed instead of made (the
/// read-only client would refuse it anyway).
struct NodeHealingPass {
    /// What one node's pass did.
    struct Outcome: Sendable {
        /// The node's record after the pass; nil when it has none.
        var record: NodeHealingRecord?
        /// What was done (or, in dry-run, would have been).
        var actions: [String] = []
        /// Healer pods created.
        var podsCreated = 0
        /// Whether the window completed and the node was annotated.
        var healed = false
        /// Whether this pass started a window.
        var windowStarted = false
        /// The Ready-to-first-pod delay, when this pass created a window's first pod.
        var detection: Duration?
        /// Steps that failed.
        var failedSteps: [String] = []
    }

    /// A failed cluster call, named by its step for metrics and status.
    struct StepFailure: Error {
        let step: String
        let error: any Error
        var message: String { "\(step): \(error)" }
    }

    let node: Node
    let healerPods: [Pod]
    let rules: SNATHealingRules
    let podSpec: HealerPodSpec
    let ledger: HealingLedger
    let context: TaskContext
    let now: Date
    private var outcome: Outcome

    /// Prepares the pass of `node` with its record and its healer pods as cached.
    init(
        node: Node, record: NodeHealingRecord?, healerPods: [Pod], rules: SNATHealingRules, podSpec: HealerPodSpec,
        ledger: HealingLedger, context: TaskContext, now: Date
    ) {
        self.node = node
        self.healerPods = healerPods
        self.rules = rules
        self.podSpec = podSpec
        self.ledger = ledger
        self.context = context
        self.now = now
        outcome = Outcome(record: record)
    }

    private var dryRun: Bool { context.dryRun }
    private var logger: Logger {
        var logger = context.logger
        logger[metadataKey: "node"] = "\(node.name)"
        return logger
    }

    /// Runs the plan. Throws only when the store fails (that fails the whole pass).
    mutating func run() async throws(HealingLedger.StoreFailure) -> Outcome {
        // A dry run never writes the annotation: its plans are made for the node as it pretended to leave
        // it: annotated "true" after a completed window, "false" in a window restarted after a reboot.
        var planned = node
        if dryRun, let record = outcome.record, !record.isHealing || record.startReason == .rebooted {
            var annotations = planned.metadata.annotations ?? [:]
            annotations[SNATHealingRules.healedAnnotation] = record.isHealing ? "false" : "true"
            planned.metadata.annotations = annotations
        }
        let plan = rules.plan(for: planned, record: outcome.record, now: now)
        do {
            switch plan {
            case .leaveAlone:
                try await removePods(except: nil)
            case .startWindow(let reason):
                try await startWindow(reason)
            case .freshHealerPod:
                try await freshHealerPod()
            case .waitForNextPod:
                try await keepCurrentPod()
            case .completeWindow:
                try await completeWindow()
            case .confirmHealingRestart:
                try await confirmHealingRestart()
            case .dropWindow:
                try await dropWindow()
            case .acceptHealed:
                try await acceptHealed()
            case .healAfterReboot:
                try await healAfterReboot()
            case .backOff:
                break
            }
        } catch let failure as HealingLedger.StoreFailure {
            throw failure
        } catch let error where Task.isCancelled {
            // The pass was cancelled (leadership lost, shutdown): the step did not fail on its own, so the
            // node neither backs off nor reports the cancellation as its error; the next pass carries on.
            logger.debug("pass cancelled mid-step", metadata: ["error": "\(error)"])
        } catch let failure as StepFailure {
            try await recordFailure(failure)
        } catch {
            try await recordFailure(StepFailure(step: "unknown", error: error))
        }
        return outcome
    }

    // MARK: Rules 3 to 7

    /// Rule 3: the window starts now; its start is stored before anything happens in the cluster.
    private mutating func startWindow(_ reason: HealingWindow.StartReason) async throws {
        let record = NodeHealingRecord(node: node, windowStartedAt: now, reason: reason)
        try ledger.save(record)
        outcome.record = record
        outcome.windowStarted = true
        let window = HealingWindow(start: now, duration: rules.healingDuration)
        let cause: String
        let eventReason: String
        switch reason {
        case .firstSeenReady:
            cause = "the node is Ready"
            eventReason = "SNATHealingStarted"
        case .annotationReset:
            cause = "the \(SNATHealingRules.healedAnnotation) annotation is no longer \"true\""
            eventReason = "SNATHealingStarted"
        case .rebooted:
            cause = "the node rebooted since it was healed: its boot ID is now \(node.bootID ?? "unknown")"
            eventReason = "SNATHealingRestartedAfterReboot"
        }
        logger.info(
            "healing window started", metadata: ["reason": "\(reason.rawValue)", "healsAt": "\(window.end)"])
        await event(
            .normal, reason: eventReason,
            message:
                "SNAT healing started (\(cause)): a fresh healer pod every \(rules.podInterval.configText) until "
                + "\(window.end.formatted(.iso8601)).")
        if reason != .firstSeenReady {
            context.notifications.send(.healingRestarted(node.name, cause: Self.restartCause(reason)))
        }
        try await freshHealerPod()
    }

    /// Why healing restarted, for the healingRestarted notification.
    static func restartCause(_ reason: HealingWindow.StartReason) -> String {
        switch reason {
        case .annotationReset: "the \(SNATHealingRules.healedAnnotation) annotation was removed or changed"
        case .rebooted: "the node rebooted since it was healed"
        case .firstSeenReady: "the node is Ready and not healed"
        }
    }

    /// Rule 4: a fresh healer pod on the node, then the previous ones go. Leftovers that could not be
    /// deleted before are removed first, so failing deletes never pile pods up.
    private mutating func freshHealerPod() async throws {
        guard var record = outcome.record else { return }
        try await removePods(except: record.currentPod)
        record.retiredPods = []
        let created = try await createPod()
        if let previous = record.currentPod { record.retiredPods = [previous] }
        record.currentPod = created
        record.podsCreated += 1
        record.lastPodAt = now
        if record.podsCreated == 1, record.startReason == .firstSeenReady {
            let readySince = node.condition("Ready")?.lastTransitionTime.flatMap { $0 <= now ? $0 : nil }
            outcome.detection = .seconds(now.timeIntervalSince(readySince ?? record.windowStartedAt))
        }
        // Stored at once: a restart must know the pod it has to replace.
        try ledger.save(record)
        outcome.record = record
        try await removePods(except: created)
        record.retiredPods = []
        record.recordSuccess()
        try ledger.save(record)
        outcome.record = record
    }

    /// Rule 4, between pods: only the current healer pod stays (leftovers of a failed delete or of a
    /// restart between a create and its record are removed).
    private mutating func keepCurrentPod() async throws {
        try await removePods(except: outcome.record?.currentPod)
        guard var record = outcome.record, record.consecutiveErrors > 0 || !record.retiredPods.isEmpty else { return }
        record.retiredPods = []
        record.recordSuccess()
        try ledger.save(record)
        outcome.record = record
    }

    /// Rule 5: the window has passed: healer pods deleted, node annotated (merge patch), completion
    /// recorded, Event emitted.
    private mutating func completeWindow() async throws {
        guard var record = outcome.record else { return }
        try await removePods(except: nil)
        try await annotate(healed: true)
        record.completedAt = now
        record.bootID = record.bootID ?? node.bootID
        record.currentPod = nil
        record.retiredPods = []
        record.recordSuccess()
        try ledger.save(record)
        outcome.record = record
        outcome.healed = true
        logger.info("node healed", metadata: ["podsCreated": "\(record.podsCreated)"])
        await event(
            .normal, reason: "SNATHealed",
            message:
                "SNAT healing complete: \(record.podsCreated) healer pods since "
                + "\(record.windowStartedAt.formatted(.iso8601)); annotated \(SNATHealingRules.healedAnnotation)=true.")
        context.notifications.send(.nodeHealed(node.name))
    }

    /// Rule 6: the record says healed and the cached node does not. The live node decides: still
    /// annotated means the cache lags our own patch; otherwise healing restarts with a new window.
    private mutating func confirmHealingRestart() async throws {
        // Deleted: the next pass drops the record.
        guard let live = try await liveNode(), !SNATHealingRules.isHealed(live) else { return }
        try await startWindow(.annotationReset)
    }

    /// The node as the API server has it now; nil when it is gone or was re-created under a new UID.
    private func liveNode() async throws -> Node? {
        let live: Node
        do {
            live = try await context.client.get(Node.self, name: node.name)
        } catch KubernetesError.notFound {
            return nil
        } catch {
            throw StepFailure(step: "readNode", error: error)
        }
        return live.metadata.uid == node.metadata.uid ? live : nil
    }

    /// Rule 11: the node rebooted since it was healed, so Azure CNI rebuilt its network and the healing is
    /// lost. The annotation goes back to "false" first (so the node is not shown healed while it is not,
    /// and a lost store still heals it), then a new window starts.
    private mutating func healAfterReboot() async throws {
        logger.info(
            "node rebooted since it was healed: healing again",
            metadata: ["healedBootID": "\(outcome.record?.bootID ?? "")", "bootID": "\(node.bootID ?? "")"])
        try await annotate(healed: false)
        try await startWindow(.rebooted)
    }

    /// Rule 7: a node that stopped being Ready loses its window; its healer pods go. The record goes
    /// first: a failed delete is retried by the next pass as leftover pods of a node that is not healing.
    private mutating func dropWindow() async throws {
        if let key = outcome.record?.key { try ledger.remove(key) }
        let record = outcome.record
        outcome.record = nil
        logger.info("node not Ready: healing window dropped", metadata: ["podsCreated": "\(record?.podsCreated ?? 0)"])
        try await removePods(
            except: nil, alsoNamed: ((record?.currentPod).map { [$0] } ?? []) + (record?.retiredPods ?? []))
    }

    /// Rule 2: someone marked the node healed during its window: stop, clean up, record the completion.
    private mutating func acceptHealed() async throws {
        guard var record = outcome.record else { return }
        // A window restarted after a reboot began by setting the annotation to "false": a cache still
        // showing "true" may lag that patch. The live node decides.
        if record.startReason == .rebooted, !dryRun {
            guard let live = try await liveNode(), SNATHealingRules.isHealed(live) else { return }
        }
        let leftovers = (record.currentPod.map { [$0] } ?? []) + record.retiredPods
        record.completedAt = now
        record.bootID = record.bootID ?? node.bootID
        record.currentPod = nil
        record.retiredPods = []
        record.recordSuccess()
        try ledger.save(record)
        outcome.record = record
        logger.info("node annotated healed by someone else: healing stopped")
        try await removePods(except: nil, alsoNamed: leftovers)
    }

    // MARK: Cluster steps

    /// Creates a fresh healer pod and returns its name (nil in dry-run).
    private mutating func createPod() async throws -> String? {
        let pod = podSpec.pod(for: node)
        if dryRun {
            report(
                "create a healer pod \(pod.metadata.generateName ?? "")* in \(podSpec.namespace) on node \(node.name)")
            outcome.podsCreated += 1
            return nil
        }
        do {
            let created = try await context.client.create(pod, namespace: podSpec.namespace)
            outcome.podsCreated += 1
            outcome.actions.append("created healer pod \(podSpec.namespace)/\(created.name) on node \(node.name)")
            logger.debug("healer pod created", metadata: ["pod": "\(created.name)"])
            return created.name
        } catch {
            throw StepFailure(step: "createPod", error: error)
        }
    }

    /// Deletes this node's healer pods: the cached ones, the recorded retired ones and `alsoNamed`, all but
    /// `kept`. Pods already terminating are skipped; a pod that is already gone counts as deleted.
    private mutating func removePods(except kept: String?, alsoNamed extra: [String] = []) async throws {
        var names = healerPods.filter { !HealerPodSpec.isTerminating($0) }.map(\.name)
        names += extra + (outcome.record?.retiredPods ?? [])
        var seen = Set<String>()
        for name in names where name != kept && seen.insert(name).inserted {
            if dryRun {
                report("delete healer pod \(podSpec.namespace)/\(name) of node \(node.name)")
                continue
            }
            do {
                try await context.client.delete(
                    Pod.self, name: name, namespace: podSpec.namespace, options: DeleteOptions(gracePeriodSeconds: 0))
                outcome.actions.append("deleted healer pod \(podSpec.namespace)/\(name) of node \(node.name)")
                logger.debug("healer pod deleted", metadata: ["pod": "\(name)"])
            } catch KubernetesError.notFound {
                continue
            } catch {
                throw StepFailure(step: "deletePod", error: error)
            }
        }
    }

    /// Merge-patches the healed annotation. The patch carries the node's UID, which the API server
    /// refuses to change: a node re-created under the same name is never annotated by mistake.
    private mutating func annotate(healed: Bool) async throws {
        let value = healed ? "true" : "false"
        if dryRun {
            report("annotate node \(node.name) \(SNATHealingRules.healedAnnotation)=\(value)")
            return
        }
        struct Patch: Encodable, Sendable {
            struct Metadata: Encodable, Sendable {
                let uid: String
                let annotations: [String: String]
            }
            let metadata: Metadata
        }
        let patch = Patch(
            metadata: .init(uid: node.metadata.uid ?? "", annotations: [SNATHealingRules.healedAnnotation: value]))
        do {
            _ = try await context.client.patch(Node.self, name: node.name, mergePatch: patch)
            outcome.actions.append("annotated node \(node.name) \(SNATHealingRules.healedAnnotation)=\(value)")
        } catch {
            throw StepFailure(step: "annotateNode", error: error)
        }
    }

    // MARK: Rule 8 and reporting

    /// Rule 8: the node backs off exponentially, its error kept for status and metrics.
    private mutating func recordFailure(_ failure: StepFailure) async throws(HealingLedger.StoreFailure) {
        outcome.failedSteps.append(failure.step)
        guard var record = outcome.record else {
            // No window to back off (leftover pods of a node that is not healing): the next pass retries.
            logger.warning("step failed", metadata: ["error": "\(failure.message)"])
            return
        }
        record.recordFailure(failure.message, at: now, backoff: rules.backoff)
        try ledger.save(record)
        outcome.record = record
        logger.warning(
            "step failed; backing off",
            metadata: [
                "error": "\(failure.message)", "consecutiveErrors": "\(record.consecutiveErrors)",
                "retryAt": "\(record.nextRetryAt.map { "\($0)" } ?? "")",
            ])
        outcome.actions.append("node \(node.name): \(failure.message)")
        context.notifications.send(
            .nodeFailing(node.name, consecutiveErrors: record.consecutiveErrors, message: failure.message))
        if record.consecutiveErrors == 1 {
            await event(
                .warning, reason: "SNATHealingFailed",
                message: "SNAT healing step failed, retrying with backoff: \(failure.message)")
        }
    }

    /// In dry-run: logs and lists an action instead of taking it.
    private mutating func report(_ action: String) {
        outcome.actions.append("would " + action)
        logger.info("dry-run: would \(action)")
    }

    /// Emits an Event on the node (in dry-run: logs it).
    private func event(_ type: EventType, reason: String, message: String) async {
        if dryRun {
            logger.info("dry-run: would record event", metadata: ["reason": "\(reason)", "message": "\(message)"])
            return
        }
        await context.events.record(on: ObjectReference(to: node), type: type, reason: reason, message: message)
    }
}
