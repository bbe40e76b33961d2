import ArgumentParser
import VigilanteCore

/// `vigilante config`: configuration tools.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Configuration tools.",
        subcommands: [CheckCommand.self, ReferenceCommand.self]
    )

    /// `vigilante config check [FILE]`.
    struct CheckCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Validate a configuration file and print the effective configuration.",
            discussion: """
                Reads FILE (or --config, $VIGILANTE_CONFIG, /etc/vigilante/config.yaml), applies VIGILANTE_* \
                environment variables, and prints every key with its effective value and where it came from. \
                Exits 0 when valid, 2 with one message naming the file, line and key when not.
                """
        )

        @Argument(help: "The configuration file to check.")
        var file: String?

        @Option(name: .long, help: "The configuration file to check (same as FILE).")
        var config: String?

        func run() throws {
            let loaded = try loadOrExit(
                ConfigurationLoader(taskTypes: registeredTaskConfigurations), path: file ?? config)
            print(loaded.file.map { "\($0) is valid." } ?? "No configuration file found; the defaults are valid.")
            print("Effective configuration:")
            let width = loaded.effectiveValues.map(\.path.count).max() ?? 0
            for value in loaded.effectiveValues {
                let key = (value.path + ":").padding(toLength: width + 1, withPad: " ", startingAt: 0)
                print("  \(key) \(value.value)    # \(value.source)")
            }
        }
    }
}

extension ConfigCommand {
    /// `vigilante config reference`: every key as a Markdown table (docs/configuration.md is made from it).
    struct ReferenceCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reference",
            abstract: "Print every configuration key with its type, default and environment variable as Markdown."
        )

        func run() {
            print("| Key | Type | Default | Environment variable | Meaning |")
            print("|---|---|---|---|---|")
            for key in ConfigurationLoader(taskTypes: registeredTaskConfigurations).describeKeys() {
                let variable = key.path.contains("[]") ? "(part of the list)" : "`\(key.environmentVariable)`"
                var meaning = key.summary.replacingOccurrences(of: "|", with: "\\|")
                if !key.aliases.isEmpty {
                    meaning += " Also accepted: " + key.aliases.map { "`\($0)`" }.joined(separator: ", ") + "."
                }
                print("| `\(key.path)` | \(key.type) | \(key.defaultValue) | \(variable) | \(meaning) |")
            }
        }
    }
}
