import Foundation
import Testing

/// `vigilante --help` and each command's help: the overview is wrapped by the argument parser alone, so
/// its lines fill the width and break only between words, whatever the terminal's width.
@Suite struct HelpTests {
    static let commands: [[String]] = [[], ["run"], ["demo"], ["tasks"], ["config", "check"], ["simulate"]]

    @Test(arguments: [60, 80, 132])
    func overviewsWrapAtTheWidth(columns: Int) throws {
        for command in Self.commands {
            let result = try VigilanteBinary.run(command + ["--help"], environment: ["COLUMNS": String(columns)])
            #expect(result.status == 0, "\(command) --help: \(result.standardError)")
            let paragraphs = Self.overview(of: result.standardOutput)
            #expect(!paragraphs.isEmpty, "no OVERVIEW in \(command) --help:\n\(result.standardOutput)")
            for paragraph in paragraphs {
                for (line, next) in zip(paragraph, paragraph.dropFirst()) {
                    #expect(line.count <= columns, "\(command): a line longer than \(columns): «\(line)»")
                    // Greedy wrapping (the parser fills a line to at most columns - 1 characters): the next
                    // line's first word would not have fitted on this one.
                    let word = next.split(separator: " ").first.map(String.init) ?? ""
                    #expect(
                        line.count + 1 + word.count >= columns,
                        "\(command) at \(columns) columns: «\(line)» breaks early before «\(word)»")
                }
            }
        }
    }

    @Test func theOverviewSaysWhereToStart() throws {
        let result = try VigilanteBinary.run(["--help"], environment: ["COLUMNS": "80"])
        let text = Self.overview(of: result.standardOutput).map { $0.joined(separator: " ") }.joined(separator: "\n")
        #expect(
            text.contains(
                "Start with `vigilante demo` to watch the operator heal a simulated cluster, `vigilante tasks` to see "
                    + "what it can do, and `vigilante config check FILE` to validate a configuration file."),
            "\(text)")
    }

    /// The paragraphs of the OVERVIEW section (lines up to USAGE, split at blank lines), as printed.
    static func overview(of help: String) -> [[String]] {
        var paragraphs: [[String]] = []
        var current: [String] = []
        var inOverview = false
        for line in help.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("OVERVIEW: ") {
                inOverview = true
                current = [line]
                continue
            }
            guard inOverview else { continue }
            if line.hasPrefix("USAGE:") { break }
            if line.trimmingCharacters(in: .whitespaces).isEmpty {
                if !current.isEmpty { paragraphs.append(current) }
                current = []
            } else {
                current.append(line)
            }
        }
        if !current.isEmpty { paragraphs.append(current) }
        return paragraphs
    }
}
