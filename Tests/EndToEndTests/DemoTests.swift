import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

/// `vigilante demo`, the README's first command: it heals its simulated Windows nodes, prints where to
/// look, and exits cleanly on Ctrl-C.
@Suite struct DemoTests {
    @Test func demoHealsAndStopsOnInterrupt() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("demo-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: VigilanteBinary.path)
        let port = Int.random(in: 20000...40000)
        process.arguments = ["demo", "--healing-window", "3s", "--interval", "1s", "--http-port", String(port)]
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("VIGILANTE_") }
        let logPath = directory + "/demo.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        func output() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
        // The status page, as a browser asks for it.
        func page() async -> String? {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/")
            request.headers.add(name: "Accept", value: "text/html,application/xhtml+xml,*/*;q=0.8")
            guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(10)),
                response.status.code == 200, response.headers["Content-Type"].first == "text/html; charset=utf-8",
                let body = try? await response.body.collect(upTo: 4 * 1024 * 1024)
            else { return nil }
            return String(buffer: body)
        }
        try await waitFor("the status page to show a Windows node in its window", timeout: .seconds(120)) {
            guard process.isRunning else { throw OperatorProcess.Exited(log: output()) }
            guard let page = await page() else { return false }
            return page.contains(#"data-name="akswin"#) && page.contains(#"data-state="healing"><div"#)
                && page.contains("<progress")
        }
        try await waitFor("the demo to heal its first Windows node", timeout: .seconds(120)) {
            guard process.isRunning else { throw OperatorProcess.Exited(log: output()) }
            return output().split(separator: "\n").contains { $0.contains("akswin000000") && $0.contains("healed") }
        }
        let text = output()
        #expect(text.contains("kubeconfig:  /"))
        #expect(text.contains("curl localhost:\(port)/tasks"))
        #expect(text.contains("status page: http://localhost:\(port)/"))
        try await waitFor("the status page to show the four Windows nodes healed", timeout: .seconds(120)) {
            await page()?.contains(#"<li data-count="healed"><span class="value">4</span>"#) == true
        }
        #expect(await page()?.contains("aks-linux") == false, "Linux nodes are not on the page")
        #expect(!text.split(separator: "\n").contains { $0.contains("aks-linux") && $0.contains("healed") })
        kill(process.processIdentifier, SIGINT)
        try await waitFor("the demo to exit after Ctrl-C", timeout: .seconds(30)) { !process.isRunning }
        #expect(process.terminationStatus == 0, "demo output:\n\(output())")
        #expect(output().contains("demo stopped"))
    }
}
