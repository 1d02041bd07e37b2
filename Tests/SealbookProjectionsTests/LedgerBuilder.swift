import SealbookCore
import SealbookProjections
import SealbookRunbook

/// Builds a ledger's verified events in code: projections take verified events, so no
/// signatures are made; hashes and chain hashes are computed the format's way from stand-ins.
struct LedgerBuilder {
    var events: [VerifiedEvent] = []
    var seq: Int64 = 0
    var chain: Digest32 = .zero
    var streams: [String: (seq: Int64, hash: Digest32)] = [:]
    /// The time the next event gets; each event moves it on by one second.
    var now: Timestamp
    /// How long after its signed time the server records the next event (its `recordedAt`).
    var recordLagMs: Int64 = 0
    /// Actor → current key id.
    var keyOf: [String: String] = [:]

    static let t0 = "2026-03-02T10:00:00.000Z"

    init(start: String = LedgerBuilder.t0) {
        now = Timestamp(rfc3339: start)!
    }

    /// A key id derived from a label, e.g. `alice@fingood#1`.
    static func keyID(_ label: String) -> String { "ed25519:" + String(SHA256.hash(Array(label.utf8)).hex.prefix(16)) }

    func key(_ actor: String) -> String { keyOf[actor] ?? Self.keyID(actor) }

    /// Sets the clock to `minutes` (and `seconds`, `ms`) after `from` (default: t0).
    mutating func at(minutes: Int64 = 0, seconds: Int64 = 0, ms: Int64 = 0, from: String = LedgerBuilder.t0) {
        now = Timestamp(rfc3339: from)!.adding(milliseconds: minutes * 60_000 + seconds * 1_000 + ms)
    }

    mutating func advance(minutes: Int64 = 0, seconds: Int64 = 0, ms: Int64 = 0) {
        now = now.adding(milliseconds: minutes * 60_000 + seconds * 1_000 + ms)
    }

    @discardableResult
    mutating func add(_ stream: String, _ type: String, actor: String, key: String? = nil, _ data: JSONObject)
        -> VerifiedEvent
    {
        seq += 1
        let position = streams[stream] ?? (0, .zero)
        let body = try! EventBody(
            ledger: "fingood", stream: stream, streamSeq: position.seq + 1, streamPrev: position.hash, type: type,
            time: now.rfc3339, actor: actor, key: key ?? self.key(actor), data: data)
        let eventHash = SHA256.hash(Array("event \(seq)".utf8))
        chain = FormatV1.chainHash(seq: seq, previous: chain, eventHash: eventHash)
        streams[stream] = (position.seq + 1, eventHash)
        let e = VerifiedEvent(seq: seq, body: body, eventHash: eventHash, chainHash: chain, recordedAt: now.adding(milliseconds: recordLagMs).rfc3339)
        events.append(e)
        advance(seconds: 1)
        return e
    }

    // MARK: Keys

    static func keyData(_ id: String, _ actor: String, _ roles: [String]) -> JSONObject {
        JSONObject([
            (key: "key", value: .string(id)),
            (key: "publicKey", value: .string(String(repeating: "A", count: 43) + "=")),
            (key: "actor", value: .string(actor)), (key: "roles", value: .array(roles.map(JSONValue.string))),
        ])
    }

    /// The genesis with one admin root, then the usual team: alice (operator), bob (approver),
    /// dave (approver), carol (incident commander), ci (pipeline).
    mutating func standardKeys() {
        let root = Self.keyID("root@fingood")
        keyOf["root@fingood"] = root
        add(
            "ledger", "ledger.genesis", actor: "root@fingood",
            JSONObject([(key: "rootKeys", value: .array([.object(Self.keyData(root, "root@fingood", ["admin"]))]))]))
        enroll("alice@fingood", ["operator"])
        enroll("bob@fingood", ["approver"])
        enroll("dave@fingood", ["approver"])
        enroll("carol@fingood", ["incident-commander"])
        enroll("ci@fingood", ["pipeline"])
    }

    @discardableResult
    mutating func enroll(_ actor: String, _ roles: [String], label: String? = nil) -> String {
        let id = Self.keyID(label ?? actor)
        keyOf[actor] = id
        add("keys", "key.enrolled", actor: "root@fingood", Self.keyData(id, actor, roles))
        return id
    }

    mutating func revoke(_ keyID: String) {
        add("keys", "key.revoked", actor: "root@fingood", ["key": .string(keyID), "reason": "left the team"])
    }
}

/// A production session of the FinGood runbook, step by step.
struct SessionScript {
    var b: LedgerBuilder
    let stream: String
    let runbook = Runbook.builtIn
    var operatorActor = "alice@fingood"
    var commandCount = 0

    init(_ b: LedgerBuilder, id: String = "m1.0001") {
        self.b = b
        self.stream = "session/" + id
    }

    @discardableResult
    mutating func add(_ type: String, actor: String? = nil, key: String? = nil, _ data: JSONObject) -> VerifiedEvent {
        b.add(stream, type, actor: actor ?? operatorActor, key: key, data)
    }

    mutating func open(environment: String = "production", ticket: String? = "CHG-2031") {
        var d = JSONObject([
            (key: "runbook", value: runbook.reference.json), (key: "migrationId", value: "m1"),
            (key: "environment", value: .string(environment)),
            (key: "alembic", value: ["from": "a1", "to": "b2"]),
        ])
        if let ticket { d["changeTicket"] = .string(ticket) }
        add("session.opened", d)
    }

    mutating func item(_ id: String, _ status: String = "pass") {
        add("checklist.item.recorded", ["item": .string(id), "status": .string(status)])
    }

    mutating func document(_ kind: String) {
        add(
            "documentation.recorded",
            [
                "kind": .string(kind), "sha256": .string(String(repeating: "ab", count: 32)), "sizeBytes": 10,
                "location": "s3://docs/x",
            ])
    }

    mutating func validation(_ phase: String, _ check: String, _ result: String = "pass") {
        add("validation.recorded", ["phase": .string(phase), "check": .string(check), "result": .string(result)])
    }

    mutating func approve(
        _ actor: String = "bob@fingood", scope: String = "migration", key: String? = nil, revision: String = "b2"
    ) {
        add(
            "approval.granted", actor: actor, key: key,
            ["scope": .string(scope), "approves": ["migrationId": "m1", "revision": .string(revision)]])
    }

    mutating func command(_ argv: [String], outcome: String = "success", actor: String? = nil, audit: Bool = true) {
        commandCount += 1
        let id = "c\(commandCount)"
        var d: JSONObject = [
            "commandId": .string(id), "argv": .array(argv.map(JSONValue.string)), "cwd": "/srv",
            "environment": audit
                ? ["ENVIRONMENT": "production", "MIGRATION_AUDIT_ENABLED": "true"] : ["ENVIRONMENT": "production"],
        ]
        if argv.starts(with: ["alembic", "upgrade"]) { d["alembic"] = ["action": "upgrade"] }
        add("command.started", actor: actor, d)
        let digest: JSONValue = ["sha256": .string(String(repeating: "cd", count: 32)), "sizeBytes": 0]
        add(
            "command.finished", actor: actor,
            [
                "commandId": .string(id), "outcome": .string(outcome), "exitCode": outcome == "success" ? 0 : 1,
                "durationMs": 100, "stdout": digest, "stderr": digest,
            ])
    }

    mutating func upgrade(audit: Bool = true) {
        command(["alembic", "upgrade", "head"], audit: audit)
        add("migration.applied", ["fromRevision": "a1", "toRevision": "b2"])
    }

    /// Everything before the migration: documents, the 17 pre-migration lines, backup,
    /// notification, pre-validation, bob's approval.
    mutating func prepare(approve: Bool = true) {
        for kind in [
            "purpose", "risk-assessment", "testing-results", "rollback-plan", "performance-impact", "compliance-notes",
            "pre-execution-state",
        ] {
            document(kind)
        }
        for item in runbook.checklists.flatMap(\.items) { self.item(item.id) }
        add("backup.created", ["backupId": "bk-1", "method": "pg_basebackup", "location": "s3://bk/1"])
        add("backup.verified", ["backupId": "bk-1", "result": "pass", "restoreTested": true])
        add("notification.sent", ["audience": "operations-team", "channel": "chat", "subject": "maintenance window"])
        validation("pre", "validate-data")
        if approve { self.approve() }
    }

    /// After the migration: the three validation windows, the execution documents, the 12
    /// compliance lines, and the close.
    mutating func finish(close: Bool = true, migrationAt: Timestamp) {
        b.now = migrationAt.adding(milliseconds: 5 * 60_000)
        for check in ["validate-data", "health-check", "performance-baseline", "critical-functions"] {
            validation("immediate", check)
        }
        for kind in ["execution-log", "validation-results", "issues-encountered", "post-execution-state"] {
            document(kind)
        }
        b.now = migrationAt.adding(milliseconds: 60 * 60_000)
        for check in ["full-smoke-tests", "performance-monitoring", "user-acceptance", "compliance-validation"] {
            validation("extended", check)
        }
        b.now = migrationAt.adding(milliseconds: 5 * 3_600_000)
        for check in [
            "key-performance-indicators", "error-rates", "transaction-processing", "audit-trail-completeness",
        ] {
            validation("long-term", check)
        }
        for item in runbook.compliance.flatMap(\.items) { self.item(item.id) }
        if close { add("session.closed", ["outcome": "success", "alembicCurrent": "b2"]) }
    }
}

/// A complete, compliant production session, as a script to go on with.
func goodSessionScript(close: Bool = true) -> (script: SessionScript, migrationAt: Timestamp) {
    var b = LedgerBuilder()
    b.standardKeys()
    var s = SessionScript(b)
    s.open()
    s.prepare()
    s.b.at(minutes: 30)
    s.upgrade()
    let migrationAt = s.b.events.last!.time
    s.finish(close: close, migrationAt: migrationAt)
    return (s, migrationAt)
}

/// A complete, compliant production session: its events and the migration's time.
func goodSession(close: Bool = true) -> (events: [VerifiedEvent], migrationAt: Timestamp) {
    let (s, at) = goodSessionScript(close: close)
    return (s.b.events, at)
}

extension VerifiedEvent {
    var time: Timestamp { Timestamp(rfc3339: body.time)! }
}

extension ControlReport {
    func session(_ stream: String = "session/m1.0001") -> SessionReport { sessions.first { $0.stream == stream }! }
    func incident(_ id: String) -> IncidentReport { incidents.first { $0.incidentID == id }! }
}

extension SessionReport {
    func control(_ id: String) -> ControlResult { controls.first { $0.id == id }! }
    var statuses: [String: ControlStatus] { Dictionary(uniqueKeysWithValues: controls.map { ($0.id, $0.status) }) }
}

extension IncidentReport {
    func control(_ id: String) -> ControlResult { controls.first { $0.id == id }! }
}

func evaluate(_ events: [VerifiedEvent], asOf: String) -> ControlReport {
    try! LedgerProjection(events: events).evaluate(asOf: asOf)
}

func evaluate(_ events: [VerifiedEvent], at t: Timestamp) -> ControlReport {
    try! LedgerProjection(events: events).evaluate(at: t)
}

// MARK: - Scenarios

let hour: Int64 = 3_600_000
let minute: Int64 = 60_000

/// A production session that ran its migration with none of the paperwork, and closed.
func bareClosedSession() -> [VerifiedEvent] {
    var b = LedgerBuilder()
    b.standardKeys()
    var s = SessionScript(b)
    s.open(ticket: nil)
    s.b.at(minutes: 30)
    s.upgrade(audit: false)
    s.command(["python", "migrations/smoke_tests.py"], outcome: "failed")
    s.add("session.closed", ["outcome": "failed"])
    return s.b.events
}

/// A production session just opened (no ticket), nothing else yet.
func openedOnlySession() -> [VerifiedEvent] {
    var b = LedgerBuilder()
    b.standardKeys()
    var s = SessionScript(b)
    s.open(ticket: nil)
    return s.b.events
}

/// The good session up to its migration (applied at +30 min), nothing after.
func runningSession() -> (events: [VerifiedEvent], migrationAt: Timestamp) {
    var b = LedgerBuilder()
    b.standardKeys()
    var s = SessionScript(b)
    s.open()
    s.prepare()
    s.b.at(minutes: 30)
    s.upgrade()
    return (s.b.events, s.b.events.last!.time)
}

/// An incident script on stream `incident/<id>`.
struct IncidentScript {
    var b: LedgerBuilder
    let id: String
    var stream: String { "incident/" + id }
    var declaredAt: Timestamp = Timestamp(milliseconds: 0)

    init(_ b: LedgerBuilder, id: String = "INC-1") {
        self.b = b
        self.id = id
    }

    @discardableResult
    mutating func add(_ type: String, actor: String = "carol@fingood", _ data: JSONObject) -> VerifiedEvent {
        var d = data
        if type.hasPrefix("incident.") || type.hasPrefix("gdpr.") { d["incidentId"] = .string(id) }
        return b.add(stream, type, actor: actor, d)
    }

    /// Opens the incident at `at` (default: the builder's clock).
    mutating func open(level: Int64 = 2, session: String? = "session/m1.0001", at: Timestamp? = nil) {
        if let at { b.now = at }
        declaredAt = b.now
        var d: JSONObject = [
            "level": .number(JSONNumber(level)), "title": "fee rows lost", "trigger": "validate-data failed",
        ]
        if let session { d["sessionStream"] = .string(session) }
        add("incident.opened", d)
    }

    /// An action `ms` after the declaration.
    mutating func action(_ phase: String, afterMs ms: Int64, _ text: String = "done") {
        b.now = declaredAt.adding(milliseconds: ms)
        add("incident.action.recorded", ["phase": .string(phase), "action": .string(text)])
    }

    mutating func escalate(to level: Int64, afterMs ms: Int64) {
        b.now = declaredAt.adding(milliseconds: ms)
        add(
            "incident.escalated",
            ["fromLevel": .number(JSONNumber(level - 1)), "toLevel": .number(JSONNumber(level)), "reason": "worse"])
    }

    mutating func assess(risk: String, awareAt: Timestamp, full: Bool = true, justification: String? = nil) {
        var d: JSONObject = ["awareAt": .string(awareAt.rfc3339), "risk": .string(risk)]
        if let justification { d["justification"] = .string(justification) }
        if full {
            d["categories"] = ["customers"]
            d["approxSubjects"] = 1200
            d["likelyConsequences"] = "fee amounts wrong"
            d["measures"] = "restored from backup"
        }
        add("gdpr.breach.assessed", d)
    }

    mutating func notifyAuthority(at: Timestamp, delayReason: String? = nil) {
        var d: JSONObject = [
            "authority": "Example DPA", "notifiedAt": .string(at.rfc3339),
            "contents": [
                "nature": "fee rows altered", "dpoContact": "Data Protection Office", "consequences": "wrong fees",
                "measures": "restored",
            ],
        ]
        if let delayReason { d["delayReason"] = .string(delayReason) }
        add("gdpr.authority.notified", d)
    }
}

/// The good session, then an incident that follows the runbook and GDPR to the letter.
func goodIncident() -> (events: [VerifiedEvent], declaredAt: Timestamp) {
    let (s, migrationAt) = goodSessionScript(close: false)
    var i = IncidentScript(s.b)
    i.open(level: 2, at: migrationAt.adding(milliseconds: 6 * hour))
    i.action("immediate", afterMs: 1 * minute, "stopped all writes")
    i.action("assessment", afterMs: 8 * minute, "scope: fee table only")
    i.b.now = i.declaredAt.adding(milliseconds: 10 * minute)
    i.assess(risk: "high", awareAt: i.declaredAt.adding(milliseconds: 10 * minute))
    i.action("recovery", afterMs: 20 * minute, "restored the session backup")
    i.b.now = i.declaredAt.adding(milliseconds: 21 * minute)
    i.b.add(
        i.stream, "notification.sent", actor: "carol@fingood",
        ["audience": "data-subjects", "channel": "email", "subject": "about your fees"])
    i.notifyAuthority(at: i.declaredAt.adding(milliseconds: 24 * hour))
    i.b.now = i.declaredAt.adding(milliseconds: 25 * hour)
    i.add("incident.resolved", ["rootCause": "rounding in revision b2", "resolution": "rolled back to a1"])
    i.add("incident.closed", ["lessonsLearned": "test with production-size data"])
    return (i.b.events, i.declaredAt)
}

/// A production session with the good preparation but no approval, customised before and
/// after its migration (applied at +30 min); `finish` adds the post-migration records.
func customSession(
    keys: (inout LedgerBuilder) -> Void = { _ in },
    prepare: Bool = true,
    before: (inout SessionScript) -> Void,
    after: (inout SessionScript) -> Void = { _ in },
    finish: Bool = true
) -> (events: [VerifiedEvent], migrationAt: Timestamp) {
    var b = LedgerBuilder()
    b.standardKeys()
    keys(&b)
    var s = SessionScript(b)
    s.open()
    if prepare { s.prepare(approve: false) }
    before(&s)
    s.b.at(minutes: 30)
    s.upgrade()
    let migrationAt = s.b.events.last!.time
    after(&s)
    if finish { s.finish(migrationAt: migrationAt) }
    return (s.b.events, migrationAt)
}
