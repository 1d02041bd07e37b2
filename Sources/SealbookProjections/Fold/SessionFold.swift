public import SealbookCore
public import SealbookRunbook

/// One session folded event by event, with its report kept up to date: what `sealbook replay`
/// shows after each of a session's events, without evaluating the whole projection again at
/// every one of them.
///
/// ``apply(_:)`` takes the verified events of the log in `seq` order (the key events and the
/// session's own; any other is skipped): the session's state, its events by type, its anchors
/// and executors and the key history advance by one event. ``report(at:)`` then gives the
/// session's ``SessionReport`` at an as-of time, equal to the session's report in
/// ``LedgerProjection/evaluate(at:catalog:runbooks:)`` over the same events (the test suite
/// checks this after every event of long, randomised sessions). A control is evaluated again
/// only when something it reads changed:
///
/// - an event its rule tree reads (its types, `where` members and checklist items, through
///   every `control` reference and its conditions); a rule admitting only events before an
///   anchor that already happened reads no later event;
/// - anything every rule reads: an anchor, the session's opening or close (environment,
///   runbook, requester), its executors, the key history;
/// - the as-of time, once it leaves the interval over which every comparison the evaluation
///   made with it (deadlines, window ends, evidence age) comes out the same.
///
/// Otherwise its last result is kept, and other controls that refer to it reuse its outcome.
public struct SessionFold: Sendable {
    /// What the last ``report(at:)`` changed, for callers that keep derived views up to date.
    public struct Change: Sendable, Equatable {
        /// Positions in ``SessionReport/controls`` whose result differs from the previous report.
        public let controls: [Int]
        /// Positions in ``SessionReport/checklists`` that differ from the previous report.
        public let checklists: [Int]
        /// The session's opening, close, runbook, anchors, executors or keys moved: anything
        /// in the report may have changed (the first report is one).
        public let all: Bool
    }

    /// The session's stream (`session/<id>`).
    public let stream: String
    public let catalog: ControlCatalog
    public let runbooks: [Runbook]
    /// The session's state, folded from its events.
    public private(set) var state = SessionState()
    /// The session's events so far, in `seq` order.
    public private(set) var events: [VerifiedEvent] = []
    /// The `seq` of the last event applied (0 before any).
    public private(set) var lastSeq: Int64 = 0
    /// The runbook the session follows, among ``runbooks`` by id and SHA-256; nil when unknown.
    public private(set) var runbook: Runbook?
    /// How many key events (genesis, enrolment, revocation) were applied.
    public private(set) var keyEvents = 0
    /// What the last ``report(at:)`` changed.
    public private(set) var lastChange = Change(controls: [], checklists: [], all: true)

    /// The key events, folded as ``LedgerProjection`` folds them.
    private var keyFold = LedgerProjection()
    private var byType: [String: [VerifiedEvent]] = [:]
    private var afterClose: [LateEvent] = []
    private var anchors: [String: VerifiedEvent] = [:]
    private var refs: [Int64: EvidenceRef] = [:]
    private var executorActors: Set<String> = []
    private var executorKeys: Set<String> = []
    private var pairings: [Pairing.Key: Pairing] = [:]
    private var checklistByItem: [String: [VerifiedEvent]] = [:]

    /// The catalog's session controls, in catalog order, and what each reads.
    private let controls: [Control]
    private let watches: [String: [(control: Int, entry: ControlInputs.Entry)]]
    private let alwaysEvaluated: [Int]

    /// A control's outcome (what other controls that refer to it reuse) and the as-of
    /// interval over which it holds.
    private struct Cached: Sendable {
        let outcome: Outcome
        let outcomeInterval: AsOfInterval
    }
    private var cached: [Cached?]
    /// The as-of interval over which each control's result in ``results`` holds (empty: none).
    private var resultIntervals: [AsOfInterval]
    private var touched: [Bool]
    private var touchedAll = true

    private var checklists: [ChecklistView] = []
    /// Checklist item id → the (list, line) positions where it appears.
    private var checklistPositions: [String: [(list: Int, line: Int)]] = [:]
    private var checklistsTouched: Set<Int> = []
    /// The controls' results in the last report.
    private var results: [ControlResult] = []
    /// The controls that other controls refer to (`control` rules): their outcomes are
    /// reused, not evaluated again, when nothing they read moved.
    private let referenced: [Int]
    private static let placeholder = ControlResult(
        id: "", title: "", framework: "", references: [], covers: [], status: .pending, freshness: nil, evidence: [],
        reasons: [], exception: nil)

    /// A fold of no event yet.
    public init(stream: String, catalog: ControlCatalog = .builtIn, runbooks: [Runbook] = LedgerProjection.builtInRunbooks) {
        self.stream = stream
        self.catalog = catalog
        self.runbooks = runbooks
        let controls = catalog.controls.filter { $0.scope == .session }
        self.controls = controls
        var watches: [String: [(control: Int, entry: ControlInputs.Entry)]] = [:]
        var always: [Int] = []
        var pairings: [Pairing.Key: Pairing] = [:]
        for (i, c) in controls.enumerated() {
            let inputs = ControlInputs(c, catalog: catalog)
            if inputs.everything { always.append(i) }
            for (type, entries) in inputs.byType {
                for entry in entries { watches[type, default: []].append((i, entry)) }
            }
            for key in c.rule.pairings(catalog: catalog, visiting: [c.id]) where pairings[key] == nil {
                if let p = Pairing(key) { pairings[key] = p }
            }
        }
        self.watches = watches
        self.alwaysEvaluated = always
        let ids = Dictionary(controls.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.referenced = Set(controls.flatMap { $0.rule.controlReferences }).compactMap { ids[$0] }.sorted()
        self.pairings = pairings
        cached = Array(repeating: nil, count: controls.count)
        resultIntervals = Array(repeating: AsOfInterval(lo: 0, hi: 0), count: controls.count)
        touched = Array(repeating: false, count: controls.count)
    }

    /// The key history folded so far.
    public var keys: [String: KeyHistory] { keyFold.keys }

    /// Applies the next verified event. Key events (`ledger.genesis`, `key.enrolled`,
    /// `key.revoked`, in whatever stream) move the key history, events of ``stream`` the
    /// session; any other is skipped. Returns whether it was an event of the session.
    /// - Throws: ``ProjectionError/outOfOrder(seq:after:)`` when `seq` does not increase.
    @discardableResult
    public mutating func apply(_ e: VerifiedEvent) throws(ProjectionError) -> Bool {
        guard e.seq > lastSeq else { throw .outOfOrder(seq: e.seq, after: lastSeq) }
        lastSeq = e.seq
        switch e.type {
        case FormatV1.genesisType, FormatV1.keyEnrolledType, FormatV1.keyRevokedType:
            try keyFold.apply(e)
            keyEvents += 1
            touchedAll = true
        default:
            break
        }
        guard e.body.stream == stream else { return false }
        // After session.closed: listed; evaluated only when the runbook counts the type after
        // the close (as ``Evaluation`` does).
        if state.closed {
            let counted = runbook?.afterClose.contains(e.type) ?? false
            afterClose.append(LateEvent(e, counted: counted))
            if !counted { return true }
        }
        events.append(e)
        byType[e.type, default: []].append(e)
        refs[e.seq] = refs[e.seq] ?? e.ref
        state.apply(e)
        for key in pairings.keys where key.start == e.type || key.end == e.type { pairings[key]?.apply(e) }

        // Anchors: the first event of each kind (Subject.sessionAnchors).
        var global = false
        func first(_ name: String) {
            if anchors[name] == nil {
                anchors[name] = e
                global = true
            }
        }
        switch e.type {
        case "session.opened":
            first(Anchor.sessionOpened)
            global = true
            let found = runbooks.first { $0.id == state.runbookID && $0.sha256 == state.runbookSHA256 }
            if found != runbook || checklists.isEmpty { rebuildChecklistLayout(found) }
            runbook = found
            state.countedAfterClose = Set(found?.afterClose ?? [])
        case "session.closed":
            first(Anchor.sessionClosed)
            global = true
        case "migration.applied":
            first(Anchor.migrationCompleted)
            first(Anchor.migrationStarted)
        case "override.recorded":
            first(Anchor.overrideRecorded)
        case "rollback.started":
            first(Anchor.rollbackStarted)
        case "command.started" where e.startsChange:
            first(Anchor.migrationStarted)
        default:
            break
        }
        // Executors (Subject.session): who ran a command or moved the schema, by actor and key.
        if ["command.started", "migration.applied", "migration.rolled-back"].contains(e.type) {
            let a = executorActors.insert(e.actor).inserted
            let k = executorKeys.insert(e.body.key).inserted
            if a || k { global = true }
        }
        if e.type == "checklist.item.recorded", let item = e.data["item"]?.stringValue {
            checklistByItem[item, default: []].append(e)
            for p in checklistPositions[item] ?? [] { checklistsTouched.insert(p.list) }
        }
        if global {
            touchedAll = true
        } else if let list = watches[e.type] {
            for (i, entry) in list where !touched[i] {
                if let b = entry.closedBy, anchors[b] != nil { continue }
                if entry.watch.admits(e) { touched[i] = true }
            }
        }
        return true
    }

    /// The session's report at `asOf`: the session's entry of
    /// ``LedgerProjection/evaluate(at:catalog:runbooks:)`` over the events applied so far.
    /// Controls whose inputs did not change and whose as-of interval holds `asOf` keep their
    /// last result.
    public mutating func report(at asOf: Timestamp) -> SessionReport {
        for i in alwaysEvaluated { touched[i] = true }
        let all = touchedAll
        // The controls to evaluate: touched, never evaluated, or out of their as-of interval.
        let due = controls.indices.filter { i in all || touched[i] || !resultIntervals[i].contains(asOf) }
        var changed: [Int] = []
        if !due.isEmpty {
            let opened = anchors[Anchor.sessionOpened]
            var subject = Subject(
                scope: .session, id: stream, events: events, byType: byType, anchors: anchors, runbook: runbook,
                environment: opened?.data["environment"]?.stringValue, requester: opened,
                executorActors: executorActors, executorKeys: executorKeys,
                migrationID: opened?.data["migrationId"]?.stringValue,
                targetRevision: opened?.data["alembic"]?["to"]?.stringValue, incident: nil)
            subject.pairings = pairings
            subject.checklistByItem = checklistByItem
            let clock = AsOfRecorder(asOf)
            var evaluator = Evaluator(catalog: catalog, subject: subject, asOf: asOf, keys: keys)
            evaluator.clock = clock
            // Controls that others refer to keep their outcome when nothing they read moved.
            if !all {
                for i in referenced where !touched[i] {
                    if let k = cached[i], k.outcomeInterval.contains(asOf) {
                        evaluator.seed(controls[i].id, outcome: k.outcome, interval: k.outcomeInterval)
                    }
                }
            }
            if results.count != controls.count { results = Array(repeating: Self.placeholder, count: controls.count) }
            for i in due {
                clock.push()
                let r = evaluator.result(controls[i])
                let interval = clock.pop()
                let id = controls[i].id
                if let o = evaluator.memoised(id), let oi = evaluator.outcomeIntervals[id] {
                    cached[i] = Cached(outcome: o, outcomeInterval: oi)
                    resultIntervals[i] = interval
                } else {
                    cached[i] = nil
                    resultIntervals[i] = AsOfInterval(lo: 0, hi: 0)
                }
                if all || results[i] != r { changed.append(i) }
                results[i] = r
            }
        }

        var changedLists: [Int] = []
        if all {
            changedLists = Array(checklists.indices)
            for i in checklists.indices { checklists[i] = checklistView(i) }
        } else {
            for i in checklistsTouched.sorted() {
                let v = checklistView(i)
                if v != checklists[i] { changedLists.append(i) }
                checklists[i] = v
            }
        }
        lastChange = Change(controls: changed, checklists: changedLists, all: all)
        touchedAll = false
        checklistsTouched = []
        for i in touched.indices { touched[i] = false }

        let a = anchors
        let summary = SessionSummary(
            opened: a[Anchor.sessionOpened]?.ref, openedAt: a[Anchor.sessionOpened]?.body.time,
            requester: a[Anchor.sessionOpened]?.actor, closed: a[Anchor.sessionClosed]?.ref, outcome: state.outcome,
            alembicFrom: state.alembicFrom, alembicTo: state.alembicTo, alembicCurrent: state.alembicCurrent,
            approvedRevisions: state.approvedRevisions, appliedRevisions: state.appliedRevisions,
            migrationStarted: a[Anchor.migrationStarted]?.ref, migrationCompleted: a[Anchor.migrationCompleted]?.ref,
            override: a[Anchor.overrideRecorded]?.ref, executors: executorActors.sorted(), eventCount: events.count,
            lastSeq: events.last?.seq ?? 0, afterClose: afterClose)
        let reference: RunbookReference? = state.runbookID.map {
            RunbookReference(id: $0, version: state.runbookVersion ?? "", sha256: state.runbookSHA256 ?? "")
        }
        return SessionReport(
            stream: stream, sessionID: StreamID.sessionID(stream) ?? stream, migrationID: state.migrationID,
            environment: state.environment, changeTicket: state.changeTicket, runbook: reference,
            runbookKnown: runbook != nil, state: summary, checklists: checklists,
            controls: afterClose.contains(where: \.counted) ? results.map { $0.markingLate(afterClose) } : results)
    }

    // MARK: Checklists

    /// The runbook's checklists (pre-migration, then compliance) as the session's views show them.
    private var runbookLists: [(stage: String, list: Checklist)] {
        guard let runbook else { return [] }
        return runbook.checklists.map { ("pre-migration", $0) } + runbook.compliance.map { ("compliance", $0) }
    }

    private mutating func rebuildChecklistLayout(_ newRunbook: Runbook?) {
        runbook = newRunbook
        checklistPositions = [:]
        for (l, entry) in runbookLists.enumerated() {
            for (n, item) in entry.list.items.enumerated() { checklistPositions[item.id, default: []].append((l, n)) }
        }
        checklists = runbookLists.map { ChecklistView(id: $0.list.id, title: $0.list.title, stage: $0.stage, lines: []) }
    }

    /// Checklist `i` with each line's latest record (LedgerProjection.sessionReport).
    private func checklistView(_ i: Int) -> ChecklistView {
        let (stage, list) = runbookLists[i]
        let lines = list.items.map { item -> ChecklistLine in
            let rec = state.items[item.id]
            return ChecklistLine(
                item: item.id, title: item.title, critical: item.isCritical, status: rec?.status ?? "missing",
                value: rec?.value, unit: rec?.unit, evidence: rec.flatMap { refs[$0.seq] })
        }
        return ChecklistView(id: list.id, title: list.title, stage: stage, lines: lines)
    }
}
