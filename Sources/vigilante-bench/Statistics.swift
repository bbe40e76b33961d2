import Foundation

/// min / median / p99 / max of a set of samples (nearest-rank percentiles).
struct Summary: Codable, Sendable {
    var count: Int
    var min: Double
    var median: Double
    var p99: Double
    var max: Double

    init?(_ samples: [Double]) {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        count = sorted.count
        min = sorted[0]
        max = sorted[sorted.count - 1]
        median = Self.percentile(sorted, 0.5)
        p99 = Self.percentile(sorted, 0.99)
    }

    /// Nearest-rank percentile of sorted samples.
    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[Swift.max(0, Swift.min(sorted.count - 1, rank - 1))]
    }

    /// `min / median / p99` with `digits` decimals.
    func text(_ digits: Int = 1, scale: Double = 1) -> String {
        let format = "%.\(digits)f"
        let values = [min, median, p99].map { String(format: format, $0 * scale) }
        return values.joined(separator: " / ") + " (n=\(count))"
    }
}

/// The machine the figures come from.
struct Machine: Codable, Sendable {
    var cores: Int
    var cpuModel: String
    var memoryTotalKB: Int?
    var kernel: String

    static func current() -> Machine {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model =
            cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) }
            ?? "unknown"
        let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        let total = ProcFile.kilobytes(meminfo, key: "MemTotal")
        let kernel =
            ((try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8)) ?? "unknown")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return Machine(
            cores: ProcessInfo.processInfo.activeProcessorCount, cpuModel: model, memoryTotalKB: total, kernel: kernel)
    }
}

/// Reads `/proc` files of a process.
enum ProcFile {
    /// The value in kB of `key:` in a `/proc/.../status`-style text.
    static func kilobytes(_ text: String, key: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count >= 2 { return Int(fields[1]) }
        }
        return nil
    }

    /// Resident memory of a process, in MB: the whole (VmRSS), its peak (VmHWM), and the whole split into
    /// anonymous pages (heap, stacks: RssAnon) and pages of mapped files (the executable: RssFile).
    struct Memory {
        var rssMB: Double
        var peakMB: Double
        var anonymousMB: Double
        var fileMB: Double
    }

    /// The resident memory of `pid`.
    static func memory(pid: Int32) -> Memory? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let rss = kilobytes(text, key: "VmRSS"), let peak = kilobytes(text, key: "VmHWM"),
            let anonymous = kilobytes(text, key: "RssAnon"), let file = kilobytes(text, key: "RssFile")
        else { return nil }
        return Memory(
            rssMB: Double(rss) / 1024, peakMB: Double(peak) / 1024, anonymousMB: Double(anonymous) / 1024,
            fileMB: Double(file) / 1024)
    }

    /// Bytes `pid` read through read-like system calls (sockets included): `rchar` of `/proc/PID/io`.
    static func bytesRead(pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/io", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("rchar:") {
            return Int(line.split(separator: " ").last ?? "")
        }
        return nil
    }

    /// User + system CPU seconds of `pid` (from `/proc/PID/stat`).
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime 14, stime 15 (1-based in proc(5)).
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (user + system) / ticks
    }
}
