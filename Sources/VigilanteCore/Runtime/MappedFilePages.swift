import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Keeps the executable's pages out of resident memory until they run.
///
/// Resident memory (VmRSS) counts the pages of mapped files as well as the heap. On a fault in a mapped
/// file the kernel maps up to 16 neighbouring pages that happen to be in the page cache ("fault-around")
/// and reads ahead, so a process that runs a few functions here and there holds much of a large
/// executable (the static release binary is about 90 MB of code and data). ``trim()`` tells the kernel
/// that access to the read-only file mappings is random (`madvise(MADV_RANDOM)`), so from then on a fault
/// maps the one page that is used, and drops the code pages mapped so far from the process (they come
/// back, one page each, when they run again). `vigilante run` trims at its start and again once it is up,
/// so that code which ran only at start-up does not stay resident. Nothing else changes: the pages stay
/// in the page cache, and the cost is a few more minor faults while code paths first run.
public enum MappedFilePages {
    /// Advises random access for every read-only mapping of a file and drops the code pages mapped so far;
    /// returns how many mappings were advised (0 where `/proc/self/smaps` cannot be read).
    @discardableResult
    public static func trim() -> Int {
        #if os(Linux)
            // Read to the end: the kernel makes smaps a page at a time, and a single read stops short.
            guard let data = FileHandle(forReadingAtPath: "/proc/self/smaps")?.readDataToEndOfFile() else { return 0 }
            let smaps = String(decoding: data, as: UTF8.self)
            var advised = 0
            for mapping in readOnlyFileMappings(smaps) {
                let address = UnsafeMutableRawPointer(bitPattern: mapping.range.lowerBound)
                if madvise(address, mapping.range.count, MADV_RANDOM) == 0 { advised += 1 }
                // Code mapped before the advice (by the loader, at startup) is dropped from this process and
                // faults back one page at a time when it runs again: it is the file's content. A mapping
                // with private copies of pages (text relocations, relocated read-only data) is kept, since
                // dropping would lose what was written to them.
                if mapping.droppable { _ = madvise(address, mapping.range.count, MADV_DONTNEED) }
            }
            return advised
        #else
            return 0
        #endif
    }

    /// One mapping of a file that is not writable (code and constants).
    struct Mapping: Equatable {
        /// Its addresses.
        var range: Range<UInt>
        /// Executable code holding no page of its own (`Anonymous: 0 kB`): every page is the file's.
        var droppable: Bool
    }

    /// The read-only file mappings of a `/proc/PID/smaps` text (writable data is left alone).
    static func readOnlyFileMappings(_ smaps: String) -> [Mapping] {
        var mappings: [Mapping] = []
        var current: (range: Range<UInt>, executable: Bool, anonymousKB: Int)?
        func finish() {
            if let current {
                mappings.append(
                    Mapping(range: current.range, droppable: current.executable && current.anonymousKB == 0))
            }
            current = nil
        }
        for line in smaps.split(separator: "\n") {
            if line.hasPrefix("Anonymous:") {
                let value = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first
                current?.anonymousKB = value.flatMap { Int($0) } ?? 1
                continue
            }
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            let bounds = fields.first?.split(separator: "-") ?? []
            guard fields.count >= 5, bounds.count == 2, let start = UInt(bounds[0], radix: 16),
                let end = UInt(bounds[1], radix: 16)
            else { continue }
            // A mapping's header line: the path is the rest of the line after the padding.
            finish()
            let path = fields.count == 6 ? fields[5].drop(while: { $0 == " " }) : ""
            guard start < end, path.hasPrefix("/"), fields[1].first == "r", !fields[1].contains("w") else { continue }
            current = (start..<end, fields[1].contains("x"), 0)
        }
        finish()
        return mappings
    }
}
