import Foundation
import Synchronization
import Testing

@testable import VigilanteCore

/// The client-side write limit (`kubernetes.qps`/`burst`) on a hand-driven time source: nothing sleeps.
@Suite struct WriteRateLimiterTests {
    /// A time source that moves only when told to; a sleep moves it by the time slept, and is recorded.
    final class ManualTime: Sendable {
        let now = Mutex<Duration>(.zero)
        let sleeps = Mutex<[Duration]>([])

        func advance(by duration: Duration) { now.withLock { $0 += duration } }

        func limiter(qps: Double, burst: Int) -> WriteRateLimiter {
            WriteRateLimiter(
                qps: qps, burst: burst, elapsed: { self.now.withLock { $0 } },
                sleep: { duration in
                    self.sleeps.withLock { $0.append(duration) }
                    self.advance(by: duration)
                })
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    @Test func aBurstGoesAtOnceThenWritesArePacedAtTheRate() {
        let time = ManualTime()
        let limiter = time.limiter(qps: 10, burst: 3)
        #expect((0..<3).map { _ in limiter.reserve() } == [.zero, .zero, .zero])
        // Queued in arrival order, one tenth of a second apart.
        let waits = (0..<4).map { _ in Self.seconds(limiter.reserve()) }
        for (index, wait) in waits.enumerated() {
            #expect(abs(wait - 0.1 * Double(index + 1)) < 1e-9, "\(waits)")
        }
    }

    @Test func tokensRefillAtTheRateUpToTheBurst() {
        let time = ManualTime()
        let limiter = time.limiter(qps: 10, burst: 5)
        for _ in 0..<5 { #expect(limiter.reserve() == .zero) }
        time.advance(by: .milliseconds(200))
        #expect(limiter.reserve() == .zero)
        #expect(limiter.reserve() == .zero)
        #expect(limiter.reserve() > .zero)
        // A long quiet period refills to the burst, not beyond.
        time.advance(by: .seconds(60))
        for _ in 0..<5 { #expect(limiter.reserve() == .zero) }
        #expect(limiter.reserve() > .zero)
    }

    @Test func noSecondHasMoreThanTheRateAllowsWhateverTheWriters() async throws {
        let time = ManualTime()
        let limiter = time.limiter(qps: 100, burst: 20)
        var perSecond: [Int64: Int] = [:]
        for _ in 0..<1_000 {
            try await limiter.acquire()
            perSecond[time.now.withLock { $0 }.components.seconds, default: 0] += 1
        }
        #expect(perSecond.values.max() ?? 0 <= 120, "\(perSecond)")
        // 1,000 writes: 20 at once, then 980 at 100 per second.
        #expect(abs(Self.seconds(time.now.withLock { $0 }) - 9.8) < 1e-6)
    }

    @Test func theClientPacesWritesAndNotReads() async throws {
        let time = ManualTime()
        let transport = FakeKubeTransport { request, _ in
            request.method == "GET"
                ? .json(200, KubeFixtures.node(name: "akswin000001", resourceVersion: "7"))
                : .json(200, KubeFixtures.node(name: "akswin000001", resourceVersion: "8"))
        }
        let client = KubernetesClient(
            transport: transport,
            configuration: KubernetesClientConfiguration(writeLimiter: time.limiter(qps: 2, burst: 1)))
        struct Patch: Encodable, Sendable { let metadata: [String: [String: String]] }
        for _ in 0..<5 { _ = try await client.get(Node.self, name: "akswin000001") }
        #expect(time.sleeps.withLock { $0 }.isEmpty, "reads are not limited")
        for _ in 0..<3 {
            _ = try await client.patch(
                Node.self, name: "akswin000001", mergePatch: Patch(metadata: ["annotations": ["a": "b"]]))
        }
        #expect(time.sleeps.withLock { $0 } == [.milliseconds(500), .milliseconds(500)])
        #expect(transport.requests.count == 8)
    }

    @Test func theConfigurationKeysBuildTheLimiter() throws {
        let directory = try KubeTestDirectory()
        defer { directory.remove() }
        func load(_ yaml: String) throws -> Configuration {
            let file = try directory.write("config-\(UUID().uuidString).yaml", yaml)
            let environment = ConfigEnvironment(variables: [:], serviceAccountDirectory: "/nonexistent", hostName: "t")
            return try ConfigurationLoader(taskTypes: [], environment: environment).load(path: file).configuration
        }
        let defaults = try load("{}\n").kubernetes.writeLimiter
        #expect(defaults?.qps == KubernetesClientConfiguration.defaultQPS)
        #expect(defaults?.burst == KubernetesClientConfiguration.defaultBurst)
        let custom = try load("kubernetes:\n  qps: 12.5\n  burst: 40\n").kubernetes.writeLimiter
        #expect(custom?.qps == 12.5)
        #expect(custom?.burst == 40)
        #expect(try load("kubernetes:\n  qps: 0\n").kubernetes.writeLimiter == nil, "0 turns the limit off")
    }
}
