/// The JSON body of every error answer of the status server (`404`, `405`, `400`, `413`).
struct StatusErrorBody: Codable, Sendable, Equatable {
    /// The HTTP status code, repeated for clients that only keep the body.
    var status: Int
    /// A stable machine-readable reason: `NotFound`, `MethodNotAllowed`, `BadRequest`, `PayloadTooLarge`.
    var error: String
    /// What went wrong, for people.
    var message: String
}
