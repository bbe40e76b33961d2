import Foundation
import Logging
import ServiceLifecycle

/// An in-memory copy of the objects of one kind and selector, kept current by a watch (a "reflector").
///
/// ``run()`` lists everything (paged), then watches from the list's resourceVersion with bookmarks. When
/// the stream is cut it resumes from the last resourceVersion seen; when the server answers 410 Expired it
/// lists again; while the server is unreachable it retries with exponential backoff and jitter. Readers get
/// a consistent ``snapshot()`` at any time and can subscribe to ``changes()``.
public final class ResourceCache<R: KubernetesResource>: Service, Sendable {
    /// What is cached.
    public let configuration: ResourceCacheConfiguration
    private let client: KubernetesClient
    private let logger: Logger
    private let state = LockedState(State())

    private struct State {
        var objects: [String: R] = [:]
        var resourceVersion: String?
        var synced = false
        var subscribers: [UInt64: AsyncStream<ResourceChange>.Continuation] = [:]
        var syncWaiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
        var nextID: UInt64 = 0
    }

    /// Creates a cache; nothing happens until ``run()``.
    public init(
        client: KubernetesClient,
        configuration: ResourceCacheConfiguration = ResourceCacheConfiguration(),
        logger: Logger = Logger(label: "vigilante.kubernetes.cache")
    ) {
        self.client = client
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "resource"] = "\(R.qualifiedResource)"
        self.logger = logger
    }

    // MARK: - Reading

    /// All cached objects at one instant (unordered).
    public func snapshot() -> [R] {
        state.withLock { Array($0.objects.values) }
    }

    /// The cached object, if any.
    public func get(name: String, namespace: String? = nil) -> R? {
        let key = Self.key(name: name, namespace: R.namespaced ? namespace : nil)
        return state.withLock { $0.objects[key] }
    }

    /// How many objects are cached.
    public var count: Int {
        state.withLock { $0.objects.count }
    }

    /// Whether the initial list has completed; before that the cache is empty, not "nothing exists".
    public var hasSynced: Bool {
        state.withLock { $0.synced }
    }

    /// The resourceVersion the cache is at.
    public var resourceVersion: String? {
        state.withLock { $0.resourceVersion }
    }

    /// Waits until the initial list has completed (or the task is cancelled).
    public func waitUntilSynced() async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.synced { return true }
                    state.syncWaiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.syncWaiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }

    /// A new stream of change signals; each subscriber gets every signal from now on (the oldest unread
    /// ones are dropped beyond ``ResourceCacheConfiguration/changeBufferSize``). A relist that finds
    /// differences signals each of them. An object whose kept fields are unchanged (only its
    /// resourceVersion moved) is not a change.
    public func changes() -> AsyncStream<ResourceChange> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: ResourceChange.self,
            bufferingPolicy: .bufferingNewest(configuration.changeBufferSize)
        )
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            state.subscribers[state.nextID] = continuation
            return state.nextID
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    // MARK: - Running

    /// Lists and watches until the task is cancelled. Never throws for server trouble: it retries.
    public func run() async throws {
        var resourceVersion: String?
        var failures = 0
        let resource = R.qualifiedResource
        while !Task.isCancelled {
            let started = ContinuousClock.now
            var delivered = false
            do {
                if resourceVersion == nil {
                    let list = try await client.listAll(
                        R.self,
                        namespace: configuration.namespace,
                        labelSelector: configuration.labelSelector,
                        fieldSelector: configuration.fieldSelector,
                        pageSize: configuration.pageSize
                    )
                    let listVersion = list.metadata.resourceVersion ?? "0"
                    replaceAll(list.items, resourceVersion: listVersion)
                    resourceVersion = listVersion
                    delivered = true
                    logger.debug(
                        "listed", metadata: ["count": "\(list.items.count)", "resourceVersion": "\(listVersion)"])
                }
                let stream = try await client.watch(
                    R.self,
                    namespace: configuration.namespace,
                    options: WatchOptions(
                        labelSelector: configuration.labelSelector,
                        fieldSelector: configuration.fieldSelector,
                        resourceVersion: resourceVersion,
                        allowWatchBookmarks: true,
                        timeoutSeconds: Int.random(in: configuration.watchTimeoutSeconds)
                    )
                )
                var expired = false
                eventLoop: for try await event in stream {
                    switch event {
                    case .added(let object), .modified(let object):
                        upsert(object)
                    case .deleted(let object):
                        remove(object)
                    case .bookmark:
                        break
                    case .error(let status):
                        if status.code == 410 {
                            expired = true
                            break eventLoop
                        }
                        throw KubernetesError.from(code: status.code ?? 500, status: status, retryAfter: nil)
                    }
                    if let version = event.resourceVersion {
                        resourceVersion = version
                        state.withLock { $0.resourceVersion = version }
                    }
                    delivered = true
                    failures = 0
                }
                if expired {
                    logger.info("watch resourceVersion expired (410); relisting")
                    client.metrics.recordWatchRestart(resource: resource, reason: "expired")
                    resourceVersion = nil
                    continue
                }
                client.metrics.recordWatchRestart(resource: resource, reason: "closed")
                if !delivered, ContinuousClock.now - started < .seconds(1) {
                    // A stream that closes at once with nothing in it: do not spin.
                    failures += 1
                    try await Task.sleep(for: configuration.backoff.delay(forAttempt: failures - 1))
                } else {
                    failures = 0
                }
            } catch is CancellationError {
                break
            } catch KubernetesError.gone(let status) {
                logger.info("resourceVersion expired (410); relisting", metadata: ["message": "\(status.description)"])
                client.metrics.recordWatchRestart(resource: resource, reason: "expired")
                resourceVersion = nil
            } catch {
                if Task.isCancelled { break }
                if delivered { failures = 0 }
                failures += 1
                client.metrics.recordWatchRestart(resource: resource, reason: "error")
                let delay = configuration.backoff.delay(forAttempt: failures - 1)
                logger.warning(
                    "list/watch failed; retrying",
                    metadata: ["error": "\(error)", "failures": "\(failures)", "delay": "\(delay)"]
                )
                do {
                    try await Task.sleep(for: delay)
                } catch {
                    break
                }
            }
        }
        finishSubscribers()
    }

    // MARK: - Applying changes

    private static func key(name: String, namespace: String?) -> String {
        if let namespace, !namespace.isEmpty { return namespace + "/" + name }
        return name
    }

    private static func key(of object: R) -> String {
        key(name: object.metadata.name ?? "", namespace: R.namespaced ? object.metadata.namespace : nil)
    }

    private func upsert(_ object: R) {
        let key = Self.key(of: object)
        state.withLock { state in
            let previous = state.objects.updateValue(object, forKey: key)
            if let previous, !Self.differs(previous, object) { return }
            Self.notify(
                &state,
                ResourceChange(
                    kind: previous == nil ? .added : .modified, name: object.name, namespace: object.namespace)
            )
        }
    }

    private func remove(_ object: R) {
        let key = Self.key(of: object)
        state.withLock { state in
            guard state.objects.removeValue(forKey: key) != nil else { return }
            Self.notify(&state, ResourceChange(kind: .deleted, name: object.name, namespace: object.namespace))
        }
    }

    private func replaceAll(_ items: [R], resourceVersion: String) {
        var fresh: [String: R] = [:]
        fresh.reserveCapacity(items.count)
        for item in items {
            fresh[Self.key(of: item)] = item
        }
        let waiters = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            let old = state.objects
            state.objects = fresh
            state.resourceVersion = resourceVersion
            for (key, object) in fresh {
                if let previous = old[key] {
                    if Self.differs(previous, object) {
                        Self.notify(
                            &state, ResourceChange(kind: .modified, name: object.name, namespace: object.namespace))
                    }
                } else {
                    Self.notify(&state, ResourceChange(kind: .added, name: object.name, namespace: object.namespace))
                }
            }
            for (key, object) in old where fresh[key] == nil {
                Self.notify(&state, ResourceChange(kind: .deleted, name: object.name, namespace: object.namespace))
            }
            state.synced = true
            let waiters = Array(state.syncWaiters.values)
            state.syncWaiters.removeAll()
            return waiters
        }
        for waiter in waiters {
            waiter.resume()
        }
    }

    /// Whether `object` changed anything the cache keeps since `previous`. The models keep only the fields
    /// the tasks use, so a change of anything else (a kubelet's status heartbeat every few minutes, on
    /// every node) only moves the resourceVersion: the new object is kept, but no change is announced.
    private static func differs(_ previous: R, _ object: R) -> Bool {
        guard previous.metadata.resourceVersion != object.metadata.resourceVersion else { return false }
        var current = object
        current.metadata.resourceVersion = previous.metadata.resourceVersion
        return current != previous
    }

    private static func notify(_ state: inout State, _ change: ResourceChange) {
        for continuation in state.subscribers.values {
            continuation.yield(change)
        }
    }

    private func finishSubscribers() {
        let continuations = state.withLock { state in
            let continuations = Array(state.subscribers.values)
            state.subscribers.removeAll()
            return continuations
        }
        for continuation in continuations {
            continuation.finish()
        }
    }
}
