import SealbookCore
import SealbookProjections
import SealbookReports
import SealbookRunbook
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

    /// Walks every frame of `session` and checks each against a fresh projection of the log up
    /// to its event: the state, its lines, what the step says changed, the JSON patch from the
    /// previous frame, and what the step-by-step walk keeps. Returns the number of frames.
    @discardableResult
    func checkEveryFrame(_ entries: [VerifiedEvent], snapshot: LedgerSnapshot, session: String) throws -> Int {
        let replay = try SessionReplay(session: session, snapshot: snapshot)
        let stream = "session/" + session
        #expect(replay.events.map(\.seq) == entries.filter { $0.body.stream == stream }.map(\.seq))
        var cursor = replay.cursor()
        let navigator = ReplayNavigator(replay)
        var previousLines: [ReplayLine] = []
        var patched: JSONValue = .null
        while cursor.advance() {
            let f = cursor.frame()
            let expected = try #require(try reference(entries, stream: stream, through: f.seq))
            #expect(f.state == expected, "\(session) at seq \(f.seq) differs from the projection of the prefix")
            let lines = ReplayState.referenceLines(expected)
            #expect(f.lines.map(\.key) == lines.map(\.key) && f.lines.map(\.value) == lines.map(\.value), "lines at seq \(f.seq)")
            let changes = ReplayChange.between(previousLines, lines)
            #expect(f.changes == changes, "changes at seq \(f.seq)")
            // The JSON patch turns the previous frame's state into this one's.
            patched = f.index == 0 ? f.state : try JSONPatch.apply(cursor.patch, to: patched)
            #expect(patched == expected, "the patch of seq \(f.seq) does not give its state: \(cursor.patch)")
            // The step-by-step walk shows the same lines and changes.
            #expect(navigator.changes(at: f.index) == changes)
            let shown = navigator.lines(at: f.index)
            #expect(shown.map(\.key) == lines.map(\.key) && shown.map(\.value) == lines.map(\.value))
            #expect(navigator.lineCount(at: f.index) == lines.count)
            if f.state != expected || f.changes != changes { return f.index }
            previousLines = lines
        }
        #expect(cursor.index == replay.count - 1)
        return replay.count
    }

    @Test(
        "replay at every seq equals the projection over that prefix",
        arguments: [DemoLedger.sessionA, DemoLedger.sessionB, DemoLedger.sessionC])
    func everySeq(session: String) throws {
        let snapshot = demo.snapshot()
        try checkEveryFrame(demo.entries, snapshot: snapshot, session: session)
        let replay = try SessionReplay(session: session, snapshot: snapshot)
        let stream = "session/" + session
        let first = replay.events[0].seq
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

    @Test(
        "long random sessions: every frame equals a fresh projection of its prefix, and the patches rebuild every state",
        arguments: [11, 12, 13] as [UInt64])
    func randomSessions(seed: UInt64) throws {
        let l = RandomReplayLedger(seed: seed, steps: 240)
        let frames = try checkEveryFrame(l.entries, snapshot: l.snapshot(), session: RandomReplayLedger.session)
        #expect(frames > 150)
    }

    @Test("the streamed JSON is the canonical JSON of every frame; --at JSON carries the whole state")
    func json() throws {
        for session in [DemoLedger.sessionA, DemoLedger.sessionB] {
            let replay = try SessionReplay(session: session, snapshot: demo.snapshot())
            let whole = replay.json()
            var streamed: [UInt8] = []
            replay.writeJSON(chunk: 64) { streamed += $0 }
            #expect(streamed == (try JCS.canonicalize(whole)))
            let frames = try #require(whole["frames"]?.arrayValue)
            #expect(whole["format"] == "sealbook.replay/2" && frames.count == replay.count)
            #expect(frames[0]["state"] != nil && frames[0]["patch"] == nil)
            #expect(frames.dropFirst().allSatisfy { $0["patch"] != nil && $0["state"] == nil })
            // Applying every patch gives the last frame's state.
            var state = try #require(frames[0]["state"])
            for f in frames.dropFirst() { state = try JSONPatch.apply(try #require(f["patch"]?.arrayValue), to: state) }
            #expect(state == replay.frame(replay.count - 1).state)
            let at = replay.json(only: replay.frame(3))
            #expect(at["frames"]?.arrayValue?.first?["state"] == replay.frame(3).state)
        }
    }

    @Test("each step shows what its event changed: checklist lines, the approval that opens the gate, the migration")
    func changes() throws {
        let replay = try SessionReplay(session: DemoLedger.sessionA, snapshot: demo.snapshot())
        let frames = (0..<replay.count).map { replay.frame($0) }
        let opened = frames[0].changes
        #expect(opened.contains { $0.kind == .added && $0.key == "session" })
        #expect(opened.contains { $0.key.hasPrefix("gate for ") && $0.after?.hasPrefix("closed") == true })
        let approval = try #require(frames.firstIndex { $0.lines.contains { $0.key.hasPrefix("approval #") } })
        let c = frames[approval].changes
        #expect(
            c.contains {
                $0.kind == .added && $0.key.hasPrefix("approval #") && $0.after?.contains("approver-bob@fingood") == true
            })
        #expect(c.contains { $0.kind == .changed && $0.key.hasPrefix("gate for ") && $0.after == "open" }, "\(c)")
        let applied = try #require(frames.firstIndex { $0.event.body.type == "migration.applied" })
        #expect(
            frames[applied].changes.contains {
                $0.key == "alembic" && $0.after?.contains("current 0002_add_fee_index") == true
            })
        // A step that changes nothing in the projected state says so.
        let text = replay.text(at: frames[2])
        #expect(text.contains("Timeline (through seq \(frames[2].seq)):"))
        #expect(text.contains("> #\(frames[2].seq)"))
    }

    @Test("--step screens: the heading, the event, its changes and the state cut to the terminal")
    func screens() throws {
        let replay = try SessionReplay(session: DemoLedger.sessionA, snapshot: demo.snapshot())
        let nav = ReplayNavigator(replay)
        let last = replay.count - 1
        let big = nav.screen(last, rows: 500, cols: 200)
        #expect(big.contains("event \(replay.count) of \(replay.count)") && big.contains("State after seq \(replay.events[last].seq):"))
        for l in replay.frame(last).lines { #expect(big.contains("  \(l.key): \(l.value)")) }
        let small = nav.screen(2, rows: 12, cols: 40)
        let rows = small.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(rows.count == 12 && small.contains("more lines; see replay --at \(replay.events[2].seq))"))
        #expect(rows.allSatisfy { $0.count <= 48 })  // 40 columns, escape codes besides
        // Going back shows what was shown before.
        #expect(nav.screen(1, rows: 30, cols: 100) == ReplayNavigator(replay).screen(1, rows: 30, cols: 100))
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

/// RFC 6902 `add`, `remove` and `replace`, as a reader of `replay --json` applies them.
enum JSONPatch {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func apply(_ ops: [JSONValue], to value: JSONValue) throws -> JSONValue {
        var v = value
        for op in ops {
            guard let kind = op["op"]?.stringValue, let path = op["path"]?.stringValue else { throw Failure(description: "\(op)") }
            let tokens = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
                $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            }
            v = try edit(v, Array(tokens), kind, op["value"])
        }
        return v
    }

    private static func edit(_ v: JSONValue, _ path: [String], _ kind: String, _ value: JSONValue?) throws -> JSONValue {
        guard let head = path.first else {
            guard kind != "remove", let value else { throw Failure(description: "\(kind) at the root") }
            return value
        }
        let rest = Array(path.dropFirst())
        switch v {
        case .object(var o):
            if rest.isEmpty {
                switch kind {
                case "add": o[head] = value
                case "replace":
                    guard o[head] != nil else { throw Failure(description: "replace of a missing member \(head)") }
                    o[head] = value
                case "remove":
                    guard o[head] != nil else { throw Failure(description: "remove of a missing member \(head)") }
                    o[head] = nil
                default: throw Failure(description: kind)
                }
            } else {
                guard let child = o[head] else { throw Failure(description: "no member \(head)") }
                o[head] = try edit(child, rest, kind, value)
            }
            return .object(o)
        case .array(var a):
            guard let i = Int(head), i >= 0, i <= a.count else { throw Failure(description: "bad index \(head) of \(a.count)") }
            if rest.isEmpty {
                switch kind {
                case "add": a.insert(try value ?? { throw Failure(description: "add without a value") }(), at: i)
                case "replace":
                    guard i < a.count, let value else { throw Failure(description: "replace at \(i)") }
                    a[i] = value
                case "remove":
                    guard i < a.count else { throw Failure(description: "remove at \(i)") }
                    a.remove(at: i)
                default: throw Failure(description: kind)
                }
            } else {
                guard i < a.count else { throw Failure(description: "index \(i) past the end") }
                a[i] = try edit(a[i], rest, kind, value)
            }
            return .array(a)
        default:
            throw Failure(description: "\(kind) inside a scalar")
        }
    }
}

/// A ledger with one long session of random steps (checklists, documents, validations,
/// approvals, commands, the migration, overrides, rollbacks, monitoring, keys moving mid-way,
/// an incident), signed times that sometimes jump hours or days or go back.
struct RandomReplayLedger {
    static let session = "0009_random.5e5e5e"
    var l = DemoLedger()

    init(seed: UInt64, steps: Int) {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        func pick<T>(_ a: [T]) -> T { a[Int(next() % UInt64(a.count))] }
        func chance(_ p: Double) -> Bool { Double(next() % 10_000) / 10_000 < p }
        l.keys()
        let s = "session/" + Self.session
        let runbook = Runbook.builtIn
        let items = (runbook.checklists + runbook.compliance).flatMap(\.items).map(\.id)
        l.open(Self.session, migration: "0009_random", from: "0008", to: "0009_random", ticket: "CHG-9")
        var commands = 0
        var running: [String] = []
        let (alice, bob, ci) = (DemoLedger.alice, DemoLedger.bob, DemoLedger.ci)
        for _ in 0..<steps {
            let r = next() % 100
            let delta: Int64 =
                r < 60
                ? Int64(next() % 90) * 1_000
                : r < 85 ? Int64(next() % 40) * 60_000 : r < 95 ? Int64(next() % 30) * 3_600_000 : -Int64(next() % 30) * 60_000
            l.now = l.now.adding(milliseconds: delta)
            switch next() % 16 {
            case 0, 1, 2:
                var d: JSONObject = ["item": .string(pick(items)), "status": .string(pick(["pass", "pass", "fail", "n/a"]))]
                if chance(0.3) {
                    d["value"] = .string("\(next() % 90).5")
                    d["unit"] = "percent"
                }
                l.add(s, "checklist.item.recorded", pick([alice, ci]), d, after: 0)
            case 3, 4, 5:
                if !running.isEmpty && chance(0.5) {
                    let id = running.removeFirst()
                    let outcome = pick(["success", "success", "failed"])
                    l.add(
                        s, "command.finished", alice,
                        ["commandId": .string(id), "outcome": .string(outcome), "exitCode": outcome == "success" ? 0 : 1], after: 0)
                } else {
                    commands += 1
                    let id = chance(0.1) && commands > 1 ? "c\(1 + next() % UInt64(commands))" : "c\(commands)"
                    let upgrade = chance(0.06)
                    var d: JSONObject = [
                        "commandId": .string(id), "argv": upgrade ? ["alembic", "upgrade", "head"] : ["python", "backfill.py", .string(id)],
                        "environment": ["MIGRATION_AUDIT_ENABLED": "true"],
                    ]
                    if upgrade { d["alembic"] = ["action": "upgrade"] }
                    l.add(s, "command.started", pick([alice, alice, bob]), d, after: 0)
                    running.append(id)
                }
            case 6:
                l.add(
                    s, "approval.granted", pick([bob, bob, alice]),
                    ["scope": .string(pick(["migration", "retrospective"])), "approves": ["migrationId": "0009_random", "revision": "0009_random"]],
                    after: 0)
            case 7: l.add(s, "approval.denied", bob, ["scope": "migration", "reason": "wait"], after: 0)
            case 8:
                l.add(
                    s, "documentation.recorded", alice,
                    ["kind": .string(pick(["purpose", "risk-assessment", "rollback-plan", "execution-log", "testing-results"])), "sha256": DemoLedger.digest("d"), "sizeBytes": 1, "location": "x"],
                    after: 0)
            case 9:
                l.add(
                    s, "validation.recorded", ci,
                    ["phase": .string(pick(["pre", "immediate", "extended", "post-rollback"])), "check": .string(pick(["validate-data", "health-check", "critical-functions"])), "result": .string(pick(["pass", "fail"]))],
                    after: 0)
            case 10: l.add(s, "migration.applied", alice, ["fromRevision": "0008", "toRevision": "0009_random"], after: 0)
            case 11:
                if chance(0.3) {
                    l.add(s, "override.recorded", alice, ["gate": "production-gate", "justification": "urgent", "missing": ["approval"]], after: 0)
                } else {
                    l.add(s, "rollback.started", alice, ["kind": .string(pick(["immediate", "standard"])), "method": "alembic-downgrade", "reason": "x"], after: 0)
                }
            case 12:
                l.add(s, "monitoring.observation", ci, ["metric": "db_latency_ms", "value": "4.2", "unit": "ms"], after: 0)
            case 13:
                if chance(0.5) {
                    l.add(FormatV1.keysStream, FormatV1.keyEnrolledType, "root@fingood", DemoLedger.keyData(pick(["erin@fingood", "frank@fingood"]), [pick(["approver", "operator"])]), after: 0)
                } else {
                    l.add(FormatV1.keysStream, FormatV1.keyRevokedType, "root@fingood", ["key": .string(DemoLedger.key(pick([bob, "erin@fingood"]))), "reason": "gone"], after: 0)
                }
            case 14:
                l.add(
                    "incident/INC-9", pick(["incident.opened", "incident.action.recorded"]), DemoLedger.carol,
                    ["incidentId": "INC-9", "level": 2, "title": "t", "trigger": "x", "sessionStream": .string(s), "phase": "immediate", "action": "a"],
                    after: 0)
            default:
                l.add(s, "rollback.completed", alice, ["kind": "immediate", "result": .string(pick(["success", "failed"]))], after: 0)
            }
        }
        l.add(s, "session.closed", alice, ["outcome": "rolled-back", "alembicCurrent": "0008"], after: 0)
    }

    var entries: [VerifiedEvent] { l.entries }
    func snapshot() -> LedgerSnapshot { l.snapshot() }
}
