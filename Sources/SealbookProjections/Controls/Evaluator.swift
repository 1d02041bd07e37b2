internal import SealbookCore
internal import SealbookRunbook

/// A session or an incident with what the rules ask of it.
struct Subject {
    let scope: ControlScope
    let id: String
    let events: [VerifiedEvent]
    /// ``events`` by type, each list in `seq` order: the rules look up the few types they
    /// name instead of scanning every event of a long session for each rule.
    let byType: [String: [VerifiedEvent]]
    let anchors: [String: VerifiedEvent]
    let runbook: Runbook?
    // Sessions.
    let environment: String?
    let requester: VerifiedEvent?
    let executorActors: Set<String>
    let executorKeys: Set<String>
    let migrationID: String?
    let targetRevision: String?
    // Incidents.
    let incident: IncidentAnalysis?
    /// `paired` rules already matched up, event by event (``SessionFold``); a rule whose
    /// pairing is not here is matched from ``byType``.
    var pairings: [Pairing.Key: Pairing] = [:]
    /// `checklist.item.recorded` events by their `item` (``SessionFold``), each list in `seq`
    /// order; nil: found among ``byType``.
    var checklistByItem: [String: [VerifiedEvent]]?

    /// The subject's events of one type, in `seq` order.
    func events(ofType type: String) -> [VerifiedEvent] { byType[type] ?? [] }

    var closeAnchor: String { scope == .session ? Anchor.sessionClosed : Anchor.incidentClosed }
    var closed: Bool { anchors[closeAnchor] != nil }
    var noun: String { scope.rawValue }

    /// A session's anchors: the first event of each kind (docs/CONTROLS.md §3.1).
    static func sessionAnchors(_ events: [VerifiedEvent]) -> [String: VerifiedEvent] {
        var a: [String: VerifiedEvent] = [:]
        func first(_ name: String, _ test: (VerifiedEvent) -> Bool) {
            if let e = events.first(where: test) { a[name] = e }
        }
        first(Anchor.sessionOpened) { $0.type == "session.opened" }
        first(Anchor.migrationCompleted) { $0.type == "migration.applied" }
        first(Anchor.overrideRecorded) { $0.type == "override.recorded" }
        first(Anchor.sessionClosed) { $0.type == "session.closed" }
        first(Anchor.rollbackStarted) { $0.type == "rollback.started" }
        let change = events.first(where: \.startsChange)
        if let s = [change, a[Anchor.migrationCompleted]].compactMap({ $0 }).min(by: { $0.seq < $1.seq }) {
            a[Anchor.migrationStarted] = s
        }
        return a
    }

    static func incidentAnchors(_ events: [VerifiedEvent]) -> [String: VerifiedEvent] {
        var a: [String: VerifiedEvent] = [:]
        if let e = events.first(where: { $0.type == "incident.opened" }) { a[Anchor.incidentDeclared] = e }
        if let e = events.first(where: { $0.type == "incident.resolved" }) { a[Anchor.incidentResolved] = e }
        if let e = events.first(where: { $0.type == "incident.closed" }) { a[Anchor.incidentClosed] = e }
        return a
    }

    static func session(id: String, events: [VerifiedEvent], runbook: Runbook?) -> Subject {
        let byType = Dictionary(grouping: events, by: \.type)
        let opened = byType["session.opened"]?.first
        let executing = ["command.started", "migration.applied", "migration.rolled-back"].flatMap { byType[$0] ?? [] }
        return Subject(
            scope: .session, id: id, events: events, byType: byType, anchors: sessionAnchors(events), runbook: runbook,
            environment: opened?.data["environment"]?.stringValue, requester: opened,
            executorActors: Set(executing.map(\.actor)), executorKeys: Set(executing.map(\.body.key)),
            migrationID: opened?.data["migrationId"]?.stringValue,
            targetRevision: opened?.data["alembic"]?["to"]?.stringValue, incident: nil)
    }

    static func incident(_ analysis: IncidentAnalysis, runbook: Runbook?) -> Subject {
        Subject(
            scope: .incident, id: analysis.id, events: analysis.events,
            byType: Dictionary(grouping: analysis.events, by: \.type), anchors: incidentAnchors(analysis.events),
            runbook: runbook, environment: nil, requester: nil, executorActors: [], executorKeys: [], migrationID: nil,
            targetRevision: nil, incident: analysis)
    }
}

/// What a rule found.
struct Outcome {
    var status: ControlStatus
    /// Events cited, for every status.
    var evidence: [VerifiedEvent] = []
    /// Events that support a pass, whose age is the control's freshness.
    var proofs: [VerifiedEvent] = []
    var reasons: [String] = []
    var exception: ControlException?
    /// Failed results of what the rule asks to pass (e.g. `validation.recorded` with `result`
    /// `fail` where the rule asks for `pass`), in its window: cited first, whatever the status,
    /// so that a pass reached another way still shows the failure (docs/CONTROLS.md §2).
    var failures: [VerifiedEvent] = []
    /// The sentence naming ``failures``.
    var failureNotes: [String] = []

    static func pass(_ proofs: [VerifiedEvent], _ reason: String) -> Outcome {
        Outcome(status: .pass, evidence: proofs, proofs: proofs, reasons: [reason])
    }
    static func fail(_ evidence: [VerifiedEvent], _ reason: String) -> Outcome {
        Outcome(status: .fail, evidence: evidence, reasons: [reason])
    }
    static func pending(_ reason: String) -> Outcome { Outcome(status: .pending, reasons: [reason]) }
    /// Met by the signed times but not by the recording times (docs/CONTROLS.md §5): a FAIL with
    /// a `recorded-late` exception, never a PASS.
    static func recordedLate(_ evidence: [VerifiedEvent], _ reason: String) -> Outcome {
        var o = Outcome.fail(evidence, reason)
        o.exception = ControlException(
            kind: "recorded-late", events: evidence.map(\.ref), settledBy: nil,
            note: "claimed in time, recorded late: the ledger witnesses only the recording time")
        return o
    }
    static func notApplicable(_ reason: String) -> Outcome { Outcome(status: .notApplicable, reasons: [reason]) }
}

/// The events a timing admits, and whether its deadline has passed.
struct ResolvedTiming {
    var lo: Int64 = 0
    var hi: Int64?
    var windowStart: Timestamp?
    var windowEnd: Timestamp?
    /// The window's end measured on recording times (the anchor's witnessed time + the
    /// window's end): an event admitted by its signed time but recorded at or after this is
    /// recorded late.
    var recordedWindowEnd: Timestamp?
    /// An `after` or `within` anchor that has not happened: nothing can match yet.
    var unreached: String?
    /// A `before` anchor that has not happened.
    var beforeUnreached: String?
    var deadlinePassed = false
    var text = ""

    func admits(_ e: VerifiedEvent) -> Bool {
        guard unreached == nil, e.seq > lo else { return false }
        if let hi, e.seq >= hi { return false }
        if let windowStart, e.time < windowStart { return false }
        if let windowEnd, e.time >= windowEnd { return false }
        return true
    }

    /// Whether an admitted event was also recorded before the window's end.
    func recordedInTime(_ e: VerifiedEvent) -> Bool {
        recordedWindowEnd.map { e.witnessed < $0 } ?? true
    }
}

/// Evaluates the catalog's controls for one subject at one `as_of`.
struct Evaluator {
    let catalog: ControlCatalog
    let subject: Subject
    let asOf: Timestamp
    let keys: [String: KeyHistory]
    private var memo: [String: Outcome] = [:]
    /// When set, every comparison with `asOf` is noted, so that each control's result comes
    /// with the as-of times over which it holds (``SessionFold`` re-evaluates a control only
    /// when the time leaves them). Nil for a one-off evaluation: nothing is recorded.
    var clock: AsOfRecorder?
    /// The interval of each memoised outcome, when ``clock`` is set.
    private(set) var outcomeIntervals: [String: AsOfInterval] = [:]

    init(catalog: ControlCatalog, subject: Subject, asOf: Timestamp, keys: [String: KeyHistory]) {
        self.catalog = catalog
        self.subject = subject
        self.asOf = asOf
        self.keys = keys
    }

    /// Takes a control's outcome as already known, with the as-of interval over which it holds
    /// (``SessionFold``: a control none of whose inputs changed is not evaluated again, also
    /// where another control refers to it).
    mutating func seed(_ id: String, outcome: Outcome, interval: AsOfInterval) {
        memo[id] = outcome
        outcomeIntervals[id] = interval
    }

    /// The memoised outcome of a control, if it was evaluated (or seeded).
    func memoised(_ id: String) -> Outcome? { memo[id] }

    /// The approval scope that settles an emergency override: the catalog's first
    /// `independent-approval` rule with a `retrospective` member names it.
    var retrospectiveScope: String {
        func find(_ r: Rule) -> String? {
            switch r {
            case .independentApproval(let a): a.retrospectiveScope
            case .retrospectiveApproval(let scope, _): scope
            case .all(let rs), .any(let rs): rs.lazy.compactMap(find).first
            default: nil
            }
        }
        return catalog.controls.lazy.compactMap { find($0.rule) }.first ?? "retrospective"
    }

    /// Every control of the subject's scope, in catalog order.
    mutating func results() -> [ControlResult] {
        catalog.controls.filter { $0.scope == subject.scope }.map { result($0) }
    }

    mutating func result(_ c: Control) -> ControlResult {
        var o = outcome(c)
        if c.overridable, o.status == .fail, o.exception == nil, let ov = overrideBeforeStart() {
            o.exception = overrideException(
                ov, retrospective: retrospectiveApproval(after: ov, scope: retrospectiveScope))
        }
        // Failed results first, then the rest, each in seq order, each event once.
        var seen = Set<Int64>()
        let evidence = (o.failures.sorted { $0.seq < $1.seq } + o.evidence.sorted { $0.seq < $1.seq })
            .filter { seen.insert($0.seq).inserted }.map(\.ref)
        return ControlResult(
            id: c.id, title: c.title, framework: c.framework, references: c.references, covers: c.covers,
            status: o.status,
            freshness: freshness(c, o), evidence: evidence, reasons: o.reasons, exception: o.exception)
    }

    mutating func outcome(_ c: Control) -> Outcome {
        if let m = memo[c.id] {
            if let clock, let i = outcomeIntervals[c.id] { clock.merge(i) }
            return m
        }
        clock?.push()
        let o: Outcome
        if let why = inapplicable(c) {
            o = .notApplicable(why)
        } else {
            o = evaluate(c.rule)
        }
        memo[c.id] = o
        if let clock { outcomeIntervals[c.id] = clock.pop() }
        return o
    }

    // MARK: Applicability and freshness

    func inapplicable(_ c: Control) -> String? {
        for cond in c.appliesWhen {
            switch cond {
            case .environment(let envs):
                if !envs.contains(subject.environment ?? "") {
                    return
                        "applies to \(envs.joined(separator: " or ")) sessions; this one is \(subject.environment ?? "of unknown environment")"
                }
            case .event(let f):
                if !subject.events(ofType: f.type).contains(where: f.matches) {
                    return "applies only when the \(subject.noun) has a \(f.type) event"
                }
            case .noEvent(let f):
                if subject.events(ofType: f.type).contains(where: f.matches) {
                    return "does not apply when the \(subject.noun) has a \(f.type) event"
                }
            case .reached(let anchor):
                if subject.anchors[anchor] == nil { return "applies once the \(subject.noun) reaches \(anchor)" }
            case .breachRisk(let risks):
                let r = subject.incident?.gdpr.risk
                if !risks.contains(r ?? "") {
                    return r == nil
                        ? "applies when a GDPR breach assessment finds risk \(risks.joined(separator: " or ")); none is recorded"
                        : "applies when the breach risk is \(risks.joined(separator: " or ")); it was assessed as \(r!)"
                }
            }
        }
        return nil
    }

    func freshness(_ c: Control, _ o: Outcome) -> Freshness? {
        if o.status == .notApplicable { return nil }
        guard let p = c.freshness else { return !o.proofs.isEmpty || o.status == .pass ? .current : .missing }
        let aged = p.of.map { f in o.proofs.filter(f.matches) } ?? o.proofs
        guard let t = p.of != nil ? aged.map(\.time).max() : aged.map(\.time).min() else { return .missing }
        let (reference, live) = p.until.flatMap { subject.anchors[$0] }.map { ($0.time, false) } ?? (asOf, true)
        if live, let clock {
            // age > maxAge, age > maxAge - dueSoon: asOf at or after t + limit + 1 ms.
            clock.note(t.adding(milliseconds: p.maxAgeMs + 1))
            clock.note(t.adding(milliseconds: p.maxAgeMs - p.dueSoonMs + 1))
        }
        let age = reference.milliseconds(since: t)
        if age > p.maxAgeMs { return .expired }
        if live && age > p.maxAgeMs - p.dueSoonMs { return .dueSoon }
        return .current
    }

    // MARK: Timing

    func resolve(_ t: Timing) -> ResolvedTiming {
        var r = ResolvedTiming()
        var words: [String] = []
        if let a = t.after {
            if let e = subject.anchors[a] { r.lo = e.seq } else { r.unreached = a }
            words.append("after \(a)")
        }
        if let b = t.before {
            if let e = subject.anchors[b] { r.hi = e.seq } else { r.beforeUnreached = b }
            words.append("before \(b)")
        }
        if let u = t.until {
            if let e = subject.anchors[u] { r.hi = min(r.hi ?? e.seq, e.seq) }
            words.append("before \(u) (if any)")
        }
        if let w = t.within {
            if let e = subject.anchors[w.anchor] {
                r.lo = max(r.lo, e.seq)
                r.windowStart = e.time.adding(milliseconds: w.fromMs)
                r.windowEnd = w.toMs.map { e.time.adding(milliseconds: $0) }
                r.recordedWindowEnd = w.toMs.map { e.witnessed.adding(milliseconds: $0) }
            } else {
                r.unreached = r.unreached ?? w.anchor
            }
            let to = w.toMs.map { "<" + DurationText.iso(milliseconds: $0) } ?? ""
            words.append("within \(DurationText.iso(milliseconds: w.fromMs))..\(to) after \(w.anchor)")
        }
        if let end = r.windowEnd { clock?.note(end) }
        r.deadlinePassed = r.hi != nil || (r.windowEnd.map { asOf >= $0 } ?? false) || subject.closed
        r.text = words.isEmpty ? "in the \(subject.noun)" : words.joined(separator: ", ")
        return r
    }

    /// The verdict for events whose signed times lie in the window but that were recorded after
    /// its end (``ResolvedTiming/recordedWindowEnd``).
    func recordedLate(_ events: [VerifiedEvent], _ r: ResolvedTiming, _ what: String) -> Outcome {
        let at = events.map { "seq \($0.seq) claimed \($0.body.time), recorded \($0.witnessedTime)" }.joined(separator: "; ")
        return .recordedLate(
            events, "\(what) \(r.text) by its signed time but recorded after the window closed at \(r.recordedWindowEnd?.rfc3339 ?? "?") (\(at))")
    }

    /// The verdict when nothing matched.
    func nothingMatched(_ r: ResolvedTiming, _ what: String) -> Outcome {
        if let u = r.unreached {
            return subject.closed
                ? .notApplicable("the \(subject.noun) closed without \(u)") : .pending("waiting for \(u)")
        }
        if let b = r.beforeUnreached, subject.closed {
            return .notApplicable("the \(subject.noun) closed without \(b)")
        }
        if r.deadlinePassed { return .fail([], "no \(what) \(r.text)") }
        if let start = r.windowStart { clock?.note(start) }
        if let start = r.windowStart, asOf < start {
            return .pending("not yet due: the window \(r.text) opens at \(start.rfc3339)")
        }
        return .pending("no \(what) yet (\(r.text))")
    }

    // MARK: Rules

    mutating func evaluate(_ rule: Rule) -> Outcome {
        switch rule {
        case .checklistItem(let item, let accept, let allowNA, let timing):
            let r = resolve(timing)
            // The item's latest record that the timing admits.
            let records =
                subject.checklistByItem.map { $0[item] ?? [] }
                ?? subject.events(ofType: "checklist.item.recorded").filter { $0.data["item"]?.stringValue == item }
            guard let last = records.last(where: r.admits) else {
                return nothingMatched(r, "record of checklist item \(item)")
            }
            let status = last.data["status"]?.stringValue ?? ""
            if accept.contains(status) {
                if !r.recordedInTime(last) { return recordedLate([last], r, "checklist item \(item) recorded as \(status)") }
                return .pass([last], "checklist item \(item) recorded as \(status) at seq \(last.seq)")
            }
            if status == "n/a" && allowNA {
                var o = Outcome.notApplicable("checklist item \(item) recorded as not applicable at seq \(last.seq)")
                o.evidence = [last]
                return o
            }
            return .fail([last], "checklist item \(item) recorded as \(status) at seq \(last.seq)")

        case .eventExists(let f, let timing):
            let r = resolve(timing)
            let found = subject.events(ofType: f.type).filter { f.matches($0) && r.admits($0) }
            var o: Outcome
            if found.isEmpty {
                o = nothingMatched(r, describe(f))
            } else {
                let inTime = found.filter(r.recordedInTime)
                o = inTime.isEmpty ? recordedLate(found, r, describe(f)) : .pass(inTime, "\(describe(f)) at seq \(seqs(inTime))")
            }
            // The failed results of the same check in the same window, cited too.
            if let failed = f.failedCounterpart {
                let events = subject.events(ofType: failed.type).filter { failed.matches($0) && r.admits($0) }
                if !events.isEmpty {
                    o.failures = events
                    o.failureNotes = ["also on record: \(describe(failed)) at seq \(seqs(events))"]
                    o.reasons = o.failureNotes + o.reasons
                }
            }
            return o

        case .eventAbsent(let f, let timing):
            let r = resolve(timing)
            let found = subject.events(ofType: f.type).filter { f.matches($0) && r.admits($0) }
            if !found.isEmpty { return .fail(found, "\(describe(f)) at seq \(seqs(found))") }
            if let u = r.unreached {
                return subject.closed
                    ? .notApplicable("the \(subject.noun) closed without \(u)") : .pending("waiting for \(u)")
            }
            if r.deadlinePassed { return Outcome(status: .pass, reasons: ["no \(describe(f)) \(r.text)"]) }
            return .pending("no \(describe(f)) so far; final when the \(subject.noun) closes")

        case .document(let kinds, let timing):
            let parts = kinds.map { k in
                evaluate(
                    .eventExists(
                        EventFilter(type: "documentation.recorded", conditions: [(["kind"], .equals(.string(k)))]),
                        timing))
            }
            return combineAll(parts)

        case .independentApproval(let a):
            return independentApproval(a)

        case .retrospectiveApproval(let scope, let withinMs):
            guard let ov = subject.anchors[Anchor.overrideRecorded] else {
                return .notApplicable("no emergency override")
            }
            if let retro = retrospectiveApproval(after: ov, scope: scope) {
                var o = Outcome.pass(
                    [ov, retro],
                    "override at seq \(ov.seq) approved retrospectively by \(retro.actor) at seq \(retro.seq)")
                o.exception = overrideException(ov, retrospective: retro)
                return o
            }
            let deadline = ov.time.adding(milliseconds: withinMs)
            clock?.note(deadline.adding(milliseconds: 1))
            var o =
                asOf > deadline
                ? Outcome.fail(
                    [ov], "override at seq \(ov.seq) and no independent \(scope) approval by \(deadline.rfc3339)")
                : Outcome(
                    status: .pending, evidence: [ov],
                    reasons: [
                        "override at seq \(ov.seq); an independent \(scope) approval is due by \(deadline.rfc3339)"
                    ])
            o.exception = overrideException(ov, retrospective: nil)
            return o

        case .segregationOfDuties(let scopes):
            return segregation(scopes)

        case .paired(let start, let end, let by):
            return paired(start, end, by)

        case .control(let id):
            guard let c = catalog.control(id) else { return .fail([], "unknown control \(id)") }
            var o = outcome(c)
            o.reasons = o.reasons.map { "\(id): \($0)" }
            return o

        case .all(let rules):
            return combineAll(rules.map { evaluate($0) })

        case .any(let rules):
            let parts = rules.map { evaluate($0) }
            let passing = parts.filter { $0.status == .pass }
            if !passing.isEmpty {
                // Passed one way: the failures met on the other ways are still cited, first.
                var o = merge(passing, status: .pass)
                let others = parts.filter { $0.status != .pass }
                o.failures += others.flatMap(\.failures)
                o.failureNotes += others.flatMap(\.failureNotes)
                o.reasons = others.flatMap(\.failureNotes) + o.reasons
                return o
            }
            if parts.contains(where: { $0.status == .pending }) {
                return merge(parts.filter { $0.status == .pending }, status: .pending)
            }
            if parts.allSatisfy({ $0.status == .notApplicable }) { return merge(parts, status: .notApplicable) }
            return merge(parts.filter { $0.status == .fail }, status: .fail)

        case .rollbackWindow:
            return rollbackWindow()

        case .incidentPhase(let phase, _):
            guard let inc = subject.incident, subject.runbook != nil else {
                return .pending("the runbook of this incident is not known")
            }
            guard let p = inc.phases.first(where: { $0.id == phase }) else {
                return inc.opened == nil
                    ? .pending("no incident.opened") : .fail([], "the runbook has no emergency phase \(phase)")
            }
            let cited = subject.events.filter { e in p.actions.contains { $0.seq == e.seq } }
            let window =
                "[\(DurationText.iso(milliseconds: p.windowStartMs)), \(p.windowEndMs.map { DurationText.iso(milliseconds: $0) } ?? "∞"))"
            switch p.status {
            case .met:
                let first = cited.first { $0.seq == p.firstAction?.ref.seq }.map { [$0] } ?? []
                return .pass(
                    (inc.opened.map { [$0] } ?? []) + first,
                    "\(phase): first \(p.actionPhase) action \(DurationText.iso(milliseconds: p.firstActionAfterMs ?? 0)) after the declaration, window \(window)"
                )
            case .missed:
                let why =
                    p.firstActionAfterMs.map {
                        "first \(p.actionPhase) action came \(DurationText.iso(milliseconds: $0)) after the declaration, outside \(window)"
                    }
                    ?? "no \(p.actionPhase) action recorded in \(window)"
                return .fail((inc.opened.map { [$0] } ?? []) + cited, "\(phase): \(why)")
            case .recordedLate:
                let first = cited.filter { $0.seq == p.firstAction?.ref.seq }
                return .recordedLate(
                    (inc.opened.map { [$0] } ?? []) + first,
                    "\(phase): first \(p.actionPhase) action claimed \(DurationText.iso(milliseconds: p.firstActionAfterMs ?? 0)) after the declaration but recorded \(DurationText.iso(milliseconds: p.firstActionRecordedAfterMs ?? 0)) after it, outside \(window)"
                )
            case .notYetDue:
                return .pending("\(phase): not yet due; the window \(window) has not opened")
            case .pending, .notEvaluated:
                return .pending("\(phase): no \(p.actionPhase) action yet; the window \(window) is still open")
            }

        case .escalationResponse:
            guard let inc = subject.incident, inc.opened != nil else { return .pending("no incident.opened") }
            guard subject.runbook != nil else { return .pending("the runbook of this incident is not known") }
            var parts: [Outcome] = []
            for e in inc.escalations {
                let raised = subject.events.filter { $0.seq == e.raised.ref.seq }
                let resp = subject.events.filter { $0.seq == e.response?.ref.seq }
                let target = e.targetMs.map { DurationText.iso(milliseconds: $0) } ?? "?"
                switch e.status {
                case .met:
                    parts.append(
                        .pass(
                            raised + resp,
                            "level \(e.level) at seq \(e.raised.ref.seq): answered after \(DurationText.iso(milliseconds: e.responseAfterMs ?? 0)), target \(target)"
                        ))
                case .recordedLate:
                    parts.append(
                        .recordedLate(
                            raised + resp,
                            "level \(e.level) at seq \(e.raised.ref.seq): answer claimed after \(DurationText.iso(milliseconds: e.responseAfterMs ?? 0)) but recorded after \(DurationText.iso(milliseconds: e.responseRecordedAfterMs ?? 0)), target \(target)"
                        ))
                case .missed:
                    let why =
                        e.responseAfterMs.map { "answered after \(DurationText.iso(milliseconds: $0))" }
                        ?? "no response recorded"
                    parts.append(
                        .fail(raised + resp, "level \(e.level) at seq \(e.raised.ref.seq): \(why), target \(target)"))
                case .pending, .notYetDue:
                    parts.append(
                        .pending("level \(e.level) at seq \(e.raised.ref.seq): no response yet, target \(target)"))
                case .notEvaluated:
                    parts.append(
                        .fail(
                            raised,
                            "level \(e.level) at seq \(e.raised.ref.seq): the runbook has no such escalation level"))
                }
            }
            return combineAll(parts)

        case .breachAssessment:
            // The latest assessment recorded before the incident closed is the one that counts
            // (the Art. 33 clock and the notification controls read the latest too).
            let closedAt = subject.anchors[Anchor.incidentClosed]?.seq ?? Int64.max
            guard let a = subject.events.last(where: { $0.type == "gdpr.breach.assessed" && $0.seq < closedAt }) else {
                return subject.closed ? .fail([], "no gdpr.breach.assessed before the incident closed") : .pending("no gdpr.breach.assessed yet")
            }
            func given(_ k: String) -> Bool {
                guard let v = a.data[k] else { return false }
                if let s = v.stringValue { return !s.trimmingCharacters(in: .whitespaces).isEmpty }
                if let xs = v.arrayValue { return !xs.isEmpty }
                return v != .null
            }
            let risk = a.data["risk"]?.stringValue ?? "?"
            let missing: [String] =
                risk == "none"
                ? (given("justification") ? [] : ["justification"])
                : ["categories", "approxSubjects", "likelyConsequences", "measures"].filter { !given($0) }
            if missing.isEmpty {
                return .pass([a], "the latest breach assessment (seq \(a.seq), risk \(risk)) gives what Art. 33 asks")
            }
            return .fail(
                [a],
                "the latest breach assessment (seq \(a.seq), risk \(risk)) lacks \(missing.joined(separator: ", "))"
                    + (risk == "none" ? ": a no-risk finding needs its justification (Art. 33(1))" : " (Art. 33(3))"))

        case .gdprNotification:
            guard let g = subject.incident?.gdpr else { return .pending("no incident") }
            let assessment = subject.events.filter { $0.seq == g.assessment?.seq }
            let notes = subject.events.filter { e in g.notifications.contains { $0.seq == e.seq } }
            let clock = "aware at \(g.awareAt ?? "?"), deadline \(g.deadline ?? "?")"
            switch g.status {
            case "met":
                if !g.contentsComplete {
                    return .fail(
                        assessment + notes,
                        "notified at \(g.notifiedAt ?? "?") (\(clock)) but the Art. 33(3) contents are incomplete")
                }
                return .pass(assessment + notes, "notified at \(g.notifiedAt ?? "?"), \(clock)")
            case "recorded-late":
                return .recordedLate(
                    assessment + notes,
                    "notification claimed at \(g.notifiedAt ?? "?") but recorded only at \(g.notificationRecordedAt ?? "?"), "
                        + "after the deadline (\(clock)): the claim is not proof of a timely notification")
            case "late-with-reasons":
                var o = Outcome.pass(
                    assessment + notes, "notified late at \(g.notifiedAt ?? "?") (\(clock)), with reasons for the delay"
                )
                if !g.contentsComplete {
                    o = .fail(assessment + notes, "notified late and the Art. 33(3) contents are incomplete")
                }
                o.exception = ControlException(
                    kind: "late-notification-with-reasons", events: notes.map(\.ref), settledBy: nil,
                    note:
                        "notified after the deadline; Art. 33(1) accepts this only with reasons for the delay, which are recorded"
                )
                return o
            case "late":
                return .fail(
                    assessment + notes,
                    "notified late at \(g.notifiedAt ?? "?") (\(clock)) and no reason for the delay is recorded")
            case "missed":
                return .fail(assessment, "not notified, \(clock)")
            case "pending":
                return Outcome(status: .pending, evidence: assessment, reasons: ["not notified yet, \(clock)"])
            case "not-required":
                return Outcome(
                    status: .notApplicable, evidence: assessment,
                    reasons: ["assessed as unlikely to result in a risk (risk none)"])
            default:
                return .pending("no GDPR breach assessment recorded")
            }
        }
    }

    // MARK: Combinators

    func combineAll(_ parts: [Outcome]) -> Outcome {
        if parts.contains(where: { $0.status == .fail }) {
            return merge(parts, status: .fail, reasonsFrom: [.fail, .pending])
        }
        if parts.contains(where: { $0.status == .pending }) {
            return merge(parts, status: .pending, reasonsFrom: [.pending])
        }
        if parts.allSatisfy({ $0.status == .notApplicable }) { return merge(parts, status: .notApplicable) }
        return merge(parts, status: .pass)
    }

    func merge(_ parts: [Outcome], status: ControlStatus, reasonsFrom: Set<ControlStatus>? = nil) -> Outcome {
        var o = Outcome(status: status)
        for p in parts {
            o.evidence += p.evidence
            o.proofs += p.proofs
            o.failures += p.failures
            o.failureNotes += p.failureNotes
            if reasonsFrom.map({ $0.contains(p.status) }) ?? true { o.reasons += p.reasons }
            if o.exception == nil { o.exception = p.exception }
        }
        return o
    }

    func describe(_ f: EventFilter) -> String {
        guard !f.conditions.isEmpty else { return f.type }
        let conds = f.conditions.map { c -> String in
            let path = c.path.joined(separator: ".")
            switch c.match {
            case .equals(let v): return "\(path)=\(v.stringValue ?? v.description)"
            case .oneOf(let vs):
                return "\(path) in [\(vs.map { $0.stringValue ?? $0.description }.joined(separator: ", "))]"
            case .present(let p): return p ? "\(path) present" : "no \(path)"
            }
        }
        return "\(f.type) (\(conds.joined(separator: ", ")))"
    }

    func seqs(_ events: [VerifiedEvent]) -> String {
        let s = events.prefix(5).map { String($0.seq) }.joined(separator: ", ")
        return events.count > 5 ? s + ", …" : s
    }

    // MARK: Approvals and segregation of duties

    /// Why the approval `a` does not count, or nil when it does. `revokedBefore`: a key revoked
    /// at a `seq` below this no longer vouches for its approval (the change ran after the
    /// authority was withdrawn).
    func approvalProblem(_ a: VerifiedEvent, revokedBefore: Int64?) -> String? {
        let who = "approval at seq \(a.seq) by \(a.actor)"
        guard let k = keys[a.body.key] else {
            return "\(who): key \(a.body.key) is not in the key history this projection folded"
        }
        guard k.actor == a.actor else { return "\(who): key \(k.keyID) belongs to \(k.actor)" }
        guard k.held(.approver, at: a.seq) else {
            if k.enrolledAt >= a.seq { return "\(who): key \(k.keyID) was enrolled only at seq \(k.enrolledAt)" }
            if let r = k.revokedAt, r <= a.seq { return "\(who): key \(k.keyID) was revoked at seq \(r)" }
            return "\(who): key \(k.keyID) did not hold the approver role (roles: \(k.roles.joined(separator: ", ")))"
        }
        if let limit = revokedBefore, let r = k.revokedAt, r < limit {
            return "\(who): key \(k.keyID) was revoked at seq \(r), before the change ran"
        }
        if let req = subject.requester, req.actor == a.actor {
            return "\(who): self-approval, \(a.actor) opened the session"
        }
        if subject.executorActors.contains(a.actor) || subject.executorKeys.contains(a.body.key) {
            return "\(who): \(a.actor) also executed the change"
        }
        if let ap = a.data["approves"]?.objectValue {
            let m = ap["migrationId"]?.stringValue
            let rev = ap["revision"]?.stringValue
            if m != subject.migrationID || rev != subject.targetRevision {
                return
                    "\(who): approves migration \(m ?? "?") at revision \(rev ?? "?"), but the session runs \(subject.migrationID ?? "?") to \(subject.targetRevision ?? "?")"
            }
        }
        let scope = a.data["scope"]?.stringValue
        if let d = subject.events(ofType: "approval.denied").first(where: {
            $0.actor == a.actor && $0.seq > a.seq
                && $0.data["scope"]?.stringValue == scope
                && $0.seq < (revokedBefore ?? Int64.max)
        }) {
            return "\(who): withdrawn by approval.denied at seq \(d.seq)"
        }
        return nil
    }

    func approvals(scopes: [String], from lo: Int64 = 0, below hi: Int64 = Int64.max) -> [VerifiedEvent] {
        subject.events(ofType: "approval.granted").filter {
            $0.seq > lo && $0.seq < hi
                && scopes.contains($0.data["scope"]?.stringValue ?? "")
        }
    }

    /// The session's first override before the migration started (the emergency path).
    func overrideBeforeStart() -> VerifiedEvent? {
        guard let ov = subject.anchors[Anchor.overrideRecorded], let start = subject.anchors[Anchor.migrationStarted],
            ov.seq < start.seq
        else { return nil }
        return ov
    }

    func retrospectiveApproval(after ov: VerifiedEvent, scope: String) -> VerifiedEvent? {
        approvals(scopes: [scope], from: ov.seq).first { approvalProblem($0, revokedBefore: nil) == nil }
    }

    func overrideException(_ ov: VerifiedEvent, retrospective: VerifiedEvent?) -> ControlException {
        let note =
            retrospective.map {
                "emergency override at seq \(ov.seq), approved retrospectively by \($0.actor) at seq \($0.seq)"
            }
            ?? "emergency override at seq \(ov.seq): \(ov.data["justification"]?.stringValue ?? ""); no retrospective approval yet"
        return ControlException(kind: "emergency-override", events: [ov.ref], settledBy: retrospective?.ref, note: note)
    }

    func independentApproval(_ rule: ApprovalRule) -> Outcome {
        let anchor = subject.anchors[rule.before]
        let cutoff = anchor?.seq ?? Int64.max
        let candidates = approvals(scopes: rule.scopes, below: cutoff)
        var valid: [VerifiedEvent] = []
        var problems: [String] = []
        for a in candidates {
            if let p = approvalProblem(a, revokedBefore: cutoff) { problems.append(p) } else { valid.append(a) }
        }
        // A denial stands until a later counting approval names it (`supersedes`).
        let standing = subject.events(ofType: "approval.denied").filter { d in
            guard d.seq < cutoff, rule.scopes.contains(d.data["scope"]?.stringValue ?? ""),
                keys[d.body.key]?.held(.approver, at: d.seq) ?? false
            else { return false }
            return !valid.contains { $0.seq > d.seq && $0.data["supersedes"]?["denialSeq"]?.int64Value == d.seq }
        }
        if !standing.isEmpty {
            let which = standing.map {
                "approval.denied at seq \($0.seq) by \($0.actor) (\($0.data["reason"]?.stringValue ?? "no reason")) is not superseded by a later approval"
            }
            if anchor != nil { return Outcome(status: .fail, evidence: standing + valid, reasons: which + problems) }
            if subject.closed { return .notApplicable("the session closed without \(rule.before)") }
            return Outcome(status: .pending, evidence: standing + valid, reasons: which + problems)
        }
        if !valid.isEmpty {
            // The approval names the change: a migration.applied to another revision went past it.
            let approved = Set(valid.compactMap { $0.data["approves"]?["revision"]?.stringValue ?? subject.targetRevision })
            let beyond = subject.events(ofType: "migration.applied").filter { m in
                m.data["toRevision"]?.stringValue.map { !approved.contains($0) } ?? false
            }
            if !approved.isEmpty, !beyond.isEmpty {
                let which = beyond.map {
                    "migration.applied at seq \($0.seq) moved the schema to \($0.data["toRevision"]?.stringValue ?? "?"), "
                        + "beyond the approved revision \(approved.sorted().joined(separator: ", "))"
                }
                return Outcome(status: .fail, evidence: beyond + valid, reasons: which)
            }
            let who = valid.map { "\($0.actor) at seq \($0.seq)" }.joined(separator: ", ")
            let overruled = valid.compactMap { a in
                a.data["supersedes"]?["denialSeq"]?.int64Value.map {
                    "the approval at seq \(a.seq) supersedes the denial at seq \($0): \(a.data["supersedes"]?["reason"]?.stringValue ?? "")"
                }
            }
            var o = Outcome.pass(valid, "independent approval before \(rule.before) by \(who)")
            o.reasons += overruled
            return o
        }
        if anchor != nil, let retroScope = rule.retrospectiveScope, let ov = overrideBeforeStart(), ov.seq < cutoff {
            if let retro = retrospectiveApproval(after: ov, scope: retroScope) {
                var o = Outcome.pass(
                    [ov, retro],
                    "emergency change: override at seq \(ov.seq), retrospective approval by \(retro.actor) at seq \(retro.seq)"
                )
                o.exception = overrideException(ov, retrospective: retro)
                return o
            }
            let deadline = ov.time.adding(milliseconds: rule.retrospectiveWithinMs ?? 0)
            clock?.note(deadline.adding(milliseconds: 1))
            let late = asOf > deadline
            var o =
                late
                ? Outcome.fail(
                    [ov],
                    "emergency override at seq \(ov.seq) and no independent \(retroScope) approval by \(deadline.rfc3339)"
                )
                : Outcome(
                    status: .pending, evidence: [ov],
                    reasons: [
                        "emergency override at seq \(ov.seq); an independent \(retroScope) approval is due by \(deadline.rfc3339)"
                    ])
            o.reasons += problems
            o.exception = overrideException(ov, retrospective: nil)
            return o
        }
        if anchor != nil {
            return Outcome(
                status: .fail, evidence: candidates,
                reasons: ["no independent approval before \(rule.before)"] + problems)
        }
        if subject.closed { return .notApplicable("the session closed without \(rule.before)") }
        return Outcome(status: .pending, evidence: candidates, reasons: ["no independent approval yet"] + problems)
    }

    func segregation(_ scopes: [String]) -> Outcome {
        let all = approvals(scopes: scopes)
        let conflicts = all.filter {
            $0.actor == subject.requester?.actor || subject.executorActors.contains($0.actor)
                || subject.executorKeys.contains($0.body.key)
        }
        if !conflicts.isEmpty {
            let who = conflicts.map { "\($0.actor) at seq \($0.seq)" }.joined(separator: ", ")
            return .fail(conflicts, "approval by the requester or an executor of the change: \(who)")
        }
        if let start = subject.anchors[Anchor.migrationStarted], all.isEmpty {
            // An unapproved change: nobody independent of the executors approved it, so the
            // separation of duties is not shown (an emergency change shows it by the
            // retrospective approval, due while the session is open).
            if let ov = overrideBeforeStart(), !subject.closed {
                return Outcome(
                    status: .pending, evidence: [ov],
                    reasons: ["emergency change: no approval yet; the retrospective approval will show the separation of duties"])
            }
            return .fail([start], "the change ran at seq \(start.seq) and no one approved it: separation of duties is not shown")
        }
        if subject.anchors[Anchor.migrationStarted] != nil {
            return Outcome(
                status: .pass, evidence: all, proofs: all,
                reasons: [
                    "no approver requested or executed the change (executors: \(subject.executorActors.sorted().joined(separator: ", ")))"
                ])
        }
        if subject.closed { return .notApplicable("the session closed without \(Anchor.migrationStarted)") }
        return .pending("executors are known once the migration starts")
    }

    // MARK: Audit-trail pairs and rollbacks

    func paired(_ start: String, _ end: String, _ by: String?) -> Outcome {
        if let p = subject.pairings[Pairing.Key(start: start, end: end, by: by)] {
            return paired(start, end, unmatched: p.open, starts: p.startCount)
        }
        let starts = subject.events(ofType: start)
        let ends = subject.events(ofType: end)
        var unmatched: [VerifiedEvent] = []
        if let by {
            // A start is matched by a later end with the same `by` value. String values (the
            // usual case, e.g. commandId) are looked up by their latest end; any other value is
            // compared with the ends whose value is not a string.
            var latestEnd: [String: Int64] = [:]
            var otherEnds: [VerifiedEvent] = []
            for e in ends {
                if let k = e.data[by]?.stringValue { latestEnd[k] = max(latestEnd[k] ?? .min, e.seq) } else { otherEnds.append(e) }
            }
            for s in starts {
                let key = s.data[by]
                let matched =
                    if let k = key?.stringValue { (latestEnd[k] ?? .min) > s.seq } else {
                        otherEnds.contains { $0.seq > s.seq && $0.data[by] == key }
                    }
                if !matched { unmatched.append(s) }
            }
        } else {
            var open: [VerifiedEvent] = []
            for e in (starts + ends).sorted(by: { $0.seq < $1.seq }) {
                if e.type == start { open.append(e) } else if !open.isEmpty { open.removeFirst() }
            }
            unmatched = open
        }
        return paired(start, end, unmatched: unmatched, starts: starts.count)
    }

    /// The verdict of a `paired` rule from its unmatched starts (in `seq` order) and the
    /// number of starts.
    func paired(_ start: String, _ end: String, unmatched: [VerifiedEvent], starts: Int) -> Outcome {
        let what = "\(start) without a matching \(end)"
        if !unmatched.isEmpty {
            return subject.closed
                ? .fail(unmatched, "\(what) at seq \(seqs(unmatched))")
                : Outcome(status: .pending, evidence: unmatched, reasons: ["\(what) so far at seq \(seqs(unmatched))"])
        }
        guard let close = subject.anchors[subject.closeAnchor] else {
            return .pending("every \(start) so far has its \(end); the record is final when the \(subject.noun) closes")
        }
        return .pass([close], "every \(start) (\(starts)) has its \(end)")
    }

    func rollbackWindow() -> Outcome {
        let results = RollbackAnalysis.analyse(
            session: subject.events, anchors: subject.anchors, runbook: subject.runbook)
        if results.isEmpty { return .notApplicable("no rollback") }
        guard subject.runbook != nil else { return .pending("the session's runbook is not known to this evaluation") }
        var parts: [Outcome] = []
        for r in results {
            let cited = subject.events.filter { $0.seq == r.started.ref.seq || $0.seq == r.completed?.ref.seq }
            let at =
                r.afterMs.map { "\(DurationText.iso(milliseconds: $0)) after \(r.measuredFrom ?? "")" }
                ?? "with no migration to measure from"
            if r.recordedLate {
                let recorded = r.recordedAfterMs.map { DurationText.iso(milliseconds: $0) } ?? "?"
                parts.append(
                    .recordedLate(
                        cited,
                        "\(r.kind) rollback at seq \(r.started.ref.seq) claimed to start \(at) but recorded \(recorded) after \(r.measuredFrom ?? ""), outside \(r.window ?? "its window")"
                    ))
            } else if r.withinWindow == false {
                parts.append(
                    .fail(
                        cited,
                        "\(r.kind) rollback at seq \(r.started.ref.seq) started \(at), outside \(r.window ?? "its window")"
                    ))
            } else if r.withinWindow == nil {
                parts.append(
                    .fail(
                        cited,
                        "\(r.kind) rollback at seq \(r.started.ref.seq): the runbook has no such path, or there is no migration to measure from"
                    ))
            } else if r.result == "failed" {
                parts.append(.fail(cited, "\(r.kind) rollback at seq \(r.started.ref.seq) failed"))
            } else if r.completed == nil {
                parts.append(
                    subject.closed
                        ? .fail(cited, "\(r.kind) rollback at seq \(r.started.ref.seq) never completed")
                        : Outcome(
                            status: .pending, evidence: cited,
                            reasons: ["\(r.kind) rollback at seq \(r.started.ref.seq) in progress"]))
            } else {
                parts.append(
                    .pass(
                        cited,
                        "\(r.kind) rollback started \(at), within \(r.window ?? "its path (no window)"), completed"))
            }
        }
        return combineAll(parts)
    }
}
