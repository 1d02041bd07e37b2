import Foundation
import SealbookCore
import SealbookTestSupport
import Testing

extension CLILedger {
    /// Enrols a log key; returns its file and its vkey.
    func enrollLogKey() throws -> (file: String, vkey: String) {
        let file = try enroll("log@fingood", role: "log")
        let v = try run(["keys", "vkey", "--key", file, "--json"])
        #expect(v.status == 0, "\(v.stderr)")
        return (file, try json(v)["vkey"]!.stringValue!)
    }
}

@Suite("Checkpoints through the sealbook binary")
struct CheckpointCLITests {
    @Test("checkpoint, then verify against it and since it; a cut tail and another origin are caught; bad checkpoints get their own exit codes")
    func routine() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let (logKey, vkey) = try l.enrollLogKey()
        for i in 1...5 { #expect(try l.append("s/1", "{\"n\":\(i)}").status == 0) }
        let cpFile = l.dir.file("cp.txt")
        let cp = try l.run(["checkpoint", "--key", logKey, "--out", cpFile, "--json"])
        #expect(cp.status == 0, "\(cp.stderr)")
        let size = try json(cp)["size"]!.int64Value!
        #expect(size == (try l.headSeq()))
        // The signed note is printed, stored and written.
        let latest = try l.run(["checkpoint", "--latest", "--json"])
        #expect(try json(latest)["checkpoint"]?.stringValue == (try String(contentsOfFile: cpFile, encoding: .utf8)))

        for i in 6...8 { #expect(try l.append("s/1", "{\"n\":\(i)}").status == 0) }
        var v = try l.run(["verify", "--checkpoint", cpFile, "--log-vkey", vkey, "--trust-root", l.rootPublicKey, "--json"])
        #expect(v.status == 0, "\(v.stdout)")
        #expect(try json(v)["checkpoint"]?["size"]?.int64Value == size)
        v = try l.run(["verify", "--since", cpFile, "--log-vkey", vkey, "--trust-root", l.rootPublicKey, "--json"])
        #expect(v.status == 0, "\(v.stdout)")
        #expect(try json(v)["entries"]?.int64Value == 3)
        #expect(try json(v)["since"]?.int64Value == size)
        // A report since the checkpoint, and `--since last` after a verify kept one.
        let sid = try l.openSession(environment: "staging")
        let report = try l.run(["report", "session", sid, "--since", cpFile, "--log-vkey", vkey, "--format", "json", "--trust-root", l.rootPublicKey])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(try JSONParser.parse(report.stdout)["verification"]?["since"]?.int64Value == size)
        v = try l.run(["verify", "--trust-root", l.rootPublicKey])
        #expect(v.status == 0)
        v = try l.run(["verify", "--since", "last", "--trust-root", l.rootPublicKey, "--json"])
        #expect(v.status == 0, "\(v.stdout) \(v.stderr)")

        // Bad checkpoints: each refused with its own code, nothing written.
        let text = try String(contentsOfFile: cpFile, encoding: .utf8)
        let malformed = l.dir.file("malformed.txt")
        try text.replacingOccurrences(of: "\n\n", with: "\n").write(toFile: malformed, atomically: true, encoding: .utf8)
        #expect(try l.run(["verify", "--checkpoint", malformed, "--log-vkey", vkey]).status == 86)
        let other = try l.run(["keys", "generate", "--actor", "mallory@fingood", "--out", l.dir.file("mallory.key"), "--json"])
        #expect(other.status == 0)
        let wrongKey = try l.run(["keys", "vkey", "--key", l.dir.file("mallory.key")])
        let wrongVkey = wrongKey.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try l.run(["verify", "--checkpoint", cpFile, "--log-vkey", wrongVkey]).status == 87)

        // The tail cut (and the head moved back): the checkpoint sees it.
        let head = try l.headSeq()
        try l.db.superuserExecute(
            """
            ALTER TABLE sealbook.events DISABLE TRIGGER USER; ALTER TABLE sealbook.head DISABLE TRIGGER USER;
            DELETE FROM sealbook.events WHERE seq > \(size - 2);
            UPDATE sealbook.head SET seq = \(size - 2), chain_hash = (SELECT chain_hash FROM sealbook.events WHERE seq = \(size - 2));
            """)
        #expect(head > size)
        v = try l.run(["verify", "--trust-root", l.rootPublicKey])
        #expect(v.status == 0, "the chain alone does not see a cut tail")
        v = try l.run(["verify", "--checkpoint", cpFile, "--log-vkey", vkey, "--json"])
        #expect(v.status == 1)
        #expect(try json(v)["failures"]?.arrayValue?.first?["reason"]?.stringValue == "checkpoint-mismatch")
        v = try l.run(["verify", "--since", cpFile, "--log-vkey", vkey])
        #expect(v.status == 1 && v.stdout.contains("tail is gone"), "\(v.stdout)")
    }

    @Test("a checkpoint of another ledger: exit 88 naming both origins")
    func otherOrigin() throws {
        let a = try CLILedger()
        defer { a.cleanup() }
        let b = try CLILedger()
        defer { b.cleanup() }
        let (keyA, vkeyA) = try a.enrollLogKey()
        let file = a.dir.file("cp.txt")
        #expect(try a.run(["checkpoint", "--key", keyA, "--out", file]).status == 0)
        let v = try b.run(["verify", "--checkpoint", file, "--log-vkey", vkeyA])
        #expect(v.status == 88, "\(v.stderr)")
        #expect(v.stderr.contains("sealbook.ledger/cli-test/"))
    }

    @Test("an operator key cannot sign a checkpoint: exit 71, nothing stored")
    func operatorCannotSign() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let r = try l.run(["checkpoint", "--key", l.dir.file("alice.key")])
        #expect(r.status == 71, "\(r.stderr)")
        #expect(try l.run(["checkpoint", "--latest"]).status == 64)
    }
}
