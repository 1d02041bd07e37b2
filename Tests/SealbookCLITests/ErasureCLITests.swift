// Erasure by crypto-shredding through the binary (README "Personal data: sealed fields and
// erasure", docs/FORMAT.md §13): data-keys, erase and its refusals, and bundles with and
// without their data keys file, before and after an erasure.

import Foundation
import SealbookCore
import SealbookTestSupport
import Testing

@Suite("Sealed fields and erasure, through the binary")
struct ErasureCLITests {
    @Test("erase: a privacy officer's erasure turns the text into [erased at seq N] online and in later bundles; earlier bundles with their data keys file still open it")
    func eraseEndToEnd() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let po = try l.run(["keys", "generate", "--actor", "privacy@fingood", "--out", l.dir.file("po.key"), "--json"])
        let poPublic = try json(po)["publicKey"]!.stringValue!
        #expect(try l.run(["keys", "enroll", "--public-key", poPublic, "--actor", "privacy@fingood", "--role", "privacy-officer", "--key", l.dir.file("root.key")]).status == 0)
        let open = try l.run(["session", "open", "--migration-id", "m1", "--environment", "test", "--to", "b2", "--key", l.dir.file("alice.key"), "--json"])
        let session = try json(open)["session"]!.stringValue!
        let summary = "Closed after talking to Jane Roe, +44 20 7946 0958"
        let close = try l.run(["session", "close", "--session", session, "--outcome", "aborted", "--summary", summary, "--key", l.dir.file("alice.key")])
        #expect(close.status == 0, "\(close.stderr)")
        #expect(try l.rowsHolding("Jane Roe") == 0)
        let root = ["--trust-root", l.rootPublicKey]

        // Online, the replay shows the text.
        #expect(try l.run(["replay", session] + root).stdout.contains(summary))

        // data-keys lists the session's key (never its bytes).
        let listed = try json(try l.run(["data-keys", "--json"]))
        let keys = try #require(listed["dataKeys"]?.arrayValue)
        #expect(keys.count == 1 && keys[0]["stream"]?.stringValue == "session/\(session)")
        let dataKey = try #require(keys[0]["dataKey"]?.stringValue)
        let keyHex = try #require(try l.db.superuserQuery("SELECT encode(data_key, 'hex') FROM sealbook.data_keys").first ?? nil)
        let keyBase64 = Base64.encode(try #require(Hex.decode(keyHex)))

        // A bundle with its data keys file, before the erasure: the auditor's copy.
        let before = try l.run(["export", "--out", l.dir.file("before.jsonl"), "--data-keys", l.dir.file("before.keys"), "--json"])
        #expect(before.status == 0, "\(before.stderr)")
        #expect(try json(before)["dataKeys"]?.int64Value == 1)
        let mode = try FileManager.default.attributesOfItem(atPath: l.dir.file("before.keys"))[.posixPermissions] as! Int
        #expect(mode == 0o600)
        let bundleBefore = try String(contentsOfFile: l.dir.file("before.jsonl"), encoding: .utf8)
        #expect(!bundleBefore.contains("Jane Roe"))
        #expect(try String(contentsOfFile: l.dir.file("before.keys"), encoding: .utf8).contains(keyBase64))
        let offline = try l.run(["replay", session, "--bundle", l.dir.file("before.jsonl"), "--data-keys", l.dir.file("before.keys")] + root)
        #expect(offline.status == 0 && offline.stdout.contains(summary), "\(offline.stderr)")
        let sealedOffline = try l.run(["replay", session, "--bundle", l.dir.file("before.jsonl")] + root)
        #expect(sealedOffline.stdout.contains("[sealed: data key \(dataKey) not available]") && !sealedOffline.stdout.contains("Jane"))

        // Refusals: the wrong role (71), an id that is not one (64), an unknown key (96); nothing appended.
        let head = try l.headSeq()
        let wrongRole = try l.run(["erase", "--data-key", dataKey, "--reason", "DSR-1", "--key", l.dir.file("alice.key")])
        #expect(wrongRole.status == 71 && wrongRole.stderr.contains("privacy-officer"))
        #expect(try l.run(["erase", "--key-id", "dk:XYZ", "--reason", "DSR-1", "--key", l.dir.file("po.key")]).status == 64)
        let unknown = try l.run(["erase", "--data-key", "dk:" + String(repeating: "0", count: 32), "--reason", "DSR-1", "--key", l.dir.file("po.key")])
        #expect(unknown.status == 96 && unknown.stderr.contains("no data key"))
        #expect(try l.headSeq() == head)

        // A checkpoint before the erasure, which the log must still match afterwards.
        let (logKey, vkey) = try l.enrollLogKey()
        let cpBefore = l.dir.file("cp-before.txt")
        #expect(try l.run(["checkpoint", "--key", logKey, "--out", cpBefore]).status == 0)
        let closedSeq = try #require(try l.db.superuserQuery("SELECT seq FROM sealbook.events WHERE type = 'session.closed'").first ?? nil)

        // The erasure.
        let erased = try l.run(["erase", "--data-key", dataKey, "--reason", "Erasure request DSR-2026-0042", "--key", l.dir.file("po.key"), "--json"])
        #expect(erased.status == 0, "\(erased.stderr)")
        let seq = try #require(try json(erased)["seq"]?.int64Value)
        #expect(try json(erased)["compacted"]?.boolValue == true)
        let again = try l.run(["erase", "--data-key", dataKey, "--reason", "again", "--key", l.dir.file("po.key")])
        #expect(again.status == 96 && again.stderr.contains("erased already, at seq \(seq)"))

        // Online: the log verifies, also against the checkpoint taken before the erasure, and a new
        // checkpoint proves both the event whose text is gone and its consistency with the old one.
        #expect(try l.run(["verify"] + root).status == 0)
        #expect(try l.run(["verify", "--checkpoint", cpBefore, "--log-vkey", vkey] + root).status == 0)
        let cpAfter = l.dir.file("cp-after.txt")
        #expect(try l.run(["checkpoint", "--key", logKey, "--out", cpAfter]).status == 0)
        let inclusion = try l.run(["prove", "inclusion", "--seq", closedSeq, "--checkpoint", cpAfter, "--log-vkey", vkey])
        #expect(inclusion.status == 0, "\(inclusion.stderr)")
        let sizeBefore = try #require(try String(contentsOfFile: cpBefore, encoding: .utf8).split(separator: "\n").dropFirst().first)
        let consistency = try l.run(["prove", "consistency", "--from", String(sizeBefore), "--checkpoint", cpAfter, "--log-vkey", vkey])
        #expect(consistency.status == 0, "\(consistency.stderr)")
        let replay = try l.run(["replay", session] + root)
        #expect(replay.stdout.contains("[erased at seq \(seq)]") && !replay.stdout.contains("Jane"))
        let listedAfter = try json(try l.run(["data-keys", "--json"]))
        #expect(listedAfter["dataKeys"]?.arrayValue?.isEmpty == true)
        #expect(listedAfter["erased"]?.arrayValue?.first?["seq"]?.int64Value == seq)

        // A bundle exported afterwards: it verifies, its data keys file no longer holds the key,
        // and the bundle itself says where the text went.
        let after = try l.run(["export", "--out", l.dir.file("after.jsonl"), "--data-keys", l.dir.file("after.keys"), "--json"])
        let afterCount = try json(after)["dataKeys"]?.int64Value
        #expect(after.status == 0 && afterCount == 0)
        #expect(!(try String(contentsOfFile: l.dir.file("after.keys"), encoding: .utf8)).contains(keyBase64))
        #expect(try l.run(["verify", "--bundle", l.dir.file("after.jsonl")] + root).status == 0)
        let afterReplay = try l.run(["replay", session, "--bundle", l.dir.file("after.jsonl"), "--data-keys", l.dir.file("after.keys")] + root)
        #expect(afterReplay.stdout.contains("[erased at seq \(seq)]") && !afterReplay.stdout.contains("Jane"))
        // The copy taken before the erasure still opens: it is the auditor's, under the auditor's duties.
        let stillOpen = try l.run(["replay", session, "--bundle", l.dir.file("before.jsonl"), "--data-keys", l.dir.file("before.keys")] + root)
        #expect(stillOpen.stdout.contains(summary))

        // Usage: --data-keys without --bundle; a data keys file that is not one.
        #expect(try l.run(["replay", session, "--data-keys", l.dir.file("before.keys")]).status == 64)
        try "{}".write(toFile: l.dir.file("bad.keys"), atomically: true, encoding: .utf8)
        let bad = try l.run(["replay", session, "--bundle", l.dir.file("before.jsonl"), "--data-keys", l.dir.file("bad.keys")] + root)
        #expect(bad.status == 64 && bad.stderr.contains("data-keys/1"))
        #expect(try l.run(["replay", session, "--bundle", l.dir.file("before.jsonl"), "--data-keys", l.dir.path] + root).status == 66)
    }
}
