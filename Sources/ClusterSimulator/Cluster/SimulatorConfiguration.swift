/// How a ``ClusterSimulator`` serves and behaves.
public struct SimulatorConfiguration: Sendable {
    /// Address to bind.
    public var host: String = "127.0.0.1"
    /// Port to bind; 0 picks a free port (read it from ``ClusterSimulator/port``).
    public var port: Int = 0
    /// HTTPS with a CA generated at start (P-256); the serving certificate is valid for
    /// 127.0.0.1, localhost and ::1. false serves plain HTTP.
    public var tls: Bool = true
    /// Static bearer token of user "admin" in group system:masters (allowed everything).
    public var adminToken: String = "admin-token"
    /// true: a request without credentials is user system:anonymous (403 for resources, as a real
    /// server with default flags); false: it gets 401.
    public var anonymousAuthEnabled: Bool = true
    /// Pending → Running delay of a pod bound to a Ready node of the simulator's kubelet.
    public var podStartDelay: Duration = .milliseconds(500)
    /// How long the kubelet takes to confirm a graceful pod deletion (the pod stays Terminating).
    /// `gracePeriodSeconds=0` removes a pod at once, as the real server does.
    public var podTerminationDelay: Duration = .seconds(1)
    /// Watch events kept per resource for resuming watches; a watch from an older
    /// resourceVersion gets a 410 Expired ERROR event.
    public var watchHistoryLimit: Int = 10_000
    /// Interval of periodic BOOKMARK events on watches that asked for them (the real server: ~60 s).
    public var bookmarkInterval: Duration = .seconds(60)

    public init() {}
}
