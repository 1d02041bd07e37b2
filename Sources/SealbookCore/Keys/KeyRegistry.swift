/// Roles a key may hold (`docs/FORMAT.md` §4).
public enum Role: String, Sendable, CaseIterable, Codable, Comparable {
    case admin, `operator`, approver, incidentCommander = "incident-commander", auditor, pipeline
    /// Signs the log's checkpoints (docs/FORMAT.md §12): the log key.
    case log
    /// Erases data keys (`data.erased`, docs/FORMAT.md §13): GDPR Art. 17 by crypto-shredding.
    case privacyOfficer = "privacy-officer"

    public static func < (a: Role, b: Role) -> Bool { a.rawValue < b.rawValue }
}

/// A key as the log knows it: who holds it, what it may do, and when it became (in)valid.
public struct KeyRecord: Sendable, Equatable {
    public let keyID: String
    public let publicKey: Ed25519.PublicKey
    public let actor: String
    /// Known roles; role names this version does not know grant nothing and are kept only in
    /// ``unknownRoles``.
    public let roles: Set<Role>
    public let unknownRoles: [String]
    /// `seq` of the genesis or `key.enrolled` event.
    public let enrolledAt: Int64
    /// `seq` of the `key.revoked` event, if any.
    public var revokedAt: Int64?
    /// A root key listed in the genesis.
    public let isRoot: Bool

    /// True when an event at `seq` may be signed by this key.
    public func isValid(at seq: Int64) -> Bool {
        enrolledAt < seq && (revokedAt.map { seq < $0 } ?? true)
    }
}

/// The entry describing one key inside `rootKeys` or a `key.enrolled` event's data.
public struct KeyDescriptor: Sendable, Equatable {
    public let keyID: String
    public let publicKey: Ed25519.PublicKey
    public let actor: String
    public let roles: [String]

    public init(keyID: String, publicKey: Ed25519.PublicKey, actor: String, roles: [String]) {
        self.keyID = keyID
        self.publicKey = publicKey
        self.actor = actor
        self.roles = roles
    }

    /// Reads `{"key", "publicKey", "actor", "roles"}` (other members are ignored) and checks that the
    /// key id is the one derived from the public key. `path` names the object in errors.
    public init(json: JSONObject, path: String) throws(BodyError) {
        guard case .string(let keyID)? = json["key"] else { throw BodyError(path: "\(path).key", rule: "must be a string") }
        guard case .string(let pk)? = json["publicKey"] else {
            throw BodyError(path: "\(path).publicKey", rule: "must be a string")
        }
        guard case .string(let actor)? = json["actor"] else { throw BodyError(path: "\(path).actor", rule: "must be a string") }
        guard case .array(let rolesJSON)? = json["roles"] else {
            throw BodyError(path: "\(path).roles", rule: "must be an array of role names")
        }
        let publicKey: Ed25519.PublicKey
        do { publicKey = try Ed25519.PublicKey(base64: pk) } catch {
            throw BodyError(path: "\(path).publicKey", rule: "must be a 32-byte Ed25519 public key in standard base64")
        }
        guard publicKey.keyID == keyID else {
            throw BodyError(path: "\(path).key", rule: "must equal the id derived from publicKey (\(publicKey.keyID))")
        }
        guard FormatV1.isValidActor(actor) else { throw BodyError(path: "\(path).actor", rule: "must be a valid actor id") }
        var roles: [String] = []
        for (i, r) in rolesJSON.enumerated() {
            guard case .string(let s) = r else { throw BodyError(path: "\(path).roles[\(i)]", rule: "must be a string") }
            roles.append(s)
        }
        self.init(keyID: keyID, publicKey: publicKey, actor: actor, roles: roles)
    }

    /// The JSON form used in `rootKeys` and `key.enrolled` data.
    public var json: JSONObject {
        JSONObject([
            (key: "key", value: .string(keyID)),
            (key: "publicKey", value: .string(publicKey.base64)),
            (key: "actor", value: .string(actor)),
            (key: "roles", value: .array(roles.map { .string($0) })),
        ])
    }
}

/// The keys of one ledger as of some position in its log, built by folding the genesis,
/// `key.enrolled` and `key.revoked` events in `seq` order.
public struct KeyRegistry: Sendable {
    public private(set) var records: [String: KeyRecord] = [:]

    public init() {}

    /// Looks a key up.
    public func record(for keyID: String) -> KeyRecord? { records[keyID] }

    /// Why a key may not sign an event at `seq`, or nil when it may.
    public func refusal(keyID: String, actor: String, at seq: Int64) -> KeyRefusal? {
        guard let r = records[keyID], r.enrolledAt < seq else { return .unknownKey }
        if let rev = r.revokedAt, rev < seq { return .revoked(at: rev) }
        if r.actor != actor { return .actorMismatch(enrolledActor: r.actor) }
        return nil
    }

    /// Adds the genesis root keys (at `seq` 1).
    public mutating func addRoots(_ roots: [KeyDescriptor]) {
        for d in roots { add(d, at: 1, isRoot: true) }
    }

    /// Enrols a key at `seq`; throws if its id is already known (key ids are never reused).
    public mutating func enroll(_ d: KeyDescriptor, at seq: Int64) throws(KeyEventError) {
        if records[d.keyID] != nil { throw .alreadyEnrolled(d.keyID) }
        add(d, at: seq, isRoot: false)
    }

    /// Revokes a key at `seq`.
    public mutating func revoke(_ keyID: String, at seq: Int64) throws(KeyEventError) {
        guard var r = records[keyID] else { throw .notEnrolled(keyID) }
        if let rev = r.revokedAt { throw .alreadyRevoked(keyID, at: rev) }
        r.revokedAt = seq
        records[keyID] = r
    }

    private mutating func add(_ d: KeyDescriptor, at seq: Int64, isRoot: Bool) {
        let known = d.roles.compactMap(Role.init(rawValue:))
        let unknown = d.roles.filter { Role(rawValue: $0) == nil }
        records[d.keyID] = KeyRecord(
            keyID: d.keyID, publicKey: d.publicKey, actor: d.actor, roles: Set(known), unknownRoles: unknown,
            enrolledAt: seq, revokedAt: nil, isRoot: isRoot)
    }
}

/// Why a key may not sign.
public enum KeyRefusal: Sendable, Equatable {
    case unknownKey
    case revoked(at: Int64)
    case actorMismatch(enrolledActor: String)
}

/// A key event that cannot be applied.
public enum KeyEventError: Error, Sendable, Equatable, CustomStringConvertible {
    case alreadyEnrolled(String)
    case notEnrolled(String)
    case alreadyRevoked(String, at: Int64)

    public var description: String {
        switch self {
        case .alreadyEnrolled(let k): "key \(k) is already enrolled (key ids are never reused)"
        case .notEnrolled(let k): "key \(k) was never enrolled"
        case .alreadyRevoked(let k, let at): "key \(k) was already revoked at seq \(at)"
        }
    }
}

/// Reads the genesis data: `{"rootKeys": [descriptor, …]}` with at least one entry.
public func parseGenesisRoots(_ data: JSONObject) throws(BodyError) -> [KeyDescriptor] {
    guard case .array(let items)? = data["rootKeys"], !items.isEmpty else {
        throw BodyError(path: "data.rootKeys", rule: "must be a non-empty array of keys")
    }
    var out: [KeyDescriptor] = []
    var seen = Set<String>()
    for (i, item) in items.enumerated() {
        guard case .object(let o) = item else {
            throw BodyError(path: "data.rootKeys[\(i)]", rule: "must be an object")
        }
        let d = try KeyDescriptor(json: o, path: "data.rootKeys[\(i)]")
        guard seen.insert(d.keyID).inserted else {
            throw BodyError(path: "data.rootKeys[\(i)].key", rule: "is listed twice")
        }
        out.append(d)
    }
    return out
}

/// Reads `key.revoked` data: `{"key", "reason"}`.
public func parseRevocation(_ data: JSONObject) throws(BodyError) -> (keyID: String, reason: String) {
    guard case .string(let k)? = data["key"], FormatV1.isValidKeyID(k) else {
        throw BodyError(path: "data.key", rule: "must be a key id")
    }
    guard case .string(let reason)? = data["reason"] else { throw BodyError(path: "data.reason", rule: "must be a string") }
    return (k, reason)
}
