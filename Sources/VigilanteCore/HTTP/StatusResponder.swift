import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Prometheus

/// Answers every request of the status server. It never throws and never changes state: each
/// request gets a 2xx, a JSON 4xx, or 503 from `/healthz` and `/readyz` when the provider reports a
/// problem.
struct StatusResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    /// `Content-Type` of the Prometheus text exposition format.
    static let prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

    let provider: any StatusProvider
    let registry: PrometheusCollectorRegistry
    let metrics: StatusServerMetrics
    let limits: StatusServerLimits
    let metricHelp: MetricHelp
    let processMetrics: ProcessMetrics
    let logger: Logger

    func respond(to request: Request, context: Context) async throws -> Response {
        let (endpoint, answer) = await self.answer(request)
        metrics.recordRequest(endpoint: endpoint?.metricLabel ?? "other", code: answer.status.code)
        logger.debug(
            "status request",
            metadata: [
                "method": "\(request.method)", "path": "\(request.head.path ?? "")", "status": "\(answer.status.code)",
            ])
        var response = answer
        response.headers[.cacheControl] = "no-store"
        response.headers[Self.contentTypeOptions] = "nosniff"
        return request.method == .head ? response.createHeadResponse() : response
    }

    private static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!

    /// The endpoint the request addressed (nil when none) and its answer before common headers.
    private func answer(_ request: Request) async -> (StatusEndpoint?, Response) {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limits.maxBodySize {
            return (
                nil,
                error(.contentTooLarge, "PayloadTooLarge", "request bodies are limited to \(limits.maxBodySize) bytes")
            )
        }
        guard let path = request.head.path else {
            return (nil, error(.badRequest, "BadRequest", "the request target must be a path"))
        }
        let target: StatusRequestTarget
        do {
            target = try StatusRequestTarget(parsing: path)
        } catch .invalidPercentEncoding {
            return (nil, error(.badRequest, "BadRequest", "the request target has an invalid percent-encoding"))
        } catch {
            return (nil, self.error(.badRequest, "BadRequest", "the request target must be a path"))
        }
        guard let endpoint = StatusEndpoint(segments: target.segments) else {
            return (
                nil, error(.notFound, "NotFound", "no endpoint at this path; see /tasks, /healthz, /readyz, /metrics")
            )
        }
        guard request.method == .get || request.method == .head else {
            var response = error(
                .methodNotAllowed, "MethodNotAllowed",
                "\(request.method) is not allowed here; allowed: \(StatusEndpoint.allowedMethods)")
            response.headers[.allow] = StatusEndpoint.allowedMethods
            return (endpoint, response)
        }
        if endpoint == .metrics {
            return (endpoint, metricsAnswer())
        }
        if endpoint == .page {
            guard StatusResponseFormat.prefersHTML(accept: request.headers[.accept]) else {
                let message =
                    "no JSON at this path: / is the status page for browsers (Accept: text/html); "
                    + "see /tasks, /healthz, /readyz, /metrics"
                return (endpoint, error(.notFound, "NotFound", message))
            }
            return (endpoint, await pageAnswer())
        }
        let format: StatusResponseFormat
        do {
            format = try StatusResponseFormat(accept: request.headers[.accept], pretty: target.queryValue("pretty"))
        } catch {
            switch error {
            case .invalidPretty(let value):
                let message = "pretty must be empty, true, false, 1 or 0, not \"\(value)\""
                return (endpoint, self.error(.badRequest, "BadRequest", message))
            }
        }
        return (endpoint, await answer(endpoint, format: format))
    }

    private func answer(_ endpoint: StatusEndpoint, format: StatusResponseFormat) async -> Response {
        switch endpoint {
        case .taskList:
            if format == .json(pretty: false) {
                do {
                    return json(.ok, try await provider.taskStatusesJSON())
                } catch {
                    return encodingFailed(error)
                }
            }
            let entries = await provider.taskStatuses()
            return render(entries, format: format, status: .ok) { StatusTextRenderer.taskTable($0) }
        case .task(let name):
            if format == .json(pretty: false) {
                do {
                    guard let data = try await provider.taskStatusJSON(named: name) else { return noTask(name) }
                    return json(.ok, data)
                } catch {
                    return encodingFailed(error)
                }
            }
            guard let entry = await provider.taskStatuses().first(where: { $0.name == name }) else {
                return noTask(name)
            }
            return render(entry, format: format, status: .ok) { StatusTextRenderer.task($0) }
        case .healthz, .health:
            let report = LivenessReport(problem: await provider.livenessProblem())
            return render(report, format: format, status: report.isHealthy ? .ok : .serviceUnavailable) {
                StatusTextRenderer.liveness($0)
            }
        case .readyz:
            let report = ReadinessReport(checks: await provider.readinessChecks())
            return render(report, format: format, status: report.isReady ? .ok : .serviceUnavailable) {
                StatusTextRenderer.readiness($0)
            }
        case .metrics:
            return metricsAnswer()
        case .page:
            return await pageAnswer()
        }
    }

    /// The status page, from the same provider as `/tasks`, under a policy that lets nothing load or run.
    private func pageAnswer() async -> Response {
        let nonce = StatusPageRenderer.makeNonce()
        let html = StatusPageRenderer.page(
            tasks: await provider.taskStatuses(), summary: await provider.operatorSummary(), nonce: nonce)
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8",
                Self.contentSecurityPolicy: StatusPageRenderer.contentSecurityPolicy(nonce: nonce),
                Self.referrerPolicy: "no-referrer",
                Self.frameOptions: "DENY",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html))
        )
    }

    private static let contentSecurityPolicy = HTTPField.Name("Content-Security-Policy")!
    private static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    private static let frameOptions = HTTPField.Name("X-Frame-Options")!

    private func noTask(_ name: String) -> Response {
        error(.notFound, "NotFound", "no task named \"\(name)\"")
    }

    private func encodingFailed(_ error: any Error) -> Response {
        // Unreachable with StatusJSON's float strategy; reported honestly if it ever happens.
        logger.error("cannot encode a status answer", metadata: ["error": "\(error)"])
        return self.error(.internalServerError, "InternalError", "the answer could not be encoded")
    }

    private func metricsAnswer() -> Response {
        processMetrics.update()
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return Response(
            status: .ok,
            headers: [.contentType: Self.prometheusContentType],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: metricHelp.annotate(buffer)))
        )
    }

    private func render<Value: Encodable>(
        _ value: Value, format: StatusResponseFormat, status: HTTPResponse.Status, text: (Value) -> String
    ) -> Response {
        switch format {
        case .text:
            return Response(
                status: status,
                headers: [.contentType: "text/plain; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: text(value)))
            )
        case .json(let pretty):
            do {
                return json(status, try StatusJSON.encode(value, pretty: pretty))
            } catch {
                return encodingFailed(error)
            }
        }
    }

    private func error(_ status: HTTPResponse.Status, _ reason: String, _ message: String) -> Response {
        let body = StatusErrorBody(status: status.code, error: reason, message: message)
        return json(status, (try? StatusJSON.encode(body, pretty: false)) ?? Data())
    }

    private func json(_ status: HTTPResponse.Status, _ data: Data) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
