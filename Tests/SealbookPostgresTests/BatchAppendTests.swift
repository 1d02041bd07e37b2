import Foundation
import SealbookCore
import SealbookTestSupport
import Testing

@testable import SealbookPostgres

/// `count` events signed by `key`, chained in `stream` from its current position (no append).
/// `override(i)` (1-based) may replace the body fields of event i.
private func signChain(
    _ l: TestLedger, stream: String, count: Int, key: KeyFile, from start: (seq: Int64, eventHash: Digest32)? = nil,
    type: (Int) -> String = { _ in "custom.note" }, data: (Int) -> JSONObject = { JSONObject([(key: "i", value: .number(JSONNumber(Int64($0))))]) },
    signer: (Int) -> KeyFile? = { _ in nil }
) throws -> [SignedEvent] {
    var pos = try start ?? l.store.streamPosition(stream)
    var out: [SignedEvent] = []
    for i in 1...count {
        let k = signer(i) ?? key
        let body = try EventBody(
            ledger: l.ledger, stream: stream, streamSeq: pos.seq + 1, streamPrev: pos.eventHash, type: type(i),
            time: FormatV1.now(), actor: k.actor, key: k.keyID, data: data(i))
        let s = try SignedEvent(signing: body, with: k.privateKey)
        pos = (pos.seq + 1, s.eventHash)
        out.append(s)
    }
    return out
}

private func count(_ l: TestLedger, _ sql: String) throws -> String? {
    try l.db.superuserQuery(sql).first ?? nil
}

@Suite("Set-based batch append (schema version 2)")
struct BatchAppendTests {
    @Test("a batch of 50 moves the head by 50 with one UPDATE of the head row, one INSERT, 50 notifications, and verifies")
    func headMovesByFifty() throws {
        let l = try TestLedger()
        defer { l.db.drop() }
        let before = try l.store.head()
        let events = try signChain(l, stream: "session/50", count: 50, key: l.operatorKey)
        let listener = try PGConnection(conninfo: l.db.url)
        try listener.listen(channel: "sealbook_append")
        let c = try PGConnection(conninfo: l.db.url)
        let (rows, headUpdates, eventInserts) = try c.transaction { c in
            let r = try c.query(
                "SELECT r_seq, r_stream_seq, r_duplicate FROM sealbook.append_events(\(events.map(\.bodyBytes)), \(events.map(\.signature)))")
            // This transaction's own counters: how many row versions of the head it wrote.
            let s = try c.query(
                "SELECT relname, n_tup_upd FROM pg_stat_xact_user_tables WHERE schemaname = 'sealbook' AND relname IN ('head', 'events')")
            let s2 = try c.query(
                "SELECT n_tup_ins FROM pg_stat_xact_user_tables WHERE schemaname = 'sealbook' AND relname = 'events'")
            var upd: [String: Int64] = [:]
            for i in 0..<s.rowCount { upd[s.string(i, 0)!] = s.int64(i, 1)! }
            return (
                (0..<r.rowCount).map { (r.int64($0, 0)!, r.int64($0, 1)!, r.bool($0, 2)!) }, upd["head"], s2.int64(0, 0)
            )
        }
        #expect(rows.map(\.0) == Array((before.seq + 1)...(before.seq + 50)))
        #expect(rows.map(\.1) == Array(1...50))
        #expect(rows.allSatisfy { !$0.2 })
        #expect(headUpdates == 1, "the head row was updated \(String(describing: headUpdates)) times")
        #expect(eventInserts == 50)
        let after = try l.store.head()
        #expect(after.seq == before.seq + 50)
        #expect(after.chainHash == FormatV1.chainHash(seq: after.seq, previous: try chainHash(l, seq: after.seq - 1), eventHash: events[49].eventHash))
        // One notification per new seq, in order.
        var payloads: [String] = []
        while payloads.count < 50 {
            let got = try listener.notifications(timeout: .seconds(5))
            if got.isEmpty { break }
            payloads += got.filter { $0.channel == "sealbook_append" }.map(\.payload)
        }
        #expect(payloads == ((before.seq + 1)...(before.seq + 50)).map(String.init))
        let report = try l.verify()
        #expect(report.isValid, "\(report.failures)")
        #expect(report.entries == after.seq)
        #expect(report.lastChainHash == after.chainHash)
    }

    @Test("a batch of 50 whose 30th event is invalid changes nothing: no row, no key, head unchanged")
    func invalidThirtiethChangesNothing() throws {
        let l = try TestLedger()
        defer { l.db.drop() }
        try l.note("other", 1)
        let head = try l.store.head()
        let keysBefore = try l.store.keys()
        let newcomer = KeyFile(actor: "dave@fingood", privateKey: Ed25519.PrivateKey())
        let stranger = KeyFile(actor: "mallory@elsewhere", privateKey: Ed25519.PrivateKey())
        let enrolment = try signChain(
            l, stream: FormatV1.keysStream, count: 1, key: l.root, type: { _ in FormatV1.keyEnrolledType },
            data: { _ in KeyDescriptor(keyID: newcomer.keyID, publicKey: newcomer.privateKey.publicKey, actor: newcomer.actor, roles: ["operator"]).json })
        // Three ways for event 30 to be wrong, each in its own batch of 50: an unknown key, a stale
        // streamPrev, a malformed body. Events 1-29 (one of them an enrolment) are valid.
        let notes = try signChain(l, stream: "s", count: 49, key: l.operatorKey, signer: { $0 == 29 ? stranger : nil })
        let unknownKey = enrolment + notes
        var stalePrev = enrolment + (try signChain(l, stream: "s", count: 49, key: l.operatorKey))
        stalePrev[29] = try signChain(l, stream: "s", count: 1, key: l.operatorKey, from: (28, .zero))[0]
        let valid = enrolment + (try signChain(l, stream: "s", count: 49, key: l.operatorKey))
        var malformed = valid.map(\.bodyBytes)
        malformed[29] = Array("{\"v\":1,".utf8)
        let cases: [(String, [[UInt8]], [[UInt8]], (StoreError?) -> Bool)] = [
            ("unknown key", unknownKey.map(\.bodyBytes), unknownKey.map(\.signature), {
                if case .keyRefused(let m)? = $0 { m.contains("not enrolled") } else { false }
            }),
            ("stale streamPrev", stalePrev.map(\.bodyBytes), stalePrev.map(\.signature), {
                if case .streamMoved(let m)? = $0 { m.contains("streamPrev") } else { false }
            }),
            ("malformed body", malformed, valid.map(\.signature), {
                if case .invalidEvent(let m)? = $0 { m.contains("not a format v1 event") } else { false }
            }),
        ]
        let c = try PGConnection(conninfo: l.db.url)
        for (what, bodies, sigs, expected) in cases {
            #expect(bodies.count == 50 && sigs.count == 50)
            var e: StoreError? = nil
            do { _ = try c.query("SELECT * FROM sealbook.append_events(\(bodies), \(sigs))") } catch { e = StoreError(error) }
            #expect(expected(e), "\(what): \(String(describing: e))")
            #expect(try l.store.head() == head, "\(what)")
            #expect(try count(l, "SELECT count(*) FROM sealbook.events") == String(head.seq), "\(what)")
            #expect(try l.store.streamPosition("s").seq == 0, "\(what)")
            #expect(try l.store.keys() == keysBefore, "\(what)")
        }
        // The batch with a valid event 30 lands whole.
        let results = try l.store.appendSigned(valid)
        #expect(results.map(\.seq) == Array((head.seq + 1)...(head.seq + 50)))
        #expect(try l.verify().isValid)
    }

    @Test("the head trigger refuses backward moves and chain rewrites, and a move of several seqs onto rows the log does not hold")
    func headTrigger() throws {
        let l = try TestLedger()
        defer { l.db.drop() }
        try l.note("s", 1)
        let head = try l.store.head()
        let zeros = "decode(repeat('00', 32), 'hex')"
        for sql in [
            "UPDATE sealbook.head SET seq = seq - 1",  // backward
            "UPDATE sealbook.head SET seq = 0, chain_hash = \(zeros)",  // back to the start
            "UPDATE sealbook.head SET chain_hash = \(zeros)",  // rewrite the chain hash at the same seq
            "UPDATE sealbook.head SET seq = seq",  // standing still
            "UPDATE sealbook.head SET seq = seq + 1",  // forward by one, no row
            "UPDATE sealbook.head SET seq = seq + 50",  // forward by many, no rows
            "UPDATE sealbook.head SET ledger = 'other'",  // another ledger id
        ] {
            do {
                try l.db.superuserExecute(sql)
                Issue.record("\(sql) was allowed")
            } catch let e as PGError {
                #expect(e.sqlState == "SB050", "\(sql): \(e)")
            }
        }
        #expect(try l.store.head() == head)

        // Two rows written behind the append path's back (as a superuser could): the head may
        // move onto them only with the chain hash of the last, continuing from the current head.
        let two = try signChain(l, stream: "t", count: 2, key: l.operatorKey)
        let c1 = FormatV1.chainHash(seq: head.seq + 1, previous: head.chainHash, eventHash: two[0].eventHash)
        let c2 = FormatV1.chainHash(seq: head.seq + 2, previous: c1, eventHash: two[1].eventHash)
        let c = try PGConnection(conninfo: l.db.url)
        for (i, (e, chain)) in zip(two, [c1, c2]).enumerated() {
            try c.execute(
                """
                INSERT INTO sealbook.events (seq, stream, stream_seq, type, actor, key_id, claimed_time, body, body_json, sig, event_hash, chain_hash)
                VALUES (\(head.seq + 1 + Int64(i)), \(e.body.stream), \(e.body.streamSeq), \(e.body.type), \(e.body.actor), \(e.body.key),
                        \(e.body.time)::timestamptz, \(e.bodyBytes), convert_from(\(e.bodyBytes), 'UTF8')::jsonb, \(e.signature),
                        \(e.eventHash.bytes), \(chain.bytes))
                """)
        }
        for (step, chain) in [(2, head.chainHash), (2, c1), (2, .zero), (1, c2), (1, .zero)] as [(Int64, Digest32)] {
            #expect(throws: PGError.self, "+\(step) to \(chain)") {
                try c.execute("UPDATE sealbook.head SET seq = \(head.seq + step), chain_hash = \(chain.bytes)")
            }
        }
        try c.execute("UPDATE sealbook.head SET seq = \(head.seq + 2), chain_hash = \(c2.bytes)")
        #expect(try l.store.head().seq == head.seq + 2)
        // A row whose chain hash does not continue from the head's: no step onto it.
        let stray = try signChain(l, stream: "t", count: 1, key: l.operatorKey)[0]
        let wrongLink = FormatV1.chainHash(seq: head.seq + 3, previous: .zero, eventHash: stray.eventHash)
        try c.execute(
            """
            INSERT INTO sealbook.events (seq, stream, stream_seq, type, actor, key_id, claimed_time, body, body_json, sig, event_hash, chain_hash)
            VALUES (\(head.seq + 3), \(stray.body.stream), \(stray.body.streamSeq), \(stray.body.type), \(stray.body.actor), \(stray.body.key),
                    \(stray.body.time)::timestamptz, \(stray.bodyBytes), convert_from(\(stray.bodyBytes), 'UTF8')::jsonb, \(stray.signature),
                    \(stray.eventHash.bytes), \(wrongLink.bytes))
            """)
        #expect(throws: PGError.self) { try c.execute("UPDATE sealbook.head SET seq = \(head.seq + 3), chain_hash = \(wrongLink.bytes)") }
        try l.tamper("DELETE FROM sealbook.events WHERE seq = \(head.seq + 3)")
        #expect(try l.store.head().seq == head.seq + 2)
        // A move forward through the append function: 50 at once.
        let batch = try signChain(l, stream: "u", count: 50, key: l.operatorKey)
        #expect(try l.store.appendSigned(batch).last?.seq == head.seq + 52)
        #expect(try l.verify().isValid)
    }

    @Test("keys enrolled or revoked in a batch apply to the events after them in the same batch")
    func keyEventsInsideABatch() throws {
        let l = try TestLedger()
        defer { l.db.drop() }
        let bob = KeyFile(actor: "bob@fingood", privateKey: Ed25519.PrivateKey())
        let enrol = try signChain(
            l, stream: FormatV1.keysStream, count: 1, key: l.root, type: { _ in FormatV1.keyEnrolledType },
            data: { _ in KeyDescriptor(keyID: bob.keyID, publicKey: bob.privateKey.publicKey, actor: bob.actor, roles: ["operator"]).json })
        let byBob = try signChain(l, stream: "b", count: 3, key: bob)
        let r = try l.store.appendSigned(enrol + byBob)
        #expect(r.count == 4 && r.allSatisfy { !$0.duplicate })
        #expect(try l.store.keys().first { $0.keyID == bob.keyID }?.enrolledSeq == r[0].seq)

        let revoke = try signChain(
            l, stream: FormatV1.keysStream, count: 1, key: l.root, type: { _ in FormatV1.keyRevokedType },
            data: { _ in JSONObject([(key: "key", value: .string(bob.keyID)), (key: "reason", value: .string("test"))]) })
        let late = try signChain(l, stream: "b", count: 1, key: bob)
        let head = try l.store.head()
        guard case .keyRefused(let m)? = storeError({ _ = try l.store.appendSigned(revoke + late) }) else {
            Issue.record("an event signed after its key's revocation in the same batch was accepted")
            return
        }
        #expect(m.contains("revoked at seq \(head.seq + 1)"))
        #expect(try l.store.head() == head)
        #expect(try l.store.keys().first { $0.keyID == bob.keyID }?.revokedSeq == nil)
        #expect(try l.verify().isValid)
    }

    @Test("an idempotency key repeated inside a batch returns the batch's first event")
    func idempotencyInsideABatch() throws {
        let l = try TestLedger()
        defer { l.db.drop() }
        let e = LedgerStore.NewEvent(stream: "s", type: "custom.note", data: JSONObject(), idem: "op-7")
        let r = try l.store.appendBatch([e, .init(stream: "t", type: "custom.note", data: JSONObject()), e], key: l.operatorKey)
        #expect(r.map(\.duplicate) == [false, false, true])
        #expect(r[2].seq == r[0].seq && r[2].eventHash == r[0].eventHash && r[2].recordedAt == r[0].recordedAt)
        #expect(try l.store.head().seq == r[1].seq)
        // And across batches, from the log.
        let again = try l.store.appendBatch([e], key: l.operatorKey)
        #expect(again[0].duplicate && again[0].seq == r[0].seq && again[0].recordedAt == r[0].recordedAt)
        #expect(try l.verify().isValid)
    }

    @Test("positions of every stream of a batch come from one query")
    func streamPositions() throws {
        let l = try TestLedger()
        defer { l.db.drop() }
        let a = try l.note("a", 1)
        try l.note("b", 1)
        let b2 = try l.note("b", 2)
        let p = try l.store.streamPositions(["a", "b", "new", "a"])
        #expect(p.count == 3)
        #expect(p["a"]?.seq == 1 && p["a"]?.eventHash == a.eventHash)
        #expect(p["b"]?.seq == 2 && p["b"]?.eventHash == b2.eventHash)
        #expect(p["new"]?.seq == 0 && p["new"]?.eventHash == .zero)
        #expect(try l.store.streamPositions([]).isEmpty)
    }

    @Test("4 writers x 30 batches of 20, two of them on one stream: gapless, one chain, verify passes")
    func concurrentBatchWriters() throws {
        let l = try TestLedger()
        defer { l.db.drop() }
        let url = l.db.url
        let key = l.operatorKey
        let errors = ErrorBox()
        let group = DispatchGroup()
        for w in 0..<4 {
            let t = Thread {
                defer { group.leave() }
                do {
                    let store = try LedgerStore(conninfo: url)
                    for b in 0..<30 {
                        // Writers 0 and 1 share a stream (conflicts and retries); every batch also
                        // touches a stream of its writer, so batches span two streams.
                        let shared = w < 2 ? "shared" : "writer/\(w)"
                        let events = (0..<20).map { i in
                            LedgerStore.NewEvent(
                                stream: i % 2 == 0 ? shared : "own/\(w)", type: "custom.note",
                                data: JSONObject([(key: "b", value: .number(JSONNumber(Int64(b)))), (key: "i", value: .number(JSONNumber(Int64(i))))]))
                        }
                        let r = try store.appendBatch(events, key: key)
                        // One batch takes consecutive seqs: the head lock is held to commit.
                        if r.map(\.seq) != Array(r[0].seq..<(r[0].seq + 20)) { errors.add("writer \(w) batch \(b): seqs \(r.map(\.seq))") }
                    }
                } catch { errors.add("writer \(w): \(error)") }
            }
            group.enter()
            t.start()
        }
        group.wait()
        #expect(errors.all.isEmpty, "\(errors.all)")
        let total = 2 + 4 * 30 * 20
        #expect(try count(l, "SELECT count(*)::text || ' ' || min(seq)::text || ' ' || max(seq)::text FROM sealbook.events") == "\(total) 1 \(total)")
        #expect(try count(l, "SELECT count(DISTINCT stream_seq)::text || ' ' || max(stream_seq)::text FROM sealbook.events WHERE stream = 'shared'") == "600 600")
        let report = try l.verify()
        #expect(report.isValid, "\(report.failures)")
        #expect(report.entries == Int64(total))
        #expect(report.lastChainHash == (try l.store.head().chainHash))
    }
}

@Suite("Schema upgrade from version 1")
struct SchemaUpgradeTests {
    @Test("a ledger written with schema version 1 gets versions 2 to 4 from migrate(), and its log keeps verifying")
    func upgradeFromVersionOne() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        // Version 1 only, as an older sealbook init left it.
        let v1 = try #require(SchemaMigration.all.first { $0.version == 1 })
        let admin = try PGConnection(conninfo: db.url)
        try admin.transaction { c in
            try c.executeScript(unsafeSQL: v1.sql)
            try c.execute("INSERT INTO sealbook.schema_version (version, name, sha256) VALUES (1, \(v1.name), \(v1.sha256))")
        }
        let store = try LedgerStore(conninfo: db.url)
        #expect(try store.schemaVersions() == [1])
        let root = KeyFile(actor: "root@fingood", privateKey: Ed25519.PrivateKey())
        let descriptor = KeyDescriptor(keyID: root.keyID, publicKey: root.privateKey.publicKey, actor: root.actor, roles: ["admin"])
        let genesis = try SignedEvent(
            signing: try EventBody(
                ledger: "upgrade", stream: FormatV1.ledgerStream, streamSeq: 1, streamPrev: .zero, type: FormatV1.genesisType,
                time: FormatV1.now(), actor: root.actor, key: root.keyID,
                data: JSONObject([(key: "rootKeys", value: .array([.object(descriptor.json)]))])),
            with: root.privateKey)
        _ = try store.appendSigned([genesis])
        let before = try store.appendBatch(
            (1...10).map { LedgerStore.NewEvent(stream: "s", type: "custom.note", data: JSONObject([(key: "i", value: .number(JSONNumber(Int64($0))))])) },
            key: root)
        #expect(before.last?.seq == 11)

        #expect(try store.migrate() == [2, 3, 4, 5])
        #expect(try store.schemaVersions() == [1, 2, 3, 4, 5])
        #expect(try store.migrate() == [])
        let after = try store.appendBatch(
            (11...60).map { LedgerStore.NewEvent(stream: "s", type: "custom.note", data: JSONObject([(key: "i", value: .number(JSONNumber(Int64($0))))])) },
            key: root)
        #expect(after.map(\.seq) == Array(12...61))
        #expect(after.last?.streamSeq == 60)
        let report = try store.verify(options: VerifyOptions(trustRoot: root.privateKey.publicKey))
        #expect(report.isValid, "\(report.failures)")
        #expect(report.entries == 61)
        // init on the upgraded ledger changes nothing.
        #expect(try store.initialize(ledger: "upgrade", root: root) == .alreadyInitialized(head: 61))
    }
}

/// The chain hash stored at `seq`.
private func chainHash(_ l: TestLedger, seq: Int64) throws -> Digest32 {
    let c = try PGConnection(conninfo: l.db.url)
    let r = try c.query("SELECT chain_hash FROM sealbook.events WHERE seq = \(seq)", resultFormat: .binary)
    return Digest32(bytes: r.bytes(0, 0)!)!
}
