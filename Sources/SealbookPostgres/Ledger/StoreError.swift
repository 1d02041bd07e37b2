internal import SealbookCore

/// Everything that can go wrong talking to the ledger database, in terms a user can act on.
/// Messages never contain passwords, secret keys or event payloads.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    /// The database cannot be reached.
    case unavailable(String)
    /// The ledger schema or genesis is missing.
    case notInitialized(String)
    /// `init` against a ledger that already exists with other parameters.
    case alreadyInitialized(String)
    /// The stream moved past the expected position (`--expect-seq` too small, or a race).
    case conflict(stream: String, current: Int64, expected: Int64)
    /// `--expect-seq` names a position the stream has not reached.
    case positionAhead(stream: String, current: Int64, expected: Int64)
    /// The signing key may not sign this event (unknown, revoked, wrong actor, role).
    case keyRefused(String)
    /// A signed event's stream position was taken, or its `streamPrev` is stale (append path
    /// SB010-SB012); ``LedgerStore/appendBatch(_:key:expectSeq:now:)`` retries or rephrases these.
    case streamMoved(String)
    /// The event breaks a rule of the format or of the ledger.
    case invalidEvent(String)
    /// The body is over the size limit.
    case tooLarge(String)
    /// The body holds a probable payment card number (``CardNumberGuard``): the message names
    /// the member, never the number. Nothing was signed.
    case cardNumber(String)
    /// The database refused a change because the log is append-only, or a privilege is missing.
    case refused(String)
    /// The database's schema version is newer than this binary, or a recorded migration differs.
    case schemaMismatch(String)
    /// The event's signed `time` is further from the database server's clock than the ledger
    /// allows (append path SB032; the genesis's `maxClockSkewSeconds`, else 300 seconds).
    case clockSkew(String)
    /// The database checked the event's Ed25519 signature and it does not verify (SB033).
    case signatureRefused(String)
    /// The database cannot check signatures: `init` found no `sealbook_ed25519` extension on the
    /// server (or could not load it), or the ledger's check is not configured (SB034).
    case signatureCheckUnavailable(String)
    /// An idempotency key already recorded for an event with another type, actor or data.
    case idempotencyConflict(String)
    /// The connection broke after an append was sent, and the look-up by idempotency key on a
    /// new connection found it not in the log: nothing was written.
    case notWritten(String)
    /// The connection broke after an append was sent, and whether it was written could not be
    /// learnt (the message says why and how to retry safely).
    case outcomeUnknown(String)
    /// Any other database error.
    case database(String)
    /// A local file could not be written (export).
    case output(String)
    /// The output file exists and may not be replaced.
    case outputExists(String)

    public var description: String {
        switch self {
        case .unavailable(let m): "cannot connect to the database: \(m)"
        case .notInitialized(let m): m
        case .alreadyInitialized(let m): m
        case .conflict(let stream, let current, let expected):
            "conflict: stream \(stream) is at streamSeq \(current), not \(expected) as expected; someone appended first. Re-read the stream and try again"
        case .positionAhead(let stream, let current, let expected):
            "stream \(stream) is at streamSeq \(current); position \(expected) does not exist yet"
        case .streamMoved(let m): "conflict: \(m)"
        case .keyRefused(let m): "key refused: \(m)"
        case .invalidEvent(let m): "invalid event: \(m)"
        case .tooLarge(let m): m
        case .cardNumber(let m): m
        case .refused(let m): "refused by the database: \(m)"
        case .schemaMismatch(let m): m
        case .clockSkew(let m):
            "claimed time refused by the database: \(m). Nothing was appended: set this machine's clock right (NTP) and append again, or check the database server's clock"
        case .signatureRefused(let m):
            "signature refused by the database: \(m). Nothing was appended: an event must be signed, over its exact canonical bytes, by the private key of the key it names"
        case .signatureCheckUnavailable(let m): m
        case .idempotencyConflict(let m): "idempotency conflict: \(m)"
        case .notWritten(let m): "not written: \(m)"
        case .outcomeUnknown(let m): "outcome unknown: \(m)"
        case .database(let m): "database error: \(m)"
        case .output(let m), .outputExists(let m): m
        }
    }

    /// Maps a body the format or the card-number guard refused.
    init(_ e: BodyError) {
        switch e.kind {
        case .tooLarge: self = .tooLarge(e.description)
        case .cardNumber: self = .cardNumber(e.description)
        case .invalid: self = .invalidEvent(e.description)
        }
    }

    /// Maps a libpq error: connection failures, the append path's SB* codes, privileges.
    init(_ e: PGError) {
        switch e.kind {
        case .connectionFailed, .connectionLost:
            self = .unavailable(e.message)
            return
        default: break
        }
        let m = e.message
        switch e.sqlState ?? "" {
        case "SB001", "SB002", "SB003", "SB004": self = .keyRefused(m)
        case "SB012": self = .streamMoved(m)
        case "SB005", "SB030", "SB040", "SB041": self = .invalidEvent(m)
        case "SB010", "SB011": self = .streamMoved(m)
        case "SB020": self = .notInitialized(m)
        case "SB021": self = .alreadyInitialized(m)
        case "SB031": self = .tooLarge(m)
        case "SB032": self = .clockSkew(m)
        case "SB033": self = .signatureRefused(m)
        case "SB034": self = .signatureCheckUnavailable("\(m) (the schema was applied without sealbook init)")
        case "SB050": self = .refused(m)
        case "42501": self = .refused("\(m) (the role lacks the privilege; writers append through sealbook.append_event only)")
        case "3F000", "42P01", "42883": self = .notInitialized("the ledger schema is missing in this database: run sealbook init (\(m))")
        case "3D000": self = .unavailable(m)
        case "58P01" where m.contains(SignatureCheck.extensionName):
            // The ledger checks signatures with the extension, and the server lost its library.
            self = .signatureCheckUnavailable(
                "the database cannot load the \(SignatureCheck.extensionName) extension that checks this ledger's signatures (\(m)); nothing was appended. Reinstall it on the database server (scripts/setup.sh, or make -C extension/sealbook_ed25519 install as root)")
        default: self = .database(e.description)
        }
    }
}
