import Foundation
import Logging

/// A task type as the executable lists it; the registry makes instances from the configuration.
public struct TaskType: Sendable {
    /// The task's stable name.
    public let name: String
    /// The configuration type of its section.
    public let configurationType: any TaskConfiguration.Type
    /// The `# HELP` texts of its metrics.
    public let metricHelp: [String: String]
    let make: @Sendable (TaskSettings) -> AnyVigilanteTask

    /// Registers `type`.
    public init<T: VigilanteTask>(_ type: T.Type) {
        name = T.name
        configurationType = T.Configuration.self
        metricHelp = T.metricHelp
        make = { settings in
            let options = settings.options(as: T.Configuration.self)!
            return AnyVigilanteTask(T(configuration: options, settings: settings))
        }
    }
}

/// A task without its types, as the scheduler holds it.
public struct AnyVigilanteTask: Sendable {
    /// The task's stable name.
    public let name: String
    /// Its declared watched resources.
    public let watchedResources: [WatchedResourceDeclaration]
    let reconcileBody: @Sendable (TaskContext) async throws -> TaskOutcome
    let statusBody: @Sendable (TaskContext) async -> (json: Data, page: StatusPageSection?)

    /// Wraps `task`.
    public init<T: VigilanteTask>(_ task: T) {
        name = T.name
        watchedResources = task.watchedResources
        reconcileBody = { context in try await task.reconcile(context) }
        statusBody = { context in
            let status = await task.status(context)
            return ((try? StatusJSON.encode(status, pretty: false)) ?? StatusJSON.null, task.statusPage(status))
        }
    }

    /// Runs one pass.
    public func reconcile(_ context: TaskContext) async throws -> TaskOutcome { try await reconcileBody(context) }

    /// The task's status snapshot as compact JSON with sorted keys (`null` if it cannot be encoded), and
    /// what the status page shows of it.
    public func statusJSONAndPage(_ context: TaskContext) async -> (json: Data, page: StatusPageSection?) {
        await statusBody(context)
    }
}

/// The tasks of this process: every registered type, enabled or not, with its settings.
public struct TaskRegistry: Sendable {
    /// One registered task.
    public struct Entry: Sendable {
        /// Its settings from the configuration.
        public let settings: TaskSettings
        /// The instance; made even when disabled, so its status can be shown.
        public let task: AnyVigilanteTask

        /// Creates an entry from an instance (tests and tools; the executable uses task types).
        public init(settings: TaskSettings, task: AnyVigilanteTask) {
            self.settings = settings
            self.task = task
        }
    }

    /// Every registered task, in registration order.
    public let entries: [Entry]

    /// Makes the tasks from their types and the loaded configuration.
    public init(types: [TaskType], configuration: Configuration) {
        entries = types.compactMap { type in
            guard let settings = configuration.task(type.configurationType.section) else { return nil }
            return Entry(settings: settings, task: type.make(settings))
        }
    }

    /// A registry of ready-made entries.
    public init(entries: [Entry]) {
        self.entries = entries
    }

    /// The configuration types of `types`, for the configuration loader.
    public static func configurationTypes(_ types: [TaskType]) -> [any TaskConfiguration.Type] {
        types.map(\.configurationType)
    }
}
