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
    }
}
