import Foundation
import SealbookCore
import SealbookTestSupport
import Testing

@testable import SealbookPostgres

// Schema version 3 (schemas/postgres/0003_signature_and_time.sql; docs/FORMAT.md 9.4 steps 7a
// and 7b, 9.3): the database refuses what it cannot accept. Every test runs against the real
// server of SEALBOOK_TEST_DATABASE_URL with the sealbook_ed25519 extension that scripts/setup.sh
// installs, and real libsodium on the Swift side.

/// The current time in milliseconds since 1970.
private func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

/// A format time `offsetMs` from now.
private func time(_ offsetMs: Int64) -> String { formatTimestamp(millisecondsSince1970: nowMs() + offsetMs) }

/// Everything an append could move: the head, the number of rows, the keys.
private struct LedgerState: Equatable, CustomStringConvertible {
    let head: LedgerStore.Head
    let rows: String?
    let keys: [LedgerStore.KeyRow]

    init(_ l: TestLedger) throws {
        head = try l.store.head()
        rows = try l.db.superuserQuery("SELECT count(*) FROM sealbook.events").first ?? nil
        keys = try l.store.keys()
    }

    var description: String { "seq \(head.seq) chain \(head.chainHash.hex.prefix(12)) rows \(rows ?? "?") keys \(keys.count)" }
}

/// A login role in sealbook_writer, as an attacker or a buggy client would hold, connected to
/// the ledger's database. `close()` drops the role (after the database is dropped).
private final class WriterRole {
    let name = "sbt_writer_" + Hex.encode(secureRandomBytes(6))
    let connection: PGConnection

    init(_ db: TestDatabase) throws {
        try db.superuserExecute("CREATE ROLE \(name) LOGIN IN ROLE sealbook_writer")
        connection = try PGConnection(conninfo: db.url(user: name))
    }

    /// `sealbook.append_event(body, sig)`: nil when it appended, else the error.
    func appendEvent(_ body: [UInt8], _ sig: [UInt8]) -> PGError? {
        do {
            _ = try connection.query("SELECT * FROM sealbook.append_event(\(body), \(sig))")
            return nil
        } catch { return error }
    }

    /// `sealbook.append_events(bodies, sigs)`: nil when it appended, else the error.
    func appendEvents(_ bodies: [[UInt8]], _ sigs: [[UInt8]]) -> PGError? {
        do {
            _ = try connection.query("SELECT * FROM sealbook.append_events(\(bodies), \(sigs))")
            return nil
        } catch { return error }
    }

    static func drop(_ name: String) {
        guard let admin = try? PGConnection(conninfo: TestDatabase.serverURL()) else { return }
        _ = try? admin.execute("DROP ROLE IF EXISTS \(identifier: name)")
    }
}

/// `count` custom.note events of `key`, chained in `stream` from its current position, signed at
/// `now + offsetMs` (no append).
private func notes(_ l: TestLedger, _ stream: String, count: Int, key: KeyFile, offsetMs: Int64 = 0) throws -> [SignedEvent] {
    var pos = try l.store.streamPosition(stream)
    var out: [SignedEvent] = []
    for i in 1...count {
        let body = try EventBody(
            ledger: l.ledger, stream: stream, streamSeq: pos.seq + 1, streamPrev: pos.eventHash, type: "custom.note",
            time: time(offsetMs), actor: key.actor, key: key.keyID,
            data: JSONObject([(key: "i", value: .number(JSONNumber(Int64(i))))]))
        let s = try SignedEvent(signing: body, with: key.privateKey)
        pos = (pos.seq + 1, s.eventHash)
        out.append(s)
    }
    return out
}

/// Applies schema migrations 1 ... `upTo` by hand, as an older sealbook init left them.
private func applyMigrations(_ db: TestDatabase, upTo version: Int) throws {
    let admin = try PGConnection(conninfo: db.url)
    try admin.transaction { c in
        for m in SchemaMigration.all where m.version <= version {
            try c.executeScript(unsafeSQL: m.sql)
            try c.execute("INSERT INTO sealbook.schema_version (version, name, sha256) VALUES (\(m.version), \(m.name), \(m.sha256))")
        }
    }
}

/// A genesis of `root` for ledger `ledger` with the extra data members `extra`, signed now.
private func genesis(_ ledger: String, root: KeyFile, extra: [(key: String, value: JSONValue)] = []) throws -> SignedEvent {
    let descriptor = KeyDescriptor(keyID: root.keyID, publicKey: root.privateKey.publicKey, actor: root.actor, roles: ["admin"])
    return try SignedEvent(
        signing: try EventBody(
            ledger: ledger, stream: FormatV1.ledgerStream, streamSeq: 1, streamPrev: .zero, type: FormatV1.genesisType,
            time: FormatV1.now(), actor: root.actor, key: root.keyID,
            data: JSONObject([(key: "rootKeys", value: .array([.object(descriptor.json)]))] + extra)),
        with: root.privateKey)
}

@Suite("The database checks signatures (schema version 3, sealbook_ed25519)")
struct DatabaseSignatureCheckTests {
    @Test("a writer role's forged approval is refused with SB033 by append_event and append_events; nothing moves; the genuine one appends")
    func forgedApprovalRefused() throws {
        let l = try TestLedger()
        let writer = try WriterRole(l.db)
        defer {
            l.db.drop()
            WriterRole.drop(writer.name)
        }
        let approver = KeyFile(actor: "bob@fingood", privateKey: Ed25519.PrivateKey())
        try l.enroll(approver, roles: ["approver"])
        let stream = "session/2024_01_15_add_fee_index"
        try l.note(stream, 1)
        let pos = try l.store.streamPosition(stream)
        let marker = "payload-marker-7f3a"
        func approval(_ decision: String) throws -> SignedEvent {
            try SignedEvent(
                signing: try EventBody(
                    ledger: l.ledger, stream: stream, streamSeq: pos.seq + 1, streamPrev: pos.eventHash, type: "approval.granted",
                    time: FormatV1.now(), actor: approver.actor, key: approver.keyID,
                    data: JSONObject([(key: "decision", value: .string(decision)), (key: "note", value: .string(marker))])),
                with: approver.privateKey)
        }
        let genuine = try approval("approve")
        let otherBody = try approval("approve-later")
        let message = FormatV1.signingMessage(genuine.bodyBytes)
        let forgeries: [(String, [UInt8])] = [
            ("64 random bytes", secureRandomBytes(64)),
            ("the approver's valid signature of another body", otherBody.signature),
            ("another enrolled key's valid signature of this body (the operator's)", l.operatorKey.privateKey.signature(for: message)),
            ("the root's valid signature of this body", l.root.privateKey.signature(for: message)),
        ]
        let before = try LedgerState(l)
        for (what, sig) in forgeries {
            #expect(sig.count == 64)
            for (call, error) in [
                ("append_event", writer.appendEvent(genuine.bodyBytes, sig)),
                ("append_events", writer.appendEvents([genuine.bodyBytes], [sig])),
            ] {
                let e = try #require(error, "\(what) via \(call) was appended")
                #expect(e.sqlState == "SB033", "\(what) via \(call): \(e)")
                // The message names the position, the stream and the key, never the content.
                #expect(e.message.contains(stream) && e.message.contains(approver.keyID), "\(e.message)")
                #expect(e.message.contains("seq \(before.head.seq + 1)"), "\(e.message)")
                #expect(!e.message.contains(marker) && !e.message.contains("approve"), "\(e.message)")
                guard case .signatureRefused(let m) = StoreError(e) else {
                    Issue.record("\(what) via \(call): not signatureRefused: \(StoreError(e))")
                    continue
                }
                #expect(StoreError.signatureRefused(m).description.hasPrefix("signature refused by the database"))
                #expect(try LedgerState(l) == before, "\(what) via \(call)")
            }
        }
        // The genuine approval appends, through the same role.
        #expect(writer.appendEvent(genuine.bodyBytes, genuine.signature) == nil)
        #expect(try l.store.head().seq == before.head.seq + 1)
        let report = try l.verify()
        #expect(report.isValid, "\(report.failures)")
    }

    @Test("a batch whose third event has a bad signature leaves nothing (no row, no key, head unchanged); signed right, it lands")
    func badThirdInBatch() throws {
        let l = try TestLedger()
        let writer = try WriterRole(l.db)
        defer {
            l.db.drop()
            WriterRole.drop(writer.name)
        }
        try l.note("s", 1)
        // Event 1 enrols a key (root), events 2-5 are notes of the operator in one stream.
        let newcomer = KeyFile(actor: "dave@fingood", privateKey: Ed25519.PrivateKey())
        let kp = try l.store.streamPosition(FormatV1.keysStream)
        let enrolment = try SignedEvent(
            signing: try EventBody(
                ledger: l.ledger, stream: FormatV1.keysStream, streamSeq: kp.seq + 1, streamPrev: kp.eventHash,
                type: FormatV1.keyEnrolledType, time: FormatV1.now(), actor: l.root.actor, key: l.root.keyID,
                data: KeyDescriptor(keyID: newcomer.keyID, publicKey: newcomer.privateKey.publicKey, actor: newcomer.actor, roles: ["operator"]).json),
            with: l.root.privateKey)
        let events = [enrolment] + (try notes(l, "s", count: 4, key: l.operatorKey))
        var sigs = events.map(\.signature)
        sigs[2] = secureRandomBytes(64)
        let before = try LedgerState(l)
        let e = try #require(writer.appendEvents(events.map(\.bodyBytes), sigs), "the batch was appended")
        #expect(e.sqlState == "SB033", "\(e)")
        #expect(e.message.contains("event 3 of the batch"), "\(e.message)")
        #expect(try LedgerState(l) == before)
        #expect(try l.store.keys().allSatisfy { $0.keyID != newcomer.keyID })
        // Signed right, the batch lands whole.
        #expect(writer.appendEvents(events.map(\.bodyBytes), events.map(\.signature)) == nil)
        #expect(try l.store.head().seq == before.head.seq + 5)
        #expect(try l.store.keys().contains { $0.keyID == newcomer.keyID })
        #expect(try l.verify().isValid)
    }

    @Test("the extension's ed25519_verify gives libsodium's answers (the Swift verifier's) and false for wrong lengths")
    func extensionAgreesWithSwift() throws {
        let l = try TestLedger()
        defer { l.db.drop() }
        var keys: [[UInt8]] = [], messages: [[UInt8]] = [], sigs: [[UInt8]] = [], names: [String] = []
        func add(_ name: String, _ k: [UInt8], _ m: [UInt8], _ s: [UInt8]) {
            names.append(name)
            keys.append(k)
            messages.append(m)
            sigs.append(s)
        }
        // RFC 8032 section 7.1, TEST 1 (empty message).
        let pk1 = Array(Hex.decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")!)
        let sig1 = Array(Hex.decode(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")!)
        add("RFC 8032 TEST 1", pk1, [], sig1)
        add("RFC 8032 TEST 1, one byte of message", pk1, [0], sig1)
        for i in 0..<40 {
            let key = Ed25519.PrivateKey()
            let pk = key.publicKey.rawRepresentation
            let m = secureRandomBytes(i * 37)
            let s = key.signature(for: m)
            add("valid \(i)", pk, m, s)
            var badS = s
            badS[i % 64] ^= UInt8(1 << (i % 8))
            add("signature bit \(i)", pk, m, badS)
            if !m.isEmpty {
                var badM = m
                badM[i % m.count] ^= 0x80
                add("message bit \(i)", pk, badM, s)
            }
            var badK = pk
            badK[i % 32] ^= UInt8(1 << (i % 8))
            add("key bit \(i)", badK, m, s)
            var bigS = s
            bigS[63] |= 0xF0  // S >= L: libsodium refuses a non-canonical scalar
            add("S >= L \(i)", pk, m, bigS)
            add("signature 63 bytes \(i)", pk, m, Array(s.prefix(63)))
            add("signature 65 bytes \(i)", pk, m, s + [0])
            add("key 31 bytes \(i)", Array(pk.prefix(31)), m, s)
            add("key 33 bytes \(i)", pk + [0], m, s)
        }
        add("small-order key (identity)", [1] + [UInt8](repeating: 0, count: 31), [1, 2, 3], [1] + [UInt8](repeating: 0, count: 63))
        add("all-zero key and signature", [UInt8](repeating: 0, count: 32), [], [UInt8](repeating: 0, count: 64))
        add("empty key and signature", [], [], [])
        let c = try PGConnection(conninfo: l.db.url)
        let r = try c.query(
            """
            SELECT sealbook.ed25519_verify(t.k, t.m, t.s) FROM unnest(\(keys)::bytea[], \(messages)::bytea[], \(sigs)::bytea[])
                WITH ORDINALITY AS t(k, m, s, n) ORDER BY t.n
            """)
        #expect(r.rowCount == names.count)
        var accepted = 0
        for i in 0..<min(r.rowCount, names.count) {
            let swift: Bool =
                if keys[i].count == 32, let pk = try? Ed25519.PublicKey(rawRepresentation: keys[i]) {
                    pk.isValidSignature(sigs[i], for: messages[i])
                } else { false }
            #expect(r.bool(i, 0) == swift, "\(names[i]): database \(String(describing: r.bool(i, 0))), libsodium in Swift \(swift)")
            if swift { accepted += 1 }
        }
        #expect(accepted == 41, "the valid cases (40 random and RFC 8032 TEST 1)")
        // STRICT, IMMUTABLE, PARALLEL SAFE; NULL in, NULL out.
        let p = try c.query(
            "SELECT provolatile, proisstrict, proparallel FROM pg_proc WHERE oid = 'sealbook.ed25519_verify(bytea, bytea, bytea)'::regprocedure")
        #expect(p.string(0, 0) == "i" && p.bool(0, 1) == true && p.string(0, 2) == "s")
        #expect(try c.query("SELECT sealbook.ed25519_verify(NULL, '', '')").isNull(0, 0))
        // The append path calls it through the wrapper init made.
        #expect(try l.store.signatureCheck()?.mode == .extension)
        let body = try c.query("SELECT prosrc FROM pg_proc WHERE oid = 'sealbook.verify_signature(bytea, bytea, bytea)'::regprocedure")
        #expect(body.string(0, 0)?.contains("ed25519_verify") == true)
    }
}

@Suite("The database checks claimed times (schema version 3)")
struct ClaimedTimeTests {
    @Test("an event signed 10 minutes in the past or the future is refused with SB032; within 5 minutes it is accepted")
    func defaultSkew() throws {
        let l = try TestLedger()
        defer { l.db.drop() }
        #expect(try l.store.maxClockSkewSeconds() == 300)
        let before = try LedgerState(l)
        for (what, offset) in [("10 minutes in the past", Int64(-600_000)), ("10 minutes in the future", Int64(600_000))] {
            let events = try notes(l, "clock", count: 1, key: l.operatorKey, offsetMs: offset)
            if case .clockSkew(let m)? = storeError({ _ = try l.store.appendSigned(events) }) {
                #expect(m.contains(events[0].body.time), "\(what): the claimed time is named: \(m)")
                #expect(m.contains("300 s"), "\(what): the allowed skew is named: \(m)")
                #expect(m.contains(offset < 0 ? "behind" : "ahead of"), "\(what): \(m)")
                #expect(m.contains("the server clock 20"), "\(what): the server time is named: \(m)")
            } else {
                Issue.record("\(what): not refused for its time")
            }
            #expect(try LedgerState(l) == before, "\(what)")
            // The SQLSTATE, through append_event directly.
            let c = try PGConnection(conninfo: l.db.url)
            do {
                _ = try c.query("SELECT * FROM sealbook.append_event(\(events[0].bodyBytes), \(events[0].signature))")
                Issue.record("\(what) was appended by append_event")
            } catch {
                #expect(error.sqlState == "SB032", "\(error)")
            }
            #expect(try LedgerState(l) == before, "\(what)")
        }
        // Within the skew, either way, and a batch that mixes them.
        for offset in [Int64(-240_000), 240_000, 0] {
            let events = try notes(l, "clock", count: 1, key: l.operatorKey, offsetMs: offset)
            #expect(try l.store.appendSigned(events).count == 1, "offset \(offset) ms")
        }
        var batch = try notes(l, "clock", count: 3, key: l.operatorKey)
        let head = try LedgerState(l)
        let late = try notes(l, "clock-late", count: 1, key: l.operatorKey, offsetMs: -3_600_000)
        batch.insert(late[0], at: 1)
        #expect(throws: StoreError.self) { try l.store.appendSigned(batch) }
        #expect(try LedgerState(l) == head)
        #expect(try l.verify().isValid)
    }

    @Test("a ledger's own skew, recorded in its genesis by init, is honoured, and cannot change")
    func customSkew() throws {
        let wide = try TestLedger(maxClockSkewSeconds: 3600)
        defer { wide.db.drop() }
        #expect(try wide.db.superuserQuery("SELECT body_json->'data'->>'maxClockSkewSeconds' FROM sealbook.events WHERE seq = 1") == ["3600"])
        #expect(try wide.store.maxClockSkewSeconds() == 3600)
        for offset in [Int64(-1_800_000), 1_800_000] {
            #expect(try wide.store.appendSigned(try notes(wide, "w", count: 1, key: wide.operatorKey, offsetMs: offset)).count == 1)
        }
        let before = try LedgerState(wide)
        let late = try notes(wide, "w", count: 1, key: wide.operatorKey, offsetMs: -7_200_000)
        if case .clockSkew(let m)? = storeError({ _ = try wide.store.appendSigned(late) }) {
            #expect(m.contains("3600 s"), "\(m)")
        } else {
            Issue.record("2 hours in the past was not refused for its time with a skew of 3600 s")
        }
        #expect(try LedgerState(wide) == before)
        // The genesis with the member verifies (verifiers ignore members they do not know).
        #expect(try wide.verify().isValid)
        // init again: the same skew (or none given) changes nothing; another one is refused.
        #expect(try wide.store.initialize(ledger: wide.ledger, root: wide.root, maxClockSkewSeconds: 3600) == .alreadyInitialized(head: before.head.seq))
        #expect(try wide.store.initialize(ledger: wide.ledger, root: wide.root) == .alreadyInitialized(head: before.head.seq))
        #expect {
            try wide.store.initialize(ledger: wide.ledger, root: wide.root, maxClockSkewSeconds: 300)
        } throws: { e in
            if case StoreError.alreadyInitialized(let m) = e { m.contains("3600") } else { false }
        }

        let narrow = try TestLedger(maxClockSkewSeconds: 60)
        defer { narrow.db.drop() }
        #expect(try narrow.store.appendSigned(try notes(narrow, "n", count: 1, key: narrow.operatorKey, offsetMs: -30_000)).count == 1)
        #expect {
            try narrow.store.appendSigned(try notes(narrow, "n", count: 1, key: narrow.operatorKey, offsetMs: -120_000))
        } throws: { e in
            if case StoreError.clockSkew(let m) = e { m.contains("60 s") } else { false }
        }
    }

    @Test("init refuses a skew outside 1...3153600000 and creates nothing; the append path refuses such a genesis (SB030)")
    func invalidSkew() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let store = try LedgerStore(conninfo: db.url)
        let root = KeyFile(actor: "root@fingood", privateKey: Ed25519.PrivateKey())
        for bad in [Int64(0), -5, 3_153_600_001] {
            #expect(throws: StoreError.self) { try store.initialize(ledger: "skew", root: root, maxClockSkewSeconds: bad) }
        }
        #expect(try store.schemaVersions() == [])
        try store.migrate()
        for (what, value) in [
            ("a string", JSONValue.string("300")), ("zero", .number(JSONNumber(Int64(0)))),
            ("negative", .number(JSONNumber(Int64(-300)))), ("over 100 years", .number(JSONNumber(Int64(3_153_600_001)))),
            ("true", .bool(true)), ("an object", .object(JSONObject([(key: "s", value: .number(JSONNumber(Int64(300))))]))),
        ] {
            let g = try genesis("skew", root: root, extra: [(key: "maxClockSkewSeconds", value: value)])
            if case .invalidEvent(let m)? = storeError({ _ = try store.appendSigned([g]) }) {
                #expect(m.contains("maxClockSkewSeconds"), "\(what): \(m)")
            } else {
                Issue.record("a genesis with \(what) was not refused as invalid")
            }
            #expect(try store.head().seq == 0, "\(what)")
        }
        #expect(try store.appendSigned([try genesis("skew", root: root, extra: [(key: "maxClockSkewSeconds", value: .number(JSONNumber(Int64(1))))])]).count == 1)
        #expect(try store.maxClockSkewSeconds() == 1)
    }
}

@Suite("Tables that decide what is accepted are protected (schema version 3)")
struct ProtectedTablesTests {
    @Test("sealbook.keys: UPDATE of roles, public key, actor, seqs, un-revoke, a revocation or key not in the log: SB050 for a superuser, also as replica")
    func keysRefuseChanges() throws {
        let l = try TestLedger()
        defer { l.db.drop() }
        let bob = KeyFile(actor: "bob@fingood", privateKey: Ed25519.PrivateKey())
        try l.enroll(bob, roles: ["approver"])
        try l.revoke(bob)
        try l.note("s", 1)
        let before = try LedgerState(l)
        let op = l.operatorKey.keyID, b = bob.keyID
        let mallory = Ed25519.PrivateKey().publicKey
        let statements = [
            "UPDATE sealbook.keys SET roles = '{operator,admin}' WHERE key_id = '\(op)'",
            "UPDATE sealbook.keys SET public_key = decode('\(Hex.encode(mallory.rawRepresentation))', 'hex') WHERE key_id = '\(op)'",
            "UPDATE sealbook.keys SET actor = 'mallory@fingood' WHERE key_id = '\(op)'",
            "UPDATE sealbook.keys SET revoked_seq = NULL WHERE key_id = '\(b)'",
            "UPDATE sealbook.keys SET revoked_seq = revoked_seq + 1 WHERE key_id = '\(b)'",
            "UPDATE sealbook.keys SET enrolled_seq = 1 WHERE key_id = '\(op)'",
            "UPDATE sealbook.keys SET is_root = true WHERE key_id = '\(op)'",
            "UPDATE sealbook.keys SET key_id = key_id || 'x' WHERE key_id = '\(op)'",
            "UPDATE sealbook.keys SET revoked_seq = revoked_seq WHERE key_id = '\(op)'",
            // Revoking the operator without a key.revoked event at that seq (checked at commit).
            "UPDATE sealbook.keys SET revoked_seq = \(before.head.seq) WHERE key_id = '\(op)'",
            // A key the log never enrolled (checked at commit).
            """
            INSERT INTO sealbook.keys (key_id, public_key, actor, roles, enrolled_seq, is_root)
            VALUES ('\(mallory.keyID)', decode('\(Hex.encode(mallory.rawRepresentation))', 'hex'), 'mallory@fingood', '{admin}', \(before.head.seq), false)
            """,
            "INSERT INTO sealbook.keys (key_id, public_key, actor, roles, enrolled_seq, is_root) SELECT '\(mallory.keyID)', public_key, actor, roles, 1, true FROM sealbook.keys WHERE key_id = '\(l.root.keyID)'",
            "DELETE FROM sealbook.keys WHERE key_id = '\(b)'",
            "TRUNCATE sealbook.keys",
            "UPDATE sealbook.settings SET value = 'none'",
            "DELETE FROM sealbook.settings",
            "TRUNCATE sealbook.settings",
        ]
        for sql in statements {
            for replica in [false, true] {
                let script = (replica ? "SET session_replication_role = replica;\n" : "") + sql
                do {
                    try l.db.superuserExecute(script)
                    Issue.record("allowed\(replica ? " as replica" : ""): \(sql)")
                } catch let e as PGError {
                    #expect(e.sqlState == "SB050", "\(replica ? "replica: " : "")\(sql): \(e)")
                }
                #expect(try LedgerState(l) == before, "\(sql)")
            }
        }
        #expect(try l.store.signatureCheck()?.mode == .extension)
        // The append path still enrols and revokes (its UPDATE is the one allowed).
        let carol = KeyFile(actor: "carol@fingood", privateKey: Ed25519.PrivateKey())
        try l.enroll(carol, roles: ["operator"])
        try l.note("c", 1, key: carol)
        try l.revoke(carol)
        #expect(throws: StoreError.self) { try l.note("c", 2, key: carol) }
        #expect(try l.verify().isValid)
    }
}

@Suite("Upgrading to schema version 3 and choosing the signature check")
struct SignatureCheckSetupTests {
    @Test("a ledger made with schema versions 1-2 upgrades with init: its rows stay as they were, and the new checks apply")
    func upgradeFromVersionTwo() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        try applyMigrations(db, upTo: 2)
        let store = try LedgerStore(conninfo: db.url)
        #expect(try store.schemaVersions() == [1, 2])
        let root = KeyFile(actor: "root@fingood", privateKey: Ed25519.PrivateKey())
        _ = try store.appendSigned([try genesis("upgrade", root: root)])
        let noteData = { (i: Int) in JSONObject([(key: "i", value: .number(JSONNumber(Int64(i))))]) }
        _ = try store.appendBatch((1...10).map { LedgerStore.NewEvent(stream: "s", type: "custom.note", data: noteData($0)) }, key: root)
        _ = try store.append(.init(stream: "t", type: "custom.note", data: noteData(0)), key: root)
        #expect(try store.signatureCheck() == nil)
        let rowsSQL = """
            SELECT string_agg(concat_ws(':', seq, stream, stream_seq, type, actor, key_id, idem, claimed_time, encode(body, 'hex'),
                                        body_json::text, encode(sig, 'hex'), encode(event_hash, 'hex'), encode(chain_hash, 'hex'), recorded_at),
                              E'\\n' ORDER BY seq)
            FROM sealbook.events
            """
        let keysSQL = "SELECT string_agg(concat_ws(':', key_id, encode(public_key, 'hex'), actor, roles, enrolled_seq, revoked_seq, is_root), ',' ORDER BY key_id) FROM sealbook.keys"
        let rowsBefore = try db.superuserQuery(rowsSQL)
        let keysBefore = try db.superuserQuery(keysSQL)
        let headBefore = try store.head()
        #expect(headBefore.seq == 12)

        #expect(try store.initialize(ledger: "upgrade", root: root) == .alreadyInitialized(head: 12))
        #expect(try store.schemaVersions() == [1, 2, 3, 4, 5])
        #expect(try store.signatureCheck()?.mode == .extension)
        #expect(try store.maxClockSkewSeconds() == 300)
        #expect(try db.superuserQuery(rowsSQL) == rowsBefore)
        #expect(try db.superuserQuery(keysSQL) == keysBefore)
        #expect(try store.head() == headBefore)

        // Appends go on, single and batched, in old and new streams.
        _ = try store.append(.init(stream: "s", type: "custom.note", data: noteData(11)), key: root)
        let after = try store.appendBatch((12...20).map { LedgerStore.NewEvent(stream: "s", type: "custom.note", data: noteData($0)) }, key: root)
        #expect(after.last?.seq == 22 && after.last?.streamSeq == 20)
        #expect(try db.superuserQuery(rowsSQL.replacingOccurrences(of: "FROM sealbook.events", with: "FROM sealbook.events WHERE seq <= 12")) == rowsBefore)
        // The new checks apply to the upgraded ledger.
        let pos = try store.streamPosition("t")
        let forged = try SignedEvent(
            signing: try EventBody(
                ledger: "upgrade", stream: "t", streamSeq: pos.seq + 1, streamPrev: pos.eventHash, type: "custom.note",
                time: FormatV1.now(), actor: root.actor, key: root.keyID, data: noteData(1)),
            with: root.privateKey)
        let c = try PGConnection(conninfo: db.url)
        do {
            _ = try c.query("SELECT * FROM sealbook.append_event(\(forged.bodyBytes), \(secureRandomBytes(64)))")
            Issue.record("a forged signature was appended after the upgrade")
        } catch {
            #expect(error.sqlState == "SB033", "\(error)")
        }
        #expect(throws: StoreError.self) {
            try store.appendSigned(try notesAt(store, ledger: "upgrade", stream: "t", key: root, offsetMs: -900_000))
        }
        #expect(try store.head().seq == 22)
        let report = try store.verify(options: VerifyOptions(trustRoot: root.privateKey.publicKey))
        #expect(report.isValid && report.entries == 22, "\(report.failures)")
    }

    @Test("without the extension init fails, says how to install it and changes nothing; --no-signature-extension is explicit, recorded and visible")
    func fallbackIsExplicit() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let store = try LedgerStore(conninfo: db.url)
        // A server without the extension (a name it does not have).
        if case .signatureCheckUnavailable(let m)? = storeError({
            try store.migrate(signatureCheck: .extension, extensionName: "sealbook_ed25519_absent")
        }) {
            #expect(m.contains("does not have the sealbook_ed25519_absent extension"), "\(m)")
            #expect(m.contains("make -C extension/sealbook_ed25519") && m.contains("postgresql-server-dev-15"), "\(m)")
            #expect(m.contains("--no-signature-extension") && m.contains("nothing was changed"), "\(m)")
        } else {
            Issue.record("migrate without the extension did not fail as signatureCheckUnavailable")
        }
        #expect(try store.schemaVersions() == [])
        #expect(try store.signatureCheck() == nil)

        // The explicit fallback: created, recorded, and it checks no signature.
        let root = KeyFile(actor: "root@fingood", privateKey: Ed25519.PrivateKey())
        guard case .created = try store.initialize(ledger: "fallback", root: root, signatureCheck: .none) else {
            Issue.record("init --no-signature-extension did not create the ledger")
            return
        }
        #expect(try store.signatureCheck()?.mode == SignatureCheck.none)
        let unsigned = try notesAt(store, ledger: "fallback", stream: "f", key: root)
        let c = try PGConnection(conninfo: db.url)
        _ = try c.query("SELECT * FROM sealbook.append_event(\(unsigned[0].bodyBytes), \(secureRandomBytes(64)))")
        #expect(try store.head().seq == 2, "the fallback appended an event whose signature does not verify, as documented")
        // Claimed times are checked in both modes.
        #expect(throws: StoreError.self) { try store.appendSigned(try notesAt(store, ledger: "fallback", stream: "f", key: root, offsetMs: 900_000)) }

        // init without the flag on a server that has the extension moves the ledger to it.
        #expect(try store.initialize(ledger: "fallback", root: root) == .alreadyInitialized(head: 2))
        #expect(try store.signatureCheck()?.mode == .extension)
        let history = try db.superuserQuery("SELECT string_agg(value, ',' ORDER BY id) FROM sealbook.settings WHERE name = 'signature_check'")
        #expect(history == ["none,extension"])
        let next = try notesAt(store, ledger: "fallback", stream: "f", key: root)
        do {
            _ = try c.query("SELECT * FROM sealbook.append_event(\(next[0].bodyBytes), \(secureRandomBytes(64)))")
            Issue.record("appended a forged signature after init moved the ledger to the extension")
        } catch {
            #expect(error.sqlState == "SB033", "\(error)")
        }
        #expect(try store.appendSigned(next).count == 1)
        // A second init with the same choice records nothing new.
        _ = try store.initialize(ledger: "fallback", root: root)
        #expect(try db.superuserQuery("SELECT count(*) FROM sealbook.settings") == ["2"])
    }

    @Test("schema version 3 applied by hand, without init, fails closed (SB034)")
    func unconfiguredFailsClosed() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        try applyMigrations(db, upTo: 3)
        let store = try LedgerStore(conninfo: db.url)
        let root = KeyFile(actor: "root@fingood", privateKey: Ed25519.PrivateKey())
        let g = try genesis("manual", root: root)
        if case .signatureCheckUnavailable(let m)? = storeError({ _ = try store.appendSigned([g]) }) {
            #expect(m.contains("run sealbook init"), "\(m)")
        } else {
            Issue.record("appended, or failed otherwise, with the signature check unconfigured")
        }
        #expect(try store.head().seq == 0)
        #expect(try store.signatureCheck() == nil)
    }

    @Test("the CLI: init --max-clock-skew and --no-signature-extension, and head shows the signature check")
    func cli() throws {
        let db = try TestDatabase.create()
        let dir = try TempDir()
        defer {
            db.drop()
            dir.cleanup()
        }
        let key = dir.file("root.key")
        #expect(try runSealbook(["keys", "generate", "--actor", "root@cli", "--out", key]).status == 0)
        let url = ["--database-url", db.url]
        let zero = try runSealbook(["init", "--ledger", "cli", "--root-key", key, "--max-clock-skew", "0"] + url)
        #expect(zero.status == 64, "\(zero.stderr)")
        let made = try runSealbook(
            ["init", "--ledger", "cli", "--root-key", key, "--max-clock-skew", "900", "--no-signature-extension", "--json"] + url)
        #expect(made.status == 0, "\(made.stderr)")
        let j = try JSONParser.parse(made.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(j["signatureCheck"]?.stringValue == "none" && j["maxClockSkewSeconds"]?.int64Value == 900, "\(made.stdout)")
        let head = try runSealbook(["head", "--json"] + url)
        #expect(try JSONParser.parse(head.stdout.trimmingCharacters(in: .whitespacesAndNewlines))["signatureCheck"]?.stringValue == "none")
        let text = try runSealbook(["head"] + url)
        #expect(text.stdout.contains("signatureCheck none"), "\(text.stdout)")
        let again = try runSealbook(["init", "--ledger", "cli", "--root-key", key, "--json"] + url)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try JSONParser.parse(again.stdout.trimmingCharacters(in: .whitespacesAndNewlines))["signatureCheck"]?.stringValue == "extension")
        let head2 = try runSealbook(["head"] + url)
        #expect(head2.stdout.contains("signatureCheck extension"), "\(head2.stdout)")
        let other = try runSealbook(["init", "--ledger", "cli", "--root-key", key, "--max-clock-skew", "60"] + url)
        #expect(other.status == 76, "\(other.stderr)")
        #expect(try runSealbook(["append", "--stream", "s", "--type", "custom.note", "--data", "{}", "--key", key] + url).status == 0)
    }
}

/// One custom.note of `key` at the end of `stream`, signed at `now + offsetMs` (no append).
private func notesAt(_ store: LedgerStore, ledger: String, stream: String, key: KeyFile, offsetMs: Int64 = 0) throws -> [SignedEvent] {
    let pos = try store.streamPosition(stream)
    return [
        try SignedEvent(
            signing: try EventBody(
                ledger: ledger, stream: stream, streamSeq: pos.seq + 1, streamPrev: pos.eventHash, type: "custom.note",
                time: time(offsetMs), actor: key.actor, key: key.keyID, data: JSONObject()),
            with: key.privateKey)
    ]
}
