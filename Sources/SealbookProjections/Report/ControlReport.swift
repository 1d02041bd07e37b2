public import SealbookCore
public import SealbookRunbook

/// The verdict of a control for one session or incident (compliance.md §1).
public enum ControlStatus: String, Sendable, CaseIterable, Comparable {
    case pass, fail, pending
    case notApplicable = "not-applicable"

    /// Worst first: fail, pending, pass, not-applicable.
    var severity: Int {
        switch self {
        case .fail: 3
        case .pending: 2
        case .pass: 1
        case .notApplicable: 0
        }
    }

    public static func < (a: ControlStatus, b: ControlStatus) -> Bool { a.severity < b.severity }
}

/// How recent a control's evidence is, kept apart from its status: a pass whose evidence has
/// aged out shows as expired rather than silently passing.
public enum Freshness: String, Sendable, CaseIterable {
    /// Evidence exists and is within the control's maximum age (or the control sets none).
    case current
    /// Within the maximum age, but inside the "due soon" margin before it runs out.
    case dueSoon = "due-soon"
    /// Older than the maximum age.
    case expired
    /// No evidence.
    case missing
}

/// A deviation a status carries: an emergency override, or a late GDPR notification with
/// reasons. Reports show it beside the status, so that it is never read as a plain pass.
public struct ControlException: Sendable, Equatable {
    /// `emergency-override` or `late-notification-with-reasons`.
    public let kind: String
    /// The events that constitute it (the override, the late notification).
    public let events: [EvidenceRef]
    /// What settled it (the retrospective approval), if anything did yet.
    public let settledBy: EvidenceRef?
    /// One sentence for people.
    public let note: String
}

/// One control's result for one session or incident.
public struct ControlResult: Sendable, Equatable {
    public let id: String
    public let title: String
    public let framework: String
    public let references: [String]
    public let covers: [String]
    public let status: ControlStatus
    /// nil when the control is not applicable.
    public let freshness: Freshness?
    /// The events that decide the status, by `seq` and `eventHash`: failed results of what the
    /// rule asks to pass first, then the rest, each part in `seq` order (docs/CONTROLS.md §2).
    public let evidence: [EvidenceRef]
    /// Why, in short sentences, in a stable order.
    public let reasons: [String]
    public let exception: ControlException?
}

extension ControlResult {
    /// This result with a reason for each piece of its evidence that was recorded after the
    /// session's close and counted because the runbook allows its type late (``LateEvent``),
    /// saying who recorded it and when: a verdict that rests on it says so.
    func markingLate(_ late: [LateEvent]) -> ControlResult {
        let counted = late.filter(\.counted)
        guard !counted.isEmpty else { return self }
        let cited = Set(evidence.map(\.seq))
        let notes = counted.filter { cited.contains($0.ref.seq) }.map {
            "\($0.type) at seq \($0.ref.seq) by \($0.actor) was recorded after the session's close (signed \($0.time)"
                + ($0.recordedAt.map { ", recorded \($0)" } ?? "") + "); the runbook counts it late"
        }
        guard !notes.isEmpty else { return self }
        return ControlResult(
            id: id, title: title, framework: framework, references: references, covers: covers, status: status,
            freshness: freshness, evidence: evidence, reasons: reasons + notes, exception: exception)
    }
}

/// One line of a runbook checklist as a session recorded it.
public struct ChecklistLine: Sendable, Equatable {
    public let item: String
    public let title: String
    public let critical: Bool
    /// `pass`, `fail`, `n/a` (the latest record), or `missing`.
    public let status: String
    public let value: String?
    public let unit: String?
    public let evidence: EvidenceRef?
}

/// A runbook checklist with each line's latest record.
public struct ChecklistView: Sendable, Equatable {
    public let id: String
    public let title: String
    /// `pre-migration` or `compliance`.
    public let stage: String
    public let lines: [ChecklistLine]
}

/// A session's state at the projection's position.
public struct SessionSummary: Sendable, Equatable {
    public let opened: EvidenceRef?
    public let openedAt: String?
    public let requester: String?
    public let closed: EvidenceRef?
    public let outcome: String?
    public let alembicFrom: String?
    public let alembicTo: String?
    public let alembicCurrent: String?
    /// What the session's approvals name and what `migration.applied` reached, beside the
    /// declared ``alembicTo``.
    public let approvedRevisions: [String]
    public let appliedRevisions: [String]
    public let migrationStarted: EvidenceRef?
    public let migrationCompleted: EvidenceRef?
    public let override: EvidenceRef?
    /// Actors who ran commands or moved the schema, sorted.
    public let executors: [String]
    public let eventCount: Int
    public let lastSeq: Int64
    /// Events of the session's stream recorded after its `session.closed`: listed, never
    /// counted by a control or a checklist (docs/CONTROLS.md §3.1).
    public let afterClose: [LateEvent]
}

/// An event recorded in a session's stream after the session closed.
public struct LateEvent: Sendable, Equatable {
    public let ref: EvidenceRef
    public let type: String
    public let actor: String
    /// The signed time.
    public let time: String
    /// When the server recorded it (nil from a bundle).
    public let recordedAt: String?
    /// Whether the session's runbook counts this type after the close (`Runbook.afterClose`):
    /// then the controls take it in, and the report marks it as recorded after the close.
    public let counted: Bool

    init(_ e: VerifiedEvent, counted: Bool) {
        ref = e.ref
        type = e.type
        actor = e.actor
        time = e.body.time
        recordedAt = e.recordedAt
        self.counted = counted
    }
}

/// Everything the report says about one session.
public struct SessionReport: Sendable, Equatable {
    public let stream: String
    public let sessionID: String
    public let migrationID: String?
    public let environment: String?
    public let changeTicket: String?
    /// What the session recorded about its runbook.
    public let runbook: RunbookReference?
    /// Whether that exact runbook (id and SHA-256) was given to the evaluation.
    public let runbookKnown: Bool
    public let state: SessionSummary
    public let checklists: [ChecklistView]
    public let controls: [ControlResult]
}

/// Counts of statuses.
public struct StatusCounts: Sendable, Equatable {
    public let pass: Int
    public let fail: Int
    public let pending: Int
    public let notApplicable: Int

    init(_ results: [ControlResult]) {
        pass = results.filter { $0.status == .pass }.count
        fail = results.filter { $0.status == .fail }.count
        pending = results.filter { $0.status == .pending }.count
        notApplicable = results.filter { $0.status == .notApplicable }.count
    }
}

/// The result of ``LedgerProjection/evaluate(asOf:catalog:runbooks:)``: every session and
/// incident with its controls, at one log position and one `as_of` time. The same events and
/// the same `as_of` give the same ``canonicalJSON()`` bytes.
public struct ControlReport: Sendable, Equatable {
    /// Names the report's JSON shape.
    public static let format = "sealbook.controls/1"

    public let asOf: Timestamp
    public let lastSeq: Int64
    public let lastChainHash: Digest32?
    public let eventCount: Int64
    /// ``ControlCatalog/sha256`` and ``ControlCatalog/files``: the rule set version.
    public let ruleSetSHA256: String
    public let ruleSetFiles: [String]
    public let sessions: [SessionReport]
    public let incidents: [IncidentReport]

    /// The report as JSON (see docs/CONTROLS.md §6 for its members).
    public var json: JSONValue {
        J.obj([
            ("format", .string(Self.format)),
            ("asOf", .string(asOf.rfc3339)),
            (
                "position",
                J.obj([
                    ("lastSeq", J.int(lastSeq)), ("lastChainHash", J.opt(lastChainHash?.hex)),
                    ("eventCount", J.int(eventCount)),
                ])
            ),
            ("ruleSet", J.obj([("sha256", .string(ruleSetSHA256)), ("files", J.strings(ruleSetFiles))])),
            ("sessions", .array(sessions.map(\.json))),
            ("incidents", .array(incidents.map(\.json))),
            ("summary", J.counts(StatusCounts((sessions.flatMap(\.controls) + incidents.flatMap(\.controls))))),
        ])
    }

    /// RFC 8785 canonical bytes of ``json``.
    public func canonicalJSON() -> [UInt8] { (try? JCS.canonicalize(json)) ?? [] }
}

// MARK: - JSON forms

/// Small builders for the report's JSON.
enum J {
    static func obj(_ members: [(String, JSONValue)]) -> JSONValue {
        .object(JSONObject(members.map { (key: $0.0, value: $0.1) }))
    }
    static func int(_ i: Int64) -> JSONValue { .number(JSONNumber(i)) }
    static func int(_ i: Int) -> JSONValue { .number(JSONNumber(Int64(i))) }
    static func opt(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
    static func opt(_ i: Int64?) -> JSONValue { i.map { int($0) } ?? .null }
    static func opt(_ b: Bool?) -> JSONValue { b.map(JSONValue.bool) ?? .null }
    static func strings(_ a: [String]) -> JSONValue { .array(a.map(JSONValue.string)) }
    static func ref(_ r: EvidenceRef?) -> JSONValue {
        guard let r else { return .null }
        return obj([("seq", int(r.seq)), ("eventHash", .string(r.eventHash.hex))])
    }
    static func refs(_ a: [EvidenceRef]) -> JSONValue { .array(a.map { ref($0) }) }
    static func counts(_ c: StatusCounts) -> JSONValue {
        obj([
            ("pass", int(c.pass)), ("fail", int(c.fail)), ("pending", int(c.pending)),
            ("notApplicable", int(c.notApplicable)),
        ])
    }
}

extension ControlException {
    var json: JSONValue {
        J.obj([
            ("kind", .string(kind)), ("events", J.refs(events)), ("settledBy", J.ref(settledBy)),
            ("note", .string(note)),
        ])
    }
}

extension ControlResult {
    /// The control's result as every report's JSON shows it (docs/CONTROLS.md §6).
    public var json: JSONValue {
        J.obj([
            ("id", .string(id)), ("title", .string(title)), ("framework", .string(framework)),
            ("references", J.strings(references)), ("covers", J.strings(covers)), ("status", .string(status.rawValue)),
            ("freshness", J.opt(freshness?.rawValue)), ("evidence", J.refs(evidence)), ("reasons", J.strings(reasons)),
            ("exception", exception?.json ?? .null),
        ])
    }
}

extension ChecklistView {
    /// The checklist as the session's JSON shows it.
    public var json: JSONValue {
        J.obj([
            ("id", .string(id)), ("title", .string(title)), ("stage", .string(stage)),
            (
                "lines",
                .array(
                    lines.map { l in
                        J.obj([
                            ("item", .string(l.item)), ("title", .string(l.title)), ("critical", .bool(l.critical)),
                            ("status", .string(l.status)), ("value", J.opt(l.value)), ("unit", J.opt(l.unit)),
                            ("evidence", J.ref(l.evidence)),
                        ])
                    })
            ),
        ])
    }
}

extension SessionSummary {
    /// The session's state as the session's JSON shows it (`state`).
    public var json: JSONValue {
        J.obj([
            ("opened", J.ref(opened)), ("openedAt", J.opt(openedAt)), ("requester", J.opt(requester)),
            ("closed", J.ref(closed)),
            ("outcome", J.opt(outcome)), ("alembicFrom", J.opt(alembicFrom)), ("alembicTo", J.opt(alembicTo)),
            ("alembicCurrent", J.opt(alembicCurrent)), ("approvedRevisions", J.strings(approvedRevisions)),
            ("appliedRevisions", J.strings(appliedRevisions)), ("migrationStarted", J.ref(migrationStarted)),
            ("migrationCompleted", J.ref(migrationCompleted)), ("override", J.ref(override)),
            ("executors", J.strings(executors)), ("eventCount", J.int(eventCount)), ("lastSeq", J.int(lastSeq)),
            (
                "afterClose",
                .array(
                    afterClose.map {
                        J.obj([
                            ("seq", J.int($0.ref.seq)), ("eventHash", .string($0.ref.eventHash.hex)), ("type", .string($0.type)),
                            ("actor", .string($0.actor)), ("time", .string($0.time)), ("recordedAt", J.opt($0.recordedAt)),
                            ("counted", .bool($0.counted)),
                        ])
                    })
            ),
        ])
    }
}

extension SessionReport {
    /// The session as ``ControlReport/json`` lists it under `sessions`.
    public var json: JSONValue {
        J.obj([
            ("stream", .string(stream)), ("sessionId", .string(sessionID)), ("migrationId", J.opt(migrationID)),
            ("environment", J.opt(environment)), ("changeTicket", J.opt(changeTicket)),
            (
                "runbook",
                runbook.map {
                    J.obj([
                        ("id", .string($0.id)), ("version", .string($0.version)), ("sha256", .string($0.sha256)),
                        ("known", .bool(runbookKnown)),
                    ])
                } ?? .null
            ),
            ("state", state.json), ("checklists", .array(checklists.map(\.json))),
            ("controls", .array(controls.map(\.json))), ("summary", J.counts(StatusCounts(controls))),
        ])
    }
}
