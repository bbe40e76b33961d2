import Foundation
import SNAT
import Testing
import VigilanteCore

/// docs/configuration.md documents every key the code reads, with its environment variable.
@Suite struct ConfigurationDocumentationTests {
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    @Test func everyKeyIsDocumented() throws {
        let document = try String(
            contentsOf: Self.repositoryRoot.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let keys = ConfigurationLoader(taskTypes: [SNATConfiguration.self], environment: testEnvironment())
            .describeKeys()
        #expect(keys.count > 30)
        for key in keys {
            #expect(document.contains("`\(key.path)`"), "docs/configuration.md lacks the key \(key.path)")
            if !key.path.contains("[]") {
                #expect(
                    document.contains("`\(key.environmentVariable)`"),
                    "docs/configuration.md lacks \(key.environmentVariable)")
            }
        }
    }
}
