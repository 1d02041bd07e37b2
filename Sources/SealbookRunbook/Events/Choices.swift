// The fixed choices of the runbook events (each the `enum` of a member in schemas/events/),
// as types: a caller cannot spell one wrong, and the CLI turns each into an option whose help
// lists the values.

/// `session.opened` `environment`.
public enum Environment: String, Sendable, CaseIterable {
    case production, staging, development, test
}

/// `session.closed` `outcome`.
public enum SessionOutcome: String, Sendable, CaseIterable {
    case success, failed
    case rolledBack = "rolled-back"
    case aborted
}

/// `checklist.item.recorded` `status`.
public enum ItemStatus: String, Sendable, CaseIterable {
    case pass, fail
    case notApplicable = "n/a"
}

/// A pass/fail result (`backup.verified`, `validation.recorded`).
public enum CheckResult: String, Sendable, CaseIterable {
    case pass, fail
}

/// `validation.recorded` `phase`: the runbook's validation windows.
public enum ValidationPhase: String, Sendable, CaseIterable {
    case pre, immediate, extended
    case longTerm = "long-term"
    case postRollback = "post-rollback"
}

/// `rollback.started` / `rollback.completed` `kind`.
public enum RollbackKind: String, Sendable, CaseIterable {
    case immediate, standard, emergency
}

/// `rollback.started` `method` (the methods the runbook names are ``RollbackMethod``).
public enum RollbackMethodChoice: String, Sendable, CaseIterable {
    case alembicDowngrade = "alembic-downgrade"
    case restoreSessionBackup = "restore-session-backup"
    case restoreLatestVerified = "restore-latest-verified"
    case manual
}

/// `rollback.completed` `result`.
public enum RollbackOutcome: String, Sendable, CaseIterable {
    case success, failed
}

/// `traffic.stopped` / `traffic.resumed` `scope`.
public enum TrafficScope: String, Sendable, CaseIterable {
    case traffic, writes
}

/// `incident.action.recorded` `phase`: the emergency-response phases.
public enum IncidentPhase: String, Sendable, CaseIterable {
    case immediate, assessment, recovery
}

/// `gdpr.breach.assessed` `risk` (GDPR Art. 33(1) and 34(1)).
public enum BreachRisk: String, Sendable, CaseIterable {
    case none, risk, high
}
