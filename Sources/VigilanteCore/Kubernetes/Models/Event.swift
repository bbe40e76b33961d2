import Foundation

/// A core/v1 Event, as `kubectl describe` shows it.
public struct Event: KubernetesResource, Hashable {
    /// The API group.
    public static let group = ""
    /// The API version.
    public static let version = "v1"
    /// The kind.
    public static let kind = "Event"
    /// The plural resource name.
    public static let plural = "events"
    /// Whether the kind is namespaced.
    public static let namespaced = true

    /// The object's metadata.
    public var metadata: ObjectMeta
    /// The object the event is about.
    public var involvedObject: ObjectReference
    /// A short machine-readable reason, for example `SNATHealed`.
    public var reason: String?
    /// A human-readable message.
    public var message: String?
    /// `Normal` or `Warning`.
    public var type: String?
    /// How many times the event occurred.
    public var count: Int?
    /// When the event first occurred.
    public var firstTimestamp: Date?
    /// When the event last occurred.
    public var lastTimestamp: Date?
    /// The component that reported it.
    public var source: EventSource?
    /// The reporting controller, for example `cops-vigilante`.
    public var reportingComponent: String?
    /// The reporting instance, for example the pod name.
    public var reportingInstance: String?

    /// Creates an event.
    public init(
        metadata: ObjectMeta,
        involvedObject: ObjectReference,
        reason: String? = nil,
        message: String? = nil,
        type: String? = nil,
        count: Int? = nil,
        firstTimestamp: Date? = nil,
        lastTimestamp: Date? = nil,
        source: EventSource? = nil,
        reportingComponent: String? = nil,
        reportingInstance: String? = nil
    ) {
        self.metadata = metadata
        self.involvedObject = involvedObject
        self.reason = reason
        self.message = message
        self.type = type
        self.count = count
        self.firstTimestamp = firstTimestamp
        self.lastTimestamp = lastTimestamp
        self.source = source
        self.reportingComponent = reportingComponent
        self.reportingInstance = reportingInstance
    }
}

/// A reference to an object, as used by events.
public struct ObjectReference: Codable, Sendable, Hashable {
    /// The object's `apiVersion`.
    public var apiVersion: String?
    /// The object's kind.
    public var kind: String?
    /// The object's namespace.
    public var namespace: String?
    /// The object's name.
    public var name: String?
    /// The object's uid.
    public var uid: String?
    /// The object's resourceVersion.
    public var resourceVersion: String?
    /// A field inside the object.
    public var fieldPath: String?

    /// Creates a reference.
    public init(
        apiVersion: String? = nil,
        kind: String? = nil,
        namespace: String? = nil,
        name: String? = nil,
        uid: String? = nil,
        resourceVersion: String? = nil,
        fieldPath: String? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.fieldPath = fieldPath
    }

    /// A reference to the given object.
    public init<Target: KubernetesResource>(to object: Target) {
        self.init(
            apiVersion: Target.apiVersion,
            kind: Target.kind,
            namespace: object.metadata.namespace,
            name: object.metadata.name,
            uid: object.metadata.uid,
            resourceVersion: object.metadata.resourceVersion
        )
    }
}

/// The component (and host) that reported an event.
public struct EventSource: Codable, Sendable, Hashable {
    /// The component name.
    public var component: String?
    /// The host name.
    public var host: String?

    /// Creates a source.
    public init(component: String? = nil, host: String? = nil) {
        self.component = component
        self.host = host
    }
}
