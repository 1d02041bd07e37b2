import SealbookCore
import SealbookProjections
import SealbookReports
import Testing

@Suite("Replay: a session's state at any seq, step by step")
struct ReplayTests {
    /// A fresh projection of the whole log up to `seq`, evaluated at the time of the session's
    /// last event at or before it: what replay must show there.
    func reference(_ entries: [VerifiedEvent], stream: String, through seq: Int64) throws -> JSONValue? {
        let prefix = entries.filter { $0.seq <= seq }
        guard let last = prefix.last(where: { $0.body.stream == stream }) else { return nil }
        let events = prefix.map { VerifiedEvent(seq: $0.seq, body: $0.body, eventHash: $0.eventHash, chainHash: $0.chainHash) }
        let p = try LedgerProjection.replay(events, through: seq)
        return ReplayState.reference(p, stream: stream, asOf: last.body.time, seq: last.seq)
    }

    @Test(
        "replay at every seq equals the projection over that prefix",
        arguments: [DemoLedger.sessionA, DemoLedger.sessionB, DemoLedger.sessionC])
    func everySeq(session: String) throws {
        let snapshot = demo.snapshot()
        let replay = try SessionReplay(session: session, snapshot: snapshot)
        let stream = "session/" + session
        let first = replay.frames[0].seq
        #expect(replay.frames.map(\.seq) == demo.entries.filter { $0.body.stream == stream }.map(\.seq))
        for seq in 1...demo.head.seq {
            let expected = try reference(demo.entries, stream: stream, through: seq)
            if seq < first {
                #expect(expected == nil)
                #expect(throws: ReportError.self) { try replay.frame(atSeq: seq) }
                continue
            }
            let frame = try replay.frame(atSeq: seq)
            #expect(frame.state == expected, "\(session) at seq \(seq) differs from the projection of the prefix")
        }
    }

    @Test("each step shows what its event changed: checklist lines, the approval that opens the gate, the migration")
    func changes() throws {
        let replay = try SessionReplay(session: DemoLedger.sessionA, snapshot: demo.snapshot())
        let opened = replay.changes(at: 0)
        #expect(opened.contains { $0.kind == .added && $0.key == "session" })
        #expect(opened.contains { $0.key.hasPrefix("gate for ") && $0.after?.hasPrefix("closed") == true })
        let approval = try #require(replay.frames.firstIndex { $0.lines.contains { $0.key.hasPrefix("approval #") } })
        let c = replay.changes(at: approval)
        #expect(
            c.contains {
                $0.kind == .added && $0.key.hasPrefix("approval #") && $0.after?.contains("approver-bob@fingood") == true
            })
        #expect(c.contains { $0.kind == .changed && $0.key.hasPrefix("gate for ") && $0.after == "open" }, "\(c)")
        let applied = try #require(replay.frames.firstIndex { $0.event.body.type == "migration.applied" })
        #expect(
            replay.changes(at: applied).contains {
                $0.key == "alembic" && $0.after?.contains("current 0002_add_fee_index") == true
            })
        // A step that changes nothing in the projected state says so.
        let text = replay.text(at: replay.frames[2])
        #expect(text.contains("Timeline (through seq \(replay.frames[2].seq)):"))
        #expect(text.contains("> #\(replay.frames[2].seq)"))
    }

    @Test("--at a time picks the last event signed at or before it; before the session is an error")
    func atTime() throws {
        let replay = try SessionReplay(session: DemoLedger.sessionB, snapshot: demo.snapshot())
        let f = try replay.frame(atTime: "2026-03-02T11:34:00.500Z")
        #expect(f.event.body.type == "rollback.started")
        #expect(throws: ReportError.self) { try replay.frame(atTime: "2026-03-02T10:00:00Z") }
        #expect(throws: ReportError.self) { try replay.frame(atTime: "later") }
        #expect(throws: ReportError.self) { try SessionReplay(session: "nope", snapshot: demo.snapshot()) }
        let json = replay.json(only: f)
        #expect(json["frames"]?.arrayValue?.count == 1)
        #expect(json["timeline"]?.arrayValue?.count == f.index + 1)
        #expect(json["position"]?["seq"]?.int64Value == demo.head.seq)
    }
}
