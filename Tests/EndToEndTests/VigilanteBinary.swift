import Foundation

/// Runs the built `vigilante` executable as a child process, as a user or a Pod would.
struct VigilanteBinary {
    /// The executable: `$E2E_VIGILANTE_BINARY`, else `vigilante` beside the test bundle.
    static var path: String {
        if let path = ProcessInfo.processInfo.environment["E2E_VIGILANTE_BINARY"] { return path }
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidates = [bundleDirectory.appendingPathComponent("vigilante").path]
        // swift-testing runs from the .xctest bundle on Linux; its folder holds the products.
        candidates.append(bundleDirectory.deletingLastPathComponent().appendingPathComponent("vigilante").path)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    /// What a finished run printed and returned.
    struct Result {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// Runs `vigilante arguments…` to completion with a clean environment plus `environment`.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        var base = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("VIGILANTE_") }
        base["HOME"] = FileManager.default.temporaryDirectory.path
        base.merge(environment) { _, new in new }
        process.environment = base
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Read both pipes to the end before waiting, so a chatty child never blocks on a full pipe.
        let errorData = LockedData()
        let errorReader = Thread { errorData.set(error.fileHandleForReading.readDataToEndOfFile()) }
        errorReader.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorData.isSet { usleep(1000) }
        return Result(
            status: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self),
            standardError: String(decoding: errorData.value, as: UTF8.self))
    }
}

/// A value filled by another thread.
final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ value: Data) { lock.withLock { data = value } }
    var isSet: Bool { lock.withLock { data != nil } }
    var value: Data { lock.withLock { data ?? Data() } }
}

/// A temporary file with `contents`, removed by the caller.
func temporaryFile(_ contents: String, suffix: String = ".yaml") -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
        "vigilante-e2e-\(UUID().uuidString)\(suffix)"
    )
    .path
    _ = FileManager.default.createFile(atPath: path, contents: Data(contents.utf8))
    return path
}
