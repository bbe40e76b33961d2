/// The operator's version, as the status page shows it. Kept equal to the chart's `appVersion`.
public enum OperatorVersion {
    /// The released version of this source tree.
    public static let current = "2.0.0"
}
