import ArgumentParser
import Foundation
import SealbookCore
import SealbookKit
import SealbookPostgres

struct Reconcile: SealbookCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare a target database with the ledger and list the changes made outside it.",
        discussion: """
            Reads the target's alembic version table (alembic_version, or --version-table) and \
            compares it with the revision the ledger last recorded (migration.applied, \
            migration.rolled-back, a successful alembic command.finished, rollback.completed; the \
            last by seq). Where the DDL capture is installed on the target (--install-capture, once, \
            as a superuser there), every captured DDL statement must fall inside the window of a \
            command recorded by `sealbook run` (command.started .. command.finished): those are \
            listed as matched, the others as changes made outside the ledger, with who, when and \
            what. A capture trigger that was disabled or dropped is a finding too, and so is a \
            missing capture with --require-capture.

            By default every session of the ledger is considered; --session limits the comparison \
            to one session (its events, and the DDL captured while it was open), --environment to \
            the sessions of one environment, --since to the DDL captured from that time on.

            "consistent" needs the DDL capture to have covered the whole period compared: without \
            the capture, or with one installed after the period began, the result is "incomplete" \
            (exit 95) even when the revisions agree; compare from the installation on with --since.

            Exit 0 when consistent, 1 when there are findings, 95 when incomplete, 69 when the target (or the ledger) \
            cannot be reached, 77 when the target refuses (no superuser for --install-capture, no \
            right to read a table), 64 for usage errors. Nothing is written to the ledger.

            Examples:
              sealbook reconcile --install-capture --target postgresql://postgres@db-prod-1/fingood
              sealbook reconcile --target postgresql://auditor@db-prod-1/fingood --require-capture
              sealbook reconcile --target postgresql://auditor@db-prod-1/fingood --environment production --json
              sealbook reconcile --print-capture-sql > ddl_capture.sql
            """)

    @Option(help: ArgumentHelp("libpq URL of the database being migrated (the target, not the ledger).", valueName: "url"))
    var target: String?
    @Option(
        name: .customLong("version-table"),
        help: ArgumentHelp("alembic's version table on the target: NAME or SCHEMA.NAME.", valueName: "name"))
    var versionTable = Reconciliation.defaultVersionTable
    @Option(help: ArgumentHelp("Only this session (not read from $SEALBOOK_SESSION).", valueName: "id")) var session: String?
    @Option(help: ArgumentHelp("Only sessions opened for this environment.", valueName: "env")) var environment: String?
    @Option(help: ArgumentHelp("Only DDL captured at or after this RFC 3339 time, e.g. 2024-01-15T22:00:00Z.", valueName: "time"))
    var since: String?
    @Option(
        name: .customLong("clock-skew-ms"),
        help: ArgumentHelp("Widen every command window by this many milliseconds on each side.", valueName: "ms"))
    var clockSkewMs: Int64 = 0
    @Flag(
        name: .customLong("require-capture"),
        help: "A target without the DDL capture is a finding (for targets where it was installed), not a note.")
    var requireCapture = false
    @Flag(name: .customLong("install-capture"), help: "Install the DDL capture on the target (superuser there; idempotent), then stop.")
    var installCapture = false
    @Flag(name: .customLong("print-capture-sql"), help: "Print the SQL that --install-capture runs, then stop.")
    var printCaptureSQL = false
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if installCapture && printCaptureSQL { throw ValidationError("give --install-capture or --print-capture-sql, not both") }
        if !printCaptureSQL && target == nil { throw ValidationError("give the target database: --target URL") }
        if session != nil && (since != nil || environment != nil) {
            throw ValidationError("--session already limits the comparison to one session: do not combine it with --since or --environment")
        }
        if clockSkewMs < 0 || clockSkewMs > 3_600_000 { throw ValidationError("--clock-skew-ms must be between 0 and 3600000") }
        if !Reconciliation.isValidVersionTable(versionTable) {
            throw ValidationError("--version-table must be NAME or SCHEMA.NAME of letters, digits, _ and $")
        }
        if let since, Reconciliation.epochMilliseconds(rfc3339: since) == nil {
            throw ValidationError("--since must be an RFC 3339 time such as 2024-01-15T22:00:00Z, got \"\(since)\"")
        }
    }

    func perform(_ out: Output) throws {
        if printCaptureSQL {
            if out.json {
                out.result(.obj([("ok", true), ("captureVersion", .int(Reconciliation.captureVersion)), ("sql", .string(Reconciliation.captureSQL))]))
            } else {
                FileHandle.standardOutput.write(Data(Reconciliation.captureSQL.utf8))
            }
            return
        }
        guard let target else { throw CLIError(.usage, "give the target database: --target URL") }
        if installCapture {
            let r = try Reconciliation.installCapture(conninfo: target)
            out.line("DDL capture (version \(Reconciliation.captureVersion)) installed on \(r.server)")
            out.line("installations: \(r.installs), first at \(r.firstInstalledAt); DDL is captured from then on")
            out.result(
                .obj([
                    ("ok", true), ("target", .string(r.server)), ("captureVersion", .int(Reconciliation.captureVersion)),
                    ("installs", .int(r.installs)), ("firstInstalledAt", .string(r.firstInstalledAt)),
                ]))
            return
        }

        let scope = Reconciliation.Scope(
            session: session, environment: environment, sinceMs: since.flatMap { Reconciliation.epochMilliseconds(rfc3339: $0) },
            clockSkewMs: clockSkewMs, requireCapture: requireCapture)
        // The target first: an unreachable target fails before the ledger is opened.
        let state = try Reconciliation.readTarget(conninfo: target, versionTable: versionTable, sinceMs: scope.sinceMs)
        let ledger = try database.ledger(out)
        let progress = out.progress("verifying")
        let read = try ledger.read(
            ReadOptions(trustRoot: ledger.trustRoot, selection: Reconciliation.selection(for: scope)), progress: progress.update)
        progress.done()
        let view = try Reconciliation.ledgerView(read, scope: scope)
        let report = Reconciliation.compare(target: state, ledger: view, scope: scope)
        printText(report, out)
        out.result(report.json)
        if !report.findings.isEmpty { throw ExitCode(Exit.verificationFailed.rawValue) }
        if !report.complete { throw ExitCode(Exit.reconcileIncomplete.rawValue) }
    }

    private func printText(_ r: Reconciliation.Report, _ out: Output) {
        out.line("target \(r.target.server)")
        let t = r.target
        let targetRevision =
            t.revision ?? (t.versionTablePresent ? "no revision (\(t.versionTable) is empty)" : "no \(t.versionTable) table: alembic has never run here")
        let ledgerRevision =
            r.ledger.lastRevision.map { "\($0.revision ?? "base (no revision)") (seq \($0.seq), \($0.type))" } ?? "no alembic migration"
        out.line("alembic: target at \(targetRevision); ledger recorded \(ledgerRevision)")
        if t.capture.installed {
            out.line(
                "DDL capture: \(t.capture.events.count) captured statement object(s) read, \(r.matched.count) matched to "
                    + "\(r.ledger.commands.count) recorded command(s)")
            let shown = 20
            if r.matched.count > shown { out.line("  (the last \(shown) matched; --json lists them all)") }
            for m in r.matched.suffix(shown) {
                out.line(
                    "  matched: \(m.ddl.capturedAt) \(m.ddl.commandTag) \(m.ddl.objectIdentity ?? "") -> command \(m.command.commandId) "
                        + "(seq \(m.command.startedSeq)..\(m.command.finishedSeq.map(String.init) ?? "?"), \(m.command.stream))")
            }
        }
        for n in r.notes { out.note("note: \(n)") }
        if r.ok {
            out.line("consistent: the ledger accounts for every change seen on the target")
            return
        }
        if r.findings.isEmpty, let why = r.incompleteBecause {
            out.line("incomplete: no finding, but \(why)")
            return
        }
        for f in r.findings {
            out.line("FINDING \(f.kind.rawValue): \(f.summary)")
            if let q = f.ddl?.query {
                let first = q.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
                out.line("    query: \(first.count > 160 ? String(first.prefix(160)) + "…" : first)")
            }
        }
        let n = r.findings.count
        out.line("\(n) finding\(n == 1 ? "" : "s"): changes were made outside the ledger")
    }
}
