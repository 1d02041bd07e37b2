public import SealbookCore
internal import SealbookProjections

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
    /// `--framework` names no framework.
    case unknownFramework(String)
    /// A template does not parse (a template file, or a `--templates` directory).
    case template(String)
    /// A bundle that cannot be read.
    case bundle(String)
    /// A bundle whose header is not a valid bundle header.
    case bundleInvalid(String)
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
        case .unknownFramework(let f):
            "--framework \"\(Self.clip(f))\": use sox, pci, gdpr, runbook or all"
        case .template(let m): "template error: \(m)"
        case .bundle(let m), .bundleInvalid(let m): m
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
    }

    /// One sentence for people.
    var sentence: String {
        if verified {
            return "verified: \(entries) entries, chain intact from seq 1 to \(lastSeq) (\(source))"
                + (rootPinned ? "; genesis signed by the pinned root key" : "; the root key was NOT pinned (pass --trust-root)")
        }
        return
            "UNVERIFIED: \(failureCount) entr\(failureCount == 1 ? "y does" : "ies do") not verify (\(source)); rendered with --allow-unverified"
    }
}

/// What a report reads: the events of one ledger up to one position (`seq`, `chainHash`), and
/// how the verification of that log went.
///
/// Only the events reports use are kept: the genesis and key events (streams `ledger` and
/// `keys`), every event of a `session/…` or `incident/…` stream, and the `incident.*` and
/// `gdpr.*` events of any stream (``isRelevant(stream:type:)``). Read from the database or from
/// a bundle, the same log gives the same snapshot, so the same report bytes.
public struct LedgerSnapshot: Sendable {
    /// One stored event as a storage hands it over.
    public struct Entry: Sendable {
        public let seq: Int64
        public let body: EventBody
        public let eventHash: Digest32
        public let chainHash: Digest32?

        public init(seq: Int64, body: EventBody, eventHash: Digest32, chainHash: Digest32?) {
            self.seq = seq
            self.body = body
            self.eventHash = eventHash
            self.chainHash = chainHash
        }
    }

    /// The ledger id (from the genesis).
    public let ledger: String
    /// The log position the report is computed from: the last `seq` and its `chainHash`.
    public let headSeq: Int64
    public let headChainHash: Digest32
    public let verification: VerificationSummary
    /// The kept events, `seq` ≤ ``headSeq``, in `seq` order.
    let events: [ProjectionEvent]

    /// The incident and GDPR event types (any stream) a report reads.
    public static let incidentTypes = [
        "incident.opened", "incident.escalated", "incident.action.recorded", "incident.resolved", "incident.closed",
        "gdpr.breach.assessed", "gdpr.authority.notified",
    ]

    /// Whether an event of this stream and type is one a report reads. A storage that reads
    /// selectively must read at least these: the whole `ledger` and `keys` streams, every
    /// `session/` and `incident/` stream, and ``incidentTypes`` wherever they are.
    public static func isRelevant(stream: String, type: String) -> Bool {
        stream == FormatV1.ledgerStream || stream == FormatV1.keysStream || stream.hasPrefix("session/")
            || stream.hasPrefix("incident/") || incidentTypes.contains(type)
    }

    /// A snapshot of `entries` (any order, duplicates by `seq` ignored) up to the position
    /// `headSeq`/`headChainHash`. Entries after the head and irrelevant ones are dropped.
    public init(ledger: String?, headSeq: Int64, headChainHash: Digest32, verification: VerificationSummary, entries: [Entry]) {
        var seen = Set<Int64>()
        let kept =
            entries
            .filter { $0.seq <= headSeq && Self.isRelevant(stream: $0.body.stream, type: $0.body.type) }
            .sorted { $0.seq < $1.seq }
            .filter { seen.insert($0.seq).inserted }
        events = kept.map {
            // recordedAt is left out on purpose: a bundle does not carry it, and the same log
            // must give the same report online and offline. Reports use signed times only.
            ProjectionEvent(seq: $0.seq, body: $0.body, eventHash: $0.eventHash, chainHash: $0.chainHash, recordedAt: nil)
        }
        self.ledger = ledger ?? kept.first?.body.ledger ?? "unknown"
        self.headSeq = headSeq
        self.headChainHash = headChainHash
        self.verification = verification
    }

    /// The number of events kept.
    public var eventCount: Int { events.count }

    /// The session ids (without `session/`) in the snapshot, sorted.
    public var sessionIDs: [String] {
        Set(events.map(\.body.stream).filter { $0.hasPrefix("session/") }).map { String($0.dropFirst("session/".count)) }.sorted()
    }

    /// The default `as_of`: the latest signed time among the events kept (never the clock), or
    /// the Unix epoch for an empty snapshot.
    public var defaultAsOf: String {
        events.compactMap { Timestamp(rfc3339: $0.body.time) }.max()?.rfc3339 ?? Timestamp(milliseconds: 0).rfc3339
    }

    // MARK: Bundles

    /// Verifies the bundle at `path` offline and reads its events (`docs/FORMAT.md` §6). The
    /// position is the verified head; when the bundle does not verify, the last entry that can
    /// be read.
    public static func bundle(path: String, options: VerifyOptions) throws(ReportError) -> LedgerSnapshot {
        let header: BundleHeader
        let report: VerificationReport
        do { (header, report) = try BundleVerifier.verify(path: path, options: options) } catch {
            if case .malformedHeader = error { throw .bundleInvalid(error.description) }
            throw .bundle(error.description)
        }
        var reader: LineReader
        do { reader = try LineReader(path: path) } catch { throw .bundle(error.description) }
        _ = reader.next()  // the header
        var entries: [Entry] = []
        var last: (seq: Int64, chain: Digest32)?
        while let line = reader.next() {
            guard !line.isEmpty, let v = try? JSONParser.parse(line, maxDepth: FormatV1.maxDepth + 1),
                let seq = v["seq"]?.int64Value, let bodyJSON = v["body"], let body = try? EventBody(json: bodyJSON),
                let eh = v["eventHash"]?.stringValue.flatMap({ Digest32(hex: $0) }),
                let ch = v["chainHash"]?.stringValue.flatMap({ Digest32(hex: $0) })
            else { continue }  // the verifier has reported it; an unverified report skips it
            entries.append(Entry(seq: seq, body: body, eventHash: eh, chainHash: ch))
            if seq > (last?.seq ?? 0) { last = (seq, ch) }
        }
        let summary = VerificationSummary(report, source: "bundle")
        let head = report.isValid ? (report.lastSeq, report.lastChainHash) : (last?.seq ?? 0, last?.chain ?? .zero)
        return LedgerSnapshot(
            ledger: report.ledger ?? header.ledger, headSeq: head.0, headChainHash: head.1, verification: summary,
            entries: entries)
    }
}
