import ClusterSimulator
import Foundation
import Testing

@Suite("Label and field selectors, limit/continue paging")
struct SelectorAndPagingTests {
    private func names(_ response: TestResponse) -> [String] {
        (response.json["items"]?.arrayValue ?? []).compactMap { $0["metadata"]["name"]?.stringValue }
    }

    @Test func labelSelectors() async throws {
        try await TestCluster.with { cluster async throws in
            cluster.simulator.addNode(name: "win1", os: "windows", labels: ["agentpool": "win22"])
            cluster.simulator.addNode(name: "win2", os: "windows", labels: ["agentpool": "win19"])
            cluster.simulator.addNode(name: "lin1", os: "linux")
            cluster.simulator.addNode(name: "bare", os: nil)
            let cases: [(String, [String])] = [
                ("kubernetes.io%2Fos%3Dwindows", ["win1", "win2"]),
                ("kubernetes.io%2Fos%3D%3Dwindows", ["win1", "win2"]),
                ("kubernetes.io%2Fos%21%3Dwindows", ["bare", "lin1"]),
                ("kubernetes.io%2Fos%20in%20%28windows%2Clinux%29%2Cagentpool%20in%20%28win22%29", ["win1"]),
                ("kubernetes.io/os+in+(windows,linux)", ["lin1", "win1", "win2"]),
                ("kubernetes.io%2Fos%20notin%20%28windows%29", ["bare", "lin1"]),
                ("agentpool", ["win1", "win2"]),
                ("%21agentpool", ["bare", "lin1"]),
            ]
            for (selector, expected) in cases {
                let response = try await cluster.get("/api/v1/nodes?labelSelector=\(selector)")
                #expect(response.status == 200)
                #expect(names(response) == expected, "selector \(selector)")
            }
            let invalid = try await cluster.get("/api/v1/nodes?labelSelector=kubernetes.io%2Fos%3D%3D%3Dwindows")
            #expect(invalid.status == 400)
            #expect(
                invalid.json["message"]?.stringValue == "unable to parse requirement: found '=', expected: identifier")
        }
    }

    @Test func fieldSelectors() async throws {
        try await TestCluster.with { cluster async throws in
            cluster.simulator.addNode(name: "n1", os: "linux")
            cluster.simulator.addNode(name: "n2", os: "linux")
            for (name, node) in [("a", "n1"), ("b", "n2"), ("c", "n1")] {
                #expect(
                    try await cluster.post("/api/v1/namespaces/default/pods", Objects.pod(name, node: node)).status
                        == 201)
            }
            #expect(names(try await cluster.get("/api/v1/nodes?fieldSelector=metadata.name%3Dn2")) == ["n2"])
            #expect(names(try await cluster.get("/api/v1/pods?fieldSelector=spec.nodeName%3Dn1")) == ["a", "c"])
            #expect(
                names(try await cluster.get("/api/v1/namespaces/default/pods?fieldSelector=spec.nodeName%21%3Dn1")) == [
                    "b"
                ])
            #expect(
                names(try await cluster.get("/api/v1/pods?fieldSelector=spec.nodeName%3Dn1,metadata.name%3Dc")) == ["c"]
            )
            #expect(
                names(try await cluster.get("/api/v1/namespaces/kube-system/pods?fieldSelector=spec.nodeName%3Dn1"))
                    .isEmpty)
            let unsupported = try await cluster.get("/api/v1/nodes?fieldSelector=metadata.labels%3Dx")
            #expect(unsupported.status == 400)
            #expect(unsupported.json["message"]?.stringValue == "field label not supported: metadata.labels")
        }
    }

    @Test func limitAndContinue() async throws {
        try await TestCluster.with { cluster async throws in
            for index in 0..<5 { cluster.simulator.addNode(name: "node-\(index)", os: "linux") }
            var seen: [String] = []
            var token: String?
            var pages = 0
            repeat {
                let path = "/api/v1/nodes?limit=2" + (token.map { "&continue=\($0)" } ?? "")
                let page = try await cluster.get(path)
                #expect(page.status == 200)
                seen += names(page)
                token = page.json["metadata"]["continue"]?.stringValue
                if pages == 0 {
                    #expect(page.json["metadata"]["remainingItemCount"]?.intValue == 3)
                }
                pages += 1
            } while token != nil && pages < 10
            #expect(pages == 3)
            #expect(seen == (0..<5).map { "node-\($0)" })
            let bad = try await cluster.get("/api/v1/nodes?limit=1&continue=garbage")
            #expect(bad.status == 400)
        }
    }
}
