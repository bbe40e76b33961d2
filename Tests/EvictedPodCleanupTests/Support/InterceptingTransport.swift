import Foundation
import Synchronization
import VigilanteCore

/// Forwards every request to the simulator, and lets a test act just before a pod DELETE reaches it:
/// that is how a pod "disappears between list and delete" deterministically.
final class InterceptingTransport: KubernetesTransport {
    typealias BeforeDelete = @Sendable (_ namespace: String, _ name: String) async throws -> Void

    private let inner: AsyncHTTPClientTransport
    private let adminToken: String
    private let beforeDelete = Mutex<BeforeDelete?>(nil)

    init(inner: AsyncHTTPClientTransport, adminToken: String) {
        self.inner = inner
        self.adminToken = adminToken
    }

    /// Runs `hook` before each pod DELETE is forwarded (nil: none).
    func onPodDelete(_ hook: BeforeDelete?) {
        beforeDelete.withLock { $0 = hook }
    }

    func send(_ request: KubernetesHTTPRequest) async throws -> KubernetesHTTPResponse {
        if request.method == "DELETE", let hook = beforeDelete.withLock({ $0 }) {
            let parts = request.pathAndQuery.split(separator: "?")[0].split(separator: "/").map(String.init)
            // api v1 namespaces <namespace> pods <name>
            if parts.count == 6, parts[4] == "pods" { try await hook(parts[3], parts[5]) }
        }
        return try await inner.send(request)
    }

    func shutdown() async throws {
        try await inner.shutdown()
    }

    // MARK: Acting as another client

    /// Replaces the pod's status through the `status` subresource, as the kubelet does.
    func patchStatus(namespace: String, name: String, status: [String: Any]) async throws {
        let body = try JSONSerialization.data(withJSONObject: ["status": status])
        try await adminRequest(
            "PATCH", "/api/v1/namespaces/\(namespace)/pods/\(name)/status", body: Array(body),
            contentType: "application/merge-patch+json")
    }

    /// Deletes the pod at once, as another client (a controller, a person with kubectl) would.
    func deletePod(namespace: String, name: String) async throws {
        try await adminRequest("DELETE", "/api/v1/namespaces/\(namespace)/pods/\(name)?gracePeriodSeconds=0")
    }

    private func adminRequest(_ method: String, _ path: String, body: [UInt8]? = nil, contentType: String? = nil)
        async throws
    {
        var headers = [("Authorization", "Bearer \(adminToken)"), ("Accept", "application/json")]
        if let contentType { headers.append(("Content-Type", contentType)) }
        let response = try await inner.send(
            KubernetesHTTPRequest(method: method, pathAndQuery: path, headers: headers, body: body))
        for try await _ in response.body {}
        guard (200..<300).contains(response.status) else {
            throw TransportTestError(message: "\(method) \(path): HTTP \(response.status)")
        }
    }
}

struct TransportTestError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
