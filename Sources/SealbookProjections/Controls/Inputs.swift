// What a control's result depends on, for evaluating it again only when that changes
// (``SessionFold``, used by `sealbook replay`): the events its rule tree reads, the as-of times at
// which its status can change, and `paired` rules matched up event by event. Nothing here changes
// what a control evaluates to; ``SessionFold`` is checked against a fresh evaluation at every
// event (docs/REPORTS.md §4, how replay is computed).

internal import SealbookCore

/// The as-of times (UTC milliseconds) over which an evaluation stays the same: `[lo, hi)`.
struct AsOfInterval: Sendable, Equatable {
    var lo: Int64 = .min
    var hi: Int64 = .max

    func contains(_ t: Timestamp) -> Bool { lo <= t.milliseconds && t.milliseconds < hi }

    mutating func intersect(_ o: AsOfInterval) {
        lo = max(lo, o.lo)
        hi = min(hi, o.hi)
    }
}

/// Notes the comparisons an ``Evaluator`` makes with its `asOf`, in nested scopes (a control,
/// the controls it refers to): each scope ends with the interval of as-of times over which
/// every comparison made in it, and in the scopes it enclosed, comes out the same.
final class AsOfRecorder {
    let asOf: Timestamp
    private var scopes: [AsOfInterval] = [AsOfInterval()]

    init(_ asOf: Timestamp) { self.asOf = asOf }

    /// The evaluation depends on whether `asOf` is at or after `threshold`.
    func note(_ threshold: Timestamp) {
        let t = threshold.milliseconds
        if asOf.milliseconds >= t {
            scopes[scopes.count - 1].lo = max(scopes[scopes.count - 1].lo, t)
        } else {
            scopes[scopes.count - 1].hi = min(scopes[scopes.count - 1].hi, t)
        }
    }

    /// The current scope also depends on what `interval` was recorded for.
    func merge(_ interval: AsOfInterval) { scopes[scopes.count - 1].intersect(interval) }

    func push() { scopes.append(AsOfInterval()) }

    /// Ends the current scope: its interval, which also narrows the enclosing scope.
    @discardableResult
    func pop() -> AsOfInterval {
        let top = scopes.removeLast()
        if scopes.isEmpty { scopes.append(AsOfInterval()) }
        scopes[scopes.count - 1].intersect(top)
        return top
    }
}

/// A `paired` rule's starts and ends matched up as the events arrive, with the same result as
/// ``Evaluator``'s matching over all of them: starts not yet matched, in `seq` order.
struct Pairing: Sendable {
    struct Key: Hashable, Sendable {
        let start: String
        let end: String
        let by: String?
    }

    let key: Key
    private(set) var startCount = 0
    /// The starts without a matching end so far, in `seq` order.
    private(set) var open: [VerifiedEvent] = []

    /// Only for a start type different from the end type (the rule over one type is matched
    /// from scratch).
    init?(_ key: Key) {
        guard key.start != key.end else { return nil }
        self.key = key
    }

    mutating func apply(_ e: VerifiedEvent) {
        if e.type == key.start {
            startCount += 1
            open.append(e)
        } else if e.type == key.end {
            guard !open.isEmpty else { return }
            if let by = key.by {
                // Every open start with the same `by` value is matched: a string by a later end
                // with that string, any other value (or none) by a later end with an equal
                // non-string value (Evaluator.paired).
                let value = e.data[by]
                if let k = value?.stringValue {
                    open.removeAll { $0.data[by]?.stringValue == k }
                } else {
                    open.removeAll { s in s.data[by]?.stringValue == nil && s.data[by] == value }
                }
            } else {
                open.removeFirst()
            }
        }
    }
}

/// Which events may change a control's result: events of these types that the watch admits.
/// Besides these, anything that changes what every rule reads (an anchor, the session's
/// opening or close, its runbook, its executors, the key history) re-evaluates every control,
/// and the as-of intervals recorded with each result cover time.
struct ControlInputs: Sendable {
    /// A test on an event of a watched type.
    enum Watch: Sendable {
        /// Any event of the type.
        case any
        /// Events the filter matches.
        case filter(EventFilter)
        /// `checklist.item.recorded` of this item (compared as `checklist-item` compares it).
        case item(String)

        func admits(_ e: VerifiedEvent) -> Bool {
            switch self {
            case .any: true
            case .filter(let f): f.matches(e)
            case .item(let i): e.data["item"]?.stringValue == i
            }
        }
    }

    /// A watch, and the `before` anchor of its rule's timing: once that anchor happened, no
    /// later event is admitted by the rule, so matching events no longer change it.
    struct Entry: Sendable {
        let watch: Watch
        let closedBy: String?
    }

    /// Watches by event type.
    private(set) var byType: [String: [Entry]] = [:]
    /// A rule this derivation does not know (an incident rule): every event re-evaluates it.
    private(set) var everything = false

    /// The inputs of `control`: its conditions, its rule (through every `control` reference),
    /// and for an overridable control the approvals that settle an emergency override.
    init(_ control: Control, catalog: ControlCatalog) {
        var visiting: Set<String> = [control.id]
        add(control, catalog: catalog, visiting: &visiting)
        if control.overridable {
            watch("approval.granted", .any)
            watch("approval.denied", .any)
        }
    }

    private mutating func watch(_ type: String, _ w: Watch, closedBy: String? = nil) {
        byType[type, default: []].append(Entry(watch: w, closedBy: closedBy))
    }

    private mutating func add(_ c: Control, catalog: ControlCatalog, visiting: inout Set<String>) {
        for cond in c.appliesWhen {
            switch cond {
            case .event(let f), .noEvent(let f): watch(f.type, .filter(f))
            case .environment, .reached: break  // session.opened, anchors: re-evaluate all
            case .breachRisk: everything = true
            }
        }
        add(c.rule, catalog: catalog, visiting: &visiting)
    }

    private mutating func add(_ rule: Rule, catalog: ControlCatalog, visiting: inout Set<String>) {
        switch rule {
        case .checklistItem(let item, _, _, let timing):
            watch("checklist.item.recorded", .item(item), closedBy: timing.before)
        case .eventExists(let f, let timing):
            watch(f.type, .filter(f), closedBy: timing.before)
            // Its failed counterpart is cited too (Evaluator, `.eventExists`).
            if let failed = f.failedCounterpart { watch(failed.type, .filter(failed), closedBy: timing.before) }
        case .eventAbsent(let f, let timing):
            watch(f.type, .filter(f), closedBy: timing.before)
        case .document(let kinds, let timing):
            for k in kinds {
                watch(
                    "documentation.recorded",
                    .filter(EventFilter(type: "documentation.recorded", conditions: [(["kind"], .equals(.string(k)))])),
                    closedBy: timing.before)
            }
        case .independentApproval:
            watch("approval.granted", .any)
            watch("approval.denied", .any)
            watch("migration.applied", .any)  // a revision beyond the approval
        case .retrospectiveApproval, .segregationOfDuties:
            watch("approval.granted", .any)
            watch("approval.denied", .any)
        case .paired(let start, let end, _):
            watch(start, .any)
            watch(end, .any)
        case .control(let id):
            guard let c = catalog.control(id), visiting.insert(id).inserted else {
                everything = true
                return
            }
            add(c, catalog: catalog, visiting: &visiting)
            visiting.remove(id)
        case .all(let rules), .any(let rules):
            for r in rules { add(r, catalog: catalog, visiting: &visiting) }
        case .rollbackWindow:
            watch("rollback.started", .any)
            watch("rollback.completed", .any)
        case .incidentPhase, .escalationResponse, .gdprNotification, .breachAssessment:
            everything = true
        }
    }
}

extension Rule {
    /// The `paired` rules in this rule and in the controls it refers to.
    func pairings(catalog: ControlCatalog, visiting: Set<String> = []) -> [Pairing.Key] {
        switch self {
        case .paired(let start, let end, let by): return [Pairing.Key(start: start, end: end, by: by)]
        case .all(let rs), .any(let rs): return rs.flatMap { $0.pairings(catalog: catalog, visiting: visiting) }
        case .control(let id):
            guard !visiting.contains(id), let c = catalog.control(id) else { return [] }
            return c.rule.pairings(catalog: catalog, visiting: visiting.union([id]))
        default: return []
        }
    }
}
