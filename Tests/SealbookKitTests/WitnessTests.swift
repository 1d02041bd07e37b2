import Foundation
import SealbookCore
import SealbookKit
import SealbookPostgres
import SealbookTestSupport
import Testing

/// A note signed by `key` under `name` over a checkpoint of `origin` (a test crafts forks and
/// wrong origins with the real log key).
func signedCheckpoint(origin: String, size: Int64, root: Digest32, extensionLines: [String] = [], key: KeyFile, name: String? = nil) throws
    -> String
{
    let c = try Checkpoint(origin: origin, size: UInt64(size), rootHash: root, extensionLines: extensionLines)
    var n = try SignedNote(text: c.text)
    try n.add(try NoteSigner(name: name ?? origin, privateKey: key.privateKey).signature(for: c.text))
    return n.serialized
}

/// A login role in `sealbook_auditor` only, on the test server (roles are cluster-wide: a random name).
struct AuditorLogin {
    let name = "wit_auditor_" + Hex.encode(secureRandomBytes(4))
    let db: TestDatabase
    init(_ db: TestDatabase) throws {
        self.db = db
        try db.superuserExecute("CREATE ROLE \(name) LOGIN IN ROLE sealbook_auditor")
    }
    var url: String { db.url(user: name) }
    func drop() {
        db.drop()
        try? PGConnection(conninfo: try TestDatabase.serverURL()).execute("DROP ROLE IF EXISTS \(identifier: name)")
    }
}

@Suite("Proofs from the stored tree, proof files, tlog-proofs")
struct ProofTests {
    @Test("inclusion and consistency proofs equal an in-memory RFC 6962 tree's, verify, and read back from JSON and the text form")
    func proofsAndFiles() throws {
        let l = try AnchoredLedger(notes: 300)
        defer { l.t.db.drop() }
        let n = l.head
        let reference = try l.referenceTree()
        for (seq, size) in [(1, 1), (1, n), (2, 3), (256, 257), (n, n), (100, nil)] as [(Int64, Int64?)] {
            let p = try l.ledger.proveInclusion(seq: seq, size: size)
            let m = size ?? n
            #expect(p.treeSize == m && p.leafIndex == seq - 1)
            #expect(p.proof == (try reference.inclusionProof(leafIndex: UInt64(seq - 1), size: UInt64(m))))
            #expect(p.root == (try reference.root(size: UInt64(m))))
            #expect(p.eventHash == (try l.t.store.eventHashes(seq...seq)[0]))
            try p.verify()
            let fromJSON = try InclusionProof(parsing: try JCS.canonicalize(.object(p.json)))
            let fromText = try InclusionProof(parsing: Array(p.text.utf8))
            #expect(fromJSON == p && fromText == p)
        }
        for (a, b) in [(1, 2), (5, 300), (256, 257), (n, n), (7, nil)] as [(Int64, Int64?)] {
            let p = try l.ledger.proveConsistency(from: a, to: b)
            let m = b ?? n
            #expect(p.proof == (try reference.consistencyProof(from: UInt64(a), to: UInt64(m))))
            let (r1, r2) = (try reference.root(size: UInt64(a)), try reference.root(size: UInt64(m)))
            #expect(p.root1 == r1 && p.root2 == r2)
            try p.verify()
            #expect(try ConsistencyProof(parsing: try JCS.canonicalize(.object(p.json))) == p)
            #expect(try ConsistencyProof(parsing: Array(p.text.utf8)) == p)
        }
    }

    @Test("proofs outside the log are usage errors: seq 0, seq past the size, a size past the head, from past to")
    func refusals() throws {
        let l = try AnchoredLedger(notes: 5)
        defer { l.t.db.drop() }
        let n = l.head
        for attempt in [
            { _ = try l.ledger.proveInclusion(seq: 0) }, { _ = try l.ledger.proveInclusion(seq: 4, size: 3) },
            { _ = try l.ledger.proveInclusion(seq: 1, size: n + 1) }, { _ = try l.ledger.proveConsistency(from: 4, to: 3) },
            { _ = try l.ledger.proveConsistency(from: 0) }, { _ = try l.ledger.proveConsistency(from: 1, to: n + 1) },
        ] as [() throws -> Void] {
            #expect { try attempt() } throws: { e in
                guard case .usage = e as? LedgerError else { return false }
                return true
            }
        }
    }

    @Test("against a checkpoint: the tlog-proof round-trips through TLogProof(parsing:) and verifies against the note; another root or a lost tail is refused")
    func checkpointProofs() throws {
        let l = try AnchoredLedger(notes: 40)
        defer { l.t.db.drop() }
        let note = try l.ledger.signCheckpoint(key: l.logKey).checkpoint.note.serialized
        let vkey = try l.vkey()
        let cp = try TrustedCheckpoint(text: note, logKey: vkey)
        try l.add(10)
        let r = try l.ledger.proveInclusion(seq: 17, checkpoint: cp, logKey: vkey)
        #expect(r.proof.treeSize == cp.size && r.proof.root == cp.root)
        #expect(r.proof.proof == (try l.referenceTree().inclusionProof(leafIndex: 16, size: UInt64(cp.size))))
        let text = r.tlogProof.serialized
        #expect(text.hasPrefix("c2sp.org/tlog-proof@v1\nindex 16\n") && text.hasSuffix("\n\n" + note))
        let back = try TLogProof(parsing: text)
        #expect(back == r.tlogProof)
        _ = try back.signedCheckpoint.verify(using: [vkey])
        try Merkle.verifyInclusion(
            leafHash: Merkle.leafHash(try l.t.store.eventHashes(17...17)[0]), index: back.index, size: back.checkpoint.size,
            proof: back.inclusionProof, root: back.checkpoint.rootHash)
        let c = try l.ledger.proveConsistency(from: 3, checkpoint: cp)
        #expect(c.size2 == cp.size && c.root2 == cp.root)

        // The log key signed another root at a size the log holds: the log is not that checkpoint's.
        let origin = try l.ledger.origin()
        let other = try TrustedCheckpoint(
            text: try signedCheckpoint(origin: origin, size: 30, root: SHA256.hash(Array("other".utf8)), key: l.logKey), logKey: vkey)
        #expect(throws: ProofError.rootMismatch(size: 30, log: try l.referenceTree().root(size: 30), checkpoint: other.root)) {
            try l.ledger.proveInclusion(seq: 3, checkpoint: other, logKey: vkey)
        }
        let beyond = try TrustedCheckpoint(text: try signedCheckpoint(origin: origin, size: 999, root: cp.root, key: l.logKey), logKey: vkey)
        #expect(throws: ProofError.logTooShort(checkpointSize: 999, head: l.head)) { try l.ledger.proveConsistency(from: 1, checkpoint: beyond) }
        #expect(throws: LedgerError.self) { try l.ledger.proveInclusion(seq: cp.size + 1, checkpoint: cp, logKey: vkey) }
    }

    @Test(
        "a proof file that is not one, or whose hash count does not fit its sizes, is malformed",
        arguments: [
            "sealbook-consistency-proof/v1 size1=3 size2=5 root1=\(z) root2=\(z)\n",  // 4 hashes missing
            "sealbook-consistency-proof/v1 size1=3 size2=5 root1=\(z) root2=\(z)\n\(z)\n\(z)\n\(z)\n\(z)\n\(z)\n",  // one too many
            "sealbook-consistency-proof/v1 size1=3 size2=5 root1=\(z) root2=\(z)\n\(z)\n\(z)\n\(z)\n",  // one too few
            "sealbook-consistency-proof/v1 size1=03 size2=5 root1=\(z) root2=\(z)\n\(z)\n\(z)\n",
            "sealbook-consistency-proof/v1 size1=6 size2=5 root1=\(z) root2=\(z)\n",
            "sealbook-consistency-proof/v1 size1=0 size2=5 root1=\(z) root2=\(z)\n",
            "sealbook-consistency-proof/v1 size2=5 size1=3 root1=\(z) root2=\(z)\n\(z)\n\(z)\n",
            "sealbook-consistency-proof/v1 size1=3 size2=5 root1=\(z) root2=\(z)\n\(z)\nAAAA\n",
            "sealbook-consistency-proof/v1 size1=3 size2=5 root1=\(z) root2=\(z)\n\(z)\n\(z)",
            "sealbook-consistency-proof/v1  size1=3 size2=5 root1=\(z) root2=\(z)\n\(z)\n\(z)\n",
            "sealbook-inclusion-proof/v1 seq=1 index=0 size=1 eventHash=\(String(repeating: "0", count: 64)) leafHash=\(z) root=\(z)\n",
            "{\"ok\":true,\"type\":\"consistency\",\"size1\":3,\"size2\":5,\"root1\":\"\(z)\",\"root2\":\"\(z)\",\"proof\":[\"\(z)\"]}",
            "{\"ok\":true,\"type\":\"inclusion\",\"size1\":3,\"size2\":5,\"root1\":\"\(z)\",\"root2\":\"\(z)\",\"proof\":[]}",
            "{\"ok\":false,\"type\":\"consistency\",\"size1\":5,\"size2\":5,\"root1\":\"\(z)\",\"root2\":\"\(z)\",\"proof\":[]}",
            "{\"type\":\"consistency\",\"size1\":5,\"size2\":5,\"root1\":\"\(z)\",\"root2\":\"\(z)\",\"proof\":[1]}",
            "{\"type\":\"consistency\",\"size1\":5,\"size2\":5,\"root1\":\"\(z)\",\"root2\":\"\(z)\"",
            "",
        ])
    func malformedConsistencyFiles(_ text: String) {
        #expect { try ConsistencyProof(parsing: Array(text.utf8)) } throws: { e in
            guard case .malformed = e as? ProofError else { return false }
            return true
        }
    }

    @Test("well-formed files of both forms are accepted, also with an empty proof for equal sizes")
    func wellFormedFiles() throws {
        let p = try ConsistencyProof(parsing: Array("sealbook-consistency-proof/v1 size1=3 size2=5 root1=\(z) root2=\(z)\n\(z)\n\(z)\n\(z)\n\(z)\n".utf8))
        #expect(p.size1 == 3 && p.size2 == 5 && p.proof.count == 4)
        let same = try ConsistencyProof(parsing: Array(" {\"size1\":5,\"size2\":5,\"root1\":\"\(z)\",\"root2\":\"\(z)\",\"proof\":[],\"type\":\"consistency\"}\n".utf8))
        #expect(same.proof.isEmpty)
        // Structure only: these roots are not a tree's, so it does not verify.
        #expect(throws: MerkleError.self) { try p.verify() }
    }
}

/// 32 zero bytes in base64.
private let z = Base64.encode([UInt8](repeating: 0, count: 32))

@Suite("The witness: key file, state, decisions, cosignatures")
struct WitnessTests {
    /// A ledger with a log key, one checkpoint, and a witness over a fresh state folder.
    struct Setup {
        let l: AnchoredLedger
        let dir: TempDir
        let witness: Witness
        let vkey: NoteVerifier
        let first: String
        /// The first checkpoint's size.
        let firstSize: Int64

        init(notes: Int = 20, name: String = "witness.example/w1") throws {
            l = try AnchoredLedger(notes: notes)
            dir = try TempDir()
            witness = Witness(key: try WitnessKey(name: name, privateKey: Ed25519.PrivateKey()), stateDirectory: dir.file("state"))
            vkey = try l.vkey()
            first = try l.ledger.signCheckpoint(key: l.logKey).checkpoint.note.serialized
            firstSize = l.head
        }

        func checkpoint(after notes: Int) throws -> String {
            try l.add(notes)
            return try l.ledger.signCheckpoint(key: l.logKey).checkpoint.note.serialized
        }

        var stateFile: String { get throws { witness.state.path(for: try l.ledger.origin()) } }
        func stateBytes() throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: try stateFile))) }

        func cleanup() {
            l.t.db.drop()
            dir.cleanup()
        }
    }

    @Test("a witness key file: 0600, never overwritten, read back; refused when open to others, edited, or badly named")
    func keyFile() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.file("w.key")
        let k = try WitnessKey.generate(name: "witness.example/w1", path: path)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
        let back = try WitnessKey.read(path: path)
        #expect(back.verifier == k.verifier && back.verifier.type == .cosignatureV1)
        #expect(try NoteVerifier(vkey: k.verifier.vkey) == k.verifier)
        #expect(throws: WitnessKeyError.exists(path)) { try WitnessKey.generate(name: "witness.example/w1", path: path) }
        #expect(try WitnessKey.read(path: path).verifier == k.verifier, "the file is unchanged")
        chmod(path, 0o644)
        #expect(throws: WitnessKeyError.tooOpen(path, mode: 0o644)) { try WitnessKey.read(path: path) }
        chmod(path, 0o600)
        let edited = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "witness.example/w1\",", with: "witness.example/w2\",")
        let editedPath = dir.file("edited.key")
        _ = FileManager.default.createFile(atPath: editedPath, contents: Data(edited.utf8), attributes: [.posixPermissions: 0o600])
        #expect { try WitnessKey.read(path: editedPath) } throws: { e in
            guard case .malformed = e as? WitnessKeyError else { return false }
            return true
        }
        for bad in ["", "a b", "w+1", "w\"1", "w\\1", "wïtness", String(repeating: "w", count: 256), "w\n1"] {
            #expect(throws: WitnessKeyError.invalidName(bad)) { try WitnessKey.generate(name: bad, path: dir.file("bad.key")) }
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("bad.key")))
        #expect(WitnessKey.isValidName("oid/1.3.6.1.4.1.44363.47.1") && WitnessKey.isValidName("witness.example.com/w1"))
    }

    @Test("first checkpoint: refused without acceptFirst (nothing written), cosigned with it; the cosignature is cosignature/v1 and counts for TrustedCheckpoint's quorum")
    func firstCheckpoint() throws {
        let s = try Setup()
        defer { s.cleanup() }
        #expect { try s.witness.cosign(checkpoint: s.first, logKey: s.vkey) } throws: { e in
            guard case .state(let m) = e as? WitnessError else { return false }
            return m.contains("--accept-first")
        }
        #expect(!FileManager.default.fileExists(atPath: s.dir.file("state")), "a refusal writes nothing")
        try FileManager.default.createDirectory(atPath: s.dir.file("state"), withIntermediateDirectories: false)
        #expect(throws: WitnessError.self) { try s.witness.cosign(checkpoint: s.first, logKey: s.vkey) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.dir.file("state")).isEmpty, "not even a lock file")
        let r = try s.witness.cosign(checkpoint: s.first, logKey: s.vkey, acceptFirst: true, timestamp: 1_700_000_000)
        #expect(r.outcome == .first && r.timestamp == 1_700_000_000 && r.previousSize == nil)
        #expect(r.cosignature.line.hasPrefix("— witness.example/w1 ") && r.cosignature.signature.count == 72)
        #expect(s.witness.key.verifier.isValidSignature(r.cosignature, text: r.note.text))
        let trusted = try TrustedCheckpoint(text: r.note.serialized, logKey: s.vkey, witnesses: [s.witness.key.verifier], quorum: 1)
        #expect(trusted.witnesses == [s.witness.key.verifier])
        #expect(try s.stateBytes() == Array(r.note.serialized.utf8), "the state is the note with the cosignature")
        let mode = try FileManager.default.attributesOfItem(atPath: try s.stateFile)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // The same checkpoint again: the same cosignature, the state untouched.
        let before = try s.stateBytes()
        let again = try s.witness.cosign(checkpoint: s.first, logKey: s.vkey, timestamp: 1_800_000_000)
        #expect(again.outcome == .unchanged && again.cosignature == r.cosignature && again.note == r.note)
        #expect(try s.stateBytes() == before)
    }

    @Test("a larger checkpoint: cosigned with a consistency proof fetched by a sealbook_auditor login, or handed over; without one it is refused")
    func extends() throws {
        let s = try Setup()
        let auditor = try AuditorLogin(s.l.t.db)
        defer {
            s.dir.cleanup()
            auditor.drop()
        }
        _ = try s.witness.cosign(checkpoint: s.first, logKey: s.vkey, acceptFirst: true)
        let second = try s.checkpoint(after: 300)
        #expect { try s.witness.cosign(checkpoint: second, logKey: s.vkey) } throws: { e in
            guard case .proofNeeded(_, let from, let to) = e as? WitnessError else { return false }
            return from == s.firstSize && to == s.l.head
        }
        do {
            let readOnly = Ledger(store: try LedgerStore(conninfo: auditor.url))
            let r = try s.witness.cosign(checkpoint: second, logKey: s.vkey, consistency: .ledger(readOnly))
            #expect(r.outcome == .extended && r.previousSize == s.firstSize && r.size == s.l.head)
            #expect(try s.stateBytes() == Array(r.note.serialized.utf8))
        }
        // A second witness, handed the proof that `prove consistency` gives.
        let w2 = Witness(key: try WitnessKey(name: "witness.example/w2", privateKey: Ed25519.PrivateKey()), stateDirectory: s.dir.file("w2"))
        _ = try w2.cosign(checkpoint: s.first, logKey: s.vkey, acceptFirst: true)
        let file = try JCS.canonicalize(.object(try s.l.ledger.proveConsistency(from: s.firstSize, to: s.l.head).json))
        let r2 = try w2.cosign(checkpoint: second, logKey: s.vkey, consistency: .proof(try ConsistencyProof(parsing: file)))
        #expect(r2.outcome == .extended)
        // Both cosignatures on one note make a quorum of 2.
        var both = try SignedNote(parsing: second)
        try both.add(r2.cosignature)
        try both.add(try s.witness.cosign(checkpoint: second, logKey: s.vkey).cosignature)
        let verifiers = [s.witness.key.verifier, w2.key.verifier]
        #expect(try TrustedCheckpoint(text: both.serialized, logKey: s.vkey, witnesses: verifiers, quorum: 2).witnesses.count == 2)
        #expect(throws: CheckpointError.self) {
            try TrustedCheckpoint(text: second, logKey: s.vkey, witnesses: verifiers, quorum: 1)
        }
    }

    @Test("refusals change nothing: a fork, a smaller tree, a flipped or mismatching proof")
    func refusals() throws {
        let s = try Setup()
        defer { s.cleanup() }
        let origin = try s.l.ledger.origin()
        _ = try s.witness.cosign(checkpoint: s.first, logKey: s.vkey, acceptFirst: true)
        let second = try s.checkpoint(after: 40)
        _ = try s.witness.cosign(checkpoint: second, logKey: s.vkey, consistency: .ledger(s.l.ledger))
        let held = try s.stateBytes()
        let heldSize = s.l.head
        let heldRoot = try s.l.referenceTree().root

        // A fork: the log key signed another root at the size the witness holds.
        let forkRoot = SHA256.hash(Array("fork".utf8))
        let fork = try signedCheckpoint(origin: origin, size: s.l.head, root: forkRoot, key: s.l.logKey)
        #expect(throws: WitnessError.self) { try s.witness.cosign(checkpoint: fork, logKey: s.vkey, consistency: .ledger(s.l.ledger)) }
        do { _ = try s.witness.cosign(checkpoint: fork, logKey: s.vkey) } catch let WitnessError.fork(o, size, h, g) {
            #expect(o == origin && size == s.l.head && h == heldRoot && g == forkRoot)
            #expect("\(WitnessError.fork(origin: o, size: size, heldRoot: h, gotRoot: g))".contains(Base64.encode(heldRoot.bytes)))
        }
        // A smaller tree.
        #expect { try s.witness.cosign(checkpoint: s.first, logKey: s.vkey) } throws: { e in
            guard case .smallerTree(_, let held, _, let got, _) = e as? WitnessError else { return false }
            return held == heldSize && got == s.firstSize
        }
        // A larger tree with a flipped hash, with proofs for other sizes or roots, or one the database cannot give.
        let third = try s.checkpoint(after: 5)
        let good = try s.l.ledger.proveConsistency(from: heldSize, to: s.l.head)
        var flipped = good.proof
        var bytes = flipped[0].bytes
        bytes[0] ^= 1
        flipped[0] = Digest32(bytes: bytes)!
        let wrong = [
            try ConsistencyProof(replacingPathOf: good, with: flipped),
            try s.l.ledger.proveConsistency(from: heldSize - 1, to: s.l.head),
            try s.l.ledger.proveConsistency(from: heldSize, to: s.l.head - 1),
        ]
        for p in wrong {
            #expect { try s.witness.cosign(checkpoint: third, logKey: s.vkey, consistency: .proof(p)) } throws: { e in
                guard case .badProof = e as? WitnessError else { return false }
                return true
            }
        }
        let beyond = try signedCheckpoint(origin: origin, size: s.l.head + 10, root: forkRoot, key: s.l.logKey)
        #expect { try s.witness.cosign(checkpoint: beyond, logKey: s.vkey, consistency: .ledger(s.l.ledger)) } throws: { e in
            guard case .badProof(let m) = e as? WitnessError else { return false }
            return m.contains("holds \(s.l.head) entries")
        }
        #expect(try s.stateBytes() == held, "no refusal changed the state")
        // The good proof still goes through.
        #expect(try s.witness.cosign(checkpoint: third, logKey: s.vkey, consistency: .proof(good)).outcome == .extended)
    }

    @Test("the checkpoint must be the log key's and of its origin; a state that is corrupt, another origin's or another witness's is refused")
    func checkpointAndStateRefusals() throws {
        let s = try Setup()
        defer { s.cleanup() }
        let origin = try s.l.ledger.origin()
        let stranger = try NoteVerifier(name: origin, publicKey: Ed25519.PrivateKey().publicKey)
        #expect { try s.witness.cosign(checkpoint: s.first, logKey: stranger, acceptFirst: true) } throws: { e in
            guard case .signature = e as? CheckpointError else { return false }
            return true
        }
        #expect { try s.witness.cosign(checkpoint: "not a note", logKey: s.vkey, acceptFirst: true) } throws: { e in
            guard case .malformed = e as? CheckpointError else { return false }
            return true
        }
        let elsewhere = try signedCheckpoint(origin: "example.com/other", size: 1, root: Merkle.leafHash(.zero), key: s.l.logKey, name: origin)
        #expect { try s.witness.cosign(checkpoint: elsewhere, logKey: s.vkey, acceptFirst: true) } throws: { e in
            guard case .origin = e as? CheckpointError else { return false }
            return true
        }
        #expect(!FileManager.default.fileExists(atPath: s.dir.file("state")))

        _ = try s.witness.cosign(checkpoint: s.first, logKey: s.vkey, acceptFirst: true)
        let file = try s.stateFile
        let good = try s.stateBytes()
        func refusedWithState(_ contents: [UInt8], _ needle: String) throws {
            try Data(contents).write(to: URL(fileURLWithPath: file))
            #expect { try s.witness.cosign(checkpoint: s.first, logKey: s.vkey, acceptFirst: true) } throws: { e in
                guard case .state(let m) = e as? WitnessError else { return false }
                return m.contains(needle)
            }
            #expect(try s.stateBytes() == contents, "the state is left as it was")
        }
        try refusedWithState(Array(good.dropLast(10)), "corrupt")
        try refusedWithState([], "corrupt")
        // Another origin's checkpoint, cosigned by this very witness, under this origin's file.
        let otherOrigin = try signedCheckpoint(origin: "example.com/other", size: 1, root: Merkle.leafHash(.zero), key: s.l.logKey)
        let otherWitness = Witness(key: s.witness.key, stateDirectory: s.dir.file("other"))
        let otherNote = try otherWitness.cosign(
            checkpoint: otherOrigin, logKey: try NoteVerifier(name: "example.com/other", publicKey: s.l.logKey.privateKey.publicKey),
            acceptFirst: true
        ).note
        try refusedWithState(Array(otherNote.serialized.utf8), "example.com/other")
        // This origin's checkpoint, cosigned by another witness.
        let w2 = Witness(key: try WitnessKey(name: "witness.example/w1", privateKey: Ed25519.PrivateKey()), stateDirectory: s.dir.file("w2"))
        let foreign = try w2.cosign(checkpoint: s.first, logKey: s.vkey, acceptFirst: true).note
        try refusedWithState(Array(foreign.serialized.utf8), "no valid cosignature by this witness")
        // Restored, it works again.
        try Data(good).write(to: URL(fileURLWithPath: file))
        #expect(try s.witness.cosign(checkpoint: s.first, logKey: s.vkey).outcome == .unchanged)
    }
}

extension ConsistencyProof {
    /// `p` with another path (a tampered proof), through the text form.
    init(replacingPathOf p: ConsistencyProof, with proof: [Digest32]) throws {
        let text = ConsistencyProof.textForm(size1: p.size1, size2: p.size2, root1: p.root1, root2: p.root2, proof: proof)
        self = try ConsistencyProof(parsing: Array(text.utf8))
    }

    static func textForm(size1: Int64, size2: Int64, root1: Digest32, root2: Digest32, proof: [Digest32]) -> String {
        "sealbook-consistency-proof/v1 size1=\(size1) size2=\(size2) root1=\(Base64.encode(root1.bytes)) root2=\(Base64.encode(root2.bytes))\n"
            + proof.map { Base64.encode($0.bytes) + "\n" }.joined()
    }
}
