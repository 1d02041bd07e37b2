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
            Records command.started (argv, cwd, the runbook's environment variables such as
            ENVIRONMENT, BACKUP_VERIFIED, MIGRATION_TIMEOUT) and command.finished (exit code or
            signal, duration, SHA-256 and size of stdout and stderr), also for a killed or crashed
            command, and exits with the command's code (128+signal for a signal). For alembic
            upgrade/downgrade it records the revisions moved (migration.applied /
            migration.rolled-back).

            Policy gate: in a production session, `alembic upgrade` does not start while a critical
            pre-migration item is missing or failed, or no approval from an actor other than the
            executor is recorded (exit 82, listing what is missing). --override --justification
            records a signed emergency change (override.recorded) and goes ahead.

            Example:
              sealbook run --step migration-execution -- alembic upgrade head
              sealbook run --override --justification "P1 outage, CAB to approve retroactively" -- alembic upgrade head
            """)
    @Option(help: ArgumentHelp("The runbook step this command belongs to.", valueName: "step")) var step: String?
    @Flag(help: "Go ahead although the production gate is closed (emergency change).") var override = false
    @Option(help: ArgumentHelp("Why the override is justified (with --override).", valueName: "text")) var justification: String?
    @Option(help: ArgumentHelp("Runbook file, when the session's is not built in.", valueName: "file")) var runbook: String?
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
        let sid = try session.resolve()
        let stream = Recorder.sessionStream(sid)
        let (state, _) = try ctx.recorder.openSession(sid)
        let rb = try ctx.recorder.runbook(for: state, file: runbook)
        let runner = CommandRunner(
            argv: command, cwd: FileManager.default.currentDirectoryPath,
            environment: ProcessInfo.processInfo.environment, recordedVariables: rb.recordedEnvironment)
        let start = runner.describeStart()

        // The production gate, before anything runs.
        if state.environment == "production", start.alembic?.action == .upgrade {
            let gate = PolicyGate.evaluate(state: state, runbook: rb, executor: ctx.key.actor)
            if !gate.isOpen {
                if !override {
                    out.note("sealbook: refused: production upgrade gate is closed:")
                    for m in gate.missing { out.note("  - \(m)") }
                    out.note("record what is missing, or pass --override --justification TEXT for an emergency change")
                    throw CLIError(.gateClosed, "the production gate is closed: " + gate.missing.joined(separator: "; "))
                }
                try ctx.record(
                    stream, "override.recorded",
                    data([
                        ("gate", .string("production-upgrade")), ("justification", .string(justification!)),
                        ("missing", .array(gate.missing.map(JSONValue.string))),
                    ]), note: "emergency change: the gate was overridden")
            }
        }

        let commandID = Hex.encode(secureRandomBytes(6))
        var startData = data([
            ("commandId", .string(commandID)), ("step", step.json), ("argv", .array(start.argv.map(JSONValue.string))),
            ("cwd", .string(start.cwd)),
            ("environment", .object(JSONObject(start.environment.sorted { $0.key < $1.key }.map { (key: $0.key, value: .string($0.value)) }))),
        ])
        if let a = start.alembic {
            startData["alembic"] = .obj([("action", .string(a.action.rawValue))] + (a.target.map { [("target", JSONValue.string($0))] } ?? []))
        }
        try ctx.recorder.record(stream: stream, type: "command.started", data: startData, key: ctx.key)
        out.note("sealbook: recorded command.started \(commandID): \(command.joined(separator: " "))")

        let result: CommandResult
        do {
            result = try runner.run(stdout: FileHandle.standardOutput, stderr: FileHandle.standardError)
        } catch {
            // Could not start: recorded as failed with the shell's 127.
            let empty = JSONValue.obj([("sha256", .string(SHA256.hash([UInt8]()).hex)), ("sizeBytes", .int(0))])
            try ctx.record(
                stream, "command.finished",
                data([
                    ("commandId", .string(commandID)), ("outcome", .string("failed")), ("exitCode", .int(127)),
                    ("durationMs", .int(0)), ("stdout", empty), ("stderr", empty),
                ]), note: "\(error)")
            throw CLIError(.commandNotStarted, "\(error)")
        }
        var finish = data([
            ("commandId", .string(commandID)), ("outcome", .string(result.outcome.rawValue)),
            ("exitCode", result.exitCode.map { .int(Int64($0)) }), ("signal", result.signal.map { .int(Int64($0)) }),
            ("durationMs", .int(result.durationMs)),
            ("stdout", .obj([("sha256", .string(result.stdout.sha256)), ("sizeBytes", .int(result.stdout.sizeBytes))])),
            ("stderr", .obj([("sha256", .string(result.stderr.sha256)), ("sizeBytes", .int(result.stderr.sizeBytes))])),
        ])
        let moves = result.alembic
        if let moves {
            var a: [(String, JSONValue)] = []
            if let f = moves.fromRevision { a.append(("fromRevision", .string(f))) }
            if let t = moves.toRevision ?? moves.currentRevision { a.append(("toRevision", .string(t))) }
            if !a.isEmpty { finish["alembic"] = .obj(a) }
        }
        try ctx.record(
            stream, "command.finished", finish,
            extra: [("exitCode", .int(Int64(result.shellExitCode))), ("outcome", .string(result.outcome.rawValue))],
            note: "\(result.outcome.rawValue), exit \(result.shellExitCode), \(result.durationMs) ms")
        // `--sql` only prints SQL: the database does not move.
        if result.outcome == .success, let a = start.alembic, !a.sqlOnly, let moves, !moves.steps.isEmpty,
            a.action == .upgrade || a.action == .downgrade
        {
            let action = a.action
            try ctx.record(
                stream, action == .upgrade ? "migration.applied" : "migration.rolled-back",
                data([
                    ("fromRevision", moves.fromRevision.map(JSONValue.string) ?? .null),
                    ("toRevision", moves.toRevision.map(JSONValue.string) ?? .null), ("commandId", .string(commandID)),
                ]))
        }
        if result.shellExitCode != 0 { throw ExitCode(result.shellExitCode) }
    }
}

struct Probe: SealbookCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the environmental checks on the target PostgreSQL and record them as checklist items.",
        discussion: """
            Measures connections against max_connections, replication lag, long-running (> 5 min)
            and blocked queries, and the database size, and records the runbook's environmental
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
        let sid = try session.resolve()
        let (state, _) = try ctx.recorder.openSession(sid)
        let rb = try ctx.recorder.runbook(for: state, file: nil)
        let m = try TargetProbe.measure(target)
        let host = "target=\(m.server)"
        for (metric, value, status) in [
            ("pool_used_percent", m.poolUsedPercent, "pass"), ("replication_lag_seconds", m.replicationLagSeconds, "pass"),
        ] {
            if let item = rb.item(forMetric: metric) {
                try recordCheck(
                    ctx: ctx, session: sid, runbook: rb, item: item.id, status: status, value: value, unit: item.threshold?.unit,
                    evidence: .obj([("source", .string("sealbook probe")), ("target", .string(host))]))
            }
        }
        if let health = rb.item(forMetric: "database_health") ?? rb.item("database-health") {
            let healthy = m.longRunning == 0 && m.blocked == 0
            try recordCheck(
                ctx: ctx, session: sid, runbook: rb, item: health.id, status: healthy ? "pass" : "fail", value: nil, unit: nil,
                evidence: .obj([
                    ("longRunningQueries", .string(String(m.longRunning))), ("blockedQueries", .string(String(m.blocked))),
                    ("connections", .string("\(m.connections)/\(m.maxConnections)")), ("target", .string(host)),
                ]))
        }
        try ctx.record(
            Recorder.sessionStream(sid), "monitoring.observation",
            data([("metric", .string("database_size_bytes")), ("value", .string(String(m.databaseSizeBytes))), ("unit", .string("bytes"))]))
    }
}

/// Reads the environmental measures from a PostgreSQL server.
enum TargetProbe {
    struct Measures {
        let server: String
        let connections: Int64
        let maxConnections: Int64
        let poolUsedPercent: String
        let replicationLagSeconds: String
        let longRunning: Int64
        let blocked: Int64
        let databaseSizeBytes: Int64
    }

    static func measure(_ url: String) throws -> Measures {
        let c: PGConnection
        do { c = try PGConnection(conninfo: url) } catch { throw CLIError(.databaseUnavailable, "cannot connect to the target: \(error)") }
        do {
            let r = try c.query(
                """
                SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),
                       current_setting('max_connections')::bigint,
                       CASE WHEN pg_is_in_recovery()
                            THEN coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)
                            ELSE coalesce((SELECT max(extract(epoch FROM replay_lag)) FROM pg_stat_replication), 0) END::numeric(12,3)::text,
                       (SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid()
                            AND now() - query_start > interval '5 minutes'),
                       (SELECT count(*) FROM pg_stat_activity WHERE cardinality(pg_blocking_pids(pid)) > 0),
                       pg_database_size(current_database()),
                       current_database() || '@' || coalesce(inet_server_addr()::text, 'local') || ':' || current_setting('port')
                """)
            let conns = r.int64(0, 0)!, maxConns = r.int64(0, 1)!
            let pct = Double(conns) * 100 / Double(max(1, maxConns))
            return Measures(
                server: r.string(0, 6)!, connections: conns, maxConnections: maxConns,
                poolUsedPercent: String(format: "%.2f", pct), replicationLagSeconds: r.string(0, 2)!,
                longRunning: r.int64(0, 3)!, blocked: r.int64(0, 4)!, databaseSizeBytes: r.int64(0, 5)!)
        } catch {
            throw CLIError(.databaseError, "probing the target failed: \(error)")
        }
    }
}
