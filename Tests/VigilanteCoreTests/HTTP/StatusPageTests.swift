import Foundation
import Testing

@testable import VigilanteCore

/// The status page (`GET /` in a browser): what it shows, that cluster values stay text, and how the
/// server serves it. Scripts/check-status-page.py checks the same page in a real Chromium.
@Suite("Status page")
struct StatusPageTests {
    static let now = Date(timeIntervalSince1970: 1_700_000_600)
    static let hostile = "<script>alert(1)</script>"

    static func entry(
        name: String = "snat", error: String? = nil, page: StatusPageSection? = nil
    ) -> TaskStatusEntry {
        TaskStatusEntry(
            name: name, enabled: true, interval: "30s", state: .idle,
            lastRun: TaskStatusEntry.Run(
                startedAt: now.addingTimeInterval(-20), finishedAt: now.addingTimeInterval(-19), durationSeconds: 1,
                outcome: error == nil ? "done" : "failed", error: error),
            nextRunAt: now.addingTimeInterval(10), runs: 7, failures: error == nil ? 0 : 1, details: nil, page: page)
    }

    static let summary = OperatorSummary(
        version: "2.0.0", identity: "vigilante-0", isLeader: true, leaderIdentity: "vigilante-0", now: now)

    /// The tag names of every element in `html`, closing tags included.
    static func tags(_ html: String) -> Set<String> {
        var tags: Set<String> = []
        var rest = html[...]
        while let open = rest.firstIndex(of: "<") {
            let name = rest[rest.index(after: open)...].prefix { !" >\n".contains($0) }
            tags.insert(String(name).lowercased())
            rest = rest[rest.index(after: open)...]
        }
        return tags
    }

    static let pageTags: Set<String> = [
        "!doctype", "html", "/html", "head", "/head", "meta", "link", "title", "/title", "style", "/style", "body",
        "/body", "header", "/header", "h1", "/h1", "dl", "/dl", "div", "/div", "dt", "/dt", "dd", "/dd", "time",
        "/time", "main", "/main", "section", "/section", "h2", "/h2", "h3", "/h3", "span", "/span", "p", "/p", "ul",
        "/ul", "li", "/li", "progress", "/progress", "footer", "/footer", "a", "/a",
    ]

    @Test("A node name, an error, a note or an identity holding markup is shown as text")
    func clusterValuesStayText() {
        let section = StatusPageSection(
            notes: ["note \(Self.hostile)"], counts: [StatusPageSection.Count("count \(Self.hostile)", 1)],
            groups: [
                StatusPageSection.Group(
                    title: "title \(Self.hostile)",
                    items: [
                        StatusPageSection.Item(
                            name: "node-\(Self.hostile)", state: #"backoff"><script>alert(2)</script>"#,
                            progress: StatusPageSection.Progress(
                                start: Self.now.addingTimeInterval(-60), end: Self.now.addingTimeInterval(60)),
                            facts: [StatusPageSection.Fact("fact \(Self.hostile)", .text("value \(Self.hostile)"))],
                            error: #"createPod: <img src=x onerror="alert(3)"> & 'quotes'"#)
                    ])
            ])
        let html = StatusPageRenderer.page(
            tasks: [Self.entry(name: "task\(Self.hostile)", error: "failed: \(Self.hostile)", page: section)],
            summary: OperatorSummary(
                version: "2<script>", identity: "pod-<b>bold</b>", isLeader: false,
                leaderIdentity: "other-\(Self.hostile)", now: Self.now),
            nonce: "abc")
        #expect(
            Self.tags(html).isSubset(of: Self.pageTags),
            "unexpected tags: \(Self.tags(html).subtracting(Self.pageTags))")
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<b>"))
        #expect(html.contains("node-&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("createPod: &lt;img src=x onerror=&quot;alert(3)&quot;&gt; &amp; &#39;quotes&#39;"))
        #expect(html.contains(#"data-state="backoff&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;""#))
        #expect(html.contains("failed: &lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("other-&lt;script&gt;"))
        #expect(html.contains("pod-&lt;b&gt;bold&lt;/b&gt;"))
        #expect(html.contains("2&lt;script&gt;"))
    }

    @Test("Nodes in their window show how far they are, as of the page's time")
    func progressAndFacts() {
        let section = StatusPageSection(
            notes: ["Healing window 10m."], counts: [StatusPageSection.Count("healed", 12)],
            groups: [
                StatusPageSection.Group(
                    title: "In their window",
                    items: [
                        StatusPageSection.Item(
                            name: "akswin000000", state: "healing",
                            progress: StatusPageSection.Progress(
                                start: Self.now.addingTimeInterval(-150), end: Self.now.addingTimeInterval(450)),
                            facts: [
                                StatusPageSection.Fact("pods created", .text("5")),
                                StatusPageSection.Fact("heals", .time(Self.now.addingTimeInterval(450))),
                            ])
                    ]),
                StatusPageSection.Group(title: "Backing off", items: []),
                StatusPageSection.Group(title: "Nobody", items: [], emptyText: "Nothing here."),
            ])
        let html = StatusPageRenderer.page(tasks: [Self.entry(page: section)], summary: Self.summary, nonce: "n0nce")
        #expect(html.contains(#"<li class="item" data-name="akswin000000" data-state="healing">"#))
        #expect(html.contains(#"<progress max="100" value="25">25%</progress>"#))
        #expect(html.contains("25% · 2m 30s of 10m"))
        #expect(html.contains("<dt>pods created</dt><dd>5</dd>"))
        #expect(html.contains(">in 7m 30s</time>"))
        #expect(html.contains(#"<li data-count="healed"><span class="value">12</span>"#))
        #expect(html.contains("Healing window 10m."))
        #expect(!html.contains("Backing off"), "an empty group without empty text is hidden")
        #expect(html.contains("Nothing here."))
        #expect(html.contains(#"<dd id="leader">this instance</dd>"#))
        #expect(html.contains(#"<dd id="version">2.0.0</dd>"#))
        #expect(html.contains(#"<meta http-equiv="refresh" content="5">"#))
        #expect(html.contains(#"<style nonce="n0nce">"#))
        #expect(html.contains(">in 10s</time>"), "the next run, relative to the page's time")
        #expect(html.contains("@media (prefers-color-scheme: dark)"))
        #expect(html.contains(#"<meta name="viewport" content="width=device-width, initial-scale=1">"#))
        let fraction = StatusPageSection.Progress(start: Self.now, end: Self.now.addingTimeInterval(100))
        #expect(fraction.fraction(at: Self.now.addingTimeInterval(-5)) == 0)
        #expect(fraction.fraction(at: Self.now.addingTimeInterval(50)) == 0.5)
        #expect(fraction.fraction(at: Self.now.addingTimeInterval(500)) == 1)
    }

    @Test("A browser gets the page under a strict policy; JSON clients get 404 as before")
    func served() async throws {
        let section = StatusPageSection(
            counts: [StatusPageSection.Count("healed", 3)],
            groups: [
                StatusPageSection.Group(
                    title: "In their window", items: [StatusPageSection.Item(name: "akswin000007", state: "healing")])
            ])
        let provider = FakeStatusProvider(tasks: [Self.entry(page: section)] + [FakeStatusProvider.sampleTasks[1]])
        let server = try await RunningStatusServer.start(provider: provider)
        let browser = [("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")]
        let first = try await StatusClient.request(server.url("/"), headers: browser)
        #expect(first.status == 200)
        #expect(first.headers["Content-Type"].first == "text/html; charset=utf-8")
        #expect(first.headers["Cache-Control"].first == "no-store")
        let policy = try #require(first.headers["Content-Security-Policy"].first)
        #expect(policy.hasPrefix("default-src 'none'; style-src 'nonce-"))
        #expect(!policy.contains("script-src") && !policy.contains("unsafe"))
        let nonce = String(policy.split(separator: "'")[3].dropFirst("nonce-".count))
        let body = String(decoding: first.body, as: UTF8.self)
        #expect(body.contains(#"<style nonce="\#(nonce)">"#))
        #expect(body.contains(#"data-name="akswin000007" data-state="healing""#))
        #expect(body.contains(#"data-task="idle-task" data-state="disabled""#))
        let second = try await StatusClient.request(server.url("/"), headers: browser)
        #expect(second.headers["Content-Security-Policy"].first != policy, "a fresh nonce per answer")

        for accept in [nil, "*/*", "application/json", "text/plain"] {
            let response = try await StatusClient.request(
                server.url("/"), headers: accept.map { [("Accept", $0)] } ?? [])
            #expect(response.status == 404, "Accept: \(accept ?? "none")")
            #expect(response.headers["Content-Type"].first == "application/json")
        }
        // /tasks stays JSON for a browser too.
        let tasks = try await StatusClient.request(server.url("/tasks"), headers: browser)
        #expect(tasks.headers["Content-Type"].first == "application/json")
        var exposition: [UInt8] = []
        server.registry.emit(into: &exposition)
        #expect(
            String(decoding: exposition, as: UTF8.self).contains(
                #"vigilante_http_requests_total{endpoint="page",code="200"} 2"#))
        try await server.stop()
    }

    @Test("Metrics made through swift-metrics get their help line")
    func metricHelp() {
        let exposition = Array(
            """
            # TYPE vigilante_leader gauge
            vigilante_leader 1
            # HELP already Has one.
            # TYPE already counter
            already 2
            # TYPE unknown_total counter
            unknown_total 3

            """.utf8)
        let text = String(decoding: MetricHelp.core.merging(["already": "other"]).annotate(exposition), as: UTF8.self)
        #expect(
            text == """
                # HELP vigilante_leader 1 while this instance holds the leader lease (or leader election is off), else 0.
                # TYPE vigilante_leader gauge
                vigilante_leader 1
                # HELP already Has one.
                # TYPE already counter
                already 2
                # TYPE unknown_total counter
                unknown_total 3

                """)
    }
}
