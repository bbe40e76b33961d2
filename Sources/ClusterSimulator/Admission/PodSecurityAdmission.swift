/// A Pod Security Standards level, least to most restrictive.
enum PodSecurityLevel: Int, Comparable, Sendable {
    case privileged, baseline, restricted

    init?(label: String) {
        switch label {
        case "privileged": self = .privileged
        case "baseline": self = .baseline
        case "restricted": self = .restricted
        default: return nil
        }
    }

    var name: String {
        switch self {
        case .privileged: "privileged"
        case .baseline: "baseline"
        case .restricted: "restricted"
        }
    }

    static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A level at a policy version: `restricted:latest`, `baseline:v1.25`.
struct PodSecurityLevelVersion: Hashable, Sendable, CustomStringConvertible {
    var level: PodSecurityLevel
    /// The minor of a `v1.x` version; nil is `latest`.
    var minor: Int?

    static let privilegedLatest = PodSecurityLevelVersion(level: .privileged, minor: nil)

    var description: String { "\(level.name):\(minor.map { "v1.\($0)" } ?? "latest")" }

    /// The violations of a pod at this level and version.
    func violations(of pod: PodSecurityChecks.PodView) -> [PodSecurityChecks.Violation] {
        PodSecurityChecks.violations(of: pod, level: level, minor: minor ?? PodSecurityChecks.newestMinor)
    }
}

/// The policy a namespace's `pod-security.kubernetes.io/*` labels set (unset modes are `privileged:latest`).
struct PodSecurityPolicy: Equatable, Sendable {
    static let labelPrefix = "pod-security.kubernetes.io/"

    var enforce = PodSecurityLevelVersion.privilegedLatest
    var audit = PodSecurityLevelVersion.privilegedLatest
    var warn = PodSecurityLevelVersion.privilegedLatest

    /// Reads the labels as the plugin does: an invalid enforce level fails closed (`restricted`), invalid
    /// audit and warn levels fail open (`privileged`), an invalid version is `latest`, and `warn` follows
    /// an explicitly stricter `enforce` when it is not set itself.
    init(labels: [String: String]) {
        self.init()
        _ = Self.parse(labels, into: &self)
    }

    init() {}

    /// The labels' errors, as the causes of a 422 (empty when they are valid).
    static func causes(of labels: [String: String]) -> [APIError.Cause] {
        var policy = PodSecurityPolicy()
        return parse(labels, into: &policy)
    }

    private static func parse(_ labels: [String: String], into policy: inout PodSecurityPolicy) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        func level(_ mode: String, failClosed: Bool) -> PodSecurityLevel? {
            guard let text = labels[labelPrefix + mode] else { return nil }
            if let level = PodSecurityLevel(label: text) { return level }
            causes.append(
                Validation.invalid(
                    "metadata.labels[\(labelPrefix + mode)]", text, "must be one of privileged, baseline, restricted"))
            return failClosed ? .restricted : .privileged
        }
        func version(_ mode: String) -> Int?? {
            guard let text = labels[labelPrefix + mode + "-version"] else { return nil }
            if text == "latest" { return .some(nil) }
            if text.hasPrefix("v1."), case let minor = text.dropFirst(3), !minor.isEmpty,
                minor.allSatisfy(\.isASCII), minor.allSatisfy(\.isNumber), minor == "0" || !minor.hasPrefix("0"),
                let value = Int(minor)
            {
                return .some(value)
            }
            causes.append(
                Validation.invalid(
                    "metadata.labels[\(labelPrefix + mode)-version]", text, "must be \"latest\" or \"v1.x\""))
            return .some(nil)
        }
        let enforceLevel = level("enforce", failClosed: true)
        if let enforceLevel { policy.enforce.level = enforceLevel }
        let enforceValid = enforceLevel != nil && causes.isEmpty
        if let minor = version("enforce") { policy.enforce.minor = minor }
        if let auditLevel = level("audit", failClosed: false) { policy.audit.level = auditLevel }
        if let minor = version("audit") { policy.audit.minor = minor }
        let warnLevel = level("warn", failClosed: false)
        if let warnLevel { policy.warn.level = warnLevel }
        let warnVersion = version("warn")
        if let warnVersion { policy.warn.minor = warnVersion }
        if warnLevel == nil, enforceValid, policy.enforce.level > policy.warn.level {
            policy.warn.level = policy.enforce.level
            if warnVersion == nil { policy.warn.minor = policy.enforce.minor }
        }
        return causes
    }
}

/// What the audit mode of Pod Security recorded about one request (the real server puts it in the
/// audit log as the `pod-security.kubernetes.io/audit-violations` annotation).
public struct PodSecurityAuditRecord: Sendable, Equatable {
    public var namespace: String
    public var name: String
    public var violations: String

    public init(namespace: String, name: String, violations: String) {
        self.namespace = namespace
        self.name = name
        self.violations = violations
    }
}

/// The PodSecurity validating admission stage of the simulated kube-apiserver v1.28 (no exemptions,
/// default policy `privileged:latest`, as the recordings were made): pods are checked on create and on
/// updates that change containers or images against their namespace's enforce (403), warn (`Warning`
/// headers) and audit levels; namespaces' labels are validated (422) and raising a namespace's
/// enforce level warns about the existing pods that violate it.
final class PodSecurityAdmission: Sendable {
    /// The plugin's `namespaceMaxPodsToCheck`.
    static let maxPodsToCheck = 3000
    private static let ignoredPodSubresources: Set<String> = [
        "exec", "attach", "binding", "eviction", "log", "portforward", "proxy", "status",
    ]

    private let audit = Locked<[PodSecurityAuditRecord]>([])

    /// The audit-mode violations recorded so far.
    var auditRecords: [PodSecurityAuditRecord] { audit.current }

    /// Admits a create (`old` nil) or update of `object`; returns the warnings to send. Throws 403
    /// Forbidden for a pod its namespace's enforce level rejects, 422 for invalid namespace labels.
    func admit(
        _ definition: ResourceDefinition, subresource: String?, object: JSONObject, old: JSONObject?,
        in transaction: ObjectStore.Transaction
    ) throws -> [String] {
        guard definition.group.isEmpty else { return [] }
        switch definition.resource {
        case "pods":
            if let subresource, Self.ignoredPodSubresources.contains(subresource) { return [] }
            return try admitPod(object, old: old, transaction)
        case "namespaces":
            guard subresource == nil else { return [] }
            return try admitNamespace(object, old: old, transaction)
        default:
            return []
        }
    }

    // MARK: pods

    private func admitPod(_ object: JSONObject, old: JSONObject?, _ transaction: ObjectStore.Transaction) throws
        -> [String]
    {
        let pod = JSONValue.object(object)
        let namespace = pod["metadata"]["namespace"]?.stringValue ?? ""
        let name = pod["metadata"]["name"]?.stringValue ?? ""
        guard let stored = transaction.get(BuiltinResources.namespaces.storageKey, key: namespace) else { return [] }
        let labels = stored.object["metadata"]["labels"]?.stringMap ?? [:]
        let policy = PodSecurityPolicy(labels: labels)
        let labelErrors = !PodSecurityPolicy.causes(of: labels).isEmpty
        if !labelErrors, [policy.enforce, policy.audit, policy.warn].allSatisfy({ $0.level == .privileged }) {
            return []
        }
        if let old, !Self.isSignificantUpdate(pod, old: .object(old)) { return [] }
        let view = PodSecurityChecks.PodView(metadata: pod["metadata"], spec: pod["spec"])
        var results: [PodSecurityLevelVersion: [PodSecurityChecks.Violation]] = [:]
        func evaluate(_ levelVersion: PodSecurityLevelVersion) -> [PodSecurityChecks.Violation] {
            if let cached = results[levelVersion] { return cached }
            let violations = levelVersion.violations(of: view)
            results[levelVersion] = violations
            return violations
        }
        let enforced = evaluate(policy.enforce)
        let audited = evaluate(policy.audit)
        if !audited.isEmpty {
            let annotation = "would violate PodSecurity \"\(policy.audit)\": \(Self.detail(audited))"
            audit.withLock {
                $0.append(PodSecurityAuditRecord(namespace: namespace, name: name, violations: annotation))
            }
        }
        if !enforced.isEmpty {
            var details = JSONObject()
            if !name.isEmpty { details["name"] = .string(name) }
            details["kind"] = "pods"
            throw APIError(
                code: 403, reason: "Forbidden",
                message:
                    "pods \"\(name)\" is forbidden: violates PodSecurity \"\(policy.enforce)\": \(Self.detail(enforced))",
                details: details)
        }
        let warned = evaluate(policy.warn)
        guard !warned.isEmpty else { return [] }
        return ["would violate PodSecurity \"\(policy.warn)\": \(Self.detail(warned))"]
    }

    /// `reason (detail), reason (detail)`: the plugin's `ForbiddenDetail`.
    static func detail(_ violations: [PodSecurityChecks.Violation]) -> String {
        violations.map { $0.detail.isEmpty ? $0.reason : "\($0.reason) (\($0.detail))" }.joined(separator: ", ")
    }

    /// Only changes the plugin looks at on update: containers added or removed, images, seccomp annotations.
    private static func isSignificantUpdate(_ pod: JSONValue, old: JSONValue) -> Bool {
        let annotations = pod["metadata"]["annotations"]?.stringMap ?? [:]
        let oldAnnotations = old["metadata"]["annotations"]?.stringMap ?? [:]
        for list in ["containers", "initContainers"] {
            let containers = pod["spec"][list]?.arrayValue ?? []
            let oldContainers = old["spec"][list]?.arrayValue ?? []
            if containers.count != oldContainers.count { return true }
            for (container, oldContainer) in zip(containers, oldContainers) {
                if container["image"] != oldContainer["image"] { return true }
                let key = "container.seccomp.security.alpha.kubernetes.io/" + (container["name"]?.stringValue ?? "")
                if annotations[key] != oldAnnotations[key] { return true }
            }
        }
        let oldEphemeral = old["spec"]["ephemeralContainers"]?.arrayValue ?? []
        for container in pod["spec"]["ephemeralContainers"]?.arrayValue ?? [] {
            guard let oldContainer = oldEphemeral.first(where: { $0["name"] == container["name"] }) else { return true }
            if container["image"] != oldContainer["image"] { return true }
        }
        return false
    }

    // MARK: namespaces

    private func admitNamespace(_ object: JSONObject, old: JSONObject?, _ transaction: ObjectStore.Transaction) throws
        -> [String]
    {
        let namespace = JSONValue.object(object)
        let name = namespace["metadata"]["name"]?.stringValue ?? ""
        let labels = namespace["metadata"]["labels"]?.stringMap ?? [:]
        let causes = PodSecurityPolicy.causes(of: labels)
        guard let old else {
            if !causes.isEmpty { throw APIError.invalid(kind: "Namespace", group: "", name: name, causes: causes) }
            return []
        }
        let oldLabels = JSONValue.object(old)["metadata"]["labels"]?.stringMap ?? [:]
        let oldCauses = PodSecurityPolicy.causes(of: oldLabels)
        // Invalid labels are refused unless they were already there, unchanged.
        if !causes.isEmpty,
            oldCauses.isEmpty || causes.map(\.message) != oldCauses.map(\.message)
                || causes.map(\.field) != oldCauses.map(\.field)
        {
            throw APIError.invalid(kind: "Namespace", group: "", name: name, causes: causes)
        }
        let enforce = PodSecurityPolicy(labels: labels).enforce
        let oldEnforce = PodSecurityPolicy(labels: oldLabels).enforce
        if enforce == oldEnforce || enforce.level == .privileged { return [] }
        if enforce.minor == oldEnforce.minor, enforce.level <= oldEnforce.level { return [] }
        return existingPodWarnings(namespace: name, enforce: enforce, transaction)
    }

    /// The plugin's `EvaluatePodsInNamespace`: one warning naming the namespace, then one per distinct set
    /// of violated checks, prefixed with the first pod name and how many others share it.
    private func existingPodWarnings(
        namespace: String, enforce: PodSecurityLevelVersion, _ transaction: ObjectStore.Transaction
    ) -> [String] {
        let pods = transaction.list(BuiltinResources.pods.storageKey, namespace: namespace)
        var byReasons: [String: (name: String, count: Int)] = [:]
        var order: [String] = []
        for stored in pods.prefix(Self.maxPodsToCheck) {
            let pod = stored.object
            let violations = enforce.violations(
                of: PodSecurityChecks.PodView(metadata: pod["metadata"], spec: pod["spec"]))
            guard !violations.isEmpty else { continue }
            let reasons = violations.map(\.reason).joined(separator: ", ")
            let podName = pod["metadata"]["name"]?.stringValue ?? ""
            if var entry = byReasons[reasons] {
                entry.count += 1
                if podName < entry.name { entry.name = podName }
                byReasons[reasons] = entry
            } else {
                byReasons[reasons] = (podName, 1)
                order.append(reasons)
            }
        }
        var warnings: [String] = []
        if pods.count > Self.maxPodsToCheck {
            warnings.append(
                "new PodSecurity enforce level only checked against the first \(Self.maxPodsToCheck) of \(pods.count) existing pods"
            )
        }
        guard !order.isEmpty else { return warnings }
        warnings.append(
            "existing pods in namespace \"\(namespace)\" violate the new PodSecurity enforce level \"\(enforce)\"")
        let podWarnings = order.map { reasons -> String in
            let entry = byReasons[reasons]!
            switch entry.count {
            case 1: return "\(entry.name): \(reasons)"
            case 2: return "\(entry.name) (and 1 other pod): \(reasons)"
            default: return "\(entry.name) (and \(entry.count - 1) other pods): \(reasons)"
            }
        }
        return warnings + podWarnings.sorted()
    }
}
