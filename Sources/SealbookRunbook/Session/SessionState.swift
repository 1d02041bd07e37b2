public import SealbookCore

/// The state of one migration session, folded from its events in order. A pure function of the
/// events: no clock, no database.
public struct SessionState: Sendable {
    public struct ItemRecord: Sendable {
        public let item: String
        public let status: String
        public let value: String?
        public let unit: String?
        public let seq: Int64
        public let actor: String
        /// Set when the ledger recorded `fail` although the operator asked for `pass`.
        public let overriddenFrom: String?
    }

    public struct Approval: Sendable {
        public let seq: Int64
        public let actor: String
        public let key: String
        public let granted: Bool
        public let scope: String
        /// A denial's reason.
        public let reason: String?
        /// For a grant: the seq of the denial it overrules (`supersedes.denialSeq`).
        public let supersedes: Int64?
        /// The revision it names (`approves.revision`), if any.
        public var revision: String? = nil
    }

    public struct Command: Sendable {
        public let commandId: String
        public let startSeq: Int64
        public var finishSeq: Int64?
        public let argv: [String]
        public let actor: String
        public var outcome: String?
        public var exitCode: Int64?
    }

    public private(set) var stream: String = ""
    public private(set) var sessionID: String = ""
    public private(set) var opened = false
    public private(set) var closed = false
    /// The `seq` of events recorded in the session's stream after its `session.closed`; those of
    /// the types in ``countedAfterClose`` are folded into the state, the others are not.
    public private(set) var afterClose: [Int64] = []
    /// The event types the session's runbook still counts after the close (`Runbook.afterClose`,
    /// docs/RUNBOOK.md "After the close"). Empty: nothing after the close counts.
    public var countedAfterClose: Set<String> = []
    public private(set) var outcome: String?
    public private(set) var environment: String?
    public private(set) var migrationID: String?
    public private(set) var runbookID: String?
    public private(set) var runbookVersion: String?
    public private(set) var runbookSHA256: String?
    public private(set) var alembicFrom: String?
    public private(set) var alembicTo: String?
    public private(set) var alembicCurrent: String?
    public private(set) var changeTicket: String?
    public private(set) var openedAt: String?
    public private(set) var openedBy: String?
    /// Latest record per checklist item.
    public private(set) var items: [String: ItemRecord] = [:]
    public private(set) var approvals: [Approval] = []
    public private(set) var commands: [String: Command] = [:]
    public private(set) var commandOrder: [String] = []
    /// Actors that started commands (the executors, for segregation of duties).
    public private(set) var executors: Set<String> = []
    public private(set) var documents: [(kind: String, sha256: String, seq: Int64)] = []
    public private(set) var backups: [(id: String, verified: Bool?, seq: Int64)] = []
    public private(set) var validations: [(phase: String, check: String, result: String, seq: Int64)] = []
    public private(set) var rollbacks: [(kind: String, method: String?, result: String?, seq: Int64)] = []
    public private(set) var migrations: [(applied: Bool, from: String?, to: String?, seq: Int64, at: String)] = []
    public private(set) var overrides: [(gate: String, justification: String, seq: Int64)] = []
    public private(set) var notifications: Int = 0
    public private(set) var trafficStopped: Set<String> = []
    public private(set) var eventCount = 0
    public private(set) var lastSeq: Int64 = 0
    public private(set) var lastEventAt: String?

    /// The revisions the session's grants name (`approves.revision`), in order, without repeats:
    /// what was approved, beside ``alembicTo`` (declared) and ``appliedRevisions``.
    public var approvedRevisions: [String] {
        var out: [String] = []
        for a in approvals where a.granted { if let r = a.revision, !out.contains(r) { out.append(r) } }
        return out
    }

    /// The revisions `migration.applied` events moved the schema to, in order, without repeats.
    public var appliedRevisions: [String] {
        var out: [String] = []
        for m in migrations where m.applied { if let r = m.to, !out.contains(r) { out.append(r) } }
        return out
    }

    public init() {}

    /// Folds `events` (one session's stream, verified, in order); after its `session.closed`,
    /// only the types in `countedAfterClose` count.
    public init(events: some Sequence<VerifiedEvent>, countedAfterClose: Set<String> = []) {
        self.countedAfterClose = countedAfterClose
        for e in events { apply(e) }
    }

    /// Applies one verified event; unknown types only count. Times are the signed ones.
    public mutating func apply(_ e: VerifiedEvent) {
        let seq = e.seq, body = e.body
        let d = e.data
        func s(_ k: String) -> String? { d[k]?.stringValue }
        // After the session closed (docs/CONTROLS.md §3.1) only what the runbook allows late
        // counts; anything else could only have come around the application layer, which
        // refuses it: it is listed, not folded.
        if closed {
            afterClose.append(seq)
            guard countedAfterClose.contains(body.type) else { return }
        }
        eventCount += 1
        lastSeq = seq
        lastEventAt = body.time
        if stream.isEmpty { stream = body.stream }
        switch body.type {
        case "session.opened":
            opened = true
            openedAt = body.time
            openedBy = body.actor
            sessionID = StreamID.sessionID(body.stream) ?? body.stream
            environment = s("environment")
            migrationID = s("migrationId")
            changeTicket = s("changeTicket")
            if let rb = d["runbook"] {
                runbookID = rb["id"]?.stringValue
                runbookVersion = rb["version"]?.stringValue
                runbookSHA256 = rb["sha256"]?.stringValue
            }
            if let a = d["alembic"] {
                alembicFrom = a["from"]?.stringValue
                alembicTo = a["to"]?.stringValue
            }
        case "session.closed":
            closed = true
            outcome = s("outcome")
            if let c = s("alembicCurrent") { alembicCurrent = c }
        case "checklist.item.recorded":
            guard let item = s("item"), let status = s("status") else { return }
            items[item] = ItemRecord(
                item: item, status: status, value: s("value"), unit: s("unit"), seq: seq, actor: body.actor,
                overriddenFrom: d["statusOverridden"]?["requested"]?.stringValue)
        case "approval.granted", "approval.denied":
            approvals.append(
                Approval(
                    seq: seq, actor: body.actor, key: body.key, granted: body.type == "approval.granted",
                    scope: s("scope") ?? "", reason: s("reason"), supersedes: d["supersedes"]?["denialSeq"]?.int64Value,
                    revision: d["approves"]?["revision"]?.stringValue))
        case "command.started":
            guard let id = s("commandId") else { return }
            let argv = d["argv"]?.arrayValue?.compactMap(\.stringValue) ?? []
            commands[id] = Command(commandId: id, startSeq: seq, argv: argv, actor: body.actor)
            commandOrder.append(id)
            executors.insert(body.actor)
        case "command.finished":
            guard let id = s("commandId") else { return }
            commands[id]?.finishSeq = seq
            commands[id]?.outcome = s("outcome")
            commands[id]?.exitCode = d["exitCode"]?.int64Value
        case "migration.applied", "migration.rolled-back":
            let applied = body.type == "migration.applied"
            migrations.append((applied, s("fromRevision"), s("toRevision"), seq, body.time))
            alembicCurrent = s("toRevision")
            executors.insert(body.actor)
        case "documentation.recorded":
            documents.append((s("kind") ?? "", s("sha256") ?? "", seq))
        case "backup.created":
            backups.append((s("backupId") ?? "", nil, seq))
        case "backup.verified":
            let ok = s("result") == "pass"
            if let id = s("backupId"), let i = backups.lastIndex(where: { $0.id == id }) {
                backups[i].verified = ok
            } else {
                backups.append((s("backupId") ?? "", ok, seq))
            }
        case "validation.recorded":
            validations.append((s("phase") ?? "", s("check") ?? "", s("result") ?? "", seq))
        case "rollback.started":
            rollbacks.append((s("kind") ?? "", s("method"), nil, seq))
        case "rollback.completed":
            if let i = rollbacks.indices.last { rollbacks[i].result = s("result") }
            if let r = s("resultingRevision") { alembicCurrent = r }
        case "override.recorded":
            overrides.append((s("gate") ?? "", s("justification") ?? "", seq))
        case "notification.sent":
            notifications += 1
        case "traffic.stopped":
            if let sc = s("scope") { trafficStopped.insert(sc) }
        case "traffic.resumed":
            if let sc = s("scope") { trafficStopped.remove(sc) }
        default:
            break
        }
    }

    /// Approvals that count for segregation of duties: granted, signed by a key that held the
    /// `approver` role at the approval's position (`heldApprover(key, seq)`), not by an executor,
    /// and not by `executor` (the actor about to run the change).
    public func independentApprovals(executor: String, heldApprover: (_ key: String, _ seq: Int64) -> Bool) -> [Approval] {
        approvals.filter {
            $0.granted && $0.actor != executor && !executors.contains($0.actor) && heldApprover($0.key, $0.seq)
        }
    }

    /// Denials that still stand: signed by a key that held the `approver` role, and not
    /// overruled by a later counting approval (``independentApprovals(executor:heldApprover:)``)
    /// that names the denial's seq in `supersedes`.
    public func standingDenials(executor: String, heldApprover: (_ key: String, _ seq: Int64) -> Bool) -> [Approval] {
        guard approvals.contains(where: { !$0.granted }) else { return [] }
        let overruled = Set(
            independentApprovals(executor: executor, heldApprover: heldApprover).compactMap { a in
                a.supersedes.flatMap { denial in denial < a.seq ? denial : nil }
            })
        return approvals.filter { !$0.granted && heldApprover($0.key, $0.seq) && !overruled.contains($0.seq) }
    }
}

/// What the production policy gate found missing before `alembic upgrade`.
public struct GateDecision: Sendable, Equatable {
    /// Human sentences, one per missing thing; empty when the gate is open.
    public let missing: [String]
    public var isOpen: Bool { missing.isEmpty }
}

/// The production gate (docs/RUNBOOK.md): no change while a critical pre-migration item is
/// missing or failed, or while no approval from an actor other than the executor, signed by a
/// key that held the `approver` role, exists.
public enum PolicyGate {
    /// Evaluates the gate for `executor` about to run a change in `state`'s session.
    /// `heldApprover(key, seq)` says whether `key` held the `approver` role at `seq` (from the
    /// verified key history).
    public static func evaluate(
        state: SessionState, runbook: Runbook, executor: String, heldApprover: (_ key: String, _ seq: Int64) -> Bool
    ) -> GateDecision {
        var missing: [String] = []
        for item in runbook.criticalItems {
            switch state.items[item.id]?.status {
            case nil: missing.append("critical item \(item.id) (\(item.title)) is not recorded")
            case "fail"?: missing.append("critical item \(item.id) (\(item.title)) failed")
            default: break
            }
        }
        if state.independentApprovals(executor: executor, heldApprover: heldApprover).isEmpty {
            missing.append("no approval.granted from an actor other than the executor (\(executor)) is recorded")
        }
        for d in state.standingDenials(executor: executor, heldApprover: heldApprover) {
            missing.append(
                "approval.denied by \(d.actor) at seq \(d.seq) (\(d.reason ?? "no reason")) stands: a later approval must supersede it")
        }
        return GateDecision(missing: missing)
    }
}
