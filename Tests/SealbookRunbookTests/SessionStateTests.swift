import SealbookCore
import Testing

@testable import SealbookRunbook

/// Builds session events in code (projections take verified events; signatures are not needed here).
struct SessionBuilder {
    var seq: Int64 = 10
    var streamSeq: Int64 = 0
    var events: [VerifiedEvent] = []
    let stream = "session/m1.0001"

    mutating func add(_ type: String, actor: String = "alice@fingood", _ data: JSONObject) {
        seq += 1
        streamSeq += 1
        let key = "ed25519:" + String(repeating: actor.hasPrefix("alice") ? "a" : "b", count: 16)
        let body = try! EventBody(
            ledger: "l", stream: stream, streamSeq: streamSeq, streamPrev: streamSeq == 1 ? .zero : SHA256.hash([UInt8(streamSeq)]),
            type: type, time: "2026-01-01T00:00:00.000Z", actor: actor, key: key, data: data)
        events.append(VerifiedEvent(seq: seq, body: body, eventHash: SHA256.hash([UInt8(seq)]), chainHash: .zero))
    }

    mutating func open(environment: String = "production") {
        let rb = Runbook.builtIn
        add(
            "session.opened",
            JSONObject([
                (key: "runbook", value: .object(JSONObject([(key: "id", value: .string(rb.id)), (key: "version", value: .string(rb.version)), (key: "sha256", value: .string(rb.sha256))]))),
                (key: "migrationId", value: "m1"), (key: "environment", value: .string(environment)),
                (key: "alembic", value: .object(JSONObject([(key: "from", value: "a1"), (key: "to", value: "b2")]))),
            ]))
    }

    mutating func check(_ item: String, _ status: String) {
        add("checklist.item.recorded", JSONObject([(key: "item", value: .string(item)), (key: "status", value: .string(status))]))
    }
}

/// Every key holds the approver role (the role check has its own test).
let anyApprover: @Sendable (String, Int64) -> Bool = { _, _ in true }

@Suite("Session fold and production gate")
struct SessionStateTests {
    let runbook = Runbook.builtIn

    @Test("an approval counts only when its key held the approver role at its position")
    func approverRole() {
        var b = SessionBuilder()
        b.open()
        for item in runbook.criticalItems { b.check(item.id, "pass") }
        b.add("approval.granted", actor: "bob@fingood", JSONObject([(key: "scope", value: "migration")]))
        let state = SessionState(events: b.events)
        let approval = state.approvals[0]
        #expect(PolicyGate.evaluate(state: state, runbook: runbook, executor: "alice@fingood", heldApprover: anyApprover).isOpen)
        var asked: [(String, Int64)] = []
        let gate = PolicyGate.evaluate(state: state, runbook: runbook, executor: "alice@fingood") { key, seq in
            asked.append((key, seq))
            return false
        }
        #expect(!gate.isOpen)
        #expect(asked.count == 1 && asked[0].0 == approval.key && asked[0].1 == approval.seq)
    }

    @Test("an empty production session: every critical item and the approval are missing")
    func emptyGate() {
        var b = SessionBuilder()
        b.open()
        let state = SessionState(events: b.events)
        #expect(state.opened && !state.closed && state.environment == "production" && state.runbookID == runbook.id)
        let gate = PolicyGate.evaluate(state: state, runbook: runbook, executor: "alice@fingood", heldApprover: anyApprover)
        #expect(!gate.isOpen)
        #expect(gate.missing.count == runbook.criticalItems.count + 1)
    }

    @Test("the latest record of an item counts; a failed critical item keeps the gate closed")
    func latestRecordCounts() {
        var b = SessionBuilder()
        b.open()
        for item in runbook.criticalItems { b.check(item.id, "pass") }
        let first = runbook.criticalItems[0].id
        b.check(first, "fail")
        b.add("approval.granted", actor: "bob@fingood", JSONObject([(key: "scope", value: "migration")]))
        var gate = PolicyGate.evaluate(state: SessionState(events: b.events), runbook: runbook, executor: "alice@fingood", heldApprover: anyApprover)
        #expect(gate.missing == ["critical item \(first) (\(runbook.criticalItems[0].title)) failed"])
        b.check(first, "pass")
        gate = PolicyGate.evaluate(state: SessionState(events: b.events), runbook: runbook, executor: "alice@fingood", heldApprover: anyApprover)
        #expect(gate.isOpen)
    }

    @Test("segregation of duties: the executor's own approval and an approval by anyone who ran a command do not count")
    func segregation() {
        var b = SessionBuilder()
        b.open()
        for item in runbook.criticalItems { b.check(item.id, "n/a") }
        b.add("approval.granted", actor: "alice@fingood", JSONObject([(key: "scope", value: "migration")]))
        #expect(!PolicyGate.evaluate(state: SessionState(events: b.events), runbook: runbook, executor: "alice@fingood", heldApprover: anyApprover).isOpen)
        // bob approves, but bob also started a command in this session: bob is an executor.
        b.add("approval.granted", actor: "bob@fingood", JSONObject([(key: "scope", value: "migration")]))
        b.add(
            "command.started", actor: "bob@fingood",
            JSONObject([(key: "commandId", value: "c1"), (key: "argv", value: ["true"]), (key: "cwd", value: "/"), (key: "environment", value: .object(JSONObject()))]))
        let state = SessionState(events: b.events)
        #expect(state.executors == ["bob@fingood"])
        #expect(!PolicyGate.evaluate(state: state, runbook: runbook, executor: "alice@fingood", heldApprover: anyApprover).isOpen)
        // A denial never counts.
        var d = SessionBuilder()
        d.open()
        for item in runbook.criticalItems { d.check(item.id, "pass") }
        d.add("approval.denied", actor: "bob@fingood", JSONObject([(key: "scope", value: "migration"), (key: "reason", value: "no")]))
        #expect(!PolicyGate.evaluate(state: SessionState(events: d.events), runbook: runbook, executor: "alice@fingood", heldApprover: anyApprover).isOpen)
    }

    @Test("commands, migrations and rollbacks fold into the session's state")
    func commandsAndMigrations() {
        var b = SessionBuilder()
        b.open()
        b.add(
            "command.started",
            JSONObject([(key: "commandId", value: "c1"), (key: "argv", value: ["alembic", "upgrade", "head"]), (key: "cwd", value: "/"), (key: "environment", value: .object(JSONObject()))]))
        b.add("command.finished", JSONObject([(key: "commandId", value: "c1"), (key: "outcome", value: "success"), (key: "exitCode", value: 0)]))
        b.add("migration.applied", JSONObject([(key: "fromRevision", value: "a1"), (key: "toRevision", value: "b2")]))
        b.add("rollback.started", JSONObject([(key: "kind", value: "immediate"), (key: "method", value: "alembic-downgrade"), (key: "reason", value: "x")]))
        b.add("rollback.completed", JSONObject([(key: "kind", value: "immediate"), (key: "result", value: "success"), (key: "resultingRevision", value: "a1")]))
        b.add("session.closed", JSONObject([(key: "outcome", value: "rolled-back")]))
        let s = SessionState(events: b.events)
        #expect(s.commands["c1"]?.outcome == "success" && s.commands["c1"]?.exitCode == 0)
        #expect(s.migrations.count == 1 && s.migrations[0].to == "b2")
        #expect(s.rollbacks.first?.result == "success")
        #expect(s.alembicCurrent == "a1")
        #expect(s.closed && s.outcome == "rolled-back")
        #expect(s.executors == ["alice@fingood"])
    }
}
