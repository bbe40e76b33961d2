import Foundation
import Testing

@testable import VigilanteCore

@Suite("Token files and exec credential plugins")
struct CredentialSourceTests {
    /// A plugin script that counts its runs in `runs`, records KUBERNETES_EXEC_INFO, and prints a token.
    static func plugin(in directory: KubeTestDirectory, apiVersion: String, body: String) throws -> String {
        try directory.write(
            "plugin.sh",
            """
            #!/bin/sh
            echo run >> "\(directory.path)/runs"
            printf '%s' "$KUBERNETES_EXEC_INFO" > "\(directory.path)/exec-info"
            \(body)
            """,
            executable: true
        )
    }

    static func runs(_ directory: KubeTestDirectory) -> Int {
        (try? String(contentsOfFile: directory.path + "/runs", encoding: .utf8))?.split(separator: "\n").count ?? 0
    }

    @Test func tokenFileIsRereadAfterTheRefreshInterval() async throws {
        let directory = try KubeTestDirectory()
        defer { directory.remove() }
        let path = try directory.write("token", "first\n")
        let source = TokenFileCredentialSource(path: path, refreshInterval: .milliseconds(200))
        #expect(try await source.credentials().bearerToken == "first")
        try directory.write("token", "second")
        // Within the interval the cached token is used; the file is not read on every request.
        #expect(try await source.credentials().bearerToken == "first")
        #expect(try await pollUntil { try await source.credentials().bearerToken == "second" })
    }

    @Test func execPluginTokenIsCachedUntilExpiry() async throws {
        let directory = try KubeTestDirectory()
        defer { directory.remove() }
        let script = try Self.plugin(
            in: directory,
            apiVersion: "client.authentication.k8s.io/v1",
            body: """
                echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"'"$TOKEN_PREFIX"'-'$(wc -l < "\(directory.path)/runs" | tr -d ' ')'","expirationTimestamp":"2099-01-01T00:00:00Z"}}'
                """
        )
        let source = ExecCredentialSource(
            plugin: ExecCredentialPlugin(
                apiVersion: "client.authentication.k8s.io/v1",
                command: script,
                env: [.init(name: "TOKEN_PREFIX", value: "exec")],
                provideClusterInfo: true
            ),
            cluster: .init(server: "https://127.0.0.1:1", certificateAuthorityPEM: nil, insecureSkipTLSVerify: true),
            environment: ["PATH": "/usr/bin:/bin"]
        )
        #expect(try await source.credentials().bearerToken == "exec-1")
        #expect(try await source.credentials().bearerToken == "exec-1")
        #expect(Self.runs(directory) == 1)
        let info = try String(contentsOfFile: directory.path + "/exec-info", encoding: .utf8)
        #expect(info.contains("\"apiVersion\":\"client.authentication.k8s.io/v1\""))
        #expect(info.contains("\"interactive\":false"))
        #expect(info.contains("\"server\":\"https://127.0.0.1:1\""))
        // After a 401 the plugin runs again.
        #expect(await source.invalidate())
        #expect(try await source.credentials().bearerToken == "exec-2")
    }

    @Test func expiredExecCredentialIsRenewed() async throws {
        let directory = try KubeTestDirectory()
        defer { directory.remove() }
        let script = try Self.plugin(
            in: directory,
            apiVersion: "client.authentication.k8s.io/v1beta1",
            body: """
                echo '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"t","expirationTimestamp":"2020-01-01T00:00:00Z"}}'
                """
        )
        let source = ExecCredentialSource(
            plugin: ExecCredentialPlugin(apiVersion: "client.authentication.k8s.io/v1beta1", command: script)
        )
        _ = try await source.credentials()
        _ = try await source.credentials()
        #expect(Self.runs(directory) == 2)
    }

    @Test func relativeCommandIsResolvedAgainstTheKubeconfigFolderAndPATH() async throws {
        let directory = try KubeTestDirectory()
        defer { directory.remove() }
        _ = try Self.plugin(
            in: directory,
            apiVersion: "client.authentication.k8s.io/v1",
            body: """
                echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"rel"}}'
                """
        )
        let relative = ExecCredentialSource(
            plugin: ExecCredentialPlugin(
                apiVersion: "client.authentication.k8s.io/v1",
                command: "./plugin.sh",
                baseDirectory: directory.path
            )
        )
        #expect(try await relative.credentials().bearerToken == "rel")
        let fromPath = ExecCredentialSource(
            plugin: ExecCredentialPlugin(apiVersion: "client.authentication.k8s.io/v1", command: "plugin.sh"),
            environment: ["PATH": "/nonexistent:\(directory.path)"]
        )
        #expect(try await fromPath.credentials().bearerToken == "rel")
    }

    @Test func pluginFailuresAreExplained() async throws {
        let directory = try KubeTestDirectory()
        defer { directory.remove() }
        let failing = try directory.write(
            "fail.sh",
            "#!/bin/sh\necho 'AADSTS700016: application not found' >&2\nexit 3\n",
            executable: true
        )
        let garbage = try directory.write("garbage.sh", "#!/bin/sh\necho hello\n", executable: true)
        let wrongVersion = try directory.write(
            "wrong.sh",
            "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"x\"}}'\n",
            executable: true
        )
        func message(_ command: String, hint: String? = nil) async -> String {
            let source = ExecCredentialSource(
                plugin: ExecCredentialPlugin(
                    apiVersion: "client.authentication.k8s.io/v1",
                    command: command,
                    installHint: hint
                ),
                environment: ["PATH": directory.path]
            )
            do {
                _ = try await source.credentials()
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(
            await message(failing)
                == "exec credential plugin \"\(failing)\": exited with status 3: AADSTS700016: application not found"
        )
        #expect(
            await message(garbage)
                == "exec credential plugin \"\(garbage)\": printed something that is not an ExecCredential JSON"
        )
        #expect(
            await message(wrongVersion)
                == "exec credential plugin \"\(wrongVersion)\": printed apiVersion \"client.authentication.k8s.io/v1beta1\", expected \"client.authentication.k8s.io/v1\""
        )
        #expect(
            await message("kubelogin", hint: "install kubelogin: https://azure.github.io/kubelogin")
                == "exec credential plugin \"kubelogin\": not found in PATH; install kubelogin: https://azure.github.io/kubelogin"
        )
    }
}
