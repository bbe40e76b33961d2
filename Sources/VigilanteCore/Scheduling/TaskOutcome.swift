/// How one reconcile pass ended, and so when the next one is due.
public enum TaskOutcome: Sendable, Equatable {
    /// All is as it should be for now; run again after the interval.
    case done
    /// Run again sooner (or later) than the interval, for example when a window ends in 5 s.
    case requeue(after: Duration)
    /// The pass could not do its work; the message is shown in status. Runs again after the interval.
    case failed(String)

    /// The label used in status and metrics.
    public var label: String {
        switch self {
        case .done: "done"
        case .requeue: "requeue"
        case .failed: "failed"
        }
    }
}
