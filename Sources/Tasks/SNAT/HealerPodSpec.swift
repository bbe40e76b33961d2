import Foundation
import VigilanteCore

/// The healer pod of rule 9: a pause container pinned to its node, gone at once when deleted, asking for
/// almost nothing, without a service-account token, tolerating the node's taints, labelled with task and
/// node, and owned by the Node so Kubernetes garbage-collects it with a deleted node.
///
/// It is admitted under Pod Security `restricted`: `spec.os.name: windows` (so the Linux-only checks do
/// not apply), `runAsNonRoot` as the unprivileged `ContainerUser`, and limits equal to its requests
/// (Guaranteed; policy engines commonly require limits). Users add labels, annotations, image pull
/// secrets, resources, runtime and priority classes their cluster's policies ask for.
struct HealerPodSpec: Sendable {
    /// `app.kubernetes.io/managed-by`.
    static let managedByLabel = "app.kubernetes.io/managed-by"
    /// The value of ``managedByLabel``.
    static let managedBy = "cops-vigilante"
    /// The task that made the pod.
    static let taskLabel = "cops-vigilante/task"
    /// The node's name, or a shortened, hashed form when it does not fit a label value.
    static let nodeLabel = "cops-vigilante/node"
    /// The node's UID: which node a pod belongs to, even after the name was reused.
    static let nodeUIDLabel = "cops-vigilante/node-uid"
    /// The label selector of every healer pod of this task.
    static let selector = "\(managedByLabel)=\(managedBy),\(taskLabel)=\(SNATTask.name)"
    /// The labels the operator sets itself (users cannot replace them).
    static let ownLabelKeys = [managedByLabel, taskLabel, nodeLabel, nodeUIDLabel]
    /// The container name.
    static let containerName = "pause"
    /// The unprivileged user of Windows container images.
    static let windowsUser = "ContainerUser"

    /// The namespace of the healer pods.
    var namespace: String
    /// The pause image.
    var image: String
    /// Tolerations (default: every taint, so tainted Windows pools are healed too).
    var tolerations: [Toleration]
    /// Priority class, if configured.
    var priorityClassName: String?
    /// Extra labels and annotations.
    var extraLabels: [String: String]
    var annotations: [String: String]
    /// Image pull secrets.
    var imagePullSecrets: [String]
    /// Requests and limits of the container.
    var requests: [String: String]
    var limits: [String: String]
    /// Runtime class, if configured.
    var runtimeClassName: String?

    /// Creates the spec from the task's configuration.
    init(configuration: SNATConfiguration) {
        namespace = configuration.namespace
        image = configuration.image
        tolerations = configuration.tolerations
        priorityClassName = configuration.priorityClassName
        extraLabels = configuration.podLabels
        annotations = configuration.podAnnotations
        imagePullSecrets = configuration.imagePullSecrets
        requests = configuration.resourceRequests
        limits = configuration.resourceLimits
        runtimeClassName = configuration.runtimeClassName
    }

    /// A new healer pod for `node`; the server picks a unique name from the node-derived prefix, so a new
    /// pod never collides with a predecessor that is still terminating (the original's fixed name did).
    func pod(for node: Node) -> Pod {
        let labels = extraLabels.merging([
            Self.managedByLabel: Self.managedBy,
            Self.taskLabel: SNATTask.name,
            Self.nodeLabel: Self.labelValue(forNodeName: node.name),
            Self.nodeUIDLabel: node.metadata.uid ?? "",
        ]) { _, own in own }
        let owner = OwnerReference(apiVersion: "v1", kind: "Node", name: node.name, uid: node.metadata.uid ?? "")
        return Pod(
            metadata: ObjectMeta(
                generateName: Self.namePrefix(forNodeName: node.name), namespace: namespace, labels: labels,
                annotations: annotations.isEmpty ? nil : annotations, ownerReferences: [owner]),
            spec: PodSpec(
                nodeName: node.name,
                tolerations: tolerations,
                containers: [
                    Container(
                        name: Self.containerName, image: image,
                        resources: ResourceRequirements(
                            requests: requests.isEmpty ? nil : requests, limits: limits.isEmpty ? nil : limits))
                ],
                priorityClassName: priorityClassName,
                terminationGracePeriodSeconds: 0,
                automountServiceAccountToken: false,
                os: PodOS(name: "windows"),
                securityContext: PodSecurityContext(
                    runAsNonRoot: true, windowsOptions: WindowsSecurityContextOptions(runAsUserName: Self.windowsUser)),
                imagePullSecrets: imagePullSecrets.isEmpty
                    ? nil : imagePullSecrets.map { LocalObjectReference(name: $0) },
                runtimeClassName: runtimeClassName))
    }

    // MARK: Names and labels

    /// `snat-healer-<node>-`: the server appends five random characters. Kept within the 58 characters
    /// the API server keeps of a generateName, with dots (allowed in node names) turned into dashes.
    static func namePrefix(forNodeName name: String) -> String {
        let base = String(name.replacingOccurrences(of: ".", with: "-").prefix(45))
        return "snat-healer-" + trimmedToAlphanumericEnd(base) + "-"
    }

    /// The node's name as a label value: unchanged when it fits (63 characters), otherwise its first 46
    /// characters, a dash and a 16-digit hash of the whole name, so different long names stay distinct.
    static func labelValue(forNodeName name: String) -> String {
        guard name.count > 63 else { return name }
        let head = trimmedToAlphanumericEnd(String(name.prefix(46)))
        return head + "-" + fnv1a64Hex(name)
    }

    /// The UID of the node a healer pod belongs to, from its label.
    static func nodeUID(of pod: Pod) -> String? {
        pod.metadata.labels?[nodeUIDLabel]
    }

    /// Whether the pod is being deleted already.
    static func isTerminating(_ pod: Pod) -> Bool {
        pod.metadata.deletionTimestamp != nil
    }

    private static func trimmedToAlphanumericEnd(_ text: String) -> String {
        var text = Substring(text)
        while let last = text.last, !(last.isASCII && (last.isLetter || last.isNumber)) { text = text.dropLast() }
        return String(text)
    }

    /// FNV-1a, 64 bits: stable across processes and platforms (unlike `Hasher`), no dependency needed.
    private static func fnv1a64Hex(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
