import Foundation
import SealbookCore
import Testing

@testable import SealbookRunbook

/// The repository root, found from this file's path.
private let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

private func fileBytes(_ relative: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: repositoryRoot.appendingPathComponent(relative)))
}

private func path(_ relative: String) -> String { repositoryRoot.appendingPathComponent(relative).path }

@Suite("Runbook: the built-in FinGood runbook")
struct RunbookBuiltInTests {
    let rb = Runbook.builtIn

    @Test func identity() {
        #expect(rb.id == "fingood-migration")
        #expect(rb.version == "1.1")
        #expect(rb.title == "FinGood Database Migration Runbook")
        #expect(rb.owner == "Database Team")
        #expect(rb.approvedBy == ["CTO", "Compliance Officer"])
        #expect(rb.lastUpdated == "2024-01-15")
        #expect(rb.source == "builtin:runbooks/fingood-migration.json")
        #expect(Runbook.builtIn(id: "fingood-migration") == rb)
        #expect(Runbook.builtIn(id: "no-such-runbook") == nil)
        #expect(Runbook.builtInIDs.contains("fingood-migration"))
    }

    @Test func checklistCounts() {
        #expect(rb.checklists.map(\.id) == ["critical", "environmental", "documentation"])
        #expect(rb.checklists.map(\.items.count) == [7, 6, 4])
        #expect(rb.checklist("critical")!.items.allSatisfy { $0.isCritical })
        #expect(
            rb.checklist("critical")!.items.map(\.id) == [
                "backup-verification", "testing-complete", "safety-validation", "rollback-tested",
                "change-approval", "team-notification", "monitoring-ready",
            ])
        #expect(
            rb.checklist("environmental")!.items.map(\.id) == [
                "database-health", "disk-space", "connection-pool", "replication-lag", "backup-systems",
                "monitoring-systems",
            ])
        #expect(
            rb.checklist("documentation")!.items.map(\.id) == [
                "migration-documentation", "risk-assessment", "communication-plan", "emergency-contacts",
            ])
        // The documented choice of critical items (docs/RUNBOOK.md).
        #expect(rb.criticalItems.count == 7 + 4 + 3)
        let nonCritical = rb.checklists.flatMap(\.items).filter { !$0.isCritical }.map(\.id)
        #expect(nonCritical == ["replication-lag", "monitoring-systems", "communication-plan"])
        #expect(rb.item("change-approval")?.condition != nil)
        #expect(rb.item("disk-space")?.checklist == "environmental")
    }

    @Test func thresholdsAreFindableByItemID() throws {
        let disk = try #require(rb.item("disk-space")?.threshold)
        #expect(disk == Threshold(metric: "disk_free_percent", unit: "percent", op: .greaterThanOrEqual, value: "20"))
        #expect(disk.description == ">= 20 percent")
        let pool = try #require(rb.item("connection-pool")?.threshold)
        #expect(pool.metric == "pool_used_percent" && pool.op == .lessThan && pool.value == "80")
        #expect(pool.description == "< 80 percent")
        let lag = try #require(rb.item("replication-lag")?.threshold)
        #expect(lag.description == "< 10 seconds")
        #expect(lag.note?.contains("default") == true)
        #expect(rb.item(forMetric: "replication_lag_seconds")?.id == "replication-lag")
        #expect(
            rb.measurableItems.map(\.id) == ["database-health", "disk-space", "connection-pool", "replication-lag"])
    }

    @Test func steps() throws {
        #expect(
            rb.steps.map(\.id) == [
                "pre-execution-validation", "environment-preparation", "migration-execution", "immediate-validation",
            ])
        #expect(rb.steps.map(\.number) == [1, 2, 3, 4])
        #expect(rb.steps.allSatisfy { $0.commands.allSatisfy { !$0.isManual } })
        let prep = try #require(rb.step("environment-preparation"))
        #expect(
            prep.environment == [
                EnvironmentVariable(name: "ENVIRONMENT", value: "production"),
                EnvironmentVariable(name: "BACKUP_VERIFIED", value: "true"),
            ])
        #expect(
            prep.commands[0].argv == [
                "python", "-c", "from app.core.database import get_db_health; print(get_db_health())",
            ])
        let exec = try #require(rb.step("migration-execution"))
        #expect(exec.environment == [EnvironmentVariable(name: "MIGRATION_AUDIT_ENABLED", value: "true")])
        #expect(
            exec.commands.map(\.commandLine) == [
                "alembic upgrade head", "alembic current", "alembic history --verbose",
            ])
        #expect(rb.step("pre-execution-validation")?.workingDirectory == "/path/to/fingood/backend")
        #expect(
            rb.step("pre-execution-validation")?.commands[0].argv == [
                "python", "migrations/safety/safety_cli.py", "check", "MIGRATION_ID", "--level", "critical",
            ])
        #expect(
            rb.recordedEnvironment == [
                "ENVIRONMENT", "BACKUP_VERIFIED", "MIGRATION_AUDIT_ENABLED", "MIGRATION_TIMEOUT",
            ])
        #expect(rb.placeholders.map(\.name) == ["MIGRATION_ID", "SESSION_ID"])
    }

    @Test func rollback() throws {
        #expect(rb.rollback.map(\.id) == ["immediate", "standard", "emergency"])
        let immediate = try #require(rb.rollbackPath("immediate"))
        #expect(immediate.window?.end?.iso == "PT5M")
        #expect(immediate.window?.end?.seconds == 300)
        #expect(immediate.methods[0].actions[0].argv == ["alembic", "downgrade", "-1"])
        #expect(rb.rollbackPath("standard")?.methods.map(\.id) == ["restore-session-backup", "controlled-downgrade"])
        #expect(rb.rollbackPath("standard")?.methods[0].actions[0].isManual == true)
        #expect(rb.rollbackPath("emergency")?.window == nil)
        // Half-open windows: at exactly 5 minutes the standard path applies.
        #expect(rb.rollbackPath(secondsAfterMigration: 0)?.id == "immediate")
        #expect(rb.rollbackPath(secondsAfterMigration: 299)?.id == "immediate")
        #expect(rb.rollbackPath(secondsAfterMigration: 300)?.id == "standard")
        #expect(rb.rollbackPath(secondsAfterMigration: 86_400)?.id == "standard")
    }

    @Test func emergencyPhases() {
        let phases = rb.emergencyResponse.phases
        #expect(phases.map(\.id) == ["immediate-actions", "assessment", "recovery"])
        #expect(phases.map(\.window.start.seconds) == [0, 300, 900])
        #expect(phases.map { $0.window.end?.seconds } == [300, 900, nil])
        #expect(phases.map(\.actions.count) == [3, 3, 3])
        #expect(rb.emergencyPhase(secondsAfterIncident: 299)?.id == "immediate-actions")
        #expect(rb.emergencyPhase(secondsAfterIncident: 300)?.id == "assessment")
        #expect(rb.emergencyPhase(secondsAfterIncident: 899)?.id == "assessment")
        #expect(rb.emergencyPhase(secondsAfterIncident: 900)?.id == "recovery")
        #expect(rb.emergencyResponse.contacts.count == 4)
    }

    @Test func postMigrationValidation() {
        let windows = rb.postMigrationValidation
        #expect(windows.map(\.id) == ["immediate", "extended", "long-term"])
        #expect(windows.map(\.window.start.seconds) == [0, 1_800, 14_400])
        #expect(windows.map { $0.window.end?.seconds } == [1_800, 14_400, nil])
        #expect(windows.map(\.checks.count) == [4, 4, 4])
        #expect(rb.validationWindow("long-term")!.checks.allSatisfy { $0.isManual })
        #expect(
            rb.validationWindow("extended")?.checks[1].argv == [
                "python", "migrations/monitor_performance.py", "--duration", "4h",
            ])
    }

    @Test func compliance() {
        #expect(rb.compliance.map(\.id) == ["sox", "pci", "gdpr"])
        #expect(rb.compliance.map(\.items.count) == [4, 4, 4])
        let refs = rb.compliance.flatMap(\.items).map { $0.reference ?? "?" }
        #expect(refs == ["S1", "S2", "S3", "S4", "P1", "P2", "P3", "P4", "G1", "G2", "G3", "G4"])
        #expect(rb.item("sox-audit-trail")?.reference == "S1")
        #expect(rb.complianceItem(reference: "P1")?.id == "pci-no-card-data")
        #expect(rb.complianceItem(reference: "G3")?.condition != nil)
        // Compliance items gate sign-off, not the start: they are not in criticalItems.
        #expect(!rb.criticalItems.contains { $0.id.hasPrefix("sox-") })
        #expect(rb.allChecklistItems.count == 17 + 12)
    }

    @Test func troubleshooting() throws {
        #expect(
            rb.troubleshooting.map(\.id) == [
                "migration-timeout", "data-integrity-violation", "performance-degradation", "rollback-failure",
            ])
        let retry = try #require(rb.troubleshootingCase("migration-timeout")?.actions.last)
        #expect(retry.environment == [EnvironmentVariable(name: "MIGRATION_TIMEOUT", value: "3600")])
        #expect(retry.argv == ["alembic", "upgrade", "head"])
    }

    @Test func documentationKinds() {
        #expect(rb.documentationRequirements.map(\.id) == ["migration", "execution"])
        #expect(
            rb.documentationRequirements[0].kinds.map(\.id) == [
                "purpose", "risk-assessment", "testing-results", "rollback-plan", "performance-impact",
                "compliance-notes",
            ])
        #expect(
            rb.documentationRequirements[1].kinds.map(\.id) == [
                "pre-execution-state", "execution-log", "validation-results", "issues-encountered",
                "post-execution-state",
            ])
        #expect(rb.documentationKind("rollback-plan")?.set == "migration")
        #expect(rb.documentationKind("execution-log")?.set == "execution")
        #expect(rb.documentationKind("nonsense") == nil)
    }

    @Test func successAndEscalation() {
        #expect(rb.successCriteria.count == 7)
        #expect(rb.successCriterion("audit-trail-complete") != nil)
        #expect(rb.escalation.map(\.level) == [1, 2, 3])
        #expect(rb.escalation.map(\.responseTime.iso) == ["PT15M", "PT5M", "PT0S"])
        #expect(rb.escalation.map(\.responseTime.seconds) == [900, 300, 0])
        #expect(rb.escalationLevel(3)?.responseTime.humanReadable == "immediately")
        #expect(rb.escalationLevel(1)?.responseTime.humanReadable == "15 min")
        #expect(rb.escalationLevel(2)?.who == ["Senior database team", "Security team"])
        #expect(rb.escalationLevel(4) == nil)
        #expect(rb.resources.count == 5)
        #expect(rb.legalNotice?.frameworks == ["SOX", "PCI DSS", "GDPR"])
    }
}

@Suite("Runbook: files and hashes")
struct RunbookFileTests {
    @Test func sha256IsTheFilesHash() throws {
        let bytes = try fileBytes("schemas/runbooks/fingood-migration.json")
        #expect(Runbook.builtIn.sha256 == SHA256.hash(bytes).hex)
        #expect(
            Runbook.builtIn.reference
                == RunbookReference(id: "fingood-migration", version: "1.1", sha256: SHA256.hash(bytes).hex))
    }

    @Test func loadingTheFileGivesTheBuiltIn() throws {
        let loaded = try Runbook.load(path: path("schemas/runbooks/fingood-migration.json"))
        let builtIn = Runbook.builtIn
        #expect(loaded.sha256 == builtIn.sha256)
        #expect(loaded.checklists == builtIn.checklists)
        #expect(loaded.steps == builtIn.steps)
        #expect(loaded.escalation == builtIn.escalation)
        #expect(loaded.source.hasSuffix("schemas/runbooks/fingood-migration.json"))
    }

    @Test func aSecondRunbookLoadsWithoutCodeChanges() throws {
        let file = path("schemas/runbooks/example-minimal.json")
        let rb = try Runbook.load(path: file)
        #expect(rb.id == "acme-minimal")
        #expect(rb.version == "0.1")
        #expect(rb.sha256 == SHA256.hash(try fileBytes("schemas/runbooks/example-minimal.json")).hex)
        #expect(rb.checklists.map(\.id) == ["before-change"])
        #expect(rb.criticalItems.map(\.id) == ["snapshot-taken", "free-disk"])
        #expect(rb.item("cpu-load")?.threshold?.evaluate("70.5") == true)
        #expect(rb.item("cpu-load")?.threshold?.evaluate("70.51") == false)
        #expect(rb.steps.map(\.id) == ["apply"])
        #expect(rb.rollback.map(\.id) == ["undo"])
        #expect(rb.compliance.isEmpty && rb.troubleshooting.isEmpty && rb.documentationKinds.isEmpty)
        #expect(rb.emergencyResponse == .none)
        #expect(rb.escalationLevel(1)?.responseTime.seconds == 1_800)
        #expect(Runbook.builtIn(id: "acme-minimal")?.sha256 == rb.sha256)
    }
}

@Suite("Runbook: thresholds and durations")
struct RunbookThresholdTests {
    @Test(
        arguments: [
            ("20", true), ("20.0", true), ("20.000", true), ("19.99", false), ("19.999999999999999999", false),
            ("20.000000000000000001", true), ("100", true), ("0", false), ("-5", false), ("abc", nil),
        ] as [(String, Bool?)])
    func diskSpace(_ measured: String, _ expected: Bool?) throws {
        let disk = try #require(Runbook.builtIn.item("disk-space")?.threshold)
        #expect(disk.evaluate(measured) == expected)
    }

    @Test(
        arguments: [
            ("79.9", true), ("79.999", true), ("80", false), ("80.0", false), ("80.01", false), ("0", true),
            ("abc", nil),
        ] as [(String, Bool?)])
    func connectionPool(_ measured: String, _ expected: Bool?) throws {
        let pool = try #require(Runbook.builtIn.item("connection-pool")?.threshold)
        #expect(pool.evaluate(measured) == expected)
    }

    @Test(arguments: ["", "abc", "1e3", "020", "+5", ".5", "5.", " 5", "5 ", "--5", "5.5.5", "0x10", "½", "-"])
    func notDecimal(_ text: String) {
        let t = Threshold(metric: "m", unit: "count", op: .equal, value: "0")
        #expect(t.evaluate(text) == nil)
        #expect(!Threshold.isDecimal(text))
    }

    @Test func exactComparison() {
        func t(_ op: Threshold.Operator, _ v: String) -> Threshold {
            Threshold(metric: "m", unit: "u", op: op, value: v)
        }
        #expect(t(.equal, "0").evaluate("-0") == true)
        #expect(t(.equal, "0").evaluate("0.000") == true)
        #expect(t(.lessThan, "-1.5").evaluate("-2") == true)
        #expect(t(.lessThan, "-1.5").evaluate("-1.5") == false)
        #expect(t(.lessThanOrEqual, "-1.5").evaluate("-1.50") == true)
        #expect(t(.greaterThan, "-1").evaluate("0") == true)
        #expect(t(.greaterThan, "9").evaluate("10") == true)
        #expect(t(.greaterThan, "99999999999999999999").evaluate("100000000000000000000") == true)
        #expect(t(.equal, "0.1").evaluate("0.10") == true)
        #expect(t(.greaterThan, "0.1").evaluate("0.09") == false)
    }

    @Test(arguments: [
        ("PT0S", 0), ("PT5M", 300), ("PT15M", 900), ("PT30M", 1_800), ("PT4H", 14_400), ("P1D", 86_400),
        ("P1DT2H3M4S", 93_784), ("PT90S", 90),
    ])
    func durations(_ iso: String, _ seconds: Int) {
        #expect(RunbookDuration(iso: iso)?.seconds == seconds)
    }

    @Test(arguments: ["", "P", "PT", "P1DT", "PT5", "P5M", "P1W", "PT5M1H", "PT1.5S", "pt5m", "PT-5M", "5M", "PT5MX"])
    func badDurations(_ iso: String) {
        #expect(RunbookDuration(iso: iso) == nil)
    }
}

@Suite("Runbook: broken files")
struct RunbookErrorTests {
    /// A small valid runbook; each case below breaks one thing in it.
    static let base = """
        {
          "id": "broken-test",
          "version": "1",
          "title": "T",
          "owner": "O",
          "approvedBy": ["A"],
          "lastUpdated": "2025-01-01",
          "recordedEnvironment": ["ENVIRONMENT"],
          "checklists": {
            "critical": {
              "title": "C",
              "items": [
                {"id": "first", "title": "F", "description": "D", "critical": true},
                {"id": "second", "title": "S", "description": "D", "critical": false},
                {"id": "disk", "title": "Disk", "description": "D", "critical": true,
                 "threshold": {"metric": "disk_free_percent", "unit": "percent", "op": ">=", "value": "20"}}
              ]
            }
          },
          "steps": [
            {"id": "run", "title": "Run", "environment": {"ENVIRONMENT": "production"},
             "commands": [{"id": "up", "title": "Up", "argv": ["alembic", "upgrade", "head"]}]}
          ],
          "escalation": [{"level": 1, "id": "l1", "title": "L1", "who": ["Team"], "responseTime": "PT15M"}]
        }
        """

    static func error(_ json: String) -> RunbookError? {
        do {
            _ = try Runbook.load(json: Array(json.utf8), source: "broken.json")
            return nil
        } catch {
            return error
        }
    }

    @Test func baseIsValid() throws {
        let rb = try Runbook.load(json: Array(Self.base.utf8), source: "base.json")
        #expect(rb.id == "broken-test")
        #expect(rb.source == "base.json")
        #expect(rb.afterClose.isEmpty)
    }

    @Test("afterClose: approvals, denials, documents and notifications; never an action or the session's own course")
    func afterClose() throws {
        let with = { (list: String) in Self.base.replacingOccurrences(of: #""steps": ["#, with: #""afterClose": \#(list), "steps": ["#) }
        let rb = try Runbook.load(json: Array(with(#"["approval.granted", "documentation.recorded"]"#).utf8), source: "a.json")
        #expect(rb.afterClose == ["approval.granted", "documentation.recorded"])
        #expect(Runbook.builtIn.afterClose == ["approval.granted", "documentation.recorded"])
        for bad in ["command.started", "checklist.item.recorded", "session.closed", "migration.applied", "custom.note"] {
            let e = Self.error(with("[\"\(bad)\"]"))
            #expect(e?.problems.first?.path == "afterClose[0]", "\(bad)")
        }
        #expect(Self.error(with(#"["approval.granted", "approval.granted"]"#)) != nil)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let replace: String
        let with: String
        let path: String
        let rule: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "missing id", replace: #""id": "broken-test","#, with: "",
            path: "id", rule: "required member is missing"),
        Case(
            name: "duplicate item id", replace: #""id": "second""#, with: #""id": "first""#,
            path: "checklists.critical.items[1].id",
            rule: #"duplicate item id "first" (first at checklists.critical.items[0].id)"#),
        Case(
            name: "unknown op", replace: #""op": ">=""#, with: #""op": "=>""#,
            path: "checklists.critical.items[2].threshold.op", rule: "must be one of <, <=, >, >=, =="),
        Case(
            name: "threshold value not a decimal", replace: #""value": "20""#, with: #""value": "20%""#,
            path: "checklists.critical.items[2].threshold.value", rule: "must be a decimal string"),
        Case(
            name: "threshold value a JSON number", replace: #""value": "20""#, with: #""value": 20"#,
            path: "checklists.critical.items[2].threshold.value",
            rule: #"must be a decimal string such as "20", found number"#),
        Case(
            name: "wrong type: critical", replace: #""critical": false"#, with: #""critical": "no""#,
            path: "checklists.critical.items[1].critical", rule: "must be true or false, found string"),
        Case(
            name: "wrong type: title", replace: #""title": "T""#, with: #""title": 7"#,
            path: "title", rule: "must be a string, found number"),
        Case(
            name: "wrong type: checklists", replace: #""checklists": {"#, with: #""checklists": [], "x": {"#,
            path: "checklists", rule: "must be an object, found array"),
        Case(
            name: "unknown member", replace: #""owner": "O","#, with: #""owner": "O", "ownr": "O","#,
            path: "ownr", rule: "unknown member (allowed: id, version"),
        Case(
            name: "id not kebab-case", replace: #""id": "broken-test""#, with: #""id": "Broken Test""#,
            path: "id", rule: "must be a kebab-case id"),
        Case(
            name: "impossible date", replace: #""2025-01-01""#, with: #""2025-02-30""#,
            path: "lastUpdated", rule: "must be a date YYYY-MM-DD"),
        Case(
            name: "variable not recorded", replace: #""recordedEnvironment": ["ENVIRONMENT"]"#,
            with: #""recordedEnvironment": []"#, path: "steps[0].environment.ENVIRONMENT",
            rule: "variable ENVIRONMENT is set here but not listed in recordedEnvironment"),
        Case(
            name: "command without argv", replace: #", "argv": ["alembic", "upgrade", "head"]"#, with: "",
            path: "steps[0].commands[0].argv", rule: "required member is missing"),
        Case(
            name: "empty items", replace: #""items": ["#, with: #""items": [], "old": ["#,
            path: "checklists.critical.items", rule: "must have at least 1 element"),
        Case(
            name: "bad duration", replace: #""PT15M""#, with: #""15 minutes""#,
            path: "escalation[0].responseTime", rule: "must be an ISO 8601 duration"),
        Case(
            name: "escalation level out of order", replace: #""level": 1"#, with: #""level": 2"#,
            path: "escalation[0].level", rule: "must be 1: levels are numbered 1, 2, 3"),
        Case(
            name: "unknown threshold member", replace: #""value": "20"}"#, with: #""value": "20", "max": "9"}"#,
            path: "checklists.critical.items[2].threshold.max", rule: "unknown member"),
    ]

    @Test(arguments: cases)
    func namesThePathAndTheRule(_ c: Case) throws {
        let broken = Self.base.replacingOccurrences(of: c.replace, with: c.with)
        #expect(broken != Self.base, "the replacement did not apply")
        let error = try #require(Self.error(broken))
        #expect(error.kind == .invalidRunbook)
        #expect(error.source == "broken.json")
        let problem = try #require(error.problems.first { $0.path == c.path }, "\(error)")
        #expect(problem.rule.hasPrefix(c.rule), "\(error)")
        #expect(error.description.contains("broken.json: \(c.path): \(c.rule)"), "\(error)")
    }

    @Test func theBriefsExampleMessage() throws {
        let error = try #require(Self.error(Self.base.replacingOccurrences(of: #""op": ">=""#, with: #""op": "=>""#)))
        #expect(
            error.description
                == "broken.json: checklists.critical.items[2].threshold.op: must be one of <, <=, >, >=, ==")
    }

    @Test func everyProblemIsReported() throws {
        let broken = Self.base
            .replacingOccurrences(of: #""op": ">=""#, with: #""op": "~""#)
            .replacingOccurrences(of: #""id": "second""#, with: #""id": "first""#)
            .replacingOccurrences(of: #""title": "T","#, with: "")
        let error = try #require(Self.error(broken))
        #expect(
            Set(error.problems.map(\.path)) == [
                "title", "checklists.critical.items[1].id", "checklists.critical.items[2].threshold.op",
            ])
        #expect(error.description.split(separator: "\n").count == 3)
    }

    @Test func notJSON() throws {
        let error = try #require(Self.error(#"{"id": "x",}"#))
        #expect(error.kind == .invalidJSON)
        #expect(error.description.hasPrefix("broken.json: invalid JSON at byte"))
        let dup = try #require(Self.error(#"{"id": "a", "id": "b"}"#))
        #expect(dup.kind == .invalidJSON)
        #expect(dup.rule.contains("duplicate member"))
    }

    @Test func notAnObject() throws {
        let error = try #require(Self.error("[]"))
        #expect(error.description == "broken.json: a runbook must be a JSON object, found array")
    }

    @Test func missingFile() {
        do {
            _ = try Runbook.load(path: "/nonexistent/runbook.json")
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.kind == .unreadable)
            #expect(error.description == "/nonexistent/runbook.json: no such file")
        }
    }
}
