import Foundation
import Testing

@testable import VigilanteCore

/// Not a test on its own: scripts/check-openapi.sh runs it to get a server for schemathesis.
///
/// With `VIGILANTE_STATUS_FUZZ_DIR` set, it serves the fake provider on an ephemeral port, writes
/// the port to `$VIGILANTE_STATUS_FUZZ_DIR/port`, and serves until `$VIGILANTE_STATUS_FUZZ_DIR/stop`
/// exists (or 15 minutes pass). Without the variable it is skipped.
@Suite("HTTP status server fuzz target")
struct StatusServerFuzzTarget {
    static let directory = ProcessInfo.processInfo.environment["VIGILANTE_STATUS_FUZZ_DIR"]

    @Test("Serve for scripts/check-openapi.sh", .enabled(if: directory != nil))
    func serveUntilStopped() async throws {
        let directory = try #require(Self.directory)
        let server = try await RunningStatusServer.start(
            limits: StatusServerLimits(idleTimeout: .seconds(30), requestTimeout: .seconds(10)))
        try Data("\(server.port)\n".utf8).write(to: URL(fileURLWithPath: directory + "/port"), options: .atomic)
        let stopFile = directory + "/stop"
        let deadline = ContinuousClock.now + .seconds(15 * 60)
        while !FileManager.default.fileExists(atPath: stopFile), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        try await server.stop()
    }
}
