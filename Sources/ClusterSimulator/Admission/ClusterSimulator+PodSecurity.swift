extension ClusterSimulator {
    /// What Pod Security's audit mode recorded (the real server writes it to the audit log as the
    /// `pod-security.kubernetes.io/audit-violations` annotation), oldest first.
    public var podSecurityAuditRecords: [PodSecurityAuditRecord] {
        server.podSecurity.auditRecords
    }

    /// Sets the Pod Security labels of a namespace as an administrator would have before the test
    /// (`enforce`, `warn`, `audit`: a level, nil removes it; their `-version` labels `version`). Not
    /// admitted: use the API to see the warnings about existing pods.
    public func setPodSecurity(
        namespace: String, enforce: String? = nil, warn: String? = nil, audit: String? = nil,
        version: String = "latest"
    ) {
        write(BuiltinResources.namespaces, key: namespace, manager: "cluster-simulator") { object in
            var object = object
            var labels = object["metadata"]?["labels"]?.objectValue ?? JSONObject()
            for (mode, level) in [("enforce", enforce), ("warn", warn), ("audit", audit)] {
                labels[PodSecurityPolicy.labelPrefix + mode] = level.map { .string($0) }
                labels[PodSecurityPolicy.labelPrefix + mode + "-version"] = level.map { _ in .string(version) }
            }
            object["metadata"]?["labels"] = .object(labels)
            return object
        }
    }
}
