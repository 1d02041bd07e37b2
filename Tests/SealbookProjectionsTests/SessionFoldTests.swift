import SealbookCore
import SealbookProjections
import SealbookRunbook
import Testing

/// A small deterministic generator (SplitMix64), so that a failing seed can be run again.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A long production session made of random steps of every kind the controls read: checklist
/// records (pass, fail, n/a, measured), documents, validations, approvals (independent, by an
/// executor, for the wrong revision, withdrawn), commands (finished, failed, left running,
/// reused ids), the migration, overrides, rollbacks, backups, notifications, monitoring, keys
/// enrolled and revoked mid-session, an incident; signed times that mostly move on by seconds
/// or minutes but sometimes jump hours or days ahead, or go back.
func randomSession(seed: UInt64, steps: Int) -> (events: [VerifiedEvent], stream: String) {
    var rng = SeededRandom(seed: seed)
    var b = LedgerBuilder()
    b.standardKeys()
    var s = SessionScript(b)
    s.open()
    let runbook = Runbook.builtIn
    let items = (runbook.checklists + runbook.compliance).flatMap(\.items).map(\.id)
    let kinds = [
        "purpose", "risk-assessment", "testing-results", "rollback-plan", "performance-impact", "compliance-notes",
        "pre-execution-state", "execution-log", "validation-results", "issues-encountered", "post-execution-state",
    ]
    let checks = [
        "validate-data", "data-integrity", "health-check", "critical-functions", "performance-baseline",
        "performance-monitoring", "compliance-validation", "audit-trail-completeness", "full-smoke-tests",
    ]
    var running: [String] = []
    var commands = 0
    var closed = false
    func pick<T>(_ a: [T]) -> T { a[Int(rng.next() % UInt64(a.count))] }
    func chance(_ p: Double) -> Bool { Double(rng.next() % 10_000) / 10_000 < p }
    for _ in 0..<steps {
        // Time: mostly seconds to minutes; sometimes hours or days; sometimes backwards.
        let r = rng.next() % 100
        let delta: Int64 =
            r < 60
            ? Int64(rng.next() % 120) * 1_000
            : r < 85
                ? Int64(rng.next() % 50) * 60_000
                : r < 93 ? Int64(rng.next() % 30) * 3_600_000 : r < 96 ? Int64(rng.next() % 20) * 86_400_000 : -Int64(rng.next() % 40) * 60_000
        s.b.now = s.b.now.adding(milliseconds: delta)
        let actor = pick(["alice@fingood", "alice@fingood", "ci@fingood", "bob@fingood", "carol@fingood"])
        switch rng.next() % 22 {
        case 0, 1, 2, 3:
            var d: JSONObject = ["item": .string(pick(items)), "status": .string(pick(["pass", "pass", "pass", "fail", "n/a"]))]
            if chance(0.3) {
                d["value"] = .string("\(rng.next() % 100).5")
                d["unit"] = "percent"
            }
            s.add("checklist.item.recorded", actor: actor, d)
        case 4: s.document(pick(kinds))
        case 5, 6: s.validation(pick(["pre", "immediate", "extended", "long-term", "post-rollback"]), pick(checks), pick(["pass", "pass", "fail"]))
        case 7:
            s.approve(
                pick(["bob@fingood", "dave@fingood", "alice@fingood", "carol@fingood"]), scope: pick(["migration", "retrospective"]),
                revision: chance(0.8) ? "b2" : "zz")
        case 8:
            s.add(
                "approval.denied", actor: pick(["bob@fingood", "dave@fingood"]),
                ["scope": .string(pick(["migration", "retrospective"])), "reason": "not yet"])
        case 9, 10, 11:
            // A command starts (sometimes reusing an id, sometimes an upgrade), or one finishes.
            if !running.isEmpty && chance(0.55) {
                let id = running.removeFirst()
                let outcome = pick(["success", "success", "success", "failed", "killed"])
                s.add(
                    "command.finished", actor: actor,
                    ["commandId": .string(id), "outcome": .string(outcome), "exitCode": outcome == "success" ? 0 : 1, "durationMs": 5])
            } else {
                commands += 1
                let id = chance(0.1) && commands > 1 ? "c\(1 + rng.next() % UInt64(commands))" : "c\(commands)"
                let upgrade = chance(0.08)
                var d: JSONObject = [
                    "commandId": .string(id), "argv": upgrade ? ["alembic", "upgrade", "head"] : ["python", "backfill.py", .string(id)],
                    "cwd": "/srv", "environment": ["ENVIRONMENT": "production", "MIGRATION_AUDIT_ENABLED": chance(0.9) ? "true" : "false"],
                ]
                if upgrade { d["alembic"] = ["action": "upgrade"] }
                s.add("command.started", actor: actor, d)
                running.append(id)
            }
        case 12:
            s.add(
                pick(["migration.applied", "migration.applied", "migration.rolled-back"]), actor: actor,
                ["fromRevision": "a1", "toRevision": "b2"])
        case 13:
            if chance(0.3) {
                s.add("override.recorded", ["gate": "production-gate", "justification": "urgent", "missing": ["approval"]])
            } else {
                s.add("notification.sent", ["audience": "operations-team", "channel": "chat", "subject": "window"])
            }
        case 14:
            if chance(0.5) {
                s.add("rollback.started", ["kind": .string(pick(["immediate", "standard", "emergency"])), "method": "alembic-downgrade", "reason": "x"])
            } else {
                s.add("rollback.completed", ["kind": .string(pick(["immediate", "standard"])), "result": .string(pick(["success", "failed"]))])
            }
        case 15:
            if chance(0.5) {
                s.add("backup.created", ["backupId": "bk-1", "method": "pg_basebackup", "location": "s3://bk/1"])
            } else {
                s.add("backup.verified", ["backupId": "bk-1", "result": .string(pick(["pass", "fail"])), "restoreTested": true])
            }
        case 16, 17:
            s.add("monitoring.observation", actor: "ci@fingood", ["metric": "db.latency-ms", "value": "3.5", "unit": "ms"])
        case 18:
            // Keys move between the session's events.
            if chance(0.5) {
                s.b.enroll("erin@fingood", [pick(["approver", "operator"])], label: "erin#\(rng.next() % 3)")
            } else {
                s.b.revoke(LedgerBuilder.keyID(pick(["dave@fingood", "erin#0", "erin#1"])))
            }
        case 19:
            s.b.add(
                "incident/INC-R", pick(["incident.opened", "incident.action.recorded"]), actor: "carol@fingood",
                ["incidentId": "INC-R", "level": 2, "title": "t", "trigger": "x", "sessionStream": .string(s.stream), "phase": "immediate", "action": "a"])
        case 20:
            if !closed && chance(0.15) {
                closed = true
                s.add("session.closed", ["outcome": "success", "alembicCurrent": "b2"])
            } else {
                s.add("traffic.stopped", ["scope": "writes", "reason": "x"])
            }
        default:
            s.add("custom.note", ["text": "n"])
        }
    }
    return (s.b.events, s.stream)
}

@Suite("SessionFold: a session's report kept up to date event by event")
struct SessionFoldTests {
    /// After every event, at the event's time and at times around it (before it, hours and days
    /// after), the fold's report equals the session's report in a fresh evaluation of the whole
    /// projection; and its change list names exactly the controls whose result moved.
    @Test("equals a fresh evaluation after every event of long random sessions, at many as-of times", arguments: [1, 2, 3, 4] as [UInt64])
    func randomSessions(seed: UInt64) throws {
        let (events, stream) = randomSession(seed: seed, steps: 220)
        var fold = SessionFold(stream: stream)
        var projection = LedgerProjection()
        var previous: SessionReport?
        var rng = SeededRandom(seed: seed &* 7919)
        var reports = 0
        for e in events {
            let isSession = try fold.apply(e)
            try projection.apply(e)
            guard isSession else { continue }
            let t = Timestamp(rfc3339: e.body.time)!
            var times = [t]
            for _ in 0..<2 {
                let offsets: [Int64] = [-600_000, 1, 59 * 60_000, 3_600_000, 5 * 3_600_000, 49 * 3_600_000, 15 * 86_400_000]
                times.append(t.adding(milliseconds: offsets[Int(rng.next() % UInt64(offsets.count))]))
            }
            for at in times {
                let got = fold.report(at: at)
                let expected = try #require(projection.evaluate(at: at).sessions.first { $0.stream == stream })
                let same = got == expected
                #expect(same, "seed \(seed): seq \(e.seq) at \(at.rfc3339)")
                if !same {
                    for (g, x) in zip(got.controls, expected.controls) where g != x {
                        Issue.record("\(g.id): \(g.status) \(g.reasons) ≠ \(x.status) \(x.reasons)")
                    }
                    return
                }
                let change = fold.lastChange
                if let previous, !change.all {
                    let moved = got.controls.indices.filter { got.controls[$0] != previous.controls[$0] }
                    #expect(moved == change.controls, "seed \(seed): seq \(e.seq): change list")
                    let lists = got.checklists.indices.filter { got.checklists[$0] != previous.checklists[$0] }
                    #expect(lists == change.checklists)
                }
                previous = got
                reports += 1
            }
        }
        #expect(reports > 300)
    }

    @Test("a session's fold skips other streams and refuses events out of order")
    func order() throws {
        let (events, _) = goodSession()
        var fold = SessionFold(stream: "session/m1.0001")
        var sessionEvents = 0
        for e in events where try fold.apply(e) { sessionEvents += 1 }
        #expect(sessionEvents == fold.events.count && fold.keys.count == 6)
        #expect(throws: ProjectionError.self) { try fold.apply(events[3]) }
        var other = SessionFold(stream: "session/other")
        for e in events { #expect(try other.apply(e) == false) }
    }
}

@Suite("Events after session.closed")
struct AfterCloseTests {
    /// A session closed without its critical item, then (around the application layer, which
    /// refuses it) the item recorded after the close.
    static func closedThenLate() -> [VerifiedEvent] {
        var b = LedgerBuilder()
        b.standardKeys()
        var s = SessionScript(b)
        s.open()
        s.b.at(minutes: 30)
        s.upgrade(audit: false)
        s.add("session.closed", ["outcome": "success"])
        s.b.at(minutes: 40)
        s.item("sox-audit-trail")
        return s.b.events
    }

    @Test("are listed with who and when, and never counted: the fresh evaluation and the fold agree")
    func listedNotCounted() throws {
        let events = Self.closedThenLate()
        let late = try #require(events.last)
        let at = late.time.adding(milliseconds: minute)
        let report = evaluate(events, at: at).session()
        let before = evaluate(Array(events.dropLast()), at: at).session()
        #expect(report.state.afterClose.map(\.ref.seq) == [late.seq])
        #expect(report.state.afterClose.first?.type == "checklist.item.recorded" && report.state.afterClose.first?.actor == late.body.actor)
        #expect(report.controls == before.controls, "an event after the close changed a control")
        #expect(report.checklists == before.checklists)
        #expect(report.state.eventCount == before.state.eventCount)

        var fold = SessionFold(stream: "session/m1.0001")
        for e in events { try fold.apply(e) }
        #expect(fold.report(at: at) == report)
    }
}

@Suite("Events the runbook counts after session.closed")
struct CountedAfterCloseTests {
    /// An emergency change: overridden, run, closed at once; the retrospective approval comes
    /// a day later, after the close (the FinGood runbook lists approval.granted in afterClose).
    static func emergencyThenRetrospective() -> [VerifiedEvent] {
        var b = LedgerBuilder()
        b.standardKeys()
        var s = SessionScript(b)
        s.open()
        s.add("override.recorded", ["gate": "production-gate", "justification": "P1 outage on settlements", "missing": ["approval"]])
        s.b.at(minutes: 30)
        s.upgrade(audit: true)
        s.add("session.closed", ["outcome": "success"])
        s.b.at(minutes: 24 * 60)
        s.approve(scope: "retrospective")
        return s.b.events
    }

    @Test("a retrospective approval after the close settles sox.change.emergency, marked late; the fold agrees")
    func retrospective() throws {
        let events = Self.emergencyThenRetrospective()
        let late = try #require(events.last)
        let at = late.time.adding(milliseconds: minute)
        let report = evaluate(events, at: at).session()
        let before = evaluate(Array(events.dropLast()), at: at).session()
        let emergency = { (r: SessionReport) in r.controls.first { $0.id == "sox.change.emergency" } }
        #expect(emergency(before)?.status == .pending)
        #expect(emergency(report)?.status == .pass)
        #expect(emergency(report)?.reasons.contains { $0.contains("approval.granted at seq \(late.seq) by bob@fingood was recorded after the session's close") } == true)
        #expect(report.state.afterClose.map(\.counted) == [true])
        // The approval control takes an emergency change as approved only through its exception,
        // settled by the late approval, and says it came after the close.
        let approval = report.controls.first { $0.id == "sox.change.approval" }
        #expect(approval?.exception?.kind == "emergency-override" && approval?.exception?.settledBy?.seq == late.seq)
        #expect(approval?.reasons.last?.contains("was recorded after the session's close") == true)

        var fold = SessionFold(stream: "session/m1.0001")
        for e in events { try fold.apply(e) }
        #expect(fold.report(at: at) == report)
    }
}

@Suite("Application verified before any rollback")
struct ApplicationVerifiedTests {
    /// A change applied, then the two application checks recorded before or after a rollback.
    static func session(checksBeforeRollback: Bool?) -> [VerifiedEvent] {
        var b = LedgerBuilder()
        b.standardKeys()
        var s = SessionScript(b)
        s.open()
        s.b.at(minutes: 30)
        s.upgrade(audit: true)
        func checks() {
            s.validation("immediate", "critical-functions")
            s.validation("immediate", "application-health")
        }
        if checksBeforeRollback == true { checks() }
        if checksBeforeRollback != nil {
            s.add("rollback.started", ["kind": "immediate", "method": "alembic-downgrade", "reason": "latency"])
            s.add("rollback.completed", ["kind": "immediate", "result": "success"])
        }
        if checksBeforeRollback != true { s.validation("post-rollback", "critical-functions"); s.validation("post-rollback", "application-health") }
        return s.b.events
    }

    @Test("checks after a rollback do not verify the change; before it they do; the fold agrees")
    func beforeRollback() throws {
        for (case_, expected) in [(Optional(false), ControlStatus.fail), (Optional(true), .pass), (nil, .pass)] {
            let events = Self.session(checksBeforeRollback: case_)
            let at = try #require(events.last).time.adding(milliseconds: minute)
            let report = evaluate(events, at: at).session()
            let c = try #require(report.controls.first { $0.id == "runbook.success.application-verified" })
            #expect(c.status == expected, "\(String(describing: case_)): \(c.reasons)")
            if case_ == false { #expect(c.reasons.contains { $0.contains("before rollback-started (if any)") }, "\(c.reasons)") }
            var fold = SessionFold(stream: "session/m1.0001")
            for e in events { try fold.apply(e) }
            #expect(fold.report(at: at) == report)
        }
    }
}

@Suite("Approval bound to the applied revision")
struct AppliedRevisionTests {
    @Test("an approved change that applied a revision beyond the approved one fails the approval control; the fold agrees")
    func beyondTheApproval() throws {
        let (good, at) = customSession(before: { $0.approve() })
        let evalAt = at.adding(milliseconds: 2 * hour)
        #expect(evaluate(good, at: evalAt).session().control("sox.change.approval").status == .pass)
        // The same session, whose upgrade went on to c3 after applying the approved b2.
        let beyond = customSession(
            before: { $0.approve() },
            after: { s in s.add("migration.applied", ["fromRevision": "b2", "toRevision": "c3"]) }
        ).events
        let r = evaluate(beyond, at: evalAt).session().control("sox.change.approval")
        #expect(r.status == .fail, "\(r.reasons)")
        #expect(r.reasons.contains { $0.contains("to c3, beyond the approved revision b2") }, "\(r.reasons)")
        var fold = SessionFold(stream: "session/m1.0001")
        for e in beyond { try fold.apply(e) }
        #expect(fold.report(at: evalAt).control("sox.change.approval") == r)
    }
}
