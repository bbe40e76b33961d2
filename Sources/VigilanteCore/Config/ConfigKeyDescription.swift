/// One configuration key as the code reads it: its path, type, default, meaning and environment variable.
///
/// The list of every key is produced by reading an empty configuration (`ConfigurationLoader.describeKeys()`),
/// so it cannot drift from the code that reads the keys.
public struct ConfigKeyDescription: Sendable, Equatable {
    /// Dotted path such as `tasks.snat.interval`.
    public var path: String
    /// Type name shown to users: `duration`, `boolean`, `integer`, `string`, `list of tolerations`…
    public var type: String
    /// The default, as a user would write it in the file.
    public var defaultValue: String
    /// One sentence on what the key does.
    public var summary: String
    /// Other spellings accepted for this key (the original release's names).
    public var aliases: [String]

    /// The environment variable that overrides the key: `VIGILANTE_` plus the path in upper snake case
    /// (`tasks.snat.healingDuration` → `VIGILANTE_TASKS_SNAT_HEALING_DURATION`).
    public var environmentVariable: String {
        var name = "VIGILANTE"
        for component in path.split(separator: ".") {
            name += "_"
            let characters = Array(component)
            for (index, character) in characters.enumerated() {
                // A word starts at an upper-case letter after a lower-case one (healingDuration) or at the
                // last capital of an acronym followed by a lower-case letter (clientCAFile → CLIENT_CA_FILE).
                if index > 0, character.isUppercase {
                    let previous = characters[index - 1]
                    let next = index + 1 < characters.count ? characters[index + 1] : nil
                    if previous.isLowercase || previous.isNumber || (previous.isUppercase && next?.isLowercase == true)
                    {
                        name += "_"
                    }
                }
                name += character == "-" ? "_" : character.uppercased()
            }
        }
        return name
    }
}

/// The value a key ended up with after file, environment and flags were applied.
public struct ConfigEffectiveValue: Sendable, Equatable {
    /// Dotted key path.
    public var path: String
    /// The value as it would be written in the file.
    public var value: String
    /// `default`, the file path, `environment variable …` or `flag …`.
    public var source: String
}
