import SealbookCore
import SealbookKit
import SealbookRunbook
import Testing

/// Every event the application builds fits its schema in the catalog: the payloads built in
/// SealbookKit and the schemas under schemas/events/ cannot drift apart unseen.
@Suite("RunbookEvent payloads fit their schemas")
struct RunbookEventTests {
    static let samples: [RunbookEvent] = [
        .sessionOpened(
            runbook: Runbook.builtIn.reference, migrationID: "2024_01_15_add_fee_index", environment: .production,
            from: "1975ea83b712", to: "ae1027a6acf", changeTicket: "CHG-1042", description: "adds an index"),
        .sessionOpened(
            runbook: Runbook.builtIn.reference, migrationID: "m", environment: .test, from: nil, to: "a1", changeTicket: nil,
            description: nil),
        .sessionClosed(outcome: .rolledBack, alembicCurrent: "1975ea83b712", summary: "rolled back"),
        .sessionClosed(outcome: .success, alembicCurrent: nil, summary: nil),
        .approvalGranted(scope: "migration", migrationID: "m", revision: "a1", comment: "CAB approved"),
        .approvalGranted(scope: "migration", migrationID: nil, revision: nil, comment: nil),
        .approvalDenied(scope: "migration", reason: "no rollback test"),
        .notificationSent(audience: "operations", channel: "#ops", subject: "window"),
        .documentationRecorded(
            kind: "risk-assessment", title: "Risk", sha256: String(repeating: "a", count: 64), sizeBytes: 12, location: "/tmp/r"),
        .backupCreated(backupID: "bk-1", method: "pg_dump", location: "/b", sha256: String(repeating: "b", count: 64), sizeBytes: 9),
        .backupCreated(backupID: "bk-2", method: "snapshot", location: "s3://b", sha256: nil, sizeBytes: nil),
        .backupVerified(backupID: "bk-1", result: .pass, restoreTested: true, method: "restore"),
        .validationRecorded(phase: .longTerm, check: "data-integrity", result: .fail, details: "totals differ"),
        .rollbackStarted(kind: .immediate, method: .alembicDowngrade, reason: "validation failed"),
        .rollbackCompleted(kind: .emergency, result: .failed, resultingRevision: nil),
        .trafficStopped(scope: .writes, reason: "investigation"),
        .trafficResumed(scope: .traffic),
        .monitoringObservation(metric: "p99_latency_ms", value: "182", unit: "ms", window: "PT1H"),
        .overrideRecorded(gate: "production-change", justification: "P1 outage, CAB later", missing: ["approval"]),
        .gateRefused(gate: "production-change", step: "migration-execution", argv: ["psql", "-c", "ALTER TABLE t"], missing: ["approval"]),
        .gateRefused(gate: "production-change", step: nil, argv: ["sh"], missing: ["critical item x"]),
        .approvalGranted(
            scope: "migration", migrationID: "m1", revision: "ae10", comment: nil,
            supersedes: (denialSeq: 41, reason: "rollback tested since")),
        .incidentOpened(incidentID: "INC-1", level: 2, title: "lost cents", trigger: "validation", sessionStream: "session/m.1"),
        .incidentEscalated(incidentID: "INC-1", fromLevel: 2, toLevel: 3, reason: "rollback failed"),
        .incidentAction(incidentID: "INC-1", phase: .assessment, action: "stopped writes", details: nil),
        .incidentResolved(incidentID: "INC-1", rootCause: "rounding", resolution: "rolled back"),
        .incidentClosed(incidentID: "INC-1", lessonsLearned: "test on a copy"),
        .breachAssessed(
            incidentID: "INC-1", awareAt: "2026-03-02T10:00:00.000Z", risk: .high, categories: ["balances"],
            approxSubjects: 120, likelyConsequences: "wrong balances shown", measures: "restored"),
        .authorityNotified(
            incidentID: "INC-1", authority: "CNIL", notifiedAt: "2026-03-02T12:00:00.000Z", nature: "integrity",
            dpoContact: "dpo-office", consequences: "wrong balances", measures: "restored", delayReason: nil),
    ]

    @Test("each case's data is accepted by the catalog from a key holding one of its type's roles", arguments: samples)
    func fitsSchema(_ event: RunbookEvent) throws {
        let catalog = EventCatalog.builtIn
        let roles = try #require(catalog.allowedRoles(for: event.type), "\(event.type) is not in the catalog")
        try catalog.check(type: event.type, data: event.data, signerRoles: roles)
    }

    @Test("every event type of the catalog that a person records has a RunbookEvent case")
    func everyTypeCovered() {
        let built = Set(Self.samples.map(\.type))
        // Written by other paths: keys (sealbook keys), checklist items (Ledger.recordCheck), and
        // the command lifecycle (CommandExecution).
        let elsewhere: Set<String> = [
            "key.enrolled", "key.revoked", "checklist.item.recorded", "command.started", "command.finished",
            "migration.applied", "migration.rolled-back", "data.erased",
        ]
        let missing = Set(EventCatalog.builtIn.types).subtracting(built).subtracting(elsewhere)
        #expect(missing.isEmpty, "no RunbookEvent builds \(missing.sorted())")
    }
}
