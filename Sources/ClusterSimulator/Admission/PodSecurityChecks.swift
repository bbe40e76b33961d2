/// The Pod Security Standards checks of kube-apiserver v1.28's PodSecurity admission plugin
/// (`k8s.io/pod-security-admission/policy`), with the same reasons, details and order, evaluated on a
/// pod's metadata and spec as JSON.
enum PodSecurityChecks {
    /// One failed check: the short reason (`runAsNonRoot != true`) and its detail.
    struct Violation: Equatable, Sendable {
        var reason: String
        var detail: String
    }

    /// The pod (or pod template) a check looks at.
    struct PodView {
        var annotations: [String: String]
        var spec: JSONValue

        init(metadata: JSONValue?, spec: JSONValue?) {
            annotations = metadata["annotations"]?.stringMap ?? [:]
            self.spec = spec ?? [:]
        }

        /// Init containers, containers, then ephemeral containers, as the plugin visits them.
        var containers: [JSONValue] {
            (spec["initContainers"]?.arrayValue ?? []) + (spec["containers"]?.arrayValue ?? [])
                + (spec["ephemeralContainers"]?.arrayValue ?? [])
        }

        var isWindows: Bool { spec["os"]["name"]?.stringValue == "windows" }

        var podSecurityContext: JSONValue? { spec["securityContext"] }
    }

    typealias Evaluate = @Sendable (PodView) -> Violation?

    /// A check with its implementations by the first policy version (minor of 1.x) they apply to.
    struct Check: Sendable {
        var id: String
        var level: PodSecurityLevel
        /// The baseline check this restricted check replaces at the restricted level.
        var overrides: String?
        var versions: [(minimum: Int, evaluate: Evaluate)]

        /// The implementation that applies to policy version 1.`minor`, if any.
        func evaluator(forMinor minor: Int) -> Evaluate? {
            versions.last { $0.minimum <= minor }?.evaluate
        }
    }

    /// The newest policy version (1.x) this simulated v1.28 server knows; `latest` and newer versions
    /// are evaluated as this one.
    static let newestMinor = 28

    /// The checks of `level` at version 1.`minor`, in the plugin's order: baseline checks by ID (less
    /// those a restricted check overrides), then restricted checks by ID.
    static func checks(for level: PodSecurityLevel, minor: Int) -> [Evaluate] {
        guard level != .privileged else { return [] }
        let minor = min(minor, newestMinor)
        let restricted = all.filter { $0.level == .restricted }.sorted { $0.id < $1.id }
        let overridden =
            level == .restricted
            ? Set(restricted.filter { $0.evaluator(forMinor: minor) != nil }.compactMap(\.overrides)) : []
        let baseline = all.filter { $0.level == .baseline && !overridden.contains($0.id) }.sorted { $0.id < $1.id }
        let selected = level == .restricted ? baseline + restricted : baseline
        return selected.compactMap { $0.evaluator(forMinor: minor) }
    }

    /// Every violation of `pod` under `level` at version 1.`minor`.
    static func violations(of pod: PodView, level: PodSecurityLevel, minor: Int) -> [Violation] {
        checks(for: level, minor: minor).compactMap { $0(pod) }
    }

    // MARK: formatting helpers (as the Go plugin writes them)

    static func joinQuote(_ items: [String]) -> String {
        items.isEmpty ? "" : "\"" + items.joined(separator: "\", \"") + "\""
    }

    static func pluralize(_ singular: String, _ plural: String, _ count: Int) -> String {
        count == 1 ? singular : plural
    }

    /// `containers "a", "b"` / `container "a"`.
    static func containersPhrase(_ names: [String]) -> String {
        "\(pluralize("container", "containers", names.count)) \(joinQuote(names))"
    }

    /// Go's `%q` for the plain strings of pod specs.
    static func goQuote(_ text: String) -> String {
        var quoted = "\""
        for character in text {
            switch character {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            default: quoted.append(character)
            }
        }
        return quoted + "\""
    }

    private static func name(_ container: JSONValue) -> String { container["name"]?.stringValue ?? "" }

    private static func sortedUnique(_ items: [String]) -> [String] { Array(Set(items)).sorted() }

    /// `pod and containers "a"` style setter lists.
    private static func setters(pod: Bool, containers: [String]) -> String {
        var parts: [String] = pod ? ["pod"] : []
        if !containers.isEmpty { parts.append(containersPhrase(containers)) }
        return parts.joined(separator: " and ")
    }

    // MARK: the checks

    static let all: [Check] = [
        Check(id: "appArmorProfile", level: .baseline, versions: [(0, appArmorProfile)]),
        Check(id: "capabilities_baseline", level: .baseline, versions: [(0, capabilitiesBaseline)]),
        Check(id: "hostNamespaces", level: .baseline, versions: [(0, hostNamespaces)]),
        Check(id: "hostPathVolumes", level: .baseline, versions: [(0, hostPathVolumes)]),
        Check(id: "hostPorts", level: .baseline, versions: [(0, hostPorts)]),
        Check(id: "privileged", level: .baseline, versions: [(0, privileged)]),
        Check(id: "procMount", level: .baseline, versions: [(0, procMount)]),
        Check(id: "seLinuxOptions", level: .baseline, versions: [(0, seLinuxOptions)]),
        Check(
            id: "seccompProfile_baseline", level: .baseline,
            versions: [(0, seccompAnnotationsBaseline), (19, seccompBaseline)]),
        Check(
            id: "sysctls", level: .baseline,
            versions: [(0, sysctls(allowed: sysctls10)), (27, sysctls(allowed: sysctls127))]),
        Check(id: "windowsHostProcess", level: .baseline, versions: [(0, windowsHostProcess)]),
        Check(
            id: "allowPrivilegeEscalation", level: .restricted,
            versions: [(8, allowPrivilegeEscalation), (25, linuxOnly(allowPrivilegeEscalation))]),
        Check(
            id: "capabilities_restricted", level: .restricted, overrides: "capabilities_baseline",
            versions: [(22, capabilitiesRestricted), (25, linuxOnly(capabilitiesRestricted))]),
        Check(
            id: "restrictedVolumes", level: .restricted, overrides: "hostPathVolumes",
            versions: [(0, restrictedVolumes)]),
        Check(id: "runAsNonRoot", level: .restricted, versions: [(0, runAsNonRoot)]),
        Check(id: "runAsUser", level: .restricted, versions: [(23, runAsUser)]),
        Check(
            id: "seccompProfile_restricted", level: .restricted, overrides: "seccompProfile_baseline",
            versions: [(19, seccompRestricted), (25, linuxOnly(seccompRestricted))]),
    ]

    /// From policy v1.25 on, the Linux-only restricted checks admit pods with `spec.os.name: windows`
    /// (the API validation forbids those fields on Windows pods).
    private static func linuxOnly(_ check: @escaping Evaluate) -> Evaluate {
        { pod in pod.isWindows ? nil : check(pod) }
    }

    private static let appArmorPrefix = "container.apparmor.security.beta.kubernetes.io/"

    private static let appArmorProfile: Evaluate = { pod in
        let forbidden = pod.annotations.compactMap { key, value -> String? in
            guard key.hasPrefix(appArmorPrefix) else { return nil }
            if value.isEmpty || value == "runtime/default" || value.hasPrefix("localhost/") { return nil }
            return "\(key)=\(goQuote(value))"
        }.sorted()
        guard !forbidden.isEmpty else { return nil }
        return Violation(
            reason: pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", forbidden.count),
            detail: forbidden.joined(separator: ", "))
    }

    private static let defaultCapabilities: Set<String> = [
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP",
        "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    ]

    private static let capabilitiesBaseline: Evaluate = { pod in
        var bad: [String] = []
        var capabilities: [String] = []
        for container in pod.containers {
            guard let added = container["securityContext"]["capabilities"]["add"]?.arrayValue else { continue }
            let extra = added.compactMap(\.stringValue).filter { !defaultCapabilities.contains($0) }
            if !extra.isEmpty {
                bad.append(name(container))
                capabilities += extra
            }
        }
        guard !bad.isEmpty else { return nil }
        return Violation(
            reason: "non-default capabilities",
            detail:
                "\(containersPhrase(bad)) must not include \(joinQuote(sortedUnique(capabilities))) in securityContext.capabilities.add"
        )
    }

    private static let hostNamespaces: Evaluate = { pod in
        let used = ["hostIPC", "hostNetwork", "hostPID"].filter { pod.spec[$0]?.boolValue == true }
        guard !used.isEmpty else { return nil }
        return Violation(reason: "host namespaces", detail: used.map { "\($0)=true" }.joined(separator: ", "))
    }

    private static let hostPathVolumes: Evaluate = { pod in
        let volumes = (pod.spec["volumes"]?.arrayValue ?? []).filter { $0["hostPath"] != nil }.map(name)
        guard !volumes.isEmpty else { return nil }
        return Violation(
            reason: "hostPath volumes",
            detail: "\(pluralize("volume", "volumes", volumes.count)) \(joinQuote(volumes))")
    }

    private static let hostPorts: Evaluate = { pod in
        var bad: [String] = []
        var ports: [String] = []
        for container in pod.containers {
            let used = (container["ports"]?.arrayValue ?? []).compactMap { $0["hostPort"]?.intValue }.filter {
                $0 != 0
            }
            if !used.isEmpty {
                bad.append(name(container))
                ports += used.map(String.init)
            }
        }
        guard !bad.isEmpty else { return nil }
        let unique = sortedUnique(ports)
        return Violation(
            reason: "hostPort",
            detail:
                "\(containersPhrase(bad)) \(pluralize("uses", "use", bad.count)) \(pluralize("hostPort", "hostPorts", unique.count)) \(unique.joined(separator: ", "))"
        )
    }

    private static let privileged: Evaluate = { pod in
        let bad = pod.containers.filter { $0["securityContext"]["privileged"]?.boolValue == true }.map(name)
        guard !bad.isEmpty else { return nil }
        return Violation(
            reason: "privileged", detail: "\(containersPhrase(bad)) must not set securityContext.privileged=true")
    }

    private static let procMount: Evaluate = { pod in
        var bad: [String] = []
        var types: [String] = []
        for container in pod.containers {
            guard let type = container["securityContext"]["procMount"]?.stringValue, type != "Default" else {
                continue
            }
            bad.append(name(container))
            types.append(type)
        }
        guard !bad.isEmpty else { return nil }
        return Violation(
            reason: "procMount",
            detail:
                "\(containersPhrase(bad)) must not set securityContext.procMount to \(joinQuote(sortedUnique(types)))")
    }

    /// What bad seLinuxOptions set: forbidden types, a user, a role.
    private struct SELinuxFindings {
        var badTypes: [String] = []
        var setUser = false
        var setRole = false

        /// Records what `options` set wrongly; true when it is valid.
        mutating func check(_ options: JSONValue) -> Bool {
            let allowedTypes: Set<String> = ["", "container_t", "container_init_t", "container_kvm_t"]
            var valid = true
            let type = options["type"]?.stringValue ?? ""
            if !allowedTypes.contains(type) {
                valid = false
                badTypes.append(type)
            }
            if !(options["user"]?.stringValue ?? "").isEmpty {
                valid = false
                setUser = true
            }
            if !(options["role"]?.stringValue ?? "").isEmpty {
                valid = false
                setRole = true
            }
            return valid
        }
    }

    private static let seLinuxOptions: Evaluate = { pod in
        var findings = SELinuxFindings()
        var podBad = false
        if let options = pod.podSecurityContext["seLinuxOptions"], options.objectValue != nil {
            podBad = !findings.check(options)
        }
        var bad: [String] = []
        for container in pod.containers {
            if let options = container["securityContext"]["seLinuxOptions"], options.objectValue != nil,
                !findings.check(options)
            {
                bad.append(name(container))
            }
        }
        guard podBad || !bad.isEmpty else { return nil }
        var data: [String] = []
        // As in the plugin, user and role are only named next to a bad type.
        if !findings.badTypes.isEmpty {
            let types = sortedUnique(findings.badTypes)
            data.append("\(pluralize("type", "types", types.count)) \(joinQuote(types))")
            if findings.setUser { data.append("user may not be set") }
            if findings.setRole { data.append("role may not be set") }
        }
        return Violation(
            reason: "seLinuxOptions",
            detail:
                "\(setters(pod: podBad, containers: bad)) set forbidden securityContext.seLinuxOptions: \(data.joined(separator: "; "))"
        )
    }

    private static func validSeccomp(_ type: String) -> Bool { type == "RuntimeDefault" || type == "Localhost" }

    private static let seccompAnnotationsBaseline: Evaluate = { pod in
        func valid(_ value: String) -> Bool {
            value == "runtime/default" || value == "docker/default" || value.hasPrefix("localhost/")
        }
        var forbidden: [String] = []
        let podKey = "seccomp.security.alpha.kubernetes.io/pod"
        if let value = pod.annotations[podKey], !valid(value) { forbidden.append("\(podKey)=\(goQuote(value))") }
        for container in pod.containers {
            let key = "container.seccomp.security.alpha.kubernetes.io/" + name(container)
            if let value = pod.annotations[key], !valid(value) { forbidden.append("\(key)=\(goQuote(value))") }
        }
        let unique = sortedUnique(forbidden)
        guard !unique.isEmpty else { return nil }
        return Violation(
            reason: "seccompProfile",
            detail:
                "forbidden \(pluralize("annotation", "annotations", unique.count)) \(unique.joined(separator: ", "))")
    }

    private static let seccompBaseline: Evaluate = { pod in
        var badValues: [String] = []
        var podBad = false
        if let profile = pod.podSecurityContext["seccompProfile"], profile.objectValue != nil {
            let value = profile["type"]?.stringValue ?? ""
            if !validSeccomp(value) {
                podBad = true
                badValues.append(value)
            }
        }
        var bad: [String] = []
        for container in pod.containers {
            guard let profile = container["securityContext"]["seccompProfile"], profile.objectValue != nil else {
                continue
            }
            let value = profile["type"]?.stringValue ?? ""
            if !validSeccomp(value) {
                bad.append(name(container))
                badValues.append(value)
            }
        }
        guard podBad || !bad.isEmpty else { return nil }
        return Violation(
            reason: "seccompProfile",
            detail:
                "\(setters(pod: podBad, containers: bad)) must not set securityContext.seccompProfile.type to \(joinQuote(sortedUnique(badValues)))"
        )
    }

    private static let sysctls10: Set<String> = [
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start",
    ]
    private static let sysctls127 = sysctls10.union(["net.ipv4.ip_local_reserved_ports"])

    private static func sysctls(allowed: Set<String>) -> Evaluate {
        { pod in
            let forbidden = (pod.podSecurityContext["sysctls"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
                .filter { !allowed.contains($0) }
            guard !forbidden.isEmpty else { return nil }
            return Violation(reason: "forbidden sysctls", detail: forbidden.joined(separator: ", "))
        }
    }

    private static let windowsHostProcess: Evaluate = { pod in
        let bad = pod.containers.filter {
            $0["securityContext"]["windowsOptions"]["hostProcess"]?.boolValue == true
        }.map(name)
        let podBad = pod.podSecurityContext["windowsOptions"]["hostProcess"]?.boolValue == true
        guard podBad || !bad.isEmpty else { return nil }
        return Violation(
            reason: "hostProcess",
            detail:
                "\(setters(pod: podBad, containers: bad)) must not set securityContext.windowsOptions.hostProcess=true")
    }

    private static let allowPrivilegeEscalation: Evaluate = { pod in
        let bad = pod.containers.filter { $0["securityContext"]["allowPrivilegeEscalation"]?.boolValue != false }.map(
            name)
        guard !bad.isEmpty else { return nil }
        return Violation(
            reason: "allowPrivilegeEscalation != false",
            detail: "\(containersPhrase(bad)) must set securityContext.allowPrivilegeEscalation=false")
    }

    private static let capabilitiesRestricted: Evaluate = { pod in
        var missingDropAll: [String] = []
        var addingForbidden: [String] = []
        var forbidden: [String] = []
        for container in pod.containers {
            guard let capabilities = container["securityContext"]["capabilities"], capabilities.objectValue != nil
            else {
                missingDropAll.append(name(container))
                continue
            }
            let dropped = (capabilities["drop"]?.arrayValue ?? []).compactMap(\.stringValue)
            if !dropped.contains("ALL") { missingDropAll.append(name(container)) }
            let added = (capabilities["add"]?.arrayValue ?? []).compactMap(\.stringValue).filter {
                $0 != "NET_BIND_SERVICE"
            }
            if !added.isEmpty {
                addingForbidden.append(name(container))
                forbidden += added
            }
        }
        var details: [String] = []
        if !missingDropAll.isEmpty {
            details.append("\(containersPhrase(missingDropAll)) must set securityContext.capabilities.drop=[\"ALL\"]")
        }
        if !addingForbidden.isEmpty {
            details.append(
                "\(containersPhrase(addingForbidden)) must not include \(joinQuote(sortedUnique(forbidden))) in securityContext.capabilities.add"
            )
        }
        guard !details.isEmpty else { return nil }
        return Violation(reason: "unrestricted capabilities", detail: details.joined(separator: "; "))
    }

    private static let allowedVolumeSources = [
        "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret",
    ]

    private static let restrictedVolumes: Evaluate = { pod in
        let restricted = (pod.spec["volumes"]?.arrayValue ?? []).filter { volume in
            !allowedVolumeSources.contains { source in volume[source].map { !$0.isNull } ?? false }
        }.map(name)
        guard !restricted.isEmpty else { return nil }
        // Go's %q of a []string: ["a" "b"].
        let list = "[" + sortedUnique(restricted).map(goQuote).joined(separator: " ") + "]"
        return Violation(reason: "restricted volume types", detail: "volumes \(list) have restricted types")
    }

    private static let runAsNonRoot: Evaluate = { pod in
        var podBad = false
        var podNonRoot = false
        if let value = pod.podSecurityContext["runAsNonRoot"]?.boolValue {
            if value { podNonRoot = true } else { podBad = true }
        }
        var explicitlyBad: [String] = []
        var implicitlyBad: [String] = []
        for container in pod.containers {
            if let value = container["securityContext"]["runAsNonRoot"]?.boolValue {
                if !value { explicitlyBad.append(name(container)) }
            } else if !podNonRoot {
                implicitlyBad.append(name(container))
            }
        }
        if podBad || !explicitlyBad.isEmpty {
            return Violation(
                reason: "runAsNonRoot != true",
                detail:
                    "\(setters(pod: podBad, containers: explicitlyBad)) must not set securityContext.runAsNonRoot=false"
            )
        }
        guard !implicitlyBad.isEmpty else { return nil }
        return Violation(
            reason: "runAsNonRoot != true",
            detail: "pod or \(containersPhrase(implicitlyBad)) must set securityContext.runAsNonRoot=true")
    }

    private static let runAsUser: Evaluate = { pod in
        let podBad = pod.podSecurityContext["runAsUser"]?.intValue == 0
        let bad = pod.containers.filter { $0["securityContext"]["runAsUser"]?.intValue == 0 }.map(name)
        guard podBad || !bad.isEmpty else { return nil }
        return Violation(
            reason: "runAsUser=0", detail: "\(setters(pod: podBad, containers: bad)) must not set runAsUser=0")
    }

    private static let seccompRestricted: Evaluate = { pod in
        var badValues: [String] = []
        var podBad = false
        var podSet = false
        if let profile = pod.podSecurityContext["seccompProfile"], profile.objectValue != nil {
            let value = profile["type"]?.stringValue ?? ""
            if validSeccomp(value) {
                podSet = true
            } else {
                podBad = true
                badValues.append(value)
            }
        }
        var explicitlyBad: [String] = []
        var implicitlyBad: [String] = []
        for container in pod.containers {
            if let profile = container["securityContext"]["seccompProfile"], profile.objectValue != nil {
                let value = profile["type"]?.stringValue ?? ""
                if !validSeccomp(value) {
                    explicitlyBad.append(name(container))
                    badValues.append(value)
                }
            } else if !podSet {
                implicitlyBad.append(name(container))
            }
        }
        if podBad || !explicitlyBad.isEmpty {
            return Violation(
                reason: "seccompProfile",
                detail:
                    "\(setters(pod: podBad, containers: explicitlyBad)) must not set securityContext.seccompProfile.type to \(joinQuote(sortedUnique(badValues)))"
            )
        }
        guard !implicitlyBad.isEmpty else { return nil }
        return Violation(
            reason: "seccompProfile",
            detail:
                "pod or \(containersPhrase(implicitlyBad)) must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\""
        )
    }
}
