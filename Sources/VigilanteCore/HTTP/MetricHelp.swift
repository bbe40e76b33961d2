/// The `# HELP` texts of the metrics made through swift-metrics, which has no way to pass one: `/metrics`
/// adds a `# HELP` line from this table before each `# TYPE` line that has none, so that Prometheus,
/// Grafana and `promtool check metrics` see what every metric means.
///
/// The core's metrics are in ``core``; a task adds its own with ``VigilanteTask/metricHelp``.
public struct MetricHelp: Sendable {
    /// Help text by metric name.
    public let texts: [String: String]

    /// A table of these texts.
    public init(_ texts: [String: String]) {
        self.texts = texts
    }

    /// This table with `other`'s texts added (a name in both keeps this table's text).
    public func merging(_ other: [String: String]) -> MetricHelp {
        MetricHelp(texts.merging(other) { mine, _ in mine })
    }

    /// The core's metrics.
    public static let core = MetricHelp([
        "vigilante_task_runs_total":
            "Task passes that ended, by task and outcome (done, requeue, failed, timedOut, cancelled).",
        "vigilante_task_run_duration_seconds": "Duration of task passes, by task.",
        "vigilante_task_last_success_timestamp_seconds": "When the task's last successful pass ended (Unix time).",
        "vigilante_task_last_run_timestamp_seconds":
            "When the task's last pass ended, whatever its outcome (Unix time).",
        "vigilante_task_interval_seconds": "The configured time between passes of an enabled task.",
        "vigilante_leader": "1 while this instance holds the leader lease (or leader election is off), else 0.",
        "vigilante_kube_requests_total":
            "Kubernetes API request attempts, by verb, resource and HTTP status code (error: no response).",
        "vigilante_kube_request_duration_seconds": "Duration of Kubernetes API request attempts, by verb and resource.",
        "vigilante_kube_watch_restarts_total": "Watch streams restarted, by resource and reason.",
        "vigilante_notifications_sent_total": "Notifications delivered, by destination.",
        "vigilante_notifications_failed_total": "Notifications given up or rejected, by destination.",
        "vigilante_notifications_dropped_total": "Notifications dropped because the destination's queue was full.",
    ])

    /// `exposition` (Prometheus text format) with a `# HELP` line before every `# TYPE` line of a known
    /// metric that has none.
    func annotate(_ exposition: [UInt8]) -> [UInt8] {
        guard !texts.isEmpty else { return exposition }
        var output: [UInt8] = []
        output.reserveCapacity(exposition.count + exposition.count / 4)
        let typePrefix = Array("# TYPE ".utf8)
        let helpPrefix = Array("# HELP ".utf8)
        var lineStart = 0
        var previousLineWasHelp = false
        while lineStart < exposition.count {
            let lineEnd = exposition[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? exposition.count
            let line = exposition[lineStart..<lineEnd]
            if !previousLineWasHelp, line.starts(with: typePrefix) {
                let nameAndType = line.dropFirst(typePrefix.count)
                let name = String(decoding: nameAndType.prefix { $0 != UInt8(ascii: " ") }, as: UTF8.self)
                if let text = texts[name] {
                    output += helpPrefix
                    output += Array(name.utf8)
                    output.append(UInt8(ascii: " "))
                    output += Self.escapeHelp(text)
                    output.append(UInt8(ascii: "\n"))
                }
            }
            previousLineWasHelp = line.starts(with: helpPrefix)
            output += exposition[lineStart..<min(lineEnd + 1, exposition.count)]
            lineStart = lineEnd + 1
        }
        return output
    }

    /// A help text as the text format wants it: backslash and newline escaped.
    private static func escapeHelp(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): bytes += Array(#"\\"#.utf8)
            case UInt8(ascii: "\n"): bytes += Array(#"\n"#.utf8)
            default: bytes.append(byte)
            }
        }
        return bytes
    }
}
