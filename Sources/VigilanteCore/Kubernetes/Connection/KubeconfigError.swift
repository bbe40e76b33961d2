/// A kubeconfig (or in-cluster configuration) that cannot be used, with a message naming the file, the
/// context and the field, for example `~/.kube/config: context "prod": user "x" not found in users`.
public struct KubeconfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file (as displayed, `~` for the home folder) or `in-cluster`.
    public var file: String
    /// The context involved, if any.
    public var context: String?
    /// What is wrong, naming the field.
    public var problem: String

    /// Creates an error.
    public init(file: String, context: String? = nil, problem: String) {
        self.file = file
        self.context = context
        self.problem = problem
    }

    public var description: String {
        if let context {
            return "\(file): context \"\(context)\": \(problem)"
        }
        return "\(file): \(problem)"
    }
}
