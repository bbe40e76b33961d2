import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Leader election with a coordination.k8s.io/v1 Lease, following client-go's algorithm: try to acquire
/// or renew every `retryPeriod`; a lease held by another identity counts as expired only when its record
/// has not changed for `leaseDuration` as observed locally (so clock skew between nodes does not matter);
/// a leader that cannot renew for `renewDeadline` steps down; on shutdown the leader releases the lease
/// so a successor need not wait.
public final class LeaderElector: Service, Leadership {
    private let settings: Configuration.LeaderElectionSettings
    private let client: KubernetesClient
    private let clock: any WallClock
    private let logger: Logger
    private let leaderGauge: Gauge
    private let state = Mutex(State())

    private struct State {
        var isLeader = false
        var subscribers: [UInt64: AsyncStream<Bool>.Continuation] = [:]
        var nextSubscriber: UInt64 = 0
        var observedSpec: LeaseSpec?
        var observedAt: ContinuousClock.Instant = .now
        var lastRenewal: ContinuousClock.Instant?
        var lastError: String?
        /// The lease as this instance last wrote it, so a leader renews with one UPDATE (no GET).
        var heldLease: Lease?
    }

    /// Creates an elector; nothing happens until ``run()``.
    public init(
        settings: Configuration.LeaderElectionSettings, client: KubernetesClient, clock: any WallClock,
        metrics: any MetricsFactory, logger: Logger
    ) {
        self.settings = settings
        self.client = client
        self.clock = clock
        var logger = logger
        logger[metadataKey: "lease"] = "\(settings.leaseNamespace)/\(settings.leaseName)"
        self.logger = logger
        leaderGauge = Gauge(label: "vigilante_leader", dimensions: [], factory: metrics)
        leaderGauge.record(0)
    }

    public var isLeader: Bool { state.withLock { $0.isLeader } }

    /// The lease holder's identity as last read or written, nil before the first read or when nobody
    /// holds it.
    public var leaderIdentity: String? {
        state.withLock { $0.observedSpec?.holderIdentity.flatMap { $0.isEmpty ? nil : $0 } }
    }

    /// The last error talking to the lease, if the last attempt failed.
    public var lastError: String? { state.withLock { $0.lastError } }

    public func changes() -> AsyncStream<Bool> {
        let (stream, continuation) = AsyncStream<Bool>.makeStream(bufferingPolicy: .bufferingNewest(8))
        let id = state.withLock { state -> UInt64 in
            defer { state.nextSubscriber += 1 }
            state.subscribers[state.nextSubscriber] = continuation
            return state.nextSubscriber
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    public func run() async throws {
        logger.info("leader election started", metadata: ["identity": "\(settings.identity)"])
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let renewed = await self.tryAcquireOrRenew()
                self.update(afterAttemptSucceeded: renewed)
                // Candidates spread their attempts a little, as client-go does (JitterFactor 1.2 when waiting).
                let wait =
                    self.isLeader
                    ? self.settings.retryPeriod
                    : self.settings.retryPeriod + self.settings.retryPeriod * Double.random(in: 0..<0.2)
                try? await Task.sleep(for: wait)
            }
        }
        // Also when not (yet) leading: an acquisition may have reached the server just as shutdown began.
        // release() gives the lease up only if the server says this identity holds it.
        setLeader(false)
        await release()
    }

    private func update(afterAttemptSucceeded renewed: Bool) {
        let now = ContinuousClock.now
        if renewed {
            state.withLock { $0.lastRenewal = now }
            setLeader(true)
            return
        }
        let lastRenewal = state.withLock { $0.lastRenewal }
        if isLeader, let lastRenewal, now - lastRenewal > settings.renewDeadline {
            logger.error(
                "could not renew the lease within renewDeadline; stepping down",
                metadata: ["renewDeadline": "\(settings.renewDeadline.configText)"])
            setLeader(false)
        }
    }

    private func setLeader(_ leader: Bool) {
        let subscribers = state.withLock { state -> [AsyncStream<Bool>.Continuation] in
            guard state.isLeader != leader else { return [] }
            state.isLeader = leader
            return Array(state.subscribers.values)
        }
        guard !subscribers.isEmpty else { return }
        leaderGauge.record(leader ? 1 : 0)
        logger.notice(leader ? "acquired the lease: this instance leads" : "no longer leading")
        for subscriber in subscribers { subscriber.yield(leader) }
    }

    /// One attempt; true when this instance holds the lease afterwards.
    func tryAcquireOrRenew() async -> Bool {
        if isLeader, await renewHeldLease() { return true }
        let now = clock.now()
        let leaseSeconds = Int(settings.leaseDuration.seconds.rounded(.up))
        do {
            let lease: Lease
            do {
                lease = try await withDeadline(settings.renewDeadline) {
                    try await self.client.get(
                        Lease.self, name: self.settings.leaseName, namespace: self.settings.leaseNamespace)
                }
            } catch KubernetesError.notFound {
                let created = try await client.create(
                    Lease(
                        metadata: ObjectMeta(name: settings.leaseName, namespace: settings.leaseNamespace),
                        spec: LeaseSpec(
                            holderIdentity: settings.identity, leaseDurationSeconds: leaseSeconds,
                            acquireTime: MicroTime(now), renewTime: MicroTime(now), leaseTransitions: 0)),
                    namespace: settings.leaseNamespace)
                observe(created.spec)
                state.withLock { $0.heldLease = created }
                return true
            }
            let spec = lease.spec ?? LeaseSpec()
            observe(spec)
            let holder = spec.holderIdentity ?? ""
            let held = !holder.isEmpty && holder != settings.identity
            if held {
                let duration = Duration.seconds(spec.leaseDurationSeconds ?? leaseSeconds)
                let observedAt = state.withLock { $0.observedAt }
                if ContinuousClock.now - observedAt < duration {
                    state.withLock { $0.lastError = nil }
                    return false
                }
                logger.info("the lease of \(holder) expired; taking over")
            }
            var updated = lease
            let isTransition = holder != settings.identity
            updated.spec = LeaseSpec(
                holderIdentity: settings.identity, leaseDurationSeconds: leaseSeconds,
                acquireTime: isTransition ? MicroTime(now) : spec.acquireTime, renewTime: MicroTime(now),
                leaseTransitions: (spec.leaseTransitions ?? 0) + (isTransition && !holder.isEmpty ? 1 : 0))
            let proposal = updated
            let stored = try await withDeadline(settings.renewDeadline) { try await self.client.update(proposal) }
            observe(stored.spec)
            state.withLock {
                $0.lastError = nil
                $0.heldLease = stored
            }
            return true
        } catch {
            state.withLock { $0.lastError = "\(error)" }
            logger.warning("lease attempt failed", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// The leader's renewal: one UPDATE of the lease it last wrote, guarded by that resourceVersion. Any
    /// failure (a 409 when someone else wrote the lease, a transport error) falls back to the full
    /// GET-then-decide path of ``tryAcquireOrRenew()``.
    private func renewHeldLease() async -> Bool {
        guard var lease = state.withLock({ $0.heldLease }), var spec = lease.spec,
            spec.holderIdentity == settings.identity
        else { return false }
        spec.renewTime = MicroTime(clock.now())
        lease.spec = spec
        let proposal = lease
        do {
            let stored = try await withDeadline(settings.renewDeadline) { try await self.client.update(proposal) }
            observe(stored.spec)
            state.withLock {
                $0.lastError = nil
                $0.heldLease = stored
            }
            return true
        } catch {
            state.withLock { $0.heldLease = nil }
            return false
        }
    }

    private func observe(_ spec: LeaseSpec?) {
        state.withLock { state in
            if state.observedSpec != spec {
                state.observedSpec = spec
                state.observedAt = .now
            }
        }
    }

    /// Gives the lease up so a successor can take it at once.
    private func release() async {
        do {
            var lease = try await client.get(Lease.self, name: settings.leaseName, namespace: settings.leaseNamespace)
            guard lease.spec?.holderIdentity == settings.identity else { return }
            let now = MicroTime(clock.now())
            lease.spec = LeaseSpec(
                holderIdentity: nil, leaseDurationSeconds: 1, acquireTime: now, renewTime: now,
                leaseTransitions: lease.spec?.leaseTransitions)
            let released = lease
            _ = try await withDeadline(settings.renewDeadline) { try await self.client.update(released) }
            logger.info("released the lease")
        } catch {
            logger.warning("could not release the lease", metadata: ["error": "\(error)"])
        }
    }
}

/// The time limit of an operation ran out.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    /// The limit.
    public var limit: Duration
    public var description: String { "no answer within \(limit.configText)" }
}

/// Runs `body`, cancelling it and throwing ``DeadlineExceeded`` when it takes longer than `limit`.
public func withDeadline<T: Sendable>(
    _ limit: Duration, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw DeadlineExceeded(limit: limit)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
