import VigilanteBuildInfo

/// What `vigilante --version` prints: the release version, and the git commit and build date that
/// scripts/build-release.sh stamps into the binary (`unknown` in a plain `swift build`).
enum BuildInfo {
    /// The operator's version. The chart's `appVersion` (the default image tag), the image's
    /// `org.opencontainers.image.version` label and the release tag must equal it: scripts/check-version.sh
    /// fails when they do not, and scripts/release.sh refuses to publish.
    static let version = "2.0.0"

    /// The stamped `key=value` lines.
    static let stamp: [String: String] = {
        var values: [String: String] = [:]
        for line in String(cString: vigilante_build_stamp()).split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return values
    }()

    /// The git commit the binary was built from.
    static var commit: String { stamp["commit"] ?? "unknown" }
    /// The build date (the commit's date, so that two builds of a commit are identical), ISO 8601 UTC.
    static var date: String { stamp["date"] ?? "unknown" }

    /// The `--version` text.
    static var description: String { "\(version) (commit \(commit), built \(date))" }
}
