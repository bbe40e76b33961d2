import Foundation
import SNAT
import Testing
import VigilanteCore

/// Writes `yaml` to a fresh temporary file and loads it with a controlled environment.
func loadConfig(
    _ yaml: String, variables: [String: String] = [:], flags: [ConfigOverride] = []
) throws(ConfigurationError) -> (ConfigurationLoader.Loaded, String) {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("vigilante-config-\(UUID().uuidString).yaml").path
    _ = FileManager.default.createFile(atPath: path, contents: Data(yaml.utf8))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let loader = ConfigurationLoader(
        taskTypes: [SNATConfiguration.self], environment: testEnvironment(variables), flags: flags)
    return (try loader.load(path: path), path)
}

func testEnvironment(_ variables: [String: String] = [:]) -> ConfigEnvironment {
    ConfigEnvironment(variables: variables, serviceAccountDirectory: "/nonexistent", hostName: "test-host")
}

/// The error a load of `yaml` fails with, with the temporary file's path replaced by `FILE`.
func configError(_ yaml: String, variables: [String: String] = [:], flags: [ConfigOverride] = []) -> String? {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("vigilante-config-\(UUID().uuidString).yaml").path
    _ = FileManager.default.createFile(atPath: path, contents: Data(yaml.utf8))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let loader = ConfigurationLoader(
        taskTypes: [SNATConfiguration.self], environment: testEnvironment(variables), flags: flags)
    do {
        _ = try loader.load(path: path)
        return nil
    } catch {
        return error.description.replacingOccurrences(of: path, with: "FILE")
    }
}

@Suite struct ConfigurationLoaderTests {
    @Test func defaultsWithoutAFile() throws {
        let loaded = try ConfigurationLoader(taskTypes: [SNATConfiguration.self], environment: testEnvironment())
            .load(path: nil)
        let configuration = loaded.configuration
        #expect(configuration.http.port == 8000)
        #expect(configuration.tls.enabled == false)
        #expect(configuration.tls.certFile == "/etc/vigilante/certs/tls.crt")
        #expect(configuration.namespace == "default")
        #expect(configuration.store.path == "/var/lib/vigilante/vigilante.sqlite")
        #expect(configuration.leaderElection.identity == "test-host")
        let snat = try #require(configuration.task("snat"))
        #expect(snat.enabled)
        #expect(snat.interval == .seconds(30))
        let options = try #require(snat.options(as: SNATConfiguration.self))
        #expect(options.healingDuration == .seconds(1800))
        #expect(options.tolerations == [Toleration(operator: "Exists")])
        #expect(options.namespace == "default")
    }

    /// The original Go release's conf.yaml loads unchanged.
    @Test func originalReleaseFileLoads() throws {
        let (loaded, _) = try loadConfig(
            """
            tls: true
            interval: 30
            tasks:
              snat:
                healing_pod_tolerations:
                  - key: "os"
                    operator: "Equal"
                    value: "windows"
                    effect: "NoSchedule"
                  - key: node.kubernetes.io/unreachable
                    operator: Exists
                    effect: NoExecute
                    tolerationSeconds: 300
            """)
        let configuration = loaded.configuration
        #expect(configuration.tls.enabled)
        #expect(configuration.http.port == 8443)
        let snat = try #require(configuration.task("snat"))
        #expect(snat.interval == .seconds(30))
        let options = try #require(snat.options(as: SNATConfiguration.self))
        #expect(
            options.tolerations == [
                Toleration(key: "os", operator: "Equal", value: "windows", effect: "NoSchedule"),
                Toleration(
                    key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute",
                    tolerationSeconds: 300),
            ])
    }

    @Test func fullNewStyleFile() throws {
        let (loaded, _) = try loadConfig(
            """
            dryRun: false
            namespace: ops
            tls:
              enabled: true
              certFile: /certs/tls.crt
              keyFile: /certs/tls.key
              clientCAFile: /certs/ca.crt
            http:
              port: 9443
            log: {level: debug, format: json}
            kubernetes: {context: aks-prod, requestTimeout: 10s}
            store: {path: /data/v.sqlite}
            leaderElection: {leaseName: vigilante, leaseDuration: 20s, renewDeadline: 15s, retryPeriod: 3s}
            tasks:
              snat:
                enabled: true
                interval: 1m
                healingDuration: 1h30m
                namespace: healers
                image: example.com/pause:1
                tolerations: [{operator: Exists}]
                priorityClassName: system-node-critical
                nodeSelector: agentpool in (win22, win19),!excluded
                backoff: {base: 5s, cap: 5m}
                dryRun: true
            """)
        let configuration = loaded.configuration
        #expect(configuration.http.port == 9443)
        #expect(configuration.tls.clientCAFile == "/certs/ca.crt")
        #expect(configuration.log.level == .debug)
        #expect(configuration.log.format == .json)
        #expect(configuration.leaderElection.leaseNamespace == "ops")
        let snat = try #require(configuration.task("snat"))
        #expect(snat.dryRun)
        #expect(snat.interval == .seconds(60))
        let options = try #require(snat.options(as: SNATConfiguration.self))
        #expect(options.healingDuration == .seconds(5400))
        #expect(options.namespace == "healers")
        let (followsTopLevel, _) = try loadConfig("namespace: ops\n", variables: ["POD_NAMESPACE": "elsewhere"])
        #expect(followsTopLevel.configuration.task("snat")?.options(as: SNATConfiguration.self)?.namespace == "ops")
        #expect(options.nodeSelector == "agentpool in (win22, win19),!excluded")
        #expect(options.backoffCap == .seconds(300))
    }

    @Test func precedenceIsFileThenEnvironmentThenFlags() throws {
        let yaml = "http: {port: 8001}\nlog: {level: warning}\ntasks: {snat: {interval: 45s}}\n"
        let (fileOnly, _) = try loadConfig(yaml)
        #expect(fileOnly.configuration.http.port == 8001)
        let (withEnvironment, _) = try loadConfig(
            yaml,
            variables: [
                "VIGILANTE_HTTP_PORT": "8002", "VIGILANTE_TASKS_SNAT_HEALING_DURATION": "20s",
                "VIGILANTE_TASKS_SNAT_TOLERATIONS": "[{key: a, operator: Exists}]",
            ])
        #expect(withEnvironment.configuration.http.port == 8002)
        let options = try #require(withEnvironment.configuration.task("snat")?.options(as: SNATConfiguration.self))
        #expect(options.healingDuration == .seconds(20))
        #expect(options.tolerations == [Toleration(key: "a", operator: "Exists")])
        let (withFlags, _) = try loadConfig(
            yaml, variables: ["VIGILANTE_HTTP_PORT": "8002"],
            flags: [ConfigOverride(path: "http.port", text: "8003", source: "flag --http-port")])
        #expect(withFlags.configuration.http.port == 8003)
        #expect(withFlags.configuration.log.level == .warning)
        let portSource = withFlags.effectiveValues.first { $0.path == "http.port" }?.source
        #expect(portSource == "flag --http-port")
    }

    @Test func topLevelIntervalIsTheDefaultOfEveryTask() throws {
        let (loaded, _) = try loadConfig("interval: 90\n")
        #expect(loaded.configuration.task("snat")?.interval == .seconds(90))
    }

    @Test func durationsParseAndPrint() {
        #expect(Duration(configText: "30s") == .seconds(30))
        #expect(Duration(configText: "5m") == .seconds(300))
        #expect(Duration(configText: "1h30m") == .seconds(5400))
        #expect(Duration(configText: "250ms") == .milliseconds(250))
        #expect(Duration(configText: "1.5h") == .seconds(5400))
        #expect(Duration(configText: "abc") == nil)
        #expect(Duration(configText: "30") == nil)
        #expect(Duration(configText: "5x") == nil)
        #expect(Duration.seconds(5400).configText == "1h30m")
        #expect(Duration.milliseconds(250).configText == "250ms")
        #expect(Duration.milliseconds(1500).configText == "1.5s")
        #expect(Duration.seconds(30).configText == "30s")
    }

    @Test func environmentVariableNames() {
        let keys = ConfigurationLoader(taskTypes: [SNATConfiguration.self], environment: testEnvironment())
            .describeKeys()
        let names = Dictionary(keys.map { ($0.path, $0.environmentVariable) }, uniquingKeysWith: { a, _ in a })
        #expect(names["tasks.snat.healingDuration"] == "VIGILANTE_TASKS_SNAT_HEALING_DURATION")
        #expect(names["dryRun"] == "VIGILANTE_DRY_RUN")
        #expect(names["tls.clientCAFile"] == "VIGILANTE_TLS_CLIENT_CA_FILE")
        #expect(Set(names.values).count == names.count, "two keys share an environment variable")
    }
}
