import Foundation

/// The status the server shows for the whole operator: tasks and liveness from the scheduler, readiness
/// from the store, the configuration, the API server and the caches.
struct OperatorStatus: StatusProvider {
    let scheduler: TaskScheduler
    let store: VigilanteStore
    let reachability: APIReachability
    let reachabilityWindow: Duration
    let leadership: any Leadership
    let identity: String
    let clock: any WallClock
    let version: String

    func taskStatuses() async -> [TaskStatusEntry] { await scheduler.taskStatuses() }

    func taskStatusesJSON() async throws -> Data { try await scheduler.taskStatusesJSON() }

    func taskStatusJSON(named name: String) async throws -> Data? { try await scheduler.taskStatusJSON(named: name) }

    func operatorSummary() async -> OperatorSummary {
        let isLeader = leadership.isLeader
        return OperatorSummary(
            version: version, identity: identity, isLeader: isLeader,
            leaderIdentity: isLeader ? identity : leadership.leaderIdentity, now: clock.now())
    }

    func livenessProblem() async -> String? { await scheduler.livenessProblem() }

    func readinessChecks() async -> [ReadinessCheck] {
        let storeHealthy = store.isHealthy()
        return [
            ReadinessCheck(name: "configuration", ok: true),
            ReadinessCheck(
                name: "store", ok: storeHealthy,
                detail: storeHealthy ? nil : "the database at \(store.path) does not answer"
            ),
            reachability.check(window: reachabilityWindow),
        ] + (await scheduler.readinessChecks())
    }
}
