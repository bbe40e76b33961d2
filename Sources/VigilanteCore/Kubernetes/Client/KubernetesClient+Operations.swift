import Foundation

extension KubernetesClient {
    /// Reads one object. Namespaced kinds use ``defaultNamespace`` when `namespace` is nil.
    public func get<R: KubernetesResource>(
        _ type: R.Type = R.self,
        name: String,
        namespace: String? = nil
    ) async throws -> R {
        let namespace = objectNamespace(R.self, namespace)
        let target = target(R.self, namespace: namespace, name: name)
        let response = try await execute(
            Request(
                verb: .get, resource: R.qualifiedResource, path: path(R.self, namespace: namespace, name: name),
                target: target)
        )
        return try await decode(R.self, from: response, target: target)
    }

    /// Reads one object as raw JSON, every field included (for diagnostics and tests).
    public func getJSON<R: KubernetesResource>(
        _ type: R.Type,
        name: String,
        namespace: String? = nil
    ) async throws -> RawJSON {
        let namespace = objectNamespace(R.self, namespace)
        let target = target(R.self, namespace: namespace, name: name)
        let response = try await execute(
            Request(
                verb: .get, resource: R.qualifiedResource, path: path(R.self, namespace: namespace, name: name),
                target: target)
        )
        return try await decode(RawJSON.self, from: response, target: target)
    }

    /// Lists one page. A nil `namespace` lists across all namespaces.
    public func list<R: KubernetesResource>(
        _ type: R.Type = R.self,
        namespace: String? = nil,
        options: ListOptions = ListOptions()
    ) async throws -> ResourceList<R> {
        let target = target(R.self, namespace: namespace, name: nil)
        let response = try await execute(
            Request(
                verb: .list,
                resource: R.qualifiedResource,
                path: path(R.self, namespace: namespace),
                query: options.queryItems,
                target: target
            )
        )
        return try await decode(ResourceList<R>.self, from: response, target: target)
    }

    /// Lists everything, following continue tokens page by page. The result's resourceVersion is the one
    /// to start a watch from.
    ///
    /// A 410 for an expired continue token (the server compacted history mid-list) restarts the list
    /// from the beginning, up to three times.
    public func listAll<R: KubernetesResource>(
        _ type: R.Type = R.self,
        namespace: String? = nil,
        labelSelector: String? = nil,
        fieldSelector: String? = nil,
        pageSize: Int = 500
    ) async throws -> ResourceList<R> {
        var restarts = 0
        while true {
            var items: [R] = []
            var options = ListOptions(labelSelector: labelSelector, fieldSelector: fieldSelector, limit: pageSize)
            do {
                while true {
                    let page = try await list(R.self, namespace: namespace, options: options)
                    items.append(contentsOf: page.items)
                    guard let token = page.metadata.continue, !token.isEmpty else {
                        return ResourceList(
                            metadata: ListMeta(resourceVersion: page.metadata.resourceVersion),
                            items: items
                        )
                    }
                    options.continue = token
                }
            } catch KubernetesError.gone(let status) where options.continue != nil && restarts < 3 {
                restarts += 1
                logger.info(
                    "continue token expired; restarting the list",
                    metadata: ["resource": "\(R.qualifiedResource)", "message": "\(status.description)"]
                )
            }
        }
    }

    /// Creates an object. Set `metadata.generateName` (and no name) to let the server pick a unique name.
    public func create<R: KubernetesResource>(_ object: R, namespace: String? = nil) async throws -> R {
        let namespace = objectNamespace(R.self, namespace ?? object.metadata.namespace)
        let target = target(
            R.self, namespace: namespace, name: object.metadata.name ?? object.metadata.generateName.map { $0 + "*" })
        let body = try encode(TypedObjectBody(object: object), target: target)
        let response = try await execute(
            Request(
                verb: .create,
                resource: R.qualifiedResource,
                path: path(R.self, namespace: namespace),
                body: body,
                contentType: "application/json",
                target: target
            )
        )
        return try await decode(R.self, from: response, target: target)
    }

    /// Replaces an object (PUT). With `metadata.resourceVersion` set, the server rejects the write with
    /// ``KubernetesError/conflict(_:)`` if the object changed since it was read. Only for kinds whose model
    /// holds every field (Lease); use ``patch(_:name:namespace:mergePatch:)`` for everything else.
    public func update<R: KubernetesResource>(_ object: R) async throws -> R {
        guard let name = object.metadata.name, !name.isEmpty else {
            throw KubernetesError.badRequest(
                Status(message: "update needs metadata.name", reason: "BadRequest", code: 400))
        }
        let namespace = objectNamespace(R.self, object.metadata.namespace)
        let target = target(R.self, namespace: namespace, name: name)
        let body = try encode(TypedObjectBody(object: object), target: target)
        let response = try await execute(
            Request(
                verb: .update,
                resource: R.qualifiedResource,
                path: path(R.self, namespace: namespace, name: name),
                body: body,
                contentType: "application/json",
                target: target
            )
        )
        return try await decode(R.self, from: response, target: target)
    }

    /// Applies a JSON merge patch (RFC 7386) and returns the updated object. Keys not in the patch are
    /// untouched; a `null` value removes a key.
    public func patch<R: KubernetesResource, Patch: Encodable & Sendable>(
        _ type: R.Type = R.self,
        name: String,
        namespace: String? = nil,
        mergePatch: Patch
    ) async throws -> R {
        let namespace = objectNamespace(R.self, namespace)
        let target = target(R.self, namespace: namespace, name: name)
        let body = try encode(mergePatch, target: target)
        let response = try await execute(
            Request(
                verb: .patch,
                resource: R.qualifiedResource,
                path: path(R.self, namespace: namespace, name: name),
                body: body,
                contentType: "application/merge-patch+json",
                target: target
            )
        )
        return try await decode(R.self, from: response, target: target)
    }

    /// Deletes an object. The response (the object or a Status, depending on the kind) is discarded.
    public func delete<R: KubernetesResource>(
        _ type: R.Type,
        name: String,
        namespace: String? = nil,
        options: DeleteOptions = DeleteOptions()
    ) async throws {
        let namespace = objectNamespace(R.self, namespace)
        let target = target(R.self, namespace: namespace, name: name)
        var body: [UInt8]?
        if let options = options.body {
            body = try encode(options, target: target)
        }
        let response = try await execute(
            Request(
                verb: .delete,
                resource: R.qualifiedResource,
                path: path(R.self, namespace: namespace, name: name),
                query: options.queryItems,
                body: body,
                contentType: body == nil ? nil : "application/json",
                target: target
            )
        )
        for try await _ in response.body {}
    }
}
