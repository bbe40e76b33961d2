import Foundation
import Testing

@testable import VigilanteCore

@Suite struct MappedFilePagesTests {
    @Test func onlyReadOnlyFileMappingsAreChosenAndOnlyPristineCodeIsDropped() {
        let smaps = """
            5581a0000000-5581a0400000 r--p 00000000 08:01 1234                       /usr/bin/vigilante
            Size:               4096 kB
            Anonymous:             0 kB
            5581a0400000-5581a4000000 r-xp 00400000 08:01 1234                       /usr/bin/vigilante
            Rss:               20000 kB
            Anonymous:             0 kB
            VmFlags: rd ex mr mw me
            5581a4000000-5581a4100000 rw-p 04000000 08:01 1234                       /usr/bin/vigilante
            Anonymous:          1024 kB
            5581a5000000-5581a5200000 rw-p 00000000 00:00 0                          [heap]
            Anonymous:          2048 kB
            7f0000000000-7f0000021000 rw-p 00000000 00:00 0
            Anonymous:           132 kB
            7f0000100000-7f0000200000 r-xp 00000000 08:01 99                         /usr/lib/libtextrel.so (deleted)
            Anonymous:             8 kB
            7ffd00000000-7ffd00001000 r-xp 00000000 00:00 0                          [vdso]
            Anonymous:             0 kB
            """
        #expect(
            MappedFilePages.readOnlyFileMappings(smaps) == [
                .init(range: 0x5581_a000_0000..<0x5581_a040_0000, droppable: false),
                .init(range: 0x5581_a040_0000..<0x5581_a400_0000, droppable: true),
                .init(range: 0x7f00_0010_0000..<0x7f00_0020_0000, droppable: false),
            ])
    }

    #if os(Linux)
        /// The kernel records the advice on every code mapping: the test binary's, and the C library's,
        /// which sits far down a long smaps (a read that stops short would miss it).
        @Test func theAdviceReachesTheKernel() throws {
            #expect(MappedFilePages.trim() > 0)
            let data = try #require(FileHandle(forReadingAtPath: "/proc/self/smaps")?.readDataToEndOfFile())
            let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
            var codeMapping: String?
            var advised: Set<String> = []
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                if let first = line.first, first.isHexDigit, line.contains("-") {
                    let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                    codeMapping = fields.count >= 6 && fields[1] == "r-xp" ? String(fields[5]) : nil
                } else if let path = codeMapping, line.hasPrefix("VmFlags:"),
                    line.split(separator: " ").contains("rr")
                {
                    advised.insert(path)
                }
            }
            #expect(advised.contains(executable), "\(advised)")
            #expect(advised.contains { $0.hasSuffix("/libc.so.6") }, "\(advised)")
        }
    #endif
}
