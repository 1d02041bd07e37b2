public import SealbookCore
internal import SealbookRunbook

/// What projections read of a ``VerifiedEvent`` (the one event type of the verified path).
/// Projections order and match events by the body's signed `time`; a control that proves
/// timeliness also measures the ``witnessed`` time (docs/CONTROLS.md §5).
extension VerifiedEvent {
    /// The body's signed time. A body that exists has a valid time (``EventBody`` checks it).
    var time: Timestamp { Timestamp(rfc3339: body.time) ?? Timestamp(milliseconds: 0) }

    /// When the event was on record (``witnessedTime``: the server's `recordedAt`, else the
    /// signed time).
    var witnessed: Timestamp { Timestamp(rfc3339: witnessedTime) ?? time }

    var actor: String { body.actor }

    /// How a report cites this event.
    var ref: EvidenceRef { EvidenceRef(seq: seq, eventHash: eventHash) }

    /// Whether this is a `command.started` of a change (docs/CONTROLS.md §3.1): `change` is
    /// true, or, in an event recorded before `change` existed, the command is an alembic upgrade.
    /// The first one is the session's `migration-started` anchor.
    var startsChange: Bool {
        guard type == "command.started" else { return false }
        if let change = data["change"]?.boolValue { return change }
        return data["alembic"]?["action"]?.stringValue == "upgrade"
    }
}

/// A piece of evidence: an event named by its position and its hash, so that anyone holding
/// the log (or a bundle of it) can find it and check it is the same event.
public struct EvidenceRef: Sendable, Hashable, Comparable {
    public let seq: Int64
    public let eventHash: Digest32

    public init(seq: Int64, eventHash: Digest32) {
        self.seq = seq
        self.eventHash = eventHash
    }

    public static func < (a: EvidenceRef, b: EvidenceRef) -> Bool { a.seq < b.seq }
}

/// A key as the log knew it: enrolled (or listed in the genesis) at one position, perhaps
/// revoked at a later one. Folded from `ledger.genesis`, `key.enrolled` and `key.revoked`.
public struct KeyHistory: Sendable, Equatable {
    /// `ed25519:…`
    public let keyID: String
    /// The enrolled actor.
    public let actor: String
    /// The role names it was enrolled with, sorted.
    public let roles: [String]
    /// The `seq` of the genesis or `key.enrolled` event.
    public let enrolledAt: Int64
    /// The `seq` of the `key.revoked` event, if any.
    public internal(set) var revokedAt: Int64?

    /// Whether an event at `seq` signed with this key was signed while the key held `role`: the
    /// key was enrolled at a smaller `seq` and not revoked at a smaller one (the verifier's rule,
    /// docs/FORMAT.md §4), and its roles include `role`.
    public func held(_ role: Role, at seq: Int64) -> Bool {
        enrolledAt < seq && (revokedAt.map { seq < $0 } ?? true) && roles.contains(role.rawValue)
    }
}
