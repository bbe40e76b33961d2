/// One resource request as the simulated API server authorised and answered it.
public struct AccessLogEntry: Sendable, Equatable, CustomStringConvertible {
    /// get, list, watch, create, update, patch, delete or deletecollection.
    public var verb: String
    /// API group, "" for core.
    public var group: String
    /// Resource, with the subresource after a slash (`nodes/status`).
    public var resource: String
    public var namespace: String?
    public var name: String?
    public var user: String
    /// HTTP status code answered.
    public var code: Int

    public init(
        verb: String, group: String, resource: String, namespace: String?, name: String?, user: String, code: Int
    ) {
        self.verb = verb
        self.group = group
        self.resource = resource
        self.namespace = namespace
        self.name = name
        self.user = user
        self.code = code
    }

    public var description: String {
        "\(user) \(verb) \(group.isEmpty ? "core" : group)/\(resource) ns=\(namespace ?? "-") name=\(name ?? "-") -> \(code)"
    }
}

/// An allow rule: a user may use these verbs on these resources of a group, in a namespace or
/// cluster-wide. `*` matches anything.
struct AllowRule: Sendable {
    var user: String
    var verbs: [String]
    var group: String
    var resources: [String]
    /// nil: every namespace and cluster-scoped resources.
    var namespace: String?

    func allows(user: UserInfo, verb: String, group: String, resource: String, namespace: String?) -> Bool {
        guard self.user == user.name || self.user == "*" || user.groups.contains(self.user) else { return false }
        guard verbs.contains(verb) || verbs.contains("*") else { return false }
        guard self.group == group || self.group == "*" else { return false }
        guard resources.contains(resource) || resources.contains("*") else { return false }
        if let required = self.namespace {
            return required == namespace || required == "*"
        }
        return true
    }
}

/// Authentication, authorization and fault-injection settings, changeable while serving.
struct AccessControlState: Sendable {
    var tokens: [String: UserInfo] = [:]
    var rules: [AllowRule] = []
    var log: [AccessLogEntry] = []
    var anonymousEnabled = true
    var latency: Duration = .zero
    var failureFraction: Double = 0
    var failureStatuses: [Int] = []
    var retryAfterSeconds = 1
    var writes = WriteLoad()

    func isAllowed(user: UserInfo, verb: String, group: String, resource: String, namespace: String?) -> Bool {
        if user.groups.contains("system:masters") { return true }
        return rules.contains {
            $0.allows(user: user, verb: verb, group: group, resource: resource, namespace: namespace)
        }
    }
}
