import Crypto
import Foundation
import SwiftASN1
import X509

/// The simulated cluster's CA: generated at start (P-256), signs the serving certificate and
/// client certificates, and verifies client certificates (CN = user, O = groups).
struct CertificateAuthority: Sendable {
    let certificate: Certificate
    private let key: P256.Signing.PrivateKey
    let certificatePEM: String

    init(commonName: String = "cluster-simulator-ca") throws {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName(commonName) }
        let now = Date()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(10 * 365 * 86400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
            },
            issuerPrivateKey: .init(key))
        self.certificate = certificate
        self.key = key
        self.certificatePEM = try certificate.serializeAsPEM().pemString
    }

    /// Issues a leaf certificate; returns PEM certificate and PKCS#8 PEM key.
    func issue(
        commonName: String, organizations: [String] = [], dnsNames: [String] = [], ipAddresses: [[UInt8]] = [],
        server: Bool
    ) throws -> (certificatePEM: String, privateKeyPEM: String) {
        let leafKey = P256.Signing.PrivateKey()
        var attributes: [RelativeDistinguishedName] = []
        for organization in organizations {
            attributes.append(
                RelativeDistinguishedName(
                    .init(type: .RDNAttributeType.organizationName, utf8String: organization)))
        }
        attributes.append(
            RelativeDistinguishedName(.init(type: .RDNAttributeType.commonName, utf8String: commonName)))
        let subject = DistinguishedName(attributes)
        let now = Date()
        let publicKey = Certificate.PublicKey(leafKey.publicKey)
        let names =
            dnsNames.map { GeneralName.dnsName($0) }
            + ipAddresses.map { GeneralName.ipAddress(ASN1OctetString(contentBytes: $0[...])) }
        let authorityKeyID = try certificate.extensions.subjectKeyIdentifier?.keyIdentifier
        let leaf = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(365 * 86400),
            issuer: certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([server ? .serverAuth : .clientAuth])
                SubjectKeyIdentifier(hash: publicKey)
                AuthorityKeyIdentifier(keyIdentifier: authorityKeyID)
                if !names.isEmpty {
                    SubjectAlternativeNames(names)
                }
            },
            issuerPrivateKey: .init(key))
        return (try leaf.serializeAsPEM().pemString, leafKey.pemRepresentation)
    }

    /// User and groups of a client certificate's subject (CN and O, as kube-apiserver reads them).
    static func identity(fromDER bytes: [UInt8]) -> UserInfo? {
        guard let certificate = try? Certificate(derEncoded: bytes) else { return nil }
        var user: String?
        var groups: [String] = []
        for rdn in certificate.subject {
            for attribute in rdn {
                let text = String(describing: attribute.value)
                if attribute.type == .RDNAttributeType.commonName { user = text }
                if attribute.type == .RDNAttributeType.organizationName { groups.append(text) }
            }
        }
        guard let user else { return nil }
        return UserInfo(name: user, groups: groups + ["system:authenticated"])
    }
}
