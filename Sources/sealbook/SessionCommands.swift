import ArgumentParser
import Foundation
import SealbookCore
import SealbookKit
import SealbookPostgres
import SealbookRunbook

struct Session: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open, close, list and show migration sessions (one stream per session: session/<id>).",
        subcommands: [Open.self, Close.self, List.self, Show.self])

    struct Open: SealbookCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open a session that follows a runbook; prints its id.",
            discussion: """
                Records session.opened with the runbook's id, version and SHA-256, the environment,
                the alembic revisions from and to, and the change ticket.

                Example:
                  sealbook session open --migration-id 2024_01_15_add_fee_index --environment production \\
                    --from 1975ea83b712 --to ae1027a6acf --ticket CHG-1042 --key alice.key
                  export SEALBOOK_SESSION=<printed id>
                """)
        @Option(name: .customLong("migration-id"), help: ArgumentHelp("The migration's id.", valueName: "id")) var migrationID: String
        @Option(help: ArgumentHelp("production, staging, development or test.", valueName: "env")) var environment: String
        @Option(help: ArgumentHelp("Alembic revision before (omit for an empty database).", valueName: "rev")) var from: String?
        @Option(help: ArgumentHelp("Alembic revision after.", valueName: "rev")) var to: String
        @Option(help: ArgumentHelp("Change ticket.", valueName: "ticket")) var ticket: String?
        @Option(help: ArgumentHelp("What the change does.", valueName: "text")) var description: String?
        @Option(help: ArgumentHelp("Runbook file (default: the built-in fingood-migration).", valueName: "file")) var runbook: String?
        @OptionGroup var key: KeyOption
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func perform(_ out: Output) throws {
            let rb = try runbook.map { try Runbook.load(path: $0) } ?? Runbook.builtIn
            let ctx = try RunbookContext(out: out, database: database, key: key)
            let id = Recorder.newSessionID(migrationID: migrationID)
            let d = data([
                ("runbook", .obj([("id", .string(rb.id)), ("version", .string(rb.version)), ("sha256", .string(rb.sha256))])),
                ("migrationId", .string(migrationID)), ("environment", .string(environment)),
                ("alembic", .obj([("from", from.map(JSONValue.string) ?? .null), ("to", .string(to))])),
                ("changeTicket", ticket.json), ("description", description.json),
            ])
            try ctx.record(Recorder.sessionStream(id), "session.opened", d, extra: [("session", .string(id))])
            out.line("session \(id)")
            out.line("export SEALBOOK_SESSION=\(id)")
        }
    }

    struct Close: SealbookCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close a session with its outcome.",
            discussion: """
                Example:
                  sealbook session close --outcome success --key alice.key
                """)
        @Option(help: ArgumentHelp("success, failed, rolled-back or aborted.", valueName: "outcome")) var outcome: String
        @Option(help: ArgumentHelp("A closing summary.", valueName: "text")) var summary: String?
        @OptionGroup var session: SessionOption
        @OptionGroup var key: KeyOption
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func perform(_ out: Output) throws {
            let ctx = try RunbookContext(out: out, database: database, key: key)
            let id = try session.resolve()
            let (state, _) = try ctx.recorder.openSession(id)
            try ctx.record(
                Recorder.sessionStream(id), "session.closed",
                data([("outcome", .string(outcome)), ("alembicCurrent", state.alembicCurrent.json), ("summary", summary.json)]))
        }
    }

    struct List: SealbookCommand {
        static let configuration = CommandConfiguration(
            abstract: "List sessions with their environment, migration and outcome.",
            discussion: """
                Example:
                  sealbook session list --json
                """)
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func perform(_ out: Output) throws {
            let store = try database.open(out)
            let recorder = Recorder(store: store)
            var rows: [JSONValue] = []
            for s in try store.streams(prefix: "session/") {
                let id = String(s.stream.dropFirst("session/".count))
                guard let (state, _) = try? recorder.session(id) else { continue }
                let status = state.closed ? (state.outcome ?? "closed") : "open"
                out.line("\(id)  \(state.environment ?? "?")  \(state.migrationID ?? "?")  \(status)  \(s.count) events")
                rows.append(
                    .obj([
                        ("session", .string(id)), ("environment", state.environment.json ?? .null),
                        ("migrationId", state.migrationID.json ?? .null), ("status", .string(status)),
                        ("events", .int(s.count)), ("firstSeq", .int(s.firstSeq)), ("lastSeq", .int(s.lastSeq)),
                    ]))
            }
            if rows.isEmpty { out.line("no sessions yet: sealbook session open …") }
            out.result(.obj([("ok", true), ("sessions", .array(rows))]))
        }
    }

    struct Show: SealbookCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a session: checklist against its runbook, approvals, commands, validations, the gate.",
            discussion: """
                Example:
                  sealbook session show 2024_01_15_add_fee_index.3f9a1c2e
                """)
        @Argument(help: ArgumentHelp("Session id (default: $SEALBOOK_SESSION).", valueName: "id")) var id: String?
        @Option(help: ArgumentHelp("Runbook file, when the session's is not built in.", valueName: "file")) var runbook: String?
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func perform(_ out: Output) throws {
            guard let sid = id ?? ProcessInfo.processInfo.environment["SEALBOOK_SESSION"] else {
                throw CLIError(.usage, "give a session id or set SEALBOOK_SESSION")
            }
            let recorder = Recorder(store: try database.open(out))
            let (state, events) = try recorder.session(sid)
            let rb = try recorder.runbook(for: state, file: runbook)
            out.line("session \(sid): \(state.migrationID ?? "?") in \(state.environment ?? "?"), \(state.closed ? "closed (\(state.outcome ?? "?"))" : "open")")
            out.line("runbook \(rb.id) \(rb.version) sha256 \(rb.sha256)")
            out.line("alembic \(state.alembicFrom ?? "(empty)") -> \(state.alembicTo ?? "?"), current \(state.alembicCurrent ?? "unknown")")
            var items: [JSONValue] = []
            out.line("checklist:")
            for item in rb.allChecklistItems {
                let rec = state.items[item.id]
                let status = rec?.status ?? "missing"
                let mark = status == "pass" ? "✔" : status == "n/a" ? "–" : status == "missing" ? "·" : "✘"
                let value = rec?.value.map { " \($0)\(rec?.unit.map { " " + $0 } ?? "")" } ?? ""
                out.line("  \(mark) \(item.id)\(item.isCritical ? " (critical)" : ""): \(status)\(value)\(rec.map { " @seq \($0.seq)" } ?? "")")
                items.append(
                    .obj([
                        ("item", .string(item.id)), ("critical", .bool(item.isCritical)), ("status", .string(status)),
                        ("seq", rec.map { .int($0.seq) } ?? .null),
                    ]))
            }
            out.line("approvals: " + (state.approvals.isEmpty ? "none" : state.approvals.map { "\($0.granted ? "granted" : "denied") by \($0.actor) @seq \($0.seq)" }.joined(separator: "; ")))
            for id in state.commandOrder {
                let c = state.commands[id]!
                out.line("command \(id): \(c.argv.joined(separator: " ")) -> \(c.outcome ?? "running or lost")\(c.exitCode.map { " (exit \($0))" } ?? "")")
            }
            for v in state.validations { out.line("validation \(v.phase) \(v.check): \(v.result) @seq \(v.seq)") }
            let gate = PolicyGate.evaluate(state: state, runbook: rb, executor: state.openedBy ?? "")
            if state.environment == "production" {
                out.line(gate.isOpen ? "production gate: open" : "production gate: closed")
                for m in gate.missing { out.line("  - \(m)") }
            }
            out.result(
                .obj([
                    ("ok", true), ("session", .string(sid)), ("environment", state.environment.json ?? .null),
                    ("migrationId", state.migrationID.json ?? .null), ("closed", .bool(state.closed)),
                    ("outcome", state.outcome.json ?? .null), ("runbook", .string(rb.id)), ("runbookSha256", .string(rb.sha256)),
                    ("alembicCurrent", state.alembicCurrent.json ?? .null), ("events", .int(Int64(events.count))),
                    ("checklist", .array(items)), ("approvals", .int(Int64(state.approvals.count))),
                    ("gateOpen", .bool(gate.isOpen)), ("gateMissing", .array(gate.missing.map(JSONValue.string))),
                ]))
        }
    }
}

struct Check: SealbookCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record a checklist item of the session's runbook, with its measured value and evidence.",
        discussion: """
            ITEM must exist in the runbook. A measured value that breaks the item's threshold is
            recorded as fail whatever --status says, and the output says so.

            Example:
              sealbook check disk-space --status pass --value 37.5 --unit percent --evidence host=db-prod-1
            """)
    @Argument(help: ArgumentHelp("Checklist item id from the runbook.", valueName: "item")) var item: String
    @Option(help: ArgumentHelp("pass, fail or n/a.", valueName: "status")) var status: String
    @Option(help: ArgumentHelp("Measured value (a decimal number).", valueName: "value")) var value: String?
    @Option(help: ArgumentHelp("Unit of the value.", valueName: "unit")) var unit: String?
    @Option(name: .customLong("evidence"), help: ArgumentHelp("Evidence as KEY=VALUE (repeat).", valueName: "k=v")) var evidencePairs: [String] = []
    @Option(help: ArgumentHelp("Runbook file, when the session's is not built in.", valueName: "file")) var runbook: String?
    @OptionGroup var session: SessionOption
    @OptionGroup var key: KeyOption
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func perform(_ out: Output) throws {
        guard ["pass", "fail", "n/a"].contains(status) else { throw CLIError(.usage, "--status must be pass, fail or n/a") }
        let ctx = try RunbookContext(out: out, database: database, key: key)
        let id = try session.resolve()
        let (state, _) = try ctx.recorder.openSession(id)
        let rb = try ctx.recorder.runbook(for: state, file: runbook)
        try recordCheck(ctx: ctx, session: id, runbook: rb, item: item, status: status, value: value, unit: unit, evidence: evidence(evidencePairs))
    }
}

/// Records `checklist.item.recorded`, applying the item's threshold to a measured value.
func recordCheck(
    ctx: RunbookContext, session: String, runbook rb: Runbook, item: String, status: String, value: String?, unit: String?,
    evidence: JSONValue?
) throws {
    guard let it = rb.item(item) else {
        let known = rb.allChecklistItems.map(\.id).joined(separator: ", ")
        throw CLIError(.invalidEvent, "runbook \(rb.id) has no checklist item \"\(item)\"; its items: \(known)")
    }
    var final = status
    var overridden: JSONValue? = nil
    var note: String? = nil
    var thresholdJSON: JSONValue? = nil
    if let t = it.threshold {
        thresholdJSON = .obj([("op", .string(t.op.rawValue)), ("value", .string(t.value)), ("unit", .string(t.unit))])
        if let value {
            guard let ok = t.evaluate(value) else {
                throw CLIError(.invalidEvent, "--value \"\(value)\" is not a decimal number (item \(item) has threshold \(t.description))")
            }
            if !ok && status != "fail" {
                final = "fail"
                let reason = "measured \(value) \(unit ?? t.unit) breaks the threshold \(t.description)"
                overridden = .obj([("requested", .string(status)), ("reason", .string(reason))])
                note = "recorded as FAIL, not \(status): \(reason)"
                ctx.out.note("sealbook: \(item): \(reason); recorded as fail")
            }
        }
    }
    try ctx.record(
        Recorder.sessionStream(session), "checklist.item.recorded",
        data([
            ("item", .string(item)), ("status", .string(final)), ("value", value.json),
            ("unit", (unit ?? (value != nil ? it.threshold?.unit : nil)).json), ("threshold", thresholdJSON),
            ("evidence", evidence), ("statusOverridden", overridden),
        ]),
        extra: [("status", .string(final)), ("overridden", .bool(overridden != nil))], note: note)
}
