import EvictedPodCleanup
import SNAT
import VigilanteCore

/// Every task this binary ships, in the order they are listed and run. Adding a task adds one line here.
let registeredTasks: [TaskType] = [
    TaskType(SNATTask.self),
    TaskType(EvictedPodCleanupTask.self),
]

/// The configuration sections of the registered tasks.
let registeredTaskConfigurations = TaskRegistry.configurationTypes(registeredTasks)
