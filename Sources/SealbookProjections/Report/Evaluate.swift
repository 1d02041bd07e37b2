internal import Dispatch
public import SealbookCore
public import SealbookRunbook

extension LedgerProjection {
    /// The runbooks built into the binary, FinGood first (the default for an incident that
    /// names no session).
    public static var builtInRunbooks: [Runbook] {
        [Runbook.builtIn]
            + Runbook.builtInIDs.filter { $0 != Runbook.builtIn.id }.compactMap { Runbook.builtIn(id: $0) }
    }

    /// Evaluates every control for every session and incident at `asOf`, an RFC 3339 time
    /// (see ``Timestamp``). Nothing here reads a clock: windows that are still open are pending
    /// as of `asOf`, and evidence ages up to `asOf`. The events are those applied so far (the
    /// position is ``lastSeq``); pick `asOf` at or after the last event's time.
    ///
    /// - Parameters:
    ///   - catalog: the controls (default: the built-in `schemas/controls`).
    ///   - runbooks: the runbooks sessions may follow; a session's runbook is found by id and
    ///     SHA-256. An incident uses its session's runbook; one that names no session (or a
    ///     session this projection has not seen) uses the first one.
    /// - Throws: ``ProjectionError/invalidAsOf(_:)``.
    public func evaluate(
        asOf: String, catalog: ControlCatalog = .builtIn, runbooks: [Runbook] = LedgerProjection.builtInRunbooks
    ) throws(ProjectionError) -> ControlReport {
        guard let t = Timestamp(rfc3339: asOf) else { throw .invalidAsOf(asOf) }
        return evaluate(at: t, catalog: catalog, runbooks: runbooks)
    }

    /// ``evaluate(asOf:catalog:runbooks:)`` with a parsed time.
    public func evaluate(
        at asOf: Timestamp, catalog: ControlCatalog = .builtIn, runbooks: [Runbook] = LedgerProjection.builtInRunbooks
    ) -> ControlReport {
        let policy = IncidentPolicy(catalog: catalog)
        // Each session, then each incident, is evaluated on its own: on all cores when there
        // are many, in order whatever the threads.
        let streams = sessionStreams
        let evaluated = Self.inParallel(streams.count) { i in
            sessionReport(streams[i], sessionEvents(streams[i]), catalog: catalog, runbooks: runbooks, asOf: asOf)
        }
        var sessionRunbooks: [String: Runbook?] = [:]
        for (stream, (_, runbook)) in zip(streams, evaluated) { sessionRunbooks[stream] = .some(runbook) }
        let sessions = evaluated.map(\.0)
        let ids = incidentIDs
        let incidents = Self.inParallel(ids.count) { [sessionRunbooks] i -> IncidentReport in
            let id = ids[i]
            let events = incidentEvents(id)
            let linked = events.first { $0.type == "incident.opened" }?.data["sessionStream"]?.stringValue
            // The linked session's runbook; the default one when the incident names no session
            // or a session this projection has not seen.
            let runbook: Runbook?
            if let linked, let known = sessionRunbooks.index(forKey: linked) {
                runbook = sessionRunbooks[known].value
            } else {
                runbook = runbooks.first
            }
            let analysis = IncidentAnalysis(id: id, events: events, runbook: runbook, policy: policy, asOf: asOf)
            var evaluator = Evaluator(
                catalog: catalog, subject: .incident(analysis, runbook: runbook), asOf: asOf, keys: keys)
            let sessionEvents = linked.map { self.sessionEvents($0) } ?? []
            return incidentReport(analysis, sessionEvents: sessionEvents, runbook: runbook, controls: evaluator.results())
        }
        return ControlReport(
            asOf: asOf, lastSeq: lastSeq, lastChainHash: lastChainHash, eventCount: eventCount,
            ruleSetSHA256: catalog.sha256,
            ruleSetFiles: catalog.files, sessions: sessions, incidents: incidents)
    }

    /// `transform(i)` for every `i` in `0..<count`, in order. With many items and more than one
    /// core, chunks of them run on all cores (`DispatchQueue.concurrentPerform` hands the
    /// chunks out as threads free up).
    static func inParallel<R>(_ count: Int, _ transform: @Sendable (Int) -> R) -> [R] {
        let chunk = 16
        let cores = System.activeProcessorCount
        guard cores > 1, count >= 2 * chunk else { return (0..<count).map(transform) }
        var out = [R?](repeating: nil, count: count)
        out.withUnsafeMutableBufferPointer { buffer in
            let slots = ResultSlots(base: buffer.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: (count + chunk - 1) / chunk) { c in
                for i in (c * chunk)..<min(count, (c + 1) * chunk) { slots.base[i] = transform(i) }
            }
        }
        return out.map { $0! }
    }

    private func sessionReport(
        _ stream: String, _ recorded: [VerifiedEvent], catalog: ControlCatalog, runbooks: [Runbook], asOf: Timestamp
    ) -> (SessionReport, Runbook?) {
        // What the session's stream holds after its session.closed is listed; it is evaluated
        // only when the session's runbook counts its type after the close (Runbook.afterClose).
        let end = recorded.firstIndex { $0.type == "session.closed" }.map { $0 + 1 } ?? recorded.count
        let opening = SessionState(events: recorded[..<end])
        let runbook = runbooks.first { $0.id == opening.runbookID && $0.sha256 == opening.runbookSHA256 }
        let counted = Set(runbook?.afterClose ?? [])
        let late = recorded[end...]
        let events = Array(recorded[..<end]) + late.filter { counted.contains($0.type) }
        let state = counted.isEmpty ? opening : SessionState(events: events, countedAfterClose: counted)
        let subject = Subject.session(id: stream, events: events, runbook: runbook)
        var evaluator = Evaluator(catalog: catalog, subject: subject, asOf: asOf, keys: keys)
        let bySeq = Dictionary(events.map { ($0.seq, $0.ref) }, uniquingKeysWith: { a, _ in a })
        var checklists: [ChecklistView] = []
        if let runbook {
            for (stage, lists) in [("pre-migration", runbook.checklists), ("compliance", runbook.compliance)] {
                for list in lists {
                    let lines = list.items.map { item -> ChecklistLine in
                        let rec = state.items[item.id]
                        return ChecklistLine(
                            item: item.id, title: item.title, critical: item.isCritical,
                            status: rec?.status ?? "missing",
                            value: rec?.value, unit: rec?.unit, evidence: rec.flatMap { bySeq[$0.seq] })
                    }
                    checklists.append(ChecklistView(id: list.id, title: list.title, stage: stage, lines: lines))
                }
            }
        }
        let a = subject.anchors
        let summary = SessionSummary(
            opened: a[Anchor.sessionOpened]?.ref, openedAt: a[Anchor.sessionOpened]?.body.time,
            requester: a[Anchor.sessionOpened]?.actor, closed: a[Anchor.sessionClosed]?.ref, outcome: state.outcome,
            alembicFrom: state.alembicFrom, alembicTo: state.alembicTo, alembicCurrent: state.alembicCurrent,
            approvedRevisions: state.approvedRevisions, appliedRevisions: state.appliedRevisions,
            migrationStarted: a[Anchor.migrationStarted]?.ref, migrationCompleted: a[Anchor.migrationCompleted]?.ref,
            override: a[Anchor.overrideRecorded]?.ref, executors: subject.executorActors.sorted(),
            eventCount: events.count,
            lastSeq: events.last?.seq ?? 0, afterClose: late.map { LateEvent($0, counted: counted.contains($0.type)) })
        let reference: RunbookReference? = state.runbookID.map {
            RunbookReference(id: $0, version: state.runbookVersion ?? "", sha256: state.runbookSHA256 ?? "")
        }
        let report = SessionReport(
            stream: stream, sessionID: StreamID.sessionID(stream) ?? stream, migrationID: state.migrationID,
            environment: state.environment, changeTicket: state.changeTicket, runbook: reference,
            runbookKnown: runbook != nil,
            state: summary, checklists: checklists, controls: evaluator.results().map { $0.markingLate(summary.afterClose) })
        return (report, runbook)
    }

    private func incidentReport(
        _ a: IncidentAnalysis, sessionEvents: [VerifiedEvent], runbook: Runbook?, controls: [ControlResult]
    ) -> IncidentReport {
        var seen = Set<Int64>()
        let timeline = (a.events + sessionEvents.filter { Self.incidentTimelineKinds.contains($0.type) })
            .sorted { $0.seq < $1.seq }
            .filter { seen.insert($0.seq).inserted }
            .map(Self.timelineEntry)
        let rollbacks = RollbackAnalysis.analyse(
            session: sessionEvents, anchors: Subject.sessionAnchors(sessionEvents), runbook: runbook)
        let status = a.closed != nil ? "closed" : a.resolved != nil ? "resolved" : "open"
        return IncidentReport(
            incidentID: a.id, title: a.opened?.data["title"]?.stringValue,
            trigger: a.opened?.data["trigger"]?.stringValue,
            level: a.level, sessionStream: a.sessionStream, status: status,
            declared: a.opened.map(TimedRef.init), timeline: timeline, phases: a.phases,
            escalations: a.escalations, rollbacks: rollbacks, gdpr: a.gdpr,
            rootCause: a.events.last { $0.type == "incident.resolved" }?.data["rootCause"]?.stringValue,
            resolution: a.events.last { $0.type == "incident.resolved" }?.data["resolution"]?.stringValue,
            lessonsLearned: a.closed?.data["lessonsLearned"]?.stringValue,
            actions: a.events.filter { $0.type == "incident.action.recorded" }.map(Self.timelineEntry),
            evidence: a.events.map(\.ref), controls: controls)
    }

    /// The session events an incident's timeline shows beside its own.
    static let incidentTimelineKinds: Set<String> = [
        "command.started", "command.finished", "migration.applied", "migration.rolled-back", "validation.recorded",
        "rollback.started", "rollback.completed", "traffic.stopped", "traffic.resumed", "backup.created",
        "backup.verified", "notification.sent", "override.recorded", "session.closed",
    ]

    static func timelineEntry(_ e: VerifiedEvent) -> TimelineEntry {
        TimelineEntry(
            ref: e.ref, time: e.body.time, type: e.type, actor: e.actor, stream: e.body.stream, summary: summary(e))
    }

    /// A few words from an event's data, at most 200 characters.
    static func summary(_ e: VerifiedEvent) -> String {
        let d = e.data
        func s(_ k: String) -> String { d[k]?.stringValue ?? "?" }
        func i(_ k: String) -> String { d[k]?.int64Value.map(String.init) ?? "?" }
        let text: String
        switch e.type {
        case "incident.opened": text = "level \(i("level")): \(s("title")) (trigger: \(s("trigger")))"
        case "incident.escalated": text = "level \(i("fromLevel")) → \(i("toLevel")): \(s("reason"))"
        case "incident.action.recorded": text = "\(s("phase")): \(s("action"))"
        case "incident.resolved": text = "root cause: \(s("rootCause")); resolution: \(s("resolution"))"
        case "incident.closed": text = "closed"
        case "gdpr.breach.assessed": text = "breach risk \(s("risk")), aware at \(s("awareAt"))"
        case "gdpr.authority.notified": text = "\(s("authority")) notified at \(s("notifiedAt"))"
        case "rollback.started": text = "\(s("kind")) rollback by \(s("method")): \(s("reason"))"
        case "rollback.completed": text = "\(s("kind")) rollback \(s("result"))"
        case "traffic.stopped": text = "\(s("scope")) stopped: \(s("reason"))"
        case "traffic.resumed": text = "\(s("scope")) resumed"
        case "migration.applied", "migration.rolled-back":
            text = "\(d["fromRevision"]?.stringValue ?? "(empty)") → \(d["toRevision"]?.stringValue ?? "(empty)")"
        case "validation.recorded": text = "\(s("phase")) \(s("check")): \(s("result"))"
        case "command.started": text = (d["argv"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: " ")
        case "command.finished": text = "\(s("outcome")), exit \(i("exitCode"))"
        case "notification.sent": text = "\(s("audience")) via \(s("channel")): \(s("subject"))"
        case "backup.created": text = "backup \(s("backupId"))"
        case "backup.verified": text = "backup \(s("backupId")) verified: \(s("result"))"
        case "override.recorded": text = "\(s("gate")): \(s("justification"))"
        case "session.closed": text = "outcome \(s("outcome"))"
        default: text = e.type
        }
        return text.count > 200 ? String(text.prefix(199)) + "…" : text
    }
}

/// The result slots of ``LedgerProjection/inParallel(_:_:)``.
// @unchecked Sendable: each chunk writes its own indices, and nothing reads the buffer until
// `concurrentPerform` has returned.
private struct ResultSlots<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
}
