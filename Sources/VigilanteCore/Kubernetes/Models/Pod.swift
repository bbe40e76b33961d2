import Foundation

/// A pod (core/v1), reduced to the fields the operator sets or reads.
public struct Pod: KubernetesResource, Hashable {
    /// The API group.
    public static let group = ""
    /// The API version.
    public static let version = "v1"
    /// The kind.
    public static let kind = "Pod"
    /// The plural resource name.
    public static let plural = "pods"
    /// Whether the kind is namespaced.
    public static let namespaced = true

    /// The object's metadata.
    public var metadata: ObjectMeta
    /// The pod's spec.
    public var spec: PodSpec?
    /// The pod's status.
    public var status: PodStatus?

    /// Creates a pod.
    public init(metadata: ObjectMeta, spec: PodSpec? = nil, status: PodStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// The used part of a pod's `spec`.
public struct PodSpec: Codable, Sendable, Hashable {
    /// The node the pod is bound to; setting it on create bypasses the scheduler.
    public var nodeName: String?
    /// Node labels the pod requires.
    public var nodeSelector: [String: String]?
    /// Tolerations.
    public var tolerations: [Toleration]?
    /// The containers.
    public var containers: [Container]
    /// The priority class name.
    public var priorityClassName: String?
    /// Grace period on delete; 0 deletes at once.
    public var terminationGracePeriodSeconds: Int64?
    /// Whether a service-account token is mounted.
    public var automountServiceAccountToken: Bool?
    /// `Always`, `OnFailure` or `Never`.
    public var restartPolicy: String?
    /// The operating system the pod needs (`windows`, `linux`).
    public var os: PodOS?
    /// Pod-level security attributes.
    public var securityContext: PodSecurityContext?
    /// Secrets used to pull the images.
    public var imagePullSecrets: [LocalObjectReference]?
    /// The RuntimeClass to run the pod with.
    public var runtimeClassName: String?

    /// Creates a pod spec.
    public init(
        nodeName: String? = nil,
        nodeSelector: [String: String]? = nil,
        tolerations: [Toleration]? = nil,
        containers: [Container],
        priorityClassName: String? = nil,
        terminationGracePeriodSeconds: Int64? = nil,
        automountServiceAccountToken: Bool? = nil,
        restartPolicy: String? = nil,
        os: PodOS? = nil,
        securityContext: PodSecurityContext? = nil,
        imagePullSecrets: [LocalObjectReference]? = nil,
        runtimeClassName: String? = nil
    ) {
        self.nodeName = nodeName
        self.nodeSelector = nodeSelector
        self.tolerations = tolerations
        self.containers = containers
        self.priorityClassName = priorityClassName
        self.terminationGracePeriodSeconds = terminationGracePeriodSeconds
        self.automountServiceAccountToken = automountServiceAccountToken
        self.restartPolicy = restartPolicy
        self.os = os
        self.securityContext = securityContext
        self.imagePullSecrets = imagePullSecrets
        self.runtimeClassName = runtimeClassName
    }

    private enum CodingKeys: String, CodingKey {
        case nodeName, nodeSelector, tolerations, containers, priorityClassName
        case terminationGracePeriodSeconds, automountServiceAccountToken, restartPolicy
        case os, securityContext, imagePullSecrets, runtimeClassName
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        nodeName = try container.decodeIfPresent(String.self, forKey: .nodeName)
        nodeSelector = try container.decodeIfPresent([String: String].self, forKey: .nodeSelector)
        tolerations = try container.decodeIfPresent([Toleration].self, forKey: .tolerations)
        containers = try container.decodeIfPresent([Container].self, forKey: .containers) ?? []
        priorityClassName = try container.decodeIfPresent(String.self, forKey: .priorityClassName)
        terminationGracePeriodSeconds = try container.decodeIfPresent(
            Int64.self,
            forKey: .terminationGracePeriodSeconds
        )
        automountServiceAccountToken = try container.decodeIfPresent(Bool.self, forKey: .automountServiceAccountToken)
        restartPolicy = try container.decodeIfPresent(String.self, forKey: .restartPolicy)
        os = try container.decodeIfPresent(PodOS.self, forKey: .os)
        securityContext = try container.decodeIfPresent(PodSecurityContext.self, forKey: .securityContext)
        imagePullSecrets = try container.decodeIfPresent([LocalObjectReference].self, forKey: .imagePullSecrets)
        runtimeClassName = try container.decodeIfPresent(String.self, forKey: .runtimeClassName)
    }
}

/// The operating system a pod needs (`spec.os`).
public struct PodOS: Codable, Sendable, Hashable {
    /// `windows` or `linux`.
    public var name: String

    /// Creates the value.
    public init(name: String) {
        self.name = name
    }
}

/// The used part of a pod's `spec.securityContext`.
public struct PodSecurityContext: Codable, Sendable, Hashable {
    /// Whether the containers must run as a non-root user.
    public var runAsNonRoot: Bool?
    /// Windows-specific settings.
    public var windowsOptions: WindowsSecurityContextOptions?

    /// Creates a security context.
    public init(runAsNonRoot: Bool? = nil, windowsOptions: WindowsSecurityContextOptions? = nil) {
        self.runAsNonRoot = runAsNonRoot
        self.windowsOptions = windowsOptions
    }
}

/// Windows-specific security settings (`windowsOptions`).
public struct WindowsSecurityContextOptions: Codable, Sendable, Hashable {
    /// The user the container's entrypoint runs as (`ContainerUser`, `ContainerAdministrator`).
    public var runAsUserName: String?

    /// Creates the options.
    public init(runAsUserName: String? = nil) {
        self.runAsUserName = runAsUserName
    }
}

/// A reference to an object in the same namespace by name (`imagePullSecrets` entries).
public struct LocalObjectReference: Codable, Sendable, Hashable {
    /// The object's name.
    public var name: String

    /// Creates the reference.
    public init(name: String) {
        self.name = name
    }
}

/// A container in a pod.
public struct Container: Codable, Sendable, Hashable {
    /// The container name.
    public var name: String
    /// The image reference.
    public var image: String?
    /// Resource requests and limits.
    public var resources: ResourceRequirements?

    /// Creates a container.
    public init(name: String, image: String? = nil, resources: ResourceRequirements? = nil) {
        self.name = name
        self.image = image
        self.resources = resources
    }
}

/// Resource requests and limits as quantity strings (`"10m"`, `"16Mi"`).
public struct ResourceRequirements: Codable, Sendable, Hashable {
    /// Requests.
    public var requests: [String: String]?
    /// Limits.
    public var limits: [String: String]?

    /// Creates requirements.
    public init(requests: [String: String]? = nil, limits: [String: String]? = nil) {
        self.requests = requests
        self.limits = limits
    }
}

/// The used part of a pod's `status`.
public struct PodStatus: Codable, Sendable, Hashable {
    /// `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`.
    public var phase: String?
    /// A brief reason, for example `Evicted`.
    public var reason: String?
    /// Conditions such as `Ready`.
    public var conditions: [PodCondition]?
    /// When the kubelet started the pod.
    public var startTime: Date?

    /// Creates a status.
    public init(phase: String? = nil, reason: String? = nil, conditions: [PodCondition]? = nil, startTime: Date? = nil)
    {
        self.phase = phase
        self.reason = reason
        self.conditions = conditions
        self.startTime = startTime
    }
}

/// One pod condition.
public struct PodCondition: Codable, Sendable, Hashable {
    /// The type, for example `Ready`.
    public var type: String
    /// `True`, `False` or `Unknown`.
    public var status: String
    /// A machine-readable reason.
    public var reason: String?
    /// When the status last changed.
    public var lastTransitionTime: Date?

    /// Creates a condition.
    public init(type: String, status: String, reason: String? = nil, lastTransitionTime: Date? = nil) {
        self.type = type
        self.status = status
        self.reason = reason
        self.lastTransitionTime = lastTransitionTime
    }
}
