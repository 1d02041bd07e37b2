// The event types Sealbook knows: one JSON Schema per type under schemas/events/<type>.json
// (built into the binary at build time), each naming in `x-sealbook-roles` the
// roles whose keys may sign that type. `check` is what an append runs before signing.

public import SealbookCore

/// Why an event may not be appended (``EventCatalog/check(type:data:signerRoles:)``).
public enum EventRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The type is not in the catalog and not under `custom.`.
    case unknownType(String)
    /// The signing key holds none of the roles that may sign this type.
    case roleNotAllowed(type: String, allowed: Set<Role>, held: Set<Role>)
    /// The data does not fit the type's schema: every violation found, in a stable order.
    case schema([SchemaViolation])
    /// The data holds a probable payment card number at `path` (the number is never kept).
    case cardNumber(path: String)

    public var description: String {
        switch self {
        case .unknownType(let type) where type == FormatV1.genesisType:
            return "event type \"\(type)\" is written only once, by `sealbook init`, at seq 1"
        case .unknownType(let type):
            return "unknown event type \"\(type)\": the catalog has no schema for it "
                + "(see docs/EVENTS.md); for free-form data use a type under \"custom.\", e.g. \"custom.\(type)\""
        case .roleNotAllowed(let type, let allowed, let held):
            let needs = allowed.count == 1 ? "role \(names(allowed))" : "one of the roles \(names(allowed))"
            let has = held.isEmpty ? "no role" : held.count == 1 ? "role \(names(held))" : "roles \(names(held))"
            return "event type \"\(type)\" may be signed only by a key with \(needs); this key holds \(has)"
        case .schema(let violations):
            if violations.count == 1 { return "data does not fit the schema: \(violations[0])" }
            return "data does not fit the schema (\(violations.count) problems): "
                + violations.map(\.description).joined(separator: "; ")
        case .cardNumber(let path):
            return CardNumberGuard.message(at: path)
        }
    }

    private func names(_ roles: Set<Role>) -> String { roles.sorted().map(\.rawValue).joined(separator: ", ") }
}

/// The event types with their schemas and the roles that may sign them.
public struct EventCatalog: Sendable {
    /// Types under this prefix are free-form: no schema, any enrolled key (but still signed,
    /// size-limited and checked for card numbers).
    public static let customPrefix = "custom."

    /// The catalog built into the binary, from the embedded `schemas/events/*.json`.
    public static let builtIn: EventCatalog = {
        do {
            return try EventCatalog(files: embeddedDataFiles)
        } catch {
            // The test suite loads the built-in schemas; reaching this is a build defect.
            preconditionFailure("the event schemas built into sealbook do not load: \(error)")
        }
    }()

    struct Entry: Sendable {
        let schema: JSONSchema
        let roles: Set<Role>
    }

    private let entries: [String: Entry]

    /// Builds a catalog from data files: every key `events/<type>.json` is the schema of
    /// `<type>`; other keys are ignored. Throws when a schema does not load, names no roles or
    /// an unknown role, does not describe a closed object (`"type": "object"` and
    /// `"additionalProperties": false`), has an `$id` other than `urn:sealbook:event:<type>`, or
    /// when the type name is not a valid event type, is under `custom.`, or is `ledger.genesis`.
    public init(files: [String: String]) throws(SchemaError) {
        var entries: [String: Entry] = [:]
        for (path, text) in files {
            guard path.hasPrefix("events/"), path.hasSuffix(".json") else { continue }
            let type = String(path.dropFirst("events/".count).dropLast(".json".count))
            func fail(_ pointer: String, _ message: String) -> SchemaError {
                SchemaError(source: path, pointer: pointer, message: message)
            }
            guard FormatV1.isValidType(type) else { throw fail("", "\"\(type)\" is not a valid event type name") }
            guard !type.hasPrefix(Self.customPrefix) else {
                throw fail("", "types under \"custom.\" are free-form and have no schema")
            }
            guard type != FormatV1.genesisType else { throw fail("", "\(type) is not an event an append may write") }
            let schema = try JSONSchema(text: text, source: path)
            guard schema.isClosedObject else {
                throw fail(
                    "",
                    "an event schema must have \"type\": \"object\" and \"additionalProperties\": false at the top level"
                )
            }
            if let id = schema.id, id != "urn:sealbook:event:\(type)" {
                throw fail("/$id", "must be \"urn:sealbook:event:\(type)\" (the file name gives the type)")
            }
            guard let names = schema.roles else {
                throw fail("", "x-sealbook-roles is missing: which roles may sign \(type)?")
            }
            var roles = Set<Role>()
            for (i, name) in names.enumerated() {
                guard let role = Role(rawValue: name) else {
                    throw fail(
                        "/x-sealbook-roles/\(i)",
                        "unknown role \"\(name)\" (roles: \(Role.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                roles.insert(role)
            }
            entries[type] = Entry(schema: schema, roles: roles)
        }
        self.entries = entries
    }

    /// The types that have a schema, sorted.
    public var types: [String] { entries.keys.sorted() }

    /// The schema of `type`, or nil when the catalog does not know it.
    public func schema(for type: String) -> JSONSchema? { entries[type]?.schema }

    /// The roles that may sign `type`, or nil when the catalog does not know it (a `custom.`
    /// type included: any enrolled key may sign those).
    public func allowedRoles(for type: String) -> Set<Role>? { entries[type]?.roles }

    /// Whether an event of `type` with `data`, signed by a key holding `signerRoles`, may be
    /// appended. In order:
    /// 1. the card-number guard, for every type (``EventRefusal/cardNumber(path:)``): first, so
    ///    that no later message can echo a member name or value that holds a card number;
    /// 2. a type under `custom.` is then accepted from any enrolled key, without a schema;
    /// 3. any other type must be in the catalog (``EventRefusal/unknownType(_:)``);
    /// 4. the key must hold one of the type's roles (``EventRefusal/roleNotAllowed(type:allowed:held:)``);
    /// 5. the data must fit the type's schema (``EventRefusal/schema(_:)``, with every violation).
    public func check(type: String, data: JSONObject, signerRoles: Set<Role>) throws(EventRefusal) {
        if let path = CardNumberGuard.findProbableCardNumber(in: .object(data), path: "data") {
            throw .cardNumber(path: path)
        }
        if type.hasPrefix(Self.customPrefix) { return }
        guard let entry = entries[type] else { throw .unknownType(type) }
        guard !entry.roles.isDisjoint(with: signerRoles) else {
            throw .roleNotAllowed(type: type, allowed: entry.roles, held: signerRoles)
        }
        let violations = entry.schema.validate(.object(data), at: "data")
        if !violations.isEmpty { throw .schema(violations) }
    }
}
