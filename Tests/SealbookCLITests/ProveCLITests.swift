import Foundation
import SealbookCore
import SealbookPostgres
import SealbookTestSupport
import Testing

extension CLILedger {
    /// Enrols a log key (role log); returns its file and its vkey.
    func logKey() throws -> (file: String, vkey: String) {
        let file = try enroll("log@fingood", role: "log")
        let v = try run(["keys", "vkey", "--key", file])
        #expect(v.status == 0, "\(v.stderr)")
        return (file, v.stdout.trimmingCharacters(in: .newlines))
    }

    /// Signs and stores a checkpoint of the log as it is, written to `name` in the temp dir.
    func checkpoint(_ logKey: String, _ name: String) throws -> String {
        let r = try run(["checkpoint", "--key", logKey, "--out", dir.file(name)])
        #expect(r.status == 0, "\(r.stderr)")
        return dir.file(name)
    }

    /// The reference RFC 6962 tree of the log as it is, from its event hashes.
    func referenceTree() throws -> MerkleTree {
        let store = try LedgerStore(conninfo: db.url)
        return MerkleTree(leafHashes: try store.eventHashes(1...(try store.head().seq)).map(Merkle.leafHash))
    }

    func eventHash(_ seq: Int64) throws -> Digest32 { try LedgerStore(conninfo: db.url).eventHashes(seq...seq)[0] }

    /// A checkpoint note of this ledger's origin at `size` with `root`, signed with the log key
    /// file: a fork a log-key holder could make.
    /// `origin` and `keyName` default to the ledger's origin.
    func forgedCheckpoint(logKey: String, size: Int64, root: Digest32, origin: String? = nil, keyName: String? = nil, name: String) throws
        -> String
    {
        let key = try KeyFile.read(path: logKey)
        let logOrigin = try LedgerStore(conninfo: db.url).origin()
        let c = try Checkpoint(origin: origin ?? logOrigin, size: UInt64(size), rootHash: root)
        var n = try SignedNote(text: c.text)
        try n.add(try NoteSigner(name: keyName ?? logOrigin, privateKey: key.privateKey).signature(for: c.text))
        try n.serialized.write(toFile: dir.file(name), atomically: true, encoding: .utf8)
        return dir.file(name)
    }
}

func b64(_ d: Digest32) -> String { Base64.encode(d.bytes) }

@Suite("sealbook prove, end to end")
struct ProveCLITests {
    @Test("inclusion and consistency proofs, JSON and text form, equal an in-memory RFC 6962 tree's and verify")
    func proofs() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        for i in 1...20 { #expect(try l.append("s/\(i % 3)", "{\"i\":\(i)}").status == 0) }
        let n = try l.headSeq()
        let ref = try l.referenceTree()

        let r = try l.run(["prove", "inclusion", "--seq", "5", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try json(r)
        let path = try ref.inclusionProof(leafIndex: 4, size: UInt64(n))
        #expect(j["ok"] == true && j["type"] == "inclusion" && j["seq"]?.int64Value == 5 && j["leafIndex"]?.int64Value == 4)
        #expect(j["treeSize"]?.int64Value == n && j["root"]?.stringValue == b64(ref.root))
        #expect(j["eventHash"]?.stringValue == (try l.eventHash(5)).hex)
        #expect(j["leafHash"]?.stringValue == b64(Merkle.leafHash(try l.eventHash(5))))
        #expect(j["proof"]?.arrayValue?.compactMap(\.stringValue) == path.map(b64))
        try Merkle.verifyInclusion(leafHash: Merkle.leafHash(try l.eventHash(5)), index: 4, size: UInt64(n), proof: path, root: ref.root)

        let t = try l.run(["prove", "inclusion", "--seq", "7", "--size", "10"])
        #expect(t.status == 0, "\(t.stderr)")
        let lines = t.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let root10 = try ref.root(size: 10)
        #expect(
            lines[0]
                == "sealbook-inclusion-proof/v1 seq=7 index=6 size=10 eventHash=\((try l.eventHash(7)).hex) leafHash=\(b64(Merkle.leafHash(try l.eventHash(7)))) root=\(b64(root10))"
        )
        #expect(Array(lines.dropFirst()) == (try ref.inclusionProof(leafIndex: 6, size: 10)).map(b64) + [""])

        let c = try l.run(["prove", "consistency", "--from", "3", "--to", "10", "--json"])
        #expect(c.status == 0, "\(c.stderr)")
        let cj = try json(c)
        let cpath = try ref.consistencyProof(from: 3, to: 10)
        #expect(cj["type"] == "consistency" && cj["size1"]?.int64Value == 3 && cj["size2"]?.int64Value == 10)
        #expect(cj["root1"]?.stringValue == b64(try ref.root(size: 3)) && cj["root2"]?.stringValue == b64(root10))
        #expect(cj["proof"]?.arrayValue?.compactMap(\.stringValue) == cpath.map(b64))
        try Merkle.verifyConsistency(size1: 3, size2: 10, proof: cpath, root1: try ref.root(size: 3), root2: root10)

        let ct = try l.run(["prove", "consistency", "--from", "4"])
        #expect(ct.status == 0, "\(ct.stderr)")
        #expect(
            ct.stdout
                == "sealbook-consistency-proof/v1 size1=4 size2=\(n) root1=\(b64(try ref.root(size: 4))) root2=\(b64(ref.root))\n"
                + (try ref.consistencyProof(from: 4, to: UInt64(n))).map { b64($0) + "\n" }.joined())
    }

    @Test("with a checkpoint: a C2SP tlog-proof carrying the signed checkpoint, which round-trips and verifies; another root exits 1 naming both")
    func withCheckpoint() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let (logKey, vkey) = try l.logKey()
        for i in 1...12 { _ = try l.append("s", "{\"i\":\(i)}") }
        let cp = try l.checkpoint(logKey, "cp.txt")
        let size = try l.headSeq()
        let ref = try l.referenceTree()
        for i in 1...5 { _ = try l.append("s", "{\"j\":\(i)}") }

        let r = try l.run(["prove", "inclusion", "--seq", "4", "--checkpoint", cp, "--log-vkey", vkey])
        #expect(r.status == 0, "\(r.stderr)")
        let proof = try TLogProof(parsing: r.stdout)
        #expect(proof.serialized == r.stdout)
        #expect(try proof.index == 3 && proof.signedCheckpoint.serialized == (try String(contentsOfFile: cp, encoding: .utf8)))
        let verifier = try NoteVerifier(vkey: vkey)
        #expect(try proof.signedCheckpoint.verify(using: [verifier]) == [verifier])
        #expect(proof.inclusionProof == (try ref.inclusionProof(leafIndex: 3, size: UInt64(size))))
        try Merkle.verifyInclusion(
            leafHash: Merkle.leafHash(try l.eventHash(4)), index: proof.index, size: proof.checkpoint.size, proof: proof.inclusionProof,
            root: proof.checkpoint.rootHash)
        let rj = try json(try l.run(["prove", "inclusion", "--seq", "4", "--checkpoint", cp, "--log-vkey", vkey, "--json"]))
        #expect(rj["treeSize"]?.int64Value == size && rj["tlogProof"]?.stringValue == r.stdout)

        let c = try l.run(["prove", "consistency", "--from", "2", "--checkpoint", cp, "--log-vkey", vkey, "--json"])
        #expect(c.status == 0, "\(c.stderr)")
        #expect(try json(c)["size2"]?.int64Value == size && (try json(c))["root2"]?.stringValue == b64(ref.root))

        // The log key signed another root at a size the log holds: exit 1, naming both roots.
        let otherRoot = SHA256.hash(Array("another history".utf8))
        let forged = try l.forgedCheckpoint(logKey: logKey, size: 10, root: otherRoot, name: "forged.txt")
        for args in [["prove", "inclusion", "--seq", "3"], ["prove", "consistency", "--from", "3"]] {
            let f = try l.run(args + ["--checkpoint", forged, "--log-vkey", vkey])
            #expect(f.status == 1 && f.stdout.isEmpty, "\(f.stderr)")
            #expect(try f.stderr.contains(b64(otherRoot)) && f.stderr.contains(b64(try ref.root(size: 10))), "\(f.stderr)")
        }
        // A checkpoint past the log's head: the log lost its tail (exit 1).
        let beyond = try l.forgedCheckpoint(logKey: logKey, size: 999, root: otherRoot, name: "beyond.txt")
        #expect(try l.run(["prove", "inclusion", "--seq", "3", "--checkpoint", beyond, "--log-vkey", vkey]).status == 1)
        // Not the log key: 87. Not a note: 86. Another origin: 88.
        let stranger = try NoteVerifier(name: verifier.name, publicKey: Ed25519.PrivateKey().publicKey).vkey
        let s = try l.run(["prove", "inclusion", "--seq", "3", "--checkpoint", cp, "--log-vkey", stranger, "--json"])
        #expect(try s.status == 87 && (try json(s))["error"]?["code"] == "checkpoint-signature")
        try "not a checkpoint\n".write(toFile: l.dir.file("junk.txt"), atomically: true, encoding: .utf8)
        let m = try l.run(["prove", "inclusion", "--seq", "3", "--checkpoint", l.dir.file("junk.txt"), "--log-vkey", vkey, "--json"])
        #expect(try m.status == 86 && (try json(m))["error"]?["code"] == "checkpoint-malformed")
        let elsewhere = try l.forgedCheckpoint(logKey: logKey, size: 3, root: otherRoot, origin: "example.com/other", name: "other.txt")
        let o = try l.run(["prove", "inclusion", "--seq", "3", "--checkpoint", elsewhere, "--log-vkey", vkey, "--json"])
        #expect(try o.status == 88 && (try json(o))["error"]?["code"] == "checkpoint-origin")
    }

    @Test(
        "proofs outside the log exit 64 with a clear message",
        arguments: [
            (["prove", "inclusion", "--seq", "0"], "at least 1"),
            (["prove", "inclusion", "--seq", "6", "--size", "5"], "not in the tree of size 5"),
            (["prove", "inclusion", "--seq", "2", "--size", "99"], "outside the log"),
            (["prove", "consistency", "--from", "5", "--to", "3"], "larger than the second"),
            (["prove", "consistency", "--from", "0"], "at least 1"),
            (["prove", "consistency", "--from", "1", "--to", "99"], "outside the log"),
        ])
    func refusals(args: [String], message: String) throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        for i in 1...4 { _ = try l.append("s", "{\"i\":\(i)}") }
        let r = try l.run(args)
        #expect(r.status == 64 && r.stdout.isEmpty && r.stderr.contains(message), "\(r.stderr)")
        let j = try l.run(args + ["--json"])
        #expect(try j.status == 64 && (try json(j))["error"]?["code"] == "usage")
    }

    @Test("--size with --checkpoint, or --to with --checkpoint, is a usage error")
    func conflictingOptions() throws {
        #expect(try runSealbook(["prove", "inclusion", "--seq", "1", "--size", "2", "--checkpoint", "x", "--log-vkey", "v"]).status == 64)
        #expect(try runSealbook(["prove", "consistency", "--from", "1", "--to", "2", "--checkpoint", "x", "--log-vkey", "v"]).status == 64)
        #expect(try runSealbook(["prove", "inclusion", "--seq", "1", "--checkpoint", "x"]).status == 64)
    }

    @Test("--help shows an example", arguments: [["prove", "inclusion"], ["prove", "consistency"], ["witness", "keygen"], ["witness", "cosign"]])
    func helpHasExample(command: [String]) throws {
        let r = try runSealbook(command + ["--help"])
        #expect(r.status == 0 && r.stdout.contains("Example") && r.stdout.contains("sealbook " + command.joined(separator: " ")))
    }
}
