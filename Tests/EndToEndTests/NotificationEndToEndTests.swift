import Foundation
import TaskTestSupport
import Testing

/// The real binary tells a webhook on loopback that a node of the simulated cluster was healed, and
/// `config check` validates the webhook URL without printing it.
@Suite struct NotificationEndToEndTests {
    static let secret = "/services/T0000/B0000/SECRETTOKEN"

    @Test func theBinaryNotifiesANodeHealedOverSlack() async throws {
        let receiver = try await WebhookReceiver.start()
        do {
            try await EndToEndCluster.with { cluster in
                cluster.simulator.addNode(name: "akswin000000", os: "windows")
                let config = try cluster.writeConfig(
                    window: "2s", interval: "1s",
                    extra: """
                        notifications:
                          batchWindow: 1s
                          clusterName: e2e
                          destinations:
                            - {name: team-slack, type: slack, urlEnv: SLACK_WEBHOOK_URL, events: [nodeHealed]}
                        """)
                let process = try cluster.startOperator(
                    config: config, environment: ["SLACK_WEBHOOK_URL": receiver.url(Self.secret)])
                defer { process.stop() }
                do {
                    try await waitFor("the node healed notification", timeout: .seconds(90)) {
                        receiver.requests.contains {
                            ($0.json?["text"] as? String)?.hasPrefix("Node akswin000000 healed") == true
                        }
                    }
                } catch {
                    Issue.record("received: \(receiver.requests.map(\.path)); operator log:\n\(process.log)")
                    throw error
                }
                let request = try #require(receiver.requests.first)
                #expect(request.path == Self.secret)
                let body = String(decoding: request.body, as: UTF8.self)
                #expect(body.contains("task snat"), "\(body)")
                #expect(body.contains("cluster e2e"), "\(body)")
                try await waitFor("the sent counter") {
                    let metrics = try await process.get("/metrics")?.body ?? ""
                    return metrics.contains("vigilante_notifications_sent_total{destination=\"team-slack\"} 1")
                }
                let tasks = try await process.get("/tasks")?.body ?? ""
                #expect(!tasks.contains("SECRETTOKEN"))
                #expect(!process.log.contains("SECRETTOKEN"), "the webhook URL was logged")
                #expect(process.log.contains("127.0.0.1:\(receiver.port)/"), "the destination is logged, redacted")
            }
        } catch {
            await receiver.stop()
            throw error
        }
        await receiver.stop()
    }

    @Test func configCheckValidatesTheURLWithoutPrintingIt() throws {
        let good = temporaryFile(
            "notifications: {destinations: [{name: teams, type: teams, urlEnv: TEAMS_URL}]}")
        defer { try? FileManager.default.removeItem(atPath: good) }
        let valid = try VigilanteBinary.run(
            ["config", "check", good], environment: ["TEAMS_URL": "https://example.webhook.office.com/x/SECRETTOKEN"])
        #expect(valid.status == 0, "\(valid.standardError)")
        #expect(valid.standardOutput.contains("notifications.destinations"))
        #expect(!(valid.standardOutput + valid.standardError).contains("SECRETTOKEN"))

        let invalid = try VigilanteBinary.run(
            ["config", "check", good], environment: ["TEAMS_URL": "ftp://example.com/SECRETTOKEN"])
        #expect(invalid.status == 2)
        #expect(invalid.standardError.contains("notifications.destinations[0].urlEnv"), "\(invalid.standardError)")
        #expect(!(invalid.standardOutput + invalid.standardError).contains("SECRETTOKEN"))
    }
}
