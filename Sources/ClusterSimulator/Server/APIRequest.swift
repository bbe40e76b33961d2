import NIOCore

/// A request as the simulated API server sees it, independent of the HTTP framework.
struct APIRequest: Sendable {
    var method: String
    var path: String
    /// Decoded query parameters in order (Go's url.ParseQuery: `+` is a space).
    var query: [(String, String)]
    /// Header values by lowercased name.
    var headers: [String: String]
    var body: [UInt8]
    /// User and groups from a verified client certificate.
    var certificateIdentity: UserInfo?

    func queryValue(_ name: String) -> String? {
        query.first { $0.0 == name }?.1
    }

    func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }

    static func parseQuery(_ raw: Substring) -> [(String, String)] {
        raw.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecode(parts[0])
            let value = parts.count > 1 ? percentDecode(parts[1]) : ""
            return (name, value)
        }
    }

    static func percentDecode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), iterator.count >= 2,
                let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// An authenticated user.
struct UserInfo: Sendable, Equatable {
    var name: String
    var groups: [String]

    static let anonymous = UserInfo(name: "system:anonymous", groups: ["system:unauthenticated"])

    var isAuthenticated: Bool { name != UserInfo.anonymous.name }
}

/// A response of the simulated API server.
struct APIResponse: Sendable {
    enum Body: Sendable {
        case bytes([UInt8])
        case watch(WatchSession)
    }

    var status: Int
    var headers: [(String, String)]
    var body: Body
}
