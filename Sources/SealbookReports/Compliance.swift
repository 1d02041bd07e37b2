internal import SealbookCore
internal import SealbookProjections
internal import SealbookRunbook

/// One change in a compliance report's population: a session opened in the period.
struct PopulationEntry: Sendable {
    let session: SessionReport
    /// The session's opening time (its first event's when it has no `session.opened`).
    let start: Timestamp
    /// When the opening event was recorded (``VerifiedEvent/witnessedTime``).
    let recorded: Timestamp
    /// Nil when both times lie in the period; `recorded-outside-period` (signed in it, recorded
    /// outside it) or `signed-outside-period` (recorded in it, signed outside it).
    let periodFlag: String?
    /// The event that opened it (its first event).
    let first: VerifiedEvent?
    let incidents: [String]
    /// The session's controls of the selected frameworks.
    let controls: [ControlResult]
    let exceptionCount: Int
}

/// A control result that an auditor has to look at.
struct ExceptionEntry: Sendable {
    /// `session` or `incident`.
    let subjectKind: String
    /// The session id or incident id.
    let subject: String
    /// `fail`, `pending`, `deviation` (a pass that carries an override or a late notification),
    /// `evidence-expired` or `evidence-missing` (a pass whose evidence has aged out or is gone).
    let kind: String
    let control: ControlResult
    /// The projection's JSON of the control.
    let json: JSONValue
}

/// One cause of exceptions across the period: the same missing or failing record, however many
/// controls cite it and however many changes it touches (docs/REPORTS.md, "Exceptions by cause").
struct ExceptionCause: Sendable {
    /// The reason, as the controls give it, without the control id prefix and with every
    /// `seq N` written `seq …` (so one cause reads the same in every session).
    let cause: String
    /// The highest severity among the exceptions it groups.
    var severity: ControlSeverity
    /// Exception kinds (`fail`, `pending`, …), in order of first appearance.
    var kinds: [String] = []
    /// The sessions and incidents it touches, in order of first appearance.
    var subjects: [(kind: String, id: String)] = []
    /// The controls that cite it, in order of first appearance.
    var controls: [String] = []
    /// The exception rows it accounts for.
    var exceptions = 0
}

/// One control's results across the period.
struct ControlTally: Sendable {
    let id: String
    let title: String
    let framework: String
    let references: [String]
    var pass = 0
    var fail = 0
    var pending = 0
    var notApplicable = 0

    var total: Int { pass + fail + pending + notApplicable }
}

struct FrameworkTally: Sendable {
    let framework: String
    let controls: [ControlTally]

    var pass: Int { controls.reduce(0) { $0 + $1.pass } }
    var fail: Int { controls.reduce(0) { $0 + $1.fail } }
    var pending: Int { controls.reduce(0) { $0 + $1.pending } }
    var notApplicable: Int { controls.reduce(0) { $0 + $1.notApplicable } }
}

/// An incident of the period, with its controls of the selected frameworks.
struct PeriodIncident: Sendable {
    let report: IncidentReport
    let controls: [ControlResult]
    let start: Timestamp?
}

/// What a compliance report holds beyond its header.
struct ComplianceContent: Sendable {
    let selection: FrameworkSelection
    let from: Timestamp
    let to: Timestamp
    let population: [PopulationEntry]
    let frameworks: [FrameworkTally]
    let exceptions: [ExceptionEntry]
    /// The exceptions grouped by cause: highest severity first, then the most subjects.
    let causes: [ExceptionCause]
    let incidents: [PeriodIncident]

    /// Sessions whose opening lies in `[from, to)`, sorted by opening time then stream.
    static func build(_ ev: Evaluated, selection: FrameworkSelection, from: Timestamp, to: Timestamp) -> ComplianceContent {
        let inPeriod = { (t: Timestamp) in from <= t && t < to }
        var population: [PopulationEntry] = []
        for s in ev.report.sessions {
            let events = ev.projection.sessionEvents(s.stream)
            guard let first = events.first else { continue }
            let start =
                s.state.openedAt.flatMap { Timestamp(rfc3339: $0) } ?? Timestamp(rfc3339: first.body.time)
                ?? Timestamp(milliseconds: 0)
            // In the period by its signed opening time or by when that was recorded: a session
            // signed in January but recorded in December is in December's population, flagged.
            let recorded = Timestamp(rfc3339: first.witnessedTime) ?? start
            let signedIn = inPeriod(start)
            let recordedIn = inPeriod(recorded)
            guard signedIn || recordedIn else { continue }
            let flag: String? = signedIn == recordedIn ? nil : signedIn ? "recorded-outside-period" : "signed-outside-period"
            let incidents = ev.report.incidents.filter { $0.sessionStream == s.stream }.map(\.incidentID)
            let controls = s.controls.filter { selection.includes($0.framework) }
            population.append(
                PopulationEntry(
                    session: s, start: start, recorded: recorded, periodFlag: flag, first: first, incidents: incidents,
                    controls: controls,
                    exceptionCount: controls.filter { exceptionKind($0) != nil }.count))
        }
        population.sort { ($0.start, $0.session.stream) < ($1.start, $1.session.stream) }
        let streams = Set(population.map(\.session.stream))

        var incidents: [PeriodIncident] = []
        for r in ev.report.incidents {
            let start =
                r.declared.flatMap { Timestamp(rfc3339: $0.time) }
                ?? r.timeline.first.flatMap { Timestamp(rfc3339: $0.time) }
            let linked = r.sessionStream.map { streams.contains($0) } ?? false
            // By its signed declaration time or by when that was recorded, as sessions.
            let recorded = r.declared.flatMap { Timestamp(rfc3339: $0.recordedAt) }
            guard linked || start.map(inPeriod) == true || recorded.map(inPeriod) == true else { continue }
            incidents.append(
                PeriodIncident(report: r, controls: r.controls.filter { selection.includes($0.framework) }, start: start))
        }

        var exceptions: [ExceptionEntry] = []
        for p in population {
            let subject = ev.sessionJSON(p.session.stream)
            for c in p.controls {
                guard let kind = exceptionKind(c) else { continue }
                exceptions.append(
                    ExceptionEntry(
                        subjectKind: "session", subject: p.session.sessionID, kind: kind, control: c,
                        json: ev.controlJSON(subject: subject, id: c.id) ?? .null))
            }
        }
        for i in incidents {
            let subject = ev.incidentJSON(i.report.incidentID)
            for c in i.controls {
                guard let kind = exceptionKind(c) else { continue }
                exceptions.append(
                    ExceptionEntry(
                        subjectKind: "incident", subject: i.report.incidentID, kind: kind, control: c,
                        json: ev.controlJSON(subject: subject, id: c.id) ?? .null))
            }
        }

        // Per framework, every control of the catalog in catalog order, tallied over the
        // population's sessions and the period's incidents.
        let order = selection.names + ev.catalog.controls.map(\.framework).filter { !selection.names.contains($0) }
        var frameworks: [FrameworkTally] = []
        var seenFramework = Set<String>()
        for name in order where selection.includes(name) && seenFramework.insert(name).inserted {
            var tallies: [ControlTally] = []
            for control in ev.catalog.controls where control.framework == name {
                var t = ControlTally(id: control.id, title: control.title, framework: name, references: control.references)
                let results =
                    population.flatMap(\.controls).filter { $0.id == control.id }
                    + incidents.flatMap(\.controls).filter { $0.id == control.id }
                for r in results {
                    switch r.status {
                    case .pass: t.pass += 1
                    case .fail: t.fail += 1
                    case .pending: t.pending += 1
                    case .notApplicable: t.notApplicable += 1
                    }
                }
                tallies.append(t)
            }
            if !tallies.isEmpty { frameworks.append(FrameworkTally(framework: name, controls: tallies)) }
        }
        return ComplianceContent(
            selection: selection, from: from, to: to, population: population, frameworks: frameworks, exceptions: exceptions,
            causes: causes(of: exceptions, catalog: ev.catalog), incidents: incidents)
    }

    /// Groups exceptions by cause: one missing record is one cause, whichever controls cite it.
    static func causes(of exceptions: [ExceptionEntry], catalog: ControlCatalog) -> [ExceptionCause] {
        var byCause: [String: ExceptionCause] = [:]
        var order: [String] = []
        for e in exceptions {
            var severity = catalog.control(e.control.id)?.severity ?? .medium
            if e.control.exception?.kind == "recorded-late" { severity = .high }
            for text in causeTexts(e) {
                if byCause[text] == nil {
                    byCause[text] = ExceptionCause(cause: text, severity: severity)
                    order.append(text)
                }
                var c = byCause[text]!
                c.severity = min(c.severity, severity)
                if !c.kinds.contains(e.kind) { c.kinds.append(e.kind) }
                if !c.subjects.contains(where: { $0.kind == e.subjectKind && $0.id == e.subject }) {
                    c.subjects.append((e.subjectKind, e.subject))
                }
                if !c.controls.contains(e.control.id) { c.controls.append(e.control.id) }
                c.exceptions += 1
                byCause[text] = c
            }
        }
        let first = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        return order.map { byCause[$0]! }.sorted {
            ($0.severity, -$0.subjects.count, first[$0.cause]!) < ($1.severity, -$1.subjects.count, first[$1.cause]!)
        }
    }

    /// The causes one exception stands for.
    static func causeTexts(_ e: ExceptionEntry) -> [String] {
        let c = e.control
        switch e.kind {
        case "deviation":
            return ["\(c.exception?.kind ?? "deviation"): \(c.title)"]
        case "evidence-expired", "evidence-missing":
            return ["\(e.kind): \(c.title)"]
        default:
            if c.exception?.kind == "recorded-late" { return ["claimed in time, recorded late: \(c.title)"] }
            var out: [String] = []
            for r in c.reasons {
                let text = normalizedCause(r)
                if !out.contains(text) { out.append(text) }
            }
            return out.isEmpty ? [c.title] : out
        }
    }

    /// A reason without its leading control ids (`sox.audit-trail: …`) and with the numbers
    /// after each `seq ` replaced by `…`.
    static func normalizedCause(_ reason: String) -> String {
        var s = Substring(reason)
        // Leading "<control id>: " prefixes (dotted lower-case ids).
        while let colon = s.range(of: ": "),
            s[..<colon.lowerBound].contains("."),
            s[..<colon.lowerBound].allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "." || $0 == "-" })
        {
            s = s[colon.upperBound...]
        }
        var out = ""
        var rest = s
        while let r = rest.range(of: "seq ") {
            out += rest[..<r.upperBound]
            let after = rest[r.upperBound...]
            var i = after.startIndex
            func digits() -> Bool {
                let from = i
                while i < after.endIndex, after[i].isNumber { i = after.index(after: i) }
                return i > from
            }
            guard digits() else {
                rest = after
                continue
            }
            // More numbers after ", ": `seq 12, 14, 19`.
            while after[i...].hasPrefix(", ") {
                let save = i
                i = after.index(i, offsetBy: 2)
                if !digits() {
                    i = save
                    break
                }
            }
            out += "…"
            rest = after[i...]
        }
        return out + rest
    }

    /// Why a result is an exception, or nil when it is not one.
    static func exceptionKind(_ c: ControlResult) -> String? {
        switch c.status {
        case .fail: return "fail"
        case .pending: return "pending"
        case .notApplicable: return nil
        case .pass:
            if c.exception != nil { return "deviation" }
            if c.freshness == .expired { return "evidence-expired" }
            if c.freshness == .missing { return "evidence-missing" }
            return nil
        }
    }
}
