import Foundation
import Testing

@testable import VigilanteCore

@Suite struct MappedFilePagesTests {
    @Test func onlyReadOnlyFileMappingsAreChosen() {
        let maps = """
            5581a0000000-5581a0400000 r--p 00000000 08:01 1234                       /usr/bin/vigilante
            5581a0400000-5581a4000000 r-xp 00400000 08:01 1234                       /usr/bin/vigilante
            5581a4000000-5581a4100000 rw-p 04000000 08:01 1234                       /usr/bin/vigilante
            5581a5000000-5581a5200000 rw-p 00000000 00:00 0                          [heap]
            7f0000000000-7f0000021000 rw-p 00000000 00:00 0
            7f0000100000-7f0000200000 r-xp 00000000 08:01 99                         /usr/lib/libc.so.6 (deleted)
            7ffd00000000-7ffd00001000 r-xp 00000000 00:00 0                          [vdso]
            """
        let chosen = MappedFilePages.readOnlyFileMappings(maps)
        #expect(
            chosen.map(\.range) == [
                0x5581_a000_0000..<0x5581_a040_0000, 0x5581_a040_0000..<0x5581_a400_0000,
                0x7f00_0010_0000..<0x7f00_0020_0000,
            ])
        #expect(chosen.map(\.executable) == [false, true, true])
    }

    #if os(Linux)
        /// The kernel records the advice: the test binary's code mapping shows `rr` (random read) in smaps.
        @Test func theAdviceReachesTheKernel() throws {
            #expect(MappedFilePages.trim() > 0)
            let smaps = try String(contentsOfFile: "/proc/self/smaps", encoding: .utf8)
            let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
            var inExecutableCode = false
            var advisedCode = 0
            for line in smaps.split(separator: "\n") {
                if let first = line.first, first.isHexDigit, line.contains("-") {
                    let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                    inExecutableCode = fields.count >= 6 && fields[1] == "r-xp" && fields[5] == executable
                } else if inExecutableCode, line.hasPrefix("VmFlags:"), line.split(separator: " ").contains("rr") {
                    advisedCode += 1
                }
            }
            #expect(advisedCode > 0)
        }
    #endif
}
