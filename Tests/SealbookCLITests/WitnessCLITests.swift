import Foundation
import SealbookCore
import SealbookPostgres
import SealbookTestSupport
import Testing

/// A ledger with a log key and a first checkpoint, and two witnesses with their own state folders.
struct WitnessedLedger {
    let l: CLILedger
    let logKey: String
    let vkey: String
    let w1: (key: String, vkey: String, state: String)
    let w2: (key: String, vkey: String, state: String)
    let first: String
    let firstSize: Int64

    init() throws {
        l = try CLILedger()
        (logKey, vkey) = try l.logKey()
        for i in 1...10 { _ = try l.append("s/\(i % 2)", "{\"i\":\(i)}") }
        first = try l.checkpoint(logKey, "cp1.txt")
        firstSize = try l.headSeq()
        w1 = try Self.keygen("witness.example/w1", l.dir.file("w1"))
        w2 = try Self.keygen("witness.example/w2", l.dir.file("w2"))
    }

    /// A witness key `<base>.key` and a state folder `<base>.state` (not yet made).
    static func keygen(_ name: String, _ base: String) throws -> (key: String, vkey: String, state: String) {
        let r = try runSealbook(["witness", "keygen", "--name", name, "--out", base + ".key", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        return (base + ".key", try json(r)["vkey"]!.stringValue!, base + ".state")
    }

    /// `witness cosign` of `checkpoint` by `w`, with extra arguments.
    func cosign(_ w: (key: String, vkey: String, state: String), _ checkpoint: String, _ extra: [String] = []) throws -> RunResult {
        try l.run(["witness", "cosign", "--checkpoint", checkpoint, "--log-vkey", vkey, "--key", w.key, "--state", w.state] + extra)
    }

    func verify(_ checkpoint: String, quorum: Int) throws -> RunResult {
        try l.run([
            "verify", "--checkpoint", checkpoint, "--log-vkey", vkey, "--witness-vkey", w1.vkey, "--witness-vkey", w2.vkey, "--quorum",
            String(quorum), "--json",
        ])
    }

    /// The only state file in `w`'s folder.
    func stateFile(_ w: (key: String, vkey: String, state: String)) throws -> [UInt8] {
        let names = try FileManager.default.contentsOfDirectory(atPath: w.state).filter { $0.hasSuffix(".checkpoint") }
        #expect(names.count == 1)
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: w.state + "/" + names[0])))
    }
}

@Suite("sealbook witness, end to end")
struct WitnessCLITests {
    @Test("witness keygen: a 0600 file never overwritten, the cosignature vkey (type 0x04) printed, never the secret; a bad name exits 64")
    func keygen() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.file("w.key")
        let r = try runSealbook(["witness", "keygen", "--name", "witness.example/w1", "--out", path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
        let file = try JSONParser.parse(String(contentsOfFile: path, encoding: .utf8))
        let seed = file["seed"]!.stringValue!
        #expect(!r.stdout.contains(seed) && !r.stderr.contains(seed))
        let vkey = try NoteVerifier(vkey: file["vkey"]!.stringValue!)
        #expect(vkey.type == .cosignatureV1 && vkey.name == "witness.example/w1" && r.stdout.contains(vkey.vkey))
        let again = try runSealbook(["witness", "keygen", "--name", "witness.example/w1", "--out", path, "--json"])
        #expect(try again.status == 73 && (try json(again))["error"]?["code"] == "output-exists")
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains(seed), "not overwritten")
        let bad = try runSealbook(["witness", "keygen", "--name", "witness example", "--out", dir.file("b.key")])
        #expect(bad.status == 64 && bad.stderr.contains("not valid") && !FileManager.default.fileExists(atPath: dir.file("b.key")))
    }

    @Test("checkpoint, cosigned by two witnesses: verify with quorum 2 passes; with one cosignature quorum 2 exits 87; the same checkpoint again gives the same cosignature")
    func twoWitnessesQuorum() throws {
        let t = try WitnessedLedger()
        defer { t.l.cleanup() }
        let noState = try t.cosign(t.w1, t.first)
        #expect(noState.status == 93 && noState.stderr.contains("--accept-first"), "\(noState.stderr)")
        #expect(!FileManager.default.fileExists(atPath: t.w1.state), "a refusal writes nothing")

        let c1 = try t.cosign(t.w1, t.first, ["--accept-first", "--out", t.l.dir.file("cp1-w1.txt")])
        #expect(c1.status == 0, "\(c1.stderr)")
        #expect(c1.stdout.hasPrefix("— witness.example/w1 ") && c1.stdout.split(separator: "\n").count == 1)
        let withW1 = try String(contentsOfFile: t.l.dir.file("cp1-w1.txt"), encoding: .utf8)
        #expect(withW1 == (try String(contentsOfFile: t.first, encoding: .utf8)) + c1.stdout, "--out is the note with the line appended")
        let c2 = try t.cosign(t.w2, t.l.dir.file("cp1-w1.txt"), ["--accept-first", "--out", t.l.dir.file("cp1-w12.txt"), "--json"])
        #expect(c2.status == 0, "\(c2.stderr)")
        let j = try json(c2)
        #expect(j["ok"] == true && j["outcome"] == "first" && j["size"]?.int64Value == t.firstSize && j["origin"]?.stringValue?.hasPrefix("sealbook.ledger/") == true)
        #expect(j["note"]?.stringValue == (try String(contentsOfFile: t.l.dir.file("cp1-w12.txt"), encoding: .utf8)))
        #expect(j["cosignature"]?.stringValue?.hasPrefix("— witness.example/w2 ") == true)

        let both = try t.verify(t.l.dir.file("cp1-w12.txt"), quorum: 2)
        #expect(both.status == 0, "\(both.stdout)")
        #expect(try json(both)["checkpoint"]?["witnesses"]?.arrayValue?.count == 2)
        let one = try t.verify(t.l.dir.file("cp1-w1.txt"), quorum: 2)
        #expect(try one.status == 87 && (try json(one))["error"]?["code"] == "checkpoint-signature", "\(one.stdout)")
        #expect(try t.verify(t.l.dir.file("cp1-w1.txt"), quorum: 1).status == 0)

        // The same checkpoint again: the same line, the state untouched.
        let state = try t.stateFile(t.w1)
        let again = try t.cosign(t.w1, t.first)
        #expect(again.status == 0 && again.stdout == c1.stdout, "\(again.stderr)")
        #expect(try t.stateFile(t.w1) == state)
    }

    @Test("more appends, a new checkpoint, cosigned again: via the database with a sealbook_auditor login, and via a proof file")
    func extendsTheLog() throws {
        let t = try WitnessedLedger()
        let auditor = "wit_cli_auditor_" + Hex.encode(secureRandomBytes(4))
        try t.l.db.superuserExecute("CREATE ROLE \(auditor) LOGIN IN ROLE sealbook_auditor")
        defer {
            t.l.cleanup()
            _ = try? PGConnection(conninfo: try TestDatabase.serverURL()).execute("DROP ROLE IF EXISTS \(identifier: auditor)")
        }
        #expect(try t.cosign(t.w1, t.first, ["--accept-first"]).status == 0)
        #expect(try t.cosign(t.w2, t.first, ["--accept-first"]).status == 0)
        for i in 1...300 where i % 100 == 0 || i < 5 { _ = try t.l.append("s/x", "{\"n\":\(i)}") }
        let second = try t.l.checkpoint(t.logKey, "cp2.txt")
        let size = try t.l.headSeq()

        let none = try t.cosign(t.w1, second)
        #expect(none.status == 64 && none.stderr.contains("--proof") && none.stderr.contains("--database-url"), "\(none.stderr)")
        let viaDB = try t.cosign(t.w1, second, ["--database-url", t.l.db.url(user: auditor), "--out", t.l.dir.file("cp2-w1.txt"), "--json"])
        #expect(viaDB.status == 0, "\(viaDB.stdout) \(viaDB.stderr)")
        let j = try json(viaDB)
        #expect(j["outcome"] == "extended" && j["previousSize"]?.int64Value == t.firstSize && j["size"]?.int64Value == size)

        let proof = try t.l.run(["prove", "consistency", "--from", String(t.firstSize), "--to", String(size), "--json"])
        #expect(proof.status == 0)
        try proof.stdout.write(toFile: t.l.dir.file("proof.json"), atomically: true, encoding: .utf8)
        let viaFile = try t.cosign(t.w2, t.l.dir.file("cp2-w1.txt"), ["--proof", t.l.dir.file("proof.json"), "--out", t.l.dir.file("cp2-w12.txt")])
        #expect(viaFile.status == 0, "\(viaFile.stderr)")
        // The text form of prove consistency is accepted too (w2 already holds cp2: unchanged).
        let text = try t.l.run(["prove", "consistency", "--from", String(t.firstSize), "--to", String(size)])
        try text.stdout.write(toFile: t.l.dir.file("proof.txt"), atomically: true, encoding: .utf8)
        #expect(try t.cosign(t.w2, second, ["--proof", t.l.dir.file("proof.txt")]).status == 0)
        #expect(try t.verify(t.l.dir.file("cp2-w12.txt"), quorum: 2).status == 0)
    }

    @Test("refusals, each its own exit code, the state byte for byte unchanged: a fork (91), a smaller tree (90), a flipped proof (92), a proof of the wrong length or malformed (89), a corrupt state (93)")
    func refusals() throws {
        let t = try WitnessedLedger()
        defer { t.l.cleanup() }
        #expect(try t.cosign(t.w1, t.first, ["--accept-first"]).status == 0)
        for i in 1...6 { _ = try t.l.append("s/y", "{\"n\":\(i)}") }
        let second = try t.l.checkpoint(t.logKey, "cp2.txt")
        let size = try t.l.headSeq()
        let proofRun = try t.l.run(["prove", "consistency", "--from", String(t.firstSize), "--to", String(size), "--json"])
        let proof = try json(proofRun)
        let hashes = proof["proof"]!.arrayValue!.map { $0.stringValue! }
        #expect(hashes.count >= 2)
        func proofFile(_ name: String, _ path: [String], size1: Int64? = nil) throws -> String {
            let obj = JSONValue.object(
                JSONObject([
                    (key: "ok", value: true), (key: "type", value: "consistency"), (key: "size1", value: .number(JSONNumber(size1 ?? t.firstSize))),
                    (key: "size2", value: .number(JSONNumber(size))), (key: "root1", value: proof["root1"]!),
                    (key: "root2", value: proof["root2"]!), (key: "proof", value: .array(path.map { .string($0) })),
                ]))
            try JCS.canonicalString(obj).write(toFile: t.l.dir.file(name), atomically: true, encoding: .utf8)
            return t.l.dir.file(name)
        }
        var flippedHash = Base64.decode(hashes[0])!
        flippedHash[5] ^= 0x40
        let flipped = try proofFile("flipped.json", [Base64.encode(flippedHash)] + hashes.dropFirst())
        let short = try proofFile("short.json", Array(hashes.dropLast()))
        try "{\"type\":\"consistency\",".write(toFile: t.l.dir.file("broken.json"), atomically: true, encoding: .utf8)
        let state = try t.stateFile(t.w1)

        func refused(_ r: RunResult, _ code: Int32, _ name: String, _ needles: [String] = []) throws {
            #expect(r.status == code, "\(r.stdout) \(r.stderr)")
            let e = try json(r)["error"]
            #expect(e?["code"]?.stringValue == name && e?["exitCode"]?.int64Value == Int64(code))
            for n in needles { #expect(e?["message"]?.stringValue?.contains(n) == true, "\(String(describing: e)) lacks \(n)") }
            #expect(try t.stateFile(t.w1) == state, "the state is unchanged")
        }
        try refused(try t.cosign(t.w1, second, ["--proof", flipped, "--json"]), 92, "witness-bad-proof", [proof["root1"]!.stringValue!])
        try refused(try t.cosign(t.w1, second, ["--proof", short, "--json"]), 89, "proof-malformed", ["needs \(hashes.count) hash"])
        try refused(try t.cosign(t.w1, second, ["--proof", t.l.dir.file("broken.json"), "--json"]), 89, "proof-malformed")
        // A valid proof, but from another size than the one the witness holds.
        let other = try t.l.run(["prove", "consistency", "--from", String(t.firstSize - 1), "--to", String(size), "--json"])
        try other.stdout.write(toFile: t.l.dir.file("other-size.json"), atomically: true, encoding: .utf8)
        try refused(
            try t.cosign(t.w1, second, ["--proof", t.l.dir.file("other-size.json"), "--json"]), 92, "witness-bad-proof",
            ["size \(t.firstSize - 1)", "size \(t.firstSize)"])

        // A fork: a checkpoint signed by the log key over another root at the size the witness holds.
        let forkRoot = SHA256.hash(Array("fork".utf8))
        let fork = try t.l.forgedCheckpoint(logKey: t.logKey, size: t.firstSize, root: forkRoot, name: "fork.txt")
        let heldRoot = try t.l.referenceTree().root(size: UInt64(t.firstSize))
        try refused(try t.cosign(t.w1, fork, ["--json"]), 91, "witness-fork", [b64(forkRoot), b64(heldRoot), "size \(t.firstSize)"])

        // A proof file that is not there: 66.
        #expect(try t.cosign(t.w1, second, ["--proof", t.l.dir.file("missing.json")]).status == 66)
        // The larger tree goes in; then the first checkpoint is a smaller tree.
        let ok = try t.cosign(t.w1, second, ["--proof", try proofFile("ok.json", hashes)])
        #expect(ok.status == 0, "\(ok.stderr)")
        let state2 = try t.stateFile(t.w1)
        let smaller = try t.cosign(t.w1, t.first, ["--json"])
        #expect(try smaller.status == 90 && (try json(smaller))["error"]?["code"] == "witness-smaller-tree")
        #expect(try json(smaller)["error"]?["message"]?.stringValue?.contains("size \(t.firstSize)") == true)
        #expect(try t.stateFile(t.w1) == state2)

        // Not the log's key (87), another origin (88), an existing --out (73): nothing changes.
        let stranger = try NoteVerifier(name: (try NoteVerifier(vkey: t.vkey)).name, publicKey: Ed25519.PrivateKey().publicKey).vkey
        let s = try t.l.run(["witness", "cosign", "--checkpoint", second, "--log-vkey", stranger, "--key", t.w1.key, "--state", t.w1.state, "--json"])
        #expect(try s.status == 87 && (try json(s))["error"]?["code"] == "checkpoint-signature")
        let elsewhere = try t.l.forgedCheckpoint(logKey: t.logKey, size: 3, root: forkRoot, origin: "example.com/other", name: "other.txt")
        #expect(try t.cosign(t.w1, elsewhere, ["--accept-first"]).status == 88)
        #expect(try t.cosign(t.w1, second, ["--out", t.first]).status == 73)
        // A checkpoint file that is not UTF-8 (86), or not there (66).
        try Data([0xFF, 0xFE, 0x0A]).write(to: URL(fileURLWithPath: t.l.dir.file("binary.txt")))
        #expect(try t.cosign(t.w1, t.l.dir.file("binary.txt")).status == 86)
        #expect(try t.cosign(t.w1, t.l.dir.file("missing.txt")).status == 66)
        #expect(try t.stateFile(t.w1) == state2)

        // A corrupt state file, and another origin's state under this origin's file: 93.
        let names = try FileManager.default.contentsOfDirectory(atPath: t.w1.state).filter { $0.hasSuffix(".checkpoint") }
        let file = t.w1.state + "/" + names[0]
        try Data(state2.dropLast(20)).write(to: URL(fileURLWithPath: file))
        let corrupt = try t.cosign(t.w1, second, ["--json"])
        #expect(try corrupt.status == 93 && (try json(corrupt))["error"]?["code"] == "witness-state")
        #expect(try json(corrupt)["error"]?["message"]?.stringValue?.contains("corrupt") == true)
        #expect(try t.stateFile(t.w1) == Array(state2.dropLast(20)))
        // The state of another log (cosigned by this same witness) under this origin's file: 93.
        let otherName = "example.com/other"
        let otherLog = try t.l.forgedCheckpoint(logKey: t.logKey, size: 3, root: forkRoot, origin: otherName, keyName: otherName, name: "o.txt")
        let otherVkey = try NoteVerifier(name: otherName, publicKey: try KeyFile.read(path: t.logKey).privateKey.publicKey).vkey
        let otherState = t.l.dir.file("other-state")
        let o = try t.l.run([
            "witness", "cosign", "--checkpoint", otherLog, "--log-vkey", otherVkey, "--key", t.w1.key, "--state", otherState, "--accept-first",
        ])
        #expect(o.status == 0, "\(o.stderr)")
        let otherFile = try FileManager.default.contentsOfDirectory(atPath: otherState).filter { $0.hasSuffix(".checkpoint") }
        #expect(otherFile.count == 1 && otherFile[0] != names[0])
        let foreign = try Data(contentsOf: URL(fileURLWithPath: otherState + "/" + otherFile[0]))
        try foreign.write(to: URL(fileURLWithPath: file))
        let swapped = try t.cosign(t.w1, second, ["--json"])
        #expect(try swapped.status == 93 && (try json(swapped))["error"]?["message"]?.stringValue?.contains(otherName) == true, "\(swapped.stdout)")
        #expect(try t.stateFile(t.w1) == [UInt8](foreign))
    }
}
