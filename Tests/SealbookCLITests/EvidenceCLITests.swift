import Foundation
import SealbookCore
import SealbookTestSupport
import Testing

/// A ``CLILedger`` with a log key, session events and checkpoints, all made through the binary.
struct CheckpointedLedger {
    let l: CLILedger
    let logVkey: String

    init(sessionEvents: Int = 4) throws {
        l = try CLILedger()
        let log = try runSealbook(["keys", "generate", "--actor", "log@fingood", "--out", l.dir.file("log.key"), "--json"])
        #expect(log.status == 0, "\(log.stderr)")
        let enroll = try l.run([
            "keys", "enroll", "--public-key", try json(log)["publicKey"]!.stringValue!, "--actor", "log@fingood", "--role", "log",
            "--key", l.dir.file("root.key"),
        ])
        #expect(enroll.status == 0, "\(enroll.stderr)")
        logVkey = try l.run(["keys", "vkey", "--key", l.dir.file("log.key")]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for i in 1...sessionEvents {
            #expect(try l.append("session/s1", "{\"step\":\(i)}").status == 0)
            #expect(try l.append("other", "{\"n\":\(i)}").status == 0)
        }
    }

    /// Signs and stores a checkpoint of the log as it is; returns its size and the note.
    func checkpoint() throws -> (size: Int64, root: String, note: String) {
        let r = try l.run(["checkpoint", "--key", l.dir.file("log.key"), "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try json(r)
        return (j["size"]!.int64Value!, j["root"]!.stringValue!, j["checkpoint"]!.stringValue!)
    }

    func cleanup() { l.cleanup() }
}

/// The file's lines (without the final newline's empty line).
func lines(_ path: String) throws -> [String] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
}

func write(_ lines: [String], _ path: String) throws {
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
}

/// A header line with its `checkpoint` member set to `note` (nil: removed), other members kept.
func withCheckpoint(_ header: String, _ note: String?) throws -> String {
    guard case .object(var o) = try JSONParser.parse(header) else { throw CocoaError(.fileReadCorruptFile) }
    o.members.removeAll { $0.key == "checkpoint" }
    if let note { o.members.append((key: "checkpoint", value: .string(note))) }
    return try JCS.canonicalString(.object(o))
}

/// Runs `verify` on a file offline (no database) and returns the exit status and the JSON.
func verifyOffline(_ args: [String]) throws -> (Int32, JSONValue) {
    let r = try runSealbook(["verify", "--json"] + args, environment: ["SEALBOOK_HOME": NSTemporaryDirectory() + "sealbook-offline-none"])
    return (r.status, try json(r))
}

@Suite("Bundles carry their checkpoint; evidence packages (binary, real PostgreSQL)")
struct EvidenceCLITests {
    @Test("export writes the latest checkpoint into the bundle; verify --bundle says it is anchored; an old bundle still verifies")
    func bundleAnchored() throws {
        let c = try CheckpointedLedger()
        defer { c.cleanup() }
        let cp = try c.checkpoint()
        #expect(try c.l.append("other", "{\"after\":1}").status == 0)
        let bundle = c.l.dir.file("b.bundle")
        let export = try c.l.run(["export", "--out", bundle, "--json"])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(try json(export)["checkpoint"]?.int64Value == cp.size)
        #expect(try lines(bundle)[0].contains("\"checkpoint\":"))
        let text = try runSealbook(["verify", "--bundle", bundle, "--trust-root", c.l.rootPublicKey])
        #expect(text.status == 0, "\(text.stdout)")
        #expect(text.stdout.contains("anchored by checkpoint at size \(cp.size) (root \(cp.root))"), "\(text.stdout)")
        let (status, j) = try verifyOffline(["--bundle", bundle, "--trust-root", c.l.rootPublicKey])
        #expect(status == 0)
        #expect(j["bundleCheckpoint"]?["anchored"] == true && j["bundleCheckpoint"]?["size"]?.int64Value == cp.size)
        // The log key given explicitly.
        #expect(try verifyOffline(["--bundle", bundle, "--log-vkey", c.logVkey]).0 == 0)
        // --to below the checkpoint: no checkpoint fits, none is carried.
        let early = c.l.dir.file("early.bundle")
        let e = try c.l.run(["export", "--out", early, "--to", String(cp.size - 1), "--json"])
        let ej = try json(e)
        #expect(e.status == 0 && ej["checkpoint"]?.isNull == true)
        #expect(try !lines(early)[0].contains("checkpoint"))
        // A bundle without the member (as before this format change) verifies as before.
        var ls = try lines(bundle)
        ls[0] = try withCheckpoint(ls[0], nil)
        try write(ls, c.l.dir.file("old.bundle"))
        let (oldStatus, old) = try verifyOffline(["--bundle", c.l.dir.file("old.bundle"), "--trust-root", c.l.rootPublicKey])
        #expect(oldStatus == 0 && old["bundleCheckpoint"]?.isNull == true)
    }

    @Test("verify --bundle: an edited checkpoint root, another ledger's checkpoint, a wrong --log-vkey and a bundle cut below the checkpoint fail with checkpoint-mismatch (exit 1)")
    func bundleCheckpointMismatch() throws {
        let c = try CheckpointedLedger(sessionEvents: 5)
        defer { c.cleanup() }
        let cp = try c.checkpoint()
        #expect(try c.l.append("other", "{\"after\":1}").status == 0)
        let bundle = c.l.dir.file("b.bundle")
        #expect(try c.l.run(["export", "--out", bundle]).status == 0)
        let original = try lines(bundle)
        func failure(_ ls: [String], _ extra: [String] = [], name: String) throws -> JSONValue? {
            let path = c.l.dir.file(name)
            try write(ls, path)
            let (status, j) = try verifyOffline(["--bundle", path, "--trust-root", c.l.rootPublicKey] + extra)
            #expect(status == 1, "\(name): \(j)")
            return j["failures"]?.arrayValue?.first
        }
        // The root in the note edited: the log's signature no longer holds.
        var ls = original
        ls[0] = ls[0].replacingOccurrences(of: cp.root, with: Base64.encode([UInt8](repeating: 7, count: 32)))
        #expect(ls[0] != original[0])
        var f = try failure(ls, name: "root")
        #expect(f?["reason"] == "checkpoint-mismatch" && f?["seq"]?.int64Value == cp.size, "\(String(describing: f))")
        // Another ledger's checkpoint (same ledger id, another genesis: another origin).
        let other = try CheckpointedLedger(sessionEvents: 1)
        defer { other.cleanup() }
        let otherCp = try other.checkpoint()
        #expect(otherCp.size < cp.size)
        ls = original
        ls[0] = try withCheckpoint(ls[0], otherCp.note)
        f = try failure(ls, name: "other")
        #expect(f?["reason"] == "checkpoint-mismatch" && f?["seq"]?.int64Value == otherCp.size, "\(String(describing: f))")
        #expect(f?["detail"]?.stringValue?.contains("not this ledger's") == true)
        // Signed by the right log key, but the auditor pinned another.
        f = try failure(original, ["--log-vkey", other.logVkey], name: "vkey")
        #expect(f?["reason"] == "checkpoint-mismatch" && f?["seq"]?.int64Value == cp.size)
        // Cut below the checkpoint with the header's `to` lowered to match: every entry verifies,
        // only the checkpoint shows that entries are gone.
        let keep = Int(cp.size) - 3
        ls = Array(original.prefix(1 + keep))
        ls[0] = ls[0].replacingOccurrences(of: "\"to\":\(original.count - 1)", with: "\"to\":\(keep)")
        #expect(ls[0] != original[0])
        f = try failure(ls, name: "cut")
        #expect(f?["reason"] == "checkpoint-mismatch" && f?["seq"]?.int64Value == Int64(keep + 1), "\(String(describing: f))")
        let cutText = try runSealbook(["verify", "--bundle", c.l.dir.file("cut")])
        #expect(cutText.status == 1 && cutText.stdout.contains("checkpoint-mismatch") && cutText.stdout.contains("seq \(keep + 1)"))
        // Cut without lowering `to`: bundle-truncated, and the checkpoint is not judged.
        ls = Array(original.prefix(1 + keep))
        f = try failure(ls, name: "truncated")
        #expect(f?["reason"] == "bundle-truncated")
        // A header whose checkpoint member is not a string is not a bundle.
        ls = original
        ls[0] = try withCheckpoint(ls[0], nil).replacingOccurrences(of: "{\"chainHashBefore\"", with: "{\"checkpoint\":1,\"chainHashBefore\"")
        try write(ls, c.l.dir.file("notstring"))
        let r = try runSealbook(["verify", "--bundle", c.l.dir.file("notstring")])
        #expect(r.status == 1 && r.stderr.contains("checkpoint must be a string"), "\(r.stderr)")
    }

    @Test("evidence package: exported for a session, verifies offline; each tamper fails with exit 1, its seq and its reason")
    func evidencePackage() throws {
        let c = try CheckpointedLedger(sessionEvents: 5)
        defer { c.cleanup() }
        _ = try c.checkpoint()
        #expect(try c.l.append("other", "{\"more\":1}").status == 0)
        let later = try c.checkpoint()  // same keys stream, larger: the package is made against it
        #expect(try c.l.append("other", "{\"more\":2}").status == 0)
        let package = c.l.dir.file("s1.evidence")
        let export = try c.l.run(["export", "--session", "s1", "--out", package, "--json"])
        #expect(export.status == 0, "\(export.stderr)")
        let ej = try json(export)
        #expect(ej["events"] == 5 && ej["checkpoint"]?["size"]?.int64Value == later.size && ej["stream"] == "session/s1")
        let ok = try runSealbook(["verify", "--evidence", package, "--trust-root", c.l.rootPublicKey])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(ok.stdout.contains("OK: 5 events of stream session/s1") && ok.stdout.contains("anchored by checkpoint at size \(later.size)"))
        let (okStatus, okJSON) = try verifyOffline(["--evidence", package, "--trust-root", c.l.rootPublicKey, "--log-vkey", c.logVkey])
        #expect(okStatus == 0 && okJSON["rootPinned"] == true && okJSON["checkpoint"]?["anchored"] == true)

        let original = try lines(package)
        let entries = original.dropFirst().map { try! JSONParser.parse($0) }
        let seqs = entries.map { $0["seq"]!.int64Value! }
        let session = entries.indices.filter { entries[$0]["body"]?["stream"] == "session/s1" }.map { $0 + 1 }  // line indexes
        #expect(session.count == 5)
        func failure(_ ls: [String], root: String? = nil, name: String) throws -> (seq: Int64, reason: String) {
            let path = c.l.dir.file(name)
            try write(ls, path)
            let (status, j) = try verifyOffline(["--evidence", path, "--trust-root", root ?? c.l.rootPublicKey])
            #expect(status == 1, "\(name): \(j)")
            let f = j["failures"]?.arrayValue?.first
            #expect(j["failures"]?.arrayValue?.count == 1)
            return (f?["seq"]?.int64Value ?? -1, f?["reason"]?.stringValue ?? "none")
        }
        let mid = session[2]
        let seqOf = { (line: Int) in seqs[line - 1] }
        // An edited body.
        var ls = original
        ls[mid] = ls[mid].replacingOccurrences(of: "\"step\":3", with: "\"step\":4")
        #expect(ls[mid] != original[mid])
        #expect(try failure(ls, name: "edited") == (seqOf(mid), "wrong-event-hash"))
        // A dropped entry: the session's next event no longer links.
        ls = original
        ls.remove(at: mid)
        #expect(try failure(ls, name: "dropped") == (seqOf(session[3]), "wrong-stream-seq"))
        // Reordered.
        ls = original
        ls.swapAt(mid, mid + 1)
        #expect(try failure(ls, name: "reordered") == (min(seqOf(mid), seqOf(mid + 1)), "seq-duplicate"))
        // A wrong proof.
        ls = original
        let proof = entries[mid - 1]["proof"]!.arrayValue!
        #expect(!proof.isEmpty)
        ls[mid] = ls[mid].replacingOccurrences(of: proof[0].stringValue!, with: Base64.encode([UInt8](repeating: 1, count: 32)))
        #expect(try failure(ls, name: "proof") == (seqOf(mid), "bad-inclusion-proof"))
        // Another ledger's checkpoint (smaller: the session is beyond it), and another ledger's package.
        ls = original
        let other = try CheckpointedLedger(sessionEvents: 1)
        defer { other.cleanup() }
        let otherCp = try other.checkpoint()
        ls[0] = try withCheckpoint(ls[0], otherCp.note)
        #expect(otherCp.size < seqs.last!)
        let foreign = try failure(ls, name: "foreign-checkpoint")
        #expect(foreign == (seqs.first { $0 > otherCp.size }!, "checkpoint-mismatch"))
        #expect(try failure(original, root: other.l.rootPublicKey, name: "foreign-root") == (1, "genesis-root-mismatch"))
        // Text output names the seq and the reason.
        let text = try runSealbook(["verify", "--evidence", c.l.dir.file("proof")])
        #expect(text.status == 1 && text.stdout.contains("seq \(seqOf(mid))") && text.stdout.contains("bad-inclusion-proof"), "\(text.stdout)")
    }

    @Test("evidence package against an earlier checkpoint of the same ledger: bad-inclusion-proof at seq 1")
    func otherCheckpoint() throws {
        let c = try CheckpointedLedger(sessionEvents: 3)
        defer { c.cleanup() }
        let first = try c.checkpoint()
        #expect(try c.l.append("other", "{\"more\":1}").status == 0)
        _ = try c.checkpoint()
        let package = c.l.dir.file("p.evidence")
        #expect(try c.l.run(["export", "--session", "s1", "--out", package]).status == 0)
        var ls = try lines(package)
        ls[0] = try withCheckpoint(ls[0], first.note)
        try write(ls, c.l.dir.file("other-cp"))
        let (status, j) = try verifyOffline(["--evidence", c.l.dir.file("other-cp"), "--trust-root", c.l.rootPublicKey])
        #expect(status == 1)
        let f = j["failures"]?.arrayValue?.first
        #expect(f?["reason"] == "bad-inclusion-proof" && f?["seq"] == 1, "\(j)")
    }

    @Test("export --session refuses a session no checkpoint covers, and an unknown session, with a clear message; nothing is written")
    func noCoveringCheckpoint() throws {
        let c = try CheckpointedLedger(sessionEvents: 2)
        defer { c.cleanup() }
        let out = c.l.dir.file("p.evidence")
        let none = try c.l.run(["export", "--session", "s1", "--out", out])
        #expect(none.status == 64 && none.stderr.contains("none is stored yet") && none.stderr.contains("sealbook checkpoint"), "\(none.stderr)")
        _ = try c.checkpoint()
        #expect(try c.l.append("session/s1", "{\"late\":1}").status == 0)
        let stale = try c.l.run(["export", "--session", "s1", "--out", out, "--json"])
        #expect(stale.status == 64)
        #expect(try json(stale)["error"]?["message"]?.stringValue?.contains("no stored checkpoint covers the last event of session/s1") == true)
        let unknown = try c.l.run(["export", "--session", "nope", "--out", out])
        #expect(unknown.status == 64 && unknown.stderr.contains("no event of stream session/nope"), "\(unknown.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try c.l.run(["export", "--session", "s1", "--to", "3", "--out", out]).status == 64)
    }

    @Test("--force replaces a regular file, never a directory or a symlink's target (bundles and evidence packages)")
    func forceIsSafe() throws {
        let c = try CheckpointedLedger(sessionEvents: 1)
        defer { c.cleanup() }
        _ = try c.checkpoint()
        let dir = c.l.dir.file("adir")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        try "keep".write(toFile: dir + "/inside", atomically: true, encoding: .utf8)
        let target = c.l.dir.file("target")
        try "target".write(toFile: target, atomically: true, encoding: .utf8)
        let link = c.l.dir.file("link")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        for session in [[], ["--session", "s1"]] as [[String]] {
            for path in [dir, link] {
                let r = try c.l.run(["export", "--out", path, "--force"] + session)
                #expect(r.status == 73, "\(session) \(path): \(r.status) \(r.stderr)")
                #expect(r.stderr.contains("not a regular file"), "\(r.stderr)")
            }
            #expect(try String(contentsOfFile: dir + "/inside", encoding: .utf8) == "keep")
            #expect(try String(contentsOfFile: target, encoding: .utf8) == "target")
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == target)
            // A regular file: refused without --force, replaced with it.
            let file = c.l.dir.file("out\(session.count)")
            try "old".write(toFile: file, atomically: true, encoding: .utf8)
            #expect(try c.l.run(["export", "--out", file] + session).status == 73)
            #expect(try String(contentsOfFile: file, encoding: .utf8) == "old")
            #expect(try c.l.run(["export", "--out", file, "--force"] + session).status == 0)
            #expect(try String(contentsOfFile: file, encoding: .utf8) != "old")
        }
    }
}
