import Foundation

/// A cluster node (core/v1), reduced to the fields the operator uses.
public struct Node: KubernetesResource, Hashable {
    /// The API group.
    public static let group = ""
    /// The API version.
    public static let version = "v1"
    /// The kind.
    public static let kind = "Node"
    /// The plural resource name.
    public static let plural = "nodes"
    /// Whether the kind is namespaced.
    public static let namespaced = false

    /// The object's metadata.
    public var metadata: ObjectMeta
    /// The node's spec (taints, cordon).
    public var spec: NodeSpec?
    /// The node's status (conditions).
    public var status: NodeStatus?

    /// Creates a node.
    public init(metadata: ObjectMeta, spec: NodeSpec? = nil, status: NodeStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    /// The condition of the given type, for example `Ready`.
    public func condition(_ type: String) -> NodeCondition? {
        status?.conditions?.first { $0.type == type }
    }

    /// Whether the `Ready` condition has status `True`.
    public var isReady: Bool {
        condition("Ready")?.status == "True"
    }

    /// The boot ID the kubelet reports (`status.nodeInfo.bootID`); it changes at every reboot. Nil when
    /// unknown (a node object created through the API has an empty one).
    public var bootID: String? {
        status?.nodeInfo?.bootID.flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// The used part of a node's `spec`.
public struct NodeSpec: Codable, Sendable, Hashable {
    /// Taints that repel pods without a matching toleration.
    public var taints: [Taint]?
    /// True when the node is cordoned.
    public var unschedulable: Bool?

    /// Creates a spec.
    public init(taints: [Taint]? = nil, unschedulable: Bool? = nil) {
        self.taints = taints
        self.unschedulable = unschedulable
    }
}

/// The used part of a node's `status`.
public struct NodeStatus: Codable, Sendable, Hashable {
    /// Conditions such as `Ready`.
    public var conditions: [NodeCondition]?
    /// The used part of `nodeInfo`.
    public var nodeInfo: NodeSystemInfo?

    /// Creates a status.
    public init(conditions: [NodeCondition]? = nil, nodeInfo: NodeSystemInfo? = nil) {
        self.conditions = conditions
        self.nodeInfo = nodeInfo
    }
}

/// The used part of a node's `status.nodeInfo` (the rest is not kept in memory).
public struct NodeSystemInfo: Codable, Sendable, Hashable {
    /// Changes at every boot of the node.
    public var bootID: String?

    /// Creates the info.
    public init(bootID: String? = nil) {
        self.bootID = bootID
    }
}

/// One node condition (heartbeat times are not kept: they change constantly and nobody reads them).
public struct NodeCondition: Codable, Sendable, Hashable {
    /// The type, for example `Ready`.
    public var type: String
    /// `True`, `False` or `Unknown`.
    public var status: String
    /// A machine-readable reason.
    public var reason: String?
    /// A human-readable message.
    public var message: String?
    /// When the status last changed.
    public var lastTransitionTime: Date?

    /// Creates a condition.
    public init(
        type: String,
        status: String,
        reason: String? = nil,
        message: String? = nil,
        lastTransitionTime: Date? = nil
    ) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastTransitionTime = lastTransitionTime
    }
}
