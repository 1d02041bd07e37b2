import Foundation
import SealbookCore
import SealbookTestSupport
import Testing

@testable import SealbookPostgres

/// The schema migrations built into the binary (no database needed).
@Suite("Schema files")
struct SchemaFileTests {
    @Test("the built-in migrations are numbered 1, 2, … in file order, and each SHA-256 is of its file's bytes")
    func builtInMigrations() throws {
        let all = SchemaMigration.all
        #expect(all.count >= 2)
        #expect(all.map(\.version) == Array(1...all.count), "\(all.map(\.name))")
        #expect(all.map(\.name) == all.map(\.name).sorted())
        #expect(all.first?.name == "0001_ledger.sql")
        for m in all {
            #expect(m.sql.contains("sealbook"), "\(m.name)")
            #expect(!m.sql.hasSuffix("\n"), "\(m.name): the final newline is not part of sql")
            #expect(m.sha256 == SHA256.hash(Array((m.sql + "\n").utf8)).hex, "\(m.name)")
        }
    }

    @Test(
        "a migration file is named NNNN_name.sql",
        arguments: [
            ("0001_ledger.sql", 1), ("0003_pg_ext.sql", 3), ("0120_x.sql", 120), ("001_ledger.sql", nil),
            ("00a1_ledger.sql", nil), ("0001ledger.sql", nil), ("0001_ledger.txt", nil), ("0001_.sql", nil),
            ("٠٠٠١_ledger.sql", nil),
        ] as [(String, Int?)])
    func migrationFileNames(name: String, version: Int?) {
        #expect(SchemaMigration.version(ofFile: name) == version)
    }
}

@Suite("Stored-tree range reads")
struct RangeTests {
    @Test("ranges are sorted and merged when they overlap or touch, so each row is read once")
    func coalesced() {
        #expect(LedgerStore.coalesced([]) == [])
        #expect(LedgerStore.coalesced([5...9, 1...2, 3...4, 20...20, 8...12]) == [1...12, 20...20])
        #expect(LedgerStore.coalesced([1...1, 3...3]) == [1...1, 3...3])
        #expect(LedgerStore.coalesced([0...Int64.max, 7...9]) == [0...Int64.max])
    }

    @Test("reading nodes of many ranges gives each stored row once, the same as one range at a time")
    func manyRanges() throws {
        let t = try TestLedger()
        defer { t.db.drop() }
        for i in 0..<40 { _ = try t.note("s\(i % 7)", Int64(i)) }
        let head = try t.store.head().seq
        let ranges: [ClosedRange<Int64>] = (1...head).filter { $0 % 3 != 0 }.map { $0...$0 } + [2...5, 30...head]
        let many = try t.store.eventHashes(inRanges: ranges)
        var one: [Int64: Digest32] = [:]
        for r in ranges { for (k, v) in try t.store.eventHashes(inRanges: [r]) { one[k] = v } }
        #expect(many == one && many.count == Set(ranges.flatMap { Array($0) }).count)
        #expect(Array(many.keys).sorted() == Array(Set(ranges.flatMap { Array($0) })).sorted())
    }
}

@Suite("Ledger store against PostgreSQL")
struct LedgerStoreTests {
    @Test("init applies the schema once, records its version and SHA-256, and a second init changes nothing")
    func initIsIdempotent() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let store = try LedgerStore(conninfo: db.url)
        let root = KeyFile(actor: "root@fingood", privateKey: Ed25519.PrivateKey())
        guard case .created(let genesis, let applied) = try store.initialize(ledger: "l1", root: root) else {
            Issue.record("first init did not create")
            return
        }
        #expect(genesis.seq == 1)
        #expect(applied == SchemaMigration.all.map(\.version))
        let recorded = try db.superuserQuery("SELECT sha256 FROM sealbook.schema_version ORDER BY version")
        #expect(recorded == SchemaMigration.all.map { $0.sha256 })
        #expect(try store.initialize(ledger: "l1", root: root) == .alreadyInitialized(head: 1))
        #expect(try store.head().seq == 1)
        // Another ledger id or another root on the same database is refused and changes nothing.
        #expect(throws: StoreError.self) { try store.initialize(ledger: "l2", root: root) }
        let other = KeyFile(actor: "root@fingood", privateKey: Ed25519.PrivateKey())
        #expect(throws: StoreError.self) { try store.initialize(ledger: "l1", root: other) }
        #expect(try store.head().seq == 1)
    }

    @Test("append, read the stream position, verify online")
    func appendAndVerify() throws {
        let l = try TestLedger()
        defer { l.db.drop() }
        var last: LedgerStore.AppendResult? = nil
        for i in 1...20 { last = try l.note("session/a", Int64(i)) }
        #expect(last?.seq == 22)
        #expect(last?.streamSeq == 20)
        let pos = try l.store.streamPosition("session/a")
        #expect(pos.seq == 20 && pos.eventHash == last?.eventHash)
        let report = try l.verify()
        #expect(report.isValid, "\(report.failures)")
        #expect(report.entries == 22)
        #expect(report.lastChainHash == last?.chainHash)
        #expect(report.rootPinned)
        // The stored bytes are the canonical bytes that were signed, the jsonb copy matches them.
        let same = try l.db.superuserQuery("SELECT bool_and(convert_from(body, 'UTF8')::jsonb = body_json)::text FROM sealbook.events")
        #expect(same == ["true"])
    }

    @Test("expect-seq: a taken position is a conflict, a future one is refused, neither adds a row")
    func expectSeq() throws {
        let l = try TestLedger()
        defer { l.db.drop() }
        try l.note("s", 1)
        try l.note("s", 2)
        let e = LedgerStore.NewEvent(stream: "s", type: "custom.note", data: JSONObject())
        #expect(throws: StoreError.self) { try l.store.append(e, key: l.operatorKey, expectSeq: 1) }
        guard case .conflict(let stream, let current, let expected)? = storeError({ _ = try l.store.append(e, key: l.operatorKey, expectSeq: 1) })
        else { Issue.record("a taken position was not a conflict"); return }
        #expect(stream == "s" && current == 2 && expected == 1)
        guard case .positionAhead(_, let current2, let expected2)? = storeError({ _ = try l.store.append(e, key: l.operatorKey, expectSeq: 7) })
        else { Issue.record("a future position was accepted"); return }
        #expect(current2 == 2 && expected2 == 7)
        #expect(try l.store.head().seq == 4)
        #expect(try l.store.append(e, key: l.operatorKey, expectSeq: 2).streamSeq == 3)
    }

    @Test("the database itself refuses a stale streamPrev or a taken streamSeq from a signed event")
    func databaseChecksStreamPosition() throws {
        let l = try TestLedger()
        defer { l.db.drop() }
        let first = try l.sign(stream: "s", key: l.operatorKey)
        _ = try l.store.appendSigned([first])
        // Signed for position 1 again: taken.
        #expect(throws: StoreError.self) { try l.store.appendSigned([first]) }
        // Position 2 but streamPrev of zeros.
        let body = try EventBody(
            ledger: l.ledger, stream: "s", streamSeq: 2, streamPrev: .zero, type: "custom.note", time: FormatV1.now(),
            actor: l.operatorKey.actor, key: l.operatorKey.keyID, data: JSONObject())
        let wrongPrev = try SignedEvent(signing: body, with: l.operatorKey.privateKey)
        guard case .streamMoved(let m)? = storeError({ _ = try l.store.appendSigned([wrongPrev]) }) else {
            Issue.record("stale streamPrev accepted")
            return
        }
        #expect(m.contains("streamPrev"))
        #expect(try l.store.head().seq == 3)
    }

    @Test("idempotency key: a second append with the same stream and idem returns the first event")
    func idempotency() throws {
        let l = try TestLedger()
        defer { l.db.drop() }
        let e = LedgerStore.NewEvent(stream: "s", type: "custom.note", data: JSONObject(), idem: "op-42")
        let a = try l.store.append(e, key: l.operatorKey)
        let b = try l.store.append(e, key: l.operatorKey)
        #expect(!a.duplicate && b.duplicate)
        #expect(a.seq == b.seq && a.eventHash == b.eventHash)
        #expect(try l.store.head().seq == 3)
        // The same idem in another stream is another event.
        let c = try l.store.append(.init(stream: "t", type: "custom.note", data: JSONObject(), idem: "op-42"), key: l.operatorKey)
        #expect(!c.duplicate && c.seq == 4)
    }

    @Test("a listener hears each committed append with its seq (a batch once, at its last seq); nothing when none is made")
    func appendNotifications() throws {
        let l = try TestLedger()
        defer { l.db.drop() }
        let follower = try LedgerStore(conninfo: l.db.url)
        try follower.listenForAppends()
        #expect(try follower.waitForAppends(timeout: .milliseconds(50)) == nil)
        let a = try l.note("n", 1)
        #expect(try follower.waitForAppends(timeout: .seconds(10)) == a.seq)
        let batch = try l.store.appendBatch(
            (1...5).map { LedgerStore.NewEvent(stream: "n", type: "custom.note", data: JSONObject([(key: "i", value: .number(JSONNumber(Int64($0))))])) },
            key: l.operatorKey)
        var heard: Int64 = 0
        for _ in 0..<5 {
            guard let s = try follower.waitForAppends(timeout: .seconds(10)) else { break }
            heard = max(heard, s)
            if heard == batch.last!.seq { break }
        }
        #expect(heard == batch.last!.seq)
        // A refused append notifies nobody.
        let stranger = KeyFile(actor: "mallory@elsewhere", privateKey: Ed25519.PrivateKey())
        #expect(throws: StoreError.self) { try l.store.appendSigned([try l.sign(stream: "y", key: stranger)]) }
        #expect(try follower.waitForAppends(timeout: .milliseconds(300)) == nil)
    }

    @Test("a store's remembered stream position gone stale (another writer appended) is refused and read again; the chain stays valid")
    func stalePositionRetried() throws {
        let l = try TestLedger()
        defer { l.db.drop() }
        let other = try LedgerStore(conninfo: l.db.url)
        let a1 = try l.note("shared", 1)
        let b1 = try other.append(.init(stream: "shared", type: "custom.note", data: JSONObject()), key: l.operatorKey)
        // l.store remembers streamSeq 1; the stream is at 2.
        let a2 = try l.note("shared", 2)
        #expect([a1.streamSeq, b1.streamSeq, a2.streamSeq] == [1, 2, 3])
        // A duplicate (same idem) says nothing of the stream's end: the next append reads it.
        let d1 = try l.store.append(.init(stream: "shared", type: "custom.note", data: JSONObject(), idem: "once"), key: l.operatorKey)
        _ = try other.append(.init(stream: "shared", type: "custom.note", data: JSONObject()), key: l.operatorKey)
        let d2 = try l.store.append(.init(stream: "shared", type: "custom.note", data: JSONObject(), idem: "once"), key: l.operatorKey)
        #expect(d2.duplicate && d2.seq == d1.seq)
        let a3 = try l.note("shared", 3)
        #expect(a3.streamSeq == 6)
        // --expect-seq is always checked against the database, not the remembered position.
        _ = try other.append(.init(stream: "shared", type: "custom.note", data: JSONObject()), key: l.operatorKey)
        #expect(throws: StoreError.self) {
            try l.store.append(.init(stream: "shared", type: "custom.note", data: JSONObject()), key: l.operatorKey, expectSeq: 6)
        }
        #expect(try l.store.streamPosition("shared").seq == 7)
        #expect(try l.verify().isValid)
    }

    @Test("a batch is one transaction: all of it lands, or none of it")
    func batchAllOrNothing() throws {
        let l = try TestLedger()
        defer { l.db.drop() }
        let events = (1...50).map { i in
            LedgerStore.NewEvent(stream: "batch/\(i % 3)", type: "custom.note", data: JSONObject([(key: "i", value: .number(JSONNumber(Int64(i))))]))
        }
        let results = try l.store.appendBatch(events, key: l.operatorKey)
        #expect(results.map(\.seq) == Array(3...52))
        #expect(try l.verify().isValid)
        // The last event of this batch is signed by a key that is not enrolled: nothing lands.
        let stranger = KeyFile(actor: "mallory@elsewhere", privateKey: Ed25519.PrivateKey())
        let good = try l.sign(stream: "x", key: l.operatorKey)
        let bad = try l.sign(stream: "y", key: stranger)
        #expect(throws: StoreError.self) { try l.store.appendSigned([good, bad]) }
        #expect(try l.store.head().seq == 52)
        #expect(try l.store.streamPosition("x").seq == 0)
    }

    @Test("the append path refuses unknown, revoked and mismatched keys and non-admin enrolment")
    func keyChecks() throws {
        let l = try TestLedger()
        defer { l.db.drop() }
        let stranger = KeyFile(actor: "mallory@elsewhere", privateKey: Ed25519.PrivateKey())
        func refused(_ body: () throws -> Void) -> String? {
            switch storeError(body) {
            case .keyRefused(let m)?: return m
            case let other?: return "other error: \(other)"
            case nil: return nil
            }
        }
        #expect(refused { try l.note("s", 1, key: stranger) }?.contains("not enrolled") == true)
        let impostor = KeyFile(actor: "bob@fingood", privateKey: l.operatorKey.privateKey)
        #expect(refused { try l.note("s", 1, key: impostor) }?.contains("belongs to actor") == true)
        let newcomer = KeyFile(actor: "carol@fingood", privateKey: Ed25519.PrivateKey())
        let d = KeyDescriptor(keyID: newcomer.keyID, publicKey: newcomer.privateKey.publicKey, actor: newcomer.actor, roles: ["admin"])
        #expect(refused {
            _ = try l.store.append(.init(stream: "keys", type: "key.enrolled", data: d.json), key: l.operatorKey)
        }?.contains("role admin") == true)
        try l.note("s", 1)
        try l.revoke(l.operatorKey)
        #expect(refused { try l.note("s", 2) }?.contains("revoked") == true)
        #expect(try l.store.head().seq == 4)
        #expect(try l.verify().isValid)
    }

    @Test("8 writers x 500 events: seq 1...4002 with no gap, one chain, verify passes")
    func concurrentWriters() throws {
        let l = try TestLedger()
        defer { l.db.drop() }
        let url = l.db.url
        let key = l.operatorKey
        let errors = ErrorBox()
        let group = DispatchGroup()
        for w in 0..<8 {
            let t = Thread {
                defer { group.leave() }
                do {
                    let store = try LedgerStore(conninfo: url)
                    for i in 0..<500 {
                        // Half the writers share one stream, so per-stream conflicts are exercised too.
                        let stream = w < 4 ? "shared" : "writer/\(w)"
                        _ = try store.append(
                            .init(stream: stream, type: "custom.note", data: JSONObject([(key: "i", value: .number(JSONNumber(Int64(i))))])),
                            key: key)
                    }
                } catch { errors.add("\(error)") }
            }
            group.enter()
            t.start()
        }
        group.wait()
        #expect(errors.all.isEmpty, "\(errors.all)")
        let seqs = try l.db.superuserQuery("SELECT count(*)::text || ' ' || min(seq)::text || ' ' || max(seq)::text FROM sealbook.events")
        #expect(seqs == ["4002 1 4002"])
        let shared = try l.db.superuserQuery("SELECT count(DISTINCT stream_seq)::text || ' ' || max(stream_seq)::text FROM sealbook.events WHERE stream = 'shared'")
        #expect(shared == ["2000 2000"])
        let report = try l.verify()
        #expect(report.isValid, "\(report.failures)")
        #expect(report.entries == 4002)
        #expect(report.lastChainHash == (try l.store.head().chainHash))
    }
}

/// The StoreError `body` throws, or nil. (Catching a typed-throws pattern directly crashes the
/// Swift 6.3 compiler's SILGen, so tests go through this.)
func storeError(_ body: () throws -> Void) -> StoreError? {
    do { try body() } catch let e as StoreError { return e } catch { return .database("unexpected \(error)") }
    return nil
}

final class ErrorBox: @unchecked Sendable {
    // @unchecked Sendable: `items` is only touched with `lock` held.
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.withLock { items.append(s) } }
    var all: [String] { lock.withLock { items } }
}

@Suite("Immutability enforced by the database")
struct ImmutabilityTests {
    @Test("even a superuser's UPDATE, DELETE and TRUNCATE are refused by triggers")
    func triggersRefuseChanges() throws {
        let l = try TestLedger()
        defer { l.db.drop() }
        try l.note("s", 1)
        for sql in [
            "UPDATE sealbook.events SET actor = 'x' WHERE seq = 3", "DELETE FROM sealbook.events WHERE seq = 3",
            "TRUNCATE sealbook.events CASCADE", "DELETE FROM sealbook.head", "UPDATE sealbook.head SET seq = 1",
            "DELETE FROM sealbook.keys",
        ] {
            do {
                try l.db.superuserExecute(sql)
                Issue.record("\(sql) was allowed")
            } catch let e as PGError {
                #expect(e.sqlState == "SB050", "\(sql): \(e)")
            }
        }
        // session_replication_role = replica does not switch them off (ENABLE ALWAYS).
        do {
            try l.db.superuserExecute("SET session_replication_role = replica; DELETE FROM sealbook.events WHERE seq = 3")
            Issue.record("replica mode bypassed the trigger")
        } catch let e as PGError { #expect(e.sqlState == "SB050") }
        #expect(try l.store.head().seq == 3)
        #expect(try l.verify().isValid)
    }

    @Test("the writer role can append through the append path only; the auditor role can only read")
    func roles() throws {
        let l = try TestLedger()
        defer { l.db.drop() }
        let suffix = l.db.name
        try l.db.superuserExecute(
            "CREATE ROLE w_\(suffix) LOGIN IN ROLE sealbook_writer; CREATE ROLE a_\(suffix) LOGIN IN ROLE sealbook_auditor")
        defer { try? l.db.superuserExecute("DROP OWNED BY w_\(suffix), a_\(suffix); DROP ROLE w_\(suffix); DROP ROLE a_\(suffix)") }

        let writer = try LedgerStore(conninfo: l.db.url(user: "w_\(suffix)"))
        let r = try writer.append(.init(stream: "s", type: "custom.note", data: JSONObject()), key: l.operatorKey)
        #expect(r.seq == 3)
        let writerConn = try PGConnection(conninfo: l.db.url(user: "w_\(suffix)"))
        let auditorConn = try PGConnection(conninfo: l.db.url(user: "a_\(suffix)"))
        let forbidden = [
            "UPDATE sealbook.events SET actor = 'x'", "DELETE FROM sealbook.events", "TRUNCATE sealbook.events",
            "INSERT INTO sealbook.events (seq) VALUES (99)", "UPDATE sealbook.head SET seq = 99",
            "UPDATE sealbook.keys SET revoked_seq = 1", "ALTER TABLE sealbook.events DISABLE TRIGGER events_append_only",
        ]
        for (who, c) in [("writer", writerConn), ("auditor", auditorConn)] {
            for sql in forbidden {
                do {
                    try c.execute(PGQuery(unsafeSQL: sql))
                    Issue.record("\(who) could run: \(sql)")
                } catch {
                    #expect(error.sqlState == "42501", "\(who) \(sql): \(error)")
                }
            }
        }
        // The auditor reads but cannot append.
        let auditor = try LedgerStore(conninfo: l.db.url(user: "a_\(suffix)"))
        #expect(try auditor.verify(options: VerifyOptions(trustRoot: l.root.privateKey.publicKey)).isValid)
        let auditorAppend = storeError { _ = try auditor.append(.init(stream: "s", type: "custom.note", data: JSONObject()), key: l.operatorKey) }
        guard case .refused? = auditorAppend else { Issue.record("auditor append: \(String(describing: auditorAppend))"); return }
        #expect(try l.store.head().seq == 3)
    }
}

@Suite("Tamper detection online")
struct TamperTests {
    /// A ledger with 3 events in stream s (seq 3, 4, 5) and 2 in t (seq 6, 7).
    func ledger() throws -> TestLedger {
        let l = try TestLedger()
        for i in 1...3 { try l.note("s", Int64(i)) }
        for i in 1...2 { try l.note("t", Int64(i)) }
        #expect(try l.verify().isValid)
        return l
    }

    func firstFailure(_ l: TestLedger, pinned: Bool = true) throws -> VerificationFailure? {
        let r = try l.verify(pinned: pinned)
        #expect(!r.isValid)
        return r.failures.first
    }

    @Test("a body byte changed by a superuser: bad signature at that seq")
    func bodyByteChanged() throws {
        let l = try ledger()
        defer { l.db.drop() }
        // "n":2 becomes "n":7 inside the canonical bytes of seq 4.
        try l.tamper("UPDATE sealbook.events SET body = convert_to(replace(convert_from(body, 'UTF8'), '\"n\":2', '\"n\":7'), 'UTF8') WHERE seq = 4")
        let f = try firstFailure(l)
        #expect(f?.seq == 4 && f?.reason == .badSignature && f?.stream == "s")
    }

    @Test("a row deleted: gap at the next seq")
    func rowDeleted() throws {
        let l = try ledger()
        defer { l.db.drop() }
        try l.tamper("DELETE FROM sealbook.events WHERE seq = 4")
        let f = try firstFailure(l)
        #expect(f?.seq == 5 && f?.reason == .seqGap)
    }

    @Test("two rows swapped: wrong streamSeq at the first")
    func rowsSwapped() throws {
        let l = try ledger()
        defer { l.db.drop() }
        try l.tamper(
            """
            UPDATE sealbook.events SET seq = seq + 1000000 WHERE seq IN (3, 4);
            UPDATE sealbook.events SET seq = CASE seq WHEN 1000003 THEN 4 ELSE 3 END WHERE seq > 1000000
            """)
        let f = try firstFailure(l)
        #expect(f?.seq == 3 && f?.reason == .wrongStreamSeq)
    }

    @Test("a signature replaced: bad signature")
    func signatureReplaced() throws {
        let l = try ledger()
        defer { l.db.drop() }
        try l.tamper("UPDATE sealbook.events SET sig = (SELECT sig FROM sealbook.events WHERE seq = 6) WHERE seq = 5")
        let f = try firstFailure(l)
        #expect(f?.seq == 5 && f?.reason == .badSignature)
    }

    @Test("an event signed by a revoked key, inserted by a superuser: key revoked")
    func revokedKey() throws {
        let l = try ledger()
        defer { l.db.drop() }
        let bob = KeyFile(actor: "bob@fingood", privateKey: Ed25519.PrivateKey())
        try l.enroll(bob, roles: ["operator"])
        try l.note("b", 1, key: bob)
        try l.revoke(bob)
        let late = try l.sign(stream: "b", key: bob)
        try l.insertBypassingChecks(late)
        let f = try firstFailure(l)
        #expect(f?.seq == 11 && f?.reason == .keyRevoked)
    }

    @Test("an event by a key never enrolled, inserted by a superuser: unknown key")
    func neverEnrolled() throws {
        let l = try ledger()
        defer { l.db.drop() }
        let mallory = KeyFile(actor: "mallory@elsewhere", privateKey: Ed25519.PrivateKey())
        try l.insertBypassingChecks(try l.sign(stream: "m", key: mallory))
        let f = try firstFailure(l)
        #expect(f?.seq == 8 && f?.reason == .unknownKey)
    }

    @Test("a genesis that does not match the pinned root")
    func wrongRoot() throws {
        let l = try ledger()
        defer { l.db.drop() }
        let other = Ed25519.PrivateKey().publicKey
        let r = try l.store.verify(options: VerifyOptions(trustRoot: other))
        #expect(r.failures.first?.seq == 1 && r.failures.first?.reason == .genesisRootMismatch)
        // Without a pin it verifies, and says the root was not pinned.
        let unpinned = try l.verify(pinned: false)
        #expect(unpinned.isValid && !unpinned.rootPinned)
    }

    @Test("--all reports each tampered entry once")
    func reportAll() throws {
        let l = try ledger()
        defer { l.db.drop() }
        try l.tamper("UPDATE sealbook.events SET sig = (SELECT sig FROM sealbook.events WHERE seq = 6) WHERE seq = 4")
        try l.tamper("DELETE FROM sealbook.events WHERE seq = 6")
        let r = try l.verify(all: true)
        #expect(r.failures.map(\.seq) == [4, 7])
        #expect(r.failures.map(\.reason) == [.badSignature, .seqGap])
    }
}
