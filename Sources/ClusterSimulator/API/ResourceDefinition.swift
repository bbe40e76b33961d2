/// Everything the generic REST machinery needs to know to serve one resource in one API version.
///
/// Adding a resource means adding one value to ``ResourceRegistry/builtIn``; the hooks default to
/// "no special behaviour".
struct ResourceDefinition: Sendable {
    /// The write being made, for the hooks.
    enum Operation: Sendable { case create, update }

    var group: String
    var version: String
    /// Plural resource name (`nodes`).
    var resource: String
    var kind: String
    var singular: String
    var namespaced: Bool
    var shortNames: [String] = []
    /// Resources of different versions/groups that share objects use the same storage key.
    var storageKey: String
    /// Subresources served (`status`).
    var subresources: [String] = []
    /// The main resource ignores status changes and `/status` only changes status.
    var hasStatusSubresource: Bool { subresources.contains("status") }
    /// DELETE answers the object (pods, namespaces) instead of a `Status` Success.
    var returnsDeletedObject = false
    /// Names are RFC 1123 labels (namespaces) instead of subdomains.
    var dnsLabelNames = false
    /// The generic metadata validation (name format, labels, annotations) applies.
    var validatesMetadata = true
    /// How often an update reports each metadata error (the real node validation runs the
    /// metadata checks four times and lists every cause).
    var metadataCauseRepeatsOnUpdate = 1
    /// Top-level members whose initial values are not attributed to the creating manager
    /// (set by the registry strategy, not by defaulting).
    var managedFieldsExcludedOnCreate: [String] = ["status"]
    /// The API group named in Invalid errors: the internal (storage) group of converted versions.
    var validationGroup: String { fromStorage != nil ? "" : group }
    /// Field selector labels beyond metadata.name / metadata.namespace.
    var fieldLabels: [String: @Sendable (JSONValue) -> String?] = [:]
    /// Admission on create: defaults and mutations a new object gets (taints, pod defaults...).
    var admitCreate: @Sendable (inout JSONObject) -> Void = { _ in }
    /// Normalisation on every write: members Go always encodes (zero-value structs), member order.
    var normalize: @Sendable (inout JSONObject) -> Void = { _ in }
    /// Validation beyond metadata; returns causes of a 422.
    var validate: @Sendable (JSONValue, Operation) -> [APIError.Cause] = { _, _ in [] }
    /// Paths (within the object) of MicroTime fields checked on decode.
    var microTimeFields: [[String]] = []
    /// Removes members Go's decoder would not know; returns their paths ("spec.bogusField"). For the
    /// core group, from the recorded schemas (``KnownFields``); other groups are not checked.
    var dropUnknownFields: @Sendable (inout JSONObject) -> [String]
    /// Converts a stored object to this version (nil: stored in this version).
    var fromStorage: (@Sendable (JSONValue) -> JSONValue)?
    /// Converts an object of this version to the stored version.
    var toStorage: (@Sendable (JSONValue) -> JSONValue)?
    /// The members after `metadata` of the BOOKMARK object (the kind's zero value).
    var bookmarkBody: JSONObject = JSONObject()
    /// Verbs listed in discovery.
    var verbs: [String] = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    var qualifiedResource: String { group.isEmpty ? resource : "\(resource).\(group)" }

    init(
        group: String, version: String, resource: String, kind: String, namespaced: Bool, storageKey: String? = nil,
        singular: String? = nil
    ) {
        self.group = group
        self.version = version
        self.resource = resource
        self.kind = kind
        self.namespaced = namespaced
        self.storageKey = storageKey ?? (group.isEmpty ? resource : "\(resource).\(group)")
        self.singular = singular ?? kind.lowercased()
        if group.isEmpty {
            dropUnknownFields = { object in KnownFields.dropUnknown(kind: kind, from: &object) }
        } else {
            dropUnknownFields = { _ in [] }
        }
    }

    /// The value of a field selector label for an object, nil when unsupported.
    func fieldValue(_ label: String, of object: JSONValue) -> String? {
        switch label {
        case "metadata.name": return object["metadata"]["name"]?.stringValue ?? ""
        case "metadata.namespace" where namespaced: return object["metadata"]["namespace"]?.stringValue ?? ""
        default: return fieldLabels[label].map { $0(object) ?? "" }
        }
    }

    func supportsField(_ label: String) -> Bool {
        label == "metadata.name" || (label == "metadata.namespace" && namespaced) || fieldLabels[label] != nil
    }

    /// The object as this version presents it (converted, kind and apiVersion set first).
    func external(_ stored: JSONValue) -> JSONValue {
        guard let fromStorage else { return stored }
        return fromStorage(stored)
    }
}

/// ObjectMeta member order of the Go struct.
enum MetadataOrder {
    static let keys = [
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers",
        "managedFields",
    ]
    static let known = Set(keys)

    /// Puts kind/apiVersion/metadata first, orders metadata like Go and sorts the map members.
    static func normalizeEnvelope(_ object: inout JSONObject, leading: [String] = ["kind", "apiVersion", "metadata"]) {
        object.reorder(leading: leading)
        guard case .object(var metadata) = object["metadata"] else { return }
        metadata.reorder(leading: keys)
        for mapKey in ["labels", "annotations"] {
            if case .object(var map) = metadata[mapKey] {
                map.sortByKey()
                // Go omits empty maps and lists (omitempty).
                metadata[mapKey] = map.isEmpty ? nil : .object(map)
            } else if metadata[mapKey]?.isNull == true {
                metadata[mapKey] = nil
            }
        }
        for listKey in ["ownerReferences", "finalizers", "managedFields"] {
            if let value = metadata[listKey], value.isNull || value.arrayValue?.isEmpty == true {
                metadata[listKey] = nil
            }
        }
        object["metadata"] = .object(metadata)
    }
}
