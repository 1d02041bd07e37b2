internal import Foundation
public import SealbookCore
internal import SealbookEmbedded

/// A migration runbook as data: checklists, execution steps and their commands, rollback paths,
/// emergency phases, validation windows, compliance checklists, troubleshooting, documentation
/// kinds, success criteria and escalation levels.
///
/// A runbook is a JSON file (`schemas/runbooks/*.json`, described in `docs/RUNBOOK.md` and by
/// `schemas/runbooks/runbook.schema.json`). ``load(path:)`` reads and checks one; ``builtIn`` is
/// the FinGood migration runbook carried inside the binary. A session records which runbook it
/// follows through ``reference`` (id, version and the SHA-256 of the file's exact bytes).
///
/// ```swift
/// let runbook = try Runbook.load(path: "schemas/runbooks/fingood-migration.json")
/// let disk = runbook.item("disk-space")!.threshold!
/// disk.evaluate("23.5")   // true
/// disk.description        // ">= 20 percent"
/// ```
public struct Runbook: Sendable, Equatable {
    /// Kebab-case id, e.g. `fingood-migration`.
    public let id: String
    /// The runbook's version, e.g. `1.0`.
    public let version: String
    /// E.g. `FinGood Database Migration Runbook`.
    public let title: String
    /// What the runbook covers.
    public let description: String?
    /// The owning team, e.g. `Database Team`.
    public let owner: String
    /// Who approved this version (roles), e.g. `CTO`, `Compliance Officer`.
    public let approvedBy: [String]
    /// The date of this version, `YYYY-MM-DD`.
    public let lastUpdated: String
    /// Lower-case hex SHA-256 of the file's exact bytes (for ``builtIn``, of the file in
    /// `schemas/runbooks/`).
    public let sha256: String
    /// Where the runbook came from: the path given to ``load(path:)``, the source given to
    /// ``load(json:source:)``, or `builtin:runbooks/<file>` for an embedded runbook.
    public let source: String
    /// Placeholders used in command arguments (e.g. `MIGRATION_ID`).
    public let placeholders: [Placeholder]
    /// The environment variables `sealbook run` records with each command. Every variable the
    /// runbook sets is in this list (the loader checks it).
    public let recordedEnvironment: [String]
    /// Whether `sealbook run` passes the ledger's own database URL (`SEALBOOK_DATABASE_URL`,
    /// which may hold its password) on to the commands it runs. False unless the runbook says
    /// `"passLedgerDatabaseURL": true`: a migration has no business writing to the ledger.
    public let passLedgerDatabaseURL: Bool
    /// Commands that only read (docs/RUNBOOK.md, "The production gate"): in a production
    /// session `sealbook run` lets these through without the gate, and records them as not a
    /// change. Everything else `run` starts is a change.
    public let readOnlyCommands: [ReadOnlyCommand]
    /// The pre-migration checklists, in file order (e.g. `critical`, `environmental`,
    /// `documentation`).
    public let checklists: [Checklist]
    /// The execution steps, in order.
    public let steps: [ExecutionStep]
    /// The rollback paths, in file order (e.g. `immediate`, `standard`, `emergency`).
    public let rollback: [RollbackPath]
    /// The emergency response phases and contacts.
    public let emergencyResponse: EmergencyResponse
    /// The post-migration validation windows, in file order.
    public let postMigrationValidation: [ValidationWindow]
    /// The compliance checklists, in file order (e.g. `sox`, `pci`, `gdpr`).
    public let compliance: [Checklist]
    /// Known problems and what to do.
    public let troubleshooting: [TroubleshootingCase]
    /// The documentation sets (e.g. `migration`, `execution`) and their kinds.
    public let documentationRequirements: [DocumentationSet]
    /// What makes a migration successful.
    public let successCriteria: [SuccessCriterion]
    /// Escalation levels, numbered from 1.
    public let escalation: [EscalationLevel]
    /// Related documents.
    public let resources: [RunbookResource]
    /// The legal and compliance notice, if any.
    public let legalNotice: LegalNotice?
    /// Event types the application still records in a session after its `session.closed`
    /// (docs/RUNBOOK.md, "After the close"), e.g. the retrospective approval of an emergency
    /// change: reports count them and mark each one as recorded after the close. Any other
    /// event is refused once a session is closed. Empty unless the runbook lists some.
    public internal(set) var afterClose: [String] = []

    /// The event types a runbook may list in ``afterClose``: those of the catalog that record
    /// a decision or a record about the change, never an action on the database or the
    /// session's own course.
    public static let typesAllowedAfterClose: Set<String> = [
        "approval.granted", "approval.denied", "documentation.recorded", "notification.sent",
    ]

    static func mayFollowClose(_ type: String) -> Bool { typesAllowedAfterClose.contains(type) }

    // MARK: Loading

    /// Reads and checks the runbook file at `path`.
    ///
    /// - Throws: ``RunbookError`` naming `path`, and for an invalid runbook every problem with
    ///   its JSON path and rule.
    public static func load(path: String) throws(RunbookError) -> Runbook {
        let data: [UInt8]
        do { data = try InputFile.read(path, what: "runbook", limit: 16 << 20) } catch {
            let rule: String
            switch error {
            case .missing: rule = "no such file"
            case .notARegularFile(_, _, let kind): rule = "is \(kind), not a runbook file"
            case .tooLarge(_, _, let limit): rule = "is larger than \(limit) bytes"
            case .unreadable(_, _, let why): rule = "cannot be read (\(why))"
            }
            throw RunbookError(source: path, kind: .unreadable, problems: [.init(path: "", rule: rule)])
        }
        return try load(json: data, source: path)
    }

    /// Parses and checks a runbook from the bytes of its file. `source` names the file in
    /// errors and becomes ``source``; ``sha256`` is the SHA-256 of `bytes`.
    ///
    /// - Throws: ``RunbookError``: ``RunbookError/Kind/invalidJSON`` when the bytes are not
    ///   strict JSON, ``RunbookError/Kind/invalidRunbook`` with every structural problem.
    public static func load(json bytes: [UInt8], source: String) throws(RunbookError) -> Runbook {
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            throw RunbookError(
                source: source, kind: .invalidJSON, problems: [.init(path: "", rule: error.description)])
        }
        var decoder = RunbookDecoder()
        let sha256 = SHA256.hash(bytes).hex
        guard let runbook = decoder.decode(root, sha256: sha256, source: source) else {
            throw RunbookError(source: source, kind: .invalidRunbook, problems: decoder.problems)
        }
        return runbook
    }

    // MARK: Built-in runbooks

    /// The FinGood migration runbook carried in the binary
    /// (`schemas/runbooks/fingood-migration.json`).
    public static var builtIn: Runbook {
        guard let runbook = builtIn(id: "fingood-migration") else {
            preconditionFailure("the built-in runbook fingood-migration is missing (schemas/runbooks/fingood-migration.json)")
        }
        return runbook
    }

    /// The embedded runbook with id `id` (any `schemas/runbooks/*.json` other than the schema),
    /// or `nil`.
    public static func builtIn(id: String) -> Runbook? {
        BuiltInRunbooks.all.first { $0.id == id }
    }

    /// The ids of the embedded runbooks, sorted.
    public static var builtInIDs: [String] { BuiltInRunbooks.all.map(\.id).sorted() }

    // MARK: Lookups

    /// What a session records: id, version and file SHA-256.
    public var reference: RunbookReference { RunbookReference(id: id, version: version, sha256: sha256) }

    /// Every checklist item: pre-migration checklists, then compliance checklists.
    public var allChecklistItems: [ChecklistItem] { (checklists + compliance).flatMap(\.items) }

    /// The critical items of the pre-migration checklists (``checklists``), in order: the ones a
    /// production migration may not start without. Compliance items are not included.
    public var criticalItems: [ChecklistItem] { checklists.flatMap(\.criticalItems) }

    /// The items, pre-migration or compliance, that have a threshold.
    public var measurableItems: [ChecklistItem] { allChecklistItems.filter { $0.threshold != nil } }

    /// The item with this id, in a pre-migration or compliance checklist.
    public func item(_ id: String) -> ChecklistItem? { allChecklistItems.first { $0.id == id } }

    /// The first item, pre-migration or compliance, whose threshold measures `metric` (e.g.
    /// `disk_free_percent` → `disk-space`).
    public func item(forMetric metric: String) -> ChecklistItem? {
        allChecklistItems.first { $0.threshold?.metric == metric }
    }

    /// The pre-migration or compliance checklist with this id.
    public func checklist(_ id: String) -> Checklist? { (checklists + compliance).first { $0.id == id } }

    /// The compliance item mapped to a reference id such as `S1` or `G3`.
    public func complianceItem(reference: String) -> ChecklistItem? {
        compliance.flatMap(\.items).first { $0.reference == reference }
    }

    /// The execution step with this id.
    public func step(_ id: String) -> ExecutionStep? { steps.first { $0.id == id } }

    /// The rollback path with this id (e.g. `immediate`).
    public func rollbackPath(_ id: String) -> RollbackPath? { rollback.first { $0.id == id } }

    /// The first rollback path whose window, anchored at `migration-completed`, contains the
    /// moment `seconds` after the migration completed (e.g. 299 → `immediate`, 300 → `standard`).
    public func rollbackPath(secondsAfterMigration seconds: Int) -> RollbackPath? {
        rollback.first {
            $0.window.map { $0.anchor == "migration-completed" && $0.contains(secondsAfterAnchor: seconds) } ?? false
        }
    }

    /// The emergency phase with this id.
    public func emergencyPhase(_ id: String) -> EmergencyPhase? { emergencyResponse.phases.first { $0.id == id } }

    /// The emergency phase whose window contains the moment `seconds` after its anchor.
    public func emergencyPhase(secondsAfterIncident seconds: Int) -> EmergencyPhase? {
        emergencyResponse.phases.first { $0.window.contains(secondsAfterAnchor: seconds) }
    }

    /// The post-migration validation window with this id (e.g. `long-term`).
    public func validationWindow(_ id: String) -> ValidationWindow? {
        postMigrationValidation.first { $0.id == id }
    }

    /// The troubleshooting case with this id.
    public func troubleshootingCase(_ id: String) -> TroubleshootingCase? {
        troubleshooting.first { $0.id == id }
    }

    /// Every documentation kind, in order of sets and kinds.
    public var documentationKinds: [DocumentationKind] { documentationRequirements.flatMap(\.kinds) }

    /// The documentation kind with this id (a `documentation.recorded` event's `kind`).
    public func documentationKind(_ id: String) -> DocumentationKind? { documentationKinds.first { $0.id == id } }

    /// The success criterion with this id.
    public func successCriterion(_ id: String) -> SuccessCriterion? { successCriteria.first { $0.id == id } }

    /// Escalation level `n` (from 1).
    public func escalationLevel(_ n: Int) -> EscalationLevel? { escalation.first { $0.level == n } }
}

extension RunbookReference {
    /// `{"id": …, "version": …, "sha256": …}`, for event data.
    public var json: JSONValue {
        .object(
            JSONObject([
                (key: "id", value: .string(id)), (key: "version", value: .string(version)),
                (key: "sha256", value: .string(sha256)),
            ]))
    }
}

/// The runbooks built into the binary, loaded once.
enum BuiltInRunbooks {
    /// Every `schemas/runbooks/*.json` except `*.schema.json`, sorted by file.
    /// A built-in runbook that fails to load is a build defect (the tests load each one).
    static let all: [Runbook] = EmbeddedFiles.files(in: "schemas/runbooks")
        .filter { $0.name.hasSuffix(".json") && !$0.name.hasSuffix(".schema.json") }
        .map { file in
            do {
                return try Runbook.load(json: file.bytes, source: "builtin:runbooks/\(file.name)")
            } catch {
                preconditionFailure("built-in runbook is invalid:\n\(error)")
            }
        }
}
