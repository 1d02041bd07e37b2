public import SealbookCore
public import SealbookProjections
internal import SealbookRunbook

/// A session's projected state at one point of the log: after one of its events.
public struct ReplayFrame: Sendable {
    /// 0-based position among the session's events.
    public let index: Int
    /// The event's `seq`: the state is that of the log up to it.
    public let seq: Int64
    /// The event's signed time: the `as_of` of the state.
    public let asOf: String
    /// The event.
    public let event: VerifiedEvent
    /// The whole projected state (see ``ReplayState``).
    public let state: JSONValue
    /// The state as keyed lines for people: what ``SessionReplay/changes(at:)`` compares.
    public let lines: [(key: String, value: String)]
}

/// One line of a state that an event changed.
public struct ReplayChange: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable { case added, changed, removed }
    public let kind: Kind
    public let key: String
    public let before: String?
    public let after: String?

    public var description: String {
        switch kind {
        case .added: "+ \(key): \(after ?? "")"
        case .removed: "- \(key): \(before ?? "")"
        case .changed: "~ \(key): \(before ?? "") → \(after ?? "")"
        }
    }
}

/// A session replayed event by event: the timeline, and the session's whole projected state
/// (checklists, approvals, commands, the production gate, controls) as it was after each of
/// its events. Folded once, incrementally, from the snapshot's key events, the session's
/// stream and the incidents opened from it; frame *k* equals a fresh projection of the log up
/// to the frame's `seq`, evaluated at that event's time (the test suite checks this at every
/// `seq`).
public struct SessionReplay: Sendable {
    public let sessionID: String
    public let stream: String
    public let ledger: String
    public let headSeq: Int64
    public let headChainHash: Digest32
    public let verification: VerificationSummary
    public let frames: [ReplayFrame]

    public init(session: String, snapshot: LedgerSnapshot) throws(ReportError) {
        let id = StreamID.sessionID(session) ?? session
        stream = StreamID.session(id)
        sessionID = id
        ledger = snapshot.ledger
        headSeq = snapshot.headSeq
        headChainHash = snapshot.headChainHash
        verification = snapshot.verification
        let stream = self.stream
        guard snapshot.events.contains(where: { $0.body.stream == stream }) else {
            throw .unknownSession(id, known: snapshot.sessionIDs)
        }
        // The incidents opened from this session: their events count for its state too.
        let incidents = Set(
            snapshot.events.filter { $0.body.type == "incident.opened" && $0.body.data["sessionStream"]?.stringValue == stream }
                .compactMap { $0.body.data["incidentId"]?.stringValue })
        let relevant = snapshot.events.filter { e in
            let s = e.body.stream
            if s == FormatV1.ledgerStream || s == FormatV1.keysStream || s == stream { return true }
            if let i = StreamID.incidentID(s), incidents.contains(i) { return true }
            if let i = e.body.data["incidentId"]?.stringValue, incidents.contains(i),
                e.body.type.hasPrefix("incident.") || e.body.type.hasPrefix("gdpr.")
            {
                return true
            }
            return false
        }
        var p = LedgerProjection()
        var frames: [ReplayFrame] = []
        for e in relevant {
            try? p.apply(e)
            guard e.body.stream == stream else { continue }
            let asOf = Timestamp(rfc3339: e.body.time) ?? Timestamp(milliseconds: 0)
            let state = ReplayState.make(p, stream: stream, asOf: asOf, seq: e.seq)
            frames.append(
                ReplayFrame(
                    index: frames.count, seq: e.seq, asOf: asOf.rfc3339, event: e, state: state, lines: ReplayState.lines(state)))
        }
        self.frames = frames
    }

    /// The frame of the log up to `seq`: after the session's last event at or before it.
    public func frame(atSeq seq: Int64) throws(ReportError) -> ReplayFrame {
        guard let f = frames.last(where: { $0.seq <= seq }) else {
            throw .replayPosition("session \(sessionID) starts at seq \(frames.first?.seq ?? 0); --at \(seq) is before it")
        }
        return f
    }

    /// The frame at `time` (RFC 3339): after the session's last event signed at or before it.
    public func frame(atTime time: String) throws(ReportError) -> ReplayFrame {
        guard let t = Timestamp(rfc3339: time) else { throw .invalidTime(option: "--at", value: time) }
        guard let f = frames.last(where: { (Timestamp(rfc3339: $0.asOf) ?? t) <= t }) else {
            throw .replayPosition("session \(sessionID) starts at \(frames.first?.asOf ?? "?"); --at \(time) is before it")
        }
        return f
    }

    /// What the event of frame `index` changed in the state.
    public func changes(at index: Int) -> [ReplayChange] {
        let after = frames[index].lines
        let before = index > 0 ? frames[index - 1].lines : []
        let old = Dictionary(before.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        let new = Dictionary(after.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        var out: [ReplayChange] = []
        for l in after {
            if let o = old[l.key] {
                if o != l.value { out.append(ReplayChange(kind: .changed, key: l.key, before: o, after: l.value)) }
            } else {
                out.append(ReplayChange(kind: .added, key: l.key, before: nil, after: l.value))
            }
        }
        for l in before where new[l.key] == nil {
            out.append(ReplayChange(kind: .removed, key: l.key, before: l.value, after: nil))
        }
        return out
    }

    // MARK: Text

    /// The heading lines: what, where in the log, and how verification went.
    public func headingLines(_ f: ReplayFrame) -> [String] {
        var out = [
            "Replay of session \(sessionID): event \(f.index + 1) of \(frames.count), seq \(f.seq), as of \(f.asOf)",
            "Ledger \(ledger), log read up to seq \(headSeq) (chainHash \(headChainHash.hex))",
            "Verification: \(verification.sentence)",
        ]
        if !verification.verified { out.insert("*** UNVERIFIED LOG: this replay is not evidence ***", at: 0) }
        return out
    }

    /// One timeline line for event `index`, marked when it is the current one.
    public func timelineLine(_ index: Int, current: Int) -> String {
        let e = frames[index].event
        let mark = index == current ? ">" : " "
        return "\(mark) #\(e.seq)  \(e.body.time)  \(e.body.type)  \(e.body.actor)  \(EventText.summary(e))"
    }

    /// The event of frame `index` in full: seq, time, type, actor, hash and summary.
    public func eventLine(_ f: ReplayFrame) -> String {
        let e = f.event
        return
            "#\(e.seq) \(e.body.time) \(e.body.type) by \(e.body.actor) (eventHash \(e.eventHash.hex)): \(EventText.summary(e))"
    }

    /// `replay --at`: the heading, the timeline up to the frame, and its state.
    public func text(at f: ReplayFrame) -> String {
        var out = headingLines(f)
        out.append("")
        out.append("Timeline (through seq \(f.seq)):")
        for i in 0...f.index { out.append("  " + timelineLine(i, current: f.index)) }
        out.append("")
        out.append("Changed by #\(f.seq):")
        let ch = changes(at: f.index)
        out += ch.isEmpty ? ["  (nothing in the projected state)"] : ch.map { "  \($0)" }
        out.append("")
        out.append("State after #\(f.seq):")
        out += f.lines.map { "  \($0.key): \($0.value)" }
        return out.joined(separator: "\n") + "\n"
    }

    // MARK: JSON

    /// The name of the replay JSON shape.
    public static let jsonFormat = "sealbook.replay/1"

    func frameJSON(_ f: ReplayFrame) -> JSONValue {
        let e = f.event
        return JB.obj([
            ("index", JB.int(f.index)), ("seq", JB.int(f.seq)), ("asOf", .string(f.asOf)),
            (
                "event",
                JB.obj([
                    ("seq", JB.int(e.seq)), ("eventHash", .string(e.eventHash.hex)), ("time", .string(e.body.time)),
                    ("type", .string(e.body.type)), ("actor", .string(e.body.actor)), ("summary", .string(EventText.summary(e))),
                ])
            ),
            ("changes", .array(changes(at: f.index).map { JSONValue.string($0.description) })), ("state", f.state),
        ])
    }

    /// Every frame (or only `frame`) as JSON, with the log position and verification.
    public func json(only frame: ReplayFrame? = nil) -> JSONValue {
        let list = frame.map { [$0] } ?? frames
        return JB.obj([
            ("format", .string(Self.jsonFormat)), ("session", .string(sessionID)), ("ledger", .string(ledger)),
            ("position", JB.obj([("seq", JB.int(headSeq)), ("chainHash", .string(headChainHash.hex))])),
            ("verification", verification.json),
            (
                "timeline",
                .array(
                    frames.prefix((frame?.index ?? frames.count - 1) + 1).map { f in
                        JB.obj([
                            ("seq", JB.int(f.seq)), ("time", .string(f.event.body.time)), ("type", .string(f.event.body.type)),
                        ])
                    })
            ),
            ("frames", .array(list.map(frameJSON))),
        ])
    }
}

/// The projected state of one session, as replay shows it.
public enum ReplayState {
    /// What a replay frame holds for `stream` in `projection` (folded up to `seq`) at `asOf`
    /// (RFC 3339): for checking a replay against a fresh projection of the same prefix.
    public static func reference(_ projection: LedgerProjection, stream: String, asOf: String, seq: Int64) -> JSONValue {
        make(projection, stream: stream, asOf: Timestamp(rfc3339: asOf) ?? Timestamp(milliseconds: 0), seq: seq)
    }

    /// The state of `stream` in `projection` (folded up to `seq`) at `asOf`: the projection's
    /// session report (state summary, checklists, controls), the approvals and commands, and
    /// the production gate as the session's opener would meet it. `nil` members when the
    /// session has no event yet.
    static func make(_ projection: LedgerProjection, stream: String, asOf: Timestamp, seq: Int64) -> JSONValue {
        let report = projection.evaluate(at: asOf)
        let sessionJSON = report.json["sessions"]?.arrayValue?.first { $0["stream"]?.stringValue == stream } ?? .null
        let events = projection.sessionEvents(stream)
        let state = SessionState(events: events)
        let approvals: [JSONValue] = state.approvals.map { a in
            JB.obj([
                ("seq", JB.int(a.seq)), ("actor", .string(a.actor)), ("key", .string(a.key)), ("granted", .bool(a.granted)),
                ("scope", .string(a.scope)),
            ])
        }
        let commands: [JSONValue] = state.commandOrder.compactMap { state.commands[$0] }.map { c in
            JB.obj([
                ("commandId", .string(c.commandId)), ("argv", JB.strings(c.argv)), ("actor", .string(c.actor)),
                ("startSeq", JB.int(c.startSeq)), ("finishSeq", c.finishSeq.map { JB.int($0) } ?? .null),
                ("outcome", JB.str(c.outcome)), ("exitCode", c.exitCode.map { JB.int($0) } ?? .null),
            ])
        }
        var gate: JSONValue = .null
        if let runbook = LedgerProjection.builtInRunbooks.first(where: {
            $0.id == state.runbookID && $0.sha256 == state.runbookSHA256
        }),
            let executor = state.openedBy
        {
            let d = PolicyGate.evaluate(state: state, runbook: runbook, executor: executor) { key, seq in
                projection.keys[key]?.held(.approver, at: seq) ?? false
            }
            gate = JB.obj([("forActor", .string(executor)), ("open", .bool(d.isOpen)), ("missing", JB.strings(d.missing))])
        }
        return JB.obj([
            ("seq", JB.int(seq)), ("asOf", .string(asOf.rfc3339)), ("session", sessionJSON), ("approvals", .array(approvals)),
            ("commands", .array(commands)), ("gate", gate),
        ])
    }

    /// The state as keyed lines: the session, each checklist line recorded, each approval and
    /// command, the gate, each control; in a stable order.
    static func lines(_ state: JSONValue) -> [(key: String, value: String)] {
        var out: [(key: String, value: String)] = []
        func s(_ v: JSONValue?) -> String { v?.stringValue ?? "—" }
        func ref(_ v: JSONValue?) -> String {
            guard let seq = v?["seq"]?.int64Value, let h = v?["eventHash"]?.stringValue else { return "—" }
            return "#\(seq) \(h.prefix(12))"
        }
        let session = state["session"]
        if let session, !session.isNull {
            let st = session["state"]
            out.append(
                (
                    "session",
                    "\(s(session["environment"])) migration \(s(session["migrationId"])), ticket \(s(session["changeTicket"]))"
                ))
            out.append(("outcome", st?["outcome"]?.stringValue ?? "open"))
            out.append(("alembic", "\(s(st?["alembicFrom"])) → \(s(st?["alembicTo"])), current \(s(st?["alembicCurrent"]))"))
            let executors = (st?["executors"]?.arrayValue ?? []).compactMap(\.stringValue)
            out.append(("executors", executors.isEmpty ? "—" : executors.joined(separator: ", ")))
            if let o = st?["override"], !o.isNull { out.append(("emergency override", ref(o))) }
            var recorded = 0
            var total = 0
            for list in session["checklists"]?.arrayValue ?? [] {
                for l in list["lines"]?.arrayValue ?? [] {
                    total += 1
                    guard let status = l["status"]?.stringValue, status != "missing" else { continue }
                    recorded += 1
                    var v = status
                    if let val = l["value"]?.stringValue { v += " (\(val)\(l["unit"]?.stringValue.map { " \($0)" } ?? ""))" }
                    out.append(("checklist \(s(l["item"]))", v + " " + ref(l["evidence"])))
                }
            }
            out.append(("checklist", "\(recorded) of \(total) lines recorded"))
        }
        for a in state["approvals"]?.arrayValue ?? [] {
            out.append(
                (
                    "approval #\(a["seq"]?.int64Value ?? 0)",
                    "\(a["granted"]?.boolValue == true ? "granted" : "denied") by \(s(a["actor"])) (\(s(a["scope"])))"
                ))
        }
        for c in state["commands"]?.arrayValue ?? [] {
            let argv = (c["argv"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: " ")
            var v = "\(argv) by \(s(c["actor"])): \(c["outcome"]?.stringValue ?? "running")"
            if let x = c["exitCode"]?.int64Value { v += ", exit \(x)" }
            out.append(("command \(s(c["commandId"]))", v))
        }
        if let g = state["gate"], !g.isNull {
            let missing = (g["missing"]?.arrayValue ?? []).compactMap(\.stringValue)
            out.append(
                (
                    "gate for \(s(g["forActor"]))",
                    g["open"]?.boolValue == true ? "open" : "closed: " + missing.joined(separator: "; ")
                ))
        }
        if let session, !session.isNull {
            for c in session["controls"]?.arrayValue ?? [] {
                let status = s(c["status"]).uppercased()
                let fresh = c["freshness"]?.stringValue.map { ", \($0)" } ?? ""
                out.append(("control \(s(c["id"]))", status + fresh))
            }
        }
        return out
    }
}
