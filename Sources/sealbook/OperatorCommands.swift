import ArgumentParser
import Foundation
import SealbookCore
import SealbookKit
import SealbookPostgres
import SealbookRunbook

/// A command that records one event in the current session.
protocol SessionEventCommand: SealbookCommand {
    var session: SessionOption { get }
    var key: KeyOption { get }
    var database: DatabaseOptions { get }
    /// The event to record, built from the options (and the open session's verified state).
    func event(_ session: SessionView) throws -> RunbookEvent
}

extension SessionEventCommand {
    func perform(_ out: Output) throws {
        let ctx = try RunbookContext(out: out, database: database, key: key)
        // A closed session may still take what its runbook counts after the close (record
        // refuses anything else).
        let s = try ctx.ledger.session(try session.resolve())
        let event = try event(s)
        ctx.report(RecordedEvent(type: event.type, result: try ctx.ledger.record(event, in: s, key: ctx.key)))
    }
}

struct Approve: SessionEventCommand {
    static let configuration = CommandConfiguration(
        abstract: "Grant (or --deny) approval of the session's change; needs a key with role approver.",
        discussion: """
            For segregation of duties, an approval counts only from an actor other than the ones \
            who execute the change, signed by a key that holds the approver role.

            Example:
              sealbook approve --comment "CAB 2024-01-14 approved" --key bob.key
              sealbook approve --deny --reason "no rollback test" --key bob.key
              sealbook approve --supersedes 812 --reason "rollback tested since, see doc" --key carol.key

            A denial keeps the production gate closed until a later approval names it with \
            --supersedes SEQ (the denial's seq, from `sealbook session show`) and a --reason.
            """)
    @Option(help: ArgumentHelp("What is approved.", valueName: "scope")) var scope = "migration"
    @Option(help: ArgumentHelp("A comment.", valueName: "text")) var comment: String?
    @Flag(help: "Deny instead of grant.") var deny = false
    @Option(help: ArgumentHelp("Why (with --deny or --supersedes).", valueName: "text")) var reason: String?
    @Option(help: ArgumentHelp("Overrule the session's denial at this seq (with --reason).", valueName: "seq"))
    var supersedes: Int64?
    @OptionGroup var session: SessionOption
    @OptionGroup var key: KeyOption
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if deny && reason == nil { throw ValidationError("--deny needs --reason") }
        if supersedes != nil && reason == nil { throw ValidationError("--supersedes needs --reason") }
        if deny && supersedes != nil { throw ValidationError("--supersedes overrules a denial with a grant: not with --deny") }
    }

    func event(_ s: SessionView) throws -> RunbookEvent {
        if deny, let reason { return .approvalDenied(scope: scope, reason: reason) }
        var overrules: (denialSeq: Int64, reason: String)?
        if let seq = supersedes, let reason {
            guard s.state.approvals.contains(where: { !$0.granted && $0.seq == seq }) else {
                let denials = s.state.approvals.filter { !$0.granted }.map { String($0.seq) }
                throw CLIError(
                    .usage,
                    "--supersedes \(seq): no approval.denied of this session is at that seq (denials: \(denials.isEmpty ? "none" : denials.joined(separator: ", ")))")
            }
            overrules = (seq, reason)
        }
        return .approvalGranted(
            scope: scope, migrationID: s.state.migrationID, revision: s.state.alembicTo, comment: comment, supersedes: overrules)
    }
}

struct Notify: SessionEventCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record that a team was notified (e.g. of the maintenance window).",
        discussion: """
            Example:
              sealbook notify --audience operations --channel "#ops" --subject "maintenance window 22:00-23:00 UTC"
            """)
    @Option(help: ArgumentHelp("Who was notified.", valueName: "audience")) var audience: String
    @Option(help: ArgumentHelp("How.", valueName: "channel")) var channel: String
    @Option(help: ArgumentHelp("About what.", valueName: "subject")) var subject: String
    @OptionGroup var session: SessionOption
    @OptionGroup var key: KeyOption
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func event(_ s: SessionView) throws -> RunbookEvent {
        .notificationSent(audience: audience, channel: channel, subject: subject)
    }
}

struct Doc: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Record documentation by digest.", subcommands: [Add.self])

    struct Add: SessionEventCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a document's kind, SHA-256, size and location (never its content).",
            discussion: """
                Example:
                  sealbook doc add --kind risk-assessment --file risk.pdf --location s3://docs/CHG-1042/risk.pdf
                """)
        @Option(help: ArgumentHelp("A documentation kind of the runbook.", valueName: "kind")) var kind: String
        @Option(help: ArgumentHelp("The document (hashed, not stored).", valueName: "file")) var file: String
        @Option(help: ArgumentHelp("Where it lives (default: the file's path).", valueName: "uri")) var location: String?
        @Option(help: ArgumentHelp("A title.", valueName: "text")) var title: String?
        @OptionGroup var session: SessionOption
        @OptionGroup var key: KeyOption
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func event(_ s: SessionView) throws -> RunbookEvent {
            let (sha, size) = try digestFile(file)
            let loc = location ?? URL(fileURLWithPath: file).standardizedFileURL.path
            return .documentationRecorded(kind: kind, title: title, sha256: sha, sizeBytes: size, location: loc)
        }
    }
}

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record backups and their verification.", subcommands: [Record.self, Verify.self])

    struct Record: SessionEventCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record that a backup was created.",
            discussion: """
                Example:
                  sealbook backup record --backup-id bk-20240115-2200 --method pg_dump --location /backups/fingood.dump --file /backups/fingood.dump
                """)
        @Option(name: .customLong("backup-id"), help: ArgumentHelp("Backup id.", valueName: "id")) var backupID: String
        @Option(help: ArgumentHelp("How it was made (pg_dump, basebackup, snapshot…).", valueName: "method")) var method: String
        @Option(help: ArgumentHelp("Where it is.", valueName: "uri")) var location: String
        @Option(help: ArgumentHelp("The backup file, to record its SHA-256 and size.", valueName: "file")) var file: String?
        @OptionGroup var session: SessionOption
        @OptionGroup var key: KeyOption
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func event(_ s: SessionView) throws -> RunbookEvent {
            let digest = try file.map(digestFile)
            return .backupCreated(
                backupID: backupID, method: method, location: location, sha256: digest?.sha256, sizeBytes: digest?.size)
        }
    }

    struct Verify: SessionEventCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record the verification of a backup.",
            discussion: """
                Example:
                  sealbook backup verify --backup-id bk-20240115-2200 --result pass --restore-tested
                """)
        @Option(name: .customLong("backup-id"), help: ArgumentHelp("Backup id.", valueName: "id")) var backupID: String
        @Option(help: ArgumentHelp("The result.", valueName: "result")) var result: CheckResult
        @Flag(name: .customLong("restore-tested"), help: "A test restore was done.") var restoreTested = false
        @Option(help: ArgumentHelp("How it was verified.", valueName: "method")) var method: String?
        @OptionGroup var session: SessionOption
        @OptionGroup var key: KeyOption
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func event(_ s: SessionView) throws -> RunbookEvent {
            .backupVerified(backupID: backupID, result: result, restoreTested: restoreTested, method: method)
        }
    }
}

struct Validate: SessionEventCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record a validation result (pre, immediate 0-30 min, extended 30 min-4 h, long-term 4 h+, post-rollback).",
        discussion: """
            Example:
              sealbook validate --phase immediate --check data-integrity --result pass --details "row counts and totals match"
            """)
    @Option(help: ArgumentHelp("The validation window.", valueName: "phase")) var phase: ValidationPhase
    @Option(help: ArgumentHelp("Which check.", valueName: "check")) var check: String
    @Option(help: ArgumentHelp("The result.", valueName: "result")) var result: CheckResult
    @Option(help: ArgumentHelp("Details.", valueName: "text")) var details: String?
    @OptionGroup var session: SessionOption
    @OptionGroup var key: KeyOption
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func event(_ s: SessionView) throws -> RunbookEvent {
        .validationRecorded(phase: phase, check: check, result: result, details: details)
    }
}

struct Rollback: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record a rollback: immediate (< 5 min after the migration), standard, or emergency.",
        subcommands: [Start.self, Complete.self])

    struct Start: SessionEventCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record the start of a rollback.",
            discussion: """
                Example:
                  sealbook rollback start --kind immediate --method alembic-downgrade --reason "data validation failed"
                """)
        @Option(help: ArgumentHelp("Which rollback.", valueName: "kind")) var kind: RollbackKind
        @Option(help: ArgumentHelp("How.", valueName: "method")) var method: RollbackMethodChoice
        @Option(help: ArgumentHelp("Why.", valueName: "text")) var reason: String
        @OptionGroup var session: SessionOption
        @OptionGroup var key: KeyOption
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func event(_ s: SessionView) throws -> RunbookEvent { .rollbackStarted(kind: kind, method: method, reason: reason) }
    }

    struct Complete: SessionEventCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record the end of a rollback and its result.",
            discussion: """
                Example:
                  sealbook rollback complete --kind immediate --result success --revision 1975ea83b712
                """)
        @Option(help: ArgumentHelp("Which rollback.", valueName: "kind")) var kind: RollbackKind
        @Option(help: ArgumentHelp("The result.", valueName: "result")) var result: RollbackOutcome
        @Option(help: ArgumentHelp("Alembic revision after the rollback.", valueName: "rev")) var revision: String?
        @OptionGroup var session: SessionOption
        @OptionGroup var key: KeyOption
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func event(_ s: SessionView) throws -> RunbookEvent {
            .rollbackCompleted(kind: kind, result: result, resultingRevision: revision)
        }
    }
}

struct Traffic: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record that traffic or writes were stopped or resumed.", subcommands: [Stop.self, Resume.self])

    struct Stop: SessionEventCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record that application traffic or database writes were stopped.",
            discussion: """
                Example:
                  sealbook traffic stop --scope writes --reason "preserve state for investigation"
                """)
        @Option(help: ArgumentHelp("What was stopped.", valueName: "scope")) var scope: TrafficScope
        @Option(help: ArgumentHelp("Why.", valueName: "text")) var reason: String = "runbook procedure"
        @OptionGroup var session: SessionOption
        @OptionGroup var key: KeyOption
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func event(_ s: SessionView) throws -> RunbookEvent { .trafficStopped(scope: scope, reason: reason) }
    }

    struct Resume: SessionEventCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record that traffic or writes were resumed.",
            discussion: """
                Example:
                  sealbook traffic resume --scope writes
                """)
        @Option(help: ArgumentHelp("What was resumed.", valueName: "scope")) var scope: TrafficScope
        @OptionGroup var session: SessionOption
        @OptionGroup var key: KeyOption
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func event(_ s: SessionView) throws -> RunbookEvent { .trafficResumed(scope: scope) }
    }
}

struct Monitor: SessionEventCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record a monitoring observation (long-term validation: KPIs, error rates, response times).",
        discussion: """
            Example:
              sealbook monitor --metric p99_latency_ms --value 182 --unit ms --window PT1H
            """)
    @Option(help: ArgumentHelp("Metric name.", valueName: "metric")) var metric: String
    @Option(help: ArgumentHelp("Value (a decimal number).", valueName: "value")) var value: String
    @Option(help: ArgumentHelp("Unit.", valueName: "unit")) var unit: String
    @Option(help: ArgumentHelp("Observation window, e.g. PT1H.", valueName: "window")) var window: String?
    @OptionGroup var session: SessionOption
    @OptionGroup var key: KeyOption
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func event(_ s: SessionView) throws -> RunbookEvent {
        .monitoringObservation(metric: metric, value: value, unit: unit, window: window)
    }
}
