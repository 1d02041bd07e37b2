// The typed parts of a runbook, one per section of the file. docs/RUNBOOK.md describes every
// member; the loader (RunbookDecoder.swift) checks them.

/// A named list of items to tick off, e.g. the pre-migration `critical` checklist or the `sox`
/// compliance checklist.
public struct Checklist: Sendable, Equatable {
    /// The checklist's key in the file, e.g. `critical`, `environmental`, `sox`.
    public let id: String
    /// E.g. `Critical Requirements`.
    public let title: String
    /// What the checklist is for.
    public let description: String?
    /// The items, in file order; at least one.
    public let items: [ChecklistItem]

    /// The items with ``ChecklistItem/isCritical`` set, in order.
    public var criticalItems: [ChecklistItem] { items.filter(\.isCritical) }
}

/// One line of a checklist, e.g. `disk-space`. Item ids are unique across the whole runbook
/// (pre-migration and compliance checklists and success criteria), so events name an item by
/// its id alone.
public struct ChecklistItem: Sendable, Equatable {
    /// Stable kebab-case id, e.g. `backup-verification`.
    public let id: String
    /// The id of the checklist the item belongs to, e.g. `critical`.
    public let checklist: String
    /// E.g. `Backup Verification`.
    public let title: String
    /// What must be true, in the runbook owner's words.
    public let description: String
    /// Whether the item gates its stage: a missing or failed critical pre-migration item blocks
    /// the migration in production unless a signed override is recorded; a critical compliance
    /// item must be met before the session is signed off. Non-critical items are still recorded;
    /// a miss is reported as a finding.
    public let isCritical: Bool
    /// The measurable condition, for items that have one.
    public let threshold: Threshold?
    /// When the item applies only in some cases (e.g. "if required").
    public let condition: String?
    /// An external reference id, e.g. `S1` (a line of compliance.md section 3).
    public let reference: String?
}

/// A reusable placeholder in command arguments, e.g. `MIGRATION_ID`: an argv element equal to
/// the name is replaced by the session's value before the command runs.
public struct Placeholder: Sendable, Equatable {
    /// Upper-case name, e.g. `MIGRATION_ID`.
    public let name: String
    /// What it stands for.
    public let description: String
}

/// An environment variable the runbook sets, e.g. `ENVIRONMENT=production`.
public struct EnvironmentVariable: Sendable, Equatable {
    /// The name, e.g. `ENVIRONMENT` (`[A-Z_][A-Z0-9_]*`).
    public let name: String
    /// The value, e.g. `production`.
    public let value: String
}

/// One thing to do: a command (with ``argv``) or a manual action people perform and attest to
/// (without).
public struct RunbookAction: Sendable, Equatable {
    /// Kebab-case id, unique within its list.
    public let id: String
    /// E.g. `Apply the migration`.
    public let title: String
    /// The command as an argument vector, exactly as in the runbook (e.g.
    /// `["alembic", "upgrade", "head"]`); `nil` for a manual action.
    public let argv: [String]?
    /// Variables set for this command only (e.g. `MIGRATION_TIMEOUT=3600` for a retry).
    public let environment: [EnvironmentVariable]
    /// When the action applies, if not always.
    public let condition: String?

    /// Whether this is a manual action (no command).
    public var isManual: Bool { argv == nil }

    /// The argv joined by spaces for display (not quoted for a shell), or `nil` for a manual
    /// action.
    public var commandLine: String? { argv?.joined(separator: " ") }
}

/// One of the migration execution steps, e.g. `migration-execution`.
public struct ExecutionStep: Sendable, Equatable {
    /// Position in the runbook, from 1.
    public let number: Int
    /// Kebab-case id, e.g. `environment-preparation`.
    public let id: String
    /// E.g. `Environment Preparation`.
    public let title: String
    /// More words about the step.
    public let description: String?
    /// The directory the commands run in, when the runbook names one.
    public let workingDirectory: String?
    /// Variables exported at the start of this step; they stay set for the later steps too.
    public let environment: [EnvironmentVariable]
    /// The commands, in order; at least one; each has an argv.
    public let commands: [RunbookAction]
}

/// A way to roll back, e.g. `immediate`, `standard`, `emergency`.
public struct RollbackPath: Sendable, Equatable {
    /// The path's key in the file, e.g. `immediate`.
    public let id: String
    /// E.g. `Immediate Rollback`.
    public let title: String
    /// When to take this path.
    public let trigger: String
    /// When the path applies, measured from its anchor (e.g. `[PT0S, PT5M)` after
    /// `migration-completed`); `nil` when it applies whenever its trigger occurs.
    public let window: TimeWindow?
    /// The alternative methods (at least one); each is a full sequence of actions.
    public let methods: [RollbackMethod]
}

/// One method of a rollback path, e.g. restore the session backup, or downgrade.
public struct RollbackMethod: Sendable, Equatable {
    /// Kebab-case id, unique within the path.
    public let id: String
    /// E.g. `Restore the session backup`.
    public let title: String
    /// When to choose this method.
    public let condition: String?
    /// What to do, in order.
    public let actions: [RunbookAction]
}

/// The critical-failure response: phases with their time windows, and contacts.
public struct EmergencyResponse: Sendable, Equatable {
    /// The phases in order (e.g. immediate actions 0-5 min, assessment 5-15 min, recovery 15+).
    public let phases: [EmergencyPhase]
    /// Who to contact.
    public let contacts: [Contact]

    /// No phases, no contacts (a runbook without an emergency section).
    public static let none = EmergencyResponse(phases: [], contacts: [])
}

/// One phase of the emergency response.
public struct EmergencyPhase: Sendable, Equatable {
    /// Kebab-case id, e.g. `assessment`.
    public let id: String
    /// E.g. `Assessment`.
    public let title: String
    /// When the phase runs, measured from its anchor (e.g. `incident-declared`).
    public let window: TimeWindow
    /// What to do in the phase.
    public let actions: [RunbookAction]
}

/// A team or channel to reach in an emergency.
public struct Contact: Sendable, Equatable {
    /// How the contact is reached.
    public enum Channel: String, Sendable, Equatable, CaseIterable {
        case email, phone, chat, pager, url
    }

    /// Kebab-case id, e.g. `database-team`.
    public let id: String
    /// E.g. `Database Team`.
    public let title: String
    /// E.g. ``Channel/email``.
    public let channel: Channel
    /// The address on that channel (a team mailbox or number, never a person's).
    public let address: String
}

/// A window of post-migration validation, e.g. `immediate` (0-30 min).
public struct ValidationWindow: Sendable, Equatable {
    /// The window's key in the file, e.g. `extended`.
    public let id: String
    /// E.g. `Extended Validation`.
    public let title: String
    /// When its checks run, measured from its anchor (e.g. `migration-completed`).
    public let window: TimeWindow
    /// The checks: commands, or manual observations without argv.
    public let checks: [RunbookAction]
}

/// A known problem with its symptoms and what to do.
public struct TroubleshootingCase: Sendable, Equatable {
    /// Kebab-case id, e.g. `migration-timeout`.
    public let id: String
    /// E.g. `Migration Timeout`.
    public let title: String
    /// How the problem shows.
    public let symptoms: [String]
    /// What to do, in order.
    public let actions: [RunbookAction]
}

/// A group of documentation kinds, e.g. `migration` (before) or `execution` (during).
public struct DocumentationSet: Sendable, Equatable {
    /// The set's key in the file, e.g. `migration`.
    public let id: String
    /// E.g. `Migration Documentation`.
    public let title: String
    /// When or why it is written.
    public let description: String?
    /// The kinds, in order.
    public let kinds: [DocumentationKind]
}

/// A kind of document, the `kind` value of a `documentation.recorded` event, e.g.
/// `risk-assessment`. Kind ids are unique across all documentation sets.
public struct DocumentationKind: Sendable, Equatable {
    /// Kebab-case id, e.g. `rollback-plan`.
    public let id: String
    /// The id of the set it belongs to, e.g. `migration`.
    public let set: String
    /// E.g. `Rollback Plan`.
    public let title: String
    /// What the document holds.
    public let description: String
}

/// A line of the success criteria.
public struct SuccessCriterion: Sendable, Equatable {
    /// Kebab-case id, e.g. `audit-trail-complete`.
    public let id: String
    /// E.g. `Audit trail complete and compliant`.
    public let title: String
    /// More words, if any.
    public let description: String?
}

/// A support and escalation level.
public struct EscalationLevel: Sendable, Equatable {
    /// 1, 2, 3, …: levels are numbered from 1 without gaps.
    public let level: Int
    /// Kebab-case id, e.g. `data-integrity-issues`.
    public let id: String
    /// E.g. `Data Integrity Issues`.
    public let title: String
    /// The teams involved (team names, never people).
    public let who: [String]
    /// Which procedures apply.
    public let procedures: String?
    /// The target response time (`PT0S` for immediate).
    public let responseTime: RunbookDuration
}

/// A related document.
public struct RunbookResource: Sendable, Equatable {
    /// Kebab-case id.
    public let id: String
    /// E.g. `Data Validation Guide`.
    public let title: String
    /// Where it is (relative path or URL).
    public let href: String
}

/// The runbook's legal and compliance notice.
public struct LegalNotice: Sendable, Equatable {
    /// The notice.
    public let text: String
    /// The regulations it names, e.g. `SOX`, `PCI DSS`, `GDPR`.
    public let frameworks: [String]
    /// Who approves deviations.
    public let deviationApprovedBy: String?
}

/// What a session records about the runbook it follows.
public struct RunbookReference: Sendable, Equatable, Hashable {
    /// The runbook's id, e.g. `fingood-migration`.
    public let id: String
    /// Its version, e.g. `1.0`.
    public let version: String
    /// Lower-case hex SHA-256 of the runbook file's exact bytes.
    public let sha256: String

    /// A reference to a runbook.
    public init(id: String, version: String, sha256: String) {
        self.id = id
        self.version = version
        self.sha256 = sha256
    }
}

/// A command the runbook declares read-only (docs/RUNBOOK.md, "The production gate"): it reads
/// the database or the code and changes nothing, so `sealbook run` lets it through a closed
/// production gate and records it as not a change.
public struct ReadOnlyCommand: Sendable, Equatable {
    /// The pattern: the program, then its arguments. A placeholder name (e.g. `MIGRATION_ID`)
    /// stands for any one argument; a last element `...` for any further arguments.
    public let argv: [String]
    /// Why the command changes nothing, for the reader of the runbook and of the report.
    public let why: String

    /// The pattern as one line, e.g. `pg_dump ...`.
    public var commandLine: String { argv.joined(separator: " ") }

    /// Whether `command` (an argv about to run) is this command. The program is compared by its
    /// file name (`/usr/bin/pg_dump` is `pg_dump`); the arguments one by one, all of them unless
    /// the pattern ends with `...`. A pattern for `alembic` with one subcommand (e.g.
    /// `["alembic", "current"]`) matches every alembic invocation of that subcommand, whatever
    /// its options (`alembic -c alembic.ini current --verbose`), and only the subcommands that
    /// move nothing can be declared so (`current`, `history`).
    public func matches(_ command: [String], placeholders: Set<String>) -> Bool {
        guard let program = argv.first, let run = command.first else { return false }
        if program == "alembic", argv.count == 2, let action = AlembicInvocation.Action(rawValue: argv[1]) {
            guard action == .current || action == .history else { return false }
            return AlembicInvocation.parse(argv: command)?.action == action
        }
        guard Self.fileName(run) == Self.fileName(program) else { return false }
        var pattern = Array(argv.dropFirst())
        let open = pattern.last == "..."
        if open { pattern.removeLast() }
        let args = Array(command.dropFirst())
        guard open ? args.count >= pattern.count : args.count == pattern.count else { return false }
        return zip(pattern, args).allSatisfy { p, a in p == a || placeholders.contains(p) }
    }

    private static func fileName(_ path: String) -> Substring {
        path.split(separator: "/", omittingEmptySubsequences: false).last ?? Substring(path)
    }
}

extension Runbook {
    /// The read-only command `argv` is, if the runbook declares one it matches.
    public func readOnlyCommand(matching argv: [String]) -> ReadOnlyCommand? {
        let names = Set(placeholders.map(\.name))
        return readOnlyCommands.first { $0.matches(argv, placeholders: names) }
    }
}
