import Foundation

/// The evicted-pod cleanup task's part of `GET /tasks`.
public struct EvictedPodCleanupStatus: Encodable, Sendable, Equatable {
    /// Whether the task only reports what it would delete.
    public var dryRun: Bool
    /// The configured minimum age (`1h`).
    public var minAge: String
    /// When the last pass ended; nil before the first pass.
    public var lastRunAt: Date?
    /// Evicted pods the last pass saw.
    public var evictedPods: Int
    /// Pods the last pass deleted (0 in dry-run).
    public var deletedLastRun: Int
    /// Pods the last pass would have deleted in dry-run.
    public var wouldDeleteLastRun: Int
    /// Pods deleted since the store was created (survives restarts).
    public var deletedTotal: Int
    /// Pods the last pass found gone (or replaced) when it deleted them.
    public var alreadyGoneLastRun: Int
    /// Deletions the last pass could not make.
    public var failedLastRun: Int
    /// Evicted pods the last pass kept, per rule.
    public var skippedLastRun: SkipCounts
    /// The last failed deletion (kept until a later one replaces it), and when it happened.
    public var lastError: String?
    /// When ``lastError`` happened.
    public var lastErrorAt: Date?
    /// What the last pass did (in dry-run: would have done), at most 100 entries.
    public var lastPassActions: [String]
    /// How many actions the last pass had in all.
    public var lastPassActionCount: Int
}
