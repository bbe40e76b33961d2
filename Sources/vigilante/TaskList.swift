import SNAT
import VigilanteCore

/// The configuration types of every task this binary ships, in the order they are listed and run.
/// Adding a task adds one line here.
let registeredTaskConfigurations: [any TaskConfiguration.Type] = [
    SNATConfiguration.self
]
