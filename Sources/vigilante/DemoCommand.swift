import ArgumentParser
import Foundation

/// `vigilante demo`: the operator against an in-process simulated cluster.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Watch the operator heal an in-process simulated cluster (no Kubernetes needed).",
        discussion: """
            Starts a simulated Kubernetes API server with Linux and Windows nodes, runs the operator against
            it with an accelerated healing window, and shows the nodes' progress.
            """
    )

    @OptionGroup var options: CommonOptions

    func run() async throws {
        print(
            """
            vigilante demo is not built yet: it needs the simulator, the task runtime and the SNAT task
            (issues 02 to 07). Today you can run `vigilante tasks`, `vigilante config check FILE` and
            `vigilante simulate`.
            """)
    }
}
