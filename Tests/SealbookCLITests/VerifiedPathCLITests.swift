import Foundation
import SealbookCore
import SealbookTestSupport
import Testing

@Suite("The verified path through the sealbook binary")
struct VerifiedPathCLITests {
    @Test("an approval's stream column moved by a superuser: verify names the seq and the column; session show, run and report refuse (exit 1)")
    func movedApproval() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let bob = try l.enroll("approver-bob@fingood", role: "approver")
        let target = try l.openSession()
        let other = try l.openSession(environment: "staging")
        let approve = try l.run(["approve", "--session", other, "--key", bob, "--json"])
        #expect(approve.status == 0, "\(approve.stderr)")
        let seq = try json(approve)["seq"]!.int64Value!
        let shown = try l.run(["session", "show", target, "--json"])
        #expect(shown.status == 0)
        #expect(try json(shown)["approvals"]?.int64Value == 0)

        try l.db.superuserExecute(
            """
            ALTER TABLE sealbook.events DISABLE TRIGGER events_append_only;
            UPDATE sealbook.events SET stream = 'session/\(target)', stream_seq = 2 WHERE seq = \(seq);
            """)
        let verify = try l.run(["verify", "--trust-root", l.rootPublicKey, "--json"])
        #expect(verify.status == 1)
        let failure = try json(verify)["failures"]?.arrayValue?.first
        #expect(failure?["seq"]?.int64Value == seq && failure?["reason"]?.stringValue == "stored-column-mismatch")
        #expect(failure?["detail"]?.stringValue?.hasPrefix("column stream ") == true, "\(verify.stdout)")

        let before = try l.headSeq()
        let show = try l.run(["session", "show", target])
        #expect(show.status == 1 && show.stderr.contains("does not verify"), "\(show.stderr)")
        var env = try l.fakeAlembic()
        env["SEALBOOK_SESSION"] = target
        env["SEALBOOK_KEY"] = l.dir.file("alice.key")
        let run = try l.run(["run", "--", "alembic", "upgrade", "head"], env: env)
        #expect(run.status == 1 && run.stderr.contains("stored-column-mismatch"), "\(run.stderr)")
        #expect(try l.headSeq() == before, "nothing was recorded")
        let report = try l.run(["report", "session", target, "--trust-root", l.rootPublicKey])
        #expect(report.status == 1 && report.stderr.contains("--allow-unverified"), "\(report.stderr)")
    }
}
