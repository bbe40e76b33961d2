import Foundation
import Testing
import VigilanteCore

/// Every bad configuration gives exactly one error naming the source, the line where known, and the key.
@Suite struct BadConfigurationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let yaml: String
        var variables: [String: String] = [:]
        let expected: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "unknown top-level key", yaml: "intervall: 30\n",
            expected: #"FILE, line 1: intervall: unknown key (did you mean "interval"?)"#),
        Case(
            name: "unknown task key", yaml: "tasks:\n  snat:\n    healingDurration: 5m\n",
            expected: #"FILE, line 3: tasks.snat.healingDurration: unknown key (did you mean "healingDuration"?)"#),
        Case(
            name: "unknown task", yaml: "tasks:\n  snot:\n    enabled: true\n",
            expected: "FILE, line 2: tasks.snot: unknown task; registered tasks: snat"),
        Case(
            name: "wrong type for a boolean", yaml: "dryRun: maybe\n",
            expected: #"FILE, line 1: dryRun: expected true or false, got "maybe""#),
        Case(
            name: "duration without unit on a new key", yaml: "tasks:\n  snat:\n    healingDuration: 30\n",
            expected: "FILE, line 3: tasks.snat.healingDuration: a duration needs a unit, such as 30s or 30m (got 30)"),
        Case(
            name: "garbage duration", yaml: "tasks:\n  snat:\n    interval: soon\n",
            expected: #"FILE, line 3: tasks.snat.interval: expected a duration such as 30s, 5m or 1h30m, got "soon""#),
        Case(
            name: "negative duration", yaml: "tasks:\n  snat:\n    interval: -5s\n",
            expected: #"FILE, line 3: tasks.snat.interval: must be a positive duration, got "-5s""#),
        Case(
            name: "zero duration", yaml: "kubernetes:\n  requestTimeout: 0s\n",
            expected: #"FILE, line 2: kubernetes.requestTimeout: must be a positive duration, got "0s""#),
        Case(
            name: "negative write rate", yaml: "kubernetes:\n  qps: -1\n",
            expected: "FILE, line 2: kubernetes.qps: must be between 0 and 10000, got -1"),
        Case(
            name: "write rate that is not a number", yaml: "kubernetes:\n  qps: fast\n",
            expected: #"FILE, line 2: kubernetes.qps: expected a number, got "fast""#),
        Case(
            name: "zero burst", yaml: "kubernetes:\n  burst: 0\n",
            expected: "FILE, line 2: kubernetes.burst: must be between 1 and 100000, got 0"),
        Case(
            name: "reboot switch that is not a boolean", yaml: "tasks:\n  snat:\n    healAfterReboot: sometimes\n",
            expected: #"FILE, line 3: tasks.snat.healAfterReboot: expected true or false, got "sometimes""#),
        Case(
            name: "zero integer interval", yaml: "interval: 0\n",
            expected: "FILE, line 1: interval: must be a positive duration, got 0"),
        Case(
            name: "malformed YAML", yaml: "tasks:\n  snat: [enabled: true\n",
            expected:
                "FILE: malformed YAML: did not find expected ',' or ']' while parsing a flow sequence at line 3, column 1"
        ),
        Case(
            name: "port out of range", yaml: "http:\n  port: 70000\n",
            expected: "FILE, line 2: http.port: must be between 0 and 65535, got 70000"),
        Case(
            name: "section given a list", yaml: "log:\n  - level: info\n",
            expected: "FILE, line 2: log: expected a mapping of keys, got a list"),
        Case(
            name: "bad enum", yaml: "log:\n  format: xml\n",
            expected: #"FILE, line 2: log.format: expected one of text, json, got "xml""#),
        Case(
            name: "toleration with a bad operator",
            yaml: "tasks:\n  snat:\n    tolerations:\n      - key: os\n        operator: Maybe\n",
            expected: #"FILE, line 5: tasks.snat.tolerations[0].operator: expected one of Exists, Equal, got "Maybe""#),
        Case(
            name: "toleration with an unknown field",
            yaml: "tasks:\n  snat:\n    healing_pod_tolerations:\n      - key: os\n        efect: NoSchedule\n",
            expected: #"FILE, line 5: tasks.snat.tolerations[0].efect: unknown key (did you mean "effect"?)"#),
        Case(
            name: "both the original and the new name of a key",
            yaml: "tasks:\n  snat:\n    tolerations: []\n    healing_pod_tolerations: []\n",
            expected:
                "FILE, line 4: tasks.snat.healing_pod_tolerations: is another name for tasks.snat.tolerations; set only one of them"
        ),
        Case(
            name: "a list where a scalar belongs", yaml: "tasks:\n  snat:\n    image: [a, b]\n",
            expected: "FILE, line 3: tasks.snat.image: expected a string value, got a list"),
        Case(
            name: "invalid namespace", yaml: "tasks:\n  snat:\n    namespace: Kube_System\n",
            expected:
                #"FILE, line 3: tasks.snat.namespace: must be a DNS label (lower-case letters, digits and '-', at most 63 characters), got "Kube_System""#
        ),
        Case(
            name: "invalid label selector", yaml: "tasks:\n  snat:\n    nodeSelector: \"a in b\"\n",
            expected:
                #"FILE, line 3: tasks.snat.nodeSelector: is not a valid label selector (expected e.g. "agentpool=win22,tier in (a,b),!excluded"), got "a in b""#
        ),
        Case(
            name: "duplicate key", yaml: "dryRun: true\ndryRun: false\n",
            expected:
                #"FILE: malformed YAML: duplicate key(s) "dryRun" in one mapping"#
        ),
        Case(
            name: "lease timings out of order", yaml: "leaderElection:\n  leaseDuration: 5s\n",
            expected:
                "FILE: leaderElection.renewDeadline: must be shorter than leaderElection.leaseDuration and longer than leaderElection.retryPeriod (got leaseDuration 5s, renewDeadline 40s, retryPeriod 15s)"
        ),
        Case(
            name: "a document that is a list", yaml: "- tls\n- interval\n",
            expected: "FILE, line 1: the configuration must be a YAML mapping of keys, got a list"),
        Case(
            name: "bad environment value", yaml: "", variables: ["VIGILANTE_TASKS_SNAT_INTERVAL": "fast"],
            expected:
                #"environment variable VIGILANTE_TASKS_SNAT_INTERVAL: tasks.snat.interval: expected a duration such as 30s, 5m or 1h30m, got "fast""#
        ),
        Case(
            name: "unknown environment variable", yaml: "", variables: ["VIGILANTE_INTERVALL": "30"],
            expected:
                "environment variable VIGILANTE_INTERVALL: is not a configuration key (see docs/configuration.md for the VIGILANTE_ variables)"
        ),
    ]

    @Test(arguments: cases)
    func rejected(_ testCase: Case) {
        #expect(configError(testCase.yaml, variables: testCase.variables) == testCase.expected)
    }

    @Test func missingFile() {
        let loader = ConfigurationLoader(taskTypes: [], environment: testEnvironment())
        #expect(throws: ConfigurationError.self) { try loader.load(path: "/nonexistent/config.yaml") }
        do {
            _ = try loader.load(path: "/nonexistent/config.yaml")
        } catch {
            #expect(error.description == "/nonexistent/config.yaml: cannot read the configuration file: no such file")
        }
    }

    @Test func directoryInsteadOfFile() {
        let loader = ConfigurationLoader(taskTypes: [], environment: testEnvironment())
        do {
            _ = try loader.load(path: "/tmp")
            Issue.record("a directory loaded as a configuration file")
        } catch {
            #expect(error.description == "/tmp: cannot read the configuration file: it is a directory")
        }
    }

    @Test func badFlagValue() {
        let message = configError(
            "", flags: [ConfigOverride(path: "log.level", text: "loud", source: "flag --log-level")])
        #expect(
            message
                == #"flag --log-level: log.level: expected one of trace, debug, info, notice, warning, error, critical, got "loud""#
        )
    }
}
