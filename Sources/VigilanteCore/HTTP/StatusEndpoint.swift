/// The routes of the status server. Every one is read-only and answers `GET` and `HEAD`.
enum StatusEndpoint: Equatable {
    /// `GET /`: the status page, for clients that prefer `text/html` (browsers); others get 404 as
    /// before the page existed.
    case page
    /// `GET /tasks`: every registered task.
    case taskList
    /// `GET /tasks/{name}`: one task.
    case task(name: String)
    /// `GET /healthz`: liveness.
    case healthz
    /// `GET /health`: liveness under the original release's probe path.
    case health
    /// `GET /readyz`: readiness with the failing checks.
    case readyz
    /// `GET /metrics`: Prometheus text exposition.
    case metrics

    /// The methods every endpoint accepts, as the `Allow` header lists them.
    static let allowedMethods = "GET, HEAD"

    /// The endpoint at these decoded path segments, or nil for an unknown path.
    init?(segments: [String]) {
        switch segments.count {
        case 0:
            self = .page
        case 1:
            switch segments[0] {
            case "tasks": self = .taskList
            case "healthz": self = .healthz
            case "health": self = .health
            case "readyz": self = .readyz
            case "metrics": self = .metrics
            default: return nil
            }
        case 2 where segments[0] == "tasks" && !segments[1].isEmpty:
            self = .task(name: segments[1])
        default:
            return nil
        }
    }

    /// The value of the `endpoint` label in `vigilante_http_requests_total` (bounded: no task names).
    var metricLabel: String {
        switch self {
        case .page: "page"
        case .taskList: "tasks"
        case .task: "task"
        case .healthz: "healthz"
        case .health: "health"
        case .readyz: "readyz"
        case .metrics: "metrics"
        }
    }
}
