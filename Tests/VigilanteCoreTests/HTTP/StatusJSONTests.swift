import Foundation
import Testing

@testable import VigilanteCore

/// The entry with pre-encoded details is byte for byte the entry encoded whole.
@Suite struct StatusJSONTests {
    static let details: RawJSON = [
        "asOf": "2026-12-01T05:00:00Z",
        "nodes": [["name": "akswin000001", "lastError": "quote \" slash / newline \n é"]],
        "totals": ["healed": 1000, "healing": 1],
        "ratio": .number(0.25),
        "nothing": .null,
    ]

    static func entry(details: RawJSON, lastRun: TaskStatusEntry.Run?) -> TaskStatusEntry {
        TaskStatusEntry(
            name: "snat", enabled: true, interval: "30s", state: .idle, lastRun: lastRun,
            nextRunAt: Date(timeIntervalSince1970: 1_764_565_230), runs: 3, failures: 1, details: details)
    }

    @Test(arguments: [
        nil,
        TaskStatusEntry.Run(
            startedAt: Date(timeIntervalSince1970: 1_764_565_200),
            finishedAt: Date(timeIntervalSince1970: 1_764_565_201),
            durationSeconds: 0.75, outcome: "failed", error: "boom"),
    ])
    func splicedDetailsEqualTheWholeEncoding(lastRun: TaskStatusEntry.Run?) throws {
        for details in [Self.details, .null, [:], ["a": [1, 2]]] as [RawJSON] {
            let whole = try StatusJSON.encode(Self.entry(details: details, lastRun: lastRun), pretty: false)
            let spliced = try StatusJSON.encode(
                Self.entry(details: .null, lastRun: lastRun), details: try StatusJSON.encode(details, pretty: false))
            #expect(spliced == whole, "\(String(decoding: spliced, as: UTF8.self))")
        }
    }

    @Test func arraysJoinTheirElements() {
        #expect(StatusJSON.array([]) == Data("[]".utf8))
        #expect(StatusJSON.array([Data("1".utf8), Data("{\"a\":2}".utf8)]) == Data("[1,{\"a\":2}]".utf8))
    }
}
