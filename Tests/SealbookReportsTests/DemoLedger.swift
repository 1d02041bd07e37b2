import SealbookCore
import SealbookProjections
import SealbookReports
import SealbookRunbook

/// The demonstration's ledger (scripts/demo.sh), built in code with fixed times, so that its
/// reports are byte-for-byte the same on every run: one migration that succeeds, one whose
/// data validation fails, is rolled back within 5 minutes and opens a level-2 incident, and
/// one that the production gate refuses. Reports take verified events, so nothing is signed:
/// event hashes are stand-ins, chain hashes are computed the format's way from them.
struct DemoLedger {
    private(set) var entries: [VerifiedEvent] = []
    private var chain: Digest32 = .zero
    private var streams: [String: (seq: Int64, hash: Digest32)] = [:]
    var now: Timestamp
    /// When set, each event is recorded (`recordedAt`) this long after its signed time.
    var recordLagMs: Int64?
    let ledger = "fingood-demo"
    let runbook = Runbook.builtIn

    static let sessionA = "0002_add_fee_index.3f9a1c"
    static let sessionB = "0003_split_balance_columns.7d20e4"
    static let sessionC = "0003_split_balance_columns.b51a09"
    static let incident = "INC-20260302-0001"

    init(start: String = "2026-03-02T09:00:00.000Z") { now = Timestamp(rfc3339: start)! }

    static func key(_ actor: String) -> String { "ed25519:" + String(SHA256.hash(Array(actor.utf8)).hex.prefix(16)) }

    var head: (seq: Int64, chainHash: Digest32) { (Int64(entries.count), chain) }

    @discardableResult
    mutating func add(_ stream: String, _ type: String, _ actor: String, _ data: JSONObject, after seconds: Int64 = 1) -> Int64 {
        let seq = Int64(entries.count + 1)
        let position = streams[stream] ?? (0, .zero)
        let body = try! EventBody(
            ledger: ledger, stream: stream, streamSeq: position.seq + 1, streamPrev: position.hash, type: type,
            time: now.rfc3339, actor: actor, key: Self.key(actor), data: data)
        let eventHash = SHA256.hash(Array("demo event \(seq)".utf8))
        chain = FormatV1.chainHash(seq: seq, previous: chain, eventHash: eventHash)
        streams[stream] = (position.seq + 1, eventHash)
        entries.append(
            VerifiedEvent(
                seq: seq, body: body, eventHash: eventHash, chainHash: chain,
                recordedAt: recordLagMs.map { now.adding(milliseconds: $0).rfc3339 }))
        now = now.adding(milliseconds: seconds * 1_000)
        return seq
    }

    mutating func at(_ time: String) { now = Timestamp(rfc3339: time)! }

    /// The snapshot a verified read of this ledger gives.
    func snapshot(verified: Bool = true, through: Int64? = nil) -> LedgerSnapshot {
        let upTo = through ?? head.seq
        let chainAt = entries.first { $0.seq == upTo }?.chainHash ?? .zero
        let v = VerificationSummary(
            verified: verified, source: "database", entries: upTo, lastSeq: verified ? upTo : upTo - 3,
            lastChainHash: chainAt, rootPinned: verified, failureCount: verified ? 0 : 1,
            failures: verified
                ? [] : ["seq \(upTo - 2) stream session/\(Self.sessionA): bad-signature: the signature does not verify"])
        return LedgerSnapshot(ledger: ledger, headSeq: upTo, headChainHash: chainAt, verification: v, events: entries)
    }

    // MARK: Keys

    static func keyData(_ actor: String, _ roles: [String]) -> JSONObject {
        JSONObject([
            (key: "key", value: .string(key(actor))), (key: "publicKey", value: .string(String(repeating: "A", count: 43) + "=")),
            (key: "actor", value: .string(actor)), (key: "roles", value: .array(roles.map(JSONValue.string))),
        ])
    }

    mutating func keys() {
        add(
            FormatV1.ledgerStream, FormatV1.genesisType, "root@fingood",
            ["rootKeys": .array([.object(Self.keyData("root@fingood", ["admin"]))])])
        for (actor, role) in [
            ("dba-alice@fingood", "operator"), ("approver-bob@fingood", "approver"), ("ic-carol@fingood", "incident-commander"),
            ("ci-pipeline@fingood", "pipeline"),
        ] {
            add(FormatV1.keysStream, FormatV1.keyEnrolledType, "root@fingood", Self.keyData(actor, [role]))
        }
    }

    // MARK: Session steps

    static let alice = "dba-alice@fingood", bob = "approver-bob@fingood", carol = "ic-carol@fingood", ci = "ci-pipeline@fingood"

    static func digest(_ label: String) -> JSONValue { .string(SHA256.hash(Array(label.utf8)).hex) }

    mutating func open(_ id: String, migration: String, from: String, to: String, ticket: String) {
        add(
            "session/" + id, "session.opened", Self.alice,
            [
                "runbook": runbook.reference.json, "migrationId": .string(migration), "environment": "production",
                "alembic": ["from": .string(from), "to": .string(to)], "changeTicket": .string(ticket),
            ])
    }

    mutating func prepare(_ id: String, migration: String, revision: String, approve: Bool = true, items: Bool = true) {
        let s = "session/" + id
        for kind in [
            "purpose", "risk-assessment", "testing-results", "rollback-plan", "performance-impact", "compliance-notes",
            "pre-execution-state",
        ] {
            add(
                s, "documentation.recorded", Self.alice,
                [
                    "kind": .string(kind), "title": .string("\(kind): \(migration)"), "sha256": Self.digest(kind + id),
                    "sizeBytes": 2048, "location": .string("docs/\(migration)/\(kind).md"),
                ])
        }
        if items {
            for item in runbook.checklists.flatMap(\.items) {
                var d: JSONObject = ["item": .string(item.id), "status": "pass"]
                if item.id == "disk-space" {
                    d["value"] = "37.5"
                    d["unit"] = "percent"
                }
                add(s, "checklist.item.recorded", Self.alice, d)
            }
        }
        add(
            s, "backup.created", Self.alice,
            [
                "backupId": .string("bk-\(id)"), "method": "pg_dump", "location": .string("/backups/\(id).dump"),
                "sha256": Self.digest("backup" + id), "sizeBytes": 52_428_800,
            ])
        add(
            s, "backup.verified", Self.alice,
            [
                "backupId": .string("bk-\(id)"), "result": "pass", "restoreTested": true,
                "method": "pg_restore into a scratch database",
            ])
        add(
            s, "notification.sent", Self.alice,
            ["audience": "operations", "channel": "ops-channel", "subject": "maintenance window 10:00-11:00 UTC"])
        add(
            s, "validation.recorded", Self.alice,
            ["phase": "pre", "check": "validate-data", "result": "pass", "details": "matches the 0001 baseline"])
        if approve {
            add(
                s, "approval.granted", Self.bob,
                [
                    "scope": "migration", "approves": ["migrationId": .string(migration), "revision": .string(revision)],
                    "comment": "CAB approved",
                ])
        }
    }

    mutating func command(
        _ id: String, _ commandID: String, _ argv: [String], step: String, outcome: String = "success", exit: Int64 = 0,
        ms: Int64 = 1_800
    ) {
        let s = "session/" + id
        var started: JSONObject = [
            "commandId": .string(commandID), "step": .string(step), "argv": .array(argv.map(JSONValue.string)),
            "cwd": "/srv/fingood",
            "environment": ["ENVIRONMENT": "production", "MIGRATION_AUDIT_ENABLED": "true", "BACKUP_VERIFIED": "true"],
        ]
        if argv.first == "alembic", let action = argv.dropFirst().first,
            ["upgrade", "downgrade", "current", "history"].contains(action)
        {
            var a: JSONObject = ["action": .string(action)]
            if let target = argv.dropFirst(2).first { a["target"] = .string(target) }
            started["alembic"] = .object(a)
        }
        add(s, "command.started", Self.alice, started)
        add(
            s, "command.finished", Self.alice,
            [
                "commandId": .string(commandID), "outcome": .string(outcome), "exitCode": .number(JSONNumber(exit)),
                "durationMs": .number(JSONNumber(ms)), "stdout": ["sha256": Self.digest("out" + commandID), "sizeBytes": 120],
                "stderr": ["sha256": Self.digest("err" + commandID), "sizeBytes": 310],
            ])
    }

    // MARK: The demonstration

    /// The three sessions and the incident of scripts/demo.sh.
    static func demo() -> DemoLedger {
        var l = DemoLedger()
        l.keys()

        // A: 0002_add_fee_index succeeds.
        let a = sessionA
        l.at("2026-03-02T10:00:00.000Z")
        l.open(a, migration: "0002_add_fee_index", from: "0001_create_accounts", to: "0002_add_fee_index", ticket: "CHG-2031")
        l.prepare(a, migration: "0002_add_fee_index", revision: "0002_add_fee_index")
        l.at("2026-03-02T10:30:00.000Z")
        l.command(a, "c-a1", ["alembic", "upgrade", "0002_add_fee_index"], step: "migration-execution")
        l.add(
            "session/" + a, "migration.applied", alice,
            ["fromRevision": "0001_create_accounts", "toRevision": "0002_add_fee_index", "commandId": "c-a1"])
        l.command(a, "c-a2", ["alembic", "current"], step: "migration-execution", ms: 400)
        l.at("2026-03-02T10:33:00.000Z")
        for check in ["validate-data", "health-check", "performance-baseline", "critical-functions"] {
            l.add("session/" + a, "validation.recorded", ci, ["phase": "immediate", "check": .string(check), "result": "pass"])
        }
        l.add(
            "session/" + a, "monitoring.observation", ci,
            ["metric": "db_latency_ms", "value": "4.2", "unit": "ms", "window": "PT5M"])
        for check in ["compliance-validation", "audit-trail-completeness"] {
            l.add("session/" + a, "validation.recorded", ci, ["phase": "immediate", "check": .string(check), "result": "pass"])
        }
        // The compliance checklists (SOX, PCI DSS, GDPR), signed off after the migration.
        for item in l.runbook.compliance.flatMap(\.items) {
            l.add("session/" + a, "checklist.item.recorded", alice, ["item": .string(item.id), "status": "pass"])
        }
        // Session A stays open for its later validations (after session C below).

        // B: 0003_split_balance_columns fails its data validation, is rolled back, incident L2.
        let b = sessionB
        let sb = "session/" + b
        l.at("2026-03-02T11:00:00.000Z")
        l.open(
            b, migration: "0003_split_balance_columns", from: "0002_add_fee_index", to: "0003_split_balance_columns",
            ticket: "CHG-2032")
        l.prepare(b, migration: "0003_split_balance_columns", revision: "0003_split_balance_columns")
        l.at("2026-03-02T11:30:00.000Z")
        l.command(b, "c-b1", ["alembic", "upgrade", "head"], step: "migration-execution", ms: 2_400)
        l.add(
            sb, "migration.applied", alice,
            ["fromRevision": "0002_add_fee_index", "toRevision": "0003_split_balance_columns", "commandId": "c-b1"])
        l.at("2026-03-02T11:31:10.000Z")
        l.command(
            b, "c-b2", ["python", "demo/checks/validate_data.py"], step: "immediate-validation", outcome: "failed", exit: 1,
            ms: 900)
        l.add(
            sb, "validation.recorded", ci,
            ["phase": "immediate", "check": "validate-data", "result": "fail", "details": "500 balances are one unit too high"])
        let inc = "incident/" + incident
        l.at("2026-03-02T11:31:40.000Z")
        l.add(
            inc, "incident.opened", alice,
            [
                "incidentId": .string(incident), "level": 2, "title": "balance split lost cents",
                "trigger": "data validation failed after 0003", "sessionStream": .string(sb),
            ])
        l.at("2026-03-02T11:32:30.000Z")
        l.add(
            inc, "incident.action.recorded", carol,
            ["incidentId": .string(incident), "phase": "immediate", "action": "stop all database writes"])
        l.add(
            sb, "traffic.stopped", carol,
            ["scope": "writes", "reason": .string("incident \(incident): preserve the state, stop the damage")])
        l.command(
            b, "c-b3", ["pg_dump", "--format=custom", "--file", "/backups/state-7d20e4.dump", "fingood_demo"],
            step: "incident-preserve-state", ms: 3_100)
        l.add(
            sb, "backup.created", alice,
            [
                "backupId": "state-7d20e4", "method": "pg_dump", "location": "/backups/state-7d20e4.dump",
                "sha256": digest("state"), "sizeBytes": 52_400_000,
            ])
        l.add(
            inc, "incident.action.recorded", carol,
            [
                "incidentId": .string(incident), "phase": "immediate",
                "action": "preserved the post-migration state for investigation", "details": "backup state-7d20e4",
            ])
        l.add(
            inc, "gdpr.breach.assessed", carol,
            [
                "incidentId": .string(incident), "awareAt": "2026-03-02T11:31:40.000Z", "risk": "none",
                "categories": ["account balances"], "approxSubjects": 0,
                "likelyConsequences": "none: no balance left the database and none was shown to a customer",
                "measures": "rollback to 0002 before any statement ran",
                "justification": "pseudonymous balances only; no row left the database and the rollback restored them",
            ])
        l.at("2026-03-02T11:34:00.000Z")
        l.add(
            sb, "rollback.started", alice,
            [
                "kind": "immediate", "method": "alembic-downgrade",
                "reason": .string("data integrity validation failed (\(incident))"),
            ])
        l.command(b, "c-b4", ["alembic", "downgrade", "-1"], step: "immediate-rollback", ms: 2_000)
        l.add(
            sb, "migration.rolled-back", alice,
            ["fromRevision": "0003_split_balance_columns", "toRevision": "0002_add_fee_index", "commandId": "c-b4"])
        l.command(b, "c-b5", ["alembic", "current"], step: "immediate-rollback", ms: 400)
        l.add(
            sb, "rollback.completed", alice,
            ["kind": "immediate", "result": "success", "resultingRevision": "0002_add_fee_index"])
        l.add(
            sb, "validation.recorded", ci,
            ["phase": "post-rollback", "check": "validate-data", "result": "pass", "details": "matches the 0001 baseline again"])
        l.at("2026-03-02T11:38:00.000Z")
        l.add(
            inc, "incident.action.recorded", carol,
            [
                "incidentId": .string(incident), "phase": "assessment",
                "action": "scope: the balance split only; no other table changed",
            ])
        l.add(sb, "traffic.resumed", carol, ["scope": "writes"])
        l.at("2026-03-02T11:50:00.000Z")
        l.add(
            inc, "incident.action.recorded", carol,
            ["incidentId": .string(incident), "phase": "recovery", "action": "writes resumed after post-rollback validation"])
        l.add(
            inc, "incident.resolved", carol,
            [
                "incidentId": .string(incident), "rootCause": "0003 rounds balance_minor down for negative balances",
                "resolution": "immediate rollback to 0002_add_fee_index; data validated",
            ])
        l.add(
            inc, "incident.closed", carol,
            [
                "incidentId": .string(incident),
                "lessonsLearned": "validate the split on a copy of production data before the window",
            ])
        l.add(
            sb, "documentation.recorded", alice,
            [
                "kind": "issues-encountered", "sha256": digest("issues"), "sizeBytes": 900,
                "location": "docs/0003/validation-immediate.txt",
            ])
        l.add(
            sb, "session.closed", alice,
            [
                "outcome": "rolled-back", "alembicCurrent": "0002_add_fee_index",
                "summary": .string("data validation failed; immediate rollback to 0002_add_fee_index; incident \(incident)"),
            ])

        // C: a retry of 0003 with no approval and half the checklist: the gate refuses it.
        let c = sessionC
        l.at("2026-03-02T13:00:00.000Z")
        l.open(
            c, migration: "0003_split_balance_columns", from: "0002_add_fee_index", to: "0003_split_balance_columns",
            ticket: "CHG-2033")
        for item in ["backup-verification", "testing-complete", "database-health"] {
            l.add("session/" + c, "checklist.item.recorded", alice, ["item": .string(item), "status": "pass"])
        }
        l.command(c, "c-c1", ["alembic", "current"], step: "migration-execution", ms: 350)
        l.add(
            "session/" + c, "session.closed", alice,
            [
                "outcome": "aborted", "alembicCurrent": "0002_add_fee_index",
                "summary": "refused by the production gate: nothing recorded",
            ])
        // A, later: extended validation in its window (30 min to 4 h after the migration),
        // long-term monitoring after 4 h, the remaining documents, and the close.
        l.at("2026-03-02T13:30:00.000Z")
        l.add("session/" + a, "validation.recorded", ci, ["phase": "extended", "check": "performance-monitoring", "result": "pass"])
        l.at("2026-03-02T14:45:00.000Z")
        l.add("session/" + a, "validation.recorded", ci, ["phase": "long-term", "check": "performance-monitoring", "result": "pass"])
        for kind in ["execution-log", "validation-results", "issues-encountered", "post-execution-state"] {
            l.add(
                "session/" + a, "documentation.recorded", alice,
                [
                    "kind": .string(kind), "sha256": digest(kind + a), "sizeBytes": 4096,
                    "location": .string("docs/0002/\(kind).txt"),
                ])
        }
        l.add(
            "session/" + a, "session.closed", alice,
            [
                "outcome": "success", "alembicCurrent": "0002_add_fee_index",
                "summary": "0002_add_fee_index applied; immediate, extended and long-term validation passed",
            ])
        return l
    }
}
