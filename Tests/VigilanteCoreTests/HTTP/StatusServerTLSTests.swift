import AsyncHTTPClient
import Foundation
import Logging
import NIOSSL
import Prometheus
import Testing

@testable import VigilanteCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A folder laid out like a Kubernetes secret volume: the files live in a timestamped folder,
/// `..data` links to it, and each file name links through `..data`. `publish` replaces all files at
/// once the way the kubelet's atomic writer does: a new folder, then a rename over `..data`.
struct SecretVolume {
    let path: String
    private var generation = 0

    init(in folder: StatusServerTestFiles) {
        path = folder.path + "/certs"
    }

    var certFile: String { path + "/tls.crt" }
    var keyFile: String { path + "/tls.key" }
    var caFile: String { path + "/ca.crt" }

    mutating func publish(_ files: [String: String]) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
        generation += 1
        let versionName = "..2024_01_01_00_00_\(String(format: "%02d", generation)).000000001"
        let version = path + "/" + versionName
        try manager.createDirectory(atPath: version, withIntermediateDirectories: false)
        for (name, contents) in files {
            try Data(contents.utf8).write(to: URL(fileURLWithPath: version + "/" + name))
        }
        let previous = try? manager.destinationOfSymbolicLink(atPath: path + "/..data")
        try? manager.removeItem(atPath: path + "/..data_tmp")
        try manager.createSymbolicLink(atPath: path + "/..data_tmp", withDestinationPath: versionName)
        guard rename(path + "/..data_tmp", path + "/..data") == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        for name in files.keys where (try? manager.destinationOfSymbolicLink(atPath: path + "/" + name)) == nil {
            try manager.createSymbolicLink(atPath: path + "/" + name, withDestinationPath: "..data/" + name)
        }
        if let previous {
            try manager.removeItem(atPath: path + "/" + previous)
        }
    }

    func tlsSettings(clientCA: Bool = false) -> Configuration.TLSSettings {
        Configuration.TLSSettings(
            enabled: true, certFile: certFile, keyFile: keyFile, clientCAFile: clientCA ? caFile : nil,
            reloadInterval: .milliseconds(100))
    }
}

@Suite("HTTP status server over TLS")
struct StatusServerTLSTests {
    @Test("HTTPS serves with the configured certificate, TLS 1.2 or newer only")
    func servesHTTPS() async throws {
        let files = try StatusServerTestFiles()
        defer { files.remove() }
        let authority = try TestCertificateAuthority(name: "ca-one")
        let issued = try authority.issueServer()
        var volume = SecretVolume(in: files)
        try volume.publish(["tls.crt": issued.certificatePEM, "tls.key": issued.privateKeyPEM])
        let server = try await RunningStatusServer.start(tls: volume.tlsSettings())

        let response = try await StatusClient.request(server.url("/tasks"), tls: try authority.clientTLS())
        #expect(response.status == 200)

        var oldTLS = try authority.clientTLS()
        oldTLS.maximumTLSVersion = .tlsv11
        await #expect(throws: (any Error).self) {
            _ = try await StatusClient.request(server.url("/healthz"), tls: oldTLS, connectTimeout: .seconds(2))
        }
        let stranger = try TestCertificateAuthority(name: "stranger")
        await #expect(throws: (any Error).self) {
            _ = try await StatusClient.request(
                server.url("/healthz"), tls: try stranger.clientTLS(), connectTimeout: .seconds(2))
        }
        // Plain HTTP on the HTTPS port is not answered with a 5xx.
        let plain = try await RawHTTPConnection.with(port: server.port) { connection in
            try await connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            return try await connection.readUntilClosed()
        }
        #expect(!String(decoding: plain, as: UTF8.self).hasPrefix("HTTP/1.1 5"))
        try await server.stop()
    }

    @Test(
        "Rotation: after the files are swapped, a client trusting only the new CA succeeds; open connections keep working"
    )
    func rotation() async throws {
        let files = try StatusServerTestFiles()
        defer { files.remove() }
        let oldAuthority = try TestCertificateAuthority(name: "ca-old")
        let newAuthority = try TestCertificateAuthority(name: "ca-new")
        let oldCertificate = try oldAuthority.issueServer()
        let newCertificate = try newAuthority.issueServer()
        var volume = SecretVolume(in: files)
        try volume.publish(["tls.crt": oldCertificate.certificatePEM, "tls.key": oldCertificate.privateKeyPEM])
        let registry = PrometheusCollectorRegistry()
        let server = try await RunningStatusServer.start(
            tls: volume.tlsSettings(), registry: registry,
            limits: StatusServerLimits(idleTimeout: .seconds(120), requestTimeout: .seconds(10)))
        let newTLS = try newAuthority.clientTLS()
        let oldTLS = try oldAuthority.clientTLS()

        try await RawHTTPConnection.with(port: server.port, tls: oldTLS) { openConnection in
            try await openConnection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await openConnection.readResponse().status == 200)

            try volume.publish(["tls.crt": newCertificate.certificatePEM, "tls.key": newCertificate.privateKeyPEM])
            let switched = try await eventually {
                try await StatusClient.request(server.url("/healthz"), tls: newTLS, connectTimeout: .seconds(2))
                    .status == 200
            }
            #expect(switched, "a client trusting only the new CA never succeeded")
            await #expect(throws: (any Error).self) {
                _ = try await StatusClient.request(server.url("/healthz"), tls: oldTLS, connectTimeout: .seconds(2))
            }

            // The connection opened before the swap still has the old certificate and still works.
            try await openConnection.send("GET /tasks/snat HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await openConnection.readResponse().status == 200)
        }
        let metrics = try await StatusClient.request(server.url("/metrics"), tls: newTLS)
        #expect(metrics.text.contains(#"vigilante_tls_certificate_reloads_total{result="success"} 1"#))
        #expect(metrics.text.contains(#"vigilante_tls_certificate_reloads_total{result="failure"} 0"#))
        try await server.stop()
    }

    @Test("Broken or mismatched new files keep the old certificate and count a failure")
    func brokenFilesKeepOldCertificate() async throws {
        let files = try StatusServerTestFiles()
        defer { files.remove() }
        let authority = try TestCertificateAuthority(name: "ca-kept")
        let otherAuthority = try TestCertificateAuthority(name: "ca-other")
        let issued = try authority.issueServer()
        let other = try otherAuthority.issueServer()
        let unrelatedKey = try otherAuthority.issueServer().privateKeyPEM
        var volume = SecretVolume(in: files)
        try volume.publish(["tls.crt": issued.certificatePEM, "tls.key": issued.privateKeyPEM])
        let server = try await RunningStatusServer.start(tls: volume.tlsSettings())
        let tls = try authority.clientTLS()

        func failureCount() async throws -> Int? {
            let metrics = try await StatusClient.request(server.url("/metrics"), tls: tls).text
            let prefix = #"vigilante_tls_certificate_reloads_total{result="failure"} "#
            return metrics.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap {
                Int($0.dropFirst(prefix.count))
            }
        }

        try volume.publish(["tls.crt": "-----BEGIN CERTIFICATE-----\nnot base64\n", "tls.key": issued.privateKeyPEM])
        #expect(try await eventually { try await failureCount() == 1 })
        #expect(try await StatusClient.request(server.url("/healthz"), tls: tls).status == 200)

        try volume.publish(["tls.crt": other.certificatePEM, "tls.key": unrelatedKey])
        #expect(try await eventually { try await failureCount() == 2 })
        #expect(try await StatusClient.request(server.url("/healthz"), tls: tls).status == 200)

        // The key file disappears: its link dangles.
        try volume.publish(["tls.crt": issued.certificatePEM])
        #expect(try await eventually { try await failureCount() == 3 })
        #expect(try await StatusClient.request(server.url("/healthz"), tls: tls).status == 200)

        try volume.publish(["tls.crt": other.certificatePEM, "tls.key": other.privateKeyPEM])
        let switched = try await eventually {
            try await StatusClient.request(
                server.url("/healthz"), tls: try otherAuthority.clientTLS(), connectTimeout: .seconds(2)
            ).status == 200
        }
        #expect(switched)
        try await server.stop()
    }

    @Test("mTLS: a client certificate from the client CA is accepted; none or another CA's is rejected")
    func mutualTLS() async throws {
        let files = try StatusServerTestFiles()
        defer { files.remove() }
        let serverAuthority = try TestCertificateAuthority(name: "server-ca")
        let clientAuthority = try TestCertificateAuthority(name: "client-ca")
        let strangerAuthority = try TestCertificateAuthority(name: "stranger-ca")
        let issued = try serverAuthority.issueServer()
        var volume = SecretVolume(in: files)
        try volume.publish([
            "tls.crt": issued.certificatePEM, "tls.key": issued.privateKeyPEM,
            "ca.crt": clientAuthority.certificatePEM,
        ])
        let server = try await RunningStatusServer.start(tls: volume.tlsSettings(clientCA: true))

        let trusted = try serverAuthority.clientTLS(presenting: try clientAuthority.issueClient())
        #expect(try await StatusClient.request(server.url("/tasks"), tls: trusted).status == 200)

        await #expect(throws: (any Error).self) {
            _ = try await StatusClient.request(
                server.url("/tasks"), tls: try serverAuthority.clientTLS(), connectTimeout: .seconds(2))
        }
        let stranger = try serverAuthority.clientTLS(presenting: try strangerAuthority.issueClient())
        await #expect(throws: (any Error).self) {
            _ = try await StatusClient.request(server.url("/tasks"), tls: stranger, connectTimeout: .seconds(2))
        }
        try await server.stop()
    }

    @Test("A TLS connection that never says hello is closed by the idle timeout")
    func silentTLSClient() async throws {
        let files = try StatusServerTestFiles()
        defer { files.remove() }
        let authority = try TestCertificateAuthority(name: "ca-silent")
        let issued = try authority.issueServer()
        var volume = SecretVolume(in: files)
        try volume.publish(["tls.crt": issued.certificatePEM, "tls.key": issued.privateKeyPEM])
        let server = try await RunningStatusServer.start(
            tls: volume.tlsSettings(), limits: StatusServerLimits(idleTimeout: .seconds(1), requestTimeout: .seconds(1))
        )
        let received = try await RawHTTPConnection.with(port: server.port) { connection in
            try await connection.readUntilClosed(timeout: .seconds(60))
        }
        #expect(received.isEmpty)
        try await server.stop()
    }

    @Test("An unusable certificate at startup fails run() with an error naming the file")
    func unusableCertificateAtStartup() async throws {
        let files = try StatusServerTestFiles()
        defer { files.remove() }
        let settings = Configuration.TLSSettings(
            enabled: true, certFile: files.path + "/missing.crt", keyFile: files.path + "/missing.key",
            clientCAFile: nil, reloadInterval: .seconds(10))
        do {
            _ = try await RunningStatusServer.start(tls: settings)
            Issue.record("the server started without a certificate")
        } catch let error as StatusServer.StartError {
            #expect(error.description.contains("missing.crt"))
        }
    }
}

@Suite("Certificate reloader")
struct CertificateReloaderTests {
    private var quietLogger: Logger {
        var logger = Logger(label: "certificate-reloader-test")
        logger.logLevel = .critical
        return logger
    }

    @Test("Reports unchanged, reloaded and failed; a broken version is counted once")
    func checkResults() throws {
        let files = try StatusServerTestFiles()
        defer { files.remove() }
        let authority = try TestCertificateAuthority(name: "ca-unit")
        let first = try authority.issueServer()
        let second = try authority.issueServer()
        let certFile = try files.write("tls.crt", first.certificatePEM)
        let keyFile = try files.write("tls.key", first.privateKeyPEM)
        let registry = PrometheusCollectorRegistry()
        let reloader = try CertificateReloader(
            settings: Configuration.TLSSettings(
                enabled: true, certFile: certFile, keyFile: keyFile, clientCAFile: nil, reloadInterval: .seconds(10)),
            shutdownTimeout: .seconds(1), metrics: StatusServerMetrics(registry: registry),
            logger: quietLogger)
        let initialContext = reloader.currentContext

        #expect(reloader.checkForChanges() == .unchanged)

        // In-place writes of the same size within the same second are still noticed: contents are compared.
        try files.write("tls.crt", second.certificatePEM)
        try files.write("tls.key", second.privateKeyPEM)
        #expect(reloader.checkForChanges() == .reloaded)
        #expect(reloader.currentContext !== initialContext)
        #expect(reloader.checkForChanges() == .unchanged)

        try files.write("tls.key", first.privateKeyPEM)
        guard case .failed(let reason) = reloader.checkForChanges() else {
            Issue.record("a key that does not fit the certificate was accepted")
            return
        }
        #expect(reason.contains("tls.key"))
        #expect(!reason.contains("PRIVATE KEY"))
        #expect(reloader.checkForChanges() == .unchanged)
        let emitted = registry.emitToString()
        #expect(emitted.contains(#"vigilante_tls_certificate_reloads_total{result="failure"} 1"#))
        #expect(emitted.contains(#"vigilante_tls_certificate_reloads_total{result="success"} 1"#))
        #expect(emitted.contains("vigilante_tls_certificate_expiry_timestamp_seconds "))
    }
}
