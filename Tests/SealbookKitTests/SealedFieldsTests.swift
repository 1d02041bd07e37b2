// Sealed fields and erasure by crypto-shredding (docs/FORMAT.md §13), against a real PostgreSQL:
// the signed rows hold only ciphertext, verified reads and reports open it, a privacy officer's
// data.erased deletes the key in the database's own transaction, and afterwards the text is
// unrecoverable while the log still verifies. The raw bytes of the server's files are searched.

import Foundation
import SealbookCore
import SealbookKit
import SealbookPostgres
import SealbookReports
import SealbookRunbook
import SealbookTestSupport
import Testing

struct ErasureFixture {
    let g: GateFixture
    let officer = KeyFile(actor: "privacy-officer@fingood", privateKey: Ed25519.PrivateKey())
    /// The personal data written into the session: a denial's reason.
    let secret = "Denied after a call with Johanna Q. Public-\(Hex.encode(secureRandomBytes(4)))"

    init() throws {
        g = try GateFixture()
        try g.t.enroll(officer, roles: ["privacy-officer"])
        let view = try g.ledger.openSession(g.session)
        try g.ledger.record(.approvalDenied(scope: "migration", reason: secret), in: view, key: g.bob)
    }

    var db: TestDatabase { g.t.db }

    /// The denial as a verified read sees it.
    func deniedReason() throws -> String? {
        let log = try g.ledger.read(ReadOptions(trustRoot: g.t.root.privateKey.publicKey))
        #expect(log.isVerified)
        return log.events.last { $0.type == "approval.denied" }?.data["reason"]?.stringValue
    }

    /// The session report in Markdown.
    func report() throws -> String {
        let snapshot = try Ledger.reportSnapshot(.database, store: g.t.store, trustRoot: g.t.root.privateKey.publicKey, allowUnverified: false)
        return String(decoding: try ReportRenderer().render(try Report.session(g.session, snapshot: snapshot), as: .md), as: UTF8.self)
    }

    /// The data key of the session, read as superuser (hex).
    func keyHex() throws -> String? {
        try db.superuserQuery("SELECT encode(data_key, 'hex') FROM sealbook.data_keys WHERE stream = '\(g.stream)'").first ?? nil
    }

    /// Every file under `dir` of the server's data directory that holds `needle`.
    func filesHolding(_ needle: [UInt8], under dir: String) throws -> [String] {
        try db.superuserExecute("CHECKPOINT")
        let dataDirectory = try #require(try db.superuserQuery("SHOW data_directory").first ?? nil)
        let root = dataDirectory + "/" + dir
        var hits: [String] = []
        let files = FileManager.default.enumerator(atPath: root)
        while let f = files?.nextObject() as? String {
            guard let bytes = FileManager.default.contents(atPath: root + "/" + f), bytes.count >= needle.count else { continue }
            if Data(bytes).range(of: Data(needle)) != nil { hits.append(dir + "/" + f) }
        }
        return hits
    }
}

@Suite("Sealed fields and erasure (crypto-shredding), against PostgreSQL")
struct SealedFieldsTests {
    @Test("the stored rows hold only ciphertext; a verified read and the session report show the text")
    func sealedAtRest() throws {
        let f = try ErasureFixture()
        defer { f.db.drop() }
        let stored = try #require(try f.db.superuserQuery(
            "SELECT body_json->'data'->'reason' FROM sealbook.events WHERE type = 'approval.denied'").first ?? nil)
        let reason = try JSONParser.parse(stored)
        let sealed = try #require(SealedValue(reason))
        #expect(try f.db.superuserQuery(
            "SELECT count(*) FROM sealbook.events WHERE position(convert_to('Johanna', 'UTF8') in body) > 0 OR body_json::text LIKE '%Johanna%'"
        ).first == "0")
        // The key the value names is the session's, and the only one of the stream.
        let keys = try f.g.t.store.dataKeys(stream: f.g.stream)
        #expect(keys.map(\.id) == [sealed.dataKey])
        #expect(try f.deniedReason() == f.secret)
        #expect(try f.report().contains(f.secret))
        // Nothing sealed where the catalog marks nothing: the scope stays plain.
        #expect(try f.db.superuserQuery(
            "SELECT body_json->'data'->>'scope' FROM sealbook.events WHERE type = 'approval.denied'").first == "migration")
    }

    @Test("erasure: data.erased by a privacy officer deletes the key; reports say [erased at seq N]; the log still verifies; no byte of the key or the text is left in the database's files")
    func erase() throws {
        let f = try ErasureFixture()
        defer { f.db.drop() }
        let keyHex = try #require(try f.keyHex())
        let key = try #require(Hex.decode(keyHex))
        // The search finds what is there: the key is in the table's files before the erasure.
        #expect(!(try f.filesHolding(key, under: "base")).isEmpty)
        let dataKey = try #require(try f.g.t.store.dataKeys(stream: f.g.stream).first?.id)
        let r = try f.g.ledger.erase(dataKey: dataKey, reason: "Erasure request DSR-2026-0001", signer: f.officer)
        #expect(r.stream == f.g.stream && r.compacted)
        #expect(try f.g.t.store.dataKeys().isEmpty)
        #expect(try f.g.t.store.erasures() == [dataKey: r.append.seq])
        // The log, every signature and chain link, still verifies; the text reads as erased.
        #expect(try f.g.t.verify().isValid)
        #expect(try f.deniedReason() == "[erased at seq \(r.append.seq)]")
        let report = try f.report()
        #expect(report.contains("erased at seq \(r.append.seq)") && !report.contains("Johanna"))
        // Gone from the files of every database of the server; the text was never in them, nor in the WAL.
        #expect(try f.filesHolding(key, under: "base") == [])
        #expect(try f.filesHolding(Array("Johanna Q. Public".utf8), under: "base") == [])
        #expect(try f.filesHolding(Array("Johanna Q. Public".utf8), under: "pg_wal") == [])
        // A second erasure of the same key, or of a key never stored, is refused before signing.
        #expect(throws: LedgerError.self) { try f.g.ledger.erase(dataKey: dataKey, reason: "again", signer: f.officer) }
        #expect(throws: LedgerError.self) {
            try f.g.ledger.erase(dataKey: DataKey.generate().id, reason: "unknown", signer: f.officer)
        }
        // The session's next sealed text gets a new key.
        let view = try f.g.ledger.openSession(f.g.session)
        try f.g.ledger.record(.approvalDenied(scope: "migration", reason: "second thoughts"), in: view, key: f.g.bob)
        #expect(try f.g.t.store.dataKeys(stream: f.g.stream).count == 1)
        #expect(try f.deniedReason() == "second thoughts")
    }

    @Test("the database refuses: data.erased without the privacy-officer role, outside stream privacy, for an unknown key; a DELETE, UPDATE or TRUNCATE of a key with no erasure")
    func databaseRefuses() throws {
        let f = try ErasureFixture()
        defer { f.db.drop() }
        let store = f.g.t.store
        let dataKey = try #require(try store.dataKeys(stream: f.g.stream).first?.id)
        let head = try store.head().seq
        func erased(_ stream: String, key: String, signer: KeyFile) -> JSONObject {
            JSONObject([(key: "dataKey", value: .string(key)), (key: "stream", value: .string(f.g.stream)), (key: "reason", value: "x")])
        }
        // Through the store (no catalog check): the database itself refuses.
        #expect {
            try store.append(.init(stream: "privacy", type: "data.erased", data: erased("privacy", key: dataKey, signer: f.g.bob)), key: f.g.bob)
        } throws: { e in
            guard case StoreError.keyRefused(let m) = e else { return false }
            return m.contains("privacy-officer")
        }
        #expect {
            try store.append(.init(stream: "other", type: "data.erased", data: erased("other", key: dataKey, signer: f.officer)), key: f.officer)
        } throws: { e in
            guard case StoreError.invalidEvent(let m) = e else { return false }
            return m.contains("privacy")
        }
        #expect {
            try store.append(.init(stream: "privacy", type: "custom.note", data: JSONObject()), key: f.officer)
        } throws: { e in
            if case StoreError.invalidEvent = e { return true }
            return false
        }
        #expect {
            try store.append(
                .init(stream: "privacy", type: "data.erased", data: erased("privacy", key: DataKey.generate().id, signer: f.officer)),
                key: f.officer)
        } throws: { e in
            guard case StoreError.invalidEvent(let m) = e else { return false }
            return m.contains("not in sealbook.data_keys")
        }
        #expect(try store.head().seq == head)
        // Even the superuser cannot take a key out, or change it, without an erasure in the log.
        for sql in [
            "DELETE FROM sealbook.data_keys", "UPDATE sealbook.data_keys SET stream = 'x'", "TRUNCATE sealbook.data_keys",
            "UPDATE sealbook.data_keys SET data_key = '\\x00'::bytea",
        ] {
            #expect(throws: (any Error).self, "\(sql)") { try f.db.superuserExecute(sql) }
        }
        // A key row must be what its id commits to, and the writer adds keys only through the function.
        let other = DataKey.generate()
        #expect(throws: (any Error).self) {
            try f.db.superuserExecute(
                "INSERT INTO sealbook.data_keys (key_id, stream, data_key) VALUES ('\(other.id)', 's', '\\x\(Hex.encode(DataKey.generate().bytes))')")
        }
        #expect(try store.dataKeys().count == 1)
    }

    @Test("a retry with the same idempotency key seals to the same bytes: a duplicate, not a conflict")
    func idempotentRetry() throws {
        let f = try ErasureFixture()
        defer { f.db.drop() }
        let view = try f.g.ledger.openSession(f.g.session)
        let data = JSONObject([(key: "scope", value: "migration"), (key: "reason", value: "same text, twice")])
        let first = try f.g.ledger.append(.init(stream: view.stream, type: "approval.denied", data: data, idem: "retry-1"), key: f.g.bob)
        let again = try f.g.ledger.append(.init(stream: view.stream, type: "approval.denied", data: data, idem: "retry-1"), key: f.g.bob)
        #expect(!first.duplicate && again.duplicate && again.seq == first.seq)
        var other = data
        other.members[1].value = "another text"
        #expect(throws: StoreError.self) {
            try f.g.ledger.append(.init(stream: view.stream, type: "approval.denied", data: other, idem: "retry-1"), key: f.g.bob)
        }
    }
}
