public import SealbookCore
public import SealbookProjections
internal import SealbookRunbook

/// One line of a replayed state: a key (`checklist disk-space`, `command cmd-01`, …) and its value.
public typealias ReplayLine = (key: String, value: String)

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
    /// What the event changed in the state: its ``lines`` against the previous frame's.
    public let changes: [ReplayChange]
    /// The whole projected state (see ``ReplayState``).
    public let state: JSONValue
    /// The state as keyed lines for people: what ``changes`` compares.
    public let lines: [ReplayLine]
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

    /// What changed from the lines `before` to the lines `after`: each line of `after` whose
    /// key is new (added) or whose value differs from the first line of `before` with that key
    /// (changed), in the order of `after`; then each line of `before` whose key is gone
    /// (removed), in the order of `before`. A replay step shows this for its frame and the
    /// previous one (for the first frame, against no line).
    public static func between(_ before: [ReplayLine], _ after: [ReplayLine]) -> [ReplayChange] {
        var changed: [ReplayChange] = []
        var removed: [ReplayChange] = []
        section(before, after, changed: &changed, removed: &removed)
        return changed + removed
    }

    /// ``between(_:_:)`` for one section of the lines, whose keys no other section has: its
    /// added and changed lines, and its removed ones, to be put after every section's added
    /// and changed lines.
    static func section(
        _ before: [ReplayLine], _ after: [ReplayLine], changed: inout [ReplayChange], removed: inout [ReplayChange]
    ) {
        if before.isEmpty && after.isEmpty { return }
        let old = Dictionary(before.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        let new = Dictionary(after.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        for l in after {
            if let o = old[l.key] {
                if o != l.value { changed.append(ReplayChange(kind: .changed, key: l.key, before: o, after: l.value)) }
            } else {
                changed.append(ReplayChange(kind: .added, key: l.key, before: nil, after: l.value))
            }
        }
        for l in before where new[l.key] == nil {
            removed.append(ReplayChange(kind: .removed, key: l.key, before: l.value, after: nil))
        }
    }
}

/// A session replayed event by event: the timeline, and the session's whole projected state
/// (checklists, approvals, commands, the production gate, controls) as it was after each of
/// its events.
///
/// Frames are computed on demand, in order, by a ``ReplayCursor``: the key events, the
/// session's stream and the incidents opened from it are folded once, event by event
/// (``SessionFold``), and each frame costs what its event changed, not the session's length.
/// Frame *k* equals a fresh projection of the log up to the frame's `seq`, evaluated at that
/// event's time (``ReplayState/reference(_:stream:asOf:seq:)``; the test suite checks this at
/// every `seq`).
public struct SessionReplay: Sendable {
    public let sessionID: String
    public let stream: String
    public let ledger: String
    public let headSeq: Int64
    public let headChainHash: Digest32
    public let verification: VerificationSummary
    /// The session's events, in order: one frame each.
    public let events: [VerifiedEvent]
    /// What the fold reads: the key events, the session's events, and those of the incidents
    /// opened from it.
    let relevant: [VerifiedEvent]

    /// Reads which events the session's frames come from; computes no frame.
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
            snapshot.events.filter { $0.body.type == "incident.opened" && $0.data["sessionStream"]?.stringValue == stream }
                .compactMap { $0.data["incidentId"]?.stringValue })
        relevant = snapshot.events.filter { e in
            let s = e.body.stream
            if s == FormatV1.ledgerStream || s == FormatV1.keysStream || s == stream { return true }
            if let i = StreamID.incidentID(s), incidents.contains(i) { return true }
            if let i = e.data["incidentId"]?.stringValue, incidents.contains(i),
                e.body.type.hasPrefix("incident.") || e.body.type.hasPrefix("gdpr.")
            {
                return true
            }
            return false
        }
        events = relevant.filter { $0.body.stream == stream }
    }

    /// The number of frames: the session's events.
    public var count: Int { events.count }

    /// A cursor before the first frame.
    public func cursor() -> ReplayCursor { ReplayCursor(stream: stream, relevant: relevant) }

    /// Frame `index` (0 ..< ``count``): the events up to it are folded, none after it.
    public func frame(_ index: Int) -> ReplayFrame {
        precondition(events.indices.contains(index), "frame \(index) of \(count)")
        var c = cursor()
        while c.index < index, c.advance() {}
        return c.frame()
    }

    /// The position of the frame of the log up to `seq`: after the session's last event at or
    /// before it.
    public func index(atSeq seq: Int64) throws(ReportError) -> Int {
        guard let i = events.lastIndex(where: { $0.seq <= seq }) else {
            throw .replayPosition("session \(sessionID) starts at seq \(events.first?.seq ?? 0); --at \(seq) is before it")
        }
        return i
    }

    /// The position of the frame at `time` (RFC 3339): after the session's last event signed at
    /// or before it.
    public func index(atTime time: String) throws(ReportError) -> Int {
        guard let t = Timestamp(rfc3339: time) else { throw .invalidTime(option: "--at", value: time) }
        guard let i = events.lastIndex(where: { Self.asOf($0) <= t }) else {
            throw .replayPosition(
                "session \(sessionID) starts at \(events.first.map { Self.asOf($0).rfc3339 } ?? "?"); --at \(time) is before it")
        }
        return i
    }

    /// The frame of the log up to `seq`: after the session's last event at or before it.
    public func frame(atSeq seq: Int64) throws(ReportError) -> ReplayFrame { frame(try index(atSeq: seq)) }

    /// The frame at `time` (RFC 3339): after the session's last event signed at or before it.
    public func frame(atTime time: String) throws(ReportError) -> ReplayFrame { frame(try index(atTime: time)) }

    /// The as-of time of an event's frame: its signed time.
    static func asOf(_ e: VerifiedEvent) -> Timestamp { Timestamp(rfc3339: e.body.time) ?? Timestamp(milliseconds: 0) }

    // MARK: Text

    /// The heading lines: what, where in the log, and how verification went.
    public func headingLines(_ f: ReplayFrame) -> [String] { headingLines(index: f.index) }

    func headingLines(index: Int) -> [String] {
        let e = events[index]
        var out = [
            "Replay of session \(sessionID): event \(index + 1) of \(count), seq \(e.seq), as of \(Self.asOf(e).rfc3339)",
            "Ledger \(ledger), log read up to seq \(headSeq) (chainHash \(headChainHash.hex))",
            "Verification: \(verification.sentence)",
        ]
        if !verification.verified { out.insert("*** UNVERIFIED LOG: this replay is not evidence ***", at: 0) }
        return out
    }

    /// One timeline line for event `index`, marked when it is the current one.
    public func timelineLine(_ index: Int, current: Int) -> String {
        let e = events[index]
        let mark = index == current ? ">" : " "
        return "\(mark) #\(e.seq)  \(e.body.time)  \(e.body.type)  \(e.body.actor)  \(EventText.summary(e))"
    }

    /// The event of a frame in full: seq, time, type, actor, hash and summary.
    public func eventLine(_ f: ReplayFrame) -> String { Self.eventLine(f.event) }

    static func eventLine(_ e: VerifiedEvent) -> String {
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
        out += f.changes.isEmpty ? ["  (nothing in the projected state)"] : f.changes.map { "  \($0)" }
        out.append("")
        out.append("State after #\(f.seq):")
        out += f.lines.map { "  \($0.key): \($0.value)" }
        return out.joined(separator: "\n") + "\n"
    }

    // MARK: JSON

    /// The name of the replay JSON shape (docs/REPORTS.md §4).
    public static let jsonFormat = "sealbook.replay/2"

    static func frameJSON(index: Int, event e: VerifiedEvent, changes: [ReplayChange], body: (String, JSONValue)) -> JSONValue {
        JB.obj([
            ("index", JB.int(index)), ("seq", JB.int(e.seq)), ("asOf", .string(asOf(e).rfc3339)),
            (
                "event",
                JB.obj([
                    ("seq", JB.int(e.seq)), ("eventHash", .string(e.eventHash.hex)), ("time", .string(e.body.time)),
                    ("type", .string(e.body.type)), ("actor", .string(e.body.actor)), ("summary", .string(EventText.summary(e))),
                ])
            ),
            ("changes", .array(changes.map { JSONValue.string($0.description) })), body,
        ])
    }

    /// The members besides `frames`, with the timeline through frame `through`.
    func headerMembers(through: Int) -> [(String, JSONValue)] {
        [
            ("format", .string(Self.jsonFormat)), ("session", .string(sessionID)), ("ledger", .string(ledger)),
            ("position", JB.obj([("seq", JB.int(headSeq)), ("chainHash", .string(headChainHash.hex))])),
            ("verification", verification.json),
            (
                "timeline",
                .array(
                    events.prefix(through + 1).map { e in
                        JB.obj([("seq", JB.int(e.seq)), ("time", .string(e.body.time)), ("type", .string(e.body.type))])
                    })
            ),
        ]
    }

    /// One frame (`replay --at`) as JSON: the log position, verification, the timeline up to
    /// it, and the frame with its whole `state`.
    public func json(only frame: ReplayFrame) -> JSONValue {
        let f = Self.frameJSON(index: frame.index, event: frame.event, changes: frame.changes, body: ("state", frame.state))
        return JB.obj(headerMembers(through: frame.index) + [("frames", .array([f]))])
    }

    /// Every frame as JSON, as ``writeJSON(_:)`` streams it: the first frame with its whole
    /// `state`, each later one with the `patch` (RFC 6902) that turns the previous frame's
    /// state into its own. Holds the whole document in memory; for long sessions, stream it.
    public func json() -> JSONValue {
        var frames: [JSONValue] = []
        var c = cursor()
        while c.advance() { frames.append(c.frameJSON()) }
        return JB.obj(headerMembers(through: count - 1) + [("frames", .array(frames))])
    }

    /// Writes ``json()`` as RFC 8785 canonical JSON, frame after frame as each is computed
    /// (`write` gets the bytes in pieces of about `chunk` bytes): the same bytes as
    /// `JCS.canonicalize(json())`, in time and memory that grow with the session's length.
    public func writeJSON(chunk: Int = 1 << 20, _ write: ([UInt8]) throws -> Void) rethrows {
        let members = (headerMembers(through: count - 1) + [("frames", .null)]).sorted { JCS.namePrecedes($0.0, $1.0) }
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(chunk + 4_096)
        for (n, (name, value)) in members.enumerated() {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            try? JCS.canonicalize(.string(name), into: &out)
            out.append(UInt8(ascii: ":"))
            guard name == "frames" else {
                try? JCS.canonicalize(value, into: &out)
                continue
            }
            out.append(UInt8(ascii: "["))
            var c = cursor()
            while c.advance() {
                if c.index > 0 { out.append(UInt8(ascii: ",")) }
                try? JCS.canonicalize(c.frameJSON(), into: &out)
                if out.count >= chunk {
                    try write(out)
                    out.removeAll(keepingCapacity: true)
                }
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "}"))
        try write(out)
    }
}

/// Walks a ``SessionReplay`` forward one event at a time. Each step folds the events up to the
/// session's next one (``SessionFold``), and brings the frame's state, its lines, what the
/// event changed and the JSON patch from the previous state up to date by what the event
/// changed: a step costs what its event changed, not the session's length (the whole state
/// is assembled only when asked for, by ``state()`` or ``frame()``).
public struct ReplayCursor: Sendable {
    private let relevant: [VerifiedEvent]
    private var next = 0
    private var fold: SessionFold

    /// The current frame's position (-1 before the first ``advance()``).
    public private(set) var index = -1
    /// The current frame's event.
    public private(set) var event: VerifiedEvent?
    /// The current frame's as-of time: its event's signed time.
    public private(set) var asOf = Timestamp(milliseconds: 0)
    /// What the current frame's event changed in the state's lines.
    public private(set) var changes: [ReplayChange] = []
    /// RFC 6902 operations that turn the previous frame's ``state()`` into this one's (empty
    /// for the first frame).
    public private(set) var patch: [JSONValue] = []

    // The state, in parts (ReplayState.make assembles the same).
    private var sessionHead: [(key: String, value: JSONValue)] = []
    private var summary: JSONValue = .null
    private var checklistJSON: [JSONValue] = []
    private var controlJSON: [JSONValue] = []
    private var counts: JSONValue = .null
    private var approvalJSON: [JSONValue] = []
    private var commandJSON: [JSONValue] = []
    private var commandPositions: [String: [Int]] = [:]
    private var gate: JSONValue = .null
    private var gateInputs: [Int] = []

    // The state's lines, by section, in their order (ReplayState.lines).
    private(set) var headerLines: [ReplayLine] = []
    private(set) var checklistLines: [ReplayLine] = []
    private(set) var approvalLines: [ReplayLine] = []
    private(set) var commandLines: [ReplayLine] = []
    private(set) var gateLines: [ReplayLine] = []
    private(set) var controlLines: [ReplayLine] = []
    /// Positions in ``commandLines`` the current frame's event added or changed, ascending.
    private(set) var commandsTouched: [Int] = []

    init(stream: String, relevant: [VerifiedEvent]) {
        self.relevant = relevant
        fold = SessionFold(stream: stream)
    }

    /// Moves to the next frame; false (and nothing moves) after the last one.
    public mutating func advance() -> Bool {
        var found: VerifiedEvent?
        while next < relevant.count {
            let e = relevant[next]
            next += 1
            if (try? fold.apply(e)) == true {
                found = e
                break
            }
        }
        guard let e = found else { return false }
        index += 1
        event = e
        let previousAsOf = asOf
        asOf = SessionReplay.asOf(e)
        let report = fold.report(at: asOf)
        let change = fold.lastChange
        let state = fold.state
        var p = Patch()
        var changed: [ReplayChange] = []
        var removed: [ReplayChange] = []
        let first = index == 0

        // The session: its parts from the report, diffed where they may have moved.
        if first || change.all {
            let old = first ? JSONValue.null : sessionJSON()
            let oldChecklists = checklistLines
            loadSession(report.json)
            if !first { p.diff(old, sessionJSON(), at: "/session") }
            checklistLines = ReplayState.checklistLines(checklistJSON)
            controlLines = controlJSON.map(ReplayState.controlLine)
            let oldHeader = headerLines
            headerLines = ReplayState.headerLines(sessionMember)
            ReplayChange.section(oldHeader, headerLines, changed: &changed, removed: &removed)
            ReplayChange.section(oldChecklists, checklistLines, changed: &changed, removed: &removed)
        } else {
            let newSummary = report.state.json
            p.diff(summary, newSummary, at: "/session/state")
            summary = newSummary
            for i in change.checklists {
                let j = report.checklists[i].json
                p.diff(checklistJSON[i], j, at: "/session/checklists/\(i)")
                checklistJSON[i] = j
            }
            for i in change.controls {
                let j = report.controls[i].json
                p.diff(controlJSON[i], j, at: "/session/controls/\(i)")
                controlJSON[i] = j
            }
            if !change.controls.isEmpty {
                let c = Self.counts(report.controls)
                p.diff(counts, c, at: "/session/summary")
                counts = c
            }
            let oldHeader = headerLines
            headerLines = ReplayState.headerLines(sessionMember)
            ReplayChange.section(oldHeader, headerLines, changed: &changed, removed: &removed)
            if !change.checklists.isEmpty {
                let old = checklistLines
                checklistLines = ReplayState.checklistLines(checklistJSON)
                ReplayChange.section(old, checklistLines, changed: &changed, removed: &removed)
            }
        }

        // Approvals: only ever appended.
        while approvalJSON.count < state.approvals.count {
            let j = ReplayState.approvalJSON(state.approvals[approvalJSON.count])
            p.add("/approvals/\(approvalJSON.count)", j)
            approvalJSON.append(j)
            let line = ReplayState.approvalLine(j)
            approvalLines.append(line)
            changed.append(ReplayChange(kind: .added, key: line.key, before: nil, after: line.value))
        }

        // Commands: appended when started; every entry of the event's command id follows it.
        commandsTouched = []
        var ids: [String] = []
        while commandJSON.count < state.commandOrder.count {
            let id = state.commandOrder[commandJSON.count]
            if !ids.contains(id) { ids.append(id) }
            commandPositions[id, default: []].append(commandJSON.count)
            commandJSON.append(.null)
            commandLines.append((key: "", value: ""))
        }
        if e.type == "command.started" || e.type == "command.finished", let id = e.data["commandId"]?.stringValue,
            commandPositions[id] != nil, !ids.contains(id)
        {
            ids.append(id)
        }
        for id in ids {
            guard let command = state.commands[id], let positions = commandPositions[id] else { continue }
            let j = ReplayState.commandJSON(command)
            let line = ReplayState.commandLine(j)
            // The value the lines showed for this id, if any: every entry of an id shows the
            // same command.
            let oldValue = positions.first { !commandJSON[$0].isNull }.map { commandLines[$0].value }
            for pos in positions {
                let wasNew = commandJSON[pos].isNull
                if wasNew { p.add("/commands/\(pos)", j) } else { p.diff(commandJSON[pos], j, at: "/commands/\(pos)") }
                if let oldValue {
                    if oldValue != line.value {
                        changed.append(ReplayChange(kind: .changed, key: line.key, before: oldValue, after: line.value))
                    }
                } else {
                    changed.append(ReplayChange(kind: .added, key: line.key, before: nil, after: line.value))
                }
                if wasNew || commandLines[pos].value != line.value || commandLines[pos].key != line.key { commandsTouched.append(pos) }
                commandJSON[pos] = j
                commandLines[pos] = line
            }
        }
        commandsTouched.sort()

        // The gate: what it reads is the checklist, approvals, executors, keys and the opening
        // (which moves everything: change.all).
        let inputs = [fold.keyEvents, state.approvals.count, state.executors.count]
        if first || change.all || inputs != gateInputs || e.type == "checklist.item.recorded" {
            gateInputs = inputs
            let g = ReplayState.gateJSON(state: state, runbook: fold.runbook, keys: fold.keys)
            if !first { p.diff(gate, g, at: "/gate") }
            gate = g
            let old = gateLines
            gateLines = ReplayState.gateLines(gate)
            ReplayChange.section(old, gateLines, changed: &changed, removed: &removed)
        }

        // The controls.
        if first || change.all {
            // loadSession replaced every control; their lines were kept above.
            let old = controlLinesBefore
            ReplayChange.section(old, controlLines, changed: &changed, removed: &removed)
        } else {
            for i in change.controls {
                let line = ReplayState.controlLine(controlJSON[i])
                if controlLines[i].value != line.value {
                    changed.append(ReplayChange(kind: .changed, key: line.key, before: controlLines[i].value, after: line.value))
                }
                controlLines[i] = line
            }
        }
        controlLinesBefore = controlLines

        if !first {
            p.replace("/seq", JB.int(e.seq))
            if asOf != previousAsOf { p.replace("/asOf", .string(asOf.rfc3339)) }
        }
        patch = first ? [] : p.ops
        changes = changed + removed
        return true
    }

    /// `JB.counts` in one pass.
    private static func counts(_ results: [ControlResult]) -> JSONValue {
        var pass = 0, fail = 0, pending = 0, notApplicable = 0
        for r in results {
            switch r.status {
            case .pass: pass += 1
            case .fail: fail += 1
            case .pending: pending += 1
            case .notApplicable: notApplicable += 1
            }
        }
        return JB.counts(pass: pass, fail: fail, pending: pending, notApplicable: notApplicable)
    }

    /// The control lines as the previous frame showed them (for the frames that replace all).
    private var controlLinesBefore: [ReplayLine] = []

    private mutating func loadSession(_ json: JSONValue) {
        guard case .object(let o) = json else { return }
        sessionHead = o.members.filter { !["state", "checklists", "controls", "summary"].contains($0.key) }
        summary = o["state"] ?? .null
        checklistJSON = o["checklists"]?.arrayValue ?? []
        controlJSON = o["controls"]?.arrayValue ?? []
        counts = o["summary"] ?? .null
    }

    /// A member of the session's JSON, without assembling it.
    private func sessionMember(_ name: String) -> JSONValue? {
        switch name {
        case "state": summary
        case "checklists": .array(checklistJSON)
        case "controls": .array(controlJSON)
        case "summary": counts
        default: sessionHead.first { $0.key == name }?.value
        }
    }

    /// The session's JSON (the projection's session report), assembled from its parts.
    private func sessionJSON() -> JSONValue {
        .object(
            JSONObject(
                sessionHead + [
                    (key: "state", value: summary), (key: "checklists", value: .array(checklistJSON)),
                    (key: "controls", value: .array(controlJSON)), (key: "summary", value: counts),
                ]))
    }

    /// The whole projected state after the current frame's event (as ``ReplayState``
    /// describes it).
    public func state() -> JSONValue {
        guard let e = event else { return .null }
        return JB.obj([
            ("seq", JB.int(e.seq)), ("asOf", .string(asOf.rfc3339)), ("session", sessionJSON()),
            ("approvals", .array(approvalJSON)), ("commands", .array(commandJSON)), ("gate", gate),
        ])
    }

    /// The state's lines after the current frame's event.
    public func lines() -> [ReplayLine] {
        headerLines + checklistLines + approvalLines + commandLines + gateLines + controlLines
    }

    /// The current frame in full: its state and lines are assembled (work that grows with the
    /// state, unlike ``advance()``).
    public func frame() -> ReplayFrame {
        guard let e = event else { preconditionFailure("no frame before the first advance()") }
        return ReplayFrame(
            index: index, seq: e.seq, asOf: asOf.rfc3339, event: e, changes: changes, state: state(), lines: lines())
    }

    /// The current frame as ``SessionReplay/json()`` lists it: the whole state for the first
    /// frame, the patch from the previous frame's state for every later one.
    public func frameJSON() -> JSONValue {
        guard let e = event else { return .null }
        return SessionReplay.frameJSON(
            index: index, event: e, changes: changes,
            body: index == 0 ? ("state", state()) : ("patch", .array(patch)))
    }
}

/// RFC 6902 operations between two JSON values, fine-grained: members and array elements are
/// compared one by one, so that a long list that grew by one element costs one `add`.
struct Patch {
    private(set) var ops: [JSONValue] = []

    /// A JSON Pointer token: `~` as `~0`, `/` as `~1` (RFC 6901).
    static func escape(_ token: String) -> String {
        guard token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else { return token }
        var out = ""
        for c in token.unicodeScalars {
            switch c {
            case "~": out += "~0"
            case "/": out += "~1"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    mutating func add(_ path: String, _ value: JSONValue) {
        ops.append(JB.obj([("op", .string("add")), ("path", .string(path)), ("value", value)]))
    }

    mutating func replace(_ path: String, _ value: JSONValue) {
        ops.append(JB.obj([("op", .string("replace")), ("path", .string(path)), ("value", value)]))
    }

    mutating func remove(_ path: String) {
        ops.append(JB.obj([("op", .string("remove")), ("path", .string(path))]))
    }

    /// The operations that turn `a` (at `path`) into `b`.
    mutating func diff(_ a: JSONValue, _ b: JSONValue, at path: String) {
        if a == b { return }
        switch (a, b) {
        case (.object(let x), .object(let y)):
            // The same builder made both: usually the same names in the same order.
            if x.count == y.count,
                zip(x.members, y.members).allSatisfy({ $0.key.unicodeScalars.elementsEqual($1.key.unicodeScalars) })
            {
                for (m, n) in zip(x.members, y.members) { diff(m.value, n.value, at: path + "/" + Self.escape(n.key)) }
                return
            }
            for m in y.members {
                let p = path + "/" + Self.escape(m.key)
                if let i = x.index(of: m.key) { diff(x.members[i].value, m.value, at: p) } else { add(p, m.value) }
            }
            for m in x.members where y.index(of: m.key) == nil { remove(path + "/" + Self.escape(m.key)) }
        case (.array(let x), .array(let y)):
            for i in 0..<min(x.count, y.count) { diff(x[i], y[i], at: "\(path)/\(i)") }
            if y.count > x.count {
                for i in x.count..<y.count { add("\(path)/\(i)", y[i]) }
            } else if x.count > y.count {
                for i in stride(from: x.count - 1, through: y.count, by: -1) { remove("\(path)/\(i)") }
            }
        default:
            replace(path, b)
        }
    }
}

/// `replay --step`: frames computed as the walk reaches them and kept, so that stepping back
/// or jumping to the first frame costs nothing more. What is kept per frame does not grow with
/// the session: its changes, the bounded parts of its lines (session, checklist, gate,
/// controls) and how many approvals and commands it had; command lines keep their versions.
public final class ReplayNavigator {
    public let replay: SessionReplay
    private var cursor: ReplayCursor
    private struct Stored {
        let changes: [ReplayChange]
        let header: [ReplayLine]
        let checklist: [ReplayLine]
        let gate: [ReplayLine]
        let controls: [ReplayLine]
        let approvals: Int
        let commands: Int
    }
    private var stored: [Stored] = []
    private var approvalLines: [ReplayLine] = []
    /// Per command line: its values, each with the first frame that shows it.
    private var commandVersions: [[(frame: Int, line: ReplayLine)]] = []

    public init(_ replay: SessionReplay) {
        self.replay = replay
        cursor = replay.cursor()
    }

    /// The number of frames.
    public var count: Int { replay.count }

    /// Computes frames until frame `i` is known.
    private func reach(_ i: Int) {
        while stored.count <= i, cursor.advance() {
            let f = cursor.index
            approvalLines.append(contentsOf: cursor.approvalLines[approvalLines.count...])
            for p in cursor.commandsTouched {
                let line = cursor.commandLines[p]
                if p < commandVersions.count { commandVersions[p].append((f, line)) } else { commandVersions.append([(f, line)]) }
            }
            stored.append(
                Stored(
                    changes: cursor.changes, header: cursor.headerLines, checklist: cursor.checklistLines,
                    gate: cursor.gateLines, controls: cursor.controlLines, approvals: cursor.approvalLines.count,
                    commands: cursor.commandLines.count))
        }
    }

    /// What frame `i`'s event changed.
    public func changes(at i: Int) -> [ReplayChange] {
        reach(i)
        return stored[i].changes
    }

    /// How many lines frame `i`'s state has.
    public func lineCount(at i: Int) -> Int {
        reach(i)
        let s = stored[i]
        return s.header.count + s.checklist.count + s.approvals + s.commands + s.gate.count + s.controls.count
    }

    /// The first `limit` lines of frame `i`'s state (all of them without a limit).
    public func lines(at i: Int, limit: Int = .max) -> [ReplayLine] {
        reach(i)
        let s = stored[i]
        var out: [ReplayLine] = []
        func take(_ more: some Sequence<ReplayLine>) {
            for l in more {
                guard out.count < limit else { return }
                out.append(l)
            }
        }
        take(s.header)
        take(s.checklist)
        take(approvalLines[0..<s.approvals])
        take((0..<s.commands).lazy.map { p in self.commandVersions[p].last { $0.frame <= i }!.line })
        take(s.gate)
        take(s.controls)
        return out
    }

    /// The screen `replay --step` shows for frame `i` on a terminal of `rows` × `cols`: the
    /// heading, the event, what it changed and the state, cut to the screen, then the keys.
    /// Starts with the escape codes that clear the screen.
    public func screen(_ i: Int, rows: Int, cols: Int) -> String {
        reach(i)
        let e = replay.events[i]
        func clip(_ s: String) -> String { s.count > cols ? String(s.prefix(max(1, cols - 1))) + "…" : s }
        var lines = replay.headingLines(index: i)
        lines.append("")
        lines.append(SessionReplay.eventLine(e))
        lines.append("")
        let changes = stored[i].changes
        lines.append("Changed by this event:")
        lines += changes.isEmpty ? ["  (nothing in the projected state)"] : changes.map { "  \($0)" }
        lines.append("")
        lines.append("State after seq \(e.seq):")
        let total = lines.count + lineCount(at: i)
        let footer = "[n/→] next  [p/←] previous  [g] first  [G] last  [q] quit    event \(i + 1)/\(count)"
        let room = max(1, rows - 1)
        if total > room {
            let keep = room - 1
            let state = self.lines(at: i, limit: max(0, keep - lines.count)).map { "  \($0.key): \($0.value)" }
            lines = Array((lines + state).prefix(keep)) + ["  … (\(total - room + 1) more lines; see replay --at \(e.seq))"]
        } else {
            lines += self.lines(at: i).map { "  \($0.key): \($0.value)" }
        }
        // Output processing stays on in raw mode, so "\n" still starts a new line.
        return "\u{1B}[H\u{1B}[2J" + lines.map(clip).joined(separator: "\n") + "\n" + "\u{1B}[7m" + clip(footer) + "\u{1B}[0m"
    }
}

/// The projected state of one session, as replay shows it.
public enum ReplayState {
    /// What a replay frame holds for `stream` in `projection` (folded up to `seq`) at `asOf`
    /// (RFC 3339), computed from scratch: a fresh evaluation of the whole projection. The
    /// reference a replay is checked against; replay itself computes the same incrementally.
    public static func reference(_ projection: LedgerProjection, stream: String, asOf: String, seq: Int64) -> JSONValue {
        make(projection, stream: stream, asOf: Timestamp(rfc3339: asOf) ?? Timestamp(milliseconds: 0), seq: seq)
    }

    /// The state's lines, as replay shows them (``ReplayFrame/lines``), of a state such as
    /// ``reference(_:stream:asOf:seq:)`` gives.
    public static func referenceLines(_ state: JSONValue) -> [ReplayLine] { lines(state) }

    /// The state of `stream` in `projection` (folded up to `seq`) at `asOf`: the projection's
    /// session report (state summary, checklists, controls), the approvals and commands, and
    /// the production gate as the session's opener would meet it. `nil` members when the
    /// session has no event yet.
    static func make(_ projection: LedgerProjection, stream: String, asOf: Timestamp, seq: Int64) -> JSONValue {
        let report = projection.evaluate(at: asOf)
        let sessionJSON = report.json["sessions"]?.arrayValue?.first { $0["stream"]?.stringValue == stream } ?? .null
        let events = projection.sessionEvents(stream)
        let state = SessionState(events: events)
        let runbook = LedgerProjection.builtInRunbooks.first {
            $0.id == state.runbookID && $0.sha256 == state.runbookSHA256
        }
        return JB.obj([
            ("seq", JB.int(seq)), ("asOf", .string(asOf.rfc3339)), ("session", sessionJSON),
            ("approvals", .array(state.approvals.map(approvalJSON))),
            ("commands", .array(state.commandOrder.compactMap { state.commands[$0] }.map(commandJSON))),
            ("gate", gateJSON(state: state, runbook: runbook, keys: projection.keys)),
        ])
    }

    static func approvalJSON(_ a: SessionState.Approval) -> JSONValue {
        JB.obj([
            ("seq", JB.int(a.seq)), ("actor", .string(a.actor)), ("key", .string(a.key)), ("granted", .bool(a.granted)),
            ("scope", .string(a.scope)),
        ])
    }

    static func commandJSON(_ c: SessionState.Command) -> JSONValue {
        JB.obj([
            ("commandId", .string(c.commandId)), ("argv", JB.strings(c.argv)), ("actor", .string(c.actor)),
            ("startSeq", JB.int(c.startSeq)), ("finishSeq", c.finishSeq.map { JB.int($0) } ?? .null),
            ("outcome", JB.str(c.outcome)), ("exitCode", c.exitCode.map { JB.int($0) } ?? .null),
        ])
    }

    /// The production gate as the session's opener would meet it, when the runbook is known.
    static func gateJSON(state: SessionState, runbook: Runbook?, keys: [String: KeyHistory]) -> JSONValue {
        guard let runbook, let executor = state.openedBy else { return .null }
        let d = PolicyGate.evaluate(state: state, runbook: runbook, executor: executor) { key, seq in
            keys[key]?.held(.approver, at: seq) ?? false
        }
        return JB.obj([("forActor", .string(executor)), ("open", .bool(d.isOpen)), ("missing", JB.strings(d.missing))])
    }

    /// The state as keyed lines: the session, each checklist line recorded, each approval and
    /// command, the gate, each control; in a stable order.
    static func lines(_ state: JSONValue) -> [ReplayLine] {
        var out: [ReplayLine] = []
        let session = state["session"]
        let hasSession = session.map { !$0.isNull } ?? false
        if let session, hasSession {
            out += headerLines(session)
            out += checklistLines(session["checklists"]?.arrayValue ?? [])
        }
        out += (state["approvals"]?.arrayValue ?? []).map(approvalLine)
        out += (state["commands"]?.arrayValue ?? []).map(commandLine)
        out += gateLines(state["gate"] ?? .null)
        if let session, hasSession { out += (session["controls"]?.arrayValue ?? []).map(controlLine) }
        return out
    }

    private static func s(_ v: JSONValue?) -> String { v?.stringValue ?? "—" }

    private static func ref(_ v: JSONValue?) -> String {
        guard let seq = v?["seq"]?.int64Value, let h = v?["eventHash"]?.stringValue else { return "—" }
        return "#\(seq) \(h.prefix(12))"
    }

    /// The session, its outcome, alembic revisions, executors and emergency override.
    static func headerLines(_ session: JSONValue) -> [ReplayLine] { headerLines { session[$0] } }

    /// ``headerLines(_:)`` from the session's members, by name.
    static func headerLines(_ member: (String) -> JSONValue?) -> [ReplayLine] {
        var out: [ReplayLine] = []
        let session = member
        let st = member("state")
        out.append(
            (
                "session",
                "\(s(session("environment"))) migration \(s(session("migrationId"))), ticket \(s(session("changeTicket")))"
            ))
        out.append(("outcome", st?["outcome"]?.stringValue ?? "open"))
        out.append(("alembic", "\(s(st?["alembicFrom"])) → \(s(st?["alembicTo"])), current \(s(st?["alembicCurrent"]))"))
        let executors = (st?["executors"]?.arrayValue ?? []).compactMap(\.stringValue)
        out.append(("executors", executors.isEmpty ? "—" : executors.joined(separator: ", ")))
        if let o = st?["override"], !o.isNull { out.append(("emergency override", ref(o))) }
        return out
    }

    /// Each checklist line recorded, then how many of all are.
    static func checklistLines(_ lists: [JSONValue]) -> [ReplayLine] {
        var out: [ReplayLine] = []
        var recorded = 0
        var total = 0
        for list in lists {
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
        return out
    }

    static func approvalLine(_ a: JSONValue) -> ReplayLine {
        (
            "approval #\(a["seq"]?.int64Value ?? 0)",
            "\(a["granted"]?.boolValue == true ? "granted" : "denied") by \(s(a["actor"])) (\(s(a["scope"])))"
        )
    }

    static func commandLine(_ c: JSONValue) -> ReplayLine {
        let argv = (c["argv"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: " ")
        var v = "\(argv) by \(s(c["actor"])): \(c["outcome"]?.stringValue ?? "running")"
        if let x = c["exitCode"]?.int64Value { v += ", exit \(x)" }
        return ("command \(s(c["commandId"]))", v)
    }

    static func gateLines(_ g: JSONValue) -> [ReplayLine] {
        guard !g.isNull else { return [] }
        let missing = (g["missing"]?.arrayValue ?? []).compactMap(\.stringValue)
        return [("gate for \(s(g["forActor"]))", g["open"]?.boolValue == true ? "open" : "closed: " + missing.joined(separator: "; "))]
    }

    static func controlLine(_ c: JSONValue) -> ReplayLine {
        let status = s(c["status"]).uppercased()
        let fresh = c["freshness"]?.stringValue.map { ", \($0)" } ?? ""
        return ("control \(s(c["id"]))", status + fresh)
    }
}
