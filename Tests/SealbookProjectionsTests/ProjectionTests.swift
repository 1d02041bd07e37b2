import SealbookCore
import SealbookProjections
import SealbookRunbook
import Testing

/// The fold: rebuild, incremental catch-up from a stored position, replay at every seq, and
/// byte-identical output for the same events and as_of.
@Suite("Projection fold, snapshots and replay")
struct ProjectionTests {
    /// A ledger with a session, an incident and a key revocation, plus an event in a stream
    /// projections ignore.
    static let ledger: [VerifiedEvent] = {
        var (events, _) = goodIncident()
        var b = LedgerBuilder()
        b.seq = events.last!.seq
        b.now = events.last!.time
        b.keyOf["root@fingood"] = LedgerBuilder.keyID("root@fingood")
        b.add("custom/notes", "custom.note", actor: "alice@fingood", ["text": "unrelated"])
        b.revoke(LedgerBuilder.keyID("dave@fingood"))
        events += b.events
        return events
    }()
    static let asOf = "2026-03-06T00:00:00.000Z"

    func bytes(_ p: LedgerProjection, _ asOf: String = ProjectionTests.asOf) -> [UInt8] {
        try! p.evaluate(asOf: asOf).canonicalJSON()
    }

    @Test("the same events and the same as_of give byte-identical JSON")
    func deterministic() throws {
        let a = try LedgerProjection(events: Self.ledger)
        let b = try LedgerProjection(events: Self.ledger)
        #expect(bytes(a) == bytes(b))
        #expect(bytes(a) == bytes(a))
        let text = String(decoding: bytes(a), as: UTF8.self)
        // Canonical JSON (RFC 8785): parsing and re-canonicalizing gives the same bytes.
        #expect(try JCS.canonicalize(JSONParser.parse(bytes(a))) == bytes(a))
        #expect(text.contains("\"lastSeq\":\(Self.ledger.last!.seq)"))
        #expect(text.contains(Self.ledger.last!.chainHash.hex))
        #expect(text.contains(ControlCatalog.builtIn.sha256))
        // A different as_of is a different report.
        #expect(bytes(a, "2026-03-02T10:31:00.000Z") != bytes(a))
    }

    @Test("as_of with an offset is the same instant as its UTC form")
    func asOfOffset() throws {
        let p = try LedgerProjection(events: Self.ledger)
        #expect(bytes(p, "2026-03-06T02:00:00+02:00") == bytes(p))
        #expect(throws: ProjectionError.invalidAsOf("yesterday")) { try p.evaluate(asOf: "yesterday") }
    }

    @Test("incremental catch-up from a snapshot at every position equals the rebuild")
    func catchUp() throws {
        let full = try LedgerProjection(events: Self.ledger)
        let fullSnapshot = full.snapshot()
        let fullReport = bytes(full)
        for k in 0...Self.ledger.count {
            let stored = try LedgerProjection(events: Self.ledger.prefix(k))
            var resumed = try LedgerProjection(snapshot: stored.snapshot())
            #expect(resumed.lastSeq == stored.lastSeq)
            for e in Self.ledger.dropFirst(k) { try resumed.apply(e) }
            #expect(resumed.snapshot() == fullSnapshot, "snapshot after resuming at \(k)")
            #expect(bytes(resumed) == fullReport, "report after resuming at \(k)")
        }
    }

    @Test("replay: the running fold at every seq equals a fresh projection over that prefix")
    func replayEverySeq() throws {
        var running = LedgerProjection()
        for (i, e) in Self.ledger.enumerated() {
            try running.apply(e)
            let prefix = try LedgerProjection(events: Self.ledger.prefix(i + 1))
            let asOf = e.body.time
            #expect(bytes(running, asOf) == bytes(prefix, asOf), "at seq \(e.seq)")
            let replayed = try LedgerProjection.replay(Self.ledger, through: e.seq)
            #expect(replayed.snapshot() == running.snapshot())
            #expect(running.lastSeq == e.seq && running.lastChainHash == e.chainHash)
        }
    }

    @Test("events must come in increasing seq order")
    func order() throws {
        var p = try LedgerProjection(events: Self.ledger.prefix(3))
        #expect(throws: ProjectionError.outOfOrder(seq: 3, after: 3)) { try p.apply(Self.ledger[2]) }
        #expect(throws: ProjectionError.outOfOrder(seq: 1, after: 3)) { try p.apply(Self.ledger[0]) }
        // Gaps are allowed (a reader may skip streams).
        try p.apply(Self.ledger[10])
        #expect(p.lastSeq == 11 && p.eventCount == 4)
    }

    @Test("the fold keeps sessions, incidents and keys; other streams count in the position only")
    func whatIsKept() throws {
        let p = try LedgerProjection(events: Self.ledger)
        #expect(p.sessionStreams == ["session/m1.0001"])
        #expect(p.incidentIDs == ["INC-1"])
        #expect(p.eventCount == Int64(Self.ledger.count))
        #expect(p.keys[LedgerBuilder.keyID("dave@fingood")]?.revokedAt == Self.ledger.last!.seq)
        #expect(p.keys[LedgerBuilder.keyID("bob@fingood")]?.held(.approver, at: 100) == true)
        #expect(p.keys[LedgerBuilder.keyID("bob@fingood")]?.held(.approver, at: 1) == false)
        #expect(p.keys[LedgerBuilder.keyID("alice@fingood")]?.held(.approver, at: 100) == false)
        let snapshot = String(decoding: p.snapshot(), as: UTF8.self)
        #expect(!snapshot.contains("custom.note"))
        #expect(p.sessionEvents("session/m1.0001").allSatisfy { $0.body.stream == "session/m1.0001" })
    }

    @Test("a snapshot that is not one is refused")
    func badSnapshot() {
        #expect(throws: ProjectionError.self) { try LedgerProjection(snapshot: Array("{}".utf8)) }
        #expect(throws: ProjectionError.self) { try LedgerProjection(snapshot: Array("not json".utf8)) }
        let p = try! LedgerProjection(events: Self.ledger.prefix(5))
        var text = String(decoding: p.snapshot(), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"lastSeq\":5", with: "\"lastSeq\":2")
        #expect(throws: ProjectionError.self) { try LedgerProjection(snapshot: Array(text.utf8)) }
    }

    @Test("many sessions and incidents (evaluated on all cores) each get the report they get alone, in order")
    func manySubjects() throws {
        var b = LedgerBuilder()
        b.standardKeys()
        let keyEvents = b.events
        var subjects: [(session: String, incident: String?)] = []
        for n in 1...40 {
            var s = SessionScript(b, id: "m1." + String(repeating: "0", count: 4 - String(n).count) + String(n))
            s.open()
            s.prepare(approve: n % 3 != 0)
            s.upgrade()
            if n % 4 == 0 { s.validation("immediate", "validate-data", "fail") } else { s.validation("immediate", "validate-data") }
            if n % 5 != 0 { s.add("session.closed", ["outcome": n % 4 == 0 ? "rolled-back" : "success"]) }
            b = s.b
            var incident: String?
            if n % 4 == 0 {
                var i = IncidentScript(b, id: "INC-\(n)")
                i.open(level: 2, session: s.stream)
                i.action("immediate", afterMs: minute)
                b = i.b
                incident = i.stream
            }
            subjects.append((s.stream, incident))
        }
        let asOf = b.now.adding(milliseconds: hour)
        let report = try LedgerProjection(events: b.events).evaluate(at: asOf)
        #expect(report.sessions.map(\.stream) == subjects.map(\.session).sorted())
        #expect(report.incidents.map(\.incidentID) == subjects.compactMap(\.incident).map { String($0.dropFirst("incident/".count)) }.sorted())
        for (session, incident) in subjects {
            let own = b.events.filter { $0.body.stream == session || $0.body.stream == incident }
            let alone = try LedgerProjection(events: keyEvents + own).evaluate(at: asOf)
            #expect(report.sessions.filter { $0.stream == session } == alone.sessions, "\(session)")
            if let incident {
                let id = String(incident.dropFirst("incident/".count))
                #expect(report.incidents.filter { $0.incidentID == id } == alone.incidents, "\(incident)")
            }
        }
    }
}
