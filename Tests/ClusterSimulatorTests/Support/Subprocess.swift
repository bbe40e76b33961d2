import Foundation

/// Runs a program without blocking a Swift concurrency thread (the simulator serves from the
/// same process); output goes through temporary files so a chatty child never blocks on a pipe.
struct Subprocess {
    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) async throws
        -> Result
    {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("out")
        let errURL = directory.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = out
        process.standardError = err
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        try? out.close()
        try? err.close()
        return Result(
            status: status, output: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            error: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }
}

/// Paths of the repository and of the shared folder next to it.
enum RepositoryPaths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let shared = root.deletingLastPathComponent().appendingPathComponent("shared")
    static let replayTool = shared.appendingPathComponent("tools/replay-fixtures.py")
    static let skipList = root.appendingPathComponent("scripts/fidelity-skip.txt")
    static let kubectl = "/usr/bin/kubectl"
    /// The kubectl `scripts/install-tools.sh` installs (1.37), which validates with the v3 OpenAPI documents.
    static let ciKubectl = root.appendingPathComponent(".ci-tools/bin/kubectl").path
    /// Both kubectls that are installed: the machine's (the Cloud SDK dispatcher 1.32.4, which runs its
    /// kubectl 1.28.15 for a 1.28 server; it reads the v2 document as protobuf) and the one of
    /// `scripts/install-tools.sh`.
    static let installedKubectls = [kubectl, ciKubectl].filter { FileManager.default.isExecutableFile(atPath: $0) }
}
