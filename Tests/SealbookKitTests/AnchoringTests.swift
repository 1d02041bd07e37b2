import Foundation
import SealbookCore
import SealbookKit
import SealbookPostgres
import SealbookReports
import SealbookRunbook
import SealbookTestSupport
import Testing

/// A ledger with a log key and `notes` custom notes spread over three streams.
struct AnchoredLedger {
    let t: TestLedger
    let ledger: Ledger
    let logKey = KeyFile(actor: "log@fingood", privateKey: Ed25519.PrivateKey())

    init(notes: Int) throws {
        t = try TestLedger()
        try t.enroll(logKey, roles: ["log"])
        ledger = Ledger(store: t.store, trustRoot: t.root.privateKey.publicKey)
        try add(notes)
    }

    /// Appends `n` notes, in batches, round-robin over streams a, b and c.
    func add(_ n: Int) throws {
        var left = n
        while left > 0 {
            let k = min(left, 100)
            let batch = (0..<k).map { i in
                LedgerStore.NewEvent(
                    stream: ["a", "b", "c"][i % 3], type: "custom.note", data: JSONObject([(key: "n", value: .number(JSONNumber(Int64(i))))]))
            }
            _ = try t.store.appendBatch(batch, key: t.operatorKey)
            left -= k
        }
    }

    var head: Int64 { (try? t.store.head().seq) ?? 0 }

    /// The reference tree of the log as it is, from its event hashes.
    func referenceTree() throws -> MerkleTree {
        MerkleTree(leafHashes: try t.store.eventHashes(1...head).map(Merkle.leafHash))
    }

    func vkey() throws -> NoteVerifier { try NoteVerifier(name: try ledger.origin(), publicKey: logKey.privateKey.publicKey) }

    /// Re-chains every row from `seq` on and moves the head onto the last row, as a superuser who
    /// rewrote history would; also rebuilds the stored tree.
    func rechain(from seq: Int64) throws {
        let c = try PGConnection(conninfo: t.db.url)
        try c.executeScript(
            unsafeSQL: """
                ALTER TABLE sealbook.events DISABLE TRIGGER USER; ALTER TABLE sealbook.head DISABLE TRIGGER USER;
                ALTER TABLE sealbook.tree_nodes DISABLE TRIGGER USER;
                """)
        let r = try c.query("SELECT seq, event_hash FROM sealbook.events WHERE seq >= \(seq - 1) ORDER BY seq", resultFormat: .binary)
        var previous = seq == 1 ? Digest32.zero : try t.store.chainHash(at: seq - 1)!
        for i in 0..<r.rowCount where r.int64(i, 0)! >= seq {
            let s = r.int64(i, 0)!
            previous = FormatV1.chainHash(seq: s, previous: previous, eventHash: Digest32(bytes: r.bytes(i, 1)!)!)
            try c.execute("UPDATE sealbook.events SET chain_hash = \(previous.bytes) WHERE seq = \(s)")
        }
        let last = try c.query("SELECT max(seq) FROM sealbook.events").int64(0, 0)!
        try c.execute("UPDATE sealbook.head SET seq = \(last), chain_hash = \(previous.bytes)")
        try c.executeScript(unsafeSQL: "DELETE FROM sealbook.tree_nodes; SELECT sealbook.extend_tree(0, \(last));")
    }
}

@Suite("The tree in PostgreSQL, checkpoints, proofs and verification from a checkpoint")
struct AnchoringTests {
    @Test("roots, inclusion and consistency proofs from the stored tree equal an in-memory RFC 6962 tree, across tile edges")
    func proofsMatchReference() throws {
        let l = try AnchoredLedger(notes: 600)
        defer { l.t.db.drop() }
        let n = l.head
        let reference = try l.referenceTree()
        #expect(try l.t.store.treeNodes([(8, 0), (8, 1)]).count == 2)
        for size in [1, 2, 3, 255, 256, 257, 300, 511, 512, 513, n] as [Int64] where size <= n {
            let expected = try reference.root(size: UInt64(size))
            #expect(try l.ledger.root(size: size) == expected, "root at \(size)")
            #expect(try l.t.store.treeRoot(size: size) == expected, "SQL root at \(size)")
        }
        for (seq, size) in [(1, 1), (1, n), (256, 256), (257, 300), (512, 600), (n, n), (300, 513)] as [(Int64, Int64)] where size <= n {
            let p = try l.ledger.inclusionProof(seq: seq, size: size)
            #expect(p.proof == (try reference.inclusionProof(leafIndex: UInt64(seq - 1), size: UInt64(size))))
            try p.verify()
        }
        for (a, b) in [(1, 2), (7, 300), (256, 512), (255, 257), (300, n), (n, n)] as [(Int64, Int64)] where b <= n {
            let p = try l.ledger.consistencyProof(from: a, to: b)
            #expect(p.proof == (try reference.consistencyProof(from: UInt64(a), to: UInt64(b))))
            try p.verify()
        }
        #expect(throws: LedgerError.self) { try l.ledger.inclusionProof(seq: 5, size: n + 1) }
        #expect(throws: LedgerError.self) { try l.ledger.consistencyProof(from: 0, to: 3) }
    }

    @Test("a ledger made with schema version 3 gets its tree when init upgrades it, and appends extend it")
    func upgradeBuildsTree() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let store = try LedgerStore(conninfo: db.url)
        try store.migrate(signatureCheck: .extension, extensionName: SignatureCheck.extensionName, upTo: 3)
        let root = KeyFile(actor: "root@fingood", privateKey: Ed25519.PrivateKey())
        let descriptor = KeyDescriptor(keyID: root.keyID, publicKey: root.privateKey.publicKey, actor: root.actor, roles: ["admin"])
        let genesis = try EventBody(
            ledger: "upgrade", stream: FormatV1.ledgerStream, streamSeq: 1, streamPrev: .zero, type: FormatV1.genesisType,
            time: FormatV1.now(), actor: root.actor, key: root.keyID,
            data: JSONObject([(key: "rootKeys", value: .array([.object(descriptor.json)]))]))
        _ = try store.appendSigned([try SignedEvent(signing: genesis, with: root.privateKey)])
        #expect(try store.schemaVersions() == [1, 2, 3])
        let note = { (i: Int) in LedgerStore.NewEvent(stream: "s", type: "custom.note", data: JSONObject([(key: "i", value: .number(JSONNumber(Int64(i))))])) }
        _ = try store.appendBatch((1...299).map(note), key: root)
        let before = try db.superuserQuery("SELECT string_agg(encode(chain_hash, 'hex'), ',' ORDER BY seq) FROM sealbook.events")
        #expect(try store.initialize(ledger: "upgrade", root: root) == .alreadyInitialized(head: 300))
        #expect(try store.schemaVersions() == [1, 2, 3, 4, 5])
        #expect(try db.superuserQuery("SELECT string_agg(encode(chain_hash, 'hex'), ',' ORDER BY seq) FROM sealbook.events") == before)
        #expect(try db.superuserQuery("SELECT count(*) FROM sealbook.tree_nodes") == ["1"])
        _ = try store.appendBatch((300...520).map(note), key: root)
        let tree = MerkleTree(leafHashes: try store.eventHashes(1...521).map(Merkle.leafHash))
        #expect(try store.treeRoot(size: 521) == tree.root)
        #expect(try db.superuserQuery("SELECT string_agg(idx::text, ',' ORDER BY idx) FROM sealbook.tree_nodes WHERE level = 8") == ["0,1"])
        // The tree is append-only like the log.
        #expect(throws: PGError.self) { try db.superuserExecute("UPDATE sealbook.tree_nodes SET hash = hash WHERE idx = 0") }
        #expect(throws: PGError.self) { try db.superuserExecute("DELETE FROM sealbook.tree_nodes") }
    }

    @Test("checkpoint: signed with the log key over the root of the verified log, stored once, re-signed after new entries")
    func checkpointSigned() throws {
        let l = try AnchoredLedger(notes: 40)
        defer { l.t.db.drop() }
        let first = try l.ledger.signCheckpoint(key: l.logKey)
        #expect(first.stored && first.checkpoint.size == l.head)
        #expect(first.checkpoint.root == (try l.referenceTree().root))
        #expect(first.verification.resumedAt == nil)
        #expect(first.vkey == (try l.vkey().vkey))
        let again = try l.ledger.signCheckpoint(key: l.logKey)
        #expect(!again.stored, "the same checkpoint is stored once")
        try l.add(30)
        let second = try l.ledger.signCheckpoint(key: l.logKey)
        #expect(second.verification.resumedAt == first.checkpoint.size, "the second rests on the first")
        #expect(second.verification.entries == 30)
        #expect(second.checkpoint.root == (try l.referenceTree().root))
        let trusted = try TrustedCheckpoint(text: second.checkpoint.note.serialized, logKey: try l.vkey())
        #expect(trusted.size == l.head)
        // An operator key may not sign checkpoints.
        #expect(throws: CheckpointError.self) { try l.ledger.signCheckpoint(key: l.t.operatorKey) }
    }

    @Test("the database refuses a checkpoint of another origin, a size past the head, a wrong root, a fork, or one no log key signed")
    func addCheckpointRefusals() throws {
        let l = try AnchoredLedger(notes: 10)
        defer { l.t.db.drop() }
        let origin = try l.ledger.origin()
        let signer = try NoteSigner(name: origin, privateKey: l.logKey.privateKey)
        func note(_ origin: String, _ size: Int64, _ root: Digest32, signer: NoteSigner) throws -> String {
            let c = try Checkpoint(origin: origin, size: UInt64(size), rootHash: root)
            var n = try SignedNote(text: c.text)
            try n.add(signer.signature(for: c.text))
            return n.serialized
        }
        let root5 = try l.referenceTree().root(size: 5)
        func refused(_ text: String, _ state: String) {
            #expect {
                try l.t.store.addCheckpoint(note: text)
            } throws: { e in
                "\(e)".contains(state) || (e as? StoreError).map { "\($0)".contains(state) } == true
            }
        }
        _ = try l.t.store.addCheckpoint(note: try note(origin, 5, root5, signer: signer))
        refused(try note("sealbook.ledger/other/0011223344556677", 5, root5, signer: try NoteSigner(name: "sealbook.ledger/other/0011223344556677", privateKey: l.logKey.privateKey)), "origin")
        refused(try note(origin, l.head + 1, root5, signer: signer), "outside the log")
        refused(try note(origin, 6, root5, signer: signer), "not the root")
        let opSigner = try NoteSigner(name: origin, privateKey: l.t.operatorKey.privateKey)
        refused(try note(origin, 6, try l.referenceTree().root(size: 6), signer: opSigner), "role log")
        #expect(try l.t.store.latestCheckpoint()?.size == 5)
    }

    @Test("tampering a superuser can do and the chain alone misses is caught against a checkpoint: a cut tail, a stream's last event deleted with the rest renumbered and re-chained, two rows swapped and re-chained")
    func rewrittenHistory() throws {
        // 1. The tail cut and the head moved back with it.
        do {
            let l = try AnchoredLedger(notes: 320)
            defer { l.t.db.drop() }
            let cp = try TrustedCheckpoint(
                text: try l.ledger.signCheckpoint(key: l.logKey).checkpoint.note.serialized, logKey: try l.vkey())
            try l.t.tamper("DELETE FROM sealbook.events WHERE seq > \(cp.size - 5)")
            try l.rechain(from: cp.size - 4)
            #expect(try l.t.verify().isValid, "the chain alone does not see a cut tail")
            let full = try l.ledger.verify(against: cp).report
            #expect(full.failures.map(\.reason) == [.checkpointMismatch])
            #expect(full.failures.first?.seq == cp.size - 4)
            let since = try l.ledger.verify(since: cp).report
            #expect(since.failures.map(\.reason) == [.checkpointMismatch])
        }
        // 2. A stream's last event deleted from the middle; the rest renumbered and re-chained.
        do {
            let l = try AnchoredLedger(notes: 300)
            defer { l.t.db.drop() }
            let lonely = try l.t.note("z", 1)
            try l.add(30)
            let cp = try TrustedCheckpoint(
                text: try l.ledger.signCheckpoint(key: l.logKey).checkpoint.note.serialized, logKey: try l.vkey())
            try l.t.tamper(
                """
                DELETE FROM sealbook.events WHERE seq = \(lonely.seq);
                UPDATE sealbook.events SET seq = seq + 1000000 WHERE seq > \(lonely.seq);
                UPDATE sealbook.events SET seq = seq - 1000001 WHERE seq > 1000000
                """)
            try l.rechain(from: lonely.seq)
            #expect(try l.t.verify().isValid, "the chain alone does not see a deleted, renumbered, re-chained entry")
            let report = try l.ledger.verify(against: cp).report
            #expect(report.failures.map(\.reason) == [.checkpointMismatch])
            #expect(try l.ledger.verify(since: cp).report.failures.map(\.reason) == [.checkpointMismatch])
        }
        // 3. Two adjacent rows of different streams swapped and re-chained.
        do {
            let l = try AnchoredLedger(notes: 300)
            defer { l.t.db.drop() }
            let cp = try TrustedCheckpoint(
                text: try l.ledger.signCheckpoint(key: l.logKey).checkpoint.note.serialized, logKey: try l.vkey())
            try l.t.tamper(
                """
                UPDATE sealbook.events SET seq = 1000000 WHERE seq = 200;
                UPDATE sealbook.events SET seq = 200 WHERE seq = 201;
                UPDATE sealbook.events SET seq = 201 WHERE seq = 1000000
                """)
            try l.rechain(from: 200)
            #expect(try l.t.verify().isValid, "the chain alone does not see two swapped, re-chained entries")
            let report = try l.ledger.verify(against: cp).report
            #expect(report.failures.map(\.reason) == [.checkpointMismatch] && report.failures.first?.seq == cp.size)
        }
    }

    @Test("a checkpoint larger than the log is a verification failure (the log lost its tail), not a usage error")
    func checkpointLargerThanLog() throws {
        let l = try AnchoredLedger(notes: 30)
        defer { l.t.db.drop() }
        let cp = try l.ledger.signCheckpoint(key: l.logKey).checkpoint
        let other = try AnchoredLedger(notes: 5)
        defer { other.t.db.drop() }
        // The same ledger, shorter: a copy of the first 10 rows would have the origin; here the
        // origin differs, which is its own refusal.
        #expect(throws: CheckpointError.self) { try other.ledger.verify(against: cp) }
        try l.t.tamper("DELETE FROM sealbook.events WHERE seq > 20")
        let r = try l.ledger.verify(against: cp).report
        #expect(r.failures.contains { $0.reason == .checkpointMismatch && $0.detail.contains("tail is gone") })
    }

    @Test("verify since a checkpoint reads only the entries after it, and catches an edit before it")
    func sinceIsIncremental() throws {
        let l = try AnchoredLedger(notes: 300)
        defer { l.t.db.drop() }
        let cp = try TrustedCheckpoint(
            text: try l.ledger.signCheckpoint(key: l.logKey).checkpoint.note.serialized, logKey: try l.vkey())
        try l.add(25)
        var read: [Int64] = []
        let run = try l.ledger.verify(since: cp, progress: { done, _ in read.append(done) })
        #expect(run.report.isValid, "\(run.report.failures)")
        #expect(run.report.entries == 25 && run.report.resumedAt == cp.size)
        #expect(read.allSatisfy { $0 > cp.size })
        #expect(run.root == (try l.referenceTree().root))
        // A body edited before the checkpoint: the tree at its size no longer has its root.
        try l.t.tamper("UPDATE sealbook.events SET sig = sig WHERE seq = 100; UPDATE sealbook.events SET event_hash = sha256(event_hash) WHERE seq = 100")
        try l.rechain(from: 100)
        let after = try l.ledger.verify(since: cp).report
        #expect(after.failures.map(\.reason) == [.checkpointMismatch])
    }

    @Test("a key revocation before the checkpoint hidden by editing its row: verify since the checkpoint sees the keys stream is not what it binds")
    func hiddenRevocation() throws {
        let l = try AnchoredLedger(notes: 10)
        defer { l.t.db.drop() }
        let revoked = try l.t.revoke(l.t.operatorKey)
        let cp = try TrustedCheckpoint(
            text: try l.ledger.signCheckpoint(key: l.logKey).checkpoint.note.serialized, logKey: try l.vkey())
        // Hide the revocation from the keys stream and un-revoke the key in the key table.
        try l.t.db.superuserExecute(
            """
            ALTER TABLE sealbook.events DISABLE TRIGGER USER; ALTER TABLE sealbook.keys DISABLE TRIGGER USER;
            UPDATE sealbook.events SET stream = 'hidden' WHERE seq = \(revoked.seq);
            UPDATE sealbook.keys SET revoked_seq = NULL WHERE actor = 'alice@fingood';
            """)
        let r = try l.ledger.verify(since: cp).report
        #expect(r.failures.first?.reason == .checkpointMismatch && r.failures.first?.stream == "keys", "\(r.failures)")
    }

    @Test("verify since a checkpoint proves where every continued stream stood, all at once: an edited or moved prior entry is still caught at its stream's next entry")
    func priorPositions() throws {
        let l = try AnchoredLedger(notes: 30)
        defer { l.t.db.drop() }
        let cp = try TrustedCheckpoint(
            text: try l.ledger.signCheckpoint(key: l.logKey).checkpoint.note.serialized, logKey: try l.vkey())
        try l.add(6)
        let clean = try l.ledger.verify(since: cp).report
        #expect(clean.isValid && clean.entries == 6, "\(clean.failures)")
        func lastBefore(_ stream: String) throws -> Int64 {
            try PGConnection(conninfo: l.t.db.url).query(
                "SELECT max(seq) FROM sealbook.events WHERE stream = \(stream) AND seq <= \(cp.size)"
            ).int64(0, 0)!
        }
        func firstAfter(_ stream: String) throws -> Int64 {
            try PGConnection(conninfo: l.t.db.url).query(
                "SELECT min(seq) FROM sealbook.events WHERE stream = \(stream) AND seq > \(cp.size)"
            ).int64(0, 0)!
        }
        // Stream a's last entry before the checkpoint with an edited column: the batch does not
        // check out, the stream is proven alone and the column is named.
        let a = try lastBefore("a")
        try l.t.tamper("UPDATE sealbook.events SET actor = 'mallory@fingood' WHERE seq = \(a)")
        let r1 = try l.ledger.verify(since: cp).report
        #expect(r1.failures.first?.reason == .checkpointMismatch, "\(r1.failures)")
        #expect(r1.failures.first?.seq == (try firstAfter("a")) && r1.failures.first?.detail.contains("actor") == true)
        // Stream b's last entry moved out of the stream by its column: b then seems to stand one
        // entry earlier, and its next entry does not follow.
        let b = try lastBefore("b")
        try l.t.tamper("UPDATE sealbook.events SET stream = 'hidden' WHERE seq = \(b)")
        let r2 = try l.ledger.verify(since: cp, reportAll: true).report
        #expect(r2.failures.contains { $0.seq == (try? firstAfter("b")) && $0.stream == "b" }, "\(r2.failures)")
    }
}

@Suite("Reports since a checkpoint read what they show, not the log")
struct ReportSinceTests {
    /// The JSON of a report without its verification block (which says how it was read).
    static func content(_ r: Report) throws -> JSONValue {
        var o = try #require(try JSONParser.parse(try ReportRenderer().render(r, as: .json)).objectValue)
        o["verification"] = nil
        return .object(o)
    }

    @Test("a session report since a checkpoint equals the full one: its incident (and that incident's events in another stream) read, other incidents not needed")
    func sessionAndIncidentSince() throws {
        let g = try GateFixture()
        defer { g.t.db.drop() }
        let log = KeyFile(actor: "log@fingood", privateKey: Ed25519.PrivateKey())
        let carol = KeyFile(actor: "ic-carol@fingood", privateKey: Ed25519.PrivateKey())
        try g.t.enroll(log, roles: ["log"])
        try g.t.enroll(carol, roles: ["incident-commander"])
        // The session's incident, one of its events in another stream, and an unrelated incident.
        let (linked, _) = try g.ledger.openIncident(
            id: "INC-LINKED", level: 2, title: "orphaned rows", trigger: "validate-data", session: g.session, key: carol)
        try g.ledger.record(
            .incidentAction(incidentID: linked, phase: .immediate, action: "stopped writes", details: nil), inIncident: linked,
            key: carol)
        let elsewhere = JSONObject([
            (key: "incidentId", value: .string(linked)), (key: "phase", value: "assessment"), (key: "action", value: "assessed"),
        ])
        try g.ledger.append(.init(stream: "ops/INC-LINKED", type: "incident.action.recorded", data: elsewhere), key: carol)
        _ = try g.ledger.openIncident(id: "INC-OTHER", level: 1, title: "slow query", trigger: "monitor", session: nil, key: carol)
        let cp = try TrustedCheckpoint(
            text: try g.ledger.signCheckpoint(key: log).checkpoint.note.serialized,
            logKey: try NoteVerifier(name: try g.ledger.origin(), publicKey: log.privateKey.publicKey))
        // After the checkpoint: more of the session and of its incident.
        let view = try g.ledger.openSession(g.session)
        try g.ledger.record(.notificationSent(audience: "operations", channel: "#ops", subject: "window"), in: view, key: g.t.operatorKey)
        try g.ledger.record(
            .incidentAction(incidentID: linked, phase: .recovery, action: "restored", details: nil), inIncident: linked, key: carol)

        let root = g.t.root.privateKey.publicKey
        let asOf = "2030-01-01T00:00:00.000Z"
        let full = try Ledger.reportSnapshot(.database, store: g.t.store, trustRoot: root, allowUnverified: false)
        let since = try Ledger.reportSnapshot(
            .database, store: g.t.store, trustRoot: root, allowUnverified: false, since: cp,
            prior: Ledger.priorSelection(session: g.session))
        #expect(since.verification.verified)
        let a = try Report.session(g.session, snapshot: full, asOf: asOf)
        let b = try Report.session(g.session, snapshot: since, asOf: asOf)
        #expect(try Self.content(a) == Self.content(b))
        #expect(try Self.content(b).description.contains("INC-LINKED") && !Self.content(b).description.contains("INC-OTHER"))
        // The incident's event in another stream was read (the report cites it).
        let elsewhereSeq = try #require(try g.t.db.superuserQuery("SELECT seq FROM sealbook.events WHERE stream = 'ops/INC-LINKED'").first ?? nil)
        #expect(try Self.content(b).description.contains("\"seq\":\(elsewhereSeq)"))

        let incidentSince = try Ledger.reportSnapshot(
            .database, store: g.t.store, trustRoot: root, allowUnverified: false, since: cp,
            prior: Ledger.priorSelection(incident: linked))
        #expect(
            try Self.content(try Report.incident(linked, snapshot: full, asOf: asOf))
                == Self.content(try Report.incident(linked, snapshot: incidentSince, asOf: asOf)))
    }
}
