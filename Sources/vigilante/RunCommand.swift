import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import VigilanteCore

/// `vigilante run`: the operator.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the operator against the cluster of the kubeconfig or the in-cluster service account.",
        discussion: """
            Loads the configuration (file, then VIGILANTE_* environment variables, then these flags), elects a \
            leader through a Lease, runs the enabled tasks and serves /tasks, /healthz, /readyz and /metrics. \
            SIGTERM stops it gracefully: no new passes, the running one may finish, the lease is released. \
            Exit status 2: bad configuration or kubeconfig; 1: the store or the API server failed at start.
            """
    )

    @OptionGroup var options: CommonOptions

    func run() async throws {
        // An always-on process: hold only the pages of the executable that run (see MappedFilePages).
        MappedFilePages.trim()
        let configuration = try options.loadConfiguration().configuration
        LineLogHandler.bootstrap(format: configuration.log.format, level: configuration.log.level)
        let registry = PrometheusCollectorRegistry()
        let metrics = PrometheusMetricsFactory(registry: registry)
        MetricsSystem.bootstrap(metrics)
        let logger = Logger(label: "vigilante")
        let runtime: OperatorRuntime
        do {
            runtime = try OperatorRuntime(
                configuration: configuration, taskTypes: registeredTasks, registry: registry, metrics: metrics,
                logger: logger, version: BuildInfo.description)
        } catch {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw ExitCode(error.isConfigurationError ? 2 : 1)
        }
        do {
            try await runtime.waitForAPIServer()
        } catch {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            await runtime.shutdown()
            throw ExitCode(1)
        }
        do {
            try await runtime.run()
        } catch {
            logger.critical("the operator stopped on an error", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }
}
