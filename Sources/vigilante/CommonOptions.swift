import ArgumentParser
import Foundation
import VigilanteCore

/// Flags shared by the commands that run the operator. Each overrides one configuration key.
struct CommonOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "Configuration file (default: $VIGILANTE_CONFIG, else /etc/vigilante/config.yaml if present).")
    var config: String?

    @Option(name: .long, help: "Kubeconfig file (key kubernetes.kubeconfig).")
    var kubeconfig: String?

    @Option(name: .long, help: "Kubeconfig context (key kubernetes.context).")
    var context: String?

    @Option(name: .long, help: "Port of the status server (key http.port; default 8000, 8443 with TLS).")
    var httpPort: Int?

    @Flag(name: .long, help: "Log and report every action instead of taking it (key dryRun).")
    var dryRun = false

    @Option(
        name: .long, help: "Lowest log level: trace, debug, info, notice, warning, error, critical (key log.level).")
    var logLevel: String?

    @Option(name: .long, help: "Log format: text or json (key log.format).")
    var logFormat: String?

    /// The flags as configuration overrides.
    var overrides: [ConfigOverride] {
        var overrides: [ConfigOverride] = []
        func add(_ path: String, _ value: String?, _ flag: String) {
            if let value { overrides.append(ConfigOverride(path: path, text: value, source: "flag --\(flag)")) }
        }
        add("kubernetes.kubeconfig", kubeconfig, "kubeconfig")
        add("kubernetes.context", context, "context")
        add("http.port", httpPort.map(String.init), "http-port")
        add("dryRun", dryRun ? "true" : nil, "dry-run")
        add("log.level", logLevel, "log-level")
        add("log.format", logFormat, "log-format")
        return overrides
    }

    /// Loads the configuration, or prints the error and exits with status 2.
    func loadConfiguration() throws -> ConfigurationLoader.Loaded {
        try loadOrExit(ConfigurationLoader(taskTypes: registeredTaskConfigurations, flags: overrides), path: config)
    }
}

/// Loads with `loader`, or prints the error to standard error and exits with status 2.
func loadOrExit(_ loader: ConfigurationLoader, path: String?) throws -> ConfigurationLoader.Loaded {
    do {
        return try loader.load(path: path)
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(2)
    }
}
