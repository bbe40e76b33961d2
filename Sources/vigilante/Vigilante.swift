import ArgumentParser

/// The `vigilante` command: the operator and its tools.
@main
struct Vigilante: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigilante",
        abstract: "cops-vigilante: a Kubernetes operator that runs self-healing tasks against its cluster.",
        discussion: """
            Start with `vigilante demo` to watch the operator heal a simulated cluster, `vigilante tasks` to see \
            what it can do, and `vigilante config check FILE` to validate a configuration file. In a cluster, \
            the Helm chart runs `vigilante run`.
            """,
        version: BuildInfo.description,
        subcommands: [
            RunCommand.self, DemoCommand.self, TasksCommand.self, ConfigCommand.self, SimulateCommand.self,
        ]
    )
}
