import CoreMetrics
import Synchronization

/// A swift-metrics factory that keeps counter totals, gauge values and timer samples, for assertions in
/// task tests.
public final class RecordingMetrics: MetricsFactory, Sendable {
    private let values = Mutex<(counters: [String: Int64], gauges: [String: Double], timers: [String: [Int64]])>(
        ([:], [:], [:]))

    /// Creates an empty recorder.
    public init() {}

    static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        label + dimensions.sorted { $0.0 < $1.0 }.map { "|\($0.0)=\($0.1)" }.joined()
    }

    /// The total of a counter.
    public func counter(_ label: String, _ dimensions: [(String, String)] = []) -> Int64 {
        values.withLock { $0.counters[Self.key(label, dimensions)] ?? 0 }
    }

    /// The last value of a gauge or recorder.
    public func gauge(_ label: String, _ dimensions: [(String, String)] = []) -> Double? {
        values.withLock { $0.gauges[Self.key(label, dimensions)] }
    }

    /// Every sample of a timer, in nanoseconds.
    public func timerSamples(_ label: String, _ dimensions: [(String, String)] = []) -> [Int64] {
        values.withLock { $0.timers[Self.key(label, dimensions)] ?? [] }
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        Handler(key: Self.key(label, dimensions), metrics: self)
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        Handler(key: Self.key(label, dimensions), metrics: self)
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        Handler(key: Self.key(label, dimensions), metrics: self)
    }

    public func destroyCounter(_ handler: any CounterHandler) {}
    public func destroyRecorder(_ handler: any RecorderHandler) {
        // A destroyed gauge's series goes, as the Prometheus registry drops it.
        guard let handler = handler as? Handler else { return }
        values.withLock { _ = $0.gauges.removeValue(forKey: handler.key) }
    }
    public func destroyTimer(_ handler: any TimerHandler) {}

    private final class Handler: CounterHandler, RecorderHandler, TimerHandler, Sendable {
        let key: String
        let metrics: RecordingMetrics

        init(key: String, metrics: RecordingMetrics) {
            self.key = key
            self.metrics = metrics
        }

        func increment(by amount: Int64) { metrics.values.withLock { $0.counters[key, default: 0] += amount } }
        func reset() { metrics.values.withLock { $0.counters[key] = 0 } }
        func record(_ value: Int64) { record(Double(value)) }
        func record(_ value: Double) { metrics.values.withLock { $0.gauges[key] = value } }
        func recordNanoseconds(_ duration: Int64) {
            metrics.values.withLock { $0.timers[key, default: []].append(duration) }
        }
    }
}
