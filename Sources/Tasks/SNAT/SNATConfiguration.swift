import VigilanteCore

/// The `tasks.snat` section: how Windows nodes are healed of the AKS SNAT problem.
public struct SNATConfiguration: TaskConfiguration, Equatable {
    public static let section = "snat"
    public static let summary =
        "Heals the AKS Windows SNAT problem: fresh pause pods on every newly Ready Windows node for a window, "
        + "then the annotation cops-vigilante-snat-node-healed=true."
    public static let enabledByDefault = true
    public static let defaultInterval: Duration = .seconds(30)

    /// The default healer image: a multi-arch pause image with Windows Server 2019/2022 variants.
    public static let defaultImage = "mcr.microsoft.com/oss/kubernetes/pause:3.9"

    /// How long a newly Ready node keeps getting fresh healer pods.
    public var healingDuration: Duration
    /// Namespace of the healer pods.
    public var namespace: String
    /// Healer pod image.
    public var image: String
    /// Healer pod tolerations.
    public var tolerations: [Toleration]
    /// Healer pod priority class, if any.
    public var priorityClassName: String?
    /// Labels added to the healer pods' own (policies that require labels).
    public var podLabels: [String: String]
    /// Annotations of the healer pods.
    public var podAnnotations: [String: String]
    /// Secrets for pulling the healer image (a private mirror of the pause image).
    public var imagePullSecrets: [String]
    /// Resource requests of the healer container.
    public var resourceRequests: [String: String]
    /// Resource limits of the healer container (default: equal to the requests).
    public var resourceLimits: [String: String]
    /// Healer pod runtime class, if any.
    public var runtimeClassName: String?
    /// Extra label selector narrowing the Windows nodes considered.
    public var nodeSelector: String?
    /// First delay after a failed step on a node.
    public var backoffBase: Duration
    /// Longest delay between retries on a failing node.
    public var backoffCap: Duration
    /// Heal a healed node again when it rebooted since (its `status.nodeInfo.bootID` changed).
    public var healAfterReboot: Bool

    public init(reading reader: inout ConfigReader, environment: ConfigEnvironment) throws(ConfigurationError) {
        healingDuration = try reader.duration(
            "healingDuration", default: .seconds(30 * 60),
            summary: "How long a newly Ready Windows node gets a fresh healer pod every interval.")
        namespace =
            try reader.string(
                "namespace", default: environment.operatorNamespace, summary: "Namespace of the healer pods.",
                defaultDescription: "the operator's namespace", validate: validateDNSLabel)
            ?? environment.operatorNamespace
        image =
            try reader.string(
                "image", default: Self.defaultImage, summary: "Healer pod image (a pause image is enough).",
                validate: { $0.contains(where: \.isWhitespace) ? "must be an image reference, got \"\($0)\"" : nil })
            ?? Self.defaultImage
        tolerations = try reader.list(
            "tolerations", type: "list of tolerations", defaultValue: [Toleration.everything],
            defaultDescription: "[{operator: Exists}] (tolerate every taint)",
            summary: "Healer pod tolerations, as Kubernetes toleration objects.",
            aliases: ["healing_pod_tolerations"]
        ) { (item) throws(ConfigurationError) in
            let toleration = Toleration(
                key: try item.string("key", default: nil, summary: "Taint key; empty matches every key."),
                operator: try item.string(
                    "operator", default: nil, summary: "How the value is compared (Kubernetes default Equal).",
                    allowed: ["Exists", "Equal"]),
                value: try item.string("value", default: nil, summary: "Taint value for Equal."),
                effect: try item.string(
                    "effect", default: nil, summary: "Taint effect; empty matches every effect.",
                    allowed: ["NoSchedule", "PreferNoSchedule", "NoExecute"]),
                tolerationSeconds: try item.integer(
                    "tolerationSeconds", default: nil, range: 0...Int(Int32.max),
                    summary: "How long a NoExecute taint is tolerated."
                ).map(Int64.init))
            if toleration.operator == "Exists", toleration.value != nil {
                throw item.error(at: "value", "must be empty when operator is Exists")
            }
            return toleration
        }
        priorityClassName = try reader.string(
            "priorityClassName", default: nil, summary: "Priority class of the healer pods.",
            validate: validateDNSSubdomain)
        let pod = try Self.readHealerPodKeys(&reader)
        (podLabels, podAnnotations, imagePullSecrets) = (pod.labels, pod.annotations, pod.imagePullSecrets)
        (resourceRequests, resourceLimits, runtimeClassName) = (pod.requests, pod.limits, pod.runtimeClassName)
        nodeSelector = try reader.string(
            "nodeSelector", default: nil,
            summary: "Extra label selector narrowing the Windows nodes healed (e.g. agentpool=win22).",
            validate: validateLabelSelector)
        let backoff = try reader.section("backoff") { (section) throws(ConfigurationError) in
            (
                base: try section.duration(
                    "base", default: .seconds(10), summary: "First retry delay after a failed step on a node."),
                cap: try section.duration(
                    "cap", default: .seconds(10 * 60), summary: "Longest retry delay for a failing node.")
            )
        }
        backoffBase = backoff.base
        backoffCap = backoff.cap
        healAfterReboot = try reader.bool(
            "healAfterReboot", default: true,
            summary: "Heal a healed node again when it rebooted since (a new status.nodeInfo.bootID): Azure CNI "
                + "rebuilds its Windows network at boot. Nodes healed before the boot ID was recorded stay healed.")
    }
}
