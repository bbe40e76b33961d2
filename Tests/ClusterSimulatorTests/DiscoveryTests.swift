import ClusterSimulator
import Testing

@Suite("Discovery")
struct DiscoveryTests {
    /// kubectl 1.37 asks every group version /apis lists (it no longer asks for the v2beta1 aggregated
    /// form of a 1.28 server): each must answer, or kubectl prints an error per group.
    @Test func everyGroupVersionListedInApisAnswers() async throws {
        try await TestCluster.with { cluster async throws in
            let apis = try await cluster.get("/apis")
            let groupVersions = (apis.json["groups"]?.arrayValue ?? []).flatMap { group in
                (group["versions"]?.arrayValue ?? []).compactMap { $0["groupVersion"]?.stringValue }
            }
            #expect(groupVersions.count > 20)
            for groupVersion in groupVersions {
                let list = try await cluster.get("/apis/\(groupVersion)")
                #expect(list.status == 200, "\(groupVersion)")
                #expect(list.json["kind"] == "APIResourceList")
                #expect(list.json["groupVersion"]?.stringValue == groupVersion)
                #expect(list.json["resources"]?.arrayValue?.isEmpty == false, "\(groupVersion)")
            }
            #expect(try await cluster.get("/apis/apps/v2").status == 404)
            #expect(try await cluster.get("/apis/nothing.example.com/v1").status == 404)
        }
    }

    /// A list rebuilt from the aggregated document has the legacy shape: subresources as `name/sub`
    /// entries with an empty singular name, the kind's group version only where it differs.
    @Test func aDerivedListHasTheLegacyShape() async throws {
        try await TestCluster.with { cluster async throws in
            let apps = try await cluster.get("/apis/apps/v1")
            let resources = apps.json["resources"]?.arrayValue ?? []
            let deployments = try #require(resources.first { $0["name"] == "deployments" })
            #expect(deployments["singularName"] == "deployment")
            #expect(deployments["namespaced"] == true)
            #expect(deployments["kind"] == "Deployment")
            #expect(deployments["shortNames"] == ["deploy"])
            #expect(deployments["categories"] == ["all"])
            #expect(deployments["group"] == nil)
            let scale = try #require(resources.first { $0["name"] == "deployments/scale" })
            #expect(scale["singularName"] == "")
            #expect(scale["group"] == "autoscaling")
            #expect(scale["version"] == "v1")
            #expect(scale["kind"] == "Scale")
            #expect(scale["verbs"] == ["get", "patch", "update"])
            // Still not served: the objects themselves.
            #expect(try await cluster.get("/apis/apps/v1/deployments").status == 404)
        }
    }
}
