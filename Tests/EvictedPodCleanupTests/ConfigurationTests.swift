import Foundation
import Testing
import VigilanteCore

@testable import EvictedPodCleanup

@Suite struct ConfigurationTests {
    private func options(_ extra: String, variables: [String: String] = [:]) throws -> EvictedPodCleanupConfiguration {
        try #require(
            try CleanupTestEnvironment.configuration(extra, variables: variables).task("evictedPodCleanup")?
                .options(as: EvictedPodCleanupConfiguration.self))
    }

    @Test func defaults() throws {
        let settings = try #require(try CleanupTestEnvironment.configuration().task("evictedPodCleanup"))
        #expect(settings.enabled)
        #expect(settings.interval == .seconds(300))
        #expect(!settings.dryRun)
        let options = try options("")
        #expect(options.minAge == .seconds(3600))
        #expect(options.excludeNamespaces == ["kube-system"])
        #expect(options.includeNamespaces.isEmpty)
        #expect(options.labelSelector == nil)
        #expect(options.maxDeletionsPerRun == 100)
    }

    @Test func describedKeys() throws {
        let keys = ConfigurationLoader(taskTypes: [EvictedPodCleanupConfiguration.self]).describeKeys()
        let enabled = try #require(keys.first { $0.path == "tasks.evictedPodCleanup.enabled" })
        #expect(enabled.defaultValue == "false", "disabled by default")
        let exclude = try #require(keys.first { $0.path == "tasks.evictedPodCleanup.excludeNamespaces" })
        #expect(exclude.type == "list of strings")
        #expect(exclude.defaultValue == "[kube-system]")
        #expect(exclude.environmentVariable == "VIGILANTE_TASKS_EVICTED_POD_CLEANUP_EXCLUDE_NAMESPACES")
    }

    @Test func listsFromTheFileAndTheEnvironment() throws {
        var options = try options("excludeNamespaces: []\nincludeNamespaces:\n  - web\n  - batch\nlabelSelector: ''")
        #expect(options.excludeNamespaces.isEmpty)
        #expect(options.includeNamespaces == ["web", "batch"])
        #expect(options.labelSelector == nil, "an empty selector is no selector")
        options = try self.options(
            "", variables: ["VIGILANTE_TASKS_EVICTED_POD_CLEANUP_EXCLUDE_NAMESPACES": "[kube-system, monitoring]"])
        #expect(options.excludeNamespaces == ["kube-system", "monitoring"])
    }

    @Test(arguments: [
        ("minAge: soon", "tasks.evictedPodCleanup.minAge: expected a duration"),
        ("excludeNamespaces: kube-system", "tasks.evictedPodCleanup.excludeNamespaces: expected a list of strings"),
        ("includeNamespaces: [web, Bad_Name]", "tasks.evictedPodCleanup.includeNamespaces[1]: must be a DNS label"),
        ("includeNamespaces: [kube-system]", "tasks.evictedPodCleanup.includeNamespaces: kube-system is also in"),
        ("labelSelector: 'team in batch'", "tasks.evictedPodCleanup.labelSelector: is not a valid label selector"),
        ("maxDeletionsPerRun: 0", "tasks.evictedPodCleanup.maxDeletionsPerRun: must be between 1 and 10000"),
        ("maxDeletion: 5", "tasks.evictedPodCleanup.maxDeletion: unknown key"),
    ])
    func badValuesNameTheKey(line: String, expected: String) throws {
        do {
            _ = try CleanupTestEnvironment.configuration(line)
            Issue.record("\(line) was accepted")
        } catch let error as ConfigurationError {
            #expect(error.description.contains(expected), "\(error)")
        }
    }
}
