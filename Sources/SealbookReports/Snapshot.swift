public import SealbookCore
internal import SealbookProjections
internal import SealbookRunbook

/// Why a report or a replay could not be made. Each message says what was wrong and what to do.
public enum ReportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No session stream `session/<id>` in the log read.
    case unknownSession(String, known: [String])
    /// No incident with this id in the log read.
    case unknownIncident(String, known: [String])
    /// An option that must be an RFC 3339 time (or a date) is not one.
    case invalidTime(option: String, value: String)
    /// `--from` is not before `--to`.
    case emptyPeriod(from: String, to: String)
    /// A template does not parse (a template file, or a `--templates` directory).
    case template(String)
    /// `--at` names a point outside the session.
    case replayPosition(String)

    public var description: String {
        switch self {
        case .unknownSession(let id, let known):
            "no session \"\(Self.clip(id))\" in this log; sessions: \(Self.list(known)) (see sealbook session list)"
        case .unknownIncident(let id, let known):
            "no incident \"\(Self.clip(id))\" in this log; incidents: \(Self.list(known))"
        case .invalidTime(let option, let value):
            "\(option) \"\(Self.clip(value))\" is not a date (2026-03-01) or an RFC 3339 time (2026-03-01T10:00:00Z)"
        case .emptyPeriod(let from, let to):
            "the period is empty: --from \(from) is not before --to \(to)"
        case .template(let m): "template error: \(m)"
        case .replayPosition(let m): m
        }
    }

    static func clip(_ s: String) -> String { s.count > 60 ? String(s.prefix(60)) + "…" : s }
    static func list(_ a: [String]) -> String {
        if a.isEmpty { return "none" }
        return a.prefix(10).joined(separator: ", ") + (a.count > 10 ? ", … (\(a.count) in all)" : "")
    }
}

/// How the verification of the log a report read went: stated at the top of every report.
public struct VerificationSummary: Sendable, Equatable {
    /// True when every entry verified.
    public let verified: Bool
    /// `database` (online) or `bundle` (offline).
    public let source: String
    public let entries: Int64
    public let lastSeq: Int64
    public let lastChainHash: Digest32
    /// True when the genesis was checked against a pinned root key.
    public let rootPinned: Bool
    public let failureCount: Int
    /// The first failures, one line each (at most ``maxListed``).
    public let failures: [String]
    /// For a verification since a trusted checkpoint: its size. The entries up to it were
    /// checked by their inclusion in the checkpoint's tree, those after it in full.
    public let since: Int64?

    /// Failures listed in a report; the rest are counted.
    public static let maxListed = 20

    /// The summary of a verifier's report.
    public init(_ r: VerificationReport, source: String) {
        verified = r.isValid
        self.source = source
        entries = r.entries
        lastSeq = r.lastSeq
        lastChainHash = r.lastChainHash
        rootPinned = r.rootPinned
        failureCount = r.failureCount
        failures = r.failures.prefix(Self.maxListed).map(\.description)
        since = r.resumedAt
    }

    /// A summary built by hand (tests, callers that verified by other means).
    public init(
        verified: Bool, source: String, entries: Int64, lastSeq: Int64, lastChainHash: Digest32, rootPinned: Bool,
        failureCount: Int = 0, failures: [String] = []
    ) {
        self.verified = verified
        self.source = source
        self.entries = entries
        self.lastSeq = lastSeq
        self.lastChainHash = lastChainHash
        self.rootPinned = rootPinned
        self.failureCount = failureCount
        self.failures = Array(failures.prefix(Self.maxListed))
        self.since = nil
    }

    /// One sentence for people.
    var sentence: String {
        if verified, let since {
            return "verified since the trusted checkpoint at seq \(since): the log extends it, and the \(entries) entries after it to seq \(lastSeq) verify (\(source))"
                + (rootPinned ? "; genesis signed by the pinned root key" : "; the root key was NOT pinned (pass --trust-root)")
        }
        if verified {
            return "verified: \(entries) entries, chain intact from seq 1 to \(lastSeq) (\(source))"
                + (rootPinned ? "; genesis signed by the pinned root key" : "; the root key was NOT pinned (pass --trust-root)")
        }
        return
            "UNVERIFIED: \(failureCount) entr\(failureCount == 1 ? "y does" : "ies do") not verify (\(source)); rendered with --allow-unverified"
    }
}

/// What a report reads: the verified events of one ledger up to one position (`seq`,
/// `chainHash`), and how the verification of that log went. Built from one verified read
/// (SealbookKit's `Ledger.read`), online or from a bundle.
///
/// Only the events reports use are kept: the genesis and key events (streams `ledger` and
/// `keys`), every event of a `session/…` or `incident/…` stream, and the `incident.*` and
/// `gdpr.*` events of any stream (``isRelevant(stream:type:)``). Read from the database or from
/// a bundle, the same log gives the same snapshot, so the same report bytes: reports use the
/// signed times only (a bundle carries no `recordedAt`).
public struct LedgerSnapshot: Sendable {
    /// The ledger id (from the genesis).
    public let ledger: String
    /// The log position the report is computed from: the last `seq` and its `chainHash`.
    public let headSeq: Int64
    public let headChainHash: Digest32
    public let verification: VerificationSummary
    /// The kept events, `seq` ≤ ``headSeq``, in `seq` order.
    let events: [VerifiedEvent]

    /// The incident and GDPR event types (any stream) a report reads.
    public static let incidentTypes = [
        "incident.opened", "incident.escalated", "incident.action.recorded", "incident.resolved", "incident.closed",
        "gdpr.breach.assessed", "gdpr.authority.notified",
    ]

    /// Whether an event of this stream and type is one a report reads: the whole `ledger` and
    /// `keys` streams, every `session/` and `incident/` stream, and ``incidentTypes`` wherever
    /// they are.
    public static func isRelevant(stream: String, type: String) -> Bool {
        stream == FormatV1.ledgerStream || stream == FormatV1.keysStream || StreamID.isSession(stream)
            || StreamID.isIncident(stream) || incidentTypes.contains(type)
    }

    /// A snapshot of verified `events` (in `seq` order, as a verified read returns them) up to
    /// the position `headSeq`/`headChainHash`. Events after the head and irrelevant ones are
    /// dropped.
    public init(ledger: String?, headSeq: Int64, headChainHash: Digest32, verification: VerificationSummary, events: [VerifiedEvent]) {
        var last: Int64 = 0
        var kept: [VerifiedEvent] = []
        kept.reserveCapacity(events.count)
        for e in events where e.seq <= headSeq && e.seq > last && Self.isRelevant(stream: e.body.stream, type: e.body.type) {
            kept.append(e)
            last = e.seq
        }
        self.events = kept
        self.ledger = ledger ?? kept.first?.body.ledger ?? "unknown"
        self.headSeq = headSeq
        self.headChainHash = headChainHash
        self.verification = verification
    }

    /// The number of events kept.
    public var eventCount: Int { events.count }

    /// The session ids (without `session/`) in the snapshot, sorted.
    public var sessionIDs: [String] {
        Set(events.compactMap { StreamID.sessionID($0.body.stream) }).sorted()
    }

    /// The default `as_of`: the latest signed time among the events kept (never the clock), or
    /// the Unix epoch for an empty snapshot.
    public var defaultAsOf: String {
        events.compactMap { Timestamp(rfc3339: $0.body.time) }.max()?.rfc3339 ?? Timestamp(milliseconds: 0).rfc3339
    }
}
