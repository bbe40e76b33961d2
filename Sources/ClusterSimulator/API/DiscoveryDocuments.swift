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

    /// GET /apis/{group}/{version} for a group version the real server has but the simulator does not
    /// serve (apps/v1, batch/v1, ...): the resource list the real server builds from the same
    /// registrations as its aggregated discovery, rebuilt from the recorded aggregated document (only
    /// `storageVersionHash` is missing, which the aggregated form does not carry). kubectl 1.37 no
    /// longer asks for the v2beta1 aggregated form a 1.28 server offers (1.33 still does), so it asks every
    /// group version listed in /apis; without these answers it prints an error for each. Nil for a group version the
    /// real server does not list.
    static func derivedGroupVersion(_ group: String, _ version: String) -> String? {
        guard
            let entry = aggregatedGroups.first(where: { $0["metadata"]?["name"]?.stringValue == group }),
            let versions = entry["versions"]?.arrayValue,
            let recorded = versions.first(where: { $0["version"]?.stringValue == version })
        else { return nil }
        var resources: [JSONValue] = []
        for resource in recorded["resources"]?.arrayValue ?? [] {
            guard let name = resource["resource"]?.stringValue else { continue }
            let namespaced = JSONValue.bool(resource["scope"]?.stringValue == "Namespaced")
            resources.append(
                apiResource(
                    name: name, singularName: resource["singularResource"] ?? "", namespaced: namespaced,
                    responseKind: resource["responseKind"], verbs: resource["verbs"],
                    shortNames: resource["shortNames"], categories: resource["categories"]))
            for subresource in resource["subresources"]?.arrayValue ?? [] {
                guard let subname = subresource["subresource"]?.stringValue else { continue }
                resources.append(
                    apiResource(
                        name: "\(name)/\(subname)", singularName: "", namespaced: namespaced,
                        responseKind: subresource["responseKind"], verbs: subresource["verbs"]))
            }
        }
        let list: JSONValue = .object(
            JSONObject([
                .init(key: "kind", value: "APIResourceList"), .init(key: "apiVersion", value: "v1"),
                .init(key: "groupVersion", value: .string("\(group)/\(version)")),
                .init(key: "resources", value: .array(resources)),
            ]))
        return String(decoding: JSONWriter.encode(list), as: UTF8.self) + "\n"
    }

    /// One `APIResource` in the order and with the omissions of Go's encoder (`group` and `version`
    /// only when the kind is of another group version, empty lists left out).
    private static func apiResource(
        name: String, singularName: JSONValue, namespaced: JSONValue, responseKind: JSONValue?, verbs: JSONValue?,
        shortNames: JSONValue? = nil, categories: JSONValue? = nil
    ) -> JSONValue {
        var resource = JSONObject([
            .init(key: "name", value: .string(name)), .init(key: "singularName", value: singularName),
            .init(key: "namespaced", value: namespaced),
        ])
        for key in ["group", "version"] {
            if let value = responseKind?[key], value.stringValue?.isEmpty == false { resource[key] = value }
        }
        resource["kind"] = responseKind?["kind"] ?? ""
        resource["verbs"] = verbs ?? .array([])
        for (key, value) in [("shortNames", shortNames), ("categories", categories)] {
            if let value, value.arrayValue?.isEmpty == false { resource[key] = value }
        }
        return .object(resource)
    }

    /// The groups of the recorded aggregated discovery document.
    private static let aggregatedGroups: [JSONValue] =
        (try? JSONParser.parse(aggregatedAPIs))?["items"]?.arrayValue ?? []

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
