import Foundation

extension NotificationSettings {
    /// Reads the `notifications` section. Webhook addresses are read from the file or environment variable
    /// each destination names and validated here, so `config check` catches a bad one without printing it.
    static func read(_ reader: inout ConfigReader, environment: ConfigEnvironment) throws(ConfigurationError)
        -> NotificationSettings
    {
        let defaults = NotificationSettings.none
        let destinations = try reader.list(
            "destinations", type: "list of destinations", defaultValue: [], defaultDescription: "[]",
            summary: "Where notifications go: Slack, Microsoft Teams (Workflows) or CloudEvents webhooks, each "
                + "with the event kinds it receives (docs/operations.md has examples)."
        ) { (item) throws(ConfigurationError) in
            try readDestination(&item, environment: environment)
        }
        var names = Set<String>()
        for (index, destination) in destinations.enumerated() where !names.insert(destination.name).inserted {
            throw reader.error(
                at: "destinations", "destinations[\(index)]: the name \"\(destination.name)\" is used twice")
        }
        return NotificationSettings(
            destinations: destinations,
            clusterName: try reader.string(
                "clusterName", default: nil, summary: "Names the cluster in every message. Unset: not shown."),
            batchWindow: try reader.duration(
                "batchWindow", default: defaults.batchWindow,
                summary: "Events of one kind within this period make one message per destination "
                    + "(\"200 nodes healed: …\")."),
            dedupPeriod: try reader.duration(
                "dedupPeriod", default: defaults.dedupPeriod,
                summary: "The same event (kind and node or task; for healingRestarted also its cause) is not sent "
                    + "again to a destination within this period."),
            failureThreshold: try reader.integer(
                "failureThreshold", default: defaults.failureThreshold, range: 1...1000,
                summary: "A node (nodeFailing) or task (taskFailing) is notified once it failed this many times "
                    + "in a row.") ?? defaults.failureThreshold,
            queueCapacity: try reader.integer(
                "queueCapacity", default: defaults.queueCapacity, range: 1...100_000,
                summary: "Messages waiting for delivery per destination; more are dropped and counted "
                    + "(vigilante_notifications_dropped_total).") ?? defaults.queueCapacity,
            requestTimeout: try reader.duration(
                "requestTimeout", default: defaults.requestTimeout,
                summary: "Timeout of one delivery request."),
            maxAttempts: try reader.integer(
                "maxAttempts", default: defaults.maxAttempts, range: 1...100,
                summary: "Delivery attempts of one message (with backoff, honouring 429 Retry-After) before it "
                    + "counts as failed.") ?? defaults.maxAttempts)
    }

    private static func readDestination(_ item: inout ConfigReader, environment: ConfigEnvironment)
        throws(ConfigurationError) -> Destination
    {
        let name = try item.string(
            "name", default: nil, summary: "The destination's name in logs and metrics (`destination` label).",
            validate: { $0.isEmpty ? "must not be empty" : nil })
        let type = try item.string(
            "type", default: nil,
            summary: "The payload: `slack`, `teams` (Workflows, Adaptive Card) or "
                + "`cloudevents` (CloudEvents 1.0, structured JSON).",
            allowed: NotificationFormat.allCases.map(\.rawValue))
        let urlFile = try item.string(
            "urlFile", default: nil,
            summary: "File holding the webhook URL (a mounted Secret); the URL is a credential and is never "
                + "printed.")
        let urlEnv = try item.string(
            "urlEnv", default: nil,
            summary: "Environment variable holding the webhook URL (instead of urlFile).")
        let kinds = try item.stringList(
            "events", default: NotificationEvent.Kind.allCases.map(\.rawValue),
            summary: "The event kinds it receives: nodeHealed, healingRestarted, nodeFailing, taskFailing, "
                + "leadership.",
            validate: { kind in
                NotificationEvent.Kind(rawValue: kind) == nil
                    ? "unknown event kind \"\(kind)\"; known kinds: "
                        + NotificationEvent.Kind.allCases.map(\.rawValue).joined(separator: ", ")
                    : nil
            })
        let perMinute =
            try item.integer(
                "messagesPerMinute", default: 10, range: 1...600,
                summary: "At most this many messages a minute to this destination; more wait their turn.") ?? 10
        guard let name else { throw item.error(at: "name", "is required") }
        guard let type, let format = NotificationFormat(rawValue: type) else {
            throw item.error(at: "type", "is required: one of slack, teams, cloudevents")
        }
        let text: String
        let origin: String
        switch (urlFile, urlEnv) {
        case (let file?, nil):
            origin = "the file \(file)"
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw item.error(at: "urlFile", "cannot read the webhook URL file \(file): \(readProblem(error))")
            }
        case (nil, let variable?):
            origin = "the environment variable \(variable)"
            guard let value = environment.variables[variable] else {
                throw item.error(at: "urlEnv", "the environment variable \(variable) is not set")
            }
            text = value
        case (nil, nil):
            throw item.error(at: "name", "destination \"\(name)\" needs urlFile or urlEnv (the webhook URL)")
        case (.some, .some):
            throw item.error(at: "urlEnv", "set only one of urlFile and urlEnv")
        }
        switch WebhookURL.parse(text) {
        case .success(let url):
            return Destination(
                name: name, format: format, url: url,
                kinds: Set(kinds.compactMap(NotificationEvent.Kind.init(rawValue:))), messagesPerMinute: perMinute)
        case .failure(let error):
            throw item.error(
                at: urlFile != nil ? "urlFile" : "urlEnv", "the webhook URL in \(origin) \(error.problem)")
        }
    }

    private static func readProblem(_ error: any Error) -> String {
        let error = error as NSError
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return error.localizedDescription
    }
}
