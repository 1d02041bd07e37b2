public import SealbookCore
public import SealbookRunbook

/// One verified event as projections take it: its global position, its body, its hashes and,
/// when the storage knows it, when the server recorded it.
///
/// Projections trust their input: build these from the entries the ``Verifier`` hands to
/// `onVerified` (``init(_:recordedAt:)``) or from rows a verified read returned. Every time a
/// projection compares is the body's signed `time`; `recordedAt` is carried for reports only
/// (a bundle does not have it, and the same log must give the same answer from a bundle).
///
/// Immutable, and a class: a projection, its evaluation and its reports put the same events in
/// many lists (per session, per type, per control's evidence), and each of those then holds a
/// reference instead of a copy of every body's strings and data.
public final class ProjectionEvent: Sendable {
    /// The global position in the log (1, 2, 3, …).
    public let seq: Int64
    /// The signed body.
    public let body: EventBody
    /// `SHA-256(bodyBytes || sig)`: with ``seq``, how reports cite the event.
    public let eventHash: Digest32
    /// The chain hash at this position, when the source gives it (the verifier and bundles do).
    public let chainHash: Digest32?
    /// When the server recorded the event (database reads only); not used in evaluation.
    public let recordedAt: String?

    /// An event at `seq`.
    public init(seq: Int64, body: EventBody, eventHash: Digest32, chainHash: Digest32? = nil, recordedAt: String? = nil)
    {
        self.seq = seq
        self.body = body
        self.eventHash = eventHash
        self.chainHash = chainHash
        self.recordedAt = recordedAt
    }

    /// An entry that passed the verifier (``Verifier/onVerified``).
    public convenience init(_ entry: VerifiedEntry, recordedAt: String? = nil) {
        self.init(
            seq: entry.seq, body: entry.body, eventHash: entry.eventHash, chainHash: entry.chainHash,
            recordedAt: recordedAt)
    }

    /// A session event as the runbook layer reads it back from the database.
    public convenience init(_ event: SessionEvent) {
        self.init(
            seq: event.seq, body: event.body, eventHash: event.eventHash, chainHash: nil, recordedAt: event.recordedAt)
    }

    /// The body's signed time. A body that exists has a valid time (``EventBody`` checks it).
    var time: Timestamp { Timestamp(rfc3339: body.time) ?? Timestamp(milliseconds: 0) }

    var type: String { body.type }
    var actor: String { body.actor }
    var data: JSONObject { body.data }

    /// How a report cites this event.
    var ref: EvidenceRef { EvidenceRef(seq: seq, eventHash: eventHash) }
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
    /// DESIGN.md 2.3), and its roles include `role`.
    public func held(_ role: Role, at seq: Int64) -> Bool {
        enrolledAt < seq && (revokedAt.map { seq < $0 } ?? true) && roles.contains(role.rawValue)
    }
}
