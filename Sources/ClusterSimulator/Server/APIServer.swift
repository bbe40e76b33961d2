import Foundation
import NIOCore

/// The Kubernetes REST protocol over an ``ObjectStore``: authentication, authorization, routing,
/// content negotiation and the generic verbs of every registered resource.
final class APIServer: Sendable {
    let store: ObjectStore
    let registry: ResourceRegistry
    let access: Locked<AccessControlState>
    let bookmarkInterval: Duration
    /// The validating admission stage of Pod Security (pods and namespaces).
    let podSecurity = PodSecurityAdmission()
    private let started = ContinuousClock.now
    /// When the server started (the OpenAPI documents' `Last-Modified`).
    let startedAt = Date()
    private let flowSchemaUID = Identifiers.uid()
    private let priorityLevelUID = Identifiers.uid()

    init(store: ObjectStore, access: Locked<AccessControlState>, bookmarkInterval: Duration = .seconds(60)) {
        self.store = store
        self.registry = store.registry
        self.access = access
        self.bookmarkInterval = bookmarkInterval
    }

    /// What a resource request addresses.
    struct Target {
        var definition: ResourceDefinition
        var namespace: String?
        var name: String?
        var subresource: String?
    }

    /// Per-request facts the verbs need.
    struct Context {
        var request: APIRequest
        var user: UserInfo
        var pretty: Bool
        var yaml: Bool
        var warnings: [String] = []

        var manager: String {
            let agent = request.header("user-agent") ?? ""
            let prefix = agent.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
            return prefix.isEmpty ? "unknown" : prefix
        }
    }

    // MARK: entry point

    func handle(_ request: APIRequest) async -> APIResponse {
        let isWrite = WriteLoad.isWrite(method: request.method)
        if isWrite, !access.withLock({ $0.writes.enter(at: ContinuousClock.now - started) }) {
            let retryAfter = access.withLock { $0.writes.retryAfterSeconds }
            return errorResponse(.tooManyRequests(retryAfter: retryAfter), authenticated: true, pretty: false)
        }
        defer { if isWrite { access.withLock { $0.writes.leave() } } }
        let settings = access.current
        if settings.latency > .zero {
            try? await Task.sleep(for: settings.latency)
        }
        let isHealth = ["/healthz", "/livez", "/readyz"].contains(request.path)
        if settings.failureFraction > 0, !settings.failureStatuses.isEmpty, !isHealth,
            Double.random(in: 0..<1) < settings.failureFraction
        {
            let status = settings.failureStatuses.randomElement()!
            let error: APIError
            switch status {
            case 429: error = .tooManyRequests(retryAfter: settings.retryAfterSeconds)
            case 503:
                error = .serviceUnavailable("injected failure", retryAfter: settings.retryAfterSeconds)
            default:
                var injected = APIError.internalError("injected failure")
                injected.code = status
                error = injected
            }
            return errorResponse(error, authenticated: true, pretty: false)
        }

        // Authentication.
        let user: UserInfo
        if let authorization = request.header("authorization") {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer",
                let known = settings.tokens[String(parts[1]).trimmingCharacters(in: .whitespaces)]
            {
                user = known
            } else {
                return errorResponse(.unauthorized, authenticated: false, pretty: false)
            }
        } else if let identity = request.certificateIdentity {
            user = identity
        } else if settings.anonymousEnabled {
            user = .anonymous
        } else {
            return errorResponse(.unauthorized, authenticated: false, pretty: false)
        }

        let agent = request.header("user-agent") ?? ""
        let pretty =
            request.queryValue("pretty") == "true" || agent.hasPrefix("curl") || agent.hasPrefix("Wget")
            || agent.hasPrefix("Mozilla/")
        var context = Context(request: request, user: user, pretty: pretty, yaml: false)
        do {
            return try await route(&context)
        } catch let error as APIError {
            return errorResponse(error, authenticated: true, pretty: pretty || error.code == 406)
        } catch {
            return errorResponse(.internalError("\(error)"), authenticated: true, pretty: pretty)
        }
    }

    // MARK: responses

    func baseHeaders(authenticated: Bool) -> [(String, String)] {
        var headers = [("Audit-Id", Identifiers.uid()), ("Cache-Control", "no-cache, private")]
        if authenticated {
            headers.append(("X-Kubernetes-Pf-Flowschema-Uid", flowSchemaUID))
            headers.append(("X-Kubernetes-Pf-Prioritylevel-Uid", priorityLevelUID))
        }
        return headers
    }

    func errorResponse(_ error: APIError, authenticated: Bool, pretty: Bool) -> APIResponse {
        var headers = baseHeaders(authenticated: authenticated)
        headers.append(contentsOf: error.headers)
        if let text = error.plainText {
            headers.append(("Content-Type", "text/plain; charset=utf-8"))
            headers.append(("X-Content-Type-Options", "nosniff"))
            return APIResponse(status: error.code, headers: headers, body: .bytes(Array(text.utf8)))
        }
        headers.append(("Content-Type", "application/json"))
        if error.noSniff { headers.append(("X-Content-Type-Options", "nosniff")) }
        return APIResponse(
            status: error.code, headers: headers, body: .bytes(JSONWriter.encode(error.status, pretty: pretty)))
    }

    func jsonResponse(_ status: Int, _ value: JSONValue, _ context: Context, contentType: String = "application/json")
        -> APIResponse
    {
        if context.yaml {
            return APIResponse(
                status: status, headers: baseHeaders(authenticated: true) + [("Content-Type", "application/yaml")],
                body: .bytes(Array(YAMLWriter.encode(value).utf8)))
        }
        return bytesResponse(
            status, JSONWriter.encode(value, pretty: context.pretty), context, contentType: contentType)
    }

    func bytesResponse(_ status: Int, _ bytes: [UInt8], _ context: Context, contentType: String = "application/json")
        -> APIResponse
    {
        if context.yaml || context.pretty, let value = try? JSONParser.parse(bytes) {
            var plain = context
            plain.yaml = context.yaml
            if context.yaml {
                return jsonResponse(status, value, plain, contentType: contentType)
            }
            return APIResponse(
                status: status, headers: headers(context, contentType: contentType),
                body: .bytes(JSONWriter.encode(value, pretty: true)))
        }
        return APIResponse(status: status, headers: headers(context, contentType: contentType), body: .bytes(bytes))
    }

    private func headers(_ context: Context, contentType: String) -> [(String, String)] {
        var headers = baseHeaders(authenticated: true)
        headers.append(("Content-Type", contentType))
        for warning in context.warnings {
            headers.append(("Warning", "299 - \(String(decoding: JSONWriter.encode(.string(warning)), as: UTF8.self))"))
        }
        return headers
    }

    // MARK: routing

    private func route(_ context: inout Context) async throws -> APIResponse {
        let request = context.request
        let segments = request.path.split(separator: "/").map(String.init)
        switch segments.first {
        case "version" where segments.count == 1:
            return try nonResource(&context, path: request.path, publicInfo: true) {
                APIResponse(
                    status: 200, headers: self.headers($0, contentType: "application/json"),
                    body: .bytes(Array(DiscoveryDocuments.version.utf8)))
            }
        case "healthz", "livez", "readyz":
            guard segments.count == 1 else { throw APIError.pageNotFound }
            return try nonResource(&context, path: request.path, publicInfo: true) { context in
                let verbose = context.request.query.contains { $0.0 == "verbose" }
                let text =
                    verbose
                    ? (segments[0] == "readyz"
                        ? DiscoveryDocuments.readyzVerbose : DiscoveryDocuments.healthzVerbose(segments[0]))
                    : "ok"
                var headers = self.baseHeaders(authenticated: true)
                headers.append(("Content-Type", "text/plain; charset=utf-8"))
                headers.append(("X-Content-Type-Options", "nosniff"))
                return APIResponse(status: 200, headers: headers, body: .bytes(Array(text.utf8)))
            }
        case "api":
            if segments.count == 1 {
                return try nonResource(&context, path: request.path) { try self.discoveryAPI($0) }
            }
            guard segments[1] == "v1" else { throw APIError.pageNotFound }
            if segments.count == 2 {
                return try nonResource(&context, path: request.path) {
                    self.bytesResponse(200, Array(DiscoveryDocuments.coreV1.utf8), $0)
                }
            }
            return try await resourceRequest(&context, group: "", version: "v1", rest: Array(segments[2...]))
        case "apis":
            if segments.count == 1 {
                return try nonResource(&context, path: request.path) { try self.discoveryAPIs($0) }
            }
            let group = segments[1]
            if segments.count == 2 {
                guard let document = DiscoveryDocuments.group(group) else { throw APIError.pageNotFound }
                return try nonResource(&context, path: request.path) { self.jsonResponse(200, document, $0) }
            }
            let version = segments[2]
            guard registry.hasGroupVersion(group: group, version: version) else {
                if segments.count == 3, let document = DiscoveryDocuments.derivedGroupVersion(group, version) {
                    return try nonResource(&context, path: request.path) {
                        self.bytesResponse(200, Array(document.utf8), $0)
                    }
                }
                throw APIError.pageNotFound
            }
            if segments.count == 3 {
                return try nonResource(&context, path: request.path) {
                    self.bytesResponse(200, Array(DiscoveryDocuments.groupVersion(group, version).utf8), $0)
                }
            }
            return try await resourceRequest(&context, group: group, version: version, rest: Array(segments[3...]))
        case "openapi":
            return try openAPI(&context, segments: segments)
        default:
            throw APIError.pageNotFound
        }
    }

    /// A non-resource URL: GET only; discovery needs an authenticated user, health and version do not.
    func nonResource(
        _ context: inout Context, path: String, publicInfo: Bool = false, negotiate negotiates: Bool = true,
        _ body: (Context) throws -> APIResponse
    ) throws -> APIResponse {
        let method = context.request.method
        guard method == "GET" || method == "HEAD" else {
            if !publicInfo && !context.user.isAuthenticated {
                throw APIError.forbiddenPath(user: context.user.name, verb: method.lowercased(), path: path)
            }
            throw APIError.methodNotAllowed
        }
        if !publicInfo && !context.user.isAuthenticated {
            throw APIError.forbiddenPath(user: context.user.name, verb: "get", path: path)
        }
        if negotiates { try negotiate(&context) }
        return try body(context)
    }

    /// Chooses the representation from Accept; 406 when nothing acceptable is offered.
    private func negotiate(_ context: inout Context, allowAggregated: Bool = false) throws {
        let accept = context.request.header("accept") ?? ""
        if accept.trimmingCharacters(in: .whitespaces).isEmpty { return }
        for range in accept.split(separator: ",") {
            let parts = range.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            let type = parts.first ?? ""
            let parameters = parts.dropFirst()
            if parameters.contains(where: { $0.hasPrefix("as=") }) { continue }
            switch type {
            case "application/json", "*/*", "application/*", "":
                return
            case "application/yaml":
                context.yaml = true
                return
            default:
                continue
            }
        }
        throw APIError.notAcceptable
    }

    private func wantsAggregated(_ context: Context) -> String? {
        let accept = context.request.header("accept") ?? ""
        for range in accept.split(separator: ",") {
            let compact = range.replacingOccurrences(of: " ", with: "").lowercased()
            if compact.contains("as=apigroupdiscoverylist") && compact.contains("g=apidiscovery.k8s.io") {
                if compact.contains("v=v2beta1") { return "v2beta1" }
                if compact.contains("v=v2") { continue }  // v2 is newer than this v1.28 server
            }
            if compact.hasPrefix("application/json") && !compact.contains("as=") { return nil }
        }
        return nil
    }

    private func discoveryAPI(_ context: Context) throws -> APIResponse {
        if wantsAggregated(context) != nil {
            return aggregatedResponse(DiscoveryDocuments.aggregatedAPI, context)
        }
        return bytesResponse(200, Array(DiscoveryDocuments.api.utf8), context)
    }

    private func discoveryAPIs(_ context: Context) throws -> APIResponse {
        if wantsAggregated(context) != nil {
            return aggregatedResponse(DiscoveryDocuments.aggregatedAPIs, context)
        }
        return bytesResponse(200, Array(DiscoveryDocuments.apis.utf8), context)
    }

    private func aggregatedResponse(_ document: String, _ context: Context) -> APIResponse {
        var headers: [(String, String)] = [("Audit-Id", Identifiers.uid()), ("Cache-Control", "public")]
        headers.append(("Content-Type", "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"))
        headers.append(("Etag", "\"\(DiscoveryDocuments.etag(document))\""))
        headers.append(("Vary", "Accept"))
        headers.append(("X-Kubernetes-Pf-Flowschema-Uid", flowSchemaUID))
        headers.append(("X-Kubernetes-Pf-Prioritylevel-Uid", priorityLevelUID))
        return APIResponse(status: 200, headers: headers, body: .bytes(Array(document.utf8)))
    }

    // MARK: resource requests

    private func resourceRequest(_ context: inout Context, group: String, version: String, rest: [String]) async throws
        -> APIResponse
    {
        var rest = rest
        var namespace: String?
        // /namespaces/{ns}/{resource}...: a namespaced resource; /namespaces/{name}[/{sub}] is the namespace itself.
        if rest.count >= 3, rest[0] == "namespaces",
            let candidate = registry.lookup(group: group, version: version, resource: rest[2]), candidate.namespaced
        {
            namespace = rest[1]
            rest.removeFirst(2)
        }
        guard let resourceName = rest.first,
            let definition = registry.lookup(group: group, version: version, resource: resourceName)
        else { throw APIError.resourceNotFound }
        if definition.namespaced && namespace == nil && rest.count > 1 { throw APIError.resourceNotFound }
        var target = Target(definition: definition, namespace: namespace, name: nil, subresource: nil)
        if rest.count >= 2 { target.name = rest[1] }
        if rest.count >= 3 {
            guard rest.count == 3, definition.subresources.contains(rest[2]) else { throw APIError.resourceNotFound }
            target.subresource = rest[2]
        }
        if rest.count > 3 { throw APIError.resourceNotFound }

        let request = context.request
        let watchParameter = request.queryValue("watch")
        let isWatch = watchParameter == "true" || watchParameter == "1"
        let verb: String
        switch (request.method, target.name != nil) {
        case ("GET", false), ("HEAD", false): verb = isWatch ? "watch" : "list"
        case ("GET", true), ("HEAD", true): verb = isWatch ? "watch" : "get"
        case ("POST", false): verb = "create"
        case ("POST", true) where target.subresource == "token": verb = "create"
        case ("PUT", true): verb = "update"
        case ("PATCH", true): verb = "patch"
        case ("DELETE", true): verb = "delete"
        case ("DELETE", false): verb = "deletecollection"
        default: throw APIError.methodNotAllowed
        }
        if target.subresource != nil && !["get", "update", "patch", "create"].contains(verb) {
            throw APIError.methodNotAllowed
        }
        let logResource = target.subresource.map { "\(definition.resource)/\($0)" } ?? definition.resource
        let user = context.user
        func log(_ code: Int) {
            let entry = AccessLogEntry(
                verb: verb, group: group, resource: logResource, namespace: target.namespace, name: target.name,
                user: user.name, code: code)
            access.withLock { $0.log.append(entry) }
        }
        guard
            access.current.isAllowed(
                user: user, verb: verb, group: group, resource: logResource, namespace: target.namespace)
        else {
            log(403)
            throw APIError.forbidden(
                user: user.name, verb: verb, resource: logResource, group: group, name: target.name,
                namespace: target.namespace)
        }
        let response: APIResponse
        do {
            try negotiate(&context)
            switch verb {
            case "get": response = try get(target, context)
            case "list": response = try list(target, context)
            case "watch": response = try watch(target, context)
            case "create":
                response =
                    target.subresource == "token" ? try createToken(target, context) : try create(target, &context)
            case "update": response = try update(target, &context)
            case "patch": response = try patch(target, &context)
            case "delete": response = try delete(target, context)
            default: response = try deleteCollection(target, context)
            }
        } catch let error as APIError {
            log(error.code)
            throw error
        }
        log(response.status)
        return response
    }

    private func storageKey(_ target: Target, name: String) -> String {
        target.definition.namespaced ? "\(target.namespace ?? "")/\(name)" : name
    }

    // MARK: get / list / watch

    private func get(_ target: Target, _ context: Context) throws -> APIResponse {
        let definition = target.definition
        let name = target.name ?? ""
        guard let stored = store.transaction({ $0.get(definition.storageKey, key: storageKey(target, name: name)) })
        else {
            throw APIError.notFound(resource: definition.resource, group: definition.group, name: name)
        }
        return bytesResponse(200, stored.fullEncoding(for: definition), context)
    }

    private struct ListOptions {
        var labelSelector = LabelSelector(requirements: [])
        var fieldSelector = FieldSelector(requirements: [])
        var resourceVersion: String?
        var resourceVersionMatch: String?
        var limit = 0
        var continueToken: String?
    }

    private func listOptions(_ target: Target, _ context: Context) throws -> ListOptions {
        let request = context.request
        var options = ListOptions()
        if let text = request.queryValue("labelSelector"), !text.isEmpty {
            do {
                options.labelSelector = try LabelSelector(parsing: text)
            } catch {
                throw APIError.badRequest("\(error)")
            }
        }
        if let text = request.queryValue("fieldSelector"), !text.isEmpty {
            do {
                options.fieldSelector = try FieldSelector(parsing: text)
            } catch {
                throw APIError.badRequest("\(error)")
            }
            for requirement in options.fieldSelector.requirements
            where !target.definition.supportsField(requirement.field) {
                throw APIError.badRequest("field label not supported: \(requirement.field)")
            }
        }
        options.resourceVersion = request.queryValue("resourceVersion").flatMap { $0.isEmpty ? nil : $0 }
        options.resourceVersionMatch = request.queryValue("resourceVersionMatch").flatMap { $0.isEmpty ? nil : $0 }
        if options.resourceVersionMatch != nil && options.resourceVersion == nil {
            throw APIError.invalidListOptions(
                field: "resourceVersionMatch",
                detail: "resourceVersionMatch is forbidden unless resourceVersion is provided")
        }
        if let rv = options.resourceVersion, Int(rv) == nil {
            throw APIError.badRequest("invalid resource version \"\(rv)\"")
        }
        if let limit = request.queryValue("limit"), !limit.isEmpty {
            guard let value = Int(limit) else { throw APIError.badRequest("invalid limit \(limit)") }
            options.limit = max(0, value)
        }
        options.continueToken = request.queryValue("continue").flatMap { $0.isEmpty ? nil : $0 }
        return options
    }

    private func list(_ target: Target, _ context: Context) throws -> APIResponse {
        let definition = target.definition
        let options = try listOptions(target, context)
        var start: String?
        var tokenRevision: Int?
        let prefix = definition.namespaced && target.namespace != nil ? "\(target.namespace!)/" : ""
        if let token = options.continueToken {
            guard let decoded = ContinueToken.decode(token) else {
                throw APIError.badRequest(
                    "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
            }
            start = prefix + decoded.start
            tokenRevision = decoded.revision
        }
        let indexed = options.fieldSelector.requirements.first { !$0.negated && $0.field == "spec.nodeName" }
            .map { ($0.field, $0.value) }
        let filtered = options.labelSelector.isEmpty == false || options.fieldSelector.isEmpty == false
        let result: (items: [StoredObject], revision: Int, remaining: Int, more: Bool) = try store.transaction {
            transaction in
            let compacted = transaction.compactedRevision(of: definition.storageKey)
            if let tokenRevision, tokenRevision < compacted {
                var error = APIError.expired(
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."
                )
                error.metadata["continue"] = .string(
                    ContinueToken.encode(revision: -1, start: String((start ?? "").dropFirst(prefix.count))))
                throw error
            }
            var listRevision = transaction.currentRevision
            if options.resourceVersionMatch == "Exact", let rv = options.resourceVersion.flatMap(Int.init) {
                if rv < compacted || transaction.lastRevision(of: definition.storageKey) > rv {
                    throw APIError.expired("The resourceVersion for the provided list is too old.")
                }
                listRevision = rv
            }
            if let tokenRevision { listRevision = tokenRevision }
            let candidates = transaction.list(
                definition.storageKey, namespace: target.namespace, startingAt: start, indexed: indexed)
            var items: [StoredObject] = []
            var remaining = 0
            var more = false
            for object in candidates {
                if let start, object.key <= start { continue }
                guard matches(object, definition, options) else { continue }
                if options.limit > 0 && items.count >= options.limit {
                    more = true
                    if filtered { break }
                    remaining += 1
                    continue
                }
                items.append(object)
            }
            return (items, listRevision, remaining, more)
        }
        var metadata = JSONObject()
        metadata["resourceVersion"] = .string(String(result.revision))
        if result.more, let last = result.items.last {
            metadata["continue"] = .string(
                ContinueToken.encode(revision: result.revision, start: String(last.key.dropFirst(prefix.count))))
            if !filtered { metadata["remainingItemCount"] = .int(result.remaining) }
        }
        var bytes: [UInt8] = Array(
            "{\"kind\":\"\(definition.kind)List\",\"apiVersion\":\"\(definition.apiVersion)\",\"metadata\":".utf8)
        JSONWriter.write(.object(metadata), into: &bytes)
        bytes.append(contentsOf: Array(",\"items\":[".utf8))
        bytes.reserveCapacity(bytes.count + result.items.reduce(0) { $0 + $1.itemEncoding.count + 1 } + 2)
        for (position, item) in result.items.enumerated() {
            if position > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: item.item(for: definition))
        }
        bytes.append(contentsOf: [UInt8(ascii: "]"), UInt8(ascii: "}")])
        return bytesResponse(200, bytes, context)
    }

    private func matches(_ object: StoredObject, _ definition: ResourceDefinition, _ options: ListOptions) -> Bool {
        if !options.labelSelector.isEmpty && !options.labelSelector.matches(object.labels) { return false }
        if !options.fieldSelector.isEmpty {
            let value = object.object
            return options.fieldSelector.matches { definition.fieldValue($0, of: value) }
        }
        return true
    }

    private func watch(_ target: Target, _ context: Context) throws -> APIResponse {
        let definition = target.definition
        let request = context.request
        if let initial = request.queryValue("sendInitialEvents"), !initial.isEmpty {
            throw APIError.invalidListOptions(
                field: "sendInitialEvents",
                detail: "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled")
        }
        var options = try listOptions(target, context)
        if let name = target.name {
            options.fieldSelector.requirements.append(.init(field: "metadata.name", value: name, negated: false))
        }
        var from: Int?
        if let rv = options.resourceVersion, let value = Int(rv), value != 0 { from = value }
        let allowBookmarks = request.queryValue("allowWatchBookmarks") == "true"
        var timeout = Duration.seconds(Int.random(in: 1800...3600))
        if let text = request.queryValue("timeoutSeconds"), let seconds = Int(text), seconds > 0 {
            timeout = .seconds(seconds)
        }
        let start = store.transaction {
            $0.watch(
                definition, namespace: target.namespace, labelSelector: options.labelSelector,
                fieldSelector: options.fieldSelector, from: from, allowBookmarks: allowBookmarks)
        }
        var headers = baseHeaders(authenticated: true)
        headers.append(("Content-Type", "application/json"))
        switch start {
        case .expired(let requested, let oldest):
            let status = APIError.expired("too old resource version: \(requested) (\(oldest))").status
            var line: [UInt8] = Array("{\"type\":\"ERROR\",\"object\":".utf8)
            JSONWriter.write(status, into: &line)
            line.append(contentsOf: [UInt8(ascii: "}"), 0x0A])
            let (stream, continuation) = AsyncStream<WatchChunk>.makeStream()
            continuation.yield(.line(ByteBuffer(bytes: line)))
            continuation.finish()
            let session = WatchSession(
                store: store, storageKey: definition.storageKey, watcherID: -1, stream: stream, timeout: timeout,
                bookmarkInterval: bookmarkInterval)
            return APIResponse(status: 200, headers: headers, body: .watch(session))
        case .started(let id, let stream):
            let session = WatchSession(
                store: store, storageKey: definition.storageKey, watcherID: id, stream: stream, timeout: timeout,
                bookmarkInterval: bookmarkInterval)
            return APIResponse(status: 200, headers: headers, body: .watch(session))
        }
    }

    // MARK: decoding bodies

    private func decodeBody(_ target: Target, _ context: inout Context) throws -> JSONObject {
        let definition = target.definition
        let contentType =
            (context.request.header("content-type") ?? "application/json")
            .split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        var value: JSONValue
        switch contentType {
        case "application/json", "":
            do {
                value = try JSONParser.parse(context.request.body)
            } catch {
                let snippet = String(decoding: context.request.body.prefix(30), as: UTF8.self)
                throw APIError.badRequest(
                    "the object provided is unrecognized (must be of type \(definition.kind)): couldn't get version/kind; json parse error: \(error) (\(snippet) ...)"
                )
            }
        case "application/yaml":
            throw APIError.badRequest("YAML request bodies are not supported by the cluster simulator")
        default:
            throw APIError.unsupportedBodyType
        }
        guard case .object(var object) = value else {
            throw APIError.badRequest(
                "the object provided is unrecognized (must be of type \(definition.kind)): couldn't get version/kind; json parse error: json: cannot unmarshal \(value.isNull ? "null" : "array") into Go value of type struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }"
            )
        }
        let kind = object["kind"]?.stringValue ?? definition.kind
        let apiVersion = object["apiVersion"]?.stringValue ?? definition.apiVersion
        let version = apiVersion.split(separator: "/").last.map(String.init) ?? apiVersion
        if kind != definition.kind {
            throw APIError.badRequest(
                "\(kind) in version \"\(version)\" cannot be handled as a \(definition.kind): converting (\(version).\(kind)) to (core.\(definition.kind)): unknown conversion"
            )
        }
        try checkMicroTimes(&object, definition, patch: false)
        let unknown = definition.dropUnknownFields(&object)
        if !unknown.isEmpty {
            if context.request.queryValue("fieldValidation") == "Strict" {
                let list = unknown.map { "unknown field \"\($0)\"" }.joined(separator: ", ")
                throw APIError.badRequest(
                    "\(definition.kind) in version \"\(definition.version)\" cannot be handled as a \(definition.kind): strict decoding error: \(list)"
                )
            }
            if context.request.queryValue("fieldValidation") != "Ignore" {
                context.warnings.append(contentsOf: unknown.map { "unknown field \"\($0)\"" })
            }
        }
        object["kind"] = .string(definition.kind)
        object["apiVersion"] = .string(definition.apiVersion)
        if object["metadata"]?.objectValue == nil { object["metadata"] = [:] }
        return object
    }

    /// MicroTime members must have exactly six fractional digits; offsets are normalised to Z.
    private func checkMicroTimes(_ object: inout JSONObject, _ definition: ResourceDefinition, patch: Bool) throws {
        for path in definition.microTimeFields {
            var value = JSONValue.object(object)
            for component in path { value = value[component] ?? .null }
            guard case .string(let text) = value else { continue }
            switch Timestamps.normalizeMicroTime(text) {
            case .success(let normalized):
                var root = JSONValue.object(object)
                root = Self.setting(root, path[...], .string(normalized))
                object = root.objectValue ?? object
            case .failure(let failure):
                if patch {
                    let patched = String(decoding: JSONWriter.encode(.object(object)), as: UTF8.self)
                    let message =
                        "Invalid value: \(String(decoding: JSONWriter.encode(.string(patched)), as: UTF8.self)): \(failure.message)"
                    var error = APIError(
                        code: 422, reason: "Invalid", message: " \"\" is invalid: patch: \(message)",
                        details: JSONObject())
                    error.causes = [.init(reason: "FieldValueInvalid", message: message, field: "patch")]
                    throw error
                }
                throw APIError.badRequest(
                    "\(definition.kind) in version \"\(definition.version)\" cannot be handled as a \(definition.kind): \(failure.message)"
                )
            }
        }
    }

    private static func setting(_ value: JSONValue, _ path: ArraySlice<String>, _ newValue: JSONValue) -> JSONValue {
        guard let first = path.first, case .object(var object) = value else { return newValue }
        object[first] = setting(object[first] ?? .null, path.dropFirst(), newValue)
        return .object(object)
    }

    // MARK: create

    private func create(_ target: Target, _ context: inout Context) throws -> APIResponse {
        let definition = target.definition
        var object = try decodeBody(target, &context)
        var metadata = object["metadata"]?.objectValue ?? JSONObject()
        if definition.namespaced {
            let namespace = target.namespace ?? ""
            if let bodyNamespace = metadata["namespace"]?.stringValue, !bodyNamespace.isEmpty,
                bodyNamespace != namespace
            {
                throw APIError.badRequest(
                    "the namespace of the provided object does not match the namespace sent on the request")
            }
            metadata["namespace"] = .string(namespace)
        } else {
            metadata["namespace"] = nil
        }
        if (metadata["name"]?.stringValue ?? "").isEmpty, let prefix = metadata["generateName"]?.stringValue,
            !prefix.isEmpty
        {
            metadata["name"] = .string(prefix + Identifiers.nameSuffix())
        }
        let now = Timestamps.time()
        metadata["uid"] = .string(Identifiers.uid())
        metadata["resourceVersion"] = nil
        metadata["creationTimestamp"] = .string(now)
        metadata["deletionTimestamp"] = nil
        metadata["deletionGracePeriodSeconds"] = nil
        metadata["selfLink"] = nil
        metadata["managedFields"] = nil
        object["metadata"] = .object(metadata)
        let fieldsSource = object
        if let toStorage = definition.toStorage {
            object = toStorage(.object(object)).objectValue ?? object
        }
        definition.admitCreate(&object)
        definition.normalize(&object)
        try validate(object, definition, operation: .create)
        var createdFields = definition.fromStorage == nil ? object : fieldsSource
        for excluded in definition.managedFieldsExcludedOnCreate { createdFields[excluded] = nil }
        object["metadata"]?["managedFields"] = ManagedFields.updated(
            nil, manager: context.manager, apiVersion: definition.apiVersion, subresource: nil, time: now,
            fields: createdFields)
        definition.normalize(&object)
        let name = object["metadata"]["name"]?.stringValue ?? ""
        let key = storageKey(target, name: name)
        if context.request.queryValue("dryRun") == "All" {
            let admitted = object
            context.warnings += try store.transaction {
                try podSecurity.admit(definition, subresource: nil, object: admitted, old: nil, in: $0)
            }
            let stored = StoredObject(key: key, object: .object(object), revision: 0)
            var external = stored.external(for: definition)
            external["metadata"]?["resourceVersion"] = nil
            return jsonResponse(201, external, context)
        }
        let namespaceDefinition = BuiltinResources.namespaces
        var admissionWarnings: [String] = []
        let stored: StoredObject = try store.transaction { transaction in
            if definition.namespaced, let namespace = target.namespace,
                transaction.get(namespaceDefinition.storageKey, key: namespace) == nil
            {
                throw APIError.notFound(resource: "namespaces", group: "", name: namespace)
            }
            admissionWarnings = try podSecurity.admit(
                definition, subresource: nil, object: object, old: nil, in: transaction)
            if transaction.get(definition.storageKey, key: key) != nil {
                throw APIError.alreadyExists(resource: definition.resource, group: definition.group, name: name)
            }
            return transaction.put(definition, key: key, object: object)
        }
        context.warnings += admissionWarnings
        return bytesResponse(201, stored.fullEncoding(for: definition), context)
    }

    private func validate(
        _ object: JSONObject, _ definition: ResourceDefinition, operation: ResourceDefinition.Operation
    )
        throws
    {
        let value = JSONValue.object(object)
        var causes: [APIError.Cause] = []
        if definition.validatesMetadata {
            let metadataCauses = Validation.metadataCauses(value["metadata"], dnsLabelNames: definition.dnsLabelNames)
            let repeats = operation == .update ? definition.metadataCauseRepeatsOnUpdate : 1
            for _ in 0..<repeats { causes += metadataCauses }
        } else if (value["metadata"]["name"]?.stringValue ?? "").isEmpty {
            causes.append(
                .init(
                    reason: "FieldValueRequired", message: "Required value: name or generateName is required",
                    field: "metadata.name"))
        }
        causes += definition.validate(value, operation)
        if !causes.isEmpty {
            throw APIError.invalid(
                kind: definition.kind, group: definition.validationGroup,
                name: value["metadata"]["name"]?.stringValue ?? "", causes: causes)
        }
    }

    // MARK: update / patch

    private func update(_ target: Target, _ context: inout Context) throws -> APIResponse {
        let definition = target.definition
        let name = target.name ?? ""
        var object = try decodeBody(target, &context)
        let metadata = object["metadata"]?.objectValue ?? JSONObject()
        if let bodyName = metadata["name"]?.stringValue, !bodyName.isEmpty, bodyName != name {
            throw APIError.badRequest(
                "the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
        if definition.namespaced, let bodyNamespace = metadata["namespace"]?.stringValue, !bodyNamespace.isEmpty,
            bodyNamespace != target.namespace
        {
            throw APIError.badRequest(
                "the namespace of the provided object does not match the namespace sent on the request")
        }
        let fieldsSource = object
        if let toStorage = definition.toStorage {
            object = toStorage(.object(object)).objectValue ?? object
        }
        return try commitUpdate(target, &context, fieldsSource: fieldsSource) { _ in object }
    }

    private func patch(_ target: Target, _ context: inout Context) throws -> APIResponse {
        let definition = target.definition
        let contentType =
            (context.request.header("content-type") ?? "")
            .split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        let patchDocument: JSONValue
        switch contentType {
        case "application/merge-patch+json", "application/strategic-merge-patch+json", "application/json-patch+json":
            do {
                patchDocument = try JSONParser.parse(context.request.body)
            } catch {
                throw APIError.badRequest("error decoding patch: \(error)")
            }
        default:
            throw APIError.unsupportedPatchType
        }
        if contentType == "application/json-patch+json", patchDocument.arrayValue == nil {
            throw APIError.badRequest(
                "error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp")
        }
        if contentType != "application/json-patch+json", patchDocument.objectValue == nil {
            throw APIError.badRequest(
                "error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}")
        }
        let fieldsSource = patchDocument.objectValue ?? JSONObject()
        return try commitUpdate(target, &context, fieldsSource: fieldsSource) { existing in
            let current = existing.external(for: definition)
            let patched: JSONValue
            switch contentType {
            case "application/json-patch+json":
                do {
                    patched = try JSONPatch.apply(patchDocument, to: current)
                } catch {
                    throw APIError.patchRejected
                }
            case "application/strategic-merge-patch+json":
                patched = MergePatch.applyStrategic(patchDocument, to: current)
            default:
                patched = MergePatch.apply(patchDocument, to: current)
            }
            guard case .object(var object) = patched else { throw APIError.patchRejected }
            try checkMicroTimes(&object, definition, patch: true)
            object["kind"] = .string(definition.kind)
            object["apiVersion"] = .string(definition.apiVersion)
            if let toStorage = definition.toStorage {
                object = toStorage(.object(object)).objectValue ?? object
            }
            return object
        }
    }

    /// The shared read-modify-write of update and patch: preconditions, subresource rules,
    /// validation, no-op detection, finalizer-driven removal.
    private func commitUpdate(
        _ target: Target, _ context: inout Context, fieldsSource: JSONObject,
        _ makeObject: (StoredObject) throws -> JSONObject
    ) throws -> APIResponse {
        let definition = target.definition
        let name = target.name ?? ""
        let key = storageKey(target, name: name)
        let manager = context.manager
        var admissionWarnings: [String] = []
        let stored: StoredObject = try store.transaction { transaction in
            guard let existing = transaction.get(definition.storageKey, key: key) else {
                throw APIError.notFound(resource: definition.resource, group: definition.group, name: name)
            }
            var object = try makeObject(existing)
            let old = existing.object.objectValue ?? JSONObject()
            let oldMetadata = old["metadata"]?.objectValue ?? JSONObject()
            var metadata = object["metadata"]?.objectValue ?? JSONObject()
            if let rv = metadata["resourceVersion"]?.stringValue, !rv.isEmpty, rv != String(existing.revision) {
                throw APIError.conflict(resource: definition.resource, group: definition.group, name: name)
            }
            if let uid = metadata["uid"]?.stringValue, !uid.isEmpty, uid != oldMetadata["uid"]?.stringValue {
                throw APIError.conflict(resource: definition.resource, group: definition.group, name: name)
            }
            // System-owned metadata is kept from the stored object.
            for systemKey in [
                "name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                "generation", "selfLink", "generateName",
            ] {
                metadata[systemKey] = oldMetadata[systemKey]
            }
            if oldMetadata["generateName"] == nil { metadata["generateName"] = nil }
            metadata["managedFields"] = oldMetadata["managedFields"]
            if target.subresource == "status" {
                // Only status changes through /status.
                var result = old
                result["status"] = object["status"]
                object = result
            } else {
                object["metadata"] = .object(metadata)
                if definition.hasStatusSubresource { object["status"] = old["status"] }
            }
            definition.normalize(&object)
            try validate(object, definition, operation: .update)
            admissionWarnings = try podSecurity.admit(
                definition, subresource: target.subresource, object: object, old: old, in: transaction)
            var comparable = object
            comparable["metadata"]?["resourceVersion"] = oldMetadata["resourceVersion"]
            if comparable == old {
                return existing
            }
            object["metadata"]?["managedFields"] = ManagedFields.updated(
                oldMetadata["managedFields"], manager: manager, apiVersion: definition.apiVersion,
                subresource: target.subresource, time: Timestamps.time(), fields: fieldsSource)
            definition.normalize(&object)
            let finalizers = object["metadata"]["finalizers"]?.arrayValue ?? []
            if object["metadata"]["deletionTimestamp"] != nil, finalizers.isEmpty,
                definition.storageKey != "pods" || object["metadata"]["deletionGracePeriodSeconds"]?.intValue == 0
            {
                let updated = transaction.put(definition, key: key, object: object)
                transaction.remove(definition, key: key)
                return updated
            }
            return transaction.put(definition, key: key, object: object)
        }
        context.warnings += admissionWarnings
        return bytesResponse(200, stored.fullEncoding(for: definition), context)
    }

    // MARK: delete

    struct DeleteOptions {
        var gracePeriodSeconds: Int?
        var propagationPolicy: String?
        var preconditionUID: String?
        var preconditionResourceVersion: String?
        var dryRun = false
    }

    private func deleteOptions(_ context: Context) throws -> DeleteOptions {
        var options = DeleteOptions()
        let request = context.request
        if !request.body.isEmpty {
            guard let body = try? JSONParser.parse(request.body), case .object = body else {
                throw APIError.badRequest("the body of the request was in an unknown format")
            }
            options.gracePeriodSeconds = body["gracePeriodSeconds"]?.intValue
            options.propagationPolicy = body["propagationPolicy"]?.stringValue
            if body["orphanDependents"]?.boolValue == true { options.propagationPolicy = "Orphan" }
            options.preconditionUID = body["preconditions"]["uid"]?.stringValue
            options.preconditionResourceVersion = body["preconditions"]["resourceVersion"]?.stringValue
            options.dryRun = body["dryRun"]?.arrayValue?.contains("All") ?? false
        }
        if let grace = request.queryValue("gracePeriodSeconds"), let value = Int(grace) {
            options.gracePeriodSeconds = value
        }
        if let policy = request.queryValue("propagationPolicy"), !policy.isEmpty { options.propagationPolicy = policy }
        if request.queryValue("orphanDependents") == "true" { options.propagationPolicy = "Orphan" }
        if request.queryValue("dryRun") == "All" { options.dryRun = true }
        return options
    }

    private func delete(_ target: Target, _ context: Context) throws -> APIResponse {
        let definition = target.definition
        let name = target.name ?? ""
        let options = try deleteOptions(context)
        let key = storageKey(target, name: name)
        let outcome = try store.transaction { transaction in
            try Deletion.delete(
                definition, key: key, name: name, options: options, transaction: transaction,
                registry: registry)
        }
        if definition.returnsDeletedObject {
            return bytesResponse(200, outcome.fullEncoding(for: definition), context)
        }
        var details = JSONObject()
        details["name"] = .string(name)
        if !definition.group.isEmpty { details["group"] = .string(definition.group) }
        details["kind"] = .string(definition.resource)
        details["uid"] = .string(outcome.uid)
        let status: JSONValue = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "details": .object(details),
        ]
        return jsonResponse(200, status, context)
    }

    private func deleteCollection(_ target: Target, _ context: Context) throws -> APIResponse {
        let definition = target.definition
        let listOptions = try listOptions(target, context)
        let options = try deleteOptions(context)
        let deleted: [StoredObject] = try store.transaction { transaction in
            var deleted: [StoredObject] = []
            for object in transaction.list(definition.storageKey, namespace: target.namespace)
            where matches(object, definition, listOptions) {
                deleted.append(
                    try Deletion.delete(
                        definition, key: object.key, name: object.name, options: options, transaction: transaction,
                        registry: registry))
            }
            return deleted
        }
        var bytes: [UInt8] = Array(
            "{\"kind\":\"\(definition.kind)List\",\"apiVersion\":\"\(definition.apiVersion)\",\"metadata\":{\"resourceVersion\":\"\(store.currentRevision)\"},\"items\":["
                .utf8)
        for (position, item) in deleted.enumerated() {
            if position > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: item.item(for: definition))
        }
        bytes.append(contentsOf: Array("]}".utf8))
        return bytesResponse(200, bytes, context)
    }

    // MARK: serviceaccounts/token

    private func createToken(_ target: Target, _ context: Context) throws -> APIResponse {
        let name = target.name ?? ""
        let namespace = target.namespace ?? ""
        guard store.transaction({ $0.get(target.definition.storageKey, key: "\(namespace)/\(name)") }) != nil else {
            throw APIError.notFound(resource: "serviceaccounts", group: "", name: name)
        }
        let request = (try? JSONParser.parse(context.request.body)) ?? [:]
        let expiration = request["spec"]["expirationSeconds"]?.intValue ?? 3600
        let token = "sim-sa-" + Identifiers.uid()
        let user = UserInfo(
            name: "system:serviceaccount:\(namespace):\(name)",
            groups: ["system:serviceaccounts", "system:serviceaccounts:\(namespace)", "system:authenticated"])
        access.withLock { $0.tokens[token] = user }
        let response: JSONValue = [
            "kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
            "metadata": ["name": .string(name), "namespace": .string(namespace), "creationTimestamp": nil],
            "spec": [
                "audiences": request["spec"]["audiences"] ?? ["https://kubernetes.default.svc.cluster.local"],
                "expirationSeconds": .int(expiration), "boundObjectRef": nil,
            ],
            "status": [
                "token": .string(token),
                "expirationTimestamp": .string(Timestamps.time(Date().addingTimeInterval(Double(expiration)))),
            ],
        ]
        return jsonResponse(201, response, context)
    }
}

/// The continue token of a paged list: unpadded base64url JSON, as apiserver writes it.
enum ContinueToken {
    static func encode(revision: Int, start: String) -> String {
        let value: JSONValue = ["v": "meta.k8s.io/v1", "rv": .int(revision), "start": .string(start + "\u{0}")]
        return Data(JSONWriter.encode(value)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ token: String) -> (revision: Int, start: String)? {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let value = try? JSONParser.parse(Array(data)),
            value["v"]?.stringValue == "meta.k8s.io/v1", let revision = value["rv"]?.intValue,
            var start = value["start"]?.stringValue
        else { return nil }
        if start.hasSuffix("\u{0}") { start.removeLast() }
        return (revision, start)
    }
}
