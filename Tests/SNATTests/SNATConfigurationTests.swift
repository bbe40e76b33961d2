import Foundation
import SNAT
import Testing
import VigilanteCore

@Suite struct SNATConfigurationTests {
    @Test func defaultsFollowTheBrief() throws {
        let environment = ConfigEnvironment(
            variables: ["POD_NAMESPACE": "vigilante"], serviceAccountDirectory: "/nonexistent", hostName: "h")
        let loaded = try ConfigurationLoader(taskTypes: [SNATConfiguration.self], environment: environment)
            .load(path: "/dev/null")
        let snat = try #require(loaded.configuration.task("snat"))
        let options = try #require(snat.options(as: SNATConfiguration.self))
        #expect(snat.interval == .seconds(30))
        #expect(options.healingDuration == .seconds(30 * 60))
        #expect(options.namespace == "vigilante")
        #expect(options.image.hasPrefix("mcr.microsoft.com/oss/kubernetes/pause:"))
        #expect(options.tolerations == [Toleration(operator: "Exists")])
        #expect(options.priorityClassName == nil)
        #expect(options.podLabels.isEmpty)
        #expect(options.podAnnotations.isEmpty)
        #expect(options.imagePullSecrets.isEmpty)
        #expect(options.resourceRequests == ["cpu": "1m", "memory": "8Mi"])
        #expect(options.resourceLimits == options.resourceRequests, "limits default to the requests")
        #expect(options.runtimeClassName == nil)
    }

    /// Loads `tasks.snat` holding `yaml` (indented under it) from a file; returns the options or the error text
    /// with the file's path replaced by FILE.
    private func load(_ yaml: String) throws -> Result<SNATConfiguration, ConfigurationError> {
        let file = NSTemporaryDirectory() + "snat-config-\(UUID().uuidString).yaml"
        let text = "tasks:\n  snat:\n" + yaml.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let environment = ConfigEnvironment(variables: [:], serviceAccountDirectory: "/nonexistent", hostName: "h")
        do {
            let loaded = try ConfigurationLoader(taskTypes: [SNATConfiguration.self], environment: environment)
                .load(path: file)
            return .success(try #require(loaded.configuration.task("snat")?.options(as: SNATConfiguration.self)))
        } catch let error as ConfigurationError {
            var error = error
            error.source = error.source.replacingOccurrences(of: file, with: "FILE")
            return .failure(error)
        }
    }

    @Test func healerPodKeysAreRead() throws {
        let options = try load(
            """
            podLabels: {team: platform, example.com/tier: "1"}
            podAnnotations: {example.com/owner: "sre team <sre@example.com>"}
            imagePullSecrets: [mirror-pull, backup.pull]
            resources:
              requests: {cpu: 100m, memory: 1Gi}
            runtimeClassName: runhcs-wcow-process
            """
        ).get()
        #expect(options.podLabels == ["team": "platform", "example.com/tier": "1"])
        #expect(options.podAnnotations == ["example.com/owner": "sre team <sre@example.com>"])
        #expect(options.imagePullSecrets == ["mirror-pull", "backup.pull"])
        #expect(options.resourceRequests == ["cpu": "100m", "memory": "1Gi"])
        #expect(options.resourceLimits == ["cpu": "100m", "memory": "1Gi"])
        #expect(options.runtimeClassName == "runhcs-wcow-process")
    }

    @Test(arguments: [
        (
            "podLabels: {\"bad key!\": x}",
            #"FILE, line 3: tasks.snat.podLabels.bad key!: key must be a qualified name (an optional DNS subdomain and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit), got "bad key!""#
        ),
        (
            "podLabels: {cops-vigilante/task: other}",
            #"FILE, line 3: tasks.snat.podLabels.cops-vigilante/task: key "cops-vigilante/task" is set by the operator and cannot be changed"#
        ),
        (
            "podLabels: {team: \"-platform\"}",
            #"FILE, line 3: tasks.snat.podLabels.team: must be a label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit), got "-platform""#
        ),
        (
            "podLabels: [team]",
            "FILE, line 3: tasks.snat.podLabels: expected a mapping of strings such as {team: payments}, got a list"
        ),
        (
            "podAnnotations: {Example.com/owner: x}",
            #"FILE, line 3: tasks.snat.podAnnotations.Example.com/owner: key must have a DNS subdomain before the '/' (such as example.com/name), got "Example.com/owner""#
        ),
        (
            "imagePullSecrets: [Mirror]",
            #"FILE, line 3: tasks.snat.imagePullSecrets[0]: must be a DNS subdomain (lower-case letters, digits, '-' and '.', at most 253 characters), got "Mirror""#
        ),
        (
            "resources:\n  requests: {cpu: lots}",
            #"FILE, line 4: tasks.snat.resources.requests.cpu: must be a non-negative quantity such as 100m, 0.5, 64Mi or 1Gi (units m, k, M, G, Ki, Mi, Gi...), got "lots""#
        ),
        (
            "resources:\n  limits: {memory: -8Mi}",
            #"FILE, line 4: tasks.snat.resources.limits.memory: must be a non-negative quantity such as 100m, 0.5, 64Mi or 1Gi (units m, k, M, G, Ki, Mi, Gi...), got "-8Mi""#
        ),
        (
            "resources:\n  requests: {cpu: 100m}\n  limits: {cpu: 50m}",
            "FILE, line 5: tasks.snat.resources.limits: the cpu limit 50m must be at least its request 100m"
        ),
        (
            "resources:\n  request: {cpu: 100m}",
            #"FILE, line 4: tasks.snat.resources.request: unknown key (did you mean "requests"?)"#
        ),
        (
            "runtimeClassName: Windows_2022",
            #"FILE, line 3: tasks.snat.runtimeClassName: must be a DNS subdomain (lower-case letters, digits, '-' and '.', at most 253 characters), got "Windows_2022""#
        ),
    ])
    func badHealerPodKeysNameKeyAndFile(_ yaml: String, _ expected: String) throws {
        switch try load(yaml) {
        case .success: Issue.record("accepted: \(yaml)")
        case .failure(let error): #expect(error.description == expected)
        }
    }

    @Test func aLimitBelowItsRequestFromTheEnvironmentNamesTheVariable() {
        let environment = ConfigEnvironment(
            variables: ["VIGILANTE_TASKS_SNAT_RESOURCES_LIMITS": "{memory: 4Mi}"],
            serviceAccountDirectory: "/nonexistent",
            hostName: "h")
        #expect {
            try ConfigurationLoader(taskTypes: [SNATConfiguration.self], environment: environment).load(
                path: "/dev/null")
        } throws: { error in
            (error as? ConfigurationError)?.description
                == "environment variable VIGILANTE_TASKS_SNAT_RESOURCES_LIMITS: tasks.snat.resources.limits: the memory limit 4Mi must be at least its request 8Mi"
        }
    }

    @Test func quantities() {
        #expect(parseQuantity("100m") == 0.1)
        #expect(parseQuantity("8Mi") == 8_388_608.0)
        #expect(parseQuantity("1.5") == 1.5)
        #expect(parseQuantity("2e3") == 2000)
        #expect(parseQuantity("1k") == 1000)
        #expect(parseQuantity(".5") == 0.5)
        #expect(parseQuantity("+1") == 1)
        for bad in ["", "m", ".", "-1", "1x", "1 Mi", "1e", "e3", "Mi", "1K"] {
            #expect(parseQuantity(bad) == nil, "\(bad)")
        }
    }
}
