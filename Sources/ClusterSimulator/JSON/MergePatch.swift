/// RFC 7386 JSON merge patch and the subset of Kubernetes strategic merge patch that clients use.
enum MergePatch {
    /// RFC 7386: objects merge recursively, `null` deletes, anything else (lists too) replaces.
    static func apply(_ patch: JSONValue, to target: JSONValue) -> JSONValue {
        guard case .object(let patchObject) = patch else { return patch }
        var result: JSONObject
        if case .object(let targetObject) = target {
            result = targetObject
        } else {
            result = JSONObject()
        }
        for member in patchObject.members {
            if member.value.isNull {
                result[member.key] = nil
            } else {
                result[member.key] = apply(member.value, to: result[member.key] ?? .null)
            }
        }
        return .object(result)
    }

    /// Merge keys of the lists that Kubernetes merges by key rather than replaces (patchMergeKey).
    static let strategicMergeKeys: [String: String] = [
        "conditions": "type", "addresses": "type", "containers": "name", "initContainers": "name",
        "ephemeralContainers": "name", "volumes": "name", "env": "name", "volumeMounts": "mountPath",
        "ports": "containerPort", "ownerReferences": "uid", "imagePullSecrets": "name",
        "hostAliases": "ip", "topologySpreadConstraints": "topologyKey", "resourceClaims": "name",
        "containerStatuses": "name", "readinessGates": "conditionType",
    ]

    /// Lists of scalars merged as sets (patchStrategy merge without a key).
    static let strategicSetLists: Set<String> = ["finalizers"]

    /// Strategic merge patch (`application/strategic-merge-patch+json`).
    static func applyStrategic(_ patch: JSONValue, to target: JSONValue) -> JSONValue {
        guard case .object(let patchObject) = patch else { return patch }
        if patchObject["$patch"]?.stringValue == "replace" {
            var replaced = patchObject
            replaced["$patch"] = nil
            return .object(replaced)
        }
        var result: JSONObject
        if case .object(let targetObject) = target {
            result = targetObject
        } else {
            result = JSONObject()
        }
        for member in patchObject.members {
            let key = member.key
            if key.hasPrefix("$setElementOrder/") || key == "$retainKeys" || key == "$patch" { continue }
            if key.hasPrefix("$deleteFromPrimitiveList/") {
                let list = String(key.dropFirst("$deleteFromPrimitiveList/".count))
                if case .array(let existing) = result[list], case .array(let remove) = member.value {
                    result[list] = .array(existing.filter { !remove.contains($0) })
                }
                continue
            }
            if member.value.isNull {
                result[key] = nil
                continue
            }
            switch (member.value, result[key]) {
            case (.object, _):
                result[key] = applyStrategic(member.value, to: result[key] ?? .null)
            case (.array(let patchList), .array(let targetList)):
                if let mergeKey = strategicMergeKeys[key] {
                    result[key] = .array(mergeList(patchList, into: targetList, by: mergeKey))
                } else if strategicSetLists.contains(key) {
                    var merged = targetList
                    for element in patchList where !merged.contains(element) { merged.append(element) }
                    result[key] = .array(merged)
                } else {
                    result[key] = .array(patchList.map(stripDirectives))
                }
            default:
                result[key] = stripDirectives(member.value)
            }
        }
        return .object(result)
    }

    private static func mergeList(_ patch: [JSONValue], into target: [JSONValue], by mergeKey: String) -> [JSONValue] {
        var merged = target
        for element in patch {
            guard let keyValue = element[mergeKey] else {
                merged.append(element)
                continue
            }
            let index = merged.firstIndex { $0[mergeKey] == keyValue }
            if element["$patch"]?.stringValue == "delete" {
                if let index { merged.remove(at: index) }
                continue
            }
            if let index {
                merged[index] = applyStrategic(element, to: merged[index])
            } else {
                merged.append(stripDirectives(element))
            }
        }
        return merged
    }

    private static func stripDirectives(_ value: JSONValue) -> JSONValue {
        guard case .object(var object) = value else { return value }
        for key in object.keys where key.hasPrefix("$") { object[key] = nil }
        return .object(object)
    }
}
