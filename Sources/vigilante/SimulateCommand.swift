import ArgumentParser
import ClusterSimulator
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `vigilante simulate`: serves an empty simulated Kubernetes cluster for kubectl and the operator.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Serve a simulated Kubernetes API server (v1.28 protocol) over HTTPS on 127.0.0.1.",
        discussion: """
            The cluster starts like a fresh real one (only the default namespaces), optionally with Windows and \
            Linux nodes that have a simulated kubelet. A kubeconfig with the CA and an admin bearer token is \
            written so that kubectl and the operator can use it. Runs until SIGINT or SIGTERM.
            """
    )

    @Option(help: "Port to listen on (0 picks a free one).")
    var port: Int = 6443

    @Option(name: .customLong("kubeconfig-out"), help: "Where to write the kubeconfig (default: a temporary file).")
    var kubeconfigOut: String?

    @Option(name: .customLong("windows-nodes"), help: "Windows nodes to preload (akswin000000, ...).")
    var windowsNodes: Int = 0

    @Option(name: .customLong("linux-nodes"), help: "Linux nodes to preload (aks-nodepool1-00000000-vmss000000, ...).")
    var linuxNodes: Int = 0

    @Option(name: .customLong("admin-token"), help: "Bearer token of the admin user (default: a random one).")
    var adminToken: String?

    @Option(name: .customLong("ca-out"), help: "Also write the CA certificate (PEM) to this path.")
    var caOut: String?

    @Option(
        name: .customLong("max-mutating-inflight"),
        help:
            "Answer writes beyond this many in flight with 429 and Retry-After: 1, as a throttling API server does (0: no limit)."
    )
    var maxMutatingInflight: Int = 0

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard windowsNodes >= 0, linuxNodes >= 0 else { throw ValidationError("node counts cannot be negative") }
        guard maxMutatingInflight >= 0 else { throw ValidationError("--max-mutating-inflight cannot be negative") }
    }

    func run() async throws {
        var configuration = SimulatorConfiguration()
        configuration.port = port
        configuration.adminToken = adminToken ?? "sim-" + UUID().uuidString.lowercased()
        let cluster = try await ClusterSimulator.start(configuration)
        if maxMutatingInflight > 0 { cluster.setWriteConcurrencyLimit(maxMutatingInflight) }
        for index in 0..<windowsNodes {
            cluster.addNode(name: String(format: "akswin%06d", index), os: "windows")
        }
        for index in 0..<linuxNodes {
            cluster.addNode(name: String(format: "aks-nodepool1-00000000-vmss%06d", index), os: "linux")
        }
        let path: String
        if let kubeconfigOut {
            path = URL(fileURLWithPath: kubeconfigOut).standardizedFileURL.path
        } else {
            path =
                FileManager.default.temporaryDirectory
                .appendingPathComponent("vigilante-simulator-\(cluster.port).kubeconfig").path
        }
        try cluster.writeKubeconfig(to: path)
        if let caOut {
            try cluster.caCertificatePEM.write(toFile: caOut, atomically: true, encoding: .utf8)
        }
        print(
            """
            Simulated cluster serving at \(cluster.baseURL)
            Kubeconfig: \(path)
            Admin token: \(configuration.adminToken) (user "admin", group system:masters; it is in the kubeconfig)
              kubectl --kubeconfig \(path) get nodes
              curl --cacert <(kubectl --kubeconfig \(path) config view --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d) -H "Authorization: Bearer \(configuration.adminToken)" \(cluster.baseURL)/api/v1/nodes
            Nodes: \(windowsNodes) Windows, \(linuxNodes) Linux. Stop with Ctrl-C.
            """)
        fflush(nil)
        await Self.waitForTermination()
        await cluster.stop()
    }

    /// Suspends until SIGINT or SIGTERM.
    private static func waitForTermination() async {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        let sources = [SIGINT, SIGTERM].map { signalNumber -> DispatchSourceSignal in
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { continuation.yield() }
            source.resume()
            return source
        }
        for await _ in stream { break }
        sources.forEach { $0.cancel() }
    }
}
