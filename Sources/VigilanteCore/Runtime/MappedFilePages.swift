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
    /// returns how many mappings were advised (0 where `/proc/self/maps` cannot be read).
    @discardableResult
    public static func trim() -> Int {
        #if os(Linux)
            guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return 0 }
            var advised = 0
            for mapping in readOnlyFileMappings(maps) {
                let address = UnsafeMutableRawPointer(bitPattern: mapping.range.lowerBound)
                if madvise(address, mapping.range.count, MADV_RANDOM) == 0 { advised += 1 }
                // Code mapped before the advice (by the loader, at startup) is dropped from this process and
                // faults back one page at a time when it runs again. Only code: it is never written, so
                // dropping loses nothing, where dropping relocated read-only data would.
                if mapping.executable { _ = madvise(address, mapping.range.count, MADV_DONTNEED) }
            }
            return advised
        #else
            return 0
        #endif
    }

    /// The address ranges of the mappings in a `/proc/PID/maps` text that map a file and are not writable
    /// (code and constants; writable data is left alone).
    static func readOnlyFileMappings(_ maps: String) -> [(range: Range<UInt>, executable: Bool)] {
        maps.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            // The path is the rest of the line after the padding that follows the inode.
            guard fields.count == 6, fields[5].drop(while: { $0 == " " }).hasPrefix("/"), fields[1].first == "r",
                !fields[1].contains("w")
            else { return nil }
            let bounds = fields[0].split(separator: "-")
            guard bounds.count == 2, let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16),
                start < end
            else { return nil }
            return (start..<end, fields[1].contains("x"))
        }
    }
}
