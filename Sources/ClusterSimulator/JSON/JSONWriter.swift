/// Encodes ``JSONValue`` the way Go's encoding/json does (compact, HTML-safe escaping), with an
/// optional two-space indented form for the "pretty" output the API server gives curl.
enum JSONWriter {
    static func encode(_ value: JSONValue, pretty: Bool = false) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        write(value, into: &output, indent: pretty ? 0 : nil)
        return output
    }

    static func write(_ value: JSONValue, into output: inout [UInt8], indent: Int? = nil) {
        switch value {
        case .null: output.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(let flag): output.append(contentsOf: Array((flag ? "true" : "false").utf8))
        case .int(let number): output.append(contentsOf: Array(String(number).utf8))
        case .double(let number): output.append(contentsOf: Array(formatDouble(number).utf8))
        case .string(let string): writeString(string, into: &output)
        case .array(let elements):
            if elements.isEmpty {
                output.append(contentsOf: [UInt8(ascii: "["), UInt8(ascii: "]")])
                return
            }
            output.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                if let indent { newline(indent + 1, into: &output) }
                write(element, into: &output, indent: indent.map { $0 + 1 })
            }
            if let indent { newline(indent, into: &output) }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            if object.isEmpty {
                output.append(contentsOf: [UInt8(ascii: "{"), UInt8(ascii: "}")])
                return
            }
            output.append(UInt8(ascii: "{"))
            for (position, member) in object.members.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                if let indent { newline(indent + 1, into: &output) }
                writeString(member.key, into: &output)
                output.append(UInt8(ascii: ":"))
                if indent != nil { output.append(UInt8(ascii: " ")) }
                write(member.value, into: &output, indent: indent.map { $0 + 1 })
            }
            if let indent { newline(indent, into: &output) }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static func newline(_ level: Int, into output: inout [UInt8]) {
        output.append(0x0A)
        for _ in 0..<(level * 2) { output.append(0x20) }
    }

    static func formatDouble(_ number: Double) -> String {
        if number.rounded() == number, abs(number) < 1e21 {
            return String(Int64(number))
        }
        return "\(number)"
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func writeString(_ string: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var utf8 = string.utf8.makeIterator()
        var pending: [UInt8] = []
        while let byte = utf8.next() {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20, UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"):
                output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0x0F)])
            case 0xE2:
                // U+2028 and U+2029 are escaped by Go.
                pending = [byte]
                if let second = utf8.next() {
                    pending.append(second)
                    if let third = utf8.next() {
                        pending.append(third)
                    }
                }
                if pending.count == 3, pending[1] == 0x80, pending[2] == 0xA8 || pending[2] == 0xA9 {
                    output.append(contentsOf: Array((pending[2] == 0xA8 ? "\\u2028" : "\\u2029").utf8))
                } else {
                    output.append(contentsOf: pending)
                }
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
