import ArgumentParser
import VigilanteCore

/// `vigilante tasks`: what each registered task does and how to configure it.
struct TasksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks",
        abstract: "List every registered task with its configuration keys and defaults.",
        discussion: """
            Each task is configured under tasks.<name> in the configuration file; every key can also be set \
            with the environment variable shown.
            """
    )

    func run() throws {
        let keys = ConfigurationLoader(taskTypes: registeredTaskConfigurations).describeKeys()
        for type in registeredTaskConfigurations {
            let state = type.enabledByDefault ? "enabled by default" : "disabled by default"
            print("\(type.section): \(type.summary)")
            print("  \(state), runs every \(type.defaultInterval.configText) by default")
            let prefix = "tasks.\(type.section)."
            let rows = keys.filter { $0.path.hasPrefix(prefix) }
            let pathWidth = rows.map(\.path.count).max() ?? 0
            let typeWidth = rows.map(\.type.count).max() ?? 0
            let defaultWidth = rows.map(\.defaultValue.count).max() ?? 0
            for key in rows {
                let columns = [
                    key.path.padding(toLength: pathWidth, withPad: " ", startingAt: 0),
                    key.type.padding(toLength: typeWidth, withPad: " ", startingAt: 0),
                    key.defaultValue.padding(toLength: defaultWidth, withPad: " ", startingAt: 0),
                    key.path.contains("[]") ? "" : key.environmentVariable,
                ]
                print("    " + columns.joined(separator: "  "))
            }
            print("")
        }
    }
}
