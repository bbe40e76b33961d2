import Foundation
import Logging
import Synchronization

/// Whether an event reports normal operation or a problem.
public enum EventType: String, Sendable {
    /// Normal operation (`SNATHealed`).
    case normal = "Normal"
    /// Something went wrong and may need attention.
    case warning = "Warning"
}

/// Records Kubernetes Events on objects. Recording is best effort: a failure is logged, never thrown.
public protocol EventRecording: Sendable {
    /// Records that `reason` happened to `object`.
    func record(on object: ObjectReference, type: EventType, reason: String, message: String) async
}

/// Creates core/v1 Events like client-go's recorder: the first occurrence creates an Event, repeats of
/// the same (object, type, reason, message) bump its `count` and `lastTimestamp` with a merge patch.
public final class EventRecorder: EventRecording {
    private let client: KubernetesClient
    private let component: String
    private let instance: String
    private let clock: any WallClock
    private let logger: Logger
    private let seen = Mutex<[String: (name: String, namespace: String, count: Int)]>([:])

    /// Creates a recorder reporting as `component` (`cops-vigilante`) from `instance` (the pod name).
    public init(
        client: KubernetesClient, component: String, instance: String, clock: any WallClock, logger: Logger
    ) {
        self.client = client
        self.component = component
        self.instance = instance
        self.clock = clock
        self.logger = logger
    }

    public func record(on object: ObjectReference, type: EventType, reason: String, message: String) async {
        // Events of cluster-scoped objects (nodes) live in `default`, as kubelet and client-go put them.
        let namespace = object.namespace ?? "default"
        let key = [object.uid ?? "", object.name ?? "", type.rawValue, reason, message].joined(separator: "\u{1}")
        let now = clock.now()
        if let previous = seen.withLock({ $0[key] }) {
            struct CountPatch: Encodable, Sendable {
                let count: Int
                let lastTimestamp: Date
            }
            do {
                _ = try await client.patch(
                    Event.self, name: previous.name, namespace: previous.namespace,
                    mergePatch: CountPatch(count: previous.count + 1, lastTimestamp: now))
                seen.withLock { $0[key]?.count = previous.count + 1 }
                return
            } catch KubernetesError.notFound {
                // Expired by the server's event TTL: create a new one below.
            } catch {
                logFailure(error, reason: reason, object: object)
                return
            }
        }
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let event = Event(
            metadata: ObjectMeta(name: "\(object.name ?? "object").\(suffix)", namespace: namespace),
            involvedObject: object, reason: reason, message: message, type: type.rawValue, count: 1,
            firstTimestamp: now, lastTimestamp: now, source: EventSource(component: component),
            reportingComponent: component, reportingInstance: instance)
        do {
            let created = try await client.create(event, namespace: namespace)
            seen.withLock { seen in
                // Bounded memory: forget old series; a forgotten repeat only creates a new Event.
                if seen.count >= 4096 { seen.removeAll() }
                seen[key] = (created.name, namespace, 1)
            }
        } catch {
            logFailure(error, reason: reason, object: object)
        }
    }

    private func logFailure(_ error: any Error, reason: String, object: ObjectReference) {
        if case KubernetesError.dryRun = error {
            logger.info(
                "dry-run: would record event", metadata: ["reason": "\(reason)", "object": "\(object.name ?? "")"])
        } else {
            logger.warning(
                "could not record event",
                metadata: ["reason": "\(reason)", "object": "\(object.name ?? "")", "error": "\(error)"])
        }
    }
}
