public import SealbookCore
internal import SealbookProjections
internal import SealbookRunbook

/// The output formats of a report.
public enum ReportFormat: String, Sendable, CaseIterable {
    /// Markdown (`reports/<kind>.md.mustache`).
    case md
    /// One self-contained, printable HTML file (`reports/<kind>.html.mustache`).
    case html
    /// The report's canonical JSON (RFC 8785); schema `schemas/reports/report.schema.json`.
    case json
    /// OSCAL assessment-results JSON (RFC 8785); schema `schemas/reports/oscal_assessment-results_schema.json`.
    case oscal
}

/// The frameworks a compliance report can be limited to.
public enum FrameworkSelection: String, Sendable, CaseIterable {
    case sox, pci, gdpr, runbook, all

    /// The `framework` names of the control catalog files this selects.
    var names: [String] {
        switch self {
        case .sox: ["SOX"]
        case .pci: ["PCI DSS"]
        case .gdpr: ["GDPR"]
        case .runbook: ["Runbook"]
        case .all: ["SOX", "PCI DSS", "GDPR", "Runbook"]
        }
    }

    func includes(_ framework: String) -> Bool { self == .all || names.contains(framework) }

    var label: String {
        switch self {
        case .all: "all frameworks (SOX, PCI DSS, GDPR, Runbook)"
        default: names[0]
        }
    }
}

/// A runbook a report relied on, as the session recorded it, and whether the evaluation had
/// that exact runbook (id and SHA-256).
struct RunbookUse: Sendable, Hashable {
    let reference: RunbookReference
    let known: Bool
    /// Why it is listed when no session named it (an incident without a session).
    let note: String?
}

/// What every report states at its top.
struct ReportHeader: Sendable {
    let kind: Report.Kind
    let title: String
    let ledger: String
    let seq: Int64
    let chainHash: Digest32
    let asOf: Timestamp
    let verification: VerificationSummary
    let catalogSHA256: String
    let catalogFiles: [String]
    let runbooks: [RunbookUse]
    /// The report's parameters, in a fixed order.
    let parameters: [(name: String, value: String)]
}

/// A report computed from a ``LedgerSnapshot`` at an explicit `as_of`: a session, a period
/// across sessions (compliance), or an incident. Render it with ``ReportRenderer``.
///
/// A pure function of the snapshot's events, its position and `as_of`: the same inputs give
/// the same bytes in every format.
public struct Report: Sendable {
    public enum Kind: String, Sendable {
        case session, compliance, incident
    }

    public var kind: Kind { header.kind }
    let header: ReportHeader
    let content: Content
    /// The snapshot's events by `seq`, to describe the evidence a report cites.
    let events: [Int64: VerifiedEvent]

    enum Content: Sendable {
        case session(SessionContent)
        case compliance(ComplianceContent)
        case incident(IncidentContent)
    }

    /// The report's title.
    public var title: String { header.title }
    /// The log position it was computed from.
    public var position: (seq: Int64, chainHash: Digest32) { (header.seq, header.chainHash) }
    /// The `as_of` time, canonical RFC 3339.
    public var asOf: String { header.asOf.rfc3339 }
    /// Whether the log read verified.
    public var verified: Bool { header.verification.verified }
}

struct SessionContent: Sendable {
    let report: SessionReport
    /// The projection's JSON of the session (`ControlReport.json` `sessions[i]`).
    let json: JSONValue
    /// Every event of the session stream, in order.
    let timeline: [VerifiedEvent]
    let incidents: [IncidentReport]
    let incidentsJSON: [JSONValue]
}

struct IncidentContent: Sendable {
    let report: IncidentReport
    let json: JSONValue
}

// MARK: - Building

/// The projection and its evaluation, shared by the three kinds of report.
struct Evaluated {
    let projection: LedgerProjection
    let report: ControlReport
    let reportJSON: JSONValue
    let asOf: Timestamp
    let catalog: ControlCatalog

    init(_ snapshot: LedgerSnapshot, asOf: String?, catalog: ControlCatalog = .builtIn) throws(ReportError) {
        let text = asOf ?? snapshot.defaultAsOf
        guard let t = Timestamp(rfc3339: text) else { throw .invalidTime(option: "--as-of", value: text) }
        var p = LedgerProjection()
        // The snapshot's events are sorted by seq and unique, so apply cannot refuse them.
        for e in snapshot.events { try? p.apply(e) }
        projection = p
        self.asOf = t
        self.catalog = catalog
        report = p.evaluate(at: t, catalog: catalog)
        reportJSON = report.json
    }

    func sessionJSON(_ stream: String) -> JSONValue? {
        reportJSON["sessions"]?.arrayValue?.first { $0["stream"]?.stringValue == stream }
    }

    func incidentJSON(_ id: String) -> JSONValue? {
        reportJSON["incidents"]?.arrayValue?.first { $0["incidentId"]?.stringValue == id }
    }

    /// A control's JSON as the projection writes it, within a session or an incident.
    func controlJSON(subject: JSONValue?, id: String) -> JSONValue? {
        subject?["controls"]?.arrayValue?.first { $0["id"]?.stringValue == id }
    }
}

extension Report {
    /// The report of one session: its state, checklists, controls, timeline and the incidents
    /// opened from it. `session` is the id, with or without `session/`.
    public static func session(_ session: String, snapshot: LedgerSnapshot, asOf: String? = nil) throws(ReportError) -> Report {
        let id = StreamID.sessionID(session) ?? session
        let stream = StreamID.session(id)
        let ev = try Evaluated(snapshot, asOf: asOf)
        guard let s = ev.report.sessions.first(where: { $0.stream == stream }), let json = ev.sessionJSON(stream) else {
            throw .unknownSession(id, known: snapshot.sessionIDs)
        }
        let incidents = ev.report.incidents.filter { $0.sessionStream == stream }
        let runbooks = s.runbook.map { [RunbookUse(reference: $0, known: s.runbookKnown, note: nil)] } ?? []
        let header = ReportHeader(
            kind: .session, title: "Session report: \(id)", ledger: snapshot.ledger, seq: snapshot.headSeq,
            chainHash: snapshot.headChainHash, asOf: ev.asOf, verification: snapshot.verification,
            catalogSHA256: ev.catalog.sha256, catalogFiles: ev.catalog.files, runbooks: runbooks,
            parameters: [("session", id)])
        let content = SessionContent(
            report: s, json: json, timeline: ev.projection.sessionEvents(stream), incidents: incidents,
            incidentsJSON: incidents.compactMap { ev.incidentJSON($0.incidentID) })
        return Report(header: header, content: .session(content), events: Self.index(snapshot))
    }

    /// The report of one incident: identification, timeline, phases, escalations, rollbacks,
    /// the GDPR Art. 33 clock, root cause, actions, controls and evidence.
    public static func incident(_ incident: String, snapshot: LedgerSnapshot, asOf: String? = nil) throws(ReportError) -> Report {
        let ev = try Evaluated(snapshot, asOf: asOf)
        guard let r = ev.report.incidents.first(where: { $0.incidentID == incident }), let json = ev.incidentJSON(incident) else {
            throw .unknownIncident(incident, known: ev.report.incidents.map(\.incidentID))
        }
        var runbooks: [RunbookUse] = []
        if let stream = r.sessionStream, let s = ev.report.sessions.first(where: { $0.stream == stream }), let ref = s.runbook {
            runbooks = [RunbookUse(reference: ref, known: s.runbookKnown, note: nil)]
        } else if r.sessionStream == nil, let rb = LedgerProjection.builtInRunbooks.first {
            runbooks = [RunbookUse(reference: rb.reference, known: true, note: "built-in default: the incident names no session")]
        }
        let header = ReportHeader(
            kind: .incident, title: "Incident report: \(incident)", ledger: snapshot.ledger, seq: snapshot.headSeq,
            chainHash: snapshot.headChainHash, asOf: ev.asOf, verification: snapshot.verification,
            catalogSHA256: ev.catalog.sha256, catalogFiles: ev.catalog.files, runbooks: runbooks,
            parameters: [("incident", incident)])
        return Report(
            header: header, content: .incident(IncidentContent(report: r, json: json)), events: Self.index(snapshot))
    }

    /// The compliance report of a period: every session opened in `[from, to)` (the population
    /// auditors sample from), per-framework control results across it, the exceptions, and the
    /// incidents declared in the period. `from` and `to` are dates (`2026-03-01`: `to` is then
    /// inclusive, the whole day) or RFC 3339 times (`to` exclusive).
    public static func compliance(
        framework selection: FrameworkSelection, from: String, to: String, snapshot: LedgerSnapshot, asOf: String? = nil
    ) throws(ReportError) -> Report {
        guard let start = PeriodBound.parse(from, end: false) else { throw .invalidTime(option: "--from", value: from) }
        guard let end = PeriodBound.parse(to, end: true) else { throw .invalidTime(option: "--to", value: to) }
        guard start < end else { throw .emptyPeriod(from: start.rfc3339, to: end.rfc3339) }
        let ev = try Evaluated(snapshot, asOf: asOf)
        let content = ComplianceContent.build(ev, selection: selection, from: start, to: end)
        var seen = Set<RunbookUse>()
        let runbooks = content.population.compactMap { p in
            p.session.runbook.map { RunbookUse(reference: $0, known: p.session.runbookKnown, note: nil) }
        }
        .filter { seen.insert($0).inserted }
        .sorted {
            ($0.reference.id, $0.reference.version, $0.reference.sha256) < (
                $1.reference.id, $1.reference.version, $1.reference.sha256
            )
        }
        let header = ReportHeader(
            kind: .compliance,
            title:
                "Compliance report: \(selection == .all ? "all frameworks" : selection.names[0]), \(start.rfc3339) to \(end.rfc3339)",
            ledger: snapshot.ledger, seq: snapshot.headSeq, chainHash: snapshot.headChainHash, asOf: ev.asOf,
            verification: snapshot.verification, catalogSHA256: ev.catalog.sha256, catalogFiles: ev.catalog.files,
            runbooks: runbooks,
            parameters: [("framework", selection.rawValue), ("from", start.rfc3339), ("to", end.rfc3339)])
        return Report(header: header, content: .compliance(content), events: Self.index(snapshot))
    }

    static func index(_ snapshot: LedgerSnapshot) -> [Int64: VerifiedEvent] {
        Dictionary(snapshot.events.map { ($0.seq, $0) }, uniquingKeysWith: { a, _ in a })
    }
}

/// `--from` / `--to`: a date `YYYY-MM-DD` (UTC; as an end, the day is included, so the bound is
/// the next midnight) or an RFC 3339 time.
enum PeriodBound {
    static func parse(_ text: String, end: Bool) -> Timestamp? {
        if let t = Timestamp(rfc3339: text) { return t }
        guard let day = Timestamp(date: text) else { return nil }
        return end ? day.adding(milliseconds: 86_400_000) : day
    }
}
