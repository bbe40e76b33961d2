import Foundation

/// Loads the configuration: defaults, then the YAML file, then `VIGILANTE_…` environment variables, then
/// flags, each later source winning. Every problem is one `ConfigurationError` naming the key and source.
public struct ConfigurationLoader: Sendable {
    /// Where the file is looked for when no path is given.
    public static let defaultPath = "/etc/vigilante/config.yaml"
    /// Environment variables with the prefix that are not configuration keys.
    public static let reservedVariables: Set<String> = ["VIGILANTE_CONFIG"]

    /// The registered tasks' configuration types.
    public var taskTypes: [any TaskConfiguration.Type]
    /// Environment variables and other surroundings.
    public var environment: ConfigEnvironment
    /// Values given as command-line flags.
    public var flags: [ConfigOverride]

    /// Creates a loader.
    public init(
        taskTypes: [any TaskConfiguration.Type], environment: ConfigEnvironment = .process,
        flags: [ConfigOverride] = []
    ) {
        self.taskTypes = taskTypes
        self.environment = environment
        self.flags = flags
    }

    /// The result of a load: the configuration and where each value came from.
    public struct Loaded: Sendable {
        /// The configuration.
        public var configuration: Configuration
        /// The file read, if any.
        public var file: String?
        /// Every key's effective value and its source, in reading order.
        public var effectiveValues: [ConfigEffectiveValue]
    }

    /// Loads from `path`, or from `VIGILANTE_CONFIG`, or from the default path if that file exists.
    /// A path given explicitly must exist.
    public func load(path explicitPath: String?) throws(ConfigurationError) -> Loaded {
        let path = explicitPath ?? environment.variables["VIGILANTE_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        let file: String?
        let text: String
        if let path {
            file = path
            text = try Self.readFile(path)
        } else if FileManager.default.fileExists(atPath: Self.defaultPath) {
            file = Self.defaultPath
            text = try Self.readFile(Self.defaultPath)
        } else {
            file = nil
            text = ""
        }
        let source = file ?? "defaults"
        let document = try ConfigNode.parse(yaml: text, source: source)
        if case .mapping = document {
        } else if !document.isNull {
            throw ConfigurationError(
                source: source, line: document.line, keyPath: "",
                message: "the configuration must be a YAML mapping of keys, got \(document.kindName)")
        }
        let overrides = try collectOverrides()
        let session = ConfigReader.Session(fileSource: source, overrides: overrides)
        var root = try ConfigReader(session: session, pathPrefix: "", node: document)
        let configuration = try Configuration.read(&root, taskTypes: taskTypes, environment: environment)
        try root.finish()
        return Loaded(configuration: configuration, file: file, effectiveValues: session.effective)
    }

    /// Every key the code reads, with type, default, summary and environment variable.
    public func describeKeys() -> [ConfigKeyDescription] {
        let session = ConfigReader.Session(fileSource: "defaults", overrides: [:])
        guard var root = try? ConfigReader(session: session, pathPrefix: "", node: nil) else { return [] }
        _ = try? Configuration.read(&root, taskTypes: taskTypes, environment: environment)
        return session.described
    }

    /// Environment variables and flags by key path; flags win over the environment.
    private func collectOverrides() throws(ConfigurationError) -> [String: ConfigOverride] {
        let keys = describeKeys().filter { !$0.path.contains("[]") }
        let byVariable = Dictionary(keys.map { ($0.environmentVariable, $0) }, uniquingKeysWith: { first, _ in first })
        var overrides: [String: ConfigOverride] = [:]
        for (name, value) in environment.variables.sorted(by: { $0.key < $1.key })
        where name.hasPrefix("VIGILANTE_") && !Self.reservedVariables.contains(name) {
            guard let key = byVariable[name] else {
                throw ConfigurationError(
                    source: "environment variable \(name)", keyPath: "",
                    message: "is not a configuration key (see docs/configuration.md for the VIGILANTE_ variables)")
            }
            overrides[key.path] = ConfigOverride(path: key.path, text: value, source: "environment variable \(name)")
        }
        let known = Set(keys.map(\.path))
        for flag in flags {
            guard known.contains(flag.path) else {
                throw ConfigurationError(source: flag.source, keyPath: flag.path, message: "is not a configuration key")
            }
            overrides[flag.path] = flag
        }
        return overrides
    }

    private static func readFile(_ path: String) throws(ConfigurationError) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigurationError(
                source: path, keyPath: "", message: "cannot read the configuration file: no such file")
        }
        guard !isDirectory.boolValue else {
            throw ConfigurationError(
                source: path, keyPath: "", message: "cannot read the configuration file: it is a directory")
        }
        guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.readToEnd() ?? Data() else {
            throw ConfigurationError(
                source: path, keyPath: "", message: "cannot read the configuration file: permission denied")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(source: path, keyPath: "", message: "the configuration file is not UTF-8 text")
        }
        return text
    }
}
