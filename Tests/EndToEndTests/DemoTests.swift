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
        // Its own temporary folder: whatever the demo writes there must be gone when it exits.
        let temporary = directory + "/tmp"
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("VIGILANTE_") }
        environment["TMPDIR"] = temporary
        process.environment = environment
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
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary).contains { $0.hasSuffix(".kubeconfig") })
        let simulatorPort = Self.simulatorPort(in: text)
        let interrupted = ContinuousClock.now
        kill(process.processIdentifier, SIGINT)
        try await waitFor("the demo to exit after Ctrl-C", timeout: .seconds(30)) { !process.isRunning }
        let stopping = ContinuousClock.now - interrupted
        #expect(process.terminationStatus == 0, "demo output:\n\(output())")
        #expect(output().contains("demo stopped"))
        // Well under a second when idle; 3 s leaves room for a loaded machine, and fails a fixed 5 s wait.
        #expect(stopping < .seconds(3), "the demo took \(stopping) to stop after Ctrl-C")
        // Nothing left behind: kubeconfig and store are removed, both ports are closed.
        let left = try FileManager.default.contentsOfDirectory(atPath: temporary)
        #expect(left.isEmpty, "left behind: \(left)")
        #expect(!Self.accepts(port: port), "the status port \(port) still accepts connections")
        if let simulatorPort {
            #expect(
                !Self.accepts(port: simulatorPort), "the simulator's port \(simulatorPort) still accepts connections")
        } else {
            Issue.record("no simulator address in the demo's output:\n\(text)")
        }
        // One consistent view: a node that is Ready is never shown in the phase of a NotReady node.
        let contradictions = output().split(separator: "\n").filter { $0.contains(" True ") && $0.contains("notReady") }
        #expect(contradictions.isEmpty, "READY and PHASE disagree: \(contradictions)")
    }

    /// Whether something listens on 127.0.0.1:`port`.
    static func accepts(port: Int) -> Bool {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return false }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// The simulated API server's port, from the kubeconfig the demo wrote (`server: https://127.0.0.1:PORT`).
    static func simulatorPort(in output: String) -> Int? {
        guard let line = output.split(separator: "\n").first(where: { $0.contains("kubeconfig:  /") }),
            let path = line.split(separator: " ").last,
            let kubeconfig = try? String(contentsOfFile: String(path), encoding: .utf8),
            let server = kubeconfig.split(separator: "\n").first(where: { $0.contains("server: https://127.0.0.1:") }),
            let port = server.split(separator: ":").last
        else { return nil }
        return Int(port.trimmingCharacters(in: .whitespaces))
    }
}
