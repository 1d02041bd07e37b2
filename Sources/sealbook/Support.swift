import ArgumentParser
import Foundation
import SealbookCore
import SealbookPostgres
import SealbookKit
import SealbookReports
import SealbookRunbook

/// Exit codes: documented in README.md ("Exit codes"); stable, one per kind of outcome.
enum Exit: Int32, CaseIterable {
    case ok = 0
    case verificationFailed = 1
    case usage = 64
    case malformedJSON = 65
    case inputUnreadable = 66
    case invalidEvent = 67
    case tooLarge = 68
    case databaseUnavailable = 69
    case databaseError = 70
    case keyRefused = 71
    case conflict = 72
    case outputExists = 73
    case positionAhead = 74
    case notInitialized = 75
    case alreadyInitialized = 76
    case refusedByDatabase = 77
    case schemaMismatch = 78
    case internalError = 79
    case cardNumber = 80
    case gateClosed = 82
    /// The database refused the event's signed time: too far from its clock (SB032).
    case clockSkew = 83
    /// The database checked the event's signature and refused it (SB033).
    case signatureRefused = 84
    /// `init`: the server has no signature extension (or cannot load it), and
    /// `--no-signature-extension` was not given.
    case signatureExtensionUnavailable = 85
    /// A checkpoint note that is not well formed (``CheckpointError/malformed(_:)``).
    case checkpointMalformed = 86
    /// A checkpoint whose signature by the log key, or quorum of witness cosignatures, does not
    /// check out (``CheckpointError/signature(_:)``, ``CheckpointError/quorum(needed:got:)``).
    case checkpointSignature = 87
    /// A checkpoint of another log (``CheckpointError/origin(expected:got:)``).
    case checkpointOrigin = 88
    /// A proof file that is not one, or holds the wrong number of hashes for its sizes.
    case proofMalformed = 89
    /// `witness cosign`: the checkpoint's tree is smaller than the one the witness cosigned.
    case witnessSmallerTree = 90
    /// `witness cosign`: the same size as the cosigned tree with another root.
    case witnessFork = 91
    /// `witness cosign`: the consistency proof is missing from the database, for other sizes or
    /// roots, or does not verify.
    case witnessBadProof = 92
    /// `witness cosign`: the state folder is corrupt, holds another origin's or another
    /// witness's state, cannot be written, or has no state for a first checkpoint.
    case witnessState = 93
    /// An idempotency key reused for an event with another type, actor or data.
    case idempotencyConflict = 94
    /// `reconcile`: no finding, but the DDL capture did not cover the whole period compared.
    case reconcileIncomplete = 95
    /// `erase`: no such data key in the ledger (never stored, or erased already).
    case noDataKey = 96
    /// As a shell does when a command cannot be found or run.
    case commandNotStarted = 127

    var name: String {
        switch self {
        case .ok: "ok"
        case .verificationFailed: "verification-failed"
        case .usage: "usage"
        case .malformedJSON: "malformed-json"
        case .inputUnreadable: "input-unreadable"
        case .invalidEvent: "invalid-event"
        case .tooLarge: "too-large"
        case .databaseUnavailable: "database-unavailable"
        case .databaseError: "database-error"
        case .keyRefused: "key-refused"
        case .conflict: "conflict"
        case .outputExists: "output-exists"
        case .positionAhead: "position-ahead"
        case .notInitialized: "not-initialized"
        case .alreadyInitialized: "already-initialized"
        case .refusedByDatabase: "refused-by-database"
        case .schemaMismatch: "schema-mismatch"
        case .internalError: "internal-error"
        case .cardNumber: "card-number"
        case .gateClosed: "gate-closed"
        case .clockSkew: "clock-skew"
        case .signatureRefused: "signature-refused"
        case .signatureExtensionUnavailable: "signature-extension-unavailable"
        case .checkpointMalformed: "checkpoint-malformed"
        case .checkpointSignature: "checkpoint-signature"
        case .checkpointOrigin: "checkpoint-origin"
        case .proofMalformed: "proof-malformed"
        case .witnessSmallerTree: "witness-smaller-tree"
        case .witnessFork: "witness-fork"
        case .witnessBadProof: "witness-bad-proof"
        case .witnessState: "witness-state"
        case .idempotencyConflict: "idempotency-conflict"
        case .reconcileIncomplete: "reconcile-incomplete"
        case .noDataKey: "no-data-key"
        case .commandNotStarted: "command-not-started"
        }
    }
}

/// An error the CLI reports: a message and its exit code.
struct CLIError: Error {
    let exit: Exit
    let message: String

    init(_ exit: Exit, _ message: String) {
        self.exit = exit
        self.message = message
    }

    /// Maps library errors to exit codes in one place: by error case, never by message text.
    init(_ error: any Error) {
        switch error {
        case let e as CLIError: self = e
        case let e as StoreError:
            switch e {
            case .unavailable: self.init(.databaseUnavailable, e.description)
            case .notInitialized: self.init(.notInitialized, e.description)
            case .alreadyInitialized: self.init(.alreadyInitialized, e.description)
            case .conflict, .streamMoved: self.init(.conflict, e.description)
            case .positionAhead: self.init(.positionAhead, e.description)
            case .keyRefused: self.init(.keyRefused, e.description)
            case .invalidEvent: self.init(.invalidEvent, e.description)
            case .tooLarge: self.init(.tooLarge, e.description)
            case .cardNumber: self.init(.cardNumber, e.description)
            case .refused: self.init(.refusedByDatabase, e.description)
            case .schemaMismatch: self.init(.schemaMismatch, e.description)
            case .clockSkew: self.init(.clockSkew, e.description)
            case .signatureRefused: self.init(.signatureRefused, e.description)
            case .signatureCheckUnavailable: self.init(.signatureExtensionUnavailable, e.description)
            case .idempotencyConflict: self.init(.idempotencyConflict, e.description)
            case .notWritten: self.init(.databaseUnavailable, e.description)
            case .outcomeUnknown, .database: self.init(.databaseError, e.description)
            case .output: self.init(.inputUnreadable, e.description)
            case .outputExists: self.init(.outputExists, e.description)
            }
        case let e as LedgerError:
            switch e {
            case .refused(let r):
                switch r {
                case .roleNotAllowed: self.init(.keyRefused, "key refused: " + r.description)
                case .cardNumber: self.init(.cardNumber, r.description)
                case .unknownType, .schema: self.init(.invalidEvent, "invalid event: " + r.description)
                }
            case .noSession, .sessionClosed, .noIncident, .runbook, .invalidInput: self.init(.invalidEvent, e.description)
            case .noDataKey: self.init(.noDataKey, e.description)
            case .unverified: self.init(.verificationFailed, e.description)
            case .gateClosed: self.init(.gateClosed, e.description)
            case .commandNotStarted: self.init(.commandNotStarted, e.description)
            case .usage: self.init(.usage, e.description)
            case .targetUnavailable: self.init(.databaseUnavailable, e.description)
            case .targetError: self.init(.databaseError, e.description)
            }
        case let e as ReportError:
            switch e {
            case .unknownSession, .unknownIncident, .invalidTime, .emptyPeriod, .replayPosition:
                self.init(.usage, e.description)
            case .template: self.init(.inputUnreadable, e.description)
            }
        case let e as ReconcileError:
            switch e {
            case .targetUnavailable: self.init(.databaseUnavailable, e.description)
            case .targetRefused: self.init(.refusedByDatabase, e.description)
            case .targetError: self.init(.databaseError, e.description)
            case .usage: self.init(.usage, e.description)
            }
        case let e as KeyFileError:
            switch e {
            case .exists: self.init(.outputExists, e.description)
            case .invalidActor, .personalActor: self.init(.usage, e.description)
            default: self.init(.inputUnreadable, e.description)
            }
        case let e as JSONParseError: self.init(.malformedJSON, e.description)
        case let e as InputFileError: self.init(.inputUnreadable, e.description)
        case let e as BodyError:
            switch e.kind {
            case .tooLarge: self.init(.tooLarge, e.description)
            case .cardNumber: self.init(.cardNumber, e.description)
            case .invalid: self.init(.invalidEvent, e.description)
            }
        case let e as BundleError:
            switch e {
            case .unreadable, .empty, .lineTooLong: self.init(.inputUnreadable, e.description)
            case .malformedHeader: self.init(.verificationFailed, e.description)
            }
        case let e as CheckpointError:
            switch e {
            case .malformed: self.init(.checkpointMalformed, e.description)
            case .signature, .quorum: self.init(.checkpointSignature, e.description)
            case .origin: self.init(.checkpointOrigin, e.description)
            case .notALogKey: self.init(.keyRefused, e.description)
            case .unreadable: self.init(.inputUnreadable, e.description)
            }
        case let e as ProofError:
            switch e {
            case .malformed: self.init(.proofMalformed, "not a valid proof file: " + e.description)
            case .rootMismatch, .logTooShort: self.init(.verificationFailed, e.description)
            }
        case let e as WitnessError:
            switch e {
            case .smallerTree: self.init(.witnessSmallerTree, e.description)
            case .fork: self.init(.witnessFork, e.description)
            case .badProof: self.init(.witnessBadProof, e.description)
            case .state: self.init(.witnessState, e.description)
            case .proofNeeded: self.init(.usage, e.description)
            }
        case let e as WitnessKeyError:
            switch e {
            case .exists: self.init(.outputExists, e.description)
            case .invalidName: self.init(.usage, e.description)
            default: self.init(.inputUnreadable, e.description)
            }
        case let e as FileOutputError:
            switch e {
            // An existing directory or symlink at an output path is never replaced: as for an
            // existing file without --force, 73.
            case .exists, .notARegularFile: self.init(.outputExists, e.description)
            case .cannotWrite: self.init(.inputUnreadable, e.description)
            }
        // The stored tree gives a proof that does not verify against its own root.
        case let e as MerkleError: self.init(.verificationFailed, "the stored tree gives no valid proof: \(e.description)")
        case let e as NoteError: self.init(.checkpointMalformed, e.description)
        case let e as EmbeddedClusterError: self.init(.databaseUnavailable, e.description)
        case let e as RunbookError: self.init(.invalidEvent, e.description)
        case let e as CryptoError: self.init(.usage, e.description)
        default: self.init(.internalError, "unexpected error: \(error)")
        }
    }
}

/// Options every database command takes.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp(
            "PostgreSQL URL of the ledger database (any user can read it with ps: keep its password in ~/.pgpass or the URL in $SEALBOOK_DATABASE_URL). Default: $SEALBOOK_DATABASE_URL, then libpq's PG* variables, then the embedded local cluster (./.sealbook or $SEALBOOK_HOME).",
            valueName: "url"))
    var databaseURL: String?

    var location: DatabaseLocation { DatabaseLocation.resolve(explicit: databaseURL) }

    /// Opens the store, starting the embedded cluster on demand.
    func open(_ out: Output) throws -> LedgerStore {
        let loc = location
        let conninfo = try loc.conninfo(log: { out.note($0) })
        return try LedgerStore(conninfo: conninfo)
    }

    /// Opens the ledger; its reads are checked against `$SEALBOOK_TRUST_ROOT` when it is set.
    func ledger(_ out: Output, trustRoot: String? = nil) throws -> Ledger {
        let root = try parseTrustRoot(trustRoot ?? ProcessInfo.processInfo.environment["SEALBOOK_TRUST_ROOT"])
        return Ledger(store: try open(out), trustRoot: root)
    }
}

struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print one JSON object on stdout instead of text; no progress output.")
    var json = false
}

/// Where output goes: text for people, or one JSON document for machines.
struct Output {
    let json: Bool
    let isTerminal = isatty(STDERR_FILENO) == 1

    /// A line for people (stdout), suppressed in JSON mode.
    func line(_ s: String) {
        guard !json else { return }
        print(s)
    }

    /// A side remark (stderr), suppressed in JSON mode.
    func note(_ s: String) {
        guard !json else { return }
        FileHandle.standardError.write(Data((s + "\n").utf8))
    }

    /// The JSON result (stdout), only in JSON mode.
    func result(_ v: JSONValue) {
        guard json else { return }
        print((try? JCS.canonicalString(v)) ?? "{}")
    }

    /// A progress reporter for long work: a self-overwriting line on a terminal, nothing otherwise.
    func progress(_ verb: String) -> Progress { Progress(verb: verb, enabled: !json && isTerminal) }
}

/// Throttled progress on stderr.
final class Progress {
    let verb: String
    let enabled: Bool
    private var last = Date.distantPast
    private var shown = false

    init(verb: String, enabled: Bool) {
        self.verb = verb
        self.enabled = enabled
    }

    func update(_ done: Int64, _ total: Int64) {
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(last) > 0.2 || done == total else { return }
        last = now
        let pct = total > 0 ? Int(Double(done) * 100 / Double(total)) : 100
        FileHandle.standardError.write(Data("\r\(verb) \(done)/\(total) (\(pct)%)\u{1B}[K".utf8))
        shown = true
    }

    func done() {
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}

/// Every Sealbook command: runs `perform`, maps any error to its exit code and message.
protocol SealbookCommand: ParsableCommand {
    var output: OutputOptions { get }
    func perform(_ out: Output) throws
}

extension SealbookCommand {
    func run() throws {
        let out = Output(json: output.json)
        do {
            try perform(out)
        } catch let e as ExitCode {
            throw e
        } catch {
            let e = CLIError(error)
            if out.json {
                out.result(
                    .object(
                        JSONObject([
                            (key: "ok", value: .bool(false)),
                            (
                                key: "error",
                                value: .object(
                                    JSONObject([
                                        (key: "code", value: .string(e.exit.name)),
                                        (key: "exitCode", value: .number(JSONNumber(Int64(e.exit.rawValue)))),
                                        (key: "message", value: .string(e.message)),
                                    ]))
                            ),
                        ])))
            } else {
                FileHandle.standardError.write(Data("sealbook: error: \(e.message)\n".utf8))
            }
            throw ExitCode(e.exit.rawValue)
        }
    }
}

/// The signing key: `--key FILE`, else `$SEALBOOK_KEY`.
func loadSigningKey(_ path: String?) throws -> KeyFile {
    guard let p = path ?? ProcessInfo.processInfo.environment["SEALBOOK_KEY"], !p.isEmpty else {
        throw CLIError(.usage, "no signing key: pass --key FILE or set SEALBOOK_KEY")
    }
    return try KeyFile.read(path: p)
}

/// Parses `--trust-root`: a base64 Ed25519 public key.
func parseTrustRoot(_ text: String?) throws -> Ed25519.PublicKey? {
    guard let text else { return nil }
    do { return try Ed25519.PublicKey(base64: text) } catch {
        throw CLIError(.usage, "--trust-root must be a 32-byte Ed25519 public key in standard base64 (as `sealbook keys generate` prints it)")
    }
}

extension JSONValue {
    static func int(_ i: Int64) -> JSONValue { .number(JSONNumber(i)) }
    static func obj(_ members: [(String, JSONValue)]) -> JSONValue {
        .object(JSONObject(members.map { (key: $0.0, value: $0.1) }))
    }
}
