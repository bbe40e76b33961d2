import Foundation
import VigilanteCore

/// The SNAT healing rules of the product brief (section 2), in the brief's order. Everything here is a
/// pure decision over a node, its ``NodeHealingRecord`` and the time; ``NodeHealingPass`` carries the
/// decisions out against the cluster.
///
/// Where the original Go release fell short, the rules say how this one differs: nodes without the OS
/// label are not Windows, the window is persisted, healer pods have unique names, and a failing node
/// backs off without ever being abandoned.
struct SNATHealingRules: Sendable {
    /// The node annotation that marks a node healed (the original release's key, kept for upgrades).
    static let healedAnnotation = "cops-vigilante-snat-node-healed"
    /// The well-known node label naming the operating system.
    static let osLabel = "kubernetes.io/os"

    /// How long a node keeps getting fresh healer pods (rule 3).
    var healingDuration: Duration
    /// Time between fresh healer pods: the task interval (rule 4).
    var podInterval: Duration
    /// Retry delays of a failing node (rule 8).
    var backoff: NodeBackoff
    /// Rule 11: a healed node that rebooted since it was healed is healed again.
    var healAfterReboot = true

    // MARK: Rule 1 — candidates

    /// Rule 1: a Windows node is one whose `kubernetes.io/os` label is `windows`, in any case. A node
    /// without the label is not Windows (the original release assumed it was).
    static func isWindows(_ node: Node) -> Bool {
        node.metadata.labels?[osLabel]?.lowercased() == "windows"
    }

    /// Rule 1: a candidate is a Windows node whose `Ready` condition is `True`.
    static func isCandidate(_ node: Node) -> Bool {
        isWindows(node) && node.isReady
    }

    // MARK: Rule 2 — healed nodes

    /// Rule 2: a node is healed when its annotation `cops-vigilante-snat-node-healed` is `"true"`, in any
    /// case. Healed nodes are left alone.
    static func isHealed(_ node: Node) -> Bool {
        node.metadata.annotations?[healedAnnotation]?.lowercased() == "true"
    }

    // MARK: Rules 3 to 8 — what happens next to one node

    /// What should happen to `node` now, given its record (nil when the store has none for this node's
    /// name and UID: rule 7 makes a node re-created under the same name a new node).
    func plan(for node: Node, record: NodeHealingRecord?, now: Date) -> NodeHealingPlan {
        // Rule 7: a node that stops being Ready loses its in-progress window.
        guard Self.isCandidate(node) else {
            if record?.isHealing == true { return .dropWindow }
            return .leaveAlone(Self.isHealed(node) ? .healed : .notReady)
        }
        // Rule 2: healed nodes are left alone; someone marking a node healed mid-window ends the window.
        if Self.isHealed(node) {
            if record?.isHealing == true { return .acceptHealed }
            // Rule 11: unless the node rebooted since it was healed (a record without a boot ID predates
            // rule 11: the node stays healed).
            if healAfterReboot, let record, let healedBoot = record.bootID, let boot = node.bootID, boot != healedBoot {
                if let retry = record.nextRetryAt, now < retry { return .backOff(until: retry) }
                return .healAfterReboot
            }
            return .leaveAlone(.healed)
        }
        // Rule 3: the window starts when the node is first seen Ready and not healed.
        guard let record else { return .startWindow(.firstSeenReady) }
        // Rule 8: a failing node waits for its retry time, and is then tried again, however often it failed.
        if let retry = record.nextRetryAt, now < retry { return .backOff(until: retry) }
        // Rule 6: healed before, but the annotation is no longer "true": healing restarts with a new window
        // (after a look at the live node, since the cache may not show our own annotation yet).
        guard record.isHealing else { return .confirmHealingRestart }
        let window = HealingWindow(start: record.windowStartedAt, duration: healingDuration)
        // Rule 5: when the window has passed, the node is healed. A node whose pod creation kept failing
        // at the end of its window is not marked healed without a recent healer pod: it gets one more, and
        // is healed one interval later.
        if window.hasPassed(at: now) {
            guard let healsAt = healingTime(record, window: window) else { return .freshHealerPod }
            return now >= healsAt ? .completeWindow : .waitForNextPod(healsAt)
        }
        // Rule 4: during the window, a fresh healer pod every interval.
        let due = nextPodDue(record, now: now)
        return now >= due ? .freshHealerPod : .waitForNextPod(due)
    }

    /// When a healing node is healed: the window's end if its last healer pod was created in the window's
    /// final two intervals; one interval after a pod created later than that (a window extended because
    /// creation failed); nil while the node has no recent healer pod.
    func healingTime(_ record: NodeHealingRecord, window: HealingWindow) -> Date? {
        guard let lastPodAt = record.lastPodAt,
            lastPodAt >= window.end.addingTimeInterval(-2 * podInterval.seconds)
        else { return nil }
        return lastPodAt < window.end ? window.end : lastPodAt.addingTimeInterval(podInterval.seconds)
    }

    /// When the node's next fresh healer pod is due (now, if it never got one): on the node's own renewal
    /// phase (``renewalPhase(of:)``), half an interval to an interval after the last pod. When no instant
    /// of its phase falls in that span (the first renewal of a window, for half of the nodes), the pod is
    /// due halfway to the next one, and the renewal after that is on the phase. So every node keeps its
    /// phase, the renewals of nodes whose windows started together (a scale-up) are spread over the
    /// interval instead of falling in one pass, a pass that runs late (by less than half an interval) does
    /// not merge the phases of the nodes it renews, and no node waits longer than an interval (rule 12).
    func nextPodDue(_ record: NodeHealingRecord, now: Date) -> Date {
        guard let lastPodAt = record.lastPodAt else { return now }
        let interval = podInterval.seconds
        let last = lastPodAt.timeIntervalSinceReferenceDate
        // The first instant of the node's phase at least half an interval after the last pod.
        let earliest = last + interval / 2
        var offset = (renewalPhase(of: record) - earliest).truncatingRemainder(dividingBy: interval)
        if offset < 0 { offset += interval }
        var due = earliest + offset
        if due - last > interval { due = last + (due - last) / 2 }
        return Date(timeIntervalSinceReferenceDate: due)
    }

    /// The node's renewal phase within the interval, in seconds: a whole second (a fraction of the interval
    /// for intervals of a minute or more) picked by a hash of the node's UID. Whole steps keep renewals in
    /// at most one pass per step; the UID keeps the phase across restarts without storing it.
    func renewalPhase(of record: NodeHealingRecord) -> Double {
        let interval = podInterval.seconds
        let steps = UInt64(max(1, min(60, Int(interval.rounded(.down)))))
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a: stable across processes, unlike Hasher.
        for byte in record.nodeUID.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return Double(hash % steps) * interval / Double(steps)
    }

    /// When the node next needs a pass: its retry time, its next pod, or the end of its window; nil for a
    /// node that is not healing.
    func nextWake(for record: NodeHealingRecord, now: Date) -> Date? {
        guard record.isHealing else { return record.nextRetryAt.flatMap { $0 > now ? $0 : nil } }
        if let retry = record.nextRetryAt, retry > now { return retry }
        let window = HealingWindow(start: record.windowStartedAt, duration: healingDuration)
        let podDue = nextPodDue(record, now: now)
        if window.hasPassed(at: now) { return healingTime(record, window: window) ?? podDue }
        return min(podDue, window.end)
    }

    /// When a healing node is expected to be healed, for status: the window's end, or later when the
    /// window had to be extended.
    func healsAt(_ record: NodeHealingRecord) -> Date {
        let window = HealingWindow(start: record.windowStartedAt, duration: healingDuration)
        return healingTime(record, window: window) ?? window.end
    }

    /// The phase shown in status and the `vigilante_snat_nodes` gauge.
    func phase(of node: Node, record: NodeHealingRecord?, now: Date) -> SNATNodePhase {
        if Self.isHealed(node) { return .healed }
        if !Self.isCandidate(node) { return .notReady }
        guard let record else { return .healing }
        if let retry = record.nextRetryAt, retry > now, record.consecutiveErrors > 0 { return .backoff }
        return record.isHealing ? .healing : .healed
    }
}

/// One decision of ``SNATHealingRules/plan(for:record:now:)``.
enum NodeHealingPlan: Equatable, Sendable {
    /// Not a candidate, or healed: nothing is done, apart from removing leftover healer pods.
    case leaveAlone(SNATNodePhase)
    /// Rule 3: a healing window starts now, with a first healer pod.
    case startWindow(HealingWindow.StartReason)
    /// Rule 4: a fresh healer pod replaces the previous one.
    case freshHealerPod
    /// Rule 4: the window is open and the next healer pod is due at the given time.
    case waitForNextPod(Date)
    /// Rule 5: the window has passed: healer pods removed, node annotated, completion recorded, event.
    case completeWindow
    /// Rule 6: the record says healed, the cached node does not: confirm on the live node, then restart.
    case confirmHealingRestart
    /// Rule 7: the node stopped being Ready: the window is dropped and its healer pods removed.
    case dropWindow
    /// Rule 2: the node was marked healed by someone else during its window: healing stops.
    case acceptHealed
    /// Rule 11: the healed node rebooted since it was healed: its annotation is reset and a new window starts.
    case healAfterReboot
    /// Rule 8: the node's last step failed; nothing happens until the given time.
    case backOff(until: Date)
}

/// The period during which a node gets fresh healer pods (rule 3).
struct HealingWindow: Equatable, Sendable {
    /// Why a window started.
    enum StartReason: String, Codable, Sendable {
        /// The node was seen Ready and not healed, with no record of it (new node, Ready again, or re-created).
        case firstSeenReady
        /// The healed annotation was removed or set to something other than "true" (rule 6).
        case annotationReset
        /// The node rebooted since it was healed (rule 11).
        case rebooted
    }

    /// When the node was first seen Ready and not healed; persisted, so a restart continues the window.
    var start: Date
    /// How long the window lasts.
    var duration: Duration

    /// When the window ends.
    var end: Date { start.addingTimeInterval(duration.seconds) }

    /// Whether the window is over at `now`.
    func hasPassed(at now: Date) -> Bool { now >= end }
}

/// Exponential retry delays of a failing node: `base`, `2 × base`, `4 × base`, … never more than `cap`
/// (rule 8: capped, so a failing node keeps being retried; the original release gave up after 10 errors).
struct NodeBackoff: Equatable, Sendable {
    /// The delay after the first failure.
    var base: Duration
    /// The longest delay.
    var cap: Duration

    /// The delay after `failures` consecutive failures (zero for none).
    func delay(afterFailures failures: Int) -> Duration {
        guard failures > 0 else { return .zero }
        let doubled = base.seconds * pow(2, Double(min(failures - 1, 60)))
        return .seconds(min(doubled, cap.seconds))
    }
}
