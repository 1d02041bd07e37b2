import ArgumentParser
import Foundation
import SealbookCore
import SealbookKit
import SealbookPostgres
import SealbookRunbook

struct Run: SealbookCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command of the runbook, streaming its output, and record its start and finish.",
        discussion: """
            Records command.started (argv, cwd, the runbook's environment variables such as \
            ENVIRONMENT, BACKUP_VERIFIED, MIGRATION_TIMEOUT) and command.finished (exit code or \
            signal, duration, SHA-256 and size of stdout and stderr), also for a killed or crashed \
            command, and exits with the command's code (128+signal for a signal). For alembic \
            upgrade/downgrade it records the revisions moved (migration.applied / \
            migration.rolled-back).

            Policy gate: in a production session, every command is a change, whatever the \
            program, unless the session's runbook declares it read-only (readOnlyCommands, e.g. \
            `alembic current`, `pg_dump`). A change does not start while a critical pre-migration \
            item is missing or failed, no approval from an actor other than the executor, signed \
            by a key with the approver role, is recorded, or a denial stands that no later \
            approval supersedes. Then gate.refused is recorded (what would have run, what is \
            missing), the command does not run, and run exits 82 listing what is missing. \
            --override --justification records a signed emergency change (override.recorded) \
            and goes ahead. The gate reads the verified log only: a log that does not verify is \
            refused (exit 1).

            Secrets stay out of the log: before command.started is signed, passwords in URLs \
            (scheme://user:PASSWORD@host), NAME=VALUE and --NAME VALUE where NAME looks secret \
            (PASSWORD, SECRET, TOKEN, KEY, AUTH, ...), the password options of common clients \
            (mysql -p, curl -u, redis-cli -a, ...) and recorded variables with such names are \
            replaced by [redacted:scrypt:<hex>], a salted digest whose salt is recorded beside it \
            (README.md, "Secrets in run"). --no-redact records everything as given and says so \
            in the event (redaction: "disabled"). The command gets SEALBOOK_DATABASE_URL only \
            when the runbook says "passLedgerDatabaseURL": true.

            With --json the command's stdout goes to stderr, so that stdout is one JSON object.

            Example:
              sealbook run --step migration-execution -- alembic upgrade head
              sealbook run --override --justification "P1 outage, CAB to approve retroactively" -- alembic upgrade head
            """)
    @Option(help: ArgumentHelp("The runbook step this command belongs to.", valueName: "step")) var step: String?
    @Flag(help: "Go ahead although the production gate is closed (emergency change).") var override = false
    @Option(help: ArgumentHelp("Why the override is justified (with --override).", valueName: "text")) var justification: String?
    @Option(help: ArgumentHelp("Runbook file, when the session's is not built in.", valueName: "file")) var runbook: String?
    @Flag(
        name: .customLong("no-redact"),
        help: "Record argv and environment as given, secrets included (recorded as redaction: \"disabled\").")
    var noRedact = false
    @OptionGroup var session: SessionOption
    @OptionGroup var key: KeyOption
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    @Argument(parsing: .postTerminator, help: ArgumentHelp("The command and its arguments, after --.", valueName: "command"))
    var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("give the command after --, e.g. sealbook run -- alembic upgrade head") }
        if override && (justification ?? "").count < 10 {
            throw ValidationError("--override needs --justification with at least 10 characters")
        }
    }

    func perform(_ out: Output) throws {
        let ctx = try RunbookContext(out: out, database: database, key: key)
        let request = CommandExecution.Request(
            session: try session.resolve(), argv: command, cwd: FileManager.default.currentDirectoryPath,
            environment: ProcessInfo.processInfo.environment, step: step,
            overrideJustification: override ? justification : nil, runbookFile: runbook, redact: !noRedact)
        let outcome: CommandExecution.Outcome
        var recordedEvents: [RecordedEvent] = []
        do {
            // With --json, stdout carries one JSON object: the command's own stdout goes to stderr.
            outcome = try CommandExecution(ledger: ctx.ledger, key: ctx.key).run(
                request, stdout: out.json ? FileHandle.standardError : FileHandle.standardOutput,
                stderr: FileHandle.standardError
            ) { recorded in
                recordedEvents.append(recorded)
                if recorded.type == "command.started" {
                    out.note("sealbook: recorded command.started at seq \(recorded.result.seq)")
                } else if !out.json {
                    ctx.report(recorded)
                }
            }
        } catch LedgerError.gateClosed(let missing) {
            out.note("sealbook: refused (recorded as gate.refused): the production gate is closed:")
            for m in missing { out.note("  - \(m)") }
            out.note("record what is missing, or pass --override --justification TEXT for an emergency change")
            throw LedgerError.gateClosed(missing: missing)
        }
        if out.json {
            out.result(
                .obj([
                    ("ok", .bool(outcome.exitCode == 0)), ("commandId", .string(outcome.commandID)), ("exitCode", .int(Int64(outcome.exitCode))),
                    ("outcome", .string(outcome.result.outcome.rawValue)),
                    (
                        "recorded",
                        .array(
                            recordedEvents.map { r in
                                .obj(
                                    [
                                        ("type", .string(r.type)), ("seq", .int(r.result.seq)), ("stream", .string(r.result.stream)),
                                        ("streamSeq", .int(r.result.streamSeq)), ("chainHash", .string(r.result.chainHash.hex)),
                                    ] + (r.note.map { [("note", JSONValue.string($0))] } ?? []))
                            })
                    ),
                ]))
        }
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }
}

struct Probe: SealbookCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the environmental checks on the target PostgreSQL and record them as checklist items.",
        discussion: """
            Measures connections against max_connections, replication lag, long-running (> 5 min) \
            and blocked queries, and the database size, and records the runbook's environmental \
            items with their measured values (thresholds applied as with sealbook check).

            Example:
              sealbook probe --target postgresql://monitor@db-prod-1:5432/fingood
            """)
    @Option(help: ArgumentHelp("libpq URL of the database being migrated.", valueName: "url")) var target: String
    @OptionGroup var session: SessionOption
    @OptionGroup var key: KeyOption
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func perform(_ out: Output) throws {
        let ctx = try RunbookContext(out: out, database: database, key: key)
        let s = try ctx.ledger.openSession(try session.resolve())
        let rb = try s.runbook()
        let measures = try TargetMeasures.measure(target)
        for r in try ctx.ledger.recordProbe(measures, in: s, runbook: rb, key: ctx.key) { ctx.report(r) }
    }
}
