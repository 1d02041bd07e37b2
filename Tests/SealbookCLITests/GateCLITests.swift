import Foundation
import SealbookCore
import SealbookTestSupport
import Testing

/// The production gate guards every change, whatever the program (docs/RUNBOOK.md, "The
/// production gate"); refusals and denials are evidence; a change that went around the gate is
/// reported as unapproved, never as not applicable.
@Suite("The production gate through the binary")
struct GateCLITests {
    /// The last event of the log: its type and data, read as the superuser.
    static func lastEvent(_ l: CLILedger) throws -> (type: String, data: JSONValue) {
        let row = try l.db.superuserQuery(
            "SELECT type || ' ' || (body_json->'data')::text FROM sealbook.events ORDER BY seq DESC LIMIT 1")
        let s = try #require(row.first ?? nil)
        let space = try #require(s.firstIndex(of: " "))
        return (String(s[..<space]), try JSONParser.parse(String(s[s.index(after: space)...])))
    }

    /// A control's status in `report session S --format json`.
    static func control(_ l: CLILedger, _ session: String, _ id: String, env: [String: String]) throws -> (String, String) {
        let r = try l.run(["report", "session", session, "--format", "json"], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        let controls = try json(r)["session"]?["controls"]?.arrayValue ?? []
        let c = try #require(controls.first { $0["id"]?.stringValue == id }, "no control \(id)")
        let reasons = c["reasons"]?.arrayValue?.compactMap(\.stringValue).joined(separator: "; ") ?? ""
        return (c["status"]?.stringValue ?? "?", reasons)
    }

    /// Two approvers' key files, and a production session opened by alice with the fake alembic:
    /// its id and the environment for running in it as alice.
    static func twoApprovers(_ l: CLILedger) throws -> (bob: String, carol: String, session: String, env: [String: String]) {
        let bob = try l.enroll("approver-bob@fingood", role: "approver")
        let carol = try l.enroll("approver-carol@fingood", role: "approver")
        let sid = try l.openSession()
        var env = try l.fakeAlembic()
        env["SEALBOOK_SESSION"] = sid
        env["SEALBOOK_KEY"] = l.dir.file("alice.key")
        return (bob, carol, sid, env)
    }

    @Test("in production any program is a change: refused with gate.refused recorded and nothing run; a read-only command of the runbook goes through")
    func everyChangeIsGated() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let sid = try l.openSession()
        var env = try l.fakeAlembic()
        env["SEALBOOK_SESSION"] = sid
        env["SEALBOOK_KEY"] = l.dir.file("alice.key")
        let marker = l.dir.file("altered")
        let before = try l.headSeq()
        let refused = try l.run(["run", "--step", "migration-execution", "--", "sh", "-c", "touch '\(marker)'"], env: env)
        #expect(refused.status == 82, "\(refused.stderr)")
        #expect(refused.stderr.contains("gate.refused") && refused.stderr.contains("approval"))
        #expect(!FileManager.default.fileExists(atPath: marker), "the refused command ran")
        #expect(try l.headSeq() == before + 1, "exactly the refusal is recorded")
        let last = try Self.lastEvent(l)
        #expect(last.type == "gate.refused")
        #expect(last.data["gate"] == "production-change" && last.data["step"] == "migration-execution")
        #expect(last.data["argv"]?.arrayValue?.first == "sh")
        #expect((last.data["missing"]?.arrayValue ?? []).contains { $0.stringValue?.contains("approval") == true })

        // `alembic current` is declared read-only by the built-in runbook: no gate, not a change.
        let current = try l.run(["run", "--", "alembic", "current"], env: env)
        #expect(current.status == 0, "\(current.stderr)")
        let started = try l.db.superuserQuery(
            "SELECT (body_json->'data'->>'change') || ' ' || (body_json->'data'->>'readOnly') FROM sealbook.events WHERE type = 'command.started'")
        #expect(started == ["false alembic current"])
        // A program the runbook does not declare, with an argument the pattern does not allow, is a change.
        let history = try l.run(["run", "--", "python", "migrations/test_migrations.py", "--validate-data", "--fix"], env: env)
        #expect(history.status == 82, "\(history.stderr)")

        // The refused session closed as aborted: nothing ran, so the change controls are not
        // failures of a change that happened.
        #expect(try l.run(["session", "close", "--outcome", "aborted"], env: env).status == 0)
        let (approval, _) = try Self.control(l, sid, "sox.change.approval", env: env)
        #expect(approval == "not-applicable")
        #expect(try l.run(["verify", "--trust-root", l.rootPublicKey], env: env).status == 0)
    }

    @Test("a change recorded around the gate is an unapproved change: approval and segregation FAIL, never n/a")
    func changeAroundTheGateFails() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let sid = try l.openSession()
        let env = ["SEALBOOK_SESSION": sid, "SEALBOOK_KEY": l.dir.file("alice.key")]
        // An operator appends command.started of a psql DDL directly, as a raw writer could.
        let data = """
            {"commandId":"c1","argv":["psql","-c","ALTER TABLE accounts ADD COLUMN iban text"],"cwd":"/srv","environment":{},"change":true}
            """
        let r = try l.run(["append", "--stream", "session/\(sid)", "--type", "command.started", "--data", data], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try l.run(["session", "close", "--outcome", "success"], env: env).status == 0)
        let (approval, why) = try Self.control(l, sid, "sox.change.approval", env: env)
        #expect(approval == "fail", "\(why)")
        let (sod, whySoD) = try Self.control(l, sid, "sox.change.segregation", env: env)
        #expect(sod == "fail", "\(whySoD)")
        #expect(whySoD.contains("no one approved"))
    }

    @Test("a denial closes the gate until a later approval supersedes it by seq, with a reason; the report says so")
    func denialsCount() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let (bob, carol, sid, env) = try Self.twoApprovers(l)
        for item in try criticalItems() {
            #expect(try l.run(["check", item, "--status", "pass"] + measuredValue(item), env: env).status == 0)
        }
        let deny = try l.run(["approve", "--deny", "--reason", "no rollback test in staging", "--key", bob, "--json"], env: env)
        #expect(deny.status == 0, "\(deny.stderr)")
        let denialSeq = try json(deny)["seq"]!.int64Value!
        let grant = try l.run(["approve", "--comment", "looks fine to me", "--key", carol], env: env)
        #expect(grant.status == 0, "\(grant.stderr)")
        let closed = try l.run(["run", "--", "alembic", "upgrade", "head"], env: env)
        #expect(closed.status == 82, "\(closed.stderr)")
        #expect(closed.stderr.contains("approval.denied by approver-bob@fingood at seq \(denialSeq)"))

        // --supersedes must name a denial of the session; nothing is recorded otherwise.
        let head = try l.headSeq()
        let wrong = try l.run(["approve", "--supersedes", String(denialSeq + 1), "--reason", "x", "--key", carol], env: env)
        #expect(wrong.status == 64 && wrong.stderr.contains("no approval.denied"), "\(wrong.stderr)")
        #expect(try l.headSeq() == head)

        let over = try l.run(
            ["approve", "--supersedes", String(denialSeq), "--reason", "rollback tested in staging since: doc testing-results", "--key", carol],
            env: env)
        #expect(over.status == 0, "\(over.stderr)")
        // The approvals name the session's target: an upgrade to another named revision is refused.
        let past = try l.run(["run", "--", "alembic", "upgrade", "0f9e8d7c6b5a"], env: env)
        #expect(past.status == 82 && past.stderr.contains("targets revision 0f9e8d7c6b5a"), "\(past.stderr)")
        let ok = try l.run(["run", "--step", "migration-execution", "--", "alembic", "upgrade", "head"], env: env)
        #expect(ok.status == 0, "\(ok.stderr)")
        let (approval, why) = try Self.control(l, sid, "sox.change.approval", env: env)
        #expect(approval == "pass", "\(why)")
        #expect(why.contains("supersedes the denial at seq \(denialSeq)"))
    }

    @Test("upgrade head is resolved before it runs: a head past the approved revision, two heads or no answer are refused and recorded; the approved head runs")
    func headResolved() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let (bob, _, _, env) = try Self.twoApprovers(l)
        for item in try criticalItems() {
            #expect(try l.run(["check", item, "--status", "pass"] + measuredValue(item), env: env).status == 0)
        }
        #expect(try l.run(["approve", "--comment", "CAB approved", "--key", bob], env: env).status == 0)
        let bin = env["PATH"]!.split(separator: ":").first.map(String.init)!
        let marker = l.dir.file("upgraded")
        func alembic(heads: String, headsExit: Int = 0) throws {
            let script = """
                #!/bin/sh
                case "$1" in
                  heads) printf '\(heads)'; exit \(headsExit) ;;
                  upgrade) touch '\(marker)'; echo "INFO  [alembic.runtime.migration] Running upgrade 1975ea83b712 -> ae1027a6acf, add fee index" >&2 ;;
                esac
                exit 0
                """
            try script.write(toFile: bin + "/alembic", atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/alembic")
        }
        for (heads, exit, why) in [
            ("0f9e8d7c6b5a (head)\\n", 0, "would go to 0f9e8d7c6b5a"),
            ("ae1027a6acf (head)\\nbb11cc22dd33 (head)\\n", 0, "ambiguous"),
            ("", 0, "listed no revision"),
            ("", 1, "could not be resolved"),
        ] {
            try alembic(heads: heads, headsExit: exit)
            let before = try l.headSeq()
            let r = try l.run(["run", "--step", "migration-execution", "--", "alembic", "upgrade", "head"], env: env)
            #expect(r.status == 82 && r.stderr.contains(why), "\(why): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: marker), "the refused upgrade ran")
            #expect(try l.headSeq() == before + 1)
            let last = try Self.lastEvent(l)
            #expect(last.type == "gate.refused", "\(last.type)")
        }
        try alembic(heads: "ae1027a6acf (head)\\n")
        // A target that cannot be compared before it runs is refused; nothing runs.
        for target in ["heads", "+1", "main@head"] {
            let r = try l.run(["run", "--step", "migration-execution", "--", "alembic", "upgrade", target], env: env)
            #expect(r.status == 82 && r.stderr.contains("cannot be compared"), "\(target): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: marker))
        }
        let ok = try l.run(["run", "--step", "migration-execution", "--", "alembic", "upgrade", "head"], env: env)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(FileManager.default.fileExists(atPath: marker))
    }

    @Test("a denial that no approval supersedes makes the approval control FAIL although another approver granted")
    func standingDenialFails() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let (bob, carol, sid, env) = try Self.twoApprovers(l)
        #expect(try l.run(["approve", "--deny", "--reason", "risk not assessed", "--key", bob], env: env).status == 0)
        #expect(try l.run(["approve", "--key", carol], env: env).status == 0)
        let run = try l.run(
            ["run", "--override", "--justification", "P1 outage on settlements, CAB later", "--", "alembic", "upgrade", "head"], env: env)
        #expect(run.status == 0, "\(run.stderr)")
        let (approval, why) = try Self.control(l, sid, "sox.change.approval", env: env)
        #expect(approval == "fail", "\(why)")
        #expect(why.contains("is not superseded"))
    }

    @Test("a closed session takes nothing more than its runbook's afterClose types: append and check are refused (exit 67) and the head does not move")
    func closedSessionRefusesEverything() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let bob = try l.enroll("approver-bob@fingood", role: "approver")
        let sid = try l.openSession(environment: "staging")
        let env = ["SEALBOOK_SESSION": sid, "SEALBOOK_KEY": l.dir.file("alice.key")]
        #expect(try l.run(["session", "close", "--outcome", "success"], env: env).status == 0)
        let head = try l.headSeq()
        let item = #"{"item":"sox-audit-trail","status":"pass"}"#
        let raw = try l.run(["append", "--stream", "session/\(sid)", "--type", "checklist.item.recorded", "--data", item], env: env)
        #expect(raw.status == 67 && raw.stderr.contains("is closed"), "\(raw.stderr)")
        #expect(raw.stderr.contains("takes only approval.granted, documentation.recorded"), "\(raw.stderr)")
        let check = try l.run(["check", "sox-audit-trail", "--status", "pass"], env: env)
        #expect(check.status == 67, "\(check.stderr)")
        let notify = try l.run(["notify", "--audience", "ops", "--channel", "#ops", "--subject", "late"], env: env)
        #expect(notify.status == 67, "\(notify.stderr)")
        #expect(try l.headSeq() == head)
        _ = bob
        // Another stream is not affected.
        #expect(try l.append("notes/\(sid)", #"{"text":"after the close"}"#).status == 0)
    }

    @Test("after the close, a retrospective approval of an emergency change is taken, counted by sox.change.emergency and marked as recorded after the close")
    func retrospectiveApprovalAfterClose() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let (bob, _, sid, env) = try Self.twoApprovers(l)
        let run = try l.run(
            ["run", "--override", "--justification", "P1 outage on settlements, CAB later", "--", "alembic", "upgrade", "head"], env: env)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try l.run(["session", "close", "--outcome", "success"], env: env).status == 0)
        let (before, _) = try Self.control(l, sid, "sox.change.emergency", env: env)
        #expect(before == "fail" || before == "pending")
        let approve = try l.run(["approve", "--scope", "retrospective", "--comment", "CAB retrospective review", "--key", bob, "--json"], env: env)
        #expect(approve.status == 0, "\(approve.stderr)")
        let seq = try #require(try json(approve)["seq"]?.int64Value)
        let (after, why) = try Self.control(l, sid, "sox.change.emergency", env: env)
        #expect(after == "pass", "\(why)")
        #expect(why.contains("approval.granted at seq \(seq) by approver-bob@fingood was recorded after the session's close"), "\(why)")
        let report = try json(try l.run(["report", "session", sid, "--format", "json"], env: env))
        let late = try #require(report["session"]?["state"]?["afterClose"]?.arrayValue)
        #expect(late.count == 1 && late[0]["seq"]?.int64Value == seq && late[0]["counted"] == .bool(true))
        #expect(late[0]["recordedAt"]?.stringValue != nil)
        let md = try l.run(["report", "session", sid], env: env)
        #expect(md.stdout.contains("counted (the runbook allows it after the close)"), "\(md.stdout)")
        // What the runbook does not list stays refused.
        let check = try l.run(["check", "sox-audit-trail", "--status", "pass"], env: env)
        #expect(check.status == 67 && check.stderr.contains("after the close its runbook takes only"), "\(check.stderr)")
    }
}
