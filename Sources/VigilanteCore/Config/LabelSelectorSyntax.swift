import Foundation

/// Checks the syntax of a Kubernetes label selector (`a=b,c!=d,e in (f,g),!h`), returning a problem or nil.
public func validateLabelSelector(_ selector: String) -> String? {
    let requirement =
        #"\s*(!?[A-Za-z0-9][-A-Za-z0-9_./]*|[A-Za-z0-9][-A-Za-z0-9_./]*\s*(==|=|!=)\s*[-A-Za-z0-9_.]*|[A-Za-z0-9][-A-Za-z0-9_./]*\s+(in|notin)\s*\(\s*[-A-Za-z0-9_.]*(\s*,\s*[-A-Za-z0-9_.]*)*\s*\))\s*"#
    let pattern = "^\(requirement)(,\(requirement))*$"
    guard selector.range(of: pattern, options: .regularExpression) != nil else {
        return
            "is not a valid label selector (expected e.g. \"agentpool=win22,tier in (a,b),!excluded\"), got \"\(selector)\""
    }
    return nil
}
