import Foundation
import Testing

@testable import VigilanteCore

@Suite("Models, time formats and backoff")
struct ModelTests {
    @Test func rfc3339Parsing() throws {
        let base = try #require(KubernetesTime.parse("2026-11-25T11:10:11Z"))
        #expect(base.timeIntervalSince1970 == 1_795_605_011)
        #expect(KubernetesTime.parse("2026-11-25T12:10:11+01:00") == base)
        let micro = try #require(KubernetesTime.parse("2026-11-25T11:10:11.673807Z"))
        #expect(abs(micro.timeIntervalSince(base) - 0.673807) < 1e-6)
        #expect(KubernetesTime.parse("2026-11-25 11:10:11Z") == nil)
        #expect(KubernetesTime.parse("2026-13-25T11:10:11Z") == nil)
        #expect(KubernetesTime.parse("yesterday") == nil)
        #expect(KubernetesTime.format(base, fractionDigits: 0) == "2026-11-25T11:10:11Z")
        #expect(MicroTime(micro).description == "2026-11-25T11:10:11.673807Z")
        #expect(
            KubernetesTime.format(Date(timeIntervalSince1970: 0), fractionDigits: 6) == "1970-01-01T00:00:00.000000Z")
    }

    @Test func podDecodesOnlyUsedFieldsAndIgnoresTheRest() throws {
        let json = """
            {"kind":"Pod","apiVersion":"v1","metadata":{"generateName":"snat-healer-","name":"snat-healer-x7k2p","namespace":"vigilante","uid":"u","resourceVersion":"300","creationTimestamp":"2026-11-25T11:12:00Z","labels":{"app":"cops-vigilante"},"ownerReferences":[{"apiVersion":"v1","kind":"Node","name":"akswin22000000","uid":"n1"}],"managedFields":[{"manager":"x"}]},"spec":{"volumes":[],"containers":[{"name":"pause","image":"pause:3.9","resources":{"requests":{"cpu":"10m","memory":"16Mi"}},"terminationMessagePath":"/dev/termination-log"}],"restartPolicy":"Always","terminationGracePeriodSeconds":0,"dnsPolicy":"ClusterFirst","nodeName":"akswin22000000","automountServiceAccountToken":false,"tolerations":[{"operator":"Exists"}],"priority":0},"status":{"phase":"Pending","qosClass":"Burstable"}}
            """
        let pod = try KubernetesJSON.makeDecoder().decode(Pod.self, from: Data(json.utf8))
        #expect(pod.metadata.ownerReferences?.first?.kind == "Node")
        #expect(pod.spec?.containers.first?.resources?.requests?["memory"] == "16Mi")
        #expect(pod.spec?.tolerations == [.everything])
        #expect(pod.status?.phase == "Pending")
        #expect(pod.spec?.terminationGracePeriodSeconds == 0)
    }

    @Test func statusFromARealDeleteAndEventDecoding() throws {
        let status = try JSONDecoder().decode(
            Status.self,
            from: Data(
                """
                {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"cops-vigilante-leader","group":"coordination.k8s.io","kind":"leases","uid":"958c2a4f"}}
                """.utf8
            )
        )
        #expect(status.status == "Success")
        #expect(status.details?.group == "coordination.k8s.io")
        let event = try KubernetesJSON.makeDecoder().decode(
            Event.self,
            from: Data(
                """
                {"metadata":{"name":"akswin.1","namespace":"default"},"involvedObject":{"kind":"Node","name":"akswin","uid":"n1","apiVersion":"v1"},"reason":"SNATHealed","message":"healed","source":{"component":"cops-vigilante"},"firstTimestamp":"2026-11-25T11:13:00Z","lastTimestamp":"2026-11-25T11:13:00Z","count":1,"type":"Normal","eventTime":null,"reportingComponent":"cops-vigilante","reportingInstance":""}
                """.utf8
            )
        )
        #expect(event.involvedObject.kind == "Node")
        #expect(event.count == 1)
    }

    @Test func backoffGrowsIsCappedAndJittered() {
        let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(1), multiplier: 2, jitter: 0.5)
        #expect(backoff.ceiling(forAttempt: 0) == .milliseconds(100))
        #expect(backoff.ceiling(forAttempt: 1) == .milliseconds(200))
        #expect(backoff.ceiling(forAttempt: 3) == .milliseconds(800))
        #expect(backoff.ceiling(forAttempt: 4) == .seconds(1))
        #expect(backoff.ceiling(forAttempt: 1000) == .seconds(1))
        var generator = SystemRandomNumberGenerator()
        for attempt in 0..<20 {
            let delay = backoff.delay(forAttempt: attempt, using: &generator)
            let ceiling = backoff.ceiling(forAttempt: attempt)
            #expect(delay <= ceiling)
            #expect(delay >= ceiling / 2)
        }
        let noJitter = Backoff(initial: .milliseconds(100), maximum: .seconds(1), jitter: 0)
        #expect(noJitter.delay(forAttempt: 2) == .milliseconds(400))
    }

    @Test func credentialDescriptionsNeverShowSecrets() {
        let credentials = Credentials(
            bearerToken: "super-secret",
            clientIdentity: ClientIdentity(certificatePEM: "CERT", privateKeyPEM: "KEY-SECRET")
        )
        let text = "\(credentials) \(String(reflecting: credentials.clientIdentity!))"
        #expect(!text.contains("super-secret"))
        #expect(!text.contains("KEY-SECRET"))
    }
}
