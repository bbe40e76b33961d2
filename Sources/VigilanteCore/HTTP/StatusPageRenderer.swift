import Foundation

/// The status page a browser gets at `GET /`: one self-contained HTML document, no script, no external
/// asset, styled by one inline style sheet the Content-Security-Policy allows by nonce. It reloads
/// itself every ``refreshSeconds`` seconds (`<meta http-equiv="refresh">`), follows the system's dark
/// mode and fits a phone's width.
///
/// Every value that comes from the cluster or a task (names, errors, notes) passes through
/// ``escape(_:)``: a node named `<script>` is shown as text.
enum StatusPageRenderer {
    /// Seconds between the page's reloads.
    static let refreshSeconds = 5

    /// The `Content-Security-Policy` of a page whose style sheet carries `nonce`: nothing may load, no
    /// script may run, the page cannot be framed, and only the inline style sheet and a `data:` icon apply.
    static func contentSecurityPolicy(nonce: String) -> String {
        "default-src 'none'; style-src 'nonce-\(nonce)'; img-src data:; base-uri 'none'; form-action 'none'; "
            + "frame-ancestors 'none'"
    }

    /// A fresh nonce: 16 random bytes, base64.
    static func makeNonce() -> String {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64EncodedString()
    }

    /// The page for these tasks and this instance, its style sheet marked with `nonce`.
    static func page(tasks: [TaskStatusEntry], summary: OperatorSummary, nonce: String) -> String {
        let now = summary.now
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="color-scheme" content="light dark">
            <meta http-equiv="refresh" content="\(refreshSeconds)">
            <link rel="icon" href="data:,">
            <title>cops-vigilante</title>
            <style nonce="\(escape(nonce))">\(styleSheet)</style>
            </head>
            <body>
            <header>
            <h1>cops-vigilante</h1>

            """
        html += "<dl class=\"instance\">"
        html += fact("version", escape(summary.version), id: "version")
        html += fact("instance", escape(summary.identity), id: "identity")
        let leader: String
        if summary.isLeader {
            leader = "this instance"
        } else {
            leader = summary.leaderIdentity.map { escape($0) } ?? "unknown (standby)"
        }
        html += fact("leader", leader, id: "leader")
        let exact = now.formatted(.iso8601)
        html += fact("as of", "<time datetime=\"\(exact)\">\(exact)</time>", id: "as-of")
        html += "</dl>\n</header>\n<main>\n"
        if tasks.isEmpty {
            html += "<p class=\"empty\">No task is registered.</p>\n"
        }
        for task in tasks {
            html += taskSection(task, now: now)
        }
        html += """
            </main>
            <footer>Reloads every \(refreshSeconds) s. JSON: <a href="tasks?pretty">/tasks</a>, \
            <a href="readyz">/readyz</a>, <a href="metrics">/metrics</a>.</footer>
            </body>
            </html>

            """
        return html
    }

    private static func taskSection(_ task: TaskStatusEntry, now: Date) -> String {
        let id = escape(task.name)
        var html =
            "<section class=\"task\" id=\"task-\(id)\" data-task=\"\(id)\" data-state=\"\(task.state.rawValue)\">\n"
        html += "<h2>\(id) <span class=\"badge \(task.state.rawValue)\">\(task.state.rawValue)</span></h2>\n"
        html += "<dl class=\"schedule\">"
        html += fact("enabled", task.enabled ? "yes" : "no")
        html += fact("interval", escape(task.interval))
        if let run = task.lastRun {
            let outcome = run.outcome ?? "running"
            html += fact(
                "last run",
                "\(time(run.startedAt, now: now)) (<span class=\"outcome \(escape(outcome))\">\(escape(outcome))</span>)"
            )
        } else {
            html += fact("last run", "none yet")
        }
        html += fact("next run", task.nextRunAt.map { time($0, now: now) } ?? "-")
        html += fact("runs", String(task.runs))
        html += fact("failures", String(task.failures), id: "failures-\(id)")
        html += "</dl>\n"
        if let error = task.lastRun?.error {
            html += "<p class=\"error\">Last pass failed: \(escape(error))</p>\n"
        }
        guard let page = task.page else { return html + "</section>\n" }
        for note in page.notes {
            html += "<p class=\"note\">\(escape(note))</p>\n"
        }
        if !page.counts.isEmpty {
            html += "<ul class=\"counts\">"
            for count in page.counts {
                html +=
                    "<li data-count=\"\(escape(count.label))\"><span class=\"value\">\(count.value)</span>"
                    + "<span class=\"label\">\(escape(count.label))</span></li>"
            }
            html += "</ul>\n"
        }
        for group in page.groups where !group.items.isEmpty || group.emptyText != nil {
            html += "<h3>\(escape(group.title)) <span class=\"muted\">(\(group.items.count))</span></h3>\n"
            if group.items.isEmpty {
                html += "<p class=\"empty\">\(escape(group.emptyText ?? ""))</p>\n"
                continue
            }
            html += "<ul class=\"items\">\n"
            for item in group.items {
                html += itemRow(item, now: now)
            }
            html += "</ul>\n"
        }
        return html + "</section>\n"
    }

    private static func itemRow(_ item: StatusPageSection.Item, now: Date) -> String {
        var html =
            "<li class=\"item\" data-name=\"\(escape(item.name))\" data-state=\"\(escape(item.state))\">"
            + "<div class=\"item-head\"><span class=\"name\">\(escape(item.name))</span>"
            + "<span class=\"badge \(escape(item.state))\">\(escape(item.state))</span></div>"
        if let progress = item.progress {
            let percent = Int((progress.fraction(at: now) * 100).rounded(.down))
            let total = max(progress.end.timeIntervalSince(progress.start), 0)
            let elapsed = min(max(now.timeIntervalSince(progress.start), 0), total)
            html +=
                "<div class=\"progress\"><progress max=\"100\" value=\"\(percent)\">\(percent)%</progress>"
                + "<span class=\"muted\">\(percent)% · \(duration(elapsed)) of \(duration(total))</span></div>"
        }
        if !item.facts.isEmpty {
            html += "<dl class=\"facts\">"
            for fact in item.facts {
                switch fact.value {
                case .text(let text): html += self.fact(escape(fact.label), escape(text))
                case .time(let date): html += self.fact(escape(fact.label), time(date, now: now))
                }
            }
            html += "</dl>"
        }
        if let error = item.error {
            html += "<p class=\"error\">\(escape(error))</p>"
        }
        return html + "</li>\n"
    }

    /// One `<dt>`/`<dd>` pair; `label` and `value` are HTML already.
    private static func fact(_ label: String, _ value: String, id: String? = nil) -> String {
        let idAttribute = id.map { " id=\"\(escape($0))\"" } ?? ""
        return "<div><dt>\(label)</dt><dd\(idAttribute)>\(value)</dd></div>"
    }

    /// A `<time>` element: relative to `now` as text, the exact UTC time as its tooltip.
    private static func time(_ date: Date, now: Date) -> String {
        let exact = date.formatted(.iso8601)
        let seconds = date.timeIntervalSince(now)
        let relative: String
        if abs(seconds) < 1 {
            relative = "now"
        } else if seconds > 0 {
            relative = "in \(duration(seconds))"
        } else {
            relative = "\(duration(-seconds)) ago"
        }
        return "<time datetime=\"\(exact)\" title=\"\(exact)\">\(relative)</time>"
    }

    /// `45s`, `12m 5s`, `3h 20m`, `2d 4h`.
    static func duration(_ seconds: TimeInterval) -> String {
        let total = Int(seconds.rounded())
        switch total {
        case ..<60: return "\(total)s"
        case ..<3600: return total % 60 == 0 ? "\(total / 60)m" : "\(total / 60)m \(total % 60)s"
        case ..<86400: return "\(total / 3600)h \(total % 3600 / 60)m"
        default: return "\(total / 86400)d \(total % 86400 / 3600)h"
        }
    }

    /// `text` with the five characters that can end a text or an attribute value escaped.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    private static let styleSheet = """

        :root { --bg: #f7f7f8; --card: #ffffff; --text: #1c1c1e; --muted: #6b6b73; --line: #dcdce0;
          --accent: #2463eb; --ok: #1a7f37; --warn: #9a6700; --bad: #c62828; --bad-bg: #fdecea; }
        @media (prefers-color-scheme: dark) {
          :root { --bg: #121214; --card: #1e1e22; --text: #ececf0; --muted: #a0a0aa; --line: #36363d;
            --accent: #6b9bff; --ok: #4ac26b; --warn: #d6a23a; --bad: #ff6b6b; --bad-bg: #3a1d1d; }
        }
        * { box-sizing: border-box; }
        body { margin: 0; padding: 1rem; background: var(--bg); color: var(--text);
          font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
        header, main, footer { max-width: 60rem; margin: 0 auto; }
        h1 { font-size: 1.4rem; margin: 0 0 .5rem; }
        h2 { font-size: 1.15rem; margin: 0 0 .5rem; }
        h3 { font-size: 1rem; margin: 1rem 0 .4rem; }
        a { color: var(--accent); }
        dl { display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; margin: 0 0 .6rem; }
        dl div { display: flex; gap: .35rem; }
        dt { color: var(--muted); }
        dd { margin: 0; overflow-wrap: anywhere; }
        .task { background: var(--card); border: 1px solid var(--line); border-radius: .6rem;
          padding: 1rem; margin: 1rem 0; }
        .badge { display: inline-block; font-size: .75rem; font-weight: 600; padding: .05rem .45rem;
          border-radius: 1rem; border: 1px solid currentColor; color: var(--muted); vertical-align: middle; }
        .badge.idle, .badge.running, .badge.healing, .badge.healed { color: var(--ok); }
        .badge.backoff, .badge.disabled { color: var(--warn); }
        .badge.notReady, .badge.failed, .badge.timedOut { color: var(--bad); }
        .outcome.failed, .outcome.timedOut { color: var(--bad); font-weight: 600; }
        .note { color: var(--muted); margin: .2rem 0; }
        .counts { list-style: none; padding: 0; margin: .6rem 0; display: grid;
          grid-template-columns: repeat(auto-fit, minmax(7rem, 1fr)); gap: .5rem; }
        .counts li { border: 1px solid var(--line); border-radius: .5rem; padding: .4rem .6rem; }
        .counts .value { display: block; font-size: 1.4rem; font-weight: 600; }
        .counts .label { color: var(--muted); font-size: .85rem; }
        .items { list-style: none; padding: 0; margin: 0; }
        .item { border-top: 1px solid var(--line); padding: .5rem 0; }
        .item-head { display: flex; justify-content: space-between; gap: .5rem; }
        .name { font-weight: 600; overflow-wrap: anywhere; }
        .progress { display: flex; align-items: center; gap: .6rem; margin: .3rem 0; }
        progress { flex: 1; min-width: 6rem; height: .7rem; accent-color: var(--accent); }
        .facts { font-size: .9rem; margin: .2rem 0 0; }
        .error { color: var(--bad); background: var(--bad-bg); border-radius: .3rem; padding: .3rem .5rem;
          margin: .3rem 0 0; overflow-wrap: anywhere; white-space: pre-wrap; }
        .muted, .empty { color: var(--muted); }
        footer { color: var(--muted); font-size: .85rem; margin-top: 1rem; }
        @media (max-width: 30rem) { body { padding: .5rem; } .task { padding: .7rem; } }

        """
}
