internal import SealbookCore
internal import SealbookPostgres
internal import SealbookReports
internal import SealbookRunbook

/// Which entries before a trusted checkpoint a read anchored by it takes (docs/FORMAT.md §12.5):
/// each is fetched by its stream or its type and proven in the checkpoint's tree, instead of
/// verifying the whole log again.
public struct PriorSelection: Sendable {
    /// Whole streams (their links are checked from streamSeq 1).
    public var streams: Set<String>
    /// Entries of these types, in any stream.
    public var types: Set<String>
    /// The streams in which an entry of these types occurs (e.g. `incident.opened`: every
    /// incident stream), taken whole.
    public var streamsHolding: Set<String>
    /// A session stream whose incidents are taken: each `incident.opened` that names it in
    /// `sessionStream`, then each such incident whole (below).
    public var incidentsOf: String?
    /// Incidents taken whole: their stream `incident/<id>`, and the incident and GDPR events of
    /// any stream that carry the id in `incidentId` (as a full read groups them).
    public var incidents: Set<String>

    public init(
        streams: Set<String> = [], types: Set<String> = [], streamsHolding: Set<String> = [], incidentsOf: String? = nil,
        incidents: Set<String> = []
    ) {
        self.streams = streams
        self.types = types
        self.streamsHolding = streamsHolding
        self.incidentsOf = incidentsOf
        self.incidents = incidents
    }
}

extension Ledger {
    /// A verified read that starts from the trusted checkpoint `cp` instead of seq 1: the log is
    /// verified since `cp` (``verify(since:reportAll:onVerified:progress:)``), the events after
    /// it that `selection` keeps are kept, and the events before it that `prior` names are read
    /// by stream or type and each checked — decoded, canonical, stored columns, event hash, a
    /// signature by a key valid at its `seq`, its inclusion in `cp`'s tree, and for whole
    /// streams the links from streamSeq 1. O(new entries + prior entries × log N).
    public func read(
        since cp: TrustedCheckpoint, selection: EventSelection, prior: PriorSelection, reportAll: Bool = false,
        progress: (Int64, Int64) -> Void = { _, _ in }
    ) throws -> VerifiedLog {
        let ring = try DataKeyRing.of(store)
        let collector = EventCollector(selection, ring: ring)
        let run = try verify(since: cp, reportAll: reportAll, onVerified: collector.take, progress: progress)
        guard run.report.resumedAt == cp.size, run.report.isValid || reportAll else {
            return VerifiedLog(source: "database", report: run.report, events: [])
        }
        var report = run.report
        let before = try priorEvents(since: cp, prior: prior, report: &report)
        let kept = before.filter { selection.keeps($0.body.stream, $0.body.type) }.map(ring.open) + collector.events
        return VerifiedLog(source: "database", report: report, events: kept)
    }

    /// The entries before `cp` that `prior` names, each checked (see
    /// ``read(since:selection:prior:reportAll:progress:)``) with the keys of `report` (a
    /// verification since `cp`); a check that fails is added to `report` as a
    /// `checkpoint-mismatch`, and then no entry is returned.
    func priorEvents(since cp: TrustedCheckpoint, prior: PriorSelection, report: inout VerificationReport) throws
        -> [VerifiedEvent]
    {
        let m = cp.size
        var rows: [Int64: StoredRow] = [:]
        var whole = prior.streams
        if !prior.streamsHolding.isEmpty {
            for r in try store.rows(ofTypes: Array(prior.streamsHolding), upTo: m) {
                if let s = r.columns?.stream { whole.insert(s) }
            }
        }
        var incidents = prior.incidents
        if let session = prior.incidentsOf {
            // The candidates come by the stored jsonb copy; each is checked against its signed
            // body below, and one whose body names another session is left out then.
            for r in try store.rows(ofTypes: ["incident.opened"], upTo: m, member: "sessionStream", in: [session]) {
                if let id = (try? JSONParser.parse(r.body))?["data"]?["incidentId"]?.stringValue { incidents.insert(id) }
            }
        }
        for id in incidents { whole.insert(StreamID.incident(id)) }
        for s in whole { for r in try store.rows(inStream: s, upTo: m) { rows[r.seq] = r } }
        for r in try store.rows(ofTypes: Array(prior.types), upTo: m) { rows[r.seq] = r }
        for r in try store.rows(ofTypes: LedgerSnapshot.incidentTypes, upTo: m, member: "incidentId", in: incidents.sorted()) {
            rows[r.seq] = r
        }
        // An incident's report shows the session its incident.opened names: that stream too.
        if prior.incidentsOf == nil {
            let linked = rows.values.filter { $0.columns?.type == "incident.opened" }.compactMap {
                (try? JSONParser.parse($0.body))?["data"]?["sessionStream"]?.stringValue
            }
            for s in Set(linked).subtracting(whole) where StreamID.isSession(s) {
                whole.insert(s)
                for r in try store.rows(inStream: s, upTo: m) { rows[r.seq] = r }
            }
        }
        let ordered = rows.values.sorted { $0.seq < $1.seq }
        var before: [VerifiedEvent] = []
        func fail(_ seq: Int64, _ stream: String?, _ detail: String) -> [VerifiedEvent] {
            report.failureCount += 1
            report.failures.append(VerificationFailure(seq: seq, line: nil, stream: stream, reason: .checkpointMismatch, detail: detail))
            return []
        }
        let entries: [(row: StoredRow, body: EventBody, hash: Digest32)]
        do { entries = try Self.anchoredEntries(ordered, size: m, root: cp.root, store: store) } catch {
            return fail(error.seq, error.stream, error.detail)
        }
        var positions: [String: (seq: Int64, hash: Digest32)] = [:]
        for e in entries {
            let b = e.body
            if whole.contains(b.stream) {
                let p = positions[b.stream] ?? (0, .zero)
                guard b.streamSeq == p.seq + 1, b.streamPrev == p.hash else {
                    return fail(e.row.seq, b.stream, "the stream is not linked at streamSeq \(b.streamSeq) before the checkpoint")
                }
                positions[b.stream] = (b.streamSeq, e.hash)
            }
            guard let key = report.keys[b.key], key.isValid(at: e.row.seq) || (key.isRoot && e.row.seq == 1),
                key.actor == b.actor,
                key.publicKey.isValidSignature(e.row.signature, for: FormatV1.signingMessage(e.row.body))
            else {
                return fail(e.row.seq, b.stream, "the entry is not signed by a key valid at its seq")
            }
            guard let chain = Digest32(bytes: e.row.chainHash) else { return fail(e.row.seq, b.stream, "a stored chain hash is not 32 bytes") }
            before.append(
                VerifiedEvent(seq: e.row.seq, body: b, eventHash: e.hash, chainHash: chain, recordedAt: e.row.columns?.recordedAt))
        }
        return before
    }
}

extension Ledger {
    /// What a report of `kind` reads before a checkpoint: the key history, and the session with
    /// its incidents (those whose `incident.opened` names it), or the incident, each incident
    /// whole. Proportional to what the report shows, not to the log. Nil for kinds that need
    /// every session (a period's compliance report reads the whole log).
    public static func priorSelection(session: String? = nil, incident: String? = nil) -> PriorSelection {
        var streams: Set<String> = [FormatV1.ledgerStream, FormatV1.keysStream]
        if let session { streams.insert(StreamID.session(session)) }
        return PriorSelection(
            streams: streams, incidentsOf: session.map(StreamID.session), incidents: incident.map { [$0] } ?? [])
    }
}
