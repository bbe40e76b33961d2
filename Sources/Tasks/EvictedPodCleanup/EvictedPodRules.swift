import Foundation
import VigilanteCore

/// Why an evicted pod was left alone in a pass; `/tasks` and the `vigilante_evicted_pods_skipped` gauge
/// count pods per rule.
public enum SkipRule: String, Codable, Sendable, CaseIterable {
    /// Its namespace is in `excludeNamespaces`.
    case excludedNamespace
    /// `includeNamespaces` is set and does not list its namespace.
    case notIncluded
    /// It was evicted less than `minAge` ago.
    case tooYoung
    /// It was due, but the pass had already reached `maxDeletionsPerRun`.
    case cap
}

// snippet:rules
/// Which pods the task deletes, applied in this order:
/// 1. A pod is **evicted** when its phase is `Failed` and its reason `Evicted`, and it is not already
///    being deleted. The API server narrows the watch to `status.phase=Failed` (and to `labelSelector`),
///    so other pods never reach the task; the reason is checked here.
/// 2. Pods in `excludeNamespaces` are kept (default `kube-system`).
/// 3. When `includeNamespaces` is not empty, pods in other namespaces are kept.
/// 4. A pod is deleted only when its **age** reaches `minAge`. The age counts from the pod's last state
///    transition: the newest `lastTransitionTime` of its conditions, which the kubelet sets when it evicts
///    the pod (`Ready` turns `False`, and since Kubernetes 1.26 `DisruptionTarget` turns `True`). A pod
///    without condition times falls back to `status.startTime`, then to `metadata.creationTimestamp`: both
///    are earlier than the eviction, so the later one is the closer, safer estimate.
/// 5. At most `maxDeletionsPerRun` pods are deleted in one pass, the oldest first; the rest wait.
struct EvictedPodRules: Sendable {
    let minAge: Duration
    let excludeNamespaces: Set<String>
    let includeNamespaces: Set<String>
    let maxDeletionsPerRun: Int

    init(configuration: EvictedPodCleanupConfiguration) {
        minAge = configuration.minAge
        excludeNamespaces = Set(configuration.excludeNamespaces)
        includeNamespaces = Set(configuration.includeNamespaces)
        maxDeletionsPerRun = configuration.maxDeletionsPerRun
    }

    /// Rule 1.
    static func isEvicted(_ pod: Pod) -> Bool {
        pod.status?.phase == "Failed" && pod.status?.reason == "Evicted" && pod.metadata.deletionTimestamp == nil
    }

    /// Rule 4: when the pod last changed state, the start of its age.
    static func lastTransition(of pod: Pod) -> Date? {
        pod.status?.conditions?.compactMap(\.lastTransitionTime).max() ?? pod.status?.startTime
            ?? pod.metadata.creationTimestamp
    }

    /// When the pod reaches `minAge`; nil when it has no time at all (it is then never deleted).
    func maturesAt(_ pod: Pod) -> Date? {
        Self.lastTransition(of: pod).map { $0.addingTimeInterval(minAge.seconds) }
    }

    /// Rules 2 to 4 for one evicted pod: why it is kept, or nil when it is due for deletion.
    func skipRule(for pod: Pod, now: Date) -> SkipRule? {
        let namespace = pod.namespace ?? ""
        if excludeNamespaces.contains(namespace) { return .excludedNamespace }
        if !includeNamespaces.isEmpty, !includeNamespaces.contains(namespace) { return .notIncluded }
        guard let maturesAt = maturesAt(pod), maturesAt <= now else { return .tooYoung }
        return nil
    }

    /// Rules 1 to 5 for every cached pod: what one pass deletes and what it keeps.
    func plan(_ pods: [Pod], now: Date) -> CleanupPlan {
        var plan = CleanupPlan()
        var due: [(pod: Pod, since: Date)] = []
        for pod in pods where Self.isEvicted(pod) {
            plan.evicted += 1
            if let rule = skipRule(for: pod, now: now) {
                plan.skipped[rule] += 1
                if rule == .tooYoung, let maturesAt = maturesAt(pod) {
                    plan.nextMaturity = min(plan.nextMaturity ?? maturesAt, maturesAt)
                }
            } else {
                due.append((pod, Self.lastTransition(of: pod) ?? now))
            }
        }
        due.sort { ($0.since, $0.pod.namespace ?? "", $0.pod.name) < ($1.since, $1.pod.namespace ?? "", $1.pod.name) }
        plan.delete = due.prefix(maxDeletionsPerRun).map(\.pod)
        plan.skipped[.cap] = due.count - plan.delete.count
        return plan
    }

    /// The object an Event about the deletion goes to: the pod's controller, else its first owner; nil
    /// for a pod without owners. Owners live in the pod's namespace, except nodes (mirror pods).
    static func owner(of pod: Pod) -> ObjectReference? {
        let owners = pod.metadata.ownerReferences ?? []
        guard let owner = owners.first(where: { $0.controller == true }) ?? owners.first else { return nil }
        let clusterScoped = owner.kind == "Node" && owner.apiVersion == "v1"
        return ObjectReference(
            apiVersion: owner.apiVersion, kind: owner.kind, namespace: clusterScoped ? nil : pod.namespace,
            name: owner.name, uid: owner.uid)
    }
}
// end-snippet

/// What one pass deletes and keeps.
struct CleanupPlan: Sendable {
    /// Evicted pods seen.
    var evicted = 0
    /// The pods to delete, oldest first.
    var delete: [Pod] = []
    /// Pods kept, per rule.
    var skipped = SkipCounts()
    /// When the first pod kept as too young becomes due.
    var nextMaturity: Date?
}

/// Evicted pods kept in a pass, per rule.
public struct SkipCounts: Codable, Sendable, Equatable {
    /// Pods in an excluded namespace.
    public var excludedNamespace = 0
    /// Pods outside the included namespaces.
    public var notIncluded = 0
    /// Pods evicted less than `minAge` ago.
    public var tooYoung = 0
    /// Due pods left for the next pass by `maxDeletionsPerRun`.
    public var cap = 0

    /// Creates zero counts.
    public init() {}

    /// The count of one rule.
    public subscript(rule: SkipRule) -> Int {
        get {
            switch rule {
            case .excludedNamespace: excludedNamespace
            case .notIncluded: notIncluded
            case .tooYoung: tooYoung
            case .cap: cap
            }
        }
        set {
            switch rule {
            case .excludedNamespace: excludedNamespace = newValue
            case .notIncluded: notIncluded = newValue
            case .tooYoung: tooYoung = newValue
            case .cap: cap = newValue
            }
        }
    }
}
