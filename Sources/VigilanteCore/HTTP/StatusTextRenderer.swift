import Foundation

/// Plain-text renderings of the status answers, for people reading them with curl.
enum StatusTextRenderer {
    /// One line per task under a header, columns padded to their widest value.
    static func taskTable(_ entries: [TaskStatusEntry]) -> String {
        let header = ["NAME", "ENABLED", "STATE", "INTERVAL", "LAST RUN", "OUTCOME", "NEXT RUN", "RUNS", "FAILURES"]
        let rows = entries.map { entry in
            [
                entry.name,
                String(entry.enabled),
                entry.state.rawValue,
                entry.interval,
                entry.lastRun.map { timestamp($0.startedAt) } ?? "-",
                entry.lastRun.map { $0.outcome ?? "running" } ?? "-",
                entry.nextRunAt.map(timestamp) ?? "-",
                String(entry.runs),
                String(entry.failures),
            ]
        }
        let table = [header] + rows
        let widths = header.indices.map { column in table.map { $0[column].count }.max() ?? 0 }
        return table.map { row in
            row.enumerated().map { column, value in
                column == row.count - 1
                    ? value : value.padding(toLength: widths[column] + 2, withPad: " ", startingAt: 0)
            }.joined()
        }.joined(separator: "\n") + "\n"
    }

    /// `key: value` lines for one task, then its details as indented JSON.
    static func task(_ entry: TaskStatusEntry) -> String {
        var lines = [
            "name: \(entry.name)",
            "enabled: \(entry.enabled)",
            "state: \(entry.state.rawValue)",
            "interval: \(entry.interval)",
            "runs: \(entry.runs)",
            "failures: \(entry.failures)",
            "nextRunAt: \(entry.nextRunAt.map(timestamp) ?? "-")",
        ]
        if let run = entry.lastRun {
            lines.append("lastRun.startedAt: \(timestamp(run.startedAt))")
            lines.append("lastRun.finishedAt: \(run.finishedAt.map(timestamp) ?? "-")")
            lines.append("lastRun.durationSeconds: \(run.durationSeconds.map { String($0) } ?? "-")")
            lines.append("lastRun.outcome: \(run.outcome ?? "running")")
            if let error = run.error {
                lines.append("lastRun.error: \(error)")
            }
        } else {
            lines.append("lastRun: -")
        }
        let details = (try? StatusJSON.encode(entry.details, pretty: true)).map { String(decoding: $0, as: UTF8.self) }
        lines.append("details: \(details ?? "null")")
        return lines.joined(separator: "\n") + "\n"
    }

    /// `ok`, or `failing: <reason>`.
    static func liveness(_ report: LivenessReport) -> String {
        report.problem.map { "failing: \($0)\n" } ?? "ok\n"
    }

    /// One `[+]name ok` or `[-]name failed: reason` line per check, then the verdict, as Kubernetes'
    /// own `/readyz?verbose` prints it.
    static func readiness(_ report: ReadinessReport) -> String {
        var lines = report.checks.map { check in
            if check.ok {
                "[+]\(check.name) ok" + (check.detail.map { " (\($0))" } ?? "")
            } else {
                "[-]\(check.name) failed: \(check.detail ?? "no reason given")"
            }
        }
        lines.append(report.isReady ? "readyz check passed" : "readyz check failed")
        return lines.joined(separator: "\n") + "\n"
    }

    private static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
