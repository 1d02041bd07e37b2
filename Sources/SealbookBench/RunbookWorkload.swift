internal import Foundation
internal import SealbookCore
internal import SealbookPostgres
internal import SealbookProjections
internal import SealbookRunbook

/// The runbook events of the big log and of scenario 9's long session: migration sessions of
/// the built-in FinGood runbook as operators, approvers, the pipeline and incident commanders
/// record them (documents, the checklists with measured values, backups, approvals, commands,
/// the migration, validations, monitoring, rollbacks, incidents with GDPR assessments),
/// shaped as `Tests/SealbookProjectionsTests/LedgerBuilder.swift` and the demo ledger build
/// them, with signed times that follow the runbook's windows.
///
/// The big log runs `slots` sessions side by side: event `i` belongs to slot `i % slots`, whose
/// `k`-th event (`k = i / slots`) is step `k % sessionLength` of its session number
/// `k / sessionLength`. Every session has exactly ``sessionLength`` events (its incident's
/// events included), so any event can be built from its index alone, in parallel.
enum RunbookWorkload {
    /// Events per session of the big log (session and incident streams together).
    static let sessionLength = 100
    /// The first session opens at this time; session `n` opens `n` × ``spacingMs`` later.
    static let start = Timestamp(rfc3339: "2026-01-05T08:00:00.000Z")!
    static let spacingMs: Int64 = 10 * 60_000
    /// The longest a session of the big log runs (its last event's offset is below this).
    static let sessionSpanMs: Int64 = 7 * 3_600_000
    static let runbook = Runbook.builtIn

    /// Who signs a step.
    enum Who: Sendable { case operator_, approver, commander, pipeline }

    /// How a session of the big log goes.
    enum Variant: String, Sendable, CaseIterable {
        /// Prepared, approved, migrated, validated for five hours, signed off: 75 %.
        case success
        /// Data validation fails right after the migration: a level-2 incident with a GDPR
        /// assessment and an authority notification, an immediate rollback: 10 %.
        case rolledBack = "rolled-back"
        /// The gate is overridden and the approval follows retrospectively: 5 %.
        case emergency
        /// Refused at the gate, closed as aborted: 10 %.
        case aborted
    }

    /// One session's names and times.
    struct Plan: Sendable {
        let number: Int
        let variant: Variant
        let id: String
        let stream: String
        let incidentID: String
        let incidentStream: String
        let migrationID: String
        let fromRevision: String
        let toRevision: String
        let ticket: String
        let opensAt: Timestamp

        init(number n: Int, variant: Variant? = nil, opensAt: Timestamp? = nil) {
            number = n
            self.variant = variant ?? RunbookWorkload.variant(n)
            migrationID = "\(String(format: "%04d", n % 10_000))_bench_change_\(n)"
            id = migrationID + "." + String(format: "%08x", UInt32(truncatingIfNeeded: n &* 2_654_435_761))
            stream = StreamID.session(id)
            incidentID = "INC-BENCH-\(n)"
            incidentStream = StreamID.incident(incidentID)
            fromRevision = n == 0 ? "0000_base" : "\(String(format: "%04d", (n - 1) % 10_000))_bench_change_\(n - 1)"
            toRevision = migrationID
            ticket = "CHG-\(20_000 + n)"
            self.opensAt = opensAt ?? RunbookWorkload.start.adding(milliseconds: Int64(n) * RunbookWorkload.spacingMs)
        }
    }

    /// One event of a session: its stream (the session's or its incident's), type, signer,
    /// offset from the session's opening, and data.
    struct Step: Sendable {
        let incident: Bool
        let type: String
        let who: Who
        let atMs: Int64
        let data: @Sendable (Plan) -> JSONObject
    }

    static func variant(_ n: Int) -> Variant {
        switch ((n &* 2_654_435_761) >> 8) % 20 {
        case 0...14: .success
        case 15, 16: .rolledBack
        case 17: .emergency
        default: .aborted
        }
    }

    /// The steps of each variant, ``sessionLength`` each.
    static let layouts: [Variant: [Step]] = Dictionary(
        uniqueKeysWithValues: Variant.allCases.map { ($0, layout($0, length: sessionLength)) })

    /// The session streams of the big log's slots as the last session of each left them, after
    /// `total` events over `slots` slots (scenario 7 appends to these, on both logs).
    static func lastSessionStreams(total: Int, slots: Int) -> [String] {
        lastSessions(total: total, slots: slots).map(\.stream)
    }

    /// The session each slot is on after `total` events over `slots` slots (the last it began).
    static func lastSessions(total: Int, slots: Int) -> [Plan] {
        (0..<slots).map { s in
            let count = total / slots + (s < total % slots ? 1 : 0)
            let j = max(0, count - 1) / sessionLength
            return Plan(number: j * slots + s)
        }
    }

    /// After every signed time of a big log of `total` events over `slots` slots.
    static func horizon(total: Int, slots: Int) -> Timestamp {
        let sessions = (total + sessionLength - 1) / sessionLength + slots
        return start.adding(milliseconds: Int64(sessions) * spacingMs + sessionSpanMs)
    }

    /// The stream, type, signer, time and data of event `k` of the session `plan` in `layout`.
    static func event(_ plan: Plan, step: Step) -> (stream: String, type: String, who: Who, time: String, data: JSONObject) {
        (
            step.incident ? plan.incidentStream : plan.stream, step.type, step.who,
            plan.opensAt.adding(milliseconds: step.atMs).rfc3339, step.data(plan)
        )
    }

    // MARK: Layouts

    /// Builds a session's steps, one second apart unless placed.
    struct Script {
        var steps: [Step] = []
        var t: Int64 = 0
        var commands = 0
        /// Steps in the session's own stream (not its incident's).
        var sessionSteps = 0

        mutating func at(_ ms: Int64) { t = max(t, ms) }

        mutating func add(
            _ type: String, _ who: Who, incident: Bool = false, _ data: @escaping @Sendable (Plan) -> JSONObject
        ) {
            steps.append(Step(incident: incident, type: type, who: who, atMs: t, data: data))
            if !incident { sessionSteps += 1 }
            t += 1_000
        }

        // Preparation.

        mutating func open() {
            add("session.opened", .operator_) { p in
                [
                    "runbook": RunbookWorkload.runbook.reference.json, "migrationId": .string(p.migrationID),
                    "environment": "production", "alembic": ["from": .string(p.fromRevision), "to": .string(p.toRevision)],
                    "changeTicket": .string(p.ticket), "description": "benchmark change: add and backfill a fee column",
                ]
            }
        }

        mutating func document(_ kind: String, _ who: Who = .operator_) {
            add("documentation.recorded", who) { p in
                [
                    "kind": .string(kind), "title": .string("\(kind): \(p.migrationID)"),
                    "sha256": RunbookWorkload.digest(kind, p.number), "sizeBytes": .number(JSONNumber(Int64(2_048 + p.number % 900))),
                    "location": .string("s3://fingood-docs/\(p.migrationID)/\(kind).md"),
                ]
            }
        }

        mutating func item(_ item: ChecklistItem, status: String = "pass", _ who: Who = .operator_) {
            add("checklist.item.recorded", who) { p in RunbookWorkload.itemData(item, status: status, p.number) }
        }

        mutating func validation(_ phase: String, _ check: String, _ result: String = "pass", details: String? = nil) {
            add("validation.recorded", .pipeline) { _ in
                var d: JSONObject = ["phase": .string(phase), "check": .string(check), "result": .string(result)]
                if let details { d["details"] = .string(details) }
                return d
            }
        }

        mutating func monitoring(_ k: Int) {
            add("monitoring.observation", .pipeline) { p in RunbookWorkload.observation(k + p.number) }
        }

        /// A command and its end: `argv` (`$to`: the target revision), the runbook step, how it
        /// ended. Returns the command id.
        @discardableResult
        mutating func command(
            _ argv: [String], step: String, outcome: String = "success", ms: Int64 = 1_800, alembic: (String, String?)? = nil,
            _ who: Who = .operator_
        ) -> String {
            commands += 1
            let id = "cmd-\(String(format: "%02d", commands))"
            add("command.started", who) { p in
                var d: JSONObject = [
                    "commandId": .string(id), "step": .string(step),
                    "argv": .array(argv.map { JSONValue.string($0 == "$to" ? p.toRevision : $0) }),
                    "cwd": "/srv/fingood/backend",
                    "environment": [
                        "ENVIRONMENT": "production", "MIGRATION_AUDIT_ENABLED": "true", "BACKUP_VERIFIED": "true",
                        "CHANGE_TICKET": .string(p.ticket),
                    ],
                ]
                if let (action, target) = alembic {
                    var a: JSONObject = ["action": .string(action)]
                    if let target { a["target"] = .string(target == "$to" ? p.toRevision : target) }
                    d["alembic"] = .object(a)
                }
                return d
            }
            t += ms
            add("command.finished", who) { p in
                [
                    "commandId": .string(id), "outcome": .string(outcome),
                    "exitCode": .number(JSONNumber(Int64(outcome == "success" ? 0 : 1))),
                    "durationMs": .number(JSONNumber(ms)),
                    "stdout": ["sha256": RunbookWorkload.digest("out" + id, p.number), "sizeBytes": 1_420],
                    "stderr": ["sha256": RunbookWorkload.digest("err" + id, p.number), "sizeBytes": 310],
                ]
            }
            return id
        }

        /// Documents, the pre-migration checklists, backup, notification, pre-validation and,
        /// unless `approve` is false, the independent approval.
        mutating func prepare(approve: Bool = true) {
            for kind in [
                "purpose", "risk-assessment", "testing-results", "rollback-plan", "performance-impact", "compliance-notes",
                "pre-execution-state",
            ] {
                document(kind)
            }
            for item in RunbookWorkload.runbook.checklists.flatMap(\.items) { self.item(item) }
            add("backup.created", .operator_) { p in
                [
                    "backupId": .string("bk-\(p.number)"), "method": "pg_basebackup",
                    "location": .string("s3://fingood-backups/\(p.id)"), "sha256": RunbookWorkload.digest("backup", p.number),
                    "sizeBytes": .number(JSONNumber(Int64(52_428_800 + p.number))),
                ]
            }
            add("backup.verified", .operator_) { p in
                [
                    "backupId": .string("bk-\(p.number)"), "result": "pass", "restoreTested": true,
                    "method": "pg_restore into a scratch database",
                ]
            }
            add("notification.sent", .operator_) { p in
                [
                    "audience": "operations", "channel": "ops-channel",
                    "subject": .string("maintenance window for \(p.migrationID) (\(p.ticket))"),
                ]
            }
            validation("pre", "validate-data", details: "row counts and checksums match the baseline")
            if approve { approval("migration") }
        }

        mutating func approval(_ scope: String) {
            add("approval.granted", .approver) { p in
                [
                    "scope": .string(scope), "approves": ["migrationId": .string(p.migrationID), "revision": .string(p.toRevision)],
                    "comment": .string("CAB approved \(p.ticket)"),
                ]
            }
        }

        /// `alembic current`, then at +30 min `alembic upgrade` and `migration.applied`.
        mutating func migrate() {
            command(["alembic", "current"], step: "pre-migration", ms: 400, alembic: ("current", nil))
            at(30 * 60_000)
            let id = command(["alembic", "upgrade", "$to"], step: "migration-execution", ms: 2_400, alembic: ("upgrade", "$to"))
            add("migration.applied", .operator_) { p in
                ["fromRevision": .string(p.fromRevision), "toRevision": .string(p.toRevision), "commandId": .string(id)]
            }
        }

        /// The validation windows, execution documents, monitoring and compliance sign-off.
        mutating func finish(observations: Int) {
            at(35 * 60_000)
            for check in ["validate-data", "health-check", "performance-baseline", "critical-functions"] {
                validation("immediate", check)
            }
            for kind in ["execution-log", "validation-results", "issues-encountered", "post-execution-state"] {
                document(kind)
            }
            for k in 0..<(observations / 2) {
                at(36 * 60_000 + Int64(k) * 120_000)
                monitoring(k)
            }
            at(60 * 60_000)
            for check in ["full-smoke-tests", "performance-monitoring", "user-acceptance", "compliance-validation"] {
                validation("extended", check)
            }
            for k in (observations / 2)..<observations {
                at(65 * 60_000 + Int64(k - observations / 2) * 300_000)
                monitoring(k)
            }
            at(5 * 3_600_000)
            for check in [
                "key-performance-indicators", "error-rates", "transaction-processing", "audit-trail-completeness",
            ] {
                validation("long-term", check)
            }
            for item in RunbookWorkload.runbook.compliance.flatMap(\.items) { self.item(item) }
        }

        mutating func close(_ outcome: String, current: String, summary: String) {
            add("session.closed", .operator_) { p in
                [
                    "outcome": .string(outcome), "alembicCurrent": .string(current == "$to" ? p.toRevision : p.fromRevision),
                    "summary": .string(summary),
                ]
            }
        }

        // Incidents.

        mutating func incident(_ type: String, _ who: Who = .commander, _ data: @escaping @Sendable (Plan) -> JSONObject) {
            add(type, who, incident: true) { p in
                var d = data(p)
                d["incidentId"] = .string(p.incidentID)
                return d
            }
        }

        mutating func action(_ phase: String, _ text: String) {
            incident("incident.action.recorded") { _ in ["phase": .string(phase), "action": .string(text)] }
        }
    }

    /// The steps of a session of the big log, padded to `length` with monitoring observations
    /// before the close.
    static func layout(_ variant: Variant, length: Int) -> [Step] {
        var s = Script()
        s.open()
        var close: (String, String, String)
        switch variant {
        case .success:
            s.prepare()
            s.migrate()
            s.finish(observations: 16)
            close = ("success", "$to", "applied; immediate, extended and long-term validation passed")
        case .emergency:
            s.prepare(approve: false)
            s.add("override.recorded", .operator_) { p in
                [
                    "gate": "production-gate",
                    "justification": .string("Emergency fix for failing settlements (\(p.ticket)); approval to follow"),
                    "missing": ["no approval.granted from an actor other than the executor"],
                ]
            }
            s.migrate()
            s.at(2 * 3_600_000)
            s.approval("retrospective")
            s.finish(observations: 14)
            close = ("success", "$to", "emergency change applied under override; approved retrospectively")
        case .aborted:
            s.document("purpose")
            s.document("risk-assessment")
            for item in runbook.checklists.flatMap(\.items).prefix(3) { s.item(item) }
            s.command(["alembic", "current"], step: "pre-migration", ms: 350, alembic: ("current", nil))
            close = ("aborted", "$from", "refused by the production gate: no approval, checklist incomplete")
        case .rolledBack:
            s.prepare()
            s.migrate()
            s.at(31 * 60_000)
            s.command(["python", "migrations/test_migrations.py", "--validate-data"], step: "immediate-validation", outcome: "failed", ms: 900)
            s.validation("immediate", "validate-data", "fail", details: "412 fee rows are one unit too high")
            s.at(31 * 60_000 + 30_000)
            s.incident("incident.opened", .operator_) { p in
                [
                    "level": 2, "title": "fee backfill wrote wrong amounts",
                    "trigger": "data validation failed after the migration", "sessionStream": .string(p.stream),
                ]
            }
            s.at(32 * 60_000)
            s.action("immediate", "stop all database writes")
            s.add("traffic.stopped", .commander) { p in
                ["scope": "writes", "reason": .string("incident \(p.incidentID): preserve the state, stop the damage")]
            }
            s.command(["pg_dump", "--format=custom", "--file", "/backups/state.dump", "fingood"], step: "incident-preserve-state", ms: 3_100)
            s.action("immediate", "preserved the post-migration state for investigation")
            s.at(33 * 60_000)
            s.add("rollback.started", .operator_) { p in
                ["kind": "immediate", "method": "alembic-downgrade", "reason": .string("data validation failed (\(p.incidentID))")]
            }
            let down = s.command(["alembic", "downgrade", "-1"], step: "immediate-rollback", ms: 2_000, alembic: ("downgrade", "-1"))
            s.add("migration.rolled-back", .operator_) { p in
                ["fromRevision": .string(p.toRevision), "toRevision": .string(p.fromRevision), "commandId": .string(down)]
            }
            s.command(["alembic", "current"], step: "immediate-rollback", ms: 400, alembic: ("current", nil))
            s.add("rollback.completed", .operator_) { p in
                ["kind": "immediate", "result": "success", "resultingRevision": .string(p.fromRevision)]
            }
            s.validation("post-rollback", "validate-data", details: "matches the baseline again")
            s.at(38 * 60_000)
            s.action("assessment", "scope: the fee table only; no other table changed")
            s.at(40 * 60_000)
            s.incident("gdpr.breach.assessed") { p in
                [
                    "awareAt": .string(p.opensAt.adding(milliseconds: 31 * 60_000 + 30_000).rfc3339), "risk": "risk",
                    "categories": ["account fees"], "approxSubjects": 412,
                    "likelyConsequences": "wrong fee amounts shown to customers for 2 minutes",
                    "measures": "immediate rollback; affected customers informed",
                ]
            }
            s.add("traffic.resumed", .commander) { _ in ["scope": "writes"] }
            s.at(50 * 60_000)
            s.action("recovery", "writes resumed after post-rollback validation")
            s.at(3 * 3_600_000)
            s.incident("gdpr.authority.notified") { p in
                [
                    "authority": "Example DPA", "notifiedAt": .string(p.opensAt.adding(milliseconds: 3 * 3_600_000).rfc3339),
                    "contents": [
                        "nature": "fee amounts altered by a migration", "dpoContact": "Data Protection Office",
                        "consequences": "wrong fees shown", "measures": "rolled back; customers informed",
                    ],
                ]
            }
            s.incident("incident.resolved") { _ in
                ["rootCause": "the backfill rounds fees up for negative balances", "resolution": "immediate rollback; data validated"]
            }
            s.incident("incident.closed") { _ in ["lessonsLearned": "validate the backfill on a copy of production data"] }
            s.document("issues-encountered")
            close = ("rolled-back", "$from", "data validation failed; immediate rollback")
        }
        var k = 0
        while s.steps.count < length - 1 {
            s.at(s.t + 60_000)
            s.monitoring(1_000 + k)
            k += 1
        }
        s.close(close.0, current: close.1, summary: close.2)
        precondition(s.steps.count == length, "a \(variant.rawValue) session needs \(s.steps.count) events, more than \(length)")
        precondition((s.steps.last?.atMs ?? 0) < sessionSpanMs, "a \(variant.rawValue) session runs past its span")
        return s.steps
    }

    /// Scenario 9's session: `events` events in its own stream (the lifecycle, then long runs
    /// of backfill commands, monitoring and probes re-measuring the environment, then a failed
    /// validation, a level-2 incident escalated to 3 with GDPR, a standard rollback and the
    /// close), and its incident's events in the incident stream.
    static func longSession(events: Int) -> [Step] {
        var s = Script()
        s.open()
        s.prepare()
        s.migrate()
        s.at(35 * 60_000)
        for check in ["validate-data", "health-check", "performance-baseline", "critical-functions"] {
            s.validation("immediate", check)
        }
        // The tail below has 30 session events; the rest are blocks of five.
        let probes = runbook.measurableItems
        var block = 0
        while s.sessionSteps + 5 <= events - 30 {
            let b = block
            s.command(
                ["python", "migrations/backfill_fee_rows.py", "--batch", String(b), "--size", "5000"], step: "data-backfill",
                ms: 900)
            s.monitoring(2 * b)
            s.monitoring(2 * b + 1)
            if let item = probes.isEmpty ? nil : probes[b % probes.count] { s.item(item, .pipeline) } else { s.monitoring(-b) }
            block += 1
        }
        s.validation("extended", "full-smoke-tests", "fail", details: "fee totals differ from the ledger by 0.3 %")
        let declared = s.t
        s.incident("incident.opened", .operator_) { p in
            ["level": 2, "title": "fee backfill drifts from the ledger", "trigger": "extended validation failed", "sessionStream": .string(p.stream)]
        }
        s.action("immediate", "paused the backfill and stopped writes")
        s.add("traffic.stopped", .commander) { p in ["scope": "writes", "reason": .string("incident \(p.incidentID)")] }
        s.incident("incident.escalated") { _ in ["fromLevel": 2, "toLevel": 3, "reason": "customer balances affected"] }
        s.action("immediate", "activated the incident response team")
        s.add("rollback.started", .commander) { p in
            ["kind": "standard", "method": "restore-session-backup", "reason": .string("fee drift (\(p.incidentID))")]
        }
        s.command(["pg_restore", "--clean", "--dbname", "fingood", "/backups/session.dump"], step: "standard-rollback", ms: 60_000)
        s.command(["alembic", "current"], step: "standard-rollback", ms: 400, alembic: ("current", nil))
        s.add("rollback.completed", .commander) { p in
            ["kind": "standard", "result": "success", "resultingRevision": .string(p.fromRevision)]
        }
        s.validation("post-rollback", "validate-data", details: "matches the backup")
        s.action("assessment", "balances restored from the session backup; 1,204 customers saw wrong fees")
        s.incident("gdpr.breach.assessed") { p in
            [
                "awareAt": .string(p.opensAt.adding(milliseconds: declared).rfc3339), "risk": "high",
                "categories": ["account fees", "balances"], "approxSubjects": 1_204,
                "likelyConsequences": "wrong fees charged", "measures": "restored; refunds issued",
            ]
        }
        s.add("traffic.resumed", .commander) { _ in ["scope": "writes"] }
        s.action("recovery", "service restored after validation")
        s.add(
            "notification.sent", .commander
        ) { _ in ["audience": "data-subjects", "channel": "email", "subject": "about your fees"] }
        s.at(declared + 20 * 3_600_000)
        let notified = s.t
        s.incident("gdpr.authority.notified") { p in
            [
                "authority": "Example DPA", "notifiedAt": .string(p.opensAt.adding(milliseconds: notified).rfc3339),
                "contents": [
                    "nature": "fee amounts altered", "dpoContact": "Data Protection Office", "consequences": "wrong fees",
                    "measures": "restored; refunds",
                ],
            ]
        }
        s.incident("incident.resolved") { _ in ["rootCause": "batch boundaries double-counted", "resolution": "restored the session backup"] }
        s.incident("incident.closed") { _ in ["lessonsLearned": "backfill in idempotent batches"] }
        for kind in ["execution-log", "validation-results", "issues-encountered", "post-execution-state"] { s.document(kind) }
        for item in runbook.compliance.flatMap(\.items) { s.item(item) }
        while s.sessionSteps < events - 1 { s.monitoring(50_000 + s.steps.count) }
        s.close("rolled-back", current: "$from", summary: "fee drift in the backfill; restored the session backup")
        return s.steps
    }

    // MARK: Data

    static let metrics: [(String, String)] = [
        ("db.latency-ms", "ms"), ("api.error-rate", "%"), ("replication.lag", "ms"), ("tx.throughput", "tps"),
        ("connections.used", "count"), ("cache.hit-ratio", "%"),
    ]

    static func observation(_ k: Int) -> JSONObject {
        let (metric, unit) = metrics[abs(k) % metrics.count]
        return [
            "metric": .string(metric), "value": .string("\(abs(k) % 977).\(abs(k) % 10)"), "unit": .string(unit),
            "window": "PT5M",
        ]
    }

    /// A checklist record: measured items carry a passing value, their unit, the threshold and
    /// where it was measured; the others who checked it.
    static func itemData(_ item: ChecklistItem, status: String, _ n: Int) -> JSONObject {
        var d: JSONObject = ["item": .string(item.id), "status": .string(status)]
        if let t = item.threshold {
            let limit = Double(t.value) ?? 0
            let v: Double =
                switch t.op {
                case .greaterThan, .greaterThanOrEqual: limit * 1.5 + 1
                case .lessThan, .lessThanOrEqual: limit * 0.5
                case .equal: limit
                }
            d["value"] = .string(t.op == .equal ? t.value : String(format: "%.1f", v))
            d["unit"] = .string(t.unit)
            d["threshold"] = ["op": .string(t.op.rawValue), "value": .string(t.value), "unit": .string(t.unit)]
            d["evidence"] = ["source": "sealbook probe", "target": .string("target=db-primary-\(n % 3)")]
        } else {
            d["evidence"] = ["checkedBy": "runbook review", "reference": .string("CHG-\(20_000 + n)")]
        }
        return d
    }

    /// A stand-in SHA-256 (documents, outputs, backups): 64 hex digits that vary per session.
    static func digest(_ label: String, _ n: Int) -> JSONValue {
        .string(SHA256.hash(Array("\(label) \(n)".utf8)).hex)
    }

    // MARK: Signing

    /// The key that signs `who`'s steps in session `n`.
    static func key(_ who: Who, _ n: Int, _ keys: Workload.Keys) -> KeyFile {
        let list: [KeyFile] =
            switch who {
            case .operator_: keys.operators
            case .approver: keys.approvers
            case .commander: keys.commanders
            case .pipeline: keys.writers
            }
        return list[n % list.count]
    }

    /// Event `step` of session `plan`, signed, at the stream position given.
    static func sign(
        _ plan: Plan, _ step: Step, position: (seq: Int64, hash: Digest32), keys: Workload.Keys
    ) throws -> SignedEvent {
        let e = event(plan, step: step)
        let key = key(e.who, plan.number, keys)
        let body = try EventBody(
            ledger: Workload.ledger, stream: e.stream, streamSeq: position.seq + 1, streamPrev: position.hash, type: e.type,
            time: e.time, actor: key.actor, key: key.keyID, data: e.data)
        return try SignedEvent(signing: body, with: key.privateKey)
    }

    /// Checks one session of every variant and a long session of `longEvents` against the
    /// event catalog (schemas and the signers' roles), as `sealbook` records them; returns the
    /// refusals (none expected).
    static func catalogRefusals(keys: Workload.Keys, longEvents: Int) -> [String] {
        let catalog = EventCatalog.builtIn
        var out: [String] = []
        let sessions: [(String, Plan, [Step])] =
            Variant.allCases.map { ($0.rawValue, Plan(number: 1, variant: $0), layouts[$0]!) }
            + [("long", Plan(number: 2), longSession(events: longEvents))]
        for (name, plan, steps) in sessions {
            for (i, step) in steps.enumerated() {
                let e = event(plan, step: step)
                let roles: Set<Role> =
                    switch e.who {
                    case .operator_: [.operator]
                    case .approver: [.approver]
                    case .commander: [.incidentCommander]
                    case .pipeline: [.pipeline]
                    }
                do { try catalog.check(type: e.type, data: e.data, signerRoles: roles) } catch {
                    out.append("\(name) step \(i) (\(e.type)): \(error)")
                }
            }
        }
        return out
    }
}
