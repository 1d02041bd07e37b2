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
                Records session.opened with the runbook's id, version and SHA-256, the environment, \
                the alembic revisions from and to, and the change ticket.

                Example:
                  sealbook session open --migration-id 2024_01_15_add_fee_index --environment production \\
                    --from 1975ea83b712 --to ae1027a6acf --ticket CHG-1042 --key alice.key
                  export SEALBOOK_SESSION=<printed id>
                """)
        @Option(name: .customLong("migration-id"), help: ArgumentHelp("The migration's id.", valueName: "id")) var migrationID: String
        @Option(help: ArgumentHelp("The environment.", valueName: "env")) var environment: Environment
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
            let (id, r) = try ctx.ledger.openSession(
                runbook: rb, migrationID: migrationID, environment: environment, from: from, to: to, changeTicket: ticket,
                description: description, key: ctx.key)
            ctx.report(RecordedEvent(type: "session.opened", result: r), extra: [("session", .string(id))])
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
        @Option(help: ArgumentHelp("How the session ended.", valueName: "outcome")) var outcome: SessionOutcome
        @Option(help: ArgumentHelp("A closing summary.", valueName: "text")) var summary: String?
        @OptionGroup var session: SessionOption
        @OptionGroup var key: KeyOption
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func perform(_ out: Output) throws {
            let ctx = try RunbookContext(out: out, database: database, key: key)
            let s = try ctx.ledger.openSession(try session.resolve())
            let event = RunbookEvent.sessionClosed(outcome: outcome, alembicCurrent: s.state.alembicCurrent, summary: summary)
            ctx.report(RecordedEvent(type: event.type, result: try ctx.ledger.record(event, in: s, key: ctx.key)))
        }
    }

    struct List: SealbookCommand {
        static let configuration = CommandConfiguration(
            abstract: "List sessions with their environment, migration and outcome (from the verified log).",
            discussion: """
                Example:
                  sealbook session list --json
                """)
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func perform(_ out: Output) throws {
            let ledger = try database.ledger(out)
            var rows: [JSONValue] = []
            for s in try ledger.sessions() {
                let state = s.state
                let status = state.closed ? (state.outcome ?? "closed") : "open"
                out.line("\(s.id)  \(state.environment ?? "?")  \(state.migrationID ?? "?")  \(status)  \(s.events.count) events")
                rows.append(
                    .obj([
                        ("session", .string(s.id)), ("environment", state.environment.map(JSONValue.string) ?? .null),
                        ("migrationId", state.migrationID.map(JSONValue.string) ?? .null), ("status", .string(status)),
                        ("events", .int(Int64(s.events.count))), ("firstSeq", .int(s.events.first?.seq ?? 0)),
                        ("lastSeq", .int(s.events.last?.seq ?? 0)),
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
                Everything shown comes from the verified log: a log that does not verify is refused \
                (exit 1).

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
            let ledger = try database.ledger(out)
            let view = try ledger.session(sid)
            let state = view.state
            let rb = try view.runbook(file: runbook)
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
            let gate = view.gate(executor: state.openedBy ?? "", runbook: rb)
            if state.environment == Environment.production.rawValue {
                out.line(gate.isOpen ? "production gate: open" : "production gate: closed")
                for m in gate.missing { out.line("  - \(m)") }
            }
            let (seq, chain) = view.log.head
            out.line("verified log: seq \(seq) chainHash \(chain.hex)\(view.log.report.rootPinned ? " (root pinned)" : "")")
            out.result(
                .obj([
                    ("ok", true), ("session", .string(sid)), ("environment", state.environment.map(JSONValue.string) ?? .null),
                    ("migrationId", state.migrationID.map(JSONValue.string) ?? .null), ("closed", .bool(state.closed)),
                    ("outcome", state.outcome.map(JSONValue.string) ?? .null), ("runbook", .string(rb.id)),
                    ("runbookSha256", .string(rb.sha256)),
                    ("alembicCurrent", state.alembicCurrent.map(JSONValue.string) ?? .null),
                    ("events", .int(Int64(view.events.count))), ("checklist", .array(items)),
                    ("approvals", .int(Int64(state.approvals.count))), ("gateOpen", .bool(gate.isOpen)),
                    ("gateMissing", .array(gate.missing.map(JSONValue.string))), ("verifiedSeq", .int(seq)),
                    ("verifiedChainHash", .string(chain.hex)),
                ]))
        }
    }
}

struct Check: SealbookCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record a checklist item of the session's runbook, with its measured value and evidence.",
        discussion: """
            ITEM must exist in the runbook. A measured value that breaks the item's threshold is \
            recorded as fail whatever --status says, and the output says so.

            Example:
              sealbook check disk-space --status pass --value 37.5 --unit percent --evidence host=db-prod-1
            """)
    @Argument(help: ArgumentHelp("Checklist item id from the runbook.", valueName: "item")) var item: String
    @Option(help: ArgumentHelp("The item's status.", valueName: "status")) var status: ItemStatus
    @Option(help: ArgumentHelp("Measured value (a decimal number).", valueName: "value")) var value: String?
    @Option(help: ArgumentHelp("Unit of the value.", valueName: "unit")) var unit: String?
    @Option(name: .customLong("evidence"), help: ArgumentHelp("Evidence as KEY=VALUE (repeat).", valueName: "k=v")) var evidencePairs: [String] = []
    @Option(help: ArgumentHelp("Runbook file, when the session's is not built in.", valueName: "file")) var runbook: String?
    @OptionGroup var session: SessionOption
    @OptionGroup var key: KeyOption
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func perform(_ out: Output) throws {
        let ctx = try RunbookContext(out: out, database: database, key: key)
        let s = try ctx.ledger.openSession(try session.resolve())
        let c = try ctx.ledger.recordCheck(
            item: item, status: status, value: value, unit: unit, evidence: try evidence(evidencePairs), in: s,
            runbook: try s.runbook(file: runbook), key: ctx.key)
        if let why = c.overriddenBecause { out.note("sealbook: \(item): \(why); recorded as fail") }
        ctx.report(c.recorded, extra: [("status", .string(c.status.rawValue)), ("overridden", .bool(c.overriddenBecause != nil))])
    }
}
