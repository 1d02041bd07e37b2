public import SealbookCore
public import SealbookRunbook

/// The runbook events a person or a pipeline records, as typed values: each case builds its
/// event type and `data` (the shape its schema under schemas/events/ describes, docs/EVENTS.md).
/// The one place event payloads are built; the CLI and the HTTP API only parse into these.
public enum RunbookEvent: Sendable {
    case sessionOpened(
        runbook: RunbookReference, migrationID: String, environment: Environment, from: String?, to: String,
        changeTicket: String?, description: String?)
    case sessionClosed(outcome: SessionOutcome, alembicCurrent: String?, summary: String?)
    /// `supersedes`: a standing denial of the session (its seq) this approval overrules, and why.
    case approvalGranted(
        scope: String, migrationID: String?, revision: String?, comment: String?,
        supersedes: (denialSeq: Int64, reason: String)? = nil)
    case approvalDenied(scope: String, reason: String)
    case notificationSent(audience: String, channel: String, subject: String)
    case documentationRecorded(kind: String, title: String?, sha256: String, sizeBytes: Int64, location: String)
    case backupCreated(backupID: String, method: String, location: String, sha256: String?, sizeBytes: Int64?)
    case backupVerified(backupID: String, result: CheckResult, restoreTested: Bool, method: String?)
    case validationRecorded(phase: ValidationPhase, check: String, result: CheckResult, details: String?)
    case rollbackStarted(kind: RollbackKind, method: RollbackMethodChoice, reason: String)
    case rollbackCompleted(kind: RollbackKind, result: RollbackOutcome, resultingRevision: String?)
    case trafficStopped(scope: TrafficScope, reason: String)
    case trafficResumed(scope: TrafficScope)
    case monitoringObservation(metric: String, value: String, unit: String, window: String?)
    case overrideRecorded(gate: String, justification: String, missing: [String])
    case gateRefused(gate: String, step: String?, argv: [String], missing: [String])
    case incidentOpened(incidentID: String, level: Int64, title: String, trigger: String, sessionStream: String?)
    case incidentEscalated(incidentID: String, fromLevel: Int64, toLevel: Int64, reason: String)
    case incidentAction(incidentID: String, phase: IncidentPhase, action: String, details: String?)
    case incidentResolved(incidentID: String, rootCause: String, resolution: String)
    case incidentClosed(incidentID: String, lessonsLearned: String?)
    case breachAssessed(
        incidentID: String, awareAt: String, risk: BreachRisk, categories: [String], approxSubjects: Int64?,
        likelyConsequences: String?, measures: String?, justification: String? = nil)
    case authorityNotified(
        incidentID: String, authority: String, notifiedAt: String, nature: String, dpoContact: String, consequences: String,
        measures: String, delayReason: String?)

    /// The event type.
    public var type: String {
        switch self {
        case .sessionOpened: "session.opened"
        case .sessionClosed: "session.closed"
        case .approvalGranted: "approval.granted"
        case .approvalDenied: "approval.denied"
        case .notificationSent: "notification.sent"
        case .documentationRecorded: "documentation.recorded"
        case .backupCreated: "backup.created"
        case .backupVerified: "backup.verified"
        case .validationRecorded: "validation.recorded"
        case .rollbackStarted: "rollback.started"
        case .rollbackCompleted: "rollback.completed"
        case .trafficStopped: "traffic.stopped"
        case .trafficResumed: "traffic.resumed"
        case .monitoringObservation: "monitoring.observation"
        case .overrideRecorded: "override.recorded"
        case .gateRefused: "gate.refused"
        case .incidentOpened: "incident.opened"
        case .incidentEscalated: "incident.escalated"
        case .incidentAction: "incident.action.recorded"
        case .incidentResolved: "incident.resolved"
        case .incidentClosed: "incident.closed"
        case .breachAssessed: "gdpr.breach.assessed"
        case .authorityNotified: "gdpr.authority.notified"
        }
    }

    /// The event's `data`; members whose value is absent are left out.
    public var data: JSONObject {
        switch self {
        case .sessionOpened(let rb, let migrationID, let environment, let from, let to, let ticket, let description):
            return members([
                ("runbook", object([("id", .string(rb.id)), ("version", .string(rb.version)), ("sha256", .string(rb.sha256))])),
                ("migrationId", .string(migrationID)), ("environment", .string(environment.rawValue)),
                ("alembic", object([("from", from.map(JSONValue.string) ?? .null), ("to", .string(to))])),
                ("changeTicket", string(ticket)), ("description", string(description)),
            ])
        case .sessionClosed(let outcome, let current, let summary):
            return members([
                ("outcome", .string(outcome.rawValue)), ("alembicCurrent", string(current)), ("summary", string(summary)),
            ])
        case .approvalGranted(let scope, let migrationID, let revision, let comment, let supersedes):
            let approves = migrationID.map { object([("migrationId", .string($0)), ("revision", revision.map(JSONValue.string) ?? .null)]) }
            let overrules = supersedes.map { object([("denialSeq", int($0.denialSeq)), ("reason", .string($0.reason))]) }
            return members([
                ("scope", .string(scope)), ("approves", approves), ("comment", string(comment)), ("supersedes", overrules),
            ])
        case .approvalDenied(let scope, let reason):
            return members([("scope", .string(scope)), ("reason", .string(reason))])
        case .notificationSent(let audience, let channel, let subject):
            return members([("audience", .string(audience)), ("channel", .string(channel)), ("subject", .string(subject))])
        case .documentationRecorded(let kind, let title, let sha256, let size, let location):
            return members([
                ("kind", .string(kind)), ("title", string(title)), ("sha256", .string(sha256)), ("sizeBytes", int(size)),
                ("location", .string(location)),
            ])
        case .backupCreated(let id, let method, let location, let sha256, let size):
            return members([
                ("backupId", .string(id)), ("method", .string(method)), ("location", .string(location)),
                ("sha256", string(sha256)), ("sizeBytes", size.map(int)),
            ])
        case .backupVerified(let id, let result, let restoreTested, let method):
            return members([
                ("backupId", .string(id)), ("result", .string(result.rawValue)), ("restoreTested", .bool(restoreTested)),
                ("method", string(method)),
            ])
        case .validationRecorded(let phase, let check, let result, let details):
            return members([
                ("phase", .string(phase.rawValue)), ("check", .string(check)), ("result", .string(result.rawValue)),
                ("details", string(details)),
            ])
        case .rollbackStarted(let kind, let method, let reason):
            return members([("kind", .string(kind.rawValue)), ("method", .string(method.rawValue)), ("reason", .string(reason))])
        case .rollbackCompleted(let kind, let result, let revision):
            return members([
                ("kind", .string(kind.rawValue)), ("result", .string(result.rawValue)), ("resultingRevision", string(revision)),
            ])
        case .trafficStopped(let scope, let reason):
            return members([("scope", .string(scope.rawValue)), ("reason", .string(reason))])
        case .trafficResumed(let scope):
            return members([("scope", .string(scope.rawValue))])
        case .monitoringObservation(let metric, let value, let unit, let window):
            return members([
                ("metric", .string(metric)), ("value", .string(value)), ("unit", .string(unit)), ("window", string(window)),
            ])
        case .overrideRecorded(let gate, let justification, let missing):
            return members([
                ("gate", .string(gate)), ("justification", .string(justification)),
                ("missing", .array(missing.map(JSONValue.string))),
            ])
        case .gateRefused(let gate, let step, let argv, let missing):
            return members([
                ("gate", .string(gate)), ("step", string(step)), ("argv", .array(argv.map(JSONValue.string))),
                ("missing", .array(missing.map(JSONValue.string))),
            ])
        case .incidentOpened(let id, let level, let title, let trigger, let sessionStream):
            return members([
                ("incidentId", .string(id)), ("level", int(level)), ("title", .string(title)), ("trigger", .string(trigger)),
                ("sessionStream", string(sessionStream)),
            ])
        case .incidentEscalated(let id, let from, let to, let reason):
            return members([
                ("incidentId", .string(id)), ("fromLevel", int(from)), ("toLevel", int(to)), ("reason", .string(reason)),
            ])
        case .incidentAction(let id, let phase, let action, let details):
            return members([
                ("incidentId", .string(id)), ("phase", .string(phase.rawValue)), ("action", .string(action)),
                ("details", string(details)),
            ])
        case .incidentResolved(let id, let rootCause, let resolution):
            return members([("incidentId", .string(id)), ("rootCause", .string(rootCause)), ("resolution", .string(resolution))])
        case .incidentClosed(let id, let lessons):
            return members([("incidentId", .string(id)), ("lessonsLearned", string(lessons))])
        case .breachAssessed(
            let id, let awareAt, let risk, let categories, let subjects, let consequences, let measures, let justification):
            return members([
                ("incidentId", .string(id)), ("awareAt", .string(awareAt)), ("risk", .string(risk.rawValue)),
                ("categories", categories.isEmpty ? nil : .array(categories.map(JSONValue.string))),
                ("approxSubjects", subjects.map(int)), ("likelyConsequences", string(consequences)),
                ("measures", string(measures)), ("justification", string(justification)),
            ])
        case .authorityNotified(let id, let authority, let notifiedAt, let nature, let dpo, let consequences, let measures, let delay):
            return members([
                ("incidentId", .string(id)), ("authority", .string(authority)), ("notifiedAt", .string(notifiedAt)),
                (
                    "contents",
                    object([
                        ("nature", .string(nature)), ("dpoContact", .string(dpo)), ("consequences", .string(consequences)),
                        ("measures", .string(measures)),
                    ])
                ),
                ("delayReason", string(delay)),
            ])
        }
    }
}

// MARK: - Building data objects

/// A data object of `members`, leaving out those whose value is nil.
func members(_ members: [(String, JSONValue?)]) -> JSONObject {
    JSONObject(members.compactMap { m in m.1.map { (key: m.0, value: $0) } })
}

/// An object value of `members`, in order.
func object(_ members: [(String, JSONValue)]) -> JSONValue {
    .object(JSONObject(members.map { (key: $0.0, value: $0.1) }))
}

func string(_ s: String?) -> JSONValue? { s.map(JSONValue.string) }
func int(_ i: Int64) -> JSONValue { .number(JSONNumber(i)) }
