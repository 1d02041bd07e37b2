import Foundation
import SealbookCore
import SealbookKit
import SealbookPostgres
import SealbookReports
import SealbookRunbook
import SealbookTestSupport
import Testing

/// A production session whose gate is open: every critical item passed and an approval by an
/// approver who executes nothing. Keys: alice (operator, the executor), bob (approver),
/// carol (operator).
struct GateFixture {
    let t: TestLedger
    let ledger: Ledger
    let bob = KeyFile(actor: "bob@fingood", privateKey: Ed25519.PrivateKey())
    let carol = KeyFile(actor: "carol@fingood", privateKey: Ed25519.PrivateKey())
    let session: String

    init(approve: Bool = true) throws {
        t = try TestLedger()
        try t.enroll(bob, roles: ["approver"])
        try t.enroll(carol, roles: ["operator"])
        ledger = Ledger(store: t.store, trustRoot: t.root.privateKey.publicKey)
        let rb = Runbook.builtIn
        session = try ledger.openSession(
            runbook: rb, migrationID: "0002_add_fee_index", environment: .production, from: "a1", to: "b2", changeTicket: nil,
            description: nil, key: t.operatorKey
        ).id
        var view = try ledger.openSession(session)
        for item in rb.criticalItems {
            // An item with a threshold passes only with a measured value that meets it.
            let value = item.threshold.map { t in
                switch t.op {
                case .lessThan: "0"
                case .greaterThan: t.value + "1"
                default: t.value
                }
            }
            _ = try ledger.recordCheck(
                item: item.id, status: .pass, value: value, unit: nil, evidence: nil, in: view, runbook: rb, key: t.operatorKey)
        }
        if approve {
            view = try ledger.openSession(session)
            try ledger.record(
                .approvalGranted(scope: "migration", migrationID: "0002_add_fee_index", revision: "b2", comment: nil), in: view,
                key: bob)
        }
    }

    var stream: String { StreamID.session(session) }

    func gate() throws -> GateDecision {
        let v = try ledger.session(session)
        return v.gate(executor: t.operatorKey.actor, runbook: Runbook.builtIn)
    }
}

@Suite("The verified path: decisions rest only on verified events")
struct VerifiedPathTests {
    @Test("an open gate, from verified events")
    func gateOpens() throws {
        let f = try GateFixture()
        defer { f.t.db.drop() }
        #expect(try f.gate().isOpen)
        #expect(!(try GateFixture(approve: false).gate().isOpen))
    }

    @Test("an approval.granted signed by an operator key (accepted by the database, whose rules know no event roles) does not open the gate")
    func operatorApprovalDoesNotCount() throws {
        let f = try GateFixture(approve: false)
        defer { f.t.db.drop() }
        // Straight to the store: no catalog check, as a writer calling the SQL function would.
        let data = RunbookEvent.approvalGranted(scope: "migration", migrationID: nil, revision: nil, comment: nil)
        _ = try f.t.store.append(.init(stream: f.stream, type: data.type, data: data.data), key: f.carol)
        let v = try f.ledger.session(f.session)
        #expect(v.state.approvals.count == 1)
        let gate = v.gate(executor: f.t.operatorKey.actor, runbook: Runbook.builtIn)
        #expect(!gate.isOpen)
        #expect(gate.missing.contains { $0.contains("approval.granted") })
        // Through the application's append, the catalog refuses it outright.
        #expect(throws: LedgerError.self) {
            try f.ledger.record(data, in: v, key: f.carol)
        }
    }

    @Test("an approval moved into the session by editing its stream column: the log does not verify and nothing is decided")
    func movedApprovalRefused() throws {
        let f = try GateFixture(approve: false)
        defer { f.t.db.drop() }
        // bob approves another session; a superuser moves that row into this one.
        let other = try f.ledger.openSession(
            runbook: Runbook.builtIn, migrationID: "other", environment: .staging, from: nil, to: "x", changeTicket: nil,
            description: nil, key: f.t.operatorKey
        ).id
        let approval = try f.ledger.record(
            .approvalGranted(scope: "migration", migrationID: nil, revision: nil, comment: nil),
            in: try f.ledger.openSession(other), key: f.bob)
        let position = try f.t.store.streamPosition(f.stream).seq + 1
        try f.t.tamper(
            "UPDATE sealbook.events SET stream = '\(f.stream)', stream_seq = \(position) WHERE seq = \(approval.seq)")
        #expect {
            try f.gate()
        } throws: { e in
            guard case LedgerError.unverified(let r) = e else { return false }
            return r.failures.first?.seq == approval.seq && r.failures.first?.reason == .storedColumnMismatch
        }
        let exec = CommandExecution(ledger: f.ledger, key: f.t.operatorKey)
        let before = try f.t.store.head()
        #expect(throws: LedgerError.self) {
            _ = try exec.run(
                .init(session: f.session, argv: ["true"], cwd: "/", environment: [:]), stdout: FileHandle.nullDevice,
                stderr: FileHandle.nullDevice)
        }
        #expect(try f.t.store.head() == before, "nothing was recorded")
    }

    @Test("a forged approval (random signature) inserted past the append path: the gate refuses to decide")
    func forgedApprovalRefused() throws {
        let f = try GateFixture(approve: false)
        defer { f.t.db.drop() }
        let e = try f.t.sign(
            stream: f.stream, type: "approval.granted",
            data: RunbookEvent.approvalGranted(scope: "migration", migrationID: nil, revision: nil, comment: nil).data, key: f.bob)
        let forged = SignedEvent(body: e.body, bodyBytes: e.bodyBytes, signature: secureRandomBytes(64))
        try f.t.insertBypassingChecks(forged)
        #expect {
            try f.gate()
        } throws: { e in
            guard case LedgerError.unverified(let r) = e else { return false }
            return r.failures.first?.reason == .badSignature
        }
        // A report may still be rendered when asked, without the forged event, and names it.
        let snapshot = try Ledger.reportSnapshot(
            .database, store: f.t.store, trustRoot: f.t.root.privateKey.publicKey, allowUnverified: true)
        #expect(!snapshot.verification.verified)
        #expect(snapshot.verification.failures.contains { $0.contains("bad-signature") && $0.contains(f.stream) })
        let report = try Report.session(f.session, snapshot: snapshot)
        let json = try JSONParser.parse(report.canonicalJSON())
        let approvals = json["session"]?["controls"]?.arrayValue?.first { $0["id"] == "sox.change.approval" }
        #expect(approvals?["status"]?.stringValue != "pass", "the forged approval must not count")
    }
}

@Suite("verify checks every stored column, the head row and the key table")
struct StoredColumnTests {
    /// Three notes in stream s (seq 3, 4, 5) and two in t (seq 6, 7); seq 4 has an idem.
    static func ledger() throws -> TestLedger {
        let l = try TestLedger()
        try l.note("s", 1)
        _ = try l.store.append(.init(stream: "s", type: "custom.note", data: JSONObject([(key: "n", value: 2)]), idem: "k2"), key: l.operatorKey)
        try l.note("s", 3)
        try l.note("t", 1)
        try l.note("t", 2)
        #expect(try l.verify().isValid)
        return l
    }

    static let edits: [(column: String, sql: String)] = [
        ("stream", "UPDATE sealbook.events SET stream = 'u' WHERE seq = 4"),
        ("stream_seq", "UPDATE sealbook.events SET stream_seq = 9 WHERE seq = 4"),
        ("type", "UPDATE sealbook.events SET type = 'custom.other' WHERE seq = 4"),
        ("actor", "UPDATE sealbook.events SET actor = 'mallory@fingood' WHERE seq = 4"),
        ("key_id", "UPDATE sealbook.events SET key_id = 'ed25519:0000000000000000' WHERE seq = 4"),
        ("idem", "UPDATE sealbook.events SET idem = 'other' WHERE seq = 4"),
        ("idem", "UPDATE sealbook.events SET idem = NULL WHERE seq = 4"),
        ("claimed_time", "UPDATE sealbook.events SET claimed_time = claimed_time - interval '1 hour' WHERE seq = 4"),
        ("body_json", "UPDATE sealbook.events SET body_json = jsonb_set(body_json, '{data,n}', '7') WHERE seq = 4"),
        ("body_json", "UPDATE sealbook.events SET body_json = body_json - 'idem' WHERE seq = 4"),
    ]

    @Test("a stored column that says something else than the signed body: exit 1 at that seq, naming the column", arguments: edits)
    func column(_ edit: (column: String, sql: String)) throws {
        let l = try Self.ledger()
        defer { l.db.drop() }
        try l.tamper(edit.sql)
        let r = try l.verify()
        let f = try #require(r.failures.first)
        #expect(f.seq == 4 && f.reason == .storedColumnMismatch)
        #expect(f.detail.hasPrefix("column \(edit.column) "), "\(f.detail)")
        #expect(r.failureCount == 1, "one edited row is one failure: \(r.failures)")
    }

    @Test("the head row moved back, or left behind after the tail was cut: head-mismatch")
    func headRow() throws {
        let l = try Self.ledger()
        defer { l.db.drop() }
        try l.db.superuserExecute(
            """
            ALTER TABLE sealbook.head DISABLE TRIGGER ALL;
            UPDATE sealbook.head SET seq = 6, chain_hash = (SELECT chain_hash FROM sealbook.events WHERE seq = 6);
            ALTER TABLE sealbook.head ENABLE TRIGGER ALL;
            """)
        var r = try l.verify()
        #expect(r.failures.map(\.reason) == [.headMismatch])
        let cut = try Self.ledger()
        defer { cut.db.drop() }
        try cut.tamper("DELETE FROM sealbook.events WHERE seq = 7")
        r = try cut.verify()
        #expect(r.failures.map(\.reason) == [.headMismatch])
        #expect(r.failures.first?.detail.contains("ends at seq 6") == true)
    }

    @Test("the key table edited (roles, actor, revocation undone, a key added by hand): key-table-mismatch")
    func keyTable() throws {
        for sql in [
            "UPDATE sealbook.keys SET roles = '{operator,admin}' WHERE actor = 'alice@fingood'",
            "UPDATE sealbook.keys SET actor = 'mallory@fingood' WHERE actor = 'alice@fingood'",
            "INSERT INTO sealbook.keys SELECT 'ed25519:00000000000000aa', public_key, 'mallory@fingood', '{admin}', 2, NULL, false FROM sealbook.keys LIMIT 1",
            "DELETE FROM sealbook.keys WHERE actor = 'alice@fingood'",
        ] {
            let l = try Self.ledger()
            defer { l.db.drop() }
            try l.db.superuserExecute(
                """
                ALTER TABLE sealbook.keys DISABLE TRIGGER ALL;
                \(sql);
                ALTER TABLE sealbook.keys ENABLE TRIGGER ALL;
                """)
            let r = try l.verify()
            #expect(r.failures.map(\.reason) == [.keyTableMismatch], "\(sql): \(r.failures)")
        }
    }
}

@Suite("--follow verifies only what was appended since")
struct FollowerTests {
    @Test("each refresh reads the new entries only; nothing new: no snapshot")
    func incremental() throws {
        let l = try TestLedger()
        defer { l.db.drop() }
        let ledger = Ledger(store: l.store, trustRoot: l.root.privateKey.publicKey)
        let follower = LogFollower(ledger: ledger, allowUnverified: false)
        var seen: [(Int64, Int64)] = []
        let first = try #require(try follower.refresh { done, total in seen.append((done, total)) })
        #expect(first.headSeq == 2 && follower.verifiedSeq == 2)
        #expect(try follower.refresh() == nil)
        try l.note("session/x.1", 1)
        try l.note("session/x.1", 2)
        seen = []
        let second = try #require(try follower.refresh { done, total in seen.append((done, total)) })
        #expect(second.headSeq == 4)
        #expect(second.sessionIDs == ["x.1"])
        // Only seq 3...4 were read: the progress starts past the first refresh.
        #expect(seen.allSatisfy { $0.0 >= 3 } && seen.last?.0 == 4)
        // An edit of an entry verified earlier is not read again, but the head row and the key
        // table are checked at every refresh.
        try l.db.superuserExecute(
            """
            ALTER TABLE sealbook.head DISABLE TRIGGER ALL;
            UPDATE sealbook.head SET seq = 3, chain_hash = (SELECT chain_hash FROM sealbook.events WHERE seq = 3);
            ALTER TABLE sealbook.head ENABLE TRIGGER ALL;
            """)
        #expect(throws: LedgerError.self) { try follower.refresh() }
    }
}
