import Foundation
import TaskTestSupport
import Testing

@testable import VigilanteCore

/// The dispatcher against a real HTTP receiver on loopback: payloads, batching, deduplication, retries,
/// a hanging receiver, the bounded queue, redaction and dry-run wording.
@Suite struct NotificationDeliveryTests {
    static func nodeHealed(_ index: Int, dryRun: Bool = false) -> NotificationEvent {
        var event = NotificationEvent.nodeHealed(String(format: "akswin%06d", index))
        event.task = "snat"
        event.dryRun = dryRun
        return event
    }

    static func withReceiver(_ body: (WebhookReceiver) async throws -> Void) async throws {
        let receiver = try await WebhookReceiver.start()
        do {
            try await body(receiver)
        } catch {
            await receiver.stop()
            throw error
        }
        await receiver.stop()
    }

    // MARK: Payloads

    @Test func payloadsMatchTheGoldenFilesAndEachServicesSchema() async throws {
        try await Self.withReceiver { receiver in
            let all = Set(NotificationEvent.Kind.allCases)
            let fixture = try DispatcherFixture(
                receiver: receiver,
                destinations: [("slack", .slack, all), ("teams", .teams, all), ("events", .cloudevents, all)])
            try await fixture.run {
                fixture.dispatcher.send(Self.nodeHealed(1))
                fixture.passWindow()
                try await eventually("one message per destination") { receiver.requests.count == 3 }
                var failing = NotificationEvent.nodeFailing(
                    "akswin000002", consecutiveErrors: 3,
                    message: "createPod: pods is forbidden: <exceeded quota> & more")
                failing.task = "snat"
                fixture.dispatcher.send(failing)
                fixture.passWindow()
                try await eventually("the failure at every destination") { receiver.requests.count == 6 }
            }
            for (name, golden) in [("slack", "slack"), ("teams", "teams"), ("events", "cloudevents")] {
                let requests = fixture.requests(to: name)
                try #require(requests.count == 2)
                for (request, kind) in zip(requests, ["node-healed", "node-failing"]) {
                    try Golden.check(request.body, against: "\(golden)-\(kind).json")
                    let json = try #require(request.json)
                    let problems =
                        switch name {
                        case "slack": PayloadSchemas.slackProblems(json)
                        case "teams": PayloadSchemas.teamsProblems(json)
                        default: PayloadSchemas.cloudEventProblems(json, contentType: request.headers["content-type"])
                        }
                    #expect(problems.isEmpty, "\(name) \(kind): \(problems)")
                }
            }
            #expect(fixture.requests(to: "slack")[0].headers["content-type"] == "application/json")
            #expect(fixture.counter("sent", "slack") == 2)
        }
    }

    // MARK: Quiet

    @Test func twoHundredNodesHealedInOneWindowAreOneMessagePerDestination() async throws {
        try await Self.withReceiver { receiver in
            let fixture = try DispatcherFixture(
                receiver: receiver,
                destinations: [("slack", .slack, [.nodeHealed]), ("events", .cloudevents, [.nodeHealed])])
            try await fixture.run {
                for index in 1...200 { fixture.dispatcher.send(Self.nodeHealed(index)) }
                fixture.clock.advance(by: .seconds(29))
                fixture.dispatcher.flushDue()
                #expect(receiver.requests.isEmpty, "sent before the batch window passed")
                fixture.clock.advance(by: .seconds(2))
                try await eventually("the batch at both destinations") { receiver.requests.count == 2 }
            }
            let slack = try #require(fixture.requests(to: "slack").first?.json)
            let text = try #require(slack["text"] as? String)
            #expect(text.hasPrefix("200 nodes healed\n200 nodes healed: akswin000001, akswin000002, "))
            #expect(text.hasSuffix("akswin000010, … and 190 more."))
            let event = try #require(fixture.requests(to: "events").first?.json)
            let data = try #require(event["data"] as? [String: Any])
            #expect(data["count"] as? Int == 200)
            #expect((data["items"] as? [Any])?.count == NotificationBatch.listLimit)
            #expect(event["subject"] == nil, "a batch has no single subject")
        }
    }

    @Test func theSameFailureIsSentOncePerDedupPeriodAndOnlyFromTheThreshold() async throws {
        try await Self.withReceiver { receiver in
            let fixture = try DispatcherFixture(
                receiver: receiver, destinations: [("slack", .slack, [.nodeFailing])],
                configure: {
                    $0.failureThreshold = 3
                    $0.dedupPeriod = .seconds(3600)
                })
            func failing(_ count: Int) -> NotificationEvent {
                NotificationEvent.nodeFailing("akswin000001", consecutiveErrors: count, message: "HTTP 500 #\(count)")
            }
            try await fixture.run {
                for count in 1...6 { fixture.dispatcher.send(failing(count)) }
                fixture.passWindow()
                try await eventually("the first message") { receiver.requests.count == 1 }
                // Still failing ten minutes later: within the dedup period, nothing new.
                fixture.dispatcher.send(failing(7))
                fixture.passWindow()
                fixture.dispatcher.flushDue()
                // Past the dedup period it is news again.
                fixture.clock.advance(by: .seconds(3600))
                fixture.dispatcher.send(failing(8))
                fixture.passWindow()
                try await eventually("the repeat after the dedup period") { receiver.requests.count == 2 }
            }
            let texts = fixture.requests(to: "slack").compactMap { $0.json?["text"] as? String }
            #expect(texts.count == 2)
            #expect(texts.first?.contains("akswin000001 (3 failures in a row: HTTP 500 #3)") == true, "\(texts)")
            #expect(texts.last?.contains("8 failures in a row") == true, "\(texts)")
        }
    }

    @Test func eachDestinationGetsOnlyItsKinds() async throws {
        try await Self.withReceiver { receiver in
            let fixture = try DispatcherFixture(
                receiver: receiver,
                destinations: [("healed", .slack, [.nodeHealed]), ("leader", .teams, [.leadership])])
            try await fixture.run {
                fixture.dispatcher.send(Self.nodeHealed(1))
                // Leadership is sent at once, without waiting for the batch window.
                fixture.leadership.set(true)
                try await eventually("the leadership message") { fixture.requests(to: "leader").count == 1 }
                // Every change is sent, however soon it repeats an earlier one.
                fixture.leadership.set(false)
                try await eventually("the lost message") { fixture.requests(to: "leader").count == 2 }
                fixture.leadership.set(true)
                try await eventually("the regained message") { fixture.requests(to: "leader").count == 3 }
                #expect(fixture.requests(to: "healed").isEmpty, "the healed batch waits for its window")
                fixture.passWindow()
                try await eventually("the healed message") { fixture.requests(to: "healed").count == 1 }
            }
            let titles = try fixture.requests(to: "leader").map { request in
                String(decoding: try JSONSerialization.data(withJSONObject: request.json ?? [:]), as: UTF8.self)
            }
            #expect(titles.count == 3)
            #expect(titles.first?.contains("Instance vigilante-7d9f-abcde became the leader") == true)
            #expect(titles.dropFirst().first?.contains("Instance vigilante-7d9f-abcde lost the leadership") == true)
            #expect(titles.last?.contains("became the leader") == true)
        }
    }

    @Test func dryRunMessagesSayTheyAreADryRun() async throws {
        try await Self.withReceiver { receiver in
            let fixture = try DispatcherFixture(
                receiver: receiver, destinations: [("events", .cloudevents, [.nodeHealed])])
            try await fixture.run {
                fixture.dispatcher.send(Self.nodeHealed(1, dryRun: true))
                fixture.dispatcher.send(Self.nodeHealed(2, dryRun: false))
                fixture.passWindow()
                try await eventually("two messages: dry run and real are not mixed") { receiver.requests.count == 2 }
            }
            let requests = fixture.requests(to: "events")
            let dryRun = try #require(
                requests.first { ($0.json?["data"] as? [String: Any])?["dryRun"] as? Bool == true })
            try Golden.check(dryRun.body, against: "cloudevents-dry-run.json")
            let data = try #require(dryRun.json?["data"] as? [String: Any])
            #expect((data["title"] as? String)?.hasPrefix("[dry run] ") == true)
            #expect((data["text"] as? String)?.contains("Dry run: nothing was changed in the cluster") == true)
            let real = try #require(
                requests.first { ($0.json?["data"] as? [String: Any])?["dryRun"] as? Bool == false })
            #expect(String(decoding: real.body, as: UTF8.self).contains("dry run") == false)
        }
    }

    // MARK: Never in the way

    @Test func serverErrorsAreRetriedAndClientErrorsAreNot() async throws {
        try await Self.withReceiver { receiver in
            let fixture = try DispatcherFixture(receiver: receiver, destinations: [("slack", .slack, [.nodeHealed])])
            receiver.script([
                .status(500, body: "oops"), .status(503), .status(200), .status(400, body: "invalid_payload"),
            ])
            try await fixture.run {
                fixture.dispatcher.send(Self.nodeHealed(1))
                fixture.passWindow()
                try await eventually("delivered on the third attempt") { fixture.counter("sent", "slack") == 1 }
                fixture.dispatcher.send(Self.nodeHealed(2))
                fixture.passWindow()
                try await eventually("the rejected message counted as failed") {
                    fixture.counter("failed", "slack") == 1
                }
            }
            #expect(receiver.requests.count == 4, "a 400 is not retried")
            #expect(fixture.logs.lines.withLock { $0 }.contains { $0.contains("invalid_payload") })
        }
    }

    @Test func aTooManyRequestsAnswerIsRetriedAfterItsRetryAfter() async throws {
        try await Self.withReceiver { receiver in
            let fixture = try DispatcherFixture(receiver: receiver, destinations: [("slack", .slack, [.nodeHealed])])
            receiver.script([.status(429, headers: ["Retry-After": "2"])])
            try await fixture.run {
                fixture.dispatcher.send(Self.nodeHealed(1))
                fixture.passWindow()
                try await eventually("delivered after the 429") { fixture.counter("sent", "slack") == 1 }
            }
            let requests = receiver.requests
            try #require(requests.count == 2)
            // The backoff alone would have retried after 50 ms.
            #expect(requests[1].receivedAt - requests[0].receivedAt >= .milliseconds(1900))
        }
    }

    @Test func aHangingDestinationTimesOutAndNeverHoldsUpAnother() async throws {
        try await Self.withReceiver { receiver in
            // A timeout generous enough for a loaded machine to answer the healthy destination in time.
            let fixture = try DispatcherFixture(
                receiver: receiver, destinations: [("hanging", .slack, [.nodeHealed]), ("ok", .teams, [.nodeHealed])],
                configure: { $0.maxAttempts = 2 }, requestTimeout: .seconds(3))
            receiver.script([.hang, .hang], path: "/hanging/")
            try await fixture.run {
                fixture.dispatcher.send(Self.nodeHealed(1))
                fixture.passWindow()
                try await eventually("the other destination served") { fixture.counter("sent", "ok") == 1 }
                #expect(fixture.counter("failed", "hanging") == 0, "served while the hanging one still waits")
                try await eventually("the hanging one given up after its two timeouts") {
                    fixture.counter("failed", "hanging") == 1
                }
            }
            #expect(fixture.requests(to: "hanging").count == 2)
            #expect(fixture.requests(to: "ok").count == 1)
            let lines = fixture.logs.lines.withLock { $0 }
            #expect(lines.contains { $0.contains("notification not delivered; giving up") }, "\(lines)")
        }
    }

    @Test func aFullQueueDropsAndCountsInsteadOfBlocking() async throws {
        try await Self.withReceiver { receiver in
            let fixture = try DispatcherFixture(
                receiver: receiver, destinations: [("slow", .slack, Set(NotificationEvent.Kind.allCases))],
                configure: {
                    $0.queueCapacity = 1
                    $0.maxAttempts = 1
                },
                // The hanging request must outlast the sends below on a loaded machine; shutdown cuts it off.
                requestTimeout: .seconds(120), shutdownGrace: .milliseconds(500))
            receiver.script([.hang])
            try await fixture.run {
                fixture.dispatcher.send(Self.nodeHealed(1))
                fixture.passWindow()
                try await eventually("the first message hanging at the receiver") { receiver.requests.count == 1 }
                // The worker is stuck: one message fits the queue, the others are dropped at once.
                for kind in [NotificationEvent.Kind.healingRestarted, .nodeHealed, .leadership] {
                    fixture.dispatcher.send(NotificationEvent(kind: kind, subject: "akswin000009", detail: "x"))
                    fixture.passWindow()
                    fixture.dispatcher.flushDue()
                }
                #expect(fixture.counter("dropped", "slow") == 2)
            }
        }
    }

    @Test func pendingBatchesAreSentAtShutdown() async throws {
        try await Self.withReceiver { receiver in
            let fixture = try DispatcherFixture(receiver: receiver, destinations: [("slack", .slack, [.nodeHealed])])
            try await fixture.run {
                fixture.dispatcher.send(Self.nodeHealed(1))
                fixture.dispatcher.flushDue()
            }
            // The window had not passed; stopping the dispatcher sent the batch anyway.
            #expect(fixture.counter("sent", "slack") == 1)
            #expect(receiver.requests.count == 1)
        }
    }

    @Test func theWebhookAddressIsNeverLogged() async throws {
        try await Self.withReceiver { receiver in
            let fixture = try DispatcherFixture(
                receiver: receiver, destinations: [("slack", .slack, [.nodeHealed])],
                configure: { $0.maxAttempts = 2 })
            // A receiver quoting the secret part of the address back.
            receiver.script([.status(500, body: "no such hook \(DispatcherFixture.secretPath)"), .status(404)])
            try await fixture.run {
                fixture.dispatcher.send(Self.nodeHealed(1))
                fixture.passWindow()
                try await eventually("the message failed") { fixture.counter("failed", "slack") == 1 }
            }
            // A destination nobody listens on: the connection error is logged too.
            let closed = try DispatcherFixture(
                receiver: receiver, destinations: [("closed", .slack, [.nodeHealed])],
                configure: { $0.maxAttempts = 1 })
            await receiver.stop()
            try await closed.run {
                closed.dispatcher.send(Self.nodeHealed(1))
                closed.passWindow()
                try await eventually("the message failed") { closed.counter("failed", "closed") == 1 }
            }
            let lines = fixture.logs.lines.withLock { $0 } + closed.logs.lines.withLock { $0 }
            #expect(lines.contains { $0.contains("http://127.0.0.1:\(receiver.port)/…") }, "\(lines)")
            #expect(lines.count >= 4)
            for line in lines {
                #expect(!line.contains("SECRETTOKEN"), "the webhook URL was logged: \(line)")
            }
        }
    }

    // MARK: Configuration

    @Test func aURLIsReadFromAFileOrTheEnvironmentAndNeverPrinted() throws {
        let secret = "https://hooks.slack.com/services/T000/B000/SECRETTOKEN"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("hook-\(UUID().uuidString)").path
        try (secret + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let (loaded, _) = try loadConfig(
            """
            notifications:
              clusterName: prod
              destinations:
                - {name: slack, type: slack, urlFile: \(file), events: [nodeHealed, nodeFailing]}
                - {name: teams, type: Teams, urlEnv: TEAMS_URL}
            """, variables: ["TEAMS_URL": "https://example.webhook.office.com/workflows/SECRETTOKEN"])
        let destinations = loaded.configuration.notifications.destinations
        #expect(destinations.map(\.name) == ["slack", "teams"])
        #expect(destinations[0].url.secret == secret)
        #expect(destinations[0].url.description == "https://hooks.slack.com/…")
        #expect(destinations[0].kinds == [.nodeHealed, .nodeFailing])
        #expect(destinations[1].format == .teams)
        #expect(destinations[1].kinds == Set(NotificationEvent.Kind.allCases))
        for value in loaded.effectiveValues { #expect(!value.value.contains("SECRETTOKEN")) }

        let bad = configError(
            "notifications: {destinations: [{name: a, type: slack, urlEnv: HOOK}]}",
            variables: ["HOOK": "hooks.slack.com/services/SECRETTOKEN"])
        #expect(bad?.contains("notifications.destinations[0].urlEnv") == true, "\(bad ?? "")")
        #expect(bad?.contains("is not") == true || bad?.contains("must be") == true, "\(bad ?? "")")
        #expect(bad?.contains("SECRETTOKEN") == false)
        let missing = configError("notifications: {destinations: [{name: a, type: slack, urlFile: /nonexistent/hook}]}")
        #expect(missing?.contains("cannot read the webhook URL file /nonexistent/hook") == true, "\(missing ?? "")")
        let kind = configError("notifications: {destinations: [{name: a, type: slack, urlEnv: H, events: [healed]}]}")
        #expect(kind?.contains("unknown event kind \"healed\"") == true, "\(kind ?? "")")
        let unset = configError("notifications: {destinations: [{name: a, type: slack, urlEnv: NOT_SET}]}")
        #expect(unset?.contains("NOT_SET is not set") == true, "\(unset ?? "")")
    }

    @Test func retryAfterIsReadAsSecondsOrAnHTTPDate() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(WebhookDelivery.retryAfter("7", now: now) == .seconds(7))
        #expect(WebhookDelivery.retryAfter("Fri, 15 Jan 2027 08:00:30 GMT", now: now) == .seconds(30))
        #expect(WebhookDelivery.retryAfter("soon", now: now) == nil)
    }
}

/// The per-destination rate limit: a burst of `perMinute`, then one message every `60 / perMinute` seconds.
@Suite struct RateLimiterTests {
    @Test func aBurstThenOneMessagePerInterval() {
        let limiter = RateLimiter(perMinute: 3)
        let start = ContinuousClock.now
        #expect(limiter.take(at: start) == nil)
        #expect(limiter.take(at: start) == nil)
        #expect(limiter.take(at: start) == nil)
        let wait = limiter.take(at: start)
        #expect(wait == .seconds(20), "the fourth waits for a token: \(String(describing: wait))")
        #expect(limiter.take(at: start + .seconds(10)) == .seconds(10))
        #expect(limiter.take(at: start + .seconds(20)) == nil)
        #expect(limiter.take(at: start + .seconds(20)) != nil)
    }
}

/// Redaction of the address in text that quotes it.
@Suite struct WebhookURLTests {
    @Test func redactionCoversThePathTheQueryAndTheirLongParts() throws {
        let url = try WebhookURL.parse(
            "https://prod-12.westeurope.logic.azure.com:443/workflows/0123456789abcdef0123/triggers/manual/paths/"
                + "invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sig=SIGNATURE0123456789abcdefABCDEF\n"
        ).get()
        #expect(url.description == "https://prod-12.westeurope.logic.azure.com:443/…")
        #expect("\(url)" == url.redacted)
        let text = url.redact(
            "POST \(url.secret) failed; sig=SIGNATURE0123456789abcdefABCDEF, flow 0123456789abcdef0123")
        #expect(!text.contains("SIGNATURE"), "\(text)")
        #expect(!text.contains("0123456789abcdef0123"), "\(text)")
        #expect(text.hasPrefix("POST https://prod-12.westeurope.logic.azure.com:443/… failed"), "\(text)")
    }

    @Test func onlyAbsoluteHTTPURLsWithAHostAreAccepted() {
        #expect(WebhookURL.parse("") == .failure(WebhookURLError(problem: "is empty")))
        #expect(WebhookURL.parse("hooks.slack.com/services/x") == .failure(WebhookURLError(problem: "is not a URL")))
        #expect(
            WebhookURL.parse("ftp://example.com/x")
                == .failure(WebhookURLError(problem: "must be an http or https URL, got scheme \"ftp\"")))
        #expect(WebhookURL.parse("https:///path") == .failure(WebhookURLError(problem: "has no host")))
    }
}
