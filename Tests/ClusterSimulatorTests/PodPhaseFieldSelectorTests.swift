import ClusterSimulator
import Foundation
import Testing

/// `status.phase` is a field selector of pods, in LIST and in WATCH (the evicted-pod cleanup task
/// watches `status.phase=Failed`). A watch sees a pod enter the selection as ADDED and leave it as DELETED.
@Suite("Pod status.phase field selector")
struct PodPhaseFieldSelectorTests {
    private func names(_ response: TestResponse) -> [String] {
        (response.json["items"]?.arrayValue ?? []).compactMap { $0["metadata"]["name"]?.stringValue }
    }

    private func setPhase(_ cluster: TestCluster, _ name: String, _ phase: String) async throws {
        let response = try await cluster.request(
            .PATCH, "/api/v1/namespaces/default/pods/\(name)/status",
            body: #"{"status":{"phase":"\#(phase)","reason":"Evicted"}}"#, contentType: "application/merge-patch+json")
        #expect(response.status == 200)
    }

    @Test func listAndWatch() async throws {
        try await TestCluster.with { cluster async throws in
            for name in ["a", "b", "c"] {
                #expect(try await cluster.post("/api/v1/namespaces/default/pods", Objects.pod(name)).status == 201)
            }
            try await setPhase(cluster, "a", "Failed")
            let list = try await cluster.get("/api/v1/pods?fieldSelector=status.phase%3DFailed")
            #expect(list.status == 200)
            #expect(names(list) == ["a"])
            #expect(names(try await cluster.get("/api/v1/pods?fieldSelector=status.phase%21%3DFailed")) == ["b", "c"])

            let rv = try #require(list.json["metadata"]["resourceVersion"]?.stringValue)
            let watch = try await cluster.watch(
                "/api/v1/pods?fieldSelector=status.phase%3DFailed&resourceVersion=\(rv)&timeoutSeconds=60&watch=1")
            #expect(watch.status == 200)
            try await setPhase(cluster, "b", "Running")  // not selected: no event
            try await setPhase(cluster, "c", "Failed")  // enters the selection
            _ = try await cluster.request(.DELETE, "/api/v1/namespaces/default/pods/a")
            try await setPhase(cluster, "c", "Running")  // leaves it
            var seen: [String] = []
            for _ in 0..<4 {
                let event = await watch.next()
                seen.append(
                    "\(event["type"]?.stringValue ?? "none") \(event["object"]["metadata"]["name"]?.stringValue ?? "")")
            }
            // A grace-0 delete first writes the deletionTimestamp (MODIFIED), as the real registry does.
            #expect(seen == ["ADDED c", "MODIFIED a", "DELETED a", "DELETED c"])
            watch.cancel()
        }
    }
}
