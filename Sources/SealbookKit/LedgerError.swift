public import SealbookCore
public import SealbookRunbook

/// Why the application layer refused or could not do something. Each case is one kind of
/// outcome a caller (the CLI, the HTTP server) maps to its own answer: the CLI's exit codes
/// come from these cases, never from message text.
public enum LedgerError: Error, Sendable, CustomStringConvertible {
    /// The event catalog refused the event: unknown type, schema violation, role, card number.
    case refused(EventRefusal)
    /// No such session in the verified log.
    case noSession(String)
    /// The session is closed: nothing more may be recorded in it.
    case sessionClosed(String, outcome: String?)
    /// No such incident in the verified log.
    case noIncident(String)
    /// No such data key (never stored, or erased already): what the message says.
    case noDataKey(String)
    /// The runbook cannot be found, or is not the one the session recorded.
    case runbook(String)
    /// A value the runbook does not allow (an unknown checklist item, a value that is not a number).
    case invalidInput(String)
    /// The log does not verify, so nothing may be decided from it.
    case unverified(VerificationReport)
    /// The production gate is closed: what is missing.
    case gateClosed(missing: [String])
    /// The command of `run` could not be started (recorded as failed with exit code 127).
    case commandNotStarted(String)
    /// A caller's mistake in using the API (an option combination, a missing argument).
    case usage(String)
    /// The target database of `probe` cannot be reached or read.
    case targetUnavailable(String)
    case targetError(String)

    public var description: String {
        switch self {
        case .refused(let r): r.description
        case .noSession(let id): "no session \(id) in the verified log: list them with sealbook session list"
        case .sessionClosed(let id, let outcome):
            "session \(id) is closed (\(outcome ?? "outcome unknown")): nothing more is recorded in it; open a new one"
        case .noIncident(let id): "no incident \(id) in the verified log: open one with sealbook incident open"
        case .noDataKey(let m): m
        case .runbook(let m), .invalidInput(let m), .usage(let m), .commandNotStarted(let m): m
        case .unverified(let r):
            "the log does not verify (\(r.failureCount) failing entr\(r.failureCount == 1 ? "y" : "ies")"
                + (r.failures.first.map { "; first: \($0)" } ?? "")
                + "): nothing can be decided from it. See sealbook verify --all"
        case .gateClosed(let missing): "the production gate is closed: " + missing.joined(separator: "; ")
        case .targetUnavailable(let m): "cannot connect to the target: \(m)"
        case .targetError(let m): "probing the target failed: \(m)"
        }
    }
}
