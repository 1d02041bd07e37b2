// The rule language of schemas/controls/*.json (docs/CONTROLS.md §3): a handful of rule kinds,
// each a JSON object with a `kind`. Only what the catalog needs exists; an unknown kind, member,
// anchor or duration is refused when the catalog loads, never at evaluation.

internal import SealbookCore
internal import SealbookRunbook

/// What a control is evaluated for: each session, or each incident.
public enum ControlScope: String, Sendable, CaseIterable {
    case session, incident

    /// The named moments rules may refer to in this scope.
    var anchors: Set<String> {
        switch self {
        case .session: Anchor.sessionAnchors
        case .incident: Anchor.incidentAnchors
        }
    }
}

/// Named moments of a session or an incident (the first event of its kind, by `seq`).
enum Anchor {
    /// `session.opened`.
    static let sessionOpened = "session-opened"
    /// The first `command.started` whose `alembic.action` is `upgrade`, or the first
    /// `migration.applied` when that comes earlier: when the change began to run.
    static let migrationStarted = "migration-started"
    /// The first `migration.applied` (the runbook's `migration-completed`).
    static let migrationCompleted = "migration-completed"
    /// The first `override.recorded`.
    static let overrideRecorded = "override-recorded"
    /// `session.closed`: after it the session's record is final.
    static let sessionClosed = "session-closed"
    /// The first `rollback.started`: after it, checks speak of the rolled-back state, not of
    /// the change (rules bound by `until`).
    static let rollbackStarted = "rollback-started"
    /// `incident.opened`.
    static let incidentDeclared = "incident-declared"
    /// The first `incident.resolved`.
    static let incidentResolved = "incident-resolved"
    /// `incident.closed`: after it the incident's record is final.
    static let incidentClosed = "incident-closed"

    static let sessionAnchors: Set<String> = [
        sessionOpened, migrationStarted, migrationCompleted, overrideRecorded, sessionClosed, rollbackStarted,
    ]
    static let incidentAnchors: Set<String> = [incidentDeclared, incidentResolved, incidentClosed]
}

/// A time window measured from an anchor: `[anchor + from, anchor + to)`, open-ended without `to`.
struct RuleWindow: Sendable, Equatable {
    let anchor: String
    let fromMs: Int64
    let toMs: Int64?
}

/// Where a matching event must lie: after an anchor, before one, inside a window.
struct Timing: Sendable, Equatable {
    var after: String?
    var before: String?
    /// Like `before` when the anchor is reached; no bound when it never is (`before` would make
    /// the rule not applicable then).
    var until: String?
    var within: RuleWindow?

    static let none = Timing()
}

/// One condition of a `where` object, on the member at a dotted path of the event's data.
enum Match: Sendable, Equatable {
    case equals(JSONValue)
    case oneOf([JSONValue])
    case present(Bool)

    func test(_ value: JSONValue?) -> Bool {
        switch self {
        case .equals(let v): return value == v
        case .oneOf(let vs): return value.map { v in vs.contains(v) } ?? false
        case .present(let p): return (value != nil && value != .null) == p
        }
    }
}

/// Selects events: a type, and conditions on members of its data.
struct EventFilter: Sendable, Equatable {
    let type: String
    let conditions: [(path: [String], match: Match)]

    static func == (a: EventFilter, b: EventFilter) -> Bool {
        a.type == b.type && a.conditions.elementsEqual(b.conditions) { $0.path == $1.path && $0.match == $1.match }
    }

    /// The same filter asking for `result` `fail` where this one asks for `result` `pass`: the
    /// failed results of the check this filter looks for. Nil when it asks for no passing result.
    var failedCounterpart: EventFilter? {
        guard let i = conditions.firstIndex(where: { $0.path == ["result"] && $0.match == .equals(.string("pass")) }) else {
            return nil
        }
        var c = conditions
        c[i] = (["result"], .equals(.string("fail")))
        return EventFilter(type: type, conditions: c)
    }

    func matches(_ e: VerifiedEvent) -> Bool {
        guard e.type == type else { return false }
        return conditions.allSatisfy { c in
            var v: JSONValue? = .object(e.data)
            for p in c.path { v = v?[p] }
            return c.match.test(v)
        }
    }
}

/// When a control applies; all conditions must hold, else it is not applicable.
enum Condition: Sendable, Equatable {
    /// The session's environment is one of these.
    case environment([String])
    /// The subject has an event matching the filter.
    case event(EventFilter)
    /// The subject has no event matching the filter.
    case noEvent(EventFilter)
    /// The incident's latest GDPR breach assessment gives one of these risks.
    case breachRisk([String])
    /// The subject reached this anchor (e.g. `migration-started`).
    case reached(String)
}

/// How old a control's evidence may be.
struct FreshnessPolicy: Sendable, Equatable {
    let maxAgeMs: Int64
    let dueSoonMs: Int64
    /// Age is measured up to this anchor once it happened, else up to `as_of`.
    let until: String?
    /// Which evidence ages; nil: all of it (the oldest counts).
    let of: EventFilter?
}

/// A rule over a subject's events.
indirect enum Rule: Sendable, Equatable {
    case checklistItem(item: String, accept: [String], allowNotApplicable: Bool, timing: Timing)
    case eventExists(EventFilter, Timing)
    case eventAbsent(EventFilter, Timing)
    case document(kinds: [String], timing: Timing)
    case independentApproval(ApprovalRule)
    case retrospectiveApproval(scope: String, withinMs: Int64)
    case segregationOfDuties(scopes: [String])
    case paired(start: String, end: String, by: String?)
    case control(String)
    case all([Rule])
    case any([Rule])
    case rollbackWindow
    case incidentPhase(phase: String, actionPhase: String)
    case escalationResponse(immediateWithinMs: Int64)
    case gdprNotification(deadlineMs: Int64)
    /// The incident's latest `gdpr.breach.assessed`, before it closed, gives what Art. 33 asks:
    /// a justification for risk `none`, the Art. 33(3) contents for `risk` or `high`.
    case breachAssessment

    /// The rule kinds the language knows, as written in `kind`.
    static let kinds: [String] = [
        "checklist-item", "event-exists", "event-absent", "document", "independent-approval", "retrospective-approval",
        "segregation-of-duties",
        "paired", "control", "all", "any", "rollback-window", "incident-phase", "escalation-response",
        "gdpr-notification", "breach-assessment",
    ]

    /// The ids of the controls this rule refers to (`control` rules, at any depth).
    var controlReferences: [String] {
        switch self {
        case .control(let id): [id]
        case .all(let rs), .any(let rs): rs.flatMap(\.controlReferences)
        default: []
        }
    }
}

/// The parameters of `independent-approval`.
struct ApprovalRule: Sendable, Equatable {
    /// Approval scopes that count (`approval.granted` `scope`).
    let scopes: [String]
    /// The anchor the approval must precede (by `seq`).
    let before: String
    /// The emergency path: an `override.recorded` before the anchor stands in for the approval
    /// until an independent approval with this scope follows it, within this time.
    let retrospectiveScope: String?
    let retrospectiveWithinMs: Int64?
}

// MARK: - Parsing

/// Reads rules and their parts from parsed JSON, collecting every problem with its path.
struct RuleParser {
    let file: String
    let scope: ControlScope
    var problems: [ControlCatalogError.Problem] = []

    mutating func fail(_ path: String, _ message: String) {
        problems.append(.init(file: file, path: path, message: message))
    }

    /// Refuses members other than `allowed` in `o`.
    mutating func only(_ o: JSONObject, _ allowed: Set<String>, at path: String) {
        for k in o.keys where !allowed.contains(k) {
            fail("\(path).\(k)", "unknown member (allowed here: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    mutating func string(_ o: JSONObject, _ k: String, at path: String, required: Bool = true) -> String? {
        guard let v = o[k] else {
            if required { fail("\(path).\(k)", "required member is missing") }
            return nil
        }
        guard let s = v.stringValue, !s.isEmpty else {
            fail("\(path).\(k)", "must be a non-empty string")
            return nil
        }
        return s
    }

    mutating func strings(_ o: JSONObject, _ k: String, at path: String, required: Bool = true) -> [String]? {
        guard let v = o[k] else {
            if required { fail("\(path).\(k)", "required member is missing") }
            return nil
        }
        guard let a = v.arrayValue, !a.isEmpty, a.allSatisfy({ ($0.stringValue ?? "").isEmpty == false }) else {
            fail("\(path).\(k)", "must be a non-empty array of non-empty strings")
            return nil
        }
        return a.compactMap(\.stringValue)
    }

    mutating func duration(_ o: JSONObject, _ k: String, at path: String, required: Bool = true) -> Int64? {
        guard let text = string(o, k, at: path, required: required) else { return nil }
        guard let d = RunbookDuration(iso: text) else {
            fail(
                "\(path).\(k)",
                "must be an ISO 8601 duration of days, hours, minutes and seconds, e.g. PT5M, PT72H, P2D")
            return nil
        }
        return Int64(d.seconds) * 1_000
    }

    mutating func anchor(_ o: JSONObject, _ k: String, at path: String, required: Bool = false) -> String? {
        guard let a = string(o, k, at: path, required: required) else { return nil }
        guard scope.anchors.contains(a) else {
            fail(
                "\(path).\(k)",
                "unknown anchor \"\(a)\" for \(scope.rawValue) controls (known: \(scope.anchors.sorted().joined(separator: ", ")))"
            )
            return nil
        }
        return a
    }

    mutating func timing(_ o: JSONObject, at path: String) -> Timing {
        var t = Timing()
        t.after = anchor(o, "after", at: path)
        t.before = anchor(o, "before", at: path)
        t.until = anchor(o, "until", at: path)
        if let w = o["within"] {
            let wp = "\(path).within"
            guard let wo = w.objectValue else {
                fail(wp, "must be an object {\"anchor\", \"from\", \"to\"?}")
                return t
            }
            only(wo, ["anchor", "from", "to"], at: wp)
            if let a = anchor(wo, "anchor", at: wp, required: true), let from = duration(wo, "from", at: wp) {
                let to = duration(wo, "to", at: wp, required: false)
                if let to, to <= from { fail("\(wp).to", "must be after from") }
                t.within = RuleWindow(anchor: a, fromMs: from, toMs: to)
            }
        }
        return t
    }

    mutating func filter(_ o: JSONObject, at path: String) -> EventFilter? {
        guard let type = string(o, "type", at: path) else { return nil }
        guard FormatV1.isValidType(type) else {
            fail("\(path).type", "\"\(type)\" is not an event type name")
            return nil
        }
        var conditions: [(path: [String], match: Match)] = []
        if let w = o["where"] {
            guard let wo = w.objectValue else {
                fail("\(path).where", "must be an object of member path → value")
                return nil
            }
            for (k, v) in wo.members {
                let segments = k.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                guard !segments.contains(where: \.isEmpty) else {
                    fail("\(path).where.\(k)", "a member path is names joined by dots, e.g. alembic.action")
                    continue
                }
                switch v {
                case .array(let vs) where !vs.isEmpty: conditions.append((segments, .oneOf(vs)))
                case .object(let mo):
                    guard mo.keys == ["present"], let p = mo["present"]?.boolValue else {
                        fail("\(path).where.\(k)", "an object condition must be {\"present\": true|false}")
                        continue
                    }
                    conditions.append((segments, .present(p)))
                case .array: fail("\(path).where.\(k)", "a list of allowed values must not be empty")
                default: conditions.append((segments, .equals(v)))
                }
            }
        }
        return EventFilter(type: type, conditions: conditions)
    }

    mutating func rule(_ v: JSONValue, at path: String) -> Rule? {
        guard let o = v.objectValue else {
            fail(path, "a rule must be an object with a kind")
            return nil
        }
        guard let kind = string(o, "kind", at: path) else { return nil }
        let timingKeys: Set<String> = ["after", "before", "until", "within"]
        switch kind {
        case "checklist-item":
            only(o, timingKeys.union(["kind", "item", "status", "allowNotApplicable"]), at: path)
            let item = string(o, "item", at: path)
            let accept = strings(o, "status", at: path, required: false) ?? ["pass"]
            for s in accept where !["pass", "fail", "n/a"].contains(s) {
                fail("\(path).status", "\"\(s)\" is not a checklist status (pass, fail, n/a)")
            }
            var allowNA = false
            if let a = o["allowNotApplicable"] {
                if let b = a.boolValue {
                    allowNA = b
                } else {
                    fail("\(path).allowNotApplicable", "must be true or false")
                }
            }
            let t = timing(o, at: path)
            return item.map { .checklistItem(item: $0, accept: accept, allowNotApplicable: allowNA, timing: t) }
        case "event-exists", "event-absent":
            only(o, timingKeys.union(["kind", "type", "where"]), at: path)
            let f = filter(o, at: path)
            let t = timing(o, at: path)
            guard let f else { return nil }
            return kind == "event-exists" ? .eventExists(f, t) : .eventAbsent(f, t)
        case "document":
            only(o, timingKeys.union(["kind", "kinds"]), at: path)
            let kinds = strings(o, "kinds", at: path)
            let t = timing(o, at: path)
            return kinds.map { .document(kinds: $0, timing: t) }
        case "independent-approval":
            only(o, ["kind", "scopes", "before", "retrospective"], at: path)
            requireScope(.session, kind, at: path)
            let scopes = strings(o, "scopes", at: path)
            let before = anchor(o, "before", at: path, required: true)
            var retroScope: String?
            var retroWithin: Int64?
            if let r = o["retrospective"] {
                if let ro = r.objectValue {
                    only(ro, ["scope", "within"], at: "\(path).retrospective")
                    retroScope = string(ro, "scope", at: "\(path).retrospective")
                    retroWithin = duration(ro, "within", at: "\(path).retrospective")
                } else {
                    fail("\(path).retrospective", "must be an object {\"scope\", \"within\"}")
                }
            }
            guard let scopes, let before else { return nil }
            return .independentApproval(
                ApprovalRule(
                    scopes: scopes, before: before, retrospectiveScope: retroScope, retrospectiveWithinMs: retroWithin))
        case "retrospective-approval":
            only(o, ["kind", "scope", "within"], at: path)
            requireScope(.session, kind, at: path)
            let scope = string(o, "scope", at: path)
            let within = duration(o, "within", at: path)
            guard let scope, let within else { return nil }
            return .retrospectiveApproval(scope: scope, withinMs: within)
        case "segregation-of-duties":
            only(o, ["kind", "scopes"], at: path)
            requireScope(.session, kind, at: path)
            return strings(o, "scopes", at: path).map { .segregationOfDuties(scopes: $0) }
        case "paired":
            only(o, ["kind", "start", "end", "by"], at: path)
            let start = string(o, "start", at: path)
            let end = string(o, "end", at: path)
            let by = string(o, "by", at: path, required: false)
            guard let start, let end else { return nil }
            return .paired(start: start, end: end, by: by)
        case "control":
            only(o, ["kind", "id"], at: path)
            return string(o, "id", at: path).map { .control($0) }
        case "all", "any":
            only(o, ["kind", "rules"], at: path)
            guard let rs = o["rules"]?.arrayValue, !rs.isEmpty else {
                fail("\(path).rules", "must be a non-empty array of rules")
                return nil
            }
            var parsed: [Rule] = []
            for (i, r) in rs.enumerated() { if let p = rule(r, at: "\(path).rules[\(i)]") { parsed.append(p) } }
            guard parsed.count == rs.count else { return nil }
            return kind == "all" ? .all(parsed) : .any(parsed)
        case "rollback-window":
            only(o, ["kind"], at: path)
            requireScope(.session, kind, at: path)
            return .rollbackWindow
        case "incident-phase":
            only(o, ["kind", "phase", "actionPhase"], at: path)
            requireScope(.incident, kind, at: path)
            let phase = string(o, "phase", at: path)
            let action = string(o, "actionPhase", at: path)
            guard let phase, let action else { return nil }
            return .incidentPhase(phase: phase, actionPhase: action)
        case "escalation-response":
            only(o, ["kind", "immediateWithin"], at: path)
            requireScope(.incident, kind, at: path)
            return duration(o, "immediateWithin", at: path).map { .escalationResponse(immediateWithinMs: $0) }
        case "gdpr-notification":
            only(o, ["kind", "deadline"], at: path)
            requireScope(.incident, kind, at: path)
            return duration(o, "deadline", at: path).map { .gdprNotification(deadlineMs: $0) }
        case "breach-assessment":
            only(o, ["kind"], at: path)
            requireScope(.incident, kind, at: path)
            return .breachAssessment
        default:
            fail("\(path).kind", "unknown rule kind \"\(kind)\" (known: \(Rule.kinds.joined(separator: ", ")))")
            return nil
        }
    }

    mutating func requireScope(_ s: ControlScope, _ kind: String, at path: String) {
        if scope != s {
            fail("\(path).kind", "\(kind) is a rule for \(s.rawValue) controls, not \(scope.rawValue) controls")
        }
    }

    mutating func conditions(_ v: JSONValue, at path: String) -> [Condition] {
        guard let a = v.arrayValue else {
            fail(path, "must be an array of conditions")
            return []
        }
        var out: [Condition] = []
        for (i, c) in a.enumerated() {
            let cp = "\(path)[\(i)]"
            guard let o = c.objectValue, o.count == 1, let (k, value) = o.members.first.map({ ($0.key, $0.value) })
            else {
                fail(cp, "a condition is an object with one member: environment, event, noEvent, breachRisk or reached")
                continue
            }
            switch k {
            case "environment":
                if scope != .session { fail("\(cp).environment", "only session controls have an environment") }
                if let e = strings(o, "environment", at: cp) { out.append(.environment(e)) }
            case "breachRisk":
                if scope != .incident { fail("\(cp).breachRisk", "only incident controls have a breach risk") }
                if let r = strings(o, "breachRisk", at: cp) {
                    for x in r where !["none", "risk", "high"].contains(x) {
                        fail("\(cp).breachRisk", "\"\(x)\" is not a risk (none, risk, high)")
                    }
                    out.append(.breachRisk(r))
                }
            case "event", "noEvent":
                guard let fo = value.objectValue else {
                    fail("\(cp).\(k)", "must be an object {\"type\", \"where\"?}")
                    continue
                }
                only(fo, ["type", "where"], at: "\(cp).\(k)")
                if let f = filter(fo, at: "\(cp).\(k)") { out.append(k == "event" ? .event(f) : .noEvent(f)) }
            case "reached":
                if let a = anchor(o, "reached", at: cp, required: true) { out.append(.reached(a)) }
            default:
                fail("\(cp).\(k)", "unknown condition (known: environment, event, noEvent, breachRisk, reached)")
            }
        }
        return out
    }

    mutating func freshness(_ v: JSONValue, at path: String) -> FreshnessPolicy? {
        guard let o = v.objectValue else {
            fail(path, "must be an object {\"maxAge\", \"dueSoon\"?, \"until\"?, \"of\"?}")
            return nil
        }
        only(o, ["maxAge", "dueSoon", "until", "of"], at: path)
        let maxAge = duration(o, "maxAge", at: path)
        let dueSoon = duration(o, "dueSoon", at: path, required: false) ?? 0
        let until = anchor(o, "until", at: path)
        var of: EventFilter?
        if let f = o["of"] {
            if let fo = f.objectValue {
                only(fo, ["type", "where"], at: "\(path).of")
                of = filter(fo, at: "\(path).of")
            } else {
                fail("\(path).of", "must be an object {\"type\", \"where\"?}")
            }
        }
        guard let maxAge else { return nil }
        if dueSoon >= maxAge { fail("\(path).dueSoon", "must be shorter than maxAge") }
        return FreshnessPolicy(maxAgeMs: maxAge, dueSoonMs: dueSoon, until: until, of: of)
    }
}
