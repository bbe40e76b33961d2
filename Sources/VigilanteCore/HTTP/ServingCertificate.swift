import Foundation
import NIOCore
import NIOSSL

/// The serving certificate, key and optional client CA bundle as read from their files, and the TLS
/// context built from them (TLS 1.2 or newer; client certificates required when a CA is set).
struct ServingCertificate: Sendable {
    /// The file contents a certificate was built from; compared to notice any change of the files.
    struct FileContents: Equatable, Sendable {
        var certificate: Data
        var key: Data
        var clientCA: Data?
    }

    /// Why the files cannot be served. The description names the file and never includes key material.
    struct LoadError: Error, CustomStringConvertible, Equatable {
        /// The human-readable reason, naming the file concerned.
        var description: String
    }

    /// The files it was built from.
    let contents: FileContents
    /// The context every new TLS connection is created from (NIOSSLContext is thread-safe).
    let context: NIOSSLContext
    /// The leaf certificate's notAfter, as a Unix timestamp.
    let expiresAt: Double

    /// Reads the three files, failing with a message naming the file that cannot be read.
    static func read(certFile: String, keyFile: String, clientCAFile: String?) throws(LoadError) -> FileContents {
        FileContents(
            certificate: try readFile(certFile, role: "certificate"),
            key: try readFile(keyFile, role: "private key"),
            clientCA: try clientCAFile.map { path throws(LoadError) in try readFile(path, role: "client CA bundle") }
        )
    }

    /// Builds the TLS context, checking that every file parses and that the key fits the certificate.
    init(
        contents: FileContents, certFile: String, keyFile: String, clientCAFile: String?, shutdownTimeout: TimeAmount
    ) throws(LoadError) {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(Array(contents.certificate))
        } catch {
            throw LoadError(description: "\(certFile): not a PEM certificate chain (\(error))")
        }
        guard let leaf = chain.first else {
            throw LoadError(description: "\(certFile): contains no PEM certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: Array(contents.key), format: .pem)
        } catch {
            throw LoadError(description: "\(keyFile): not an unencrypted PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["http/1.1"]
        configuration.shutdownTimeout = shutdownTimeout
        if let caPEM = contents.clientCA, let clientCAFile {
            let authorities: [NIOSSLCertificate]
            do {
                authorities = try NIOSSLCertificate.fromPEMBytes(Array(caPEM))
            } catch {
                throw LoadError(description: "\(clientCAFile): not a PEM CA bundle (\(error))")
            }
            guard !authorities.isEmpty else {
                throw LoadError(description: "\(clientCAFile): contains no PEM certificate")
            }
            configuration.trustRoots = .certificates(authorities)
            configuration.certificateVerification = .noHostnameVerification
            configuration.sendCANameList = true
        }
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw LoadError(
                description: "\(keyFile) does not fit the certificate in \(certFile), or they cannot be used (\(error))"
            )
        }
        self.contents = contents
        self.expiresAt = Double(leaf.notValidAfter)
    }

    private static func readFile(_ path: String, role: String) throws(LoadError) -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw LoadError(description: "\(path): cannot read the \(role) (\(error.localizedDescription))")
        }
    }
}
