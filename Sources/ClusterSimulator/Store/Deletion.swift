import Foundation

/// DELETE semantics of the generic registry: preconditions, graceful deletion of pods, finalizers,
/// namespace teardown and ownerReference garbage collection.
enum Deletion {
    static func delete(
        _ definition: ResourceDefinition, key: String, name: String, options: APIServer.DeleteOptions,
        transaction: ObjectStore.Transaction, registry: ResourceRegistry, depth: Int = 0
    ) throws -> StoredObject {
        guard let existing = transaction.get(definition.storageKey, key: key) else {
            throw APIError.notFound(resource: definition.resource, group: definition.group, name: name)
        }
        if let uid = options.preconditionUID, uid != existing.uid {
            throw preconditionFailed(
                definition, name: name,
                detail:
                    "the UID in the precondition (\(uid)) does not match the UID in record (\(existing.uid)). The object might have been deleted and then recreated"
            )
        }
        if let rv = options.preconditionResourceVersion, rv != String(existing.revision) {
            throw preconditionFailed(
                definition, name: name,
                detail:
                    "the ResourceVersion in the precondition (\(rv)) does not match the ResourceVersion in record (\(existing.revision)). The object might have been modified"
            )
        }
        if options.dryRun { return existing }
        var object = existing.object.objectValue ?? JSONObject()
        var metadata = object["metadata"]?.objectValue ?? JSONObject()
        let finalizers = metadata["finalizers"]?.arrayValue ?? []
        let orphan = options.propagationPolicy == "Orphan"

        if definition.storageKey == "pods" {
            var period = options.gracePeriodSeconds ?? object["spec"]["terminationGracePeriodSeconds"]?.intValue ?? 30
            if (object["spec"]["nodeName"]?.stringValue ?? "").isEmpty { period = 0 }
            let phase = object["status"]["phase"]?.stringValue
            if phase == "Succeeded" || phase == "Failed" { period = 0 }
            if period < 0 { period = 1 }
            if let deletion = metadata["deletionTimestamp"]?.stringValue {
                let current = metadata["deletionGracePeriodSeconds"]?.intValue ?? 0
                if current != 0 {
                    guard let requested = options.gracePeriodSeconds, requested < current else {
                        return existing  // graceful deletion already pending
                    }
                    let base = Timestamps.parse(deletion) ?? Date()
                    let moved = base.addingTimeInterval(Double(requested - current))
                    metadata["deletionTimestamp"] = .string(Timestamps.time(moved))
                    metadata["deletionGracePeriodSeconds"] = .int(requested)
                    period = requested
                    object["metadata"] = .object(metadata)
                    let updated = transaction.put(definition, key: key, object: object)
                    if period == 0 && finalizers.isEmpty {
                        removeWithDependents(
                            definition, key: key, transaction: transaction, registry: registry, orphan: orphan,
                            depth: depth)
                    }
                    return updated
                }
                removeWithDependents(
                    definition, key: key, transaction: transaction, registry: registry, orphan: orphan, depth: depth)
                return existing
            }
            metadata["deletionTimestamp"] = .string(Timestamps.time(Date().addingTimeInterval(Double(period))))
            metadata["deletionGracePeriodSeconds"] = .int(period)
            object["metadata"] = .object(metadata)
            let updated = transaction.put(definition, key: key, object: object)
            if period == 0 && finalizers.isEmpty {
                removeWithDependents(
                    definition, key: key, transaction: transaction, registry: registry, orphan: orphan, depth: depth)
            }
            return updated
        }

        if definition.storageKey == "namespaces" {
            if metadata["deletionTimestamp"] == nil {
                metadata["deletionTimestamp"] = .string(Timestamps.time())
                metadata["deletionGracePeriodSeconds"] = 0
                object["metadata"] = .object(metadata)
                object["status"] = ["phase": "Terminating"]
            }
            let terminating = transaction.put(definition, key: key, object: object)
            // The namespace controller's work: delete the contents, then the namespace.
            for contentDefinition in registry.definitions
            where contentDefinition.namespaced && contentDefinition.fromStorage == nil {
                for item in transaction.list(contentDefinition.storageKey, namespace: name) {
                    var forced = APIServer.DeleteOptions()
                    forced.gracePeriodSeconds = 0
                    _ = try? delete(
                        contentDefinition, key: item.key, name: item.name, options: forced, transaction: transaction,
                        registry: registry, depth: depth + 1)
                }
            }
            transaction.remove(definition, key: key)
            return terminating
        }

        if !finalizers.isEmpty {
            if metadata["deletionTimestamp"] == nil {
                metadata["deletionTimestamp"] = .string(Timestamps.time())
                metadata["deletionGracePeriodSeconds"] = 0
                object["metadata"] = .object(metadata)
                return transaction.put(definition, key: key, object: object)
            }
            return existing
        }
        return removeWithDependents(
            definition, key: key, transaction: transaction, registry: registry, orphan: orphan, depth: depth)
            ?? existing
    }

    @discardableResult
    static func removeWithDependents(
        _ definition: ResourceDefinition, key: String, transaction: ObjectStore.Transaction, registry: ResourceRegistry,
        orphan: Bool, depth: Int
    ) -> StoredObject? {
        guard let removed = transaction.remove(definition, key: key) else { return nil }
        guard !orphan, depth < 8 else { return removed }
        collectGarbage(
            owner: removed, ownerDefinition: definition, transaction: transaction, registry: registry, depth: depth)
        return removed
    }

    /// Deletes the dependents of a removed owner (background propagation). Pods bound to a node
    /// that no longer exists are force-deleted, as the pod garbage collector does.
    static func collectGarbage(
        owner: StoredObject, ownerDefinition: ResourceDefinition, transaction: ObjectStore.Transaction,
        registry: ResourceRegistry, depth: Int
    ) {
        let podsDefinition = BuiltinResources.pods
        var podKeys = Set<String>()
        if ownerDefinition.storageKey == "nodes" {
            for pod in transaction.list(
                podsDefinition.storageKey, namespace: nil, indexed: ("spec.nodeName", owner.name))
            {
                podKeys.insert(pod.key)
            }
        }
        for definition in registry.definitions where definition.fromStorage == nil {
            for dependent in transaction.dependents(of: owner.uid, storageKey: definition.storageKey) {
                if definition.storageKey == "pods" {
                    podKeys.insert(dependent.key)
                    continue
                }
                var options = APIServer.DeleteOptions()
                options.propagationPolicy = "Background"
                _ = try? delete(
                    definition, key: dependent.key, name: dependent.name, options: options, transaction: transaction,
                    registry: registry, depth: depth + 1)
            }
        }
        for key in podKeys.sorted() {
            guard let pod = transaction.get(podsDefinition.storageKey, key: key) else { continue }
            var options = APIServer.DeleteOptions()
            let nodeName = pod.object["spec"]["nodeName"]?.stringValue ?? ""
            if nodeName.isEmpty || transaction.get("nodes", key: nodeName) == nil {
                options.gracePeriodSeconds = 0
            }
            _ = try? delete(
                podsDefinition, key: key, name: pod.name, options: options, transaction: transaction,
                registry: registry, depth: depth + 1)
        }
    }

    private static func preconditionFailed(_ definition: ResourceDefinition, name: String, detail: String) -> APIError {
        APIError(
            code: 409, reason: "Conflict",
            message: "Operation cannot be fulfilled on \(definition.kind) \"\(name)\": \(detail)",
            details: APIError.objectDetails(name: name, group: definition.group, kind: definition.kind))
    }
}

/// `metadata.managedFields` bookkeeping: one `Update` entry per manager and subresource.
enum ManagedFields {
    static func updated(
        _ existing: JSONValue?, manager: String, apiVersion: String, subresource: String?, time: String,
        fields: JSONObject
    ) -> JSONValue {
        var entries = existing?.arrayValue ?? []
        entries.removeAll {
            $0["manager"]?.stringValue == manager && $0["operation"]?.stringValue == "Update"
                && $0["subresource"]?.stringValue == subresource
        }
        var entry = JSONObject()
        entry["manager"] = .string(manager)
        entry["operation"] = "Update"
        entry["apiVersion"] = .string(apiVersion)
        entry["time"] = .string(time)
        entry["fieldsType"] = "FieldsV1"
        entry["fieldsV1"] = fieldSet(fields, subresource: subresource)
        if let subresource { entry["subresource"] = .string(subresource) }
        entries.append(.object(entry))
        return .array(entries)
    }

    /// A FieldsV1 set approximated from the fields the request carried.
    private static func fieldSet(_ fields: JSONObject, subresource: String?) -> JSONValue {
        var result = JSONObject()
        for member in fields.members {
            switch member.key {
            case "kind", "apiVersion": continue
            case "status" where subresource == nil: continue
            case "metadata":
                guard case .object(let metadata) = member.value else { continue }
                var metadataSet = JSONObject()
                for field in metadata.members
                where ["labels", "annotations", "ownerReferences", "finalizers", "generateName"].contains(field.key) {
                    metadataSet["f:\(field.key)"] = nested(field.value)
                }
                if !metadataSet.isEmpty { result["f:metadata"] = .object(metadataSet) }
            default:
                if subresource == "status" && member.key != "status" { continue }
                result["f:\(member.key)"] = nested(member.value)
            }
        }
        return .object(result)
    }

    private static func nested(_ value: JSONValue) -> JSONValue {
        guard case .object(let object) = value, !object.isEmpty else { return [:] }
        var result = JSONObject([.init(key: ".", value: [:])])
        for member in object.members where !member.value.isNull {
            result["f:\(member.key)"] = nested(member.value)
        }
        return .object(result)
    }
}
