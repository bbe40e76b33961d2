import ClusterSimulator
import Foundation
import Testing

/// Fidelity measured against the recordings of a real kube-apiserver v1.28 (../shared/fixtures).
@Suite("Recorded kube-apiserver exchanges")
struct FixtureReplayTests {
    @Test(.enabled(if: FileManager.default.fileExists(atPath: RepositoryPaths.replayTool.path)))
    func replayOfAllFixturesHasNoFailures() async throws {
        try await TestCluster.with { cluster async throws in
            let caFile = FileManager.default.temporaryDirectory.appendingPathComponent(
                "sim-ca-\(UUID().uuidString).crt")
            try cluster.simulator.caCertificatePEM.write(to: caFile, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: caFile) }
            var arguments = [
                RepositoryPaths.replayTool.path, "--server", cluster.simulator.baseURL, "--token",
                cluster.simulator.configuration.adminToken, "--cacert", caFile.path, "--sa-token", "auto",
                // Room for the simulated kubelet on a loaded machine (the tool's default cap is 4 s).
                "--watch-timeout", "15",
            ]
            if let skip = FidelitySkipList.regex() { arguments += ["--skip", skip] }
            let result = try await Subprocess.run("/usr/bin/env", ["python3"] + arguments)
            let summary = result.output.split(separator: "\n").last.map(String.init) ?? ""
            let failures = result.output.split(separator: "\n").filter { $0.hasPrefix("FAIL") }
            #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
            #expect(result.status == 0, "\(summary)\n\(result.error)")
            #expect(summary.hasSuffix("skipped") && summary.contains(" 0 failed"), "\(summary)")
            print("replay-fixtures: \(summary)")
        }
    }
}

/// The repository's explicit skip list (scripts/fidelity-skip.txt): one case name prefix per line,
/// `#` comments; each entry's reason is in docs/simulator.md.
enum FidelitySkipList {
    static func regex() -> String? {
        guard let text = try? String(contentsOf: RepositoryPaths.skipList, encoding: .utf8) else { return nil }
        let entries = text.split(separator: "\n").map { $0.split(separator: "#").first ?? "" }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return entries.isEmpty ? nil : "^(" + entries.joined(separator: "|") + ")"
    }
}
