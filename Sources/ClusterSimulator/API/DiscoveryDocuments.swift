import Crypto

/// The discovery and non-resource documents the simulated API server answers.
enum DiscoveryDocuments {
    /// GET /apis/{group}: the APIGroup entry of /apis.
    static func group(_ name: String) -> JSONValue? {
        guard let list = try? JSONParser.parse(apis), case .array(let groups) = list["groups"],
            let entry = groups.first(where: { $0["name"]?.stringValue == name }),
            case .object(let members) = entry
        else { return nil }
        var group = JSONObject([.init(key: "kind", value: "APIGroup"), .init(key: "apiVersion", value: "v1")])
        for member in members.members { group[member.key] = member.value }
        return .object(group)
    }

    /// GET /apis/{group}/{version}.
    static func groupVersion(_ group: String, _ version: String) -> String {
        switch (group, version) {
        case ("coordination.k8s.io", "v1"): return coordinationV1
        case ("events.k8s.io", "v1"): return eventsV1
        default:
            return
                "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"\(group)/\(version)\",\"resources\":[]}\n"
        }
    }

    /// The Etag of an aggregated discovery document (SHA-512, upper-case hex, as the real server).
    static func etag(_ document: String) -> String {
        SHA512.hash(data: Array(document.utf8)).map { byte in
            let hex = String(byte, radix: 16, uppercase: true)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    /// GET /healthz?verbose and /livez?verbose.
    static func healthzVerbose(_ endpoint: String) -> String {
        let checks = [
            "ping", "log", "etcd", "poststarthook/start-kube-apiserver-admission-initializer",
            "poststarthook/generic-apiserver-start-informers", "poststarthook/rbac/bootstrap-roles",
        ]
        return checks.map { "[+]\($0) ok\n" }.joined() + "\(endpoint) check passed\n"
    }
}
