import Foundation
import VigilanteCore

/// Where a Windows node stands, in status and in the `vigilante_snat_nodes{phase}` gauge.
public enum SNATNodePhase: String, Codable, Sendable, CaseIterable {
    /// Ready and not healed: in its window (or about to start one).
    case healing
    /// Annotated healed; left alone.
    case healed
    /// Its last step failed; retried at `nextRetryAt`.
    case backoff
    /// Not Ready and not healed: waits to be Ready.
    case notReady
}

/// The SNAT task's part of `GET /tasks`: totals per phase over every Windows node the task sees, and the
/// nodes that are not healed (healing, in backoff or not Ready) one by one.
///
/// Healed nodes are left alone, so they are counted, not listed: a cluster of thousands of healed nodes
/// keeps its status small (`kubectl get nodes -l cops-vigilante-snat-node-healed=true` lists them).
public struct SNATStatus: Encodable, Sendable {
    /// Whether the task only reports what it would do.
    public var dryRun: Bool
    /// The configured window length (`30m`).
    public var healingDuration: String
    /// When this snapshot was taken (the end of the last pass, or now before the first pass).
    public var asOf: Date
    /// Nodes per phase.
    public var totals: SNATPhaseTotals
    /// Every Windows node that is not healed, by name.
    public var nodes: [SNATNodeStatus]
    /// What the last pass did (in dry-run: what it would have done), at most 100 entries.
    public var lastPassActions: [String]
    /// How many actions the last pass had in all.
    public var lastPassActionCount: Int
}

/// Number of nodes per phase.
public struct SNATPhaseTotals: Encodable, Sendable, Equatable {
    /// Nodes in their window.
    public var healing = 0
    /// Healed nodes.
    public var healed = 0
    /// Nodes whose last step failed.
    public var backoff = 0
    /// Windows nodes that are not Ready.
    public var notReady = 0

    /// The count of one phase.
    public subscript(phase: SNATNodePhase) -> Int {
        get {
            switch phase {
            case .healing: healing
            case .healed: healed
            case .backoff: backoff
            case .notReady: notReady
            }
        }
        set {
            switch phase {
            case .healing: healing = newValue
            case .healed: healed = newValue
            case .backoff: backoff = newValue
            case .notReady: notReady = newValue
            }
        }
    }
}

/// One Windows node in status.
public struct SNATNodeStatus: Encodable, Sendable, Equatable {
    /// The node's name.
    public var name: String
    /// The node's UID.
    public var uid: String
    /// Where it stands.
    public var phase: SNATNodePhase
    /// When its window started (nil before the first pass saw it, or for a node healed before).
    public var windowStartedAt: Date?
    /// When its window ends.
    public var healsAt: Date?
    /// When the task annotated it healed.
    public var healedAt: Date?
    /// Healer pods created in the window.
    public var podsCreated: Int
    /// The newest healer pod.
    public var currentPod: String?
    /// Failed steps in a row.
    public var consecutiveErrors: Int
    /// When a failing node is tried again.
    public var nextRetryAt: Date?
    /// The last failure.
    public var lastError: String?
}

extension SNATStatus {
    /// The status of the Windows `nodes` with their records, at `now`: all counted, the unhealed listed.
    init(
        nodes: [Node], records: [String: NodeHealingRecord], rules: SNATHealingRules, dryRun: Bool, now: Date,
        actions: [String]
    ) {
        var totals = SNATPhaseTotals()
        var entries: [SNATNodeStatus] = []
        for node in nodes.sorted(by: { $0.name < $1.name }) {
            let record = records[NodeHealingRecord.key(of: node)]
            let phase = rules.phase(of: node, record: record, now: now)
            totals[phase] += 1
            if phase == .healed { continue }
            entries.append(
                SNATNodeStatus(
                    name: node.name, uid: node.metadata.uid ?? "", phase: phase,
                    windowStartedAt: record?.windowStartedAt,
                    healsAt: record.flatMap { $0.isHealing ? rules.healsAt($0) : nil },
                    healedAt: record?.completedAt, podsCreated: record?.podsCreated ?? 0,
                    currentPod: record?.currentPod, consecutiveErrors: record?.consecutiveErrors ?? 0,
                    nextRetryAt: record?.nextRetryAt, lastError: record?.lastError))
        }
        self.init(
            dryRun: dryRun, healingDuration: rules.healingDuration.configText, asOf: now, totals: totals,
            nodes: entries,
            lastPassActions: Array(actions.prefix(100)), lastPassActionCount: actions.count)
    }
}

extension SNATStatus {
    /// What the status page shows: the totals, the nodes in their window with the window's progress, the
    /// nodes backing off with their last error, and the nodes that are not Ready.
    var statusPage: StatusPageSection {
        var notes = ["Healing window \(healingDuration); healed nodes are counted, not listed."]
        if dryRun { notes.insert("Dry run: the task only reports what it would do.", at: 0) }
        func item(_ node: SNATNodeStatus) -> StatusPageSection.Item {
            var progress: StatusPageSection.Progress?
            if let start = node.windowStartedAt, let end = node.healsAt {
                progress = StatusPageSection.Progress(start: start, end: end)
            }
            var facts: [StatusPageSection.Fact] = []
            if progress != nil || node.podsCreated > 0 {
                facts.append(StatusPageSection.Fact("pods created", .text(String(node.podsCreated))))
            }
            if let pod = node.currentPod { facts.append(StatusPageSection.Fact("current pod", .text(pod))) }
            if let healsAt = node.healsAt { facts.append(StatusPageSection.Fact("heals", .time(healsAt))) }
            if node.consecutiveErrors > 0 {
                facts.append(StatusPageSection.Fact("failures in a row", .text(String(node.consecutiveErrors))))
            }
            if let retry = node.nextRetryAt { facts.append(StatusPageSection.Fact("next try", .time(retry))) }
            return StatusPageSection.Item(
                name: node.name, state: node.phase.rawValue, progress: progress, facts: facts, error: node.lastError)
        }
        func nodes(_ phase: SNATNodePhase) -> [StatusPageSection.Item] {
            self.nodes.filter { $0.phase == phase }.map(item)
        }
        return StatusPageSection(
            notes: notes,
            counts: [
                StatusPageSection.Count("in window", totals.healing),
                StatusPageSection.Count("backing off", totals.backoff),
                StatusPageSection.Count("healed", totals.healed),
                StatusPageSection.Count("not Ready", totals.notReady),
            ],
            groups: [
                StatusPageSection.Group(
                    title: "In their window", items: nodes(.healing), emptyText: "No node is being healed."),
                StatusPageSection.Group(title: "Backing off", items: nodes(.backoff)),
                StatusPageSection.Group(title: "Not Ready", items: nodes(.notReady)),
            ])
    }
}
