import Foundation

/// State of the simulated kubelets and controllers.
struct KubeletState: Sendable {
    /// Nodes with a simulated kubelet (added by ``ClusterSimulator/addNode(name:os:ready:taints:labels:annotations:)``).
    /// Nodes created through the API have none, like the recorded server, so their pods stay Pending.
    var managedNodes: Set<String> = []
    var pendingStarts: Set<String> = []
    var pendingRemovals: Set<String> = []
    var nextNodeAddress = 0
    var nextPodAddress = 0
    var heartbeats: Task<Void, Never>?
    var stopped = false
}

extension ClusterSimulator {
    /// The controllers of a real control plane the simulator needs: the ServiceAccount controller
    /// (a `default` account per namespace) and the kubelet of each simulated node.
    func installControllers() {
        store.addObserver { [weak self] records in
            guard let self else { return }
            for record in records { self.observe(record) }
        }
    }

    private func observe(_ record: WatchEventRecord) {
        switch (record.storageKey, record.kind) {
        case ("namespaces", .added):
            let namespace = record.object.name
            createObject(
                BuiltinResources.serviceAccounts,
                ["metadata": ["name": "default", "namespace": .string(namespace)]], manager: "kube-controller-manager")
        case ("pods", .added), ("pods", .modified):
            considerPod(record.object)
        case ("nodes", .modified):
            let wasReady = record.previous.map { Self.isReady($0.object) } ?? false
            if !wasReady && Self.isReady(record.object.object) {
                let pods = store.transaction {
                    $0.list("pods", namespace: nil, indexed: ("spec.nodeName", record.object.name))
                }
                pods.forEach(considerPod)
            }
        default:
            break
        }
    }

    static func isReady(_ node: JSONValue) -> Bool {
        node["status"]["conditions"]?.arrayValue?.contains {
            $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True"
        } ?? false
    }

    /// Schedules the kubelet's next step for a pod bound to one of its nodes.
    private func considerPod(_ pod: StoredObject) {
        let nodeName = pod.object["spec"]["nodeName"]?.stringValue ?? ""
        guard !nodeName.isEmpty else { return }
        let terminating = pod.object["metadata"]["deletionTimestamp"] != nil
        let phase = pod.object["status"]["phase"]?.stringValue
        let identity = "\(pod.key)|\(pod.uid)"
        let action: String? = kubelet.withLock { state in
            guard !state.stopped, state.managedNodes.contains(nodeName) else { return nil }
            if terminating {
                return state.pendingRemovals.insert(identity).inserted ? "remove" : nil
            }
            if phase == "Pending" {
                return state.pendingStarts.insert(identity).inserted ? "start" : nil
            }
            return nil
        }
        switch action {
        case "start":
            let node = store.transaction { $0.get("nodes", key: nodeName) }
            guard let node, Self.isReady(node.object) else {
                kubelet.withLock { _ = $0.pendingStarts.remove(identity) }
                return
            }
            let delay = configuration.podStartDelay
            Task { [weak self] in
                try? await Task.sleep(for: delay)
                self?.startPod(key: pod.key, uid: pod.uid, identity: identity)
            }
        case "remove":
            let delay = configuration.podTerminationDelay
            Task { [weak self] in
                try? await Task.sleep(for: delay)
                self?.confirmDeletion(key: pod.key, uid: pod.uid, identity: identity)
            }
        default:
            break
        }
    }

    private func startPod(key: String, uid: String, identity: String) {
        kubelet.withLock { _ = $0.pendingStarts.remove(identity) }
        guard !kubelet.withLock({ $0.stopped }) else { return }
        let podAddress = kubelet.withLock { state -> String in
            state.nextPodAddress += 1
            return "10.244.\(state.nextPodAddress / 250).\(state.nextPodAddress % 250 + 2)"
        }
        let now = Timestamps.time()
        // Read the node first: `write` holds the store's (non-recursive) lock while its body runs.
        let nodeName =
            store.transaction { $0.get("pods", key: key) }?.object["spec"]?["nodeName"]?.stringValue ?? ""
        let node = store.transaction { $0.get("nodes", key: nodeName) }
        write(BuiltinResources.pods, key: key, manager: "kubelet", subresource: "status") { pod in
            guard pod["metadata"]?["uid"]?.stringValue == uid, pod["metadata"]?["deletionTimestamp"] == nil,
                pod["status"]?["phase"]?.stringValue == "Pending", pod["spec"]?["nodeName"]?.stringValue == nodeName
            else { return nil }
            guard let node, Self.isReady(node.object) else { return nil }
            let hostIP =
                node.object["status"]["addresses"]?.arrayValue?.first { $0["type"]?.stringValue == "InternalIP" }?[
                    "address"] ?? "10.224.0.4"
            var pod = pod
            var status = pod["status"]?.objectValue ?? JSONObject()
            status["phase"] = "Running"
            status["conditions"] = .array(
                ["Initialized", "Ready", "ContainersReady", "PodScheduled"].map {
                    ["type": .string($0), "status": "True", "lastProbeTime": nil, "lastTransitionTime": .string(now)]
                })
            status["hostIP"] = hostIP
            status["hostIPs"] = [["ip": hostIP]]
            status["podIP"] = .string(podAddress)
            status["podIPs"] = [["ip": .string(podAddress)]]
            status["startTime"] = .string(now)
            status["containerStatuses"] = .array(
                (pod["spec"]?["containers"]?.arrayValue ?? []).map { container in
                    let image = container["image"]?.stringValue ?? ""
                    return [
                        "name": container["name"] ?? "", "state": ["running": ["startedAt": .string(now)]],
                        "lastState": [:], "ready": true, "restartCount": 0, "image": .string(image),
                        "imageID": .string(
                            "\(image)@sha256:\(Identifiers.uid().replacingOccurrences(of: "-", with: ""))"),
                        "containerID": .string(
                            "containerd://\(Identifiers.uid().replacingOccurrences(of: "-", with: ""))"),
                        "started": true,
                    ]
                })
            pod["status"] = .object(status)
            return pod
        }
    }

    /// The kubelet has stopped the containers: the pod object goes (grace 0 delete).
    private func confirmDeletion(key: String, uid: String, identity: String) {
        kubelet.withLock { _ = $0.pendingRemovals.remove(identity) }
        guard !kubelet.withLock({ $0.stopped }) else { return }
        store.transaction { transaction in
            guard let pod = transaction.get("pods", key: key), pod.uid == uid else { return }
            var options = APIServer.DeleteOptions()
            options.gracePeriodSeconds = 0
            _ = try? Deletion.delete(
                BuiltinResources.pods, key: key, name: pod.name, options: options, transaction: transaction,
                registry: store.registry)
        }
    }

    /// Reboots a node as its kubelet reports it: the node comes back NotReady (container runtime network
    /// not ready) with a new `status.nodeInfo.bootID`, and turns Ready after `downtime`. Returns the new
    /// boot ID once the node is Ready again.
    @discardableResult
    public func rebootNode(_ name: String, downtime: Duration = .milliseconds(50)) async -> String {
        let bootID = Identifiers.uid()
        let now = Timestamps.time()
        write(BuiltinResources.nodes, key: name, manager: "kubelet", subresource: "status") { node in
            var node = node
            node["status"]?["nodeInfo"]?["bootID"] = .string(bootID)
            var conditions = node["status"]?["conditions"]?.arrayValue ?? []
            let notReady = Self.conditions(ready: false, now: now, transition: now)[3]
            conditions.removeAll { $0["type"]?.stringValue == "Ready" }
            node["status"]?["conditions"] = .array(conditions + [notReady])
            let taints = (node["spec"]?["taints"]?.arrayValue ?? []).filter {
                $0["key"]?.stringValue != "node.kubernetes.io/not-ready"
            }
            node["spec"]?["taints"] = .array(taints + Self.notReadyTaints())
            return node
        }
        try? await Task.sleep(for: downtime)
        setNodeReady(name, true)
        return bootID
    }

    /// Each simulated kubelet posts its node status (Ready heartbeat) every `interval`, staggered
    /// across nodes as real kubelets are. Replaces an earlier heartbeat schedule.
    public func startNodeHeartbeats(interval: Duration) {
        let task = Task { [weak self] in
            while !Task.isCancelled {
                guard let self else { return }
                let names = self.kubelet.withLock { $0.managedNodes.sorted() }
                if names.isEmpty {
                    try? await Task.sleep(for: interval)
                    continue
                }
                let step = interval / names.count
                for name in names {
                    try? await Task.sleep(for: step)
                    if Task.isCancelled { return }
                    self.heartbeat(name)
                }
            }
        }
        kubelet.withLock { state in
            state.heartbeats?.cancel()
            state.heartbeats = task
        }
    }

    private func heartbeat(_ name: String) {
        let now = Timestamps.time()
        write(BuiltinResources.nodes, key: name, manager: "kubelet", subresource: "status") { node in
            var node = node
            let conditions = (node["status"]?["conditions"]?.arrayValue ?? []).map { condition -> JSONValue in
                var condition = condition
                condition["lastHeartbeatTime"] = .string(now)
                return condition
            }
            node["status"]?["conditions"] = .array(conditions)
            return node
        }
    }
}
