/// One event of a watch stream.
public enum WatchEvent<R: KubernetesResource>: Sendable {
    /// The object was created, or started matching the selector.
    case added(R)
    /// The object changed.
    case modified(R)
    /// The object was deleted, or stopped matching the selector (carrying its last state).
    case deleted(R)
    /// Nothing to apply, but the stream has progressed to this resourceVersion.
    case bookmark(resourceVersion: String)
    /// The server ended the watch with an error, for example 410 Expired (restart with a fresh list).
    case error(Status)

    /// The resourceVersion this event moves the watch to, when it carries one.
    public var resourceVersion: String? {
        switch self {
        case .added(let object), .modified(let object), .deleted(let object):
            return object.metadata.resourceVersion
        case .bookmark(let resourceVersion):
            return resourceVersion
        case .error:
            return nil
        }
    }
}

/// Decodes one watch line `{"type":…,"object":…}` in a single pass.
struct WatchEventFrame<R: KubernetesResource>: Decodable {
    let event: WatchEvent<R>

    private enum CodingKeys: String, CodingKey {
        case type
        case object
    }

    private struct BookmarkObject: Decodable {
        struct Metadata: Decodable {
            var resourceVersion: String?
        }
        var metadata: Metadata?
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "ADDED":
            event = .added(try container.decode(R.self, forKey: .object))
        case "MODIFIED":
            event = .modified(try container.decode(R.self, forKey: .object))
        case "DELETED":
            event = .deleted(try container.decode(R.self, forKey: .object))
        case "BOOKMARK":
            let object = try container.decode(BookmarkObject.self, forKey: .object)
            guard let resourceVersion = object.metadata?.resourceVersion, !resourceVersion.isEmpty else {
                throw DecodingError.dataCorruptedError(
                    forKey: .object,
                    in: container,
                    debugDescription: "BOOKMARK without metadata.resourceVersion"
                )
            }
            event = .bookmark(resourceVersion: resourceVersion)
        case "ERROR":
            event = .error(try container.decode(Status.self, forKey: .object))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type,
                in: container,
                debugDescription: "unknown watch event type \"\(type)\""
            )
        }
    }
}
