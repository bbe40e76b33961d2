import ClusterSimulator
import Foundation
import Testing

@testable import VigilanteCore

@Suite("Kubernetes client against the ClusterSimulator over HTTPS", .serialized)
struct SimulatorClientTests {
    // MARK: - Authentication modes

    @Test func bearerTokenFromKubeconfig() async throws {
        try await SimulatorHarness.withHarness { harness in
            harness.simulator.addNode(name: "akswin000000", os: "windows")
            let client = try harness.adminClient()
            try await using(client) { client in
                let node = try await client.get(Node.self, name: "akswin000000")
                #expect(node.isReady)
                #expect(node.metadata.labels?["kubernetes.io/os"] == "windows")
                #expect(client.defaultNamespace == "default")
            }
            #expect(harness.users(of: "nodes") == ["admin"])
        }
    }

    @Test func wrongTokenIsUnauthorized() async throws {
        try await SimulatorHarness.withHarness { harness in
            let client = try harness.client(kubeconfig: harness.writeKubeconfig(user: "    token: not-a-token"))
            try await using(client) { client in
                do {
                    _ = try await client.list(Node.self)
                    Issue.record("expected unauthorized")
                } catch KubernetesError.unauthorized(let status) {
                    #expect(status.message == "Unauthorized")
                }
            }
        }
    }

    @Test func tokenFileRotatedMidRun() async throws {
        try await SimulatorHarness.withHarness { harness in
            let simulator = harness.simulator
            simulator.addNode(name: "n1", os: "linux")
            simulator.addToken("token-a", user: "robot-a")
            simulator.addToken("token-b", user: "robot-b")
            for user in ["robot-a", "robot-b"] {
                simulator.allow(user: user, verbs: ["get", "list"], group: "", resources: ["nodes"], namespace: nil)
            }
            try harness.directory.write("token", "token-a\n")
            let client = try harness.client(
                kubeconfig: harness.writeKubeconfig(user: "    tokenFile: token"),
                tokenRefreshInterval: .milliseconds(200)
            )
            try await using(client) { client in
                _ = try await client.get(Node.self, name: "n1")
                #expect(harness.users(of: "nodes") == ["robot-a"])
                // The kubelet rotates the projected token: the next requests use the new one.
                try harness.directory.write("token", "token-b\n")
                #expect(
                    try await pollUntil {
                        _ = try await client.get(Node.self, name: "n1")
                        return harness.users(of: "nodes").last == "robot-b"
                    }
                )
            }
        }
    }

    @Test func clientCertificateWithRelativePaths() async throws {
        try await SimulatorHarness.withHarness { harness in
            harness.simulator.addNode(name: "n1", os: "linux")
            let identity = try harness.simulator.issueClientCertificate(user: "cert-user", groups: ["system:masters"])
            try harness.directory.write("certs/client.crt", identity.certificatePEM)
            try harness.directory.write("certs/client.key", identity.privateKeyPEM)
            let client = try harness.client(
                kubeconfig: harness.writeKubeconfig(
                    user: "    client-certificate: certs/client.crt\n    client-key: certs/client.key"
                )
            )
            try await using(client) { client in
                let nodes = try await client.list(Node.self)
                #expect(nodes.items.map(\.name) == ["n1"])
            }
            #expect(harness.users(of: "nodes") == ["cert-user"])
        }
    }

    @Test func execPluginRerunsAfterUnauthorized() async throws {
        try await SimulatorHarness.withHarness { harness in
            harness.simulator.addNode(name: "n1", os: "windows")
            harness.simulator.addToken("exec-good", user: "exec-user", groups: ["system:masters"])
            let runs = harness.directory.path + "/runs"
            // The first run prints a token the server rejects; later runs print a valid one.
            try harness.directory.write(
                "get-token.sh",
                """
                #!/bin/sh
                echo run >> "\(runs)"
                if [ "$(wc -l < "\(runs)" | tr -d ' ')" = "1" ]; then token=exec-stale; else token=exec-good; fi
                printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"2099-01-01T00:00:00Z"}}\\n' "$token"
                """,
                executable: true
            )
            let client = try harness.client(
                kubeconfig: harness.writeKubeconfig(
                    user: """
                            exec:
                              apiVersion: client.authentication.k8s.io/v1
                              command: ./get-token.sh
                              interactiveMode: Never
                        """
                )
            )
            try await using(client) { client in
                _ = try await client.get(Node.self, name: "n1")
                _ = try await client.list(Node.self)
                _ = try await client.get(Node.self, name: "n1")
            }
            let runCount = try String(contentsOfFile: runs, encoding: .utf8).split(separator: "\n").count
            #expect(runCount == 2)
            // The rejected first token never reaches authorization, so the access log holds the three successes.
            #expect(harness.simulator.accessLog().filter { $0.resource == "nodes" }.map(\.code) == [200, 200, 200])
            #expect(harness.users(of: "nodes") == ["exec-user", "exec-user", "exec-user"])
        }
    }

    @Test func inClusterServiceAccountLayout() async throws {
        try await SimulatorHarness.withHarness { harness in
            let simulator = harness.simulator
            simulator.addNode(name: "n1", os: "windows")
            simulator.addToken("sa-token-1", user: "system:serviceaccount:vigilante:cops-vigilante")
            simulator.addToken("sa-token-2", user: "system:serviceaccount:vigilante:cops-vigilante-rotated")
            simulator.allow(user: "*", verbs: ["list"], group: "", resources: ["nodes"], namespace: nil)
            let serviceAccount = harness.directory.path + "/serviceaccount"
            try harness.directory.write("serviceaccount/token", "sa-token-1")
            try harness.directory.write("serviceaccount/ca.crt", simulator.caCertificatePEM)
            try harness.directory.write("serviceaccount/namespace", "vigilante\n")
            let connection = try ConnectionResolver(
                environment: [
                    "KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "\(simulator.port)",
                ],
                serviceAccountDirectory: serviceAccount,
                tokenRefreshInterval: .milliseconds(100)
            ).resolve()
            #expect(connection.namespace == "vigilante")
            let client = try KubernetesClient(
                connection: connection, configuration: SimulatorHarness.clientConfiguration)
            try await using(client) { client in
                #expect(try await client.list(Node.self).items.count == 1)
                try harness.directory.write("serviceaccount/token", "sa-token-2")
                #expect(
                    try await pollUntil {
                        _ = try await client.list(Node.self)
                        return harness.users(of: "nodes").last
                            == "system:serviceaccount:vigilante:cops-vigilante-rotated"
                    }
                )
            }
        }
    }

    @Test func anonymousRequestIsForbidden() async throws {
        try await SimulatorHarness.withHarness { harness in
            let client = try harness.client(kubeconfig: harness.writeKubeconfig(user: "    {}"))
            try await using(client) { client in
                do {
                    _ = try await client.list(Node.self)
                    Issue.record("expected forbidden")
                } catch KubernetesError.forbidden(let status) {
                    #expect(status.message?.contains("system:anonymous") == true)
                }
            }
        }
    }

    // MARK: - Operations and errors

    @Test func crudConflictsAndUnknownFieldsArePreserved() async throws {
        try await SimulatorHarness.withHarness { harness in
            harness.simulator.addNode(name: "akswin000001", os: "windows")
            let client = try harness.adminClient()
            try await using(client) { client in
                _ = try await client.create(Namespace(metadata: ObjectMeta(name: "vigilante")))

                // Merge patch touches only the annotation; fields the model does not know survive.
                let before = try await client.getJSON(Node.self, name: "akswin000001")
                let patched = try await client.patch(
                    Node.self,
                    name: "akswin000001",
                    mergePatch: ["metadata": ["annotations": ["cops-vigilante-snat-node-healed": "true"]]] as RawJSON
                )
                #expect(patched.metadata.annotations?["cops-vigilante-snat-node-healed"] == "true")
                let after = try await client.getJSON(Node.self, name: "akswin000001")
                #expect(after["status"]?["nodeInfo"] == before["status"]?["nodeInfo"])
                #expect(after["status"]?["nodeInfo"] != nil)
                #expect(after["metadata"]?["labels"] == before["metadata"]?["labels"])

                // generateName, list by selector, delete with grace 0, then 404.
                let node = try await client.get(Node.self, name: "akswin000001")
                let healer = try await client.create(
                    Pod(
                        metadata: ObjectMeta(
                            generateName: "snat-healer-",
                            labels: ["app": "cops-vigilante-snat"],
                            ownerReferences: [OwnerReference(to: node)]
                        ),
                        spec: PodSpec(
                            nodeName: "akswin000001",
                            tolerations: [.everything],
                            containers: [Container(name: "pause", image: "mcr.microsoft.com/oss/kubernetes/pause:3.9")],
                            terminationGracePeriodSeconds: 0,
                            automountServiceAccountToken: false
                        )
                    ),
                    namespace: "vigilante"
                )
                #expect(healer.name.hasPrefix("snat-healer-"))
                #expect(healer.name.count > "snat-healer-".count)
                #expect(healer.metadata.ownerReferences?.first?.uid == node.metadata.uid)
                let listed = try await client.list(
                    Pod.self,
                    namespace: "vigilante",
                    options: ListOptions(labelSelector: "app=cops-vigilante-snat")
                )
                #expect(listed.items.map(\.name) == [healer.name])
                let byField = try await client.list(
                    Pod.self,
                    options: ListOptions(fieldSelector: "spec.nodeName=akswin000001")
                )
                #expect(byField.items.map(\.name) == [healer.name])
                try await client.delete(
                    Pod.self,
                    name: healer.name,
                    namespace: "vigilante",
                    options: DeleteOptions(gracePeriodSeconds: 0)
                )
                do {
                    _ = try await client.get(Pod.self, name: healer.name, namespace: "vigilante")
                    Issue.record("expected notFound")
                } catch KubernetesError.notFound(let status) {
                    #expect(status.message == "pods \"\(healer.name)\" not found")
                }

                // AlreadyExists for a fixed name.
                let fixed = Pod(
                    metadata: ObjectMeta(name: "fixed"),
                    spec: PodSpec(containers: [Container(name: "pause", image: "pause")])
                )
                _ = try await client.create(fixed, namespace: "vigilante")
                do {
                    _ = try await client.create(fixed, namespace: "vigilante")
                    Issue.record("expected alreadyExists")
                } catch KubernetesError.alreadyExists(let status) {
                    #expect(status.message == "pods \"fixed\" already exists")
                }

                // Lease optimistic concurrency: a stale resourceVersion is a conflict.
                let now = MicroTime(Date())
                let lease = try await client.create(
                    Lease(
                        metadata: ObjectMeta(name: "cops-vigilante-leader"),
                        spec: LeaseSpec(
                            holderIdentity: "a",
                            leaseDurationSeconds: 15,
                            acquireTime: now,
                            renewTime: now,
                            leaseTransitions: 0
                        )
                    ),
                    namespace: "vigilante"
                )
                var renewed = lease
                renewed.spec?.renewTime = MicroTime(Date())
                let updated = try await client.update(renewed)
                #expect(updated.metadata.resourceVersion != lease.metadata.resourceVersion)
                #expect(updated.spec?.holderIdentity == "a")
                do {
                    _ = try await client.update(renewed)
                    Issue.record("expected conflict")
                } catch KubernetesError.conflict(let status) {
                    #expect(status.reason == "Conflict")
                }
                try await client.delete(Lease.self, name: "cops-vigilante-leader", namespace: "vigilante")
                await #expect(throws: KubernetesError.self) {
                    _ = try await client.get(Lease.self, name: "cops-vigilante-leader", namespace: "vigilante")
                }
                do {
                    _ = try await client.get(Node.self, name: "no-such-node")
                } catch KubernetesError.notFound(let status) {
                    #expect(status.message == "nodes \"no-such-node\" not found")
                }
            }
        }
    }

    @Test func pagingFollowsContinueTokens() async throws {
        try await SimulatorHarness.withHarness { harness in
            for index in 0..<7 {
                harness.simulator.addNode(name: "node-\(index)", os: index % 2 == 0 ? "windows" : "linux")
            }
            let client = try harness.adminClient()
            try await using(client) { client in
                let first = try await client.list(Node.self, options: ListOptions(limit: 3))
                #expect(first.items.count == 3)
                #expect(first.metadata.continue?.isEmpty == false)
                let all = try await client.listAll(Node.self, pageSize: 2)
                #expect(Set(all.items.map(\.name)) == Set((0..<7).map { "node-\($0)" }))
                let windows = try await client.listAll(
                    Node.self, labelSelector: "kubernetes.io/os=windows", pageSize: 2)
                #expect(windows.items.count == 4)
                #expect(all.metadata.resourceVersion != nil)
            }
            #expect(harness.simulator.accessLog().filter { $0.verb == "list" }.count >= 1 + 4 + 2)
        }
    }

    @Test func readOnlyClientTouchesNothing() async throws {
        try await SimulatorHarness.withHarness { harness in
            harness.simulator.addNode(name: "n1", os: "windows")
            var configuration = SimulatorHarness.clientConfiguration
            configuration.readOnly = true
            let client = try harness.adminClient(configuration: configuration)
            try await using(client) { client in
                _ = try await client.get(Node.self, name: "n1")
                do {
                    _ = try await client.patch(
                        Node.self,
                        name: "n1",
                        mergePatch: ["metadata": ["annotations": ["x": "y"]]] as RawJSON
                    )
                    Issue.record("expected dryRun")
                } catch KubernetesError.dryRun(let message) {
                    #expect(message.contains("patch nodes n1 was not sent"))
                }
            }
            #expect(harness.simulator.accessLog().map(\.verb) == ["get"])
        }
    }

    @Test func tooManyRequestsAndServerErrors() async throws {
        try await SimulatorHarness.withHarness { harness in
            harness.simulator.addNode(name: "n1", os: "windows")
            let metrics = KubeRecordingMetrics()
            let client = try harness.adminClient(metrics: KubernetesClientMetrics(factory: metrics))
            try await using(client) { client in
                // Every request throttled: the client honours Retry-After, then gives up with a typed error.
                harness.simulator.setFailureInjection(fraction: 1, statuses: [429], retryAfterSeconds: 1)
                let started = ContinuousClock.now
                do {
                    _ = try await client.get(Node.self, name: "n1")
                    Issue.record("expected tooManyRequests")
                } catch KubernetesError.tooManyRequests(let retryAfter, _) {
                    #expect(retryAfter == .seconds(1))
                }
                #expect(ContinuousClock.now - started >= .seconds(3))

                // A create is not repeated after a 500 (the server may have done it).
                harness.simulator.setFailureInjection(fraction: 1, statuses: [500])
                do {
                    _ = try await client.create(Namespace(metadata: ObjectMeta(name: "x")))
                    Issue.record("expected a server error")
                } catch KubernetesError.server(let code, _) {
                    #expect(code == 500)
                }

                harness.simulator.setFailureInjection(fraction: 0, statuses: [])
            }
            let label = "vigilante_kube_requests_total"
            #expect(metrics.counter(label, [("verb", "get"), ("resource", "nodes"), ("code", "429")]) == 4)
            #expect(metrics.counter(label, [("verb", "create"), ("resource", "namespaces"), ("code", "500")]) == 1)

            // Half of the requests fail with 500/503: reads still succeed thanks to retries.
            var patient = SimulatorHarness.clientConfiguration
            patient.maxAttempts = 8
            let retrying = try harness.adminClient(
                configuration: patient, metrics: KubernetesClientMetrics(factory: metrics))
            try await using(retrying) { client in
                harness.simulator.setFailureInjection(fraction: 0.5, statuses: [500, 503], retryAfterSeconds: 0)
                var succeeded = 0
                for _ in 0..<10 {
                    if (try? await client.get(Node.self, name: "n1")) != nil { succeeded += 1 }
                }
                harness.simulator.setFailureInjection(fraction: 0, statuses: [])
                #expect(succeeded >= 9)
            }
            #expect(metrics.counter(label, [("verb", "get"), ("resource", "nodes"), ("code", "200")]) >= 9)
        }
    }
    @Test func watchStreamsEventsAndReportsExpiredResourceVersions() async throws {
        try await SimulatorHarness.withHarness { harness in
            harness.simulator.addNode(name: "w1", os: "windows")
            let client = try harness.adminClient()
            try await using(client) { client in
                let list = try await client.list(Node.self)
                let start = try #require(list.metadata.resourceVersion)
                let stream = try await client.watch(
                    Node.self,
                    options: WatchOptions(
                        labelSelector: "kubernetes.io/os=windows",
                        resourceVersion: start,
                        timeoutSeconds: 300
                    )
                )
                var iterator = stream.makeAsyncIterator()
                // The event arrives while the stream (timeout 300 s) is still open: nothing is buffered whole.
                harness.simulator.addNode(name: "w2", os: "windows")
                harness.simulator.addNode(name: "l1", os: "linux")
                harness.simulator.setNodeAnnotation("w2", key: "k", value: "v")
                harness.simulator.deleteNode("w2")
                var seen: [String] = []
                while seen.count < 3, let event = try await iterator.next() {
                    switch event {
                    case .added(let node): seen.append("ADDED \(node.name)")
                    case .modified(let node): seen.append("MODIFIED \(node.name)")
                    case .deleted(let node): seen.append("DELETED \(node.name)")
                    case .bookmark, .error: break
                    }
                }
                #expect(seen == ["ADDED w2", "MODIFIED w2", "DELETED w2"])

                // After compaction, a watch from the old resourceVersion ends with a 410 ERROR event.
                harness.simulator.compactHistory()
                harness.simulator.addNode(name: "w3", os: "windows")
                let stale = try await client.watch(
                    Node.self,
                    options: WatchOptions(resourceVersion: start, timeoutSeconds: 30)
                )
                var expired: Status?
                for try await event in stale {
                    if case .error(let status) = event { expired = status }
                }
                #expect(expired?.code == 410)
                #expect(expired?.reason == "Expired")
            }
        }
    }
}
