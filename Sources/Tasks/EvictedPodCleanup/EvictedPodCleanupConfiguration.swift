import VigilanteCore

// snippet:config
/// The `tasks.evictedPodCleanup` section: which evicted pods are deleted, and how many at a time.
public struct EvictedPodCleanupConfiguration: TaskConfiguration, Equatable {
    public static let section = "evictedPodCleanup"
    public static let summary =
        "Deletes evicted pods (phase Failed, reason Evicted) once they are older than minAge, "
        + "so they stop cluttering kubectl get pods and monitoring."
    public static let enabledByDefault = false
    public static let defaultInterval: Duration = .seconds(5 * 60)

    /// How long an evicted pod is kept, counted from its last state transition.
    public var minAge: Duration
    /// Namespaces whose pods are never deleted.
    public var excludeNamespaces: [String]
    /// When not empty, only pods in these namespaces are deleted.
    public var includeNamespaces: [String]
    /// Only pods matching this label selector are considered (applied by the API server).
    public var labelSelector: String?
    /// At most this many pods are deleted in one pass.
    public var maxDeletionsPerRun: Int

    public init(reading reader: inout ConfigReader, environment: ConfigEnvironment) throws(ConfigurationError) {
        minAge = try reader.duration(
            "minAge", default: .seconds(60 * 60),
            summary: "How long an evicted pod is kept after its last state transition (else its creation).")
        excludeNamespaces = try reader.stringList(
            "excludeNamespaces", default: ["kube-system"], summary: "Namespaces whose evicted pods are never deleted.",
            validate: validateDNSLabel)
        includeNamespaces = try reader.stringList(
            "includeNamespaces", default: [],
            summary: "When not empty, only evicted pods in these namespaces are deleted.", validate: validateDNSLabel)
        labelSelector = try reader.string(
            "labelSelector", default: nil,
            summary: "Only evicted pods matching this label selector are deleted (e.g. team=batch); empty: all.",
            validate: { $0.isEmpty ? nil : validateLabelSelector($0) }
        ).flatMap { $0.isEmpty ? nil : $0 }
        maxDeletionsPerRun =
            try reader.integer(
                "maxDeletionsPerRun", default: 100, range: 1...10_000,
                summary: "Most pods deleted in one pass; the rest wait for the next pass.") ?? 100
        if let both = includeNamespaces.first(where: excludeNamespaces.contains) {
            throw reader.error(
                at: "includeNamespaces",
                "\(both) is also in excludeNamespaces (default [kube-system]); remove it from one of the two lists")
        }
    }
}
// end-snippet
