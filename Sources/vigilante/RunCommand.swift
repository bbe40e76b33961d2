import ArgumentParser
import Foundation
import VigilanteCore

/// `vigilante run`: the operator.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the operator against the cluster of the kubeconfig or the in-cluster service account.",
        discussion: """
            Loads the configuration (file, then VIGILANTE_* environment variables, then these flags), elects a
            leader through a Lease, runs the enabled tasks and serves /tasks, /healthz, /readyz and /metrics.
            A configuration error exits with status 2 before anything touches the cluster.
            """
    )

    @OptionGroup var options: CommonOptions

    func run() async throws {
        let loaded = try options.loadConfiguration()
        LineLogHandler.bootstrap(format: loaded.configuration.log.format, level: loaded.configuration.log.level)
        FileHandle.standardError.write(
            Data(
                """
                error: the configuration is valid, but the operator runtime (client, scheduler, status server) \
                is not wired into `vigilante run` yet; it arrives with issues 03 to 06.

                """.utf8))
        throw ExitCode(1)
    }
}
