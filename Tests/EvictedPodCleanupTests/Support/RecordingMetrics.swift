import CoreMetrics
import Synchronization

/// A swift-metrics factory that keeps counter totals and gauge values, for assertions.
final class RecordingMetrics: MetricsFactory, Sendable {
    private let values = Mutex<(counters: [String: Int64], gauges: [String: Double])>(([:], [:]))

    static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        label + dimensions.sorted { $0.0 < $1.0 }.map { "|\($0.0)=\($0.1)" }.joined()
    }

    func counter(_ label: String, _ dimensions: [(String, String)] = []) -> Int64 {
        values.withLock { $0.counters[Self.key(label, dimensions)] ?? 0 }
    }

    func gauge(_ label: String, _ dimensions: [(String, String)] = []) -> Double? {
        values.withLock { $0.gauges[Self.key(label, dimensions)] }
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        Handler(key: Self.key(label, dimensions), metrics: self)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        Handler(key: Self.key(label, dimensions), metrics: self)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        Handler(key: Self.key(label, dimensions), metrics: self)
    }

    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

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
        func recordNanoseconds(_ duration: Int64) {}
    }
}
