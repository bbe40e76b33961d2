import Foundation
import Logging
import NIOCore
import Testing

@testable import VigilanteCore

@Suite("Kubernetes client over a fake transport")
struct ClientTests {
    static func client(
        _ transport: FakeKubeTransport,
        readOnly: Bool = false,
        maxAttempts: Int = 4,
        credentials: any CredentialSource = StaticCredentialSource(Credentials(bearerToken: "t0k3n")),
        metrics: KubernetesClientMetrics = KubernetesClientMetrics()
    ) -> KubernetesClient {
        KubernetesClient(
            transport: transport,
            credentials: credentials,
            defaultNamespace: "vigilante",
            configuration: KubernetesClientConfiguration(
                maxAttempts: maxAttempts,
                retryBackoff: Backoff(initial: .milliseconds(1), maximum: .milliseconds(5)),
                readOnly: readOnly
            ),
            metrics: metrics
        )
    }

    @Test func getBuildsThePathAndSendsTheToken() async throws {
        let transport = FakeKubeTransport { _, _ in
            .json(200, KubeFixtures.node(name: "akswin000001", resourceVersion: "7"))
        }
        let node = try await Self.client(transport).get(Node.self, name: "akswin000001")
        #expect(node.metadata.uid == "uid-1")
        #expect(node.metadata.labels?["kubernetes.io/os"] == "windows")
        #expect(node.metadata.creationTimestamp == KubernetesTime.parse("2026-11-25T11:11:48Z"))
        let request = try #require(transport.requests.first)
        #expect(request.method == "GET")
        #expect(request.pathAndQuery == "/api/v1/nodes/akswin000001")
        #expect(request.header("Authorization") == "Bearer t0k3n")
        #expect(request.header("Accept") == "application/json")
    }

    @Test func namespacedAndGroupPaths() async throws {
        let transport = FakeKubeTransport { _, _ in .json(200, "{\"metadata\":{\"name\":\"l\"}}") }
        let client = Self.client(transport)
        _ = try await client.get(Lease.self, name: "cops-vigilante-leader")
        _ = try await client.get(Pod.self, name: "p", namespace: "kube-system")
        _ = try await client.list(Pod.self)
        #expect(
            transport.requests.map(\.pathAndQuery) == [
                "/apis/coordination.k8s.io/v1/namespaces/vigilante/leases/cops-vigilante-leader",
                "/api/v1/namespaces/kube-system/pods/p",
                "/api/v1/pods",
            ]
        )
    }

    @Test func selectorsAreEncoded() async throws {
        let transport = FakeKubeTransport { _, _ in .json(200, KubeFixtures.nodeList(resourceVersion: "5", nodes: [])) }
        _ = try await Self.client(transport).list(
            Node.self,
            options: ListOptions(
                labelSelector: "kubernetes.io/os in (windows,linux),!legacy",
                fieldSelector: "metadata.name=a b",
                limit: 2
            )
        )
        #expect(
            transport.requests.first?.pathAndQuery
                == "/api/v1/nodes?labelSelector=kubernetes.io%2Fos%20in%20%28windows%2Clinux%29%2C%21legacy"
                + "&fieldSelector=metadata.name%3Da%20b&limit=2"
        )
    }

    @Test func listAllFollowsContinueTokens() async throws {
        let transport = FakeKubeTransport { request, _ in
            if request.pathAndQuery.contains("continue=page2") {
                return .json(
                    200,
                    KubeFixtures.nodeList(
                        resourceVersion: "9", nodes: [KubeFixtures.node(name: "b", resourceVersion: "3")])
                )
            }
            return .json(
                200,
                KubeFixtures.nodeList(
                    resourceVersion: "9",
                    nodes: [KubeFixtures.node(name: "a", resourceVersion: "2")],
                    continue: "page2"
                )
            )
        }
        let list = try await Self.client(transport).listAll(Node.self, pageSize: 1)
        #expect(list.items.map(\.name) == ["a", "b"])
        #expect(list.metadata.resourceVersion == "9")
        #expect(
            transport.requests.map(\.pathAndQuery) == ["/api/v1/nodes?limit=1", "/api/v1/nodes?limit=1&continue=page2"])
    }

    @Test func listAllRestartsWhenTheContinueTokenExpired() async throws {
        let transport = FakeKubeTransport { request, index in
            if index == 1 { return .json(410, KubeFixtures.expiredContinue) }
            if request.pathAndQuery.contains("continue=") {
                return .json(200, KubeFixtures.nodeList(resourceVersion: "20", nodes: []))
            }
            return .json(
                200,
                KubeFixtures.nodeList(
                    resourceVersion: "10",
                    nodes: [KubeFixtures.node(name: "a", resourceVersion: "2")],
                    continue: "page2"
                )
            )
        }
        let list = try await Self.client(transport).listAll(Node.self, pageSize: 1)
        #expect(list.items.map(\.name) == ["a"])
        #expect(transport.requests.count == 4)
    }

    @Test func statusErrorsAreTyped() async throws {
        let transport = FakeKubeTransport { request, _ in
            switch request.method {
            case "GET": return .json(404, KubeFixtures.nodeNotFound)
            case "POST": return .json(409, KubeFixtures.podAlreadyExists)
            case "PUT": return .json(409, KubeFixtures.leaseConflict)
            case "PATCH": return .json(422, KubeFixtures.invalidLabel)
            default: return .json(410, KubeFixtures.expiredContinue)
            }
        }
        let client = Self.client(transport)
        do {
            _ = try await client.get(Node.self, name: "no-such-node")
            Issue.record("expected notFound")
        } catch KubernetesError.notFound(let status) {
            #expect(status.message == "nodes \"no-such-node\" not found")
            #expect(status.details?.kind == "nodes")
        }
        do {
            _ = try await client.create(Pod(metadata: ObjectMeta(name: "healer"), spec: PodSpec(containers: [])))
            Issue.record("expected alreadyExists")
        } catch KubernetesError.alreadyExists(let status) {
            #expect(status.message == "pods \"healer\" already exists")
        }
        do {
            _ = try await client.update(
                Lease(metadata: ObjectMeta(name: "cops-vigilante-leader", resourceVersion: "1")))
            Issue.record("expected conflict")
        } catch let error as KubernetesError {
            guard case .conflict = error else {
                Issue.record("expected conflict, got \(error)")
                return
            }
            #expect(error.code == 409)
            #expect(error.message.contains("the object has been modified"))
        }
        do {
            _ = try await client.patch(
                Pod.self, name: "x", mergePatch: ["metadata": ["labels": ["a": "-bad"]]] as RawJSON)
            Issue.record("expected invalid")
        } catch KubernetesError.invalid(let status) {
            #expect(status.details?.causes?.first?.field == "metadata.labels")
        }
        await #expect(throws: KubernetesError.self) {
            try await client.delete(Pod.self, name: "x")
        }
        do {
            try await client.delete(Pod.self, name: "x")
        } catch KubernetesError.gone(let status) {
            #expect(status.metadata?.continue == "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6LTF9")
        }
    }

    @Test func plainTextErrorsBecomeStatuses() async throws {
        let transport = FakeKubeTransport { _, _ in .text(404, "404 page not found\n") }
        do {
            _ = try await Self.client(transport).get(Node.self, name: "x")
            Issue.record("expected notFound")
        } catch let error as KubernetesError {
            #expect(error.code == 404)
            #expect(error.message == "404 page not found")
        }
    }

    @Test func tooManyRequestsIsRetriedAfterRetryAfter() async throws {
        let transport = FakeKubeTransport { _, index in
            index == 0
                ? .text(429, "Too many requests, please try again later.\n", headers: [("Retry-After", "1")])
                : .json(200, KubeFixtures.node(name: "a", resourceVersion: "1"))
        }
        let started = ContinuousClock.now
        // A create is not idempotent, but a 429 means the server did not process it.
        _ = try await Self.client(transport).create(Node(metadata: ObjectMeta(name: "a")))
        #expect(ContinuousClock.now - started >= .milliseconds(900))
        #expect(transport.requests.count == 2)
    }

    @Test func tooManyRequestsGivesUpAfterMaxAttempts() async throws {
        let transport = FakeKubeTransport { _, _ in .text(429, "slow down", headers: [("Retry-After", "0")]) }
        do {
            _ = try await Self.client(transport, maxAttempts: 3).get(Node.self, name: "a")
            Issue.record("expected tooManyRequests")
        } catch KubernetesError.tooManyRequests(let retryAfter, let status) {
            #expect(retryAfter == .zero)
            #expect(status.message == "slow down")
        }
        #expect(transport.requests.count == 3)
    }

    @Test func serverErrorsAreRetriedOnlyForIdempotentVerbs() async throws {
        let transport = FakeKubeTransport { _, _ in .text(503, "unavailable") }
        let client = Self.client(transport, maxAttempts: 3)
        await #expect(throws: KubernetesError.self) { _ = try await client.get(Node.self, name: "a") }
        #expect(transport.requests.count == 3)
        await #expect(throws: KubernetesError.self) {
            _ = try await client.create(Node(metadata: ObjectMeta(name: "a")))
        }
        #expect(transport.requests.count == 4)
        await #expect(throws: KubernetesError.self) { try await client.delete(Node.self, name: "a") }
        #expect(transport.requests.count == 7)
    }

    @Test func transportErrorsAreRetriedForReads() async throws {
        struct Reset: Error {}
        let transport = FakeKubeTransport { _, index in
            if index < 2 { throw Reset() }
            return .json(200, KubeFixtures.node(name: "a", resourceVersion: "1"))
        }
        _ = try await Self.client(transport).get(Node.self, name: "a")
        #expect(transport.requests.count == 3)
        let failing = FakeKubeTransport { _, _ in throw Reset() }
        do {
            _ = try await Self.client(failing).create(Node(metadata: ObjectMeta(name: "a")))
            Issue.record("expected transport error")
        } catch KubernetesError.transport {
            #expect(failing.requests.count == 1)
        }
    }

    @Test func readOnlyClientRefusesMutationsWithoutSendingThem() async throws {
        let transport = FakeKubeTransport { _, _ in .json(200, KubeFixtures.node(name: "a", resourceVersion: "1")) }
        let client = Self.client(transport, readOnly: true)
        let node = Node(metadata: ObjectMeta(name: "a"))
        await #expect(throws: KubernetesError.self) { _ = try await client.create(node) }
        await #expect(throws: KubernetesError.self) { _ = try await client.update(node) }
        await #expect(throws: KubernetesError.self) {
            _ = try await client.patch(
                Node.self, name: "a", mergePatch: ["metadata": ["annotations": ["k": "v"]]] as RawJSON)
        }
        do {
            try await client.delete(Pod.self, name: "healer")
            Issue.record("expected dryRun")
        } catch KubernetesError.dryRun(let message) {
            #expect(message == "delete pods vigilante/healer was not sent: the client is read-only (dry run)")
        }
        #expect(transport.requests.isEmpty)
        _ = try await client.get(Node.self, name: "a")
        #expect(transport.requests.count == 1)
    }

    @Test func mergePatchAndDeleteOptionsOnTheWire() async throws {
        let transport = FakeKubeTransport { _, _ in .json(200, KubeFixtures.node(name: "a", resourceVersion: "2")) }
        let client = Self.client(transport)
        _ = try await client.patch(
            Node.self,
            name: "a",
            mergePatch: ["metadata": ["annotations": ["cops-vigilante-snat-node-healed": "true", "old": nil]]]
                as RawJSON
        )
        try await client.delete(
            Pod.self,
            name: "healer",
            options: DeleteOptions(gracePeriodSeconds: 0, propagationPolicy: .background)
        )
        try await client.delete(Pod.self, name: "healer", options: DeleteOptions(preconditionUID: "u1"))
        let requests = transport.requests
        #expect(requests[0].method == "PATCH")
        #expect(requests[0].header("Content-Type") == "application/merge-patch+json")
        #expect(
            String(decoding: requests[0].body ?? [], as: UTF8.self)
                == "{\"metadata\":{\"annotations\":{\"cops-vigilante-snat-node-healed\":\"true\",\"old\":null}}}"
        )
        #expect(
            requests[1].pathAndQuery
                == "/api/v1/namespaces/vigilante/pods/healer?gracePeriodSeconds=0&propagationPolicy=Background"
        )
        #expect(requests[1].body == nil)
        #expect(
            String(decoding: requests[2].body ?? [], as: UTF8.self)
                == "{\"apiVersion\":\"v1\",\"kind\":\"DeleteOptions\",\"preconditions\":{\"uid\":\"u1\"}}"
        )
    }

    @Test func createSendsKindAndGenerateName() async throws {
        let transport = FakeKubeTransport { request, _ in
            .json(201, String(decoding: request.body ?? [], as: UTF8.self))
        }
        let pod = Pod(
            metadata: ObjectMeta(generateName: "snat-healer-", labels: ["app": "cops-vigilante"]),
            spec: PodSpec(
                nodeName: "akswin000001",
                tolerations: [.everything],
                containers: [Container(name: "pause", image: "mcr.microsoft.com/oss/kubernetes/pause:3.9")],
                terminationGracePeriodSeconds: 0,
                automountServiceAccountToken: false
            )
        )
        let created = try await Self.client(transport).create(pod)
        #expect(created.spec?.nodeName == "akswin000001")
        let request = try #require(transport.requests.first)
        #expect(request.pathAndQuery == "/api/v1/namespaces/vigilante/pods")
        let body = String(decoding: request.body ?? [], as: UTF8.self)
        #expect(
            body.hasPrefix("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"generateName\":\"snat-healer-\""))
        #expect(body.contains("\"tolerations\":[{\"operator\":\"Exists\"}]"))
    }

    @Test func leaseMicroTimeHasSixDigits() async throws {
        let transport = FakeKubeTransport { request, _ in
            .json(200, String(decoding: request.body ?? [], as: UTF8.self))
        }
        let now = try #require(KubernetesTime.parse("2026-11-25T11:12:45.673807Z"))
        let lease = Lease(
            metadata: ObjectMeta(name: "leader", namespace: "vigilante", resourceVersion: "292"),
            spec: LeaseSpec(
                holderIdentity: "me", leaseDurationSeconds: 15, renewTime: MicroTime(now), leaseTransitions: 0)
        )
        let updated = try await Self.client(transport).update(lease)
        let body = String(decoding: transport.requests.first?.body ?? [], as: UTF8.self)
        #expect(body.contains("\"renewTime\":\"2026-11-25T11:12:45.673807Z\""))
        #expect(body.contains("\"resourceVersion\":\"292\""))
        #expect(transport.requests.first?.method == "PUT")
        #expect(updated.spec?.renewTime == MicroTime(now))
    }

    @Test func unauthorizedRefreshesCredentialsOnce() async throws {
        let directory = try KubeTestDirectory()
        defer { directory.remove() }
        let tokenPath = try directory.write("token", "old")
        let source = TokenFileCredentialSource(path: tokenPath, refreshInterval: .seconds(3600))
        let transport = FakeKubeTransport { request, _ in
            request.header("Authorization") == "Bearer new"
                ? .json(200, KubeFixtures.node(name: "a", resourceVersion: "1"))
                : .json(401, KubeFixtures.unauthorized)
        }
        let client = Self.client(transport, credentials: source)
        _ = try await source.credentials()
        try directory.write("token", "new")
        _ = try await client.get(Node.self, name: "a")
        #expect(transport.requests.map { $0.header("Authorization") } == ["Bearer old", "Bearer new"])

        try directory.write("token", "wrong")
        _ = await source.invalidate()
        do {
            _ = try await client.get(Node.self, name: "a")
            Issue.record("expected unauthorized")
        } catch KubernetesError.unauthorized(let status) {
            #expect(status.message == "Unauthorized")
        }
        #expect(transport.requests.count == 4)
    }

    @Test func requestMetricsAreRecorded() async throws {
        let factory = KubeRecordingMetrics()
        let transport = FakeKubeTransport { _, index in
            index == 0 ? .text(503, "busy") : .json(200, KubeFixtures.node(name: "a", resourceVersion: "1"))
        }
        let client = Self.client(transport, metrics: KubernetesClientMetrics(factory: factory))
        _ = try await client.get(Node.self, name: "a")
        let label = "vigilante_kube_requests_total"
        #expect(factory.counter(label, [("verb", "get"), ("resource", "nodes"), ("code", "503")]) == 1)
        #expect(factory.counter(label, [("verb", "get"), ("resource", "nodes"), ("code", "200")]) == 1)
        #expect(
            factory.timerCount("vigilante_kube_request_duration_seconds", [("verb", "get"), ("resource", "nodes")]) == 2
        )
    }

    @Test func watchThroughTheClient() async throws {
        let transport = FakeKubeTransport { _, _ in
            .json(200, "{\"type\":\"ADDED\",\"object\":\(KubeFixtures.node(name: "a", resourceVersion: "5"))}\n")
        }
        let stream = try await Self.client(transport).watch(
            Node.self,
            options: WatchOptions(labelSelector: "kubernetes.io/os=windows", resourceVersion: "4", timeoutSeconds: 60)
        )
        var names: [String] = []
        for try await event in stream {
            if case .added(let node) = event { names.append(node.name) }
        }
        #expect(names == ["a"])
        #expect(
            transport.requests.first?.pathAndQuery
                == "/api/v1/nodes?watch=1&labelSelector=kubernetes.io%2Fos%3Dwindows&resourceVersion=4"
                + "&allowWatchBookmarks=true&timeoutSeconds=60"
        )
    }
}
