import Logging

/// A set of objects a task reads from a watch-backed cache: a kind, a selector, and whether a change
/// should wake the task before its interval.
public struct WatchedResource<R: KubernetesResource>: Sendable {
    /// Names the cache within the task (`windowsNodes`, `healerPods`).
    public var id: String
    /// What the cache lists and watches.
    public var configuration: ResourceCacheConfiguration
    /// Whether a change runs the task early (debounced).
    public var triggersRun: Bool

    /// Declares a watched resource.
    public init(_ id: String, configuration: ResourceCacheConfiguration, triggersRun: Bool) {
        self.id = id
        self.configuration = configuration
        self.triggersRun = triggersRun
    }

    /// The type-erased declaration the core uses to start the cache.
    public var declaration: WatchedResourceDeclaration {
        WatchedResourceDeclaration(
            id: id, resource: R.qualifiedResource, triggersRun: triggersRun
        ) { client, logger in
            ResourceCache<R>(client: client, configuration: configuration, logger: logger)
        }
    }
}

/// A ``WatchedResource`` without its type, as a task hands it to the core.
public struct WatchedResourceDeclaration: Sendable {
    /// Names the cache within the task.
    public var id: String
    /// The qualified resource (`nodes`, `leases.coordination.k8s.io`), for logs.
    public var resource: String
    /// Whether a change runs the task early.
    public var triggersRun: Bool
    /// Makes the cache.
    let makeCache: @Sendable (KubernetesClient, Logger) -> any RunnableCache
}

/// What the core needs of any ``ResourceCache``, whatever its type.
protocol RunnableCache: AnyObject, Sendable {
    func run() async throws
    func changes() -> AsyncStream<ResourceChange>
    var hasSynced: Bool { get }
    func waitUntilSynced() async throws
}

extension ResourceCache: RunnableCache {}

/// The caches of one task, looked up by the declaration that made them.
public struct TaskCaches: Sendable {
    let caches: [String: any RunnableCache]
    private let logger: Logger

    /// Makes (but does not start) one cache per declaration.
    public init(declarations: [WatchedResourceDeclaration], client: KubernetesClient, logger: Logger) {
        self.logger = logger
        var caches: [String: any RunnableCache] = [:]
        for declaration in declarations where caches[declaration.id] == nil {
            caches[declaration.id] = declaration.makeCache(client, logger)
        }
        self.caches = caches
    }

    /// Keeps every cache current until cancelled (restarting a cache that fails), for harnesses that
    /// run a task without the scheduler.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for (id, cache) in caches {
                group.addTask {
                    while !Task.isCancelled {
                        do {
                            try await cache.run()
                        } catch is CancellationError {
                            return
                        } catch {
                            logger.error(
                                "cache stopped; restarting", metadata: ["cache": "\(id)", "error": "\(error)"])
                        }
                        try? await Task.sleep(for: .seconds(1))
                    }
                }
            }
        }
    }

    /// Waits until every cache finished its initial list.
    public func waitUntilSynced() async throws {
        for cache in caches.values { try await cache.waitUntilSynced() }
    }

    /// The cache of `resource`, as declared by the task.
    public func cache<R>(_ resource: WatchedResource<R>) -> ResourceCache<R> {
        guard let cache = caches[resource.id] as? ResourceCache<R> else {
            preconditionFailure("the task did not declare the watched resource \(resource.id) in watchedResources")
        }
        return cache
    }

    /// Whether every cache finished its initial list.
    public var allSynced: Bool { caches.values.allSatisfy(\.hasSynced) }
}
