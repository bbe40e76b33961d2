import Foundation
import Testing

/// The binary's configuration commands, run as a user would.
@Suite struct ConfigurationCommandTests {
    @Test func checkAcceptsTheOriginalReleaseFile() throws {
        let file = temporaryFile(
            """
            tls: false
            interval: 30
            tasks:
              snat:
                healing_pod_tolerations:
                  - key: os
                    operator: Equal
                    value: windows
                    effect: NoSchedule
            """)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try VigilanteBinary.run(["config", "check", file])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("\(file) is valid."))
        #expect(result.standardOutput.contains("tasks.snat.interval:"))
        #expect(result.standardOutput.contains("30s    # \(file)"))
        #expect(result.standardOutput.contains("tasks.snat.tolerations:"))
    }

    @Test func checkRejectsABadFileWithStatus2() throws {
        let file = temporaryFile("tasks:\n  snat:\n    interval: -1m\n")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try VigilanteBinary.run(["config", "check", file])
        #expect(result.status == 2)
        #expect(
            result.standardError
                == "error: \(file), line 3: tasks.snat.interval: must be a positive duration, got \"-1m\"\n")
        #expect(result.standardOutput.isEmpty)
    }

    @Test func environmentVariablesApplyAndAreChecked() throws {
        let good = try VigilanteBinary.run(
            ["config", "check", "--config", "/dev/null"], environment: ["VIGILANTE_TASKS_SNAT_HEALING_DURATION": "2m"])
        #expect(good.status == 0, "\(good.standardError)")
        #expect(good.standardOutput.contains("environment variable VIGILANTE_TASKS_SNAT_HEALING_DURATION"))
        let bad = try VigilanteBinary.run(
            ["config", "check", "--config", "/dev/null"], environment: ["VIGILANTE_LOG_LEVEL": "chatty"])
        #expect(bad.status == 2)
        #expect(bad.standardError.contains("environment variable VIGILANTE_LOG_LEVEL: log.level: expected one of"))
    }

    @Test func runExitsWith2OnABadConfigurationBeforeTouchingAnything() throws {
        let result = try VigilanteBinary.run(["run", "--config", "/nonexistent/vigilante.yaml"])
        #expect(result.status == 2)
        #expect(
            result.standardError
                == "error: /nonexistent/vigilante.yaml: cannot read the configuration file: no such file\n")
        let badFlag = try VigilanteBinary.run(["run", "--config", "/dev/null", "--log-format", "xml"])
        #expect(badFlag.status == 2)
        #expect(badFlag.standardError.contains("flag --log-format: log.format: expected one of text, json"))
    }

    @Test func tasksListsSNATWithItsKeys() throws {
        let result = try VigilanteBinary.run(["tasks"])
        #expect(result.status == 0)
        #expect(result.standardOutput.hasPrefix("snat: Heals the AKS Windows SNAT problem"))
        for key in ["tasks.snat.enabled", "tasks.snat.healingDuration", "tasks.snat.tolerations", "30m"] {
            #expect(result.standardOutput.contains(key))
        }
        #expect(result.standardOutput.contains("VIGILANTE_TASKS_SNAT_HEALING_DURATION"))
    }
}
