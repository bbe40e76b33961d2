import Foundation
import Testing
import VigilanteCore

@testable import EvictedPodCleanup

/// docs/writing-a-task.md shows real code: every Swift snippet is a marked region of a source file (or
/// a part of Package.swift or the task list), byte for byte, so the snippets compile because the module does.
@Suite struct GuideSnippetTests {
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// One fenced block of the guide and the marker line above it.
    struct Block {
        var marker: String?
        var language: String
        var text: String
        var line: Int
    }

    static func blocks() throws -> [Block] {
        let guide = try String(
            contentsOf: repositoryRoot.appendingPathComponent("docs/writing-a-task.md"), encoding: .utf8)
        let lines = guide.components(separatedBy: "\n")
        var blocks: [Block] = []
        var index = 0
        while index < lines.count {
            let line = lines[index]
            guard line.hasPrefix("```"), line.count > 3 else {
                index += 1
                continue
            }
            let start = index
            index += 1
            var body: [String] = []
            while index < lines.count, lines[index] != "```" {
                body.append(lines[index])
                index += 1
            }
            index += 1
            let previous = start > 0 ? lines[start - 1] : ""
            blocks.append(
                Block(
                    marker: previous.hasPrefix("<!--") ? previous : nil, language: String(line.dropFirst(3)),
                    text: body.joined(separator: "\n") + "\n", line: start + 1))
        }
        return blocks
    }

    /// The lines between `// snippet:<name>` and `// end-snippet` in `file`.
    static func region(_ name: String, in file: String) throws -> String? {
        let lines = file.components(separatedBy: "\n")
        guard let start = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "// snippet:\(name)" }),
            let end = lines[(start + 1)...].firstIndex(where: {
                $0.trimmingCharacters(in: .whitespaces) == "// end-snippet"
            })
        else { return nil }
        return lines[(start + 1)..<end].joined(separator: "\n") + "\n"
    }

    @Test func everySwiftSnippetIsRealCode() throws {
        let swiftBlocks = try Self.blocks().filter { $0.language == "swift" }
        #expect(swiftBlocks.count >= 8)
        for block in swiftBlocks {
            let marker = try #require(
                block.marker?.firstMatch(of: /<!-- snippet: (\S+?)(?:#(\S+))? -->/),
                "the Swift block at line \(block.line) has no snippet marker")
            let path = String(marker.output.1)
            let file = try String(contentsOf: Self.repositoryRoot.appendingPathComponent(path), encoding: .utf8)
            if let name = marker.output.2 {
                let region = try #require(
                    try Self.region(String(name), in: file), "\(path) has no region \(name) (line \(block.line))")
                #expect(block.text == region, "the snippet at line \(block.line) differs from \(path)#\(name)")
            } else {
                #expect(file.contains(block.text), "\(path) does not contain the snippet at line \(block.line)")
            }
        }
    }

    @Test func configurationExampleLoads() throws {
        let examples = try Self.blocks().filter { $0.marker == "<!-- check: configuration -->" }
        #expect(examples.count == 1)
        for example in examples {
            let file = NSTemporaryDirectory() + "guide-example-\(UUID().uuidString).yaml"
            try example.text.write(toFile: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: file) }
            let settings = try #require(try CleanupTestEnvironment.load(file: file).task("evictedPodCleanup"))
            #expect(settings.enabled)
            let options = try #require(settings.options(as: EvictedPodCleanupConfiguration.self))
            #expect(options.minAge == .seconds(2 * 60 * 60))
        }
    }

    /// docs/configuration.md lists every key of the task with its environment variable
    /// (regenerate it with scripts/update-config-doc.sh).
    @Test func configurationReferenceListsTheKeys() throws {
        let document = try String(
            contentsOf: Self.repositoryRoot.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let keys = ConfigurationLoader(taskTypes: [EvictedPodCleanupConfiguration.self]).describeKeys()
            .filter { $0.path.hasPrefix("tasks.evictedPodCleanup.") }
        #expect(keys.count == 8)
        for key in keys {
            #expect(document.contains("`\(key.path)`"), "docs/configuration.md lacks \(key.path)")
            #expect(
                document.contains("`\(key.environmentVariable)`"),
                "docs/configuration.md lacks \(key.environmentVariable)")
        }
    }
}
