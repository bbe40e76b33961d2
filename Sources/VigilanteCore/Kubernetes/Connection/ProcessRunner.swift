import Foundation

/// Runs a child process to completion off the cooperative thread pool, with a timeout.
enum ProcessRunner {
    struct Result: Sendable {
        var status: Int32
        var standardOutput: Data
        var standardError: Data
    }

    static func run(
        executable: String,
        arguments: [String],
        environment: [String: String],
        timeout: Duration
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = arguments
                process.environment = environment
                let output = Pipe()
                let errors = Pipe()
                process.standardOutput = output
                process.standardError = errors
                process.standardInput = FileHandle.nullDevice
                do {
                    try process.run()
                } catch {
                    continuation.resume(
                        throwing: ExecPluginError(command: executable, problem: "could not be started: \(error)")
                    )
                    return
                }
                let timer = DispatchWorkItem {
                    if process.isRunning { process.terminate() }
                }
                DispatchQueue.global().asyncAfter(
                    deadline: .now() + .milliseconds(Int(durationSeconds(timeout) * 1000)),
                    execute: timer
                )
                // Drain stderr concurrently so a chatty plugin cannot block on a full pipe.
                let errorData = LockedState(Data())
                let group = DispatchGroup()
                group.enter()
                DispatchQueue.global().async {
                    let data = errors.fileHandleForReading.readDataToEndOfFile()
                    errorData.withLock { $0 = data }
                    group.leave()
                }
                let outputData = output.fileHandleForReading.readDataToEndOfFile()
                group.wait()
                process.waitUntilExit()
                timer.cancel()
                continuation.resume(
                    returning: Result(
                        status: process.terminationStatus,
                        standardOutput: outputData,
                        standardError: errorData.withLock { $0 }
                    )
                )
            }
        }
    }
}
