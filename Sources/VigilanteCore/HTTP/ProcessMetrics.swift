import Foundation
import Prometheus

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The standard process metrics of the Prometheus client libraries, read from `/proc` at every scrape:
/// `process_resident_memory_bytes`, `process_virtual_memory_bytes` and `process_start_time_seconds`.
/// Where `/proc` is missing (not Linux) they are not published.
final class ProcessMetrics: Sendable {
    private let resident: Gauge?
    private let virtual: Gauge?
    private let pageSize: Double

    init(registry: PrometheusCollectorRegistry) {
        guard FileManager.default.isReadableFile(atPath: "/proc/self/statm") else {
            resident = nil
            virtual = nil
            pageSize = 0
            return
        }
        pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        resident = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "process", metricName: "resident_memory", unitName: "bytes",
                helpText: "Resident memory of the operator process."))
        virtual = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "process", metricName: "virtual_memory", unitName: "bytes",
                helpText: "Virtual memory of the operator process."))
        if let start = Self.startTime() {
            registry.makeGauge(
                descriptor: MetricNameDescriptor(
                    namespace: "process", metricName: "start_time", unitName: "seconds",
                    helpText: "When the operator process started (Unix time).")
            ).set(start)
        }
    }

    /// Reads the memory figures again.
    func update() {
        guard let resident, let virtual,
            let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)
        else { return }
        let pages = statm.split(separator: " ").compactMap { Double($0) }
        guard pages.count >= 2 else { return }
        virtual.set(pages[0] * pageSize)
        resident.set(pages[1] * pageSize)
    }

    /// Boot time (`btime` of `/proc/stat`) plus the process's start in clock ticks after boot (field 22 of
    /// `/proc/self/stat`, counted after the parenthesised command name, which may hold spaces).
    private static func startTime() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let afterName = stat.range(of: ")", options: .backwards)?.upperBound,
            let system = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let bootLine = system.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
            let boot = Double(bootLine.dropFirst("btime ".count).trimmingCharacters(in: .whitespaces))
        else { return nil }
        // Fields from the third (state) on; starttime is the 22nd field, so the 20th here.
        let fields = stat[afterName...].split(separator: " ")
        guard fields.count >= 20, let ticks = Double(fields[19]) else { return nil }
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        guard ticksPerSecond > 0 else { return nil }
        return boot + ticks / ticksPerSecond
    }
}
