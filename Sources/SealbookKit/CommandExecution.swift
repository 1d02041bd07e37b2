public import Foundation
public import SealbookCore
internal import SealbookPostgres
public import SealbookRunbook

/// `sealbook run`: a command of the runbook, run and recorded (docs/RUNBOOK.md, "run"). In
/// order: the session is read and verified; the command is a change unless the runbook declares
/// it read-only; in production a change meets the policy gate, whatever the program (closed:
/// `gate.refused` is recorded and the command does not run, or with an override justification
/// an `override.recorded`); then
/// `command.started`, the command itself (its output streamed and hashed), `command.finished`
/// (also for a command that could not start), and `migration.applied` /
/// `migration.rolled-back` for the revisions alembic moved.
public struct CommandExecution {
    /// What to run, and how.
    public struct Request: Sendable {
        public var session: String
        public var argv: [String]
        public var cwd: String
        /// The command's whole environment.
        public var environment: [String: String]
        /// The runbook step the command belongs to.
        public var step: String?
        /// With a justification: go ahead although the production gate is closed (an emergency
        /// change, recorded as `override.recorded`).
        public var overrideJustification: String?
        /// The session's runbook file, when it is not built in.
        public var runbookFile: String?
        /// Whether secrets are replaced by markers in what `command.started` records
        /// (``SecretRedaction``). False only for `sealbook run --no-redact`, which
        /// `command.started` records as `"redaction": "disabled"`.
        public var redact: Bool

        public init(
            session: String, argv: [String], cwd: String, environment: [String: String], step: String? = nil,
            overrideJustification: String? = nil, runbookFile: String? = nil, redact: Bool = true
        ) {
            self.redact = redact
            self.session = session
            self.argv = argv
            self.cwd = cwd
            self.environment = environment
            self.step = step
            self.overrideJustification = overrideJustification
            self.runbookFile = runbookFile
        }
    }

    /// How the command ended.
    public struct Outcome: Sendable {
        public let commandID: String
        public let result: CommandResult
        /// The exit code a shell would report: the command's, or 128 + its signal.
        public var exitCode: Int32 { result.shellExitCode }
    }

    public let ledger: Ledger
    public let key: KeyFile

    /// The variable that holds the ledger's database URL; not passed to the command unless the
    /// runbook says `"passLedgerDatabaseURL": true`.
    public static let ledgerURLVariable = "SEALBOOK_DATABASE_URL"
    /// What `command.started`'s `redaction.scheme` says: markers are
    /// `[redacted:scrypt:<hex>]`, the hex scrypt(value, salt, N = 32768, r = 8, p = 1, 32 bytes).
    public static let redactionScheme = "scrypt-n32768-r8-p1"
    /// The gate's name in `gate.refused` and `override.recorded`.
    public static let productionGate = "production-change"

    /// Whether an alembic target names one revision (not `head`, `heads`, a relative step such
    /// as `+1`, a branch label `x@head`, or an offline range `a:b`).
    static func namesRevision(_ target: String) -> Bool {
        !["head", "heads", "base"].contains(target) && !target.hasPrefix("+") && !target.hasPrefix("-")
            && !target.contains("@") && !target.contains(":")
    }

    /// The revisions `alembic heads` lists, run as the command would be (same program, options,
    /// directory and environment), or why it could not tell.
    static func alembicHeads(argv: [String], cwd: String, environment: [String: String]) -> Result<[String], HeadsFailure> {
        guard let heads = AlembicInvocation.headsArgv(argv) else { return .failure(HeadsFailure("not an alembic command line")) }
        let path = NSTemporaryDirectory() + "sealbook-heads-\(getpid())-\(Hex.encode(secureRandomBytes(6)))"
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
            let out = FileHandle(forWritingAtPath: path), let null = FileHandle(forWritingAtPath: "/dev/null")
        else { return .failure(HeadsFailure("no temporary file for its output")) }
        defer {
            try? out.close()
            try? null.close()
            unlink(path)
        }
        let runner = CommandRunner(argv: heads, cwd: cwd, environment: environment, recordedVariables: [])
        do {
            let r = try runner.run(stdout: out, stderr: null)
            guard r.exitCode == 0 else {
                return .failure(HeadsFailure("`\(heads.joined(separator: " "))` exited with \(r.shellExitCode)"))
            }
        } catch {
            return .failure(HeadsFailure("`\(heads.joined(separator: " "))` could not start: \(error)"))
        }
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return .success(AlembicOutput.currentRevisions(in: text))
    }

    struct HeadsFailure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    public init(ledger: Ledger, key: KeyFile) {
        self.ledger = ledger
        self.key = key
    }

    /// Runs `request` with the command's output going to `stdout` and `stderr`. `recorded` is
    /// called after each event is appended. Throws ``LedgerError/gateClosed(missing:)`` when the
    /// gate refuses (nothing is recorded, nothing runs) and
    /// ``LedgerError/commandNotStarted(_:)`` when the command could not start (recorded as
    /// failed with exit code 127).
    public func run(
        _ request: Request, stdout: FileHandle, stderr: FileHandle, recorded: (RecordedEvent) -> Void = { _ in }
    ) throws -> Outcome {
        let session = try ledger.openSession(request.session)
        let rb = try session.runbook(file: request.runbookFile)
        // The ledger's own database URL (and so maybe its password) reaches the command only when
        // the runbook asks for it.
        var environment = request.environment
        if !rb.passLedgerDatabaseURL { environment[Self.ledgerURLVariable] = nil }
        let runner = CommandRunner(
            argv: request.argv, cwd: request.cwd, environment: environment, recordedVariables: rb.recordedEnvironment)
        // Secrets out of argv, cwd and the recorded variables before anything is signed: the one
        // place where the run path redacts (SecretRedaction, README "Secrets in `run`").
        let start = runner.describeStart(redaction: request.redact ? SecretRedaction() : nil)
        func record(_ type: String, _ data: JSONObject, note: String? = nil) throws {
            let r = try ledger.record(type: type, data: data, in: session, key: key)
            recorded(RecordedEvent(type: type, result: r, note: note))
        }

        // A change unless the runbook declares the command read-only; in production every change
        // meets the gate before anything runs, whatever the program.
        let readOnly = rb.readOnlyCommand(matching: request.argv)
        if readOnly == nil, session.state.environment == Environment.production.rawValue {
            var missing = session.gate(executor: key.actor, runbook: rb).missing
            // An upgrade to a named revision other than the one the session declares (and its
            // approvals name) would go past the approval.
            if let a = start.alembic, a.action == .upgrade, let target = a.target, Self.namesRevision(target),
                let declared = session.state.alembicTo, target != declared
            {
                missing.append("the upgrade targets revision \(target), but the session declares (and approvals name) \(declared)")
            }
            // A target that cannot be compared with the approval before it runs (`heads`, `+1`,
            // `branch@head`, `a:b`) is refused: name the revision, or `head`.
            if let a = start.alembic, a.action == .upgrade, !a.sqlOnly, let target = a.target, target != "head",
                !Self.namesRevision(target), let declared = session.state.alembicTo
            {
                missing.append(
                    "the upgrade target \(target) cannot be compared with the approved revision \(declared) before it runs: name the revision (or head)")
            }
            // `upgrade head` is resolved before it runs: alembic's heads must be exactly the
            // declared revision, or the upgrade would go past (or beside) the approval. Only
            // when nothing else is missing: `heads` loads the migration scripts.
            if missing.isEmpty, let a = start.alembic, a.action == .upgrade, !a.sqlOnly, a.target == "head",
                let declared = session.state.alembicTo
            {
                switch Self.alembicHeads(argv: request.argv, cwd: request.cwd, environment: environment) {
                case .success(let heads) where heads == [declared]:
                    break
                case .success(let heads) where heads.isEmpty:
                    missing.append("`head` could not be resolved: alembic heads listed no revision (the session declares \(declared))")
                case .success(let heads) where heads.count > 1:
                    missing.append(
                        "`head` is ambiguous: alembic heads lists \(heads.joined(separator: ", ")); the session declares (and approvals name) \(declared)")
                case .success(let heads):
                    missing.append("`upgrade head` would go to \(heads[0]), but the session declares (and approvals name) \(declared)")
                case .failure(let why):
                    missing.append("`head` could not be resolved before the upgrade: \(why)")
                }
            }
            if !missing.isEmpty {
                guard let justification = request.overrideJustification else {
                    // The refusal is evidence: what would have run, and what was missing.
                    let event = RunbookEvent.gateRefused(
                        gate: Self.productionGate, step: request.step, argv: start.argv, missing: missing)
                    try record(event.type, event.data, note: "refused: the command did not run")
                    throw LedgerError.gateClosed(missing: missing)
                }
                let event = RunbookEvent.overrideRecorded(
                    gate: Self.productionGate, justification: justification, missing: missing)
                try record(event.type, event.data, note: "emergency change: the gate was overridden")
            }
        }

        let commandID = Hex.encode(secureRandomBytes(6))
        var startData = members([
            ("commandId", .string(commandID)), ("step", string(request.step)),
            ("argv", .array(start.argv.map(JSONValue.string))), ("cwd", .string(start.cwd)),
            (
                "environment",
                .object(JSONObject(start.environment.sorted { $0.key < $1.key }.map { (key: $0.key, value: .string($0.value)) }))
            ),
            ("change", .bool(readOnly == nil)), ("readOnly", string(readOnly?.commandLine)),
        ])
        switch start.redaction {
        case .disabled:
            startData["redaction"] = .string("disabled")
        case .applied(let salt, let count):
            startData["redaction"] = object([
                ("scheme", .string(Self.redactionScheme)), ("salt", .string(Hex.encode(salt))), ("redacted", int(Int64(count))),
            ])
        }
        if let a = start.alembic {
            startData["alembic"] = object([("action", .string(a.action.rawValue))] + (a.target.map { [("target", JSONValue.string($0))] } ?? []))
        }
        try record("command.started", startData)

        let result: CommandResult
        do {
            result = try runner.run(stdout: stdout, stderr: stderr)
        } catch {
            // Could not start: recorded as failed with the shell's 127.
            let empty = object([("sha256", .string(SHA256.hash([UInt8]()).hex)), ("sizeBytes", int(0))])
            try record(
                "command.finished",
                members([
                    ("commandId", .string(commandID)), ("outcome", .string("failed")), ("exitCode", int(127)),
                    ("durationMs", int(0)), ("stdout", empty), ("stderr", empty),
                ]), note: "\(error)")
            throw LedgerError.commandNotStarted("\(error)")
        }
        var finish = members([
            ("commandId", .string(commandID)), ("outcome", .string(result.outcome.rawValue)),
            ("exitCode", result.exitCode.map { int(Int64($0)) }), ("signal", result.signal.map { int(Int64($0)) }),
            ("durationMs", int(result.durationMs)),
            ("stdout", object([("sha256", .string(result.stdout.sha256)), ("sizeBytes", int(result.stdout.sizeBytes))])),
            ("stderr", object([("sha256", .string(result.stderr.sha256)), ("sizeBytes", int(result.stderr.sizeBytes))])),
        ])
        let moves = result.alembic
        if let moves {
            var a: [(String, JSONValue)] = []
            if let f = moves.fromRevision { a.append(("fromRevision", .string(f))) }
            if let t = moves.toRevision ?? moves.currentRevision { a.append(("toRevision", .string(t))) }
            if !a.isEmpty { finish["alembic"] = object(a) }
        }
        try record(
            "command.finished", finish,
            note: "\(result.outcome.rawValue), exit \(result.shellExitCode), \(result.durationMs) ms")
        // `--sql` only prints SQL: the database does not move.
        if result.outcome == .success, let a = start.alembic, !a.sqlOnly, let moves, !moves.steps.isEmpty,
            a.action == .upgrade || a.action == .downgrade
        {
            try record(
                a.action == .upgrade ? "migration.applied" : "migration.rolled-back",
                members([
                    ("fromRevision", moves.fromRevision.map(JSONValue.string) ?? .null),
                    ("toRevision", moves.toRevision.map(JSONValue.string) ?? .null), ("commandId", .string(commandID)),
                ]))
        }
        return Outcome(commandID: commandID, result: result)
    }
}
