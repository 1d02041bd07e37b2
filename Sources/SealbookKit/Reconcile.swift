public import SealbookCore
internal import SealbookPostgres
internal import SealbookRunbook
internal import SealbookEmbedded
internal import Foundation

/// Why a reconciliation could not be made.
public enum ReconcileError: Error, Sendable, CustomStringConvertible {
    /// The target database cannot be reached (the message has no password).
    case targetUnavailable(String)
    /// The target refused: not a superuser for the install, no right to read a table.
    case targetRefused(String)
    /// Any other failure on the target.
    case targetError(String)
    /// The request itself is wrong (an unknown session, a bad version table name, a bad time).
    case usage(String)

    public var description: String {
        switch self {
        case .targetUnavailable(let m): "cannot connect to the target: \(m)"
        case .targetRefused(let m): "refused by the target: \(m)"
        case .targetError(let m): "target database error: \(m)"
        case .usage(let m): m
        }
    }
}

/// Reconciliation: is the ledger the complete record of the changes made to a target database?
///
/// It compares the target's own state with what the ledger recorded:
///
/// 1. alembic's version table on the target against the revision the ledger last recorded
///    (`toRevision` of the last `migration.applied` / `migration.rolled-back`, of the last
///    successful alembic `command.finished` carrying one, or `resultingRevision` of the last
///    `rollback.completed` carrying one, by `seq`);
/// 2. where the DDL capture (``captureSQL``) is installed on the target, every captured DDL
///    event against the windows `[command.started, command.finished]` of the commands the
///    ledger recorded (`sealbook run`): inside a window it is matched to that command, outside
///    every window it is a change made outside the ledger.
///
/// ```swift
/// let target = try Reconciliation.readTarget(conninfo: "postgresql://auditor@db-prod-1/fingood")
/// let read = try ledger.read(ReadOptions(selection: Reconciliation.selection(for: .init())))
/// let view = try Reconciliation.ledgerView(read, scope: .init())
/// let report = Reconciliation.compare(target: target, ledger: view, scope: .init())
/// if !report.ok { for f in report.findings { print(f.summary) } }
/// ```
///
/// Reading never writes to either database. See docs/RECONCILE.md.
public enum Reconciliation {
    /// The version of ``captureSQL``, recorded in `sealbook_capture.installs`.
    public static let captureVersion: Int64 = 1
    /// alembic's default version table.
    public static let defaultVersionTable = "alembic_version"
    /// The event triggers ``captureSQL`` installs (must be enabled ALWAYS).
    public static let captureEventTriggers = ["sealbook_capture_ddl", "sealbook_capture_drop"]
    /// The table triggers ``captureSQL`` installs: (table, trigger), each enabled ALWAYS.
    public static let captureTableTriggers = [
        ("sealbook_capture.ddl_events", "ddl_events_stamp"), ("sealbook_capture.ddl_events", "ddl_events_append_only"),
        ("sealbook_capture.ddl_events", "ddl_events_no_truncate"), ("sealbook_capture.installs", "installs_append_only"),
        ("sealbook_capture.installs", "installs_no_truncate"),
    ]
    /// The event types the ledger side reads.
    static let ledgerTypes = [
        "session.opened", "session.closed", "command.started", "command.finished", "migration.applied",
        "migration.rolled-back", "rollback.completed",
    ]

    // MARK: - Scope

    /// Which part of the ledger (and of the captured DDL) is compared.
    public struct Scope: Sendable {
        /// Only this session (stream `session/<id>`): its events, and the DDL captured between
        /// its first event and its `session.closed` (or now).
        public var session: String?
        /// Only sessions whose `session.opened` names this environment.
        public var environment: String?
        /// Only DDL captured at or after this time (Unix milliseconds). The revision and the
        /// command windows still come from the whole (filtered) ledger.
        public var sinceMs: Int64?
        /// Widens each command window by this many milliseconds on both sides, for clocks of
        /// the ledger's and the target's servers that disagree.
        public var clockSkewMs: Int64
        /// A target without the DDL capture is a finding, not a note (for a target where it was
        /// installed: dropping its schema removes the capture and its rows).
        public var requireCapture: Bool

        public init(
            session: String? = nil, environment: String? = nil, sinceMs: Int64? = nil, clockSkewMs: Int64 = 0,
            requireCapture: Bool = false
        ) {
            self.session = session
            self.environment = environment
            self.sinceMs = sinceMs
            self.clockSkewMs = clockSkewMs
            self.requireCapture = requireCapture
        }
    }

    // MARK: - The target

    /// One row of `sealbook_capture.ddl_events`.
    public struct CapturedDDL: Sendable, Equatable {
        public let id: Int64
        /// RFC 3339 UTC with milliseconds (the target server's clock).
        public let capturedAt: String
        public let capturedAtMs: Int64
        public let currentUser: String
        public let sessionUser: String
        /// `ddl_command_end` or `sql_drop`.
        public let triggerEvent: String
        public let commandTag: String
        public let objectType: String?
        public let schemaName: String?
        public let objectIdentity: String?
        /// The client's query (at most 2000 characters), or a note when it looks like it holds
        /// a payment card number.
        public let query: String?
        public let applicationName: String?
        public let clientAddr: String?
        public let txid: Int64
    }

    /// A capture trigger that is missing or not enabled ALWAYS.
    public struct CaptureTriggerProblem: Sendable, Equatable {
        /// `sealbook_capture_ddl`, or `sealbook_capture.ddl_events/ddl_events_stamp`, ….
        public let trigger: String
        /// `missing`, `disabled`, `origin-only` (enabled, but skipped with
        /// session_replication_role = replica) or `replica-only`.
        public let state: String
    }

    /// What the DDL capture on the target holds.
    public struct CaptureState: Sendable {
        /// Whether `sealbook_capture.ddl_events` exists.
        public let installed: Bool
        /// When it was first installed (RFC 3339 UTC); DDL before it was not captured.
        public let installedAt: String?
        public let installedAtMs: Int64?
        /// Triggers that are missing or not enabled ALWAYS.
        public let problems: [CaptureTriggerProblem]
        /// The captured DDL at or after the scope's `since`, in capture order.
        public let events: [CapturedDDL]
    }

    /// What the target database says about itself.
    public struct TargetState: Sendable {
        /// `database@address:port`, from the server (never a password).
        public let server: String
        /// The version table as looked up (`alembic_version` by default).
        public let versionTable: String
        /// Whether the version table exists: if not, alembic has never run here.
        public let versionTablePresent: Bool
        /// Its `version_num` rows, sorted (several with branches; none at base).
        public let revisions: [String]
        public let capture: CaptureState

        /// The revisions joined by ", ", nil when there is none.
        public var revision: String? { revisions.isEmpty ? nil : revisions.joined(separator: ", ") }
    }

    /// Whether `name` is an acceptable version table: `name` or `schema.name`, plain identifiers.
    public static func isValidVersionTable(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return false }
        return parts.allSatisfy { p in
            guard let f = p.unicodeScalars.first, p.count <= 63 else { return false }
            let letter = ("a"..."z").contains(f) || ("A"..."Z").contains(f) || f == "_"
            return letter
                && p.unicodeScalars.allSatisfy {
                    ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "$"
                }
        }
    }

    /// Reads the target: its alembic version table and, where installed, the DDL capture, in
    /// one read-only snapshot.
    public static func readTarget(
        conninfo: String, versionTable: String = defaultVersionTable, sinceMs: Int64? = nil
    ) throws(ReconcileError) -> TargetState {
        guard isValidVersionTable(versionTable) else {
            throw .usage("--version-table must be NAME or SCHEMA.NAME of letters, digits, _ and $, got \"\(versionTable)\"")
        }
        let c = try connect(conninfo)
        do {
            return try c.transaction { c in
                try c.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                let server = try serverName(c)
                let reg = try c.query("SELECT to_regclass(\(versionTable))::text").string(0, 0)
                var revisions: [String] = []
                if let reg {
                    // `reg` is the server's own quoted rendering of an existing relation.
                    let r = try c.query(PGQuery(unsafeSQL: "SELECT version_num::text FROM \(reg) ORDER BY 1"))
                    revisions = (0..<r.rowCount).compactMap { r.string($0, 0) }
                }
                let capture = try readCapture(c, sinceMs: sinceMs)
                return TargetState(
                    server: server, versionTable: versionTable, versionTablePresent: reg != nil, revisions: revisions,
                    capture: capture)
            }
        } catch let e as ReconcileError {
            throw e
        } catch let e as PGError {
            throw targetError(e, reading: versionTable)
        } catch {
            throw .targetError("\(error)")
        }
    }

    private static func connect(_ conninfo: String) throws(ReconcileError) -> PGConnection {
        do { return try PGConnection(conninfo: conninfo) } catch {
            throw .targetUnavailable(error.description)
        }
    }

    private static func serverName(_ c: PGConnection) throws(PGError) -> String {
        try c.query(
            "SELECT current_database() || '@' || coalesce(host(inet_server_addr()), 'local') || ':' || current_setting('port')"
        ).string(0, 0) ?? "?"
    }

    private static func targetError(_ e: PGError, reading table: String) -> ReconcileError {
        switch (e.kind, e.sqlState) {
        case (.connectionFailed, _), (.connectionLost, _): return .targetUnavailable(e.description)
        case (_, "42501"?):
            return .targetRefused(
                "\(e.message): reconcile needs SELECT on \(table) and, where the DDL capture is installed, on "
                    + "sealbook_capture.ddl_events and sealbook_capture.installs (see docs/RECONCILE.md)")
        case (_, "42703"?): return .targetError("\(e.message) (is \(table) alembic's version table? it needs a version_num column)")
        default: return .targetError(e.description)
        }
    }

    /// SQL for a timestamptz as Unix milliseconds, and as RFC 3339 UTC with milliseconds (as the ledger writes times).
    private static func millis(_ column: String) -> String { "floor(extract(epoch FROM \(column)) * 1000)::bigint" }
    private static func text(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    }

    private static func readCapture(_ c: PGConnection, sinceMs: Int64?) throws(PGError) -> CaptureState {
        guard try c.query("SELECT to_regclass('sealbook_capture.ddl_events') IS NOT NULL").bool(0, 0) == true else {
            return CaptureState(installed: false, installedAt: nil, installedAtMs: nil, problems: [], events: [])
        }
        var problems: [CaptureTriggerProblem] = []
        func state(_ flag: String?) -> String? {
            switch flag {
            case nil: "missing"
            case "A": nil
            case "D": "disabled"
            case "O": "origin-only"
            case "R": "replica-only"
            default: "unknown (\(flag!))"
            }
        }
        for name in captureEventTriggers {
            let flag = try c.query("SELECT evtenabled::text FROM pg_catalog.pg_event_trigger WHERE evtname = \(name)")
            if let s = state(flag.rowCount == 0 ? nil : flag.string(0, 0)) {
                problems.append(CaptureTriggerProblem(trigger: name, state: s))
            }
        }
        for (table, name) in captureTableTriggers {
            let flag = try c.query(
                "SELECT tgenabled::text FROM pg_catalog.pg_trigger WHERE tgrelid = to_regclass(\(table)) AND tgname = \(name)")
            if let s = state(flag.rowCount == 0 ? nil : flag.string(0, 0)) {
                problems.append(CaptureTriggerProblem(trigger: table + "/" + name, state: s))
            }
        }
        var installedAt: String?
        var installedAtMs: Int64?
        if try c.query("SELECT to_regclass('sealbook_capture.installs') IS NOT NULL").bool(0, 0) == true {
            let r = try c.query(
                PGQuery(
                    unsafeSQL: "SELECT \(text("min(installed_at)")), \(millis("min(installed_at)")) FROM sealbook_capture.installs"))
            installedAt = r.string(0, 0)
            installedAtMs = r.int64(0, 1)
        }
        let since = sinceMs ?? Int64.min
        let r = try c.query(
            """
            SELECT id, \(unsafeSQL: text("captured_at")), \(unsafeSQL: millis("captured_at")), current_user_name,
                   session_user_name, trigger_event, command_tag, object_type, schema_name, object_identity, query,
                   application_name, host(client_addr), txid
            FROM sealbook_capture.ddl_events
            WHERE \(sinceMs == nil) OR captured_at >= to_timestamp(\(since)::double precision / 1000)
            ORDER BY id
            """)
        var events: [CapturedDDL] = []
        events.reserveCapacity(r.rowCount)
        for i in 0..<r.rowCount {
            var query = r.string(i, 10)
            if let q = query, CardNumberGuard.containsProbableCardNumber(q) {
                query = "(not shown: the query looks like it holds a payment card number)"
            }
            events.append(
                CapturedDDL(
                    id: r.int64(i, 0)!, capturedAt: r.string(i, 1)!, capturedAtMs: r.int64(i, 2)!, currentUser: r.string(i, 3)!,
                    sessionUser: r.string(i, 4)!, triggerEvent: r.string(i, 5)!, commandTag: r.string(i, 6)!,
                    objectType: r.string(i, 7), schemaName: r.string(i, 8), objectIdentity: r.string(i, 9), query: query,
                    applicationName: r.string(i, 11), clientAddr: r.string(i, 12), txid: r.int64(i, 13)!))
        }
        return CaptureState(installed: true, installedAt: installedAt, installedAtMs: installedAtMs, problems: problems, events: events)
    }

    // MARK: - Installing the capture

    /// What ``installCapture(conninfo:)`` did.
    public struct InstallResult: Sendable {
        public let server: String
        /// How many times the capture has been installed on this database, this time included.
        public let installs: Int64
        /// When it was first installed (RFC 3339 UTC).
        public let firstInstalledAt: String
    }

    /// Installs ``captureSQL`` on the target (idempotent). Needs a superuser there.
    public static func installCapture(conninfo: String) throws(ReconcileError) -> InstallResult {
        let c = try connect(conninfo)
        do {
            let who = try c.query("SELECT current_user::text, rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user")
            guard who.bool(0, 1) == true else {
                throw ReconcileError.targetRefused(
                    "installing the DDL capture needs a superuser on the target (only a superuser can create event triggers); "
                        + "\(who.string(0, 0) ?? "this role") is not one: connect as a superuser, or have a DBA run the SQL "
                        + "that `sealbook reconcile --print-capture-sql` prints")
            }
            try c.executeScript(unsafeSQL: captureSQL)
            let server = try serverName(c)
            let r = try c.query(PGQuery(unsafeSQL: "SELECT count(*), \(text("min(installed_at)")) FROM sealbook_capture.installs"))
            return InstallResult(server: server, installs: r.int64(0, 0)!, firstInstalledAt: r.string(0, 1)!)
        } catch let e as ReconcileError {
            throw e
        } catch let e as PGError {
            if e.sqlState == "42501" { throw .targetRefused(e.message) }
            throw e.kind == .connectionLost ? .targetUnavailable(e.description) : .targetError(e.description)
        } catch {
            throw .targetError("\(error)")
        }
    }

    // MARK: - The ledger

    /// The event that set the revision the ledger last recorded.
    public struct RecordedRevision: Sendable, Equatable {
        public let seq: Int64
        public let type: String
        public let stream: String
        public let recordedAt: String
        /// nil: base (an empty database).
        public let revision: String?
    }

    /// A command recorded by `sealbook run`: `command.started` and its `command.finished`.
    public struct CommandWindow: Sendable, Equatable {
        public let commandId: String
        public let stream: String
        public let startedSeq: Int64
        public let startedAt: String
        public let startedAtMs: Int64
        public let finishedSeq: Int64?
        public let finishedAt: String?
        public let finishedAtMs: Int64?
        public let argv: [String]
        /// The next event read from the same stream after an unfinished command, if any.
        public let nextEventAtMs: Int64?
    }

    /// What the ledger recorded, within a scope.
    public struct LedgerView: Sendable {
        /// The last revision-setting event in scope (nil: none).
        public let lastRevision: RecordedRevision?
        /// Every recorded command in scope, by `command.started` seq.
        public let commands: [CommandWindow]
        /// For a session scope: its first event and its `session.closed` (Unix ms).
        public let scopeStartMs: Int64?
        public let scopeEndMs: Int64?
        /// The streams read.
        public let streams: [String]
    }

    /// The events a reconciliation reads, for ``ledgerView(_:scope:)``.
    public static func selection(for scope: Scope) -> EventSelection {
        let types = Set(ledgerTypes)
        let stream = scope.session.map(StreamID.session)
        return EventSelection { s, t in types.contains(t) && (stream == nil || s == stream) }
    }

    /// What the ledger recorded within `scope`, from a verified read of it (made with
    /// ``selection(for:)``; the server's `recordedAt` of each event is what DDL times are
    /// compared with).
    public static func ledgerView(_ log: VerifiedLog, scope: Scope) throws -> LedgerView {
        guard log.isVerified else { throw LedgerError.unverified(log.report) }
        let types = Set(ledgerTypes)
        var events = log.events.filter { types.contains($0.body.type) }
        if let session = scope.session {
            events = events.filter { $0.body.stream == StreamID.session(session) }
            guard !events.isEmpty else {
                throw ReconcileError.usage("no session \(session) in the ledger: list them with sealbook session list")
            }
        }
        if let env = scope.environment {
            let streams = Set(
                events.filter { $0.body.type == "session.opened" && $0.data["environment"]?.stringValue == env }.map(\.body.stream))
            events = events.filter { streams.contains($0.body.stream) }
        }

        var last: RecordedRevision?
        var starts: [String: Int] = [:]  // stream + commandId -> index in commands
        var commands: [CommandWindow] = []
        var finishes: [String: VerifiedEvent] = [:]
        var firstMs: Int64?
        var closedMs: Int64?
        func believe(_ e: VerifiedEvent, _ revision: JSONValue) {
            last = RecordedRevision(
                seq: e.seq, type: e.body.type, stream: e.body.stream, recordedAt: e.witnessedTime, revision: revision.stringValue)
        }
        for e in events {
            let d = e.data
            let at = epochMilliseconds(rfc3339: e.witnessedTime) ?? 0
            if firstMs == nil { firstMs = at }
            switch e.body.type {
            case "migration.applied", "migration.rolled-back":
                if let to = d["toRevision"] { believe(e, to) }
            case "rollback.completed":
                if let to = d["resultingRevision"] { believe(e, to) }
            case "command.started":
                guard let id = d["commandId"]?.stringValue else { continue }
                starts[e.body.stream + "\u{0}" + id] = commands.count
                commands.append(
                    CommandWindow(
                        commandId: id, stream: e.body.stream, startedSeq: e.seq, startedAt: e.witnessedTime, startedAtMs: at,
                        finishedSeq: nil, finishedAt: nil, finishedAtMs: nil,
                        argv: d["argv"]?.arrayValue?.compactMap(\.stringValue) ?? [], nextEventAtMs: nil))
            case "command.finished":
                guard let id = d["commandId"]?.stringValue else { continue }
                finishes[e.body.stream + "\u{0}" + id] = e
                if d["outcome"]?.stringValue == "success", let to = d["alembic"]?.objectValue?["toRevision"] { believe(e, to) }
            case "session.closed":
                closedMs = at
            default:
                break
            }
        }
        // Pair the windows, and for unfinished commands note the next event of their stream.
        for (key, i) in starts {
            let w = commands[i]
            if let f = finishes[key], f.seq > w.startedSeq {
                commands[i] = CommandWindow(
                    commandId: w.commandId, stream: w.stream, startedSeq: w.startedSeq, startedAt: w.startedAt,
                    startedAtMs: w.startedAtMs, finishedSeq: f.seq, finishedAt: f.witnessedTime,
                    finishedAtMs: epochMilliseconds(rfc3339: f.witnessedTime), argv: w.argv, nextEventAtMs: nil)
            } else {
                let next = events.first { $0.body.stream == w.stream && $0.seq > w.startedSeq }
                commands[i] = CommandWindow(
                    commandId: w.commandId, stream: w.stream, startedSeq: w.startedSeq, startedAt: w.startedAt,
                    startedAtMs: w.startedAtMs, finishedSeq: nil, finishedAt: nil, finishedAtMs: nil, argv: w.argv,
                    nextEventAtMs: next.flatMap { epochMilliseconds(rfc3339: $0.witnessedTime) })
            }
        }
        var seen = Set<String>()
        let streams = events.map(\.body.stream).filter { seen.insert($0).inserted }
        return LedgerView(
            lastRevision: last, commands: commands, scopeStartMs: scope.session == nil ? nil : firstMs,
            scopeEndMs: scope.session == nil ? nil : closedMs, streams: streams)
    }

    // MARK: - The comparison

    /// One thing the ledger does not account for.
    public struct Finding: Sendable {
        public enum Kind: String, Sendable {
            /// The target's alembic revision is not the one the ledger last recorded.
            case revisionMismatch = "revision-mismatch"
            /// DDL captured on the target outside every recorded command.
            case ddlOutsideLedger = "ddl-outside-ledger"
            /// A capture trigger is missing or disabled: DDL may have gone unseen.
            case captureDisabled = "capture-disabled"
        }
        public let kind: Kind
        /// One line for people.
        public let summary: String
        /// The captured DDL, for ``Kind/ddlOutsideLedger``.
        public let ddl: CapturedDDL?
        /// The finding as JSON (`kind` first).
        public let json: JSONValue
    }

    /// Captured DDL that happened while a recorded command ran.
    public struct Match: Sendable {
        public let ddl: CapturedDDL
        public let command: CommandWindow
    }

    /// The result of a reconciliation.
    public struct Report: Sendable {
        public let scope: Scope
        public let target: TargetState
        public let ledger: LedgerView
        /// Whether the revisions were compared (not when a session scope recorded none).
        public let revisionCompared: Bool
        public let findings: [Finding]
        public let matched: [Match]
        /// Remarks for people: what could not be compared, and why.
        public let notes: [String]
        /// Why the comparison could not cover the whole period (no DDL capture on the target, or
        /// one installed after the period began); nil when it did.
        public let incompleteBecause: String?

        /// Whether the DDL capture covered the whole period compared.
        public var complete: Bool { incompleteBecause == nil }
        /// Consistent: no findings, over the whole period. Only then may it be called consistent.
        public var ok: Bool { findings.isEmpty && complete }
        /// `consistent`, `incomplete` (no findings, but the period was not wholly covered) or
        /// `inconsistent` (findings).
        public var result: String { !findings.isEmpty ? "inconsistent" : complete ? "consistent" : "incomplete" }
    }

    /// Compares what the target says with what the ledger recorded.
    public static func compare(target: TargetState, ledger: LedgerView, scope: Scope) -> Report {
        var findings: [Finding] = []
        var notes: [String] = []
        let skew = max(0, scope.clockSkewMs)

        // 1. The alembic revision.
        func revisions(_ r: String?) -> Set<String> {
            Set((r ?? "").components(separatedBy: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
        let targetText =
            target.revision
            ?? (target.versionTablePresent
                ? "no revision (\(target.versionTable) is empty)"
                : "no revision (no \(target.versionTable) table: alembic has never run here)")
        var compared = true
        if let last = ledger.lastRevision {
            if revisions(last.revision) != Set(target.revisions) {
                let ledgerText = last.revision ?? "base (no revision)"
                findings.append(
                    Finding(
                        kind: .revisionMismatch,
                        summary: "the target is at \(targetText), but the ledger last recorded \(ledgerText) "
                            + "(seq \(last.seq), \(last.type) in \(last.stream)): changed outside the ledger",
                        ddl: nil,
                        json: obj([
                            ("kind", "revision-mismatch"), ("target", str(target.revision)), ("ledger", str(last.revision)),
                            ("ledgerSeq", .number(JSONNumber(last.seq))), ("ledgerEvent", .string(last.type)),
                            ("ledgerStream", .string(last.stream)), ("versionTablePresent", .bool(target.versionTablePresent)),
                        ])))
            }
        } else if let session = scope.session {
            compared = false
            notes.append("session \(session) recorded no alembic revision: the target's revision (\(targetText)) was not compared")
        } else if !target.revisions.isEmpty {
            findings.append(
                Finding(
                    kind: .revisionMismatch,
                    summary: "the target is at \(targetText), but the ledger recorded no alembic migration"
                        + "\(scope.environment.map { " in \($0) sessions" } ?? ""): changed outside the ledger",
                    ddl: nil,
                    json: obj([
                        ("kind", "revision-mismatch"), ("target", str(target.revision)), ("ledger", .null), ("ledgerSeq", .null),
                        ("ledgerEvent", .null), ("ledgerStream", .null), ("versionTablePresent", .bool(target.versionTablePresent)),
                    ])))
        }

        // 2. The DDL capture.
        var matched: [Match] = []
        let capture = target.capture
        if !capture.installed && scope.requireCapture {
            findings.append(
                Finding(
                    kind: .captureDisabled,
                    summary: "the DDL capture is not installed on the target (schema sealbook_capture is missing), "
                        + "but --require-capture says it must be: DDL may have been made without being captured",
                    ddl: nil, json: obj([("kind", "capture-disabled"), ("trigger", "sealbook_capture.ddl_events"), ("state", "missing")])))
        } else if !capture.installed {
            notes.append(
                "the DDL capture is not installed on the target: only the alembic revision was compared "
                    + "(install it with sealbook reconcile --install-capture --target URL)")
        } else {
            if let at = capture.installedAt { notes.append("DDL is captured on the target since \(at); earlier changes cannot be seen") }
            for p in capture.problems {
                findings.append(
                    Finding(
                        kind: .captureDisabled,
                        summary: "capture trigger \(p.trigger) is \(p.state): DDL may have been made without being captured",
                        ddl: nil, json: obj([("kind", "capture-disabled"), ("trigger", .string(p.trigger)), ("state", .string(p.state))])))
            }
            let finished = ledger.commands.filter { $0.finishedAtMs != nil }
            for d in capture.events {
                let t = d.capturedAtMs
                if let since = scope.sinceMs, t < since { continue }
                if let start = ledger.scopeStartMs, t < start - skew { continue }
                if let end = ledger.scopeEndMs, t > end + skew { continue }
                // The innermost (latest started) window that holds it.
                if let w = finished.last(where: { $0.startedAtMs - skew <= t && t <= $0.finishedAtMs! + skew }) {
                    matched.append(Match(ddl: d, command: w))
                    continue
                }
                let unfinished = ledger.commands.last {
                    $0.finishedAtMs == nil && $0.startedAtMs - skew <= t && ($0.nextEventAtMs.map { t <= $0 + skew } ?? true)
                }
                var members = ddlJSON(d)
                members.insert(("kind", "ddl-outside-ledger"), at: 0)
                var summary = "\(d.capturedAt) \(d.commandTag)"
                if let o = d.objectIdentity {
                    summary += " \(d.objectType.map { $0 + " " } ?? "")\(o)"
                } else if let t = d.objectType {
                    summary += " (\(t.lowercased()))"
                }
                summary += " by \(d.currentUser)"
                if d.sessionUser != d.currentUser { summary += " (session user \(d.sessionUser))" }
                if let a = d.applicationName, !a.isEmpty { summary += " via \(a)" }
                if let c = d.clientAddr { summary += " from \(c)" }
                summary += ", txid \(d.txid): no recorded command was running"
                if let u = unfinished {
                    members.append(
                        ("duringUnfinishedCommand", obj([
                            ("commandId", .string(u.commandId)), ("stream", .string(u.stream)),
                            ("startedSeq", .number(JSONNumber(u.startedSeq))),
                        ])))
                    summary += " (command \(u.commandId), seq \(u.startedSeq), started before it but has no command.finished)"
                }
                findings.append(Finding(kind: .ddlOutsideLedger, summary: summary, ddl: d, json: obj(members)))
            }
        }
        return Report(
            scope: scope, target: target, ledger: ledger, revisionCompared: compared, findings: findings, matched: matched,
            notes: notes, incompleteBecause: coverageGap(capture: capture, ledger: ledger, scope: scope, skewMs: skew))
    }

    /// Why the capture did not cover the period compared, or nil. The period starts at
    /// `--since`, else at the session's first event (`--session`), else at the first recorded
    /// command in scope; DDL before the capture was installed cannot be seen.
    static func coverageGap(capture: CaptureState, ledger: LedgerView, scope: Scope, skewMs: Int64) -> String? {
        guard capture.installed else {
            return "the DDL capture is not installed on the target: only the alembic revision was compared"
        }
        guard let start = scope.sinceMs ?? ledger.scopeStartMs ?? ledger.commands.map(\.startedAtMs).min() else { return nil }
        guard let at = capture.installedAtMs else {
            return "the DDL capture's installation time is unknown (sealbook_capture.installs is empty or missing)"
        }
        if at > start + skewMs {
            return "DDL is captured only since \(capture.installedAt ?? rfc3339(epochMilliseconds: at)), but the period compared "
                + "begins at \(rfc3339(epochMilliseconds: start)): earlier changes cannot be seen (compare from then with --since)"
        }
        return nil
    }

    static func ddlJSON(_ d: CapturedDDL) -> [(String, JSONValue)] {
        [
            ("id", .number(JSONNumber(d.id))), ("at", .string(d.capturedAt)), ("commandTag", .string(d.commandTag)),
            ("objectType", str(d.objectType)), ("schema", str(d.schemaName)), ("objectIdentity", str(d.objectIdentity)),
            ("currentUser", .string(d.currentUser)), ("sessionUser", .string(d.sessionUser)),
            ("applicationName", str(d.applicationName)), ("clientAddr", str(d.clientAddr)), ("txid", .number(JSONNumber(d.txid))),
            ("triggerEvent", .string(d.triggerEvent)), ("query", str(d.query)),
        ]
    }

    // MARK: - Time

    /// Unix milliseconds of an RFC 3339 time (`2024-01-15T22:41:07.250Z`, `…+01:00`), read by
    /// ``Timestamp/init(rfc3339:)``. nil when malformed.
    public static func epochMilliseconds(rfc3339 s: String) -> Int64? { Timestamp(rfc3339: s)?.milliseconds }

    /// RFC 3339 UTC with milliseconds, as the ledger writes times.
    public static func rfc3339(epochMilliseconds t: Int64) -> String { Timestamp(milliseconds: t).rfc3339 }
}

// MARK: - JSON

extension Reconciliation.Report {
    /// The report as JSON: `{"ok", "target", "scope", "alembic", "capture", "commands",
    /// "findings", "matched", "notes"}` (docs/RECONCILE.md).
    public var json: JSONValue {
        let last = ledger.lastRevision
        let alembic = obj([
            ("versionTable", .string(target.versionTable)), ("versionTablePresent", .bool(target.versionTablePresent)),
            ("target", str(target.revision)), ("ledger", str(last?.revision)),
            ("ledgerSeq", last.map { .number(JSONNumber($0.seq)) } ?? .null), ("ledgerEvent", str(last?.type)),
            ("ledgerStream", str(last?.stream)), ("compared", .bool(revisionCompared)),
        ])
        let capture = obj([
            ("installed", .bool(target.capture.installed)), ("installedAt", str(target.capture.installedAt)),
            ("ddlEvents", .number(JSONNumber(Int64(target.capture.events.count)))),
            ("problems", .array(target.capture.problems.map { obj([("trigger", .string($0.trigger)), ("state", .string($0.state))]) })),
        ])
        let scopeJSON = obj([
            ("session", str(scope.session)), ("environment", str(scope.environment)),
            ("since", scope.sinceMs.map { .string(Reconciliation.rfc3339(epochMilliseconds: $0)) } ?? .null),
            ("clockSkewMs", .number(JSONNumber(scope.clockSkewMs))), ("requireCapture", .bool(scope.requireCapture)),
        ])
        let matchedJSON: [JSONValue] = matched.map { m in
            var members = Reconciliation.ddlJSON(m.ddl)
            members.append(contentsOf: [
                ("commandId", .string(m.command.commandId)), ("stream", .string(m.command.stream)),
                ("startedSeq", .number(JSONNumber(m.command.startedSeq))),
                ("finishedSeq", m.command.finishedSeq.map { .number(JSONNumber($0)) } ?? .null),
                ("argv", .array(m.command.argv.map(JSONValue.string))),
            ])
            return obj(members)
        }
        return obj([
            ("ok", .bool(ok)), ("result", .string(result)), ("incompleteBecause", str(incompleteBecause)),
            ("target", .string(target.server)), ("scope", scopeJSON), ("alembic", alembic), ("capture", capture),
            ("commands", .number(JSONNumber(Int64(ledger.commands.count)))), ("findings", .array(findings.map(\.json))),
            ("matched", .array(matchedJSON)), ("notes", .array(notes.map(JSONValue.string))),
        ])
    }
}

private func obj(_ members: [(String, JSONValue)]) -> JSONValue {
    .object(JSONObject(members.map { (key: $0.0, value: $0.1) }))
}

private func str(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }

// MARK: - The capture SQL

extension Reconciliation {
    /// `schemas/target/ddl_capture.sql`, built into the binary: the event-trigger capture of DDL
    /// that `sealbook reconcile --install-capture` installs on a target database.
    public static let captureSQL: String = {
        guard let file = EmbeddedFiles.file("schemas/target/ddl_capture.sql") else {
            preconditionFailure("schemas/target/ddl_capture.sql is not built in")
        }
        return file.text
    }()
}
