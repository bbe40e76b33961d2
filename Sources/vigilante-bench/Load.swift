import AsyncHTTPClient
import Foundation
import NIOCore

/// The original release's API pattern: every 30 s a LIST of all nodes, then for every Ready Windows
/// node without the healed annotation a DELETE and a CREATE of its fixed-name healer pod.
struct OriginalReplay {
    var baseURL: String
    var namespace: String
    var interval: Duration = .seconds(30)
    let token = "replay-token"

    /// Runs ticks at 0, 30 s, 60 s… while inside `window`; returns the bytes received.
    func run(for window: Duration) async throws -> Int {
        let client = Clients.make(connections: 2)
        do {
            let bytes = try await ticks(client, window: window)
            try await client.shutdown()
            return bytes
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func ticks(_ client: HTTPClient, window: Duration) async throws -> Int {
        let start = ContinuousClock.now
        var bytes = 0
        var tick = 0
        while true {
            let due = start + interval * tick
            guard due - start < window else { break }
            try await Task.sleep(until: due)
            bytes += try await pass(client)
            tick += 1
        }
        try await Task.sleep(until: start + window)
        return bytes
    }

    private var headers: [(String, String)] { [("Authorization", "Bearer \(token)")] }

    private func pass(_ client: HTTPClient) async throws -> Int {
        let (_, body) = try await Clients.get(client, baseURL + "/api/v1/nodes", headers: headers)
        var bytes = body.readableBytes
        guard let list = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
            let items = list["items"] as? [[String: Any]]
        else { return bytes }
        for node in items {
            let metadata = node["metadata"] as? [String: Any] ?? [:]
            let labels = metadata["labels"] as? [String: String] ?? [:]
            let annotations = metadata["annotations"] as? [String: String] ?? [:]
            let conditions = (node["status"] as? [String: Any])?["conditions"] as? [[String: Any]] ?? []
            let ready = conditions.contains { $0["type"] as? String == "Ready" && $0["status"] as? String == "True" }
            guard labels["kubernetes.io/os"] == "windows", ready,
                annotations["cops-vigilante-snat-node-healed"] != "true", let name = metadata["name"] as? String
            else { continue }
            bytes += try await heal(client, node: name)
        }
        return bytes
    }

    private func heal(_ client: HTTPClient, node: String) async throws -> Int {
        let podName = "snat-healer-\(node)"
        let podsURL = "\(baseURL)/api/v1/namespaces/\(namespace)/pods"
        var delete = HTTPClientRequest(url: "\(podsURL)/\(podName)")
        delete.method = .DELETE
        for (name, value) in headers { delete.headers.add(name: name, value: value) }
        let deleted = try await client.execute(delete, timeout: .seconds(30)).body.collect(upTo: 1 << 24)
        var create = HTTPClientRequest(url: podsURL)
        create.method = .POST
        for (name, value) in headers { create.headers.add(name: name, value: value) }
        create.headers.add(name: "Content-Type", value: "application/json")
        let pod: [String: Any] = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": podName, "namespace": namespace],
            "spec": [
                "nodeName": node, "tolerations": [["operator": "Exists"]],
                "containers": [["name": "pause", "image": "mcr.microsoft.com/oss/kubernetes/pause:3.9"]],
            ],
        ]
        create.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: pod)))
        let created = try await client.execute(create, timeout: .seconds(30)).body.collect(upTo: 1 << 24)
        return deleted.readableBytes + created.readableBytes
    }
}

/// A paced load on one URL: `workers` loops over kept-alive connections, each sending at
/// `rate / workers` per second on a fixed schedule (late requests go at once; latency is measured
/// from the actual send).
struct TasksLoad {
    var client: HTTPClient
    var url: String
    var rate: Int
    var duration: Duration
    var workers: Int

    struct Result {
        var latencies: [Double]
        var errors: Int
        var achievedRate: Double
    }

    func run() async throws -> Result {
        let total = max(1, Int(ScaleRun.seconds(duration) * Double(rate)))
        let spacing = Duration.seconds(1) / rate
        let start = ContinuousClock.now + .milliseconds(50)
        let results = try await withThrowingTaskGroup(of: ([Double], Int).self) { group in
            for worker in 0..<workers {
                group.addTask { [client, url, workers] in
                    var latencies: [Double] = []
                    var errors = 0
                    var index = worker
                    while index < total {
                        try await Task.sleep(until: start + spacing * index)
                        let sent = ContinuousClock.now
                        if let (status, _) = try? await Clients.get(client, url), status == 200 {
                            latencies.append(ScaleRun.seconds(ContinuousClock.now - sent))
                        } else {
                            errors += 1
                        }
                        index += workers
                    }
                    return (latencies, errors)
                }
            }
            var all: ([Double], Int) = ([], 0)
            for try await (latencies, errors) in group {
                all.0 += latencies
                all.1 += errors
            }
            return all
        }
        let elapsed = ScaleRun.seconds(ContinuousClock.now - start)
        return Result(latencies: results.0, errors: results.1, achievedRate: Double(total) / elapsed)
    }
}
