internal import SealbookCore
internal import SealbookRunbook

// Incident reports: the timeline, the runbook's emergency phases and escalation response
// targets met or missed, rollbacks against their windows, and the GDPR Art. 33 clock.
//
// Timing conventions (docs/CONTROLS.md §5):
// - A runbook phase window is half-open, [from, to), like every runbook window: a phase is met
//   when one of its actions is recorded before the window's end. At exactly 5 minutes the
//   immediate phase is over, so an immediate action at 5:00.000 is late.
// - An escalation response time and the Art. 33 deadline are maxima: a response exactly 5
//   minutes after a level-2 escalation, or a notification exactly 72 hours after awareness,
//   is in time. "Immediate" (PT0S) is read as the catalog's `immediateWithin` (PT1M).

/// A timed event in a report: its signed (claimed) time and when it was on record.
public struct TimedRef: Sendable, Equatable {
    public let ref: EvidenceRef
    /// The body's signed time: what the signer claims.
    public let time: String
    /// When the server recorded it (``VerifiedEvent/witnessedTime``): what the ledger witnesses.
    public let recordedAt: String

    init(_ e: VerifiedEvent) {
        ref = e.ref
        time = e.body.time
        recordedAt = e.witnessedTime
    }
}

/// One line of an incident's timeline.
public struct TimelineEntry: Sendable, Equatable {
    public let ref: EvidenceRef
    public let time: String
    public let type: String
    public let actor: String
    public let stream: String
    /// A few words from the event's data.
    public let summary: String
}

/// `met`, `missed`, `pending`, `not-yet-due` (no action, and the phase's window has not opened
/// at `as_of`), `recorded-late` (met by the signed times, but the events were recorded further
/// apart than the target: the claim is not proof) or `not-evaluated` (the runbook is unknown).
public enum TimingStatus: String, Sendable {
    case met, missed, pending
    case notYetDue = "not-yet-due"
    case recordedLate = "recorded-late"
    case notEvaluated = "not-evaluated"
}

/// One emergency phase of the runbook, met or missed.
public struct PhaseResult: Sendable, Equatable {
    /// The runbook phase id, e.g. `immediate-actions`.
    public let id: String
    public let title: String
    /// The `phase` of `incident.action.recorded` events that count for it, e.g. `immediate`.
    public let actionPhase: String
    /// Milliseconds after the declaration: [start, end); end nil for an open-ended phase.
    public let windowStartMs: Int64
    public let windowEndMs: Int64?
    public let status: TimingStatus
    /// The phase's earliest action and how long after the declaration it came.
    public let firstAction: TimedRef?
    public let firstActionAfterMs: Int64?
    /// The same interval between the recording times.
    public let firstActionRecordedAfterMs: Int64?
    public let actions: [EvidenceRef]
}

/// One escalation (the opening level counts as the first) against its level's response target.
public struct EscalationResult: Sendable, Equatable {
    public let level: Int
    public let levelTitle: String?
    public let raised: TimedRef
    /// The runbook's response time for the level (after the immediate reading for PT0S).
    public let targetMs: Int64?
    /// The first incident action after the escalation.
    public let response: TimedRef?
    public let responseAfterMs: Int64?
    /// The same interval between the recording times.
    public let responseRecordedAfterMs: Int64?
    public let status: TimingStatus
}

/// A rollback against the window of its kind (measured from the migration's completion).
public struct RollbackResult: Sendable, Equatable {
    public let kind: String
    public let method: String?
    public let started: TimedRef
    /// `migration-completed`, or `migration-started` when the migration never completed.
    public let measuredFrom: String?
    public let afterMs: Int64?
    /// The same interval between the recording times.
    public let recordedAfterMs: Int64?
    /// The window of the runbook path named by `kind`, e.g. `PT0S..<PT5M after migration-completed`.
    public let window: String?
    /// Whether the start lies in the window by the signed times (always true for a path
    /// without one); nil when it cannot be told.
    public let withinWindow: Bool?
    /// In the window by the signed times but not by the recording times: the claim is not
    /// proof of a timely rollback.
    public let recordedLate: Bool
    public let completed: TimedRef?
    public let result: String?
}

/// The GDPR Art. 33 record of an incident.
public struct GDPRNotificationResult: Sendable, Equatable {
    /// `met`, `recorded-late` (the claimed `notifiedAt` is within the deadline but the
    /// notification was recorded after it), `late-with-reasons`, `late`, `missed`, `pending`,
    /// `not-required` (risk none) or `not-assessed`.
    public let status: String
    public let assessment: EvidenceRef?
    public let risk: String?
    public let awareAt: String?
    /// `awareAt` + 72 hours.
    public let deadline: String?
    public let notifications: [EvidenceRef]
    public let authority: String?
    public let notifiedAt: String?
    public let notifiedAfterMs: Int64?
    /// When the first notification was recorded: the server's `recordedAt`, else its signed
    /// time (which the append path holds to the server's clock within the ledger's skew).
    public let notificationRecordedAt: String?
    public let delayReason: String?
    /// Art. 33(3): (a) nature, (b) contact point, (c) likely consequences, (d) measures, each
    /// present in some notification (a notification may come in phases, Art. 33(4)).
    public let nature: Bool
    public let contactPoint: Bool
    public let consequences: Bool
    public let measures: Bool
    /// Also asked by Art. 33(3)(a): categories and approximate numbers, from the assessment.
    public let categoriesRecorded: Bool
    public let approxSubjectsRecorded: Bool

    /// All four Art. 33(3) elements are present.
    public var contentsComplete: Bool { nature && contactPoint && consequences && measures }
}

/// Everything the report says about one incident.
public struct IncidentReport: Sendable, Equatable {
    public let incidentID: String
    public let title: String?
    public let trigger: String?
    /// The latest level (opening level, then each escalation).
    public let level: Int?
    public let sessionStream: String?
    /// `open`, `resolved` or `closed`.
    public let status: String
    public let declared: TimedRef?
    public let timeline: [TimelineEntry]
    public let phases: [PhaseResult]
    public let escalations: [EscalationResult]
    public let rollbacks: [RollbackResult]
    public let gdpr: GDPRNotificationResult
    public let rootCause: String?
    public let resolution: String?
    public let lessonsLearned: String?
    /// Every `incident.action.recorded`, in order.
    public let actions: [TimelineEntry]
    /// Every event of the incident, in order.
    public let evidence: [EvidenceRef]
    public let controls: [ControlResult]
}

// MARK: - Computation

/// Parameters of the timing rules, read from the catalog's incident rules (with defaults).
struct IncidentPolicy {
    var immediateWithinMs: Int64 = 60_000
    var gdprDeadlineMs: Int64 = 72 * 3_600_000
    /// Runbook phase id → action phase, from `incident-phase` rules.
    var actionPhases: [String: String] = [:]

    init(catalog: ControlCatalog) {
        func walk(_ r: Rule) {
            switch r {
            case .escalationResponse(let ms): immediateWithinMs = ms
            case .gdprNotification(let ms): gdprDeadlineMs = ms
            case .incidentPhase(let phase, let action): actionPhases[phase] = action
            case .all(let rs), .any(let rs): rs.forEach(walk)
            default: break
            }
        }
        for c in catalog.controls where c.scope == .incident { walk(c.rule) }
    }

    /// The action phase for a runbook phase: the catalog's mapping, else the phase id itself, or
    /// its first word (`immediate-actions` → `immediate`).
    func actionPhase(for phase: String) -> String {
        actionPhases[phase] ?? phase.split(separator: "-").first.map(String.init) ?? phase
    }
}

/// The computed timings of one incident, shared by its report and its controls.
struct IncidentAnalysis {
    let id: String
    let events: [VerifiedEvent]
    let opened: VerifiedEvent?
    let closed: VerifiedEvent?
    let resolved: VerifiedEvent?
    let sessionStream: String?
    let phases: [PhaseResult]
    let escalations: [EscalationResult]
    let gdpr: GDPRNotificationResult
    let level: Int?

    init(id: String, events: [VerifiedEvent], runbook: Runbook?, policy: IncidentPolicy, asOf: Timestamp) {
        self.id = id
        self.events = events
        let opened = events.first { $0.type == "incident.opened" }
        self.opened = opened
        self.closed = events.first { $0.type == "incident.closed" }
        self.resolved = events.first { $0.type == "incident.resolved" }
        sessionStream = opened?.data["sessionStream"]?.stringValue
        let actions = events.filter { $0.type == "incident.action.recorded" }
        let isClosed = closed != nil

        // Phases.
        var phases: [PhaseResult] = []
        if let opened, let runbook {
            let t0 = opened.time
            for phase in runbook.emergencyResponse.phases {
                let actionPhase = policy.actionPhase(for: phase.id)
                let mine = actions.filter { $0.data["phase"]?.stringValue == actionPhase && $0.seq > opened.seq }
                let startMs = Int64(phase.window.start.seconds) * 1_000
                let endMs = phase.window.end.map { Int64($0.seconds) * 1_000 }
                // The earliest action by its signed time; of those signed before the window's end,
                // the earliest that was also recorded before it, if any (that one meets the phase).
                let earliest = mine.min { ($0.time, $0.seq) < ($1.time, $1.seq) }
                let provenInTime = endMs.flatMap { end in
                    mine.filter {
                        $0.time.milliseconds(since: t0) < end && $0.witnessed.milliseconds(since: opened.witnessed) < end
                    }.min { ($0.time, $0.seq) < ($1.time, $1.seq) }
                }
                let first = provenInTime ?? earliest
                let elapsed = asOf.milliseconds(since: t0)
                let firstAfter = first.map { $0.time.milliseconds(since: t0) }
                let firstRecordedAfter = first.map { $0.witnessed.milliseconds(since: opened.witnessed) }
                let status: TimingStatus
                if let endMs {
                    if let firstAfter, firstAfter < endMs {
                        status = (firstRecordedAfter ?? 0) < endMs ? .met : .recordedLate
                    } else if elapsed >= endMs || isClosed || firstAfter != nil {
                        status = .missed
                    } else {
                        status = elapsed < startMs ? .notYetDue : .pending
                    }
                } else {
                    status = first != nil ? .met : isClosed ? .missed : elapsed < startMs ? .notYetDue : .pending
                }
                phases.append(
                    PhaseResult(
                        id: phase.id, title: phase.title, actionPhase: actionPhase, windowStartMs: startMs,
                        windowEndMs: endMs,
                        status: status, firstAction: first.map(TimedRef.init),
                        firstActionAfterMs: firstAfter, firstActionRecordedAfterMs: firstRecordedAfter,
                        actions: mine.map(\.ref)))
            }
        }
        self.phases = phases

        // Escalations: the opening level, then every escalation.
        var raises: [(level: Int, event: VerifiedEvent)] = []
        if let opened, let l = opened.data["level"]?.int64Value { raises.append((Int(l), opened)) }
        for e in events where e.type == "incident.escalated" {
            if let l = e.data["toLevel"]?.int64Value { raises.append((Int(l), e)) }
        }
        level = raises.last?.level
        escalations = raises.map { raise in
            let response = actions.first { $0.seq > raise.event.seq }
            let level = runbook?.escalationLevel(raise.level)
            var target: Int64? = level.map { Int64($0.responseTime.seconds) * 1_000 }
            if target == 0 { target = policy.immediateWithinMs }
            let after = response.map { $0.time.milliseconds(since: raise.event.time) }
            let recordedAfter = response.map { $0.witnessed.milliseconds(since: raise.event.witnessed) }
            let status: TimingStatus
            if let target {
                if let after {
                    status = after > target ? .missed : (recordedAfter ?? 0) <= target ? .met : .recordedLate
                } else {
                    status = asOf.milliseconds(since: raise.event.time) > target || isClosed ? .missed : .pending
                }
            } else {
                status = .notEvaluated
            }
            return EscalationResult(
                level: raise.level, levelTitle: level?.title,
                raised: TimedRef(raise.event), targetMs: target,
                response: response.map(TimedRef.init), responseAfterMs: after, responseRecordedAfterMs: recordedAfter,
                status: status)
        }

        gdpr = Self.gdpr(events: events, deadlineMs: policy.gdprDeadlineMs, asOf: asOf)
    }

    /// The Art. 33 clock: from the latest assessment's `awareAt` to the earliest `notifiedAt`;
    /// a notification claimed in time but recorded after the deadline is not proof of it.
    static func gdpr(events: [VerifiedEvent], deadlineMs: Int64, asOf: Timestamp) -> GDPRNotificationResult {
        let assessment = events.last { $0.type == "gdpr.breach.assessed" }
        let notes = events.filter { $0.type == "gdpr.authority.notified" }
        func has(_ k: String) -> Bool { notes.contains { !($0.data["contents"]?[k]?.stringValue ?? "").isEmpty } }
        let risk = assessment?.data["risk"]?.stringValue
        let aware = assessment?.data["awareAt"]?.stringValue.flatMap { Timestamp(rfc3339: $0) }
        let deadline = aware?.adding(milliseconds: deadlineMs)
        let first = notes.compactMap { n in
            n.data["notifiedAt"]?.stringValue.flatMap { Timestamp(rfc3339: $0) }.map { (n, $0) }
        }
        .min { ($0.1, $0.0.seq) < ($1.1, $1.0.seq) }
        let delayReason = notes.compactMap { $0.data["delayReason"]?.stringValue }.first
        let status: String
        if assessment == nil {
            status = "not-assessed"
        } else if risk == "none" && notes.isEmpty {
            status = "not-required"
        } else if let deadline {
            if let first {
                let recorded = first.0.witnessed
                status =
                    first.1 > deadline
                    ? (delayReason != nil ? "late-with-reasons" : "late")
                    : recorded > deadline ? "recorded-late" : "met"
            } else {
                status = asOf <= deadline ? "pending" : "missed"
            }
        } else {
            status = "not-assessed"
        }
        return GDPRNotificationResult(
            status: status, assessment: assessment?.ref, risk: risk, awareAt: aware?.rfc3339,
            deadline: deadline?.rfc3339,
            notifications: notes.map(\.ref), authority: first?.0.data["authority"]?.stringValue,
            notifiedAt: first?.1.rfc3339,
            notifiedAfterMs: first.flatMap { f in aware.map { f.1.milliseconds(since: $0) } },
            notificationRecordedAt: first.map { $0.0.witnessed.rfc3339 },
            delayReason: delayReason, nature: has("nature"), contactPoint: has("dpoContact"),
            consequences: has("consequences"),
            measures: has("measures"),
            categoriesRecorded: !(assessment?.data["categories"]?.arrayValue ?? []).isEmpty,
            approxSubjectsRecorded: assessment?.data["approxSubjects"]?.int64Value != nil)
    }
}

/// Rollbacks of a session against their windows.
enum RollbackAnalysis {
    static func analyse(session events: [VerifiedEvent], anchors: [String: VerifiedEvent], runbook: Runbook?)
        -> [RollbackResult]
    {
        let starts = events.filter { $0.type == "rollback.started" }
        let anchorName =
            anchors[Anchor.migrationCompleted] != nil
            ? Anchor.migrationCompleted : anchors[Anchor.migrationStarted] != nil ? Anchor.migrationStarted : nil
        let anchor = anchorName.flatMap { anchors[$0] }
        return starts.enumerated().map { i, s in
            let kind = s.data["kind"]?.stringValue ?? ""
            let nextSeq = i + 1 < starts.count ? starts[i + 1].seq : Int64.max
            let done = events.first { $0.type == "rollback.completed" && $0.seq > s.seq && $0.seq < nextSeq }
            let path = runbook?.rollbackPath(kind)
            let after = anchor.map { s.time.milliseconds(since: $0.time) }
            let recordedAfter = anchor.map { s.witnessed.milliseconds(since: $0.witnessed) }
            var within: Bool?
            var recordedLate = false
            if let path {
                if let w = path.window {
                    if let after {
                        within =
                            after >= Int64(w.start.seconds) * 1_000
                            && (w.end.map { after < Int64($0.seconds) * 1_000 } ?? true)
                    }
                    // Only the end of the window is a deadline to prove.
                    if within == true, let end = w.end, let recordedAfter {
                        recordedLate = recordedAfter >= Int64(end.seconds) * 1_000
                    }
                } else {
                    within = true
                }
            }
            return RollbackResult(
                kind: kind, method: s.data["method"]?.stringValue, started: TimedRef(s),
                measuredFrom: anchorName, afterMs: after, recordedAfterMs: recordedAfter, window: path?.window?.description,
                withinWindow: within, recordedLate: recordedLate, completed: done.map(TimedRef.init),
                result: done?.data["result"]?.stringValue)
        }
    }
}

// MARK: - JSON forms

extension TimedRef {
    var json: JSONValue {
        J.obj([
            ("seq", J.int(ref.seq)), ("eventHash", .string(ref.eventHash.hex)), ("time", .string(time)),
            ("recordedAt", .string(recordedAt)),
        ])
    }
}

extension TimelineEntry {
    var json: JSONValue {
        J.obj([
            ("seq", J.int(ref.seq)), ("eventHash", .string(ref.eventHash.hex)), ("time", .string(time)),
            ("type", .string(type)),
            ("actor", .string(actor)), ("stream", .string(stream)), ("summary", .string(summary)),
        ])
    }
}

extension PhaseResult {
    var json: JSONValue {
        J.obj([
            ("id", .string(id)), ("title", .string(title)), ("actionPhase", .string(actionPhase)),
            ("windowStartMs", J.int(windowStartMs)), ("windowEndMs", J.opt(windowEndMs)),
            (
                "window",
                .string(
                    "[\(DurationText.iso(milliseconds: windowStartMs)), \(windowEndMs.map { DurationText.iso(milliseconds: $0) } ?? "∞"))"
                )
            ),
            ("status", .string(status.rawValue)), ("firstAction", firstAction?.json ?? .null),
            ("firstActionAfterMs", J.opt(firstActionAfterMs)),
            ("firstActionRecordedAfterMs", J.opt(firstActionRecordedAfterMs)), ("actions", J.refs(actions)),
        ])
    }
}

extension EscalationResult {
    var json: JSONValue {
        J.obj([
            ("level", J.int(level)), ("levelTitle", J.opt(levelTitle)), ("raised", raised.json),
            ("targetMs", J.opt(targetMs)),
            ("target", J.opt(targetMs.map { DurationText.iso(milliseconds: $0) })),
            ("response", response?.json ?? .null),
            ("responseAfterMs", J.opt(responseAfterMs)), ("responseRecordedAfterMs", J.opt(responseRecordedAfterMs)),
            ("status", .string(status.rawValue)),
        ])
    }
}

extension RollbackResult {
    var json: JSONValue {
        J.obj([
            ("kind", .string(kind)), ("method", J.opt(method)), ("started", started.json),
            ("measuredFrom", J.opt(measuredFrom)),
            ("afterMs", J.opt(afterMs)), ("recordedAfterMs", J.opt(recordedAfterMs)), ("window", J.opt(window)),
            ("withinWindow", J.opt(withinWindow)), ("recordedLate", .bool(recordedLate)),
            ("completed", completed?.json ?? .null), ("result", J.opt(result)),
        ])
    }
}

extension GDPRNotificationResult {
    var json: JSONValue {
        J.obj([
            ("status", .string(status)), ("assessment", J.ref(assessment)), ("risk", J.opt(risk)),
            ("awareAt", J.opt(awareAt)),
            ("deadline", J.opt(deadline)), ("notifications", J.refs(notifications)), ("authority", J.opt(authority)),
            ("notifiedAt", J.opt(notifiedAt)), ("notifiedAfterMs", J.opt(notifiedAfterMs)),
            ("notificationRecordedAt", J.opt(notificationRecordedAt)),
            ("delayReason", J.opt(delayReason)),
            (
                "article33_3",
                J.obj([
                    ("nature", .bool(nature)), ("contactPoint", .bool(contactPoint)),
                    ("consequences", .bool(consequences)),
                    ("measures", .bool(measures)), ("complete", .bool(contentsComplete)),
                    ("categoriesRecorded", .bool(categoriesRecorded)),
                    ("approxSubjectsRecorded", .bool(approxSubjectsRecorded)),
                ])
            ),
        ])
    }
}

extension IncidentReport {
    var json: JSONValue {
        J.obj([
            ("incidentId", .string(incidentID)), ("title", J.opt(title)), ("trigger", J.opt(trigger)),
            ("level", J.opt(level.map { Int64($0) })), ("sessionStream", J.opt(sessionStream)),
            ("status", .string(status)),
            ("declared", declared?.json ?? .null), ("timeline", .array(timeline.map(\.json))),
            ("phases", .array(phases.map(\.json))), ("escalations", .array(escalations.map(\.json))),
            ("rollbacks", .array(rollbacks.map(\.json))), ("gdpr", gdpr.json), ("rootCause", J.opt(rootCause)),
            ("resolution", J.opt(resolution)), ("lessonsLearned", J.opt(lessonsLearned)),
            ("actions", .array(actions.map(\.json))), ("evidence", J.refs(evidence)),
            ("controls", .array(controls.map(\.json))), ("summary", J.counts(StatusCounts(controls))),
        ])
    }
}
