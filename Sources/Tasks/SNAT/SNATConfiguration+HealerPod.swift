import VigilanteCore

extension SNATConfiguration {
    /// The healer container's default requests: small enough for any node, not zero (not BestEffort).
    public static let defaultRequests = ["cpu": "1m", "memory": "8Mi"]

    /// The keys that fit healer pods to a cluster's admission policies (required labels, private image
    /// mirrors, resource limits, runtime and priority classes).
    static func readHealerPodKeys(_ reader: inout ConfigReader) throws(ConfigurationError) -> (
        labels: [String: String], annotations: [String: String], imagePullSecrets: [String],
        requests: [String: String], limits: [String: String], runtimeClassName: String?
    ) {
        let ownLabels = Set(HealerPodSpec.ownLabelKeys)
        let labels = try reader.stringMap(
            "podLabels", default: [],
            summary: "Extra labels of the healer pods (for policies that require labels); cannot replace the "
                + "operator's own (\(HealerPodSpec.ownLabelKeys.joined(separator: ", "))).",
            validateKey: { key in
                if ownLabels.contains(key) { return "\"\(key)\" is set by the operator and cannot be changed" }
                return validateQualifiedName(key)
            }, validateValue: validateLabelValue)
        let annotations = try reader.stringMap(
            "podAnnotations", default: [], summary: "Annotations of the healer pods.",
            validateKey: validateQualifiedName)
        let imagePullSecrets = try reader.stringList(
            "imagePullSecrets", default: [],
            summary: "Secrets (in the healer namespace) for pulling the healer image, e.g. from a private mirror.",
            validate: validateDNSSubdomain)
        let resources = try reader.section("resources") { (section) throws(ConfigurationError) in
            let requests = try section.stringMap(
                "requests", default: defaultRequests.sorted { $0.key < $1.key },
                summary: "Resource requests of the healer container.", validateKey: validateQualifiedName,
                validateValue: validateQuantity)
            let limits = try section.stringMap(
                "limits", default: [],
                summary: "Resource limits of the healer container (policies often require them).",
                defaultDescription: "equal to the requests", validateKey: validateQualifiedName,
                validateValue: validateQuantity)
            let requestMap = Dictionary(requests) { first, _ in first }
            let limitMap = Dictionary(limits) { first, _ in first }
            for (name, limit) in limits {
                if let request = requestMap[name], let limitValue = parseQuantity(limit),
                    let requestValue = parseQuantity(request), limitValue < requestValue
                {
                    throw section.error(
                        at: "limits", "the \(name) limit \(limit) must be at least its request \(request)")
                }
            }
            return (requests: requestMap, limits: limits.isEmpty ? requestMap : limitMap)
        }
        let runtimeClassName = try reader.string(
            "runtimeClassName", default: nil, summary: "Runtime class of the healer pods.",
            validate: validateDNSSubdomain)
        return (
            Dictionary(labels) { first, _ in first }, Dictionary(annotations) { first, _ in first }, imagePullSecrets,
            resources.requests, resources.limits, runtimeClassName
        )
    }
}
