import Foundation
import VigilanteCore

/// What the store remembers of one node's healing, keyed by the node's name and UID: a node re-created
/// under the same name (AKS reuses names) has a new UID, so it is a new node with no record (rule 7).
struct NodeHealingRecord: Codable, Equatable, Sendable {
    /// The node's name.
    var nodeName: String
    /// The node's UID.
    var nodeUID: String
    /// When the window started; persisted, so a restart continues the window (rule 3).
    var windowStartedAt: Date
    /// Why the window started.
    var startReason: HealingWindow.StartReason
    /// Healer pods created in this window.
    var podsCreated: Int = 0
    /// When the last healer pod was created.
    var lastPodAt: Date?
    /// The newest healer pod, the one that stays until the next is created.
    var currentPod: String?
    /// Healer pods replaced by a newer one whose deletion has not succeeded yet (the cache may not show
    /// them yet, so their names are kept).
    var retiredPods: [String] = []
    /// Failed steps in a row; reset by a successful step.
    var consecutiveErrors: Int = 0
    /// When a failing node is tried again.
    var nextRetryAt: Date?
    /// The last failure, kept for status after the node recovers until the next failure or completion.
    var lastError: String?
    /// When the window completed and the node was annotated healed; nil while healing.
    var completedAt: Date?
    /// The node's boot ID (`status.nodeInfo.bootID`) when its window started, filled in at completion when
    /// unknown then. A healed node that reports another boot ID has rebooted since (rule 11). Nil in
    /// records completed by versions that did not record it: those nodes stay healed.
    var bootID: String?

    /// The store key: name and UID.
    var key: String { Self.key(name: nodeName, uid: nodeUID) }

    /// Whether the window is in progress.
    var isHealing: Bool { completedAt == nil }

    /// The store key of a node: `name/uid` (node names cannot contain a slash).
    static func key(name: String, uid: String) -> String { "\(name)/\(uid)" }

    /// The store key of a node.
    static func key(of node: Node) -> String { key(name: node.name, uid: node.metadata.uid ?? "") }

    /// A new window for `node` starting at `start`.
    init(node: Node, windowStartedAt start: Date, reason: HealingWindow.StartReason) {
        nodeName = node.name
        nodeUID = node.metadata.uid ?? ""
        windowStartedAt = start
        startReason = reason
        bootID = node.bootID
    }

    /// Notes a failed step: exponential backoff (rule 8), error kept for status.
    mutating func recordFailure(_ message: String, at now: Date, backoff: NodeBackoff) {
        consecutiveErrors += 1
        lastError = message
        nextRetryAt = now.addingTimeInterval(backoff.delay(afterFailures: consecutiveErrors).seconds)
    }

    /// Notes a successful step: the backoff ends (the last error stays visible until the next one).
    mutating func recordSuccess() {
        consecutiveErrors = 0
        nextRetryAt = nil
    }
}
