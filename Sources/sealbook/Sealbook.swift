import ArgumentParser
import Foundation
import SealbookCore
import SealbookPostgres
import SealbookKit

@main
struct Sealbook: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sealbook",
        abstract: "A signed, append-only compliance ledger for database migrations.",
        discussion: """
            Every action is an Ed25519-signed event in an append-only PostgreSQL log, chained by \
            SHA-256, verifiable online or offline from an exported bundle.

            Quick start (embedded local database, nothing to configure):
              sealbook keys generate --actor root@fingood --out root.key
              sealbook init --ledger fingood-prod --root-key root.key
              sealbook append --stream demo/1 --type custom.note --data '{"text":"hello"}' --key root.key
              sealbook verify --trust-root <public key printed by keys generate>

            Exit codes: 0 ok, 1 verification failed, 64 usage, 65 malformed JSON, 66 input file \
            missing or unreadable, 67 invalid event, 68 body too large, 69 database unavailable, \
            70 database error, 71 key refused, 72 conflict, 73 output exists, 74 stream position \
            ahead, 75 not initialized, 76 already initialized, 77 refused by the database, \
            78 schema mismatch, 79 internal error, 80 card number refused, 82 production gate \
            closed, 83 claimed time too far from the database clock, 84 signature refused by the \
            database, 85 signature extension not available (init), 86 checkpoint malformed, \
            87 checkpoint signature or witness quorum does not check out, 88 checkpoint of another \
            log, 89 proof file malformed, 90 witness: smaller tree, 91 witness: fork, 92 witness: \
            bad consistency proof, 93 witness: state folder unusable, 94 idempotency key reused for \
            another event, 95 reconcile incomplete (the DDL capture did not cover the period), \
            127 command could not be started; `run` exits with its command's code.
            """,
        subcommands: [
            Keys.self, Init.self, Session.self, Check.self, Approve.self, Notify.self, Doc.self, Backup.self,
            Validate.self, Run.self, Probe.self, Rollback.self, Traffic.self, Incident.self, GDPR.self, Monitor.self,
            Report.self, Replay.self, Reconcile.self, Bench.self, Append.self, Verify.self, CheckpointCommand.self, Prove.self,
            WitnessCommand.self, Export.self, Head.self, DB.self, Erase.self, DataKeys.self,
        ])

    /// Refuses invalid UTF-8 anywhere in the arguments before parsing them (exit 65): Swift
    /// would otherwise replace each bad byte with U+FFFD, and signed data would silently differ
    /// from what was typed.
    static func main() {
        for i in 1..<Int(CommandLine.argc) {
            guard let raw = CommandLine.unsafeArgv[i] else { continue }
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(raw).assumingMemoryBound(to: UInt8.self), count: strlen(raw))
            if String(validating: bytes, as: UTF8.self) == nil {
                let e = CLIError(.malformedJSON, "argument \(i) is not valid UTF-8: every argument must be UTF-8 text; nothing was done")
                if CommandLine.arguments.contains("--json") {
                    let doc: JSONValue = .obj([
                        ("ok", false),
                        (
                            "error",
                            .obj([
                                ("code", .string(e.exit.name)), ("exitCode", .int(Int64(e.exit.rawValue))),
                                ("message", .string(e.message)),
                            ])
                        ),
                    ])
                    print((try? JCS.canonicalString(doc)) ?? "{}")
                } else {
                    FileHandle.standardError.write(Data("sealbook: error: \(e.message)\n".utf8))
                }
                Glibc.exit(e.exit.rawValue)
            }
        }
        Self.main(nil)
    }
}

// MARK: - init

struct Init: SealbookCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the ledger schema and its genesis event (running it again changes nothing).",
        discussion: """
            Applies the schema files (schemas/postgres) that are not yet applied, then appends the \
            genesis (seq 1) naming the root key, which holds the admin role. Needs a superuser.

            The database checks every new event's Ed25519 signature with the sealbook_ed25519 \
            extension, which init loads (CREATE EXTENSION); without it init fails with exit 85 \
            and says how to install it. --no-signature-extension is for servers that cannot load \
            C extensions: the database then checks no signature, so no person may hold \
            sealbook_writer and every write must come from a process that verifies first \
            (README.md, "How the log stays append-only"). `sealbook head` shows the mode.

            --max-clock-skew SECONDS (default 300) is recorded in the genesis: the database \
            refuses an event whose signed time is further than that from its clock (exit 83).

            Example:
              sealbook init --ledger fingood-prod --root-key root.key
            """)

    @Option(help: ArgumentHelp("Ledger id: [a-z0-9][a-z0-9._-]{0,62}.", valueName: "id")) var ledger: String
    @Option(name: .customLong("root-key"), help: ArgumentHelp("The root key file (from keys generate).", valueName: "file"))
    var rootKey: String
    @Option(
        name: .customLong("max-clock-skew"),
        help: ArgumentHelp(
            "How far an event's signed time may be from the database clock, either way (1-3153600000; default 300). Recorded in the genesis.",
            valueName: "seconds"))
    var maxClockSkew: Int64?
    @Flag(
        name: .customLong("no-signature-extension"),
        help: "Do not check signatures in the database (servers that cannot load C extensions); see README.md first.")
    var noSignatureExtension = false
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func perform(_ out: Output) throws {
        if let maxClockSkew, !ClockSkew.allowedSeconds.contains(maxClockSkew) {
            throw CLIError(
                .usage,
                "--max-clock-skew must be \(ClockSkew.allowedSeconds.lowerBound) to \(ClockSkew.allowedSeconds.upperBound) seconds")
        }
        let key = try KeyFile.read(path: rootKey)
        // The root key's actor goes into the genesis: pseudonymous only (ActorPolicy).
        try ActorPolicy.check(key.actor)
        let store = try database.open(out)
        let mode: SignatureCheck = noSignatureExtension ? .none : .extension
        let outcome = try store.initialize(ledger: ledger, root: key, maxClockSkewSeconds: maxClockSkew, signatureCheck: mode)
        let skew = try store.maxClockSkewSeconds()
        let check: [(String, JSONValue)] = [("signatureCheck", .string(mode.rawValue)), ("maxClockSkewSeconds", .int(skew))]
        switch outcome {
        case .created(let g, let applied):
            out.line("initialized ledger \(ledger): schema versions \(applied.map(String.init).joined(separator: ", ")) applied")
            out.line("genesis: seq \(g.seq) chainHash \(g.chainHash.hex)")
            out.line("root key: \(key.keyID) (\(key.actor))")
            out.line("pin this root when verifying: --trust-root \(key.privateKey.publicKey.base64)")
            out.result(
                .obj(
                    [
                        ("ok", true), ("created", true), ("ledger", .string(ledger)),
                        ("schemaApplied", .array(applied.map { .int(Int64($0)) })), ("seq", .int(g.seq)),
                        ("chainHash", .string(g.chainHash.hex)), ("rootKey", .string(key.keyID)),
                        ("rootPublicKey", .string(key.privateKey.publicKey.base64)),
                    ] + check))
        case .alreadyInitialized(let head):
            out.line("ledger \(ledger) is already initialized with this root key (head at seq \(head)); nothing changed")
            out.result(.obj([("ok", true), ("created", false), ("ledger", .string(ledger)), ("seq", .int(head))] + check))
        }
        out.line("claimed times: within \(skew) s of the database clock")
        switch mode {
        case .extension:
            out.line("signature check: in the database (\(SignatureCheck.extensionName))")
        case .none:
            out.note(
                "warning: the database does not check signatures (--no-signature-extension): no person may hold sealbook_writer; every write must come from a process that verifies first")
        }
    }
}

// MARK: - append

struct Append: SealbookCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign and append one event (the low-level append).",
        discussion: """
            --data takes a JSON object, @FILE to read it from a file, or @- for standard input. \
            Numbers must be integers in ±(2^53-1): write decimals as strings. The canonical body \
            may be at most 65536 bytes.

            --expect-seq N: the stream's last streamSeq as you last saw it (0 for a new stream); \
            the event becomes N+1 or the append fails with exit 72 (someone appended first) or \
            74 (the stream has not reached N). Without it the event goes at the stream's end.

            Every append carries an idempotency key: --idem K, or a new random one (printed; \
            "idem" with --json). Appending again with the same stream and key returns the event \
            already recorded (exit 0, "already recorded") when its type, actor and data are the \
            same, and is refused with exit 94 when they are not. If the connection breaks after \
            the append was sent, sealbook looks the key up on a new connection: committed, exit 0 \
            with a note; not in the log, exit 69 (nothing was written; appending again is safe).

            Example:
              sealbook append --stream session/2024_01_15_add_fee_index --type custom.note \\
                --data '{"text":"backup verified","sizeBytes":52428800}' --key alice.key --expect-seq 0
            """)

    @Option(help: ArgumentHelp("Stream id, e.g. session/2024_01_15_add_fee_index.", valueName: "stream")) var stream: String
    @Option(help: ArgumentHelp("Event type, lowercase dotted, e.g. custom.note.", valueName: "type")) var type: String
    @Option(help: ArgumentHelp("The event data: JSON object, @FILE or @-.", valueName: "json|@file")) var data: String
    @Option(help: ArgumentHelp("Signing key file (default: $SEALBOOK_KEY).", valueName: "file")) var key: String?
    @Option(name: .customLong("expect-seq"), help: ArgumentHelp("The stream's current last streamSeq.", valueName: "n"))
    var expectSeq: Int64?
    @Option(
        help: ArgumentHelp(
            "Idempotency key: a repeat with the same stream, key and content returns the first event; with other content it is refused (exit 94). Default: a new random key (printed).",
            valueName: "key"))
    var idem: String?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func perform(_ out: Output) throws {
        if stream == FormatV1.ledgerStream || stream == FormatV1.keysStream {
            throw CLIError(.invalidEvent, "stream \"\(stream)\" is reserved: use sealbook init / sealbook keys")
        }
        guard FormatV1.isValidStreamID(stream) else {
            throw CLIError(.invalidEvent, "--stream: must be 1-200 characters of [A-Za-z0-9._~:/@+-], starting with a letter or digit")
        }
        guard FormatV1.isValidType(type) else {
            throw CLIError(.invalidEvent, "--type: must be lowercase dotted segments of [a-z][a-z0-9_-]*")
        }
        if type == FormatV1.genesisType || type == FormatV1.keyEnrolledType || type == FormatV1.keyRevokedType {
            throw CLIError(.invalidEvent, "type \(type) is reserved: use sealbook init / sealbook keys")
        }
        if let expectSeq, expectSeq < 0 { throw CLIError(.usage, "--expect-seq must be 0 or more") }
        if let idem, !FormatV1.isValidIdem(idem) {
            throw CLIError(.invalidEvent, "--idem must be 1-200 characters with no control characters")
        }
        let object = try readDataObject(data)
        do { try BodyRules.check(.object(object), path: "data", depth: 2) } catch { throw CLIError(error) }
        let signingKey = try loadSigningKey(key)
        // Typed events meet their schema and role; custom.* ones stay free-form (card-number guard only).
        let r = try database.ledger(out).append(
            LedgerStore.NewEvent(stream: stream, type: type, data: object, idem: idem), key: signingKey,
            expectSeq: expectSeq)
        if r.recoveredAfterConnectionLoss {
            out.note(
                "sealbook: the connection broke after the append was sent; looked up by its idempotency key \(r.idem ?? ""): it was committed")
        }
        if r.duplicate {
            out.line("already recorded (idempotency key \(r.idem ?? "")): seq \(r.seq), \(r.stream) #\(r.streamSeq)")
        } else {
            out.line("appended seq \(r.seq): \(r.stream) #\(r.streamSeq) \(type)")
        }
        out.line("idem \(r.idem ?? "")")
        out.line("eventHash \(r.eventHash.hex)")
        out.line("chainHash \(r.chainHash.hex)")
        out.result(
            .obj([
                ("ok", true), ("seq", .int(r.seq)), ("stream", .string(r.stream)), ("streamSeq", .int(r.streamSeq)),
                ("eventHash", .string(r.eventHash.hex)), ("chainHash", .string(r.chainHash.hex)),
                ("recordedAt", .string(r.recordedAt)), ("duplicate", .bool(r.duplicate)),
                ("idem", r.idem.map(JSONValue.string) ?? .null),
                ("recoveredAfterConnectionLoss", .bool(r.recoveredAfterConnectionLoss)),
            ]))
    }
}

/// Reads `--data`: inline JSON, `@FILE` or `@-`; must be a JSON object.
func readDataObject(_ arg: String) throws -> JSONObject {
    var bytes: [UInt8]
    // Far over any body we accept: refused before parsing, and before reading it all (a file's
    // size is checked first; standard input is read no further than the limit).
    let limit = 4 * FormatV1.maxBodyBytes
    do {
        if arg == "@-" {
            bytes = try InputFile.readStandardInput(what: "--data", limit: limit)
        } else if arg.hasPrefix("@") {
            bytes = try InputFile.read(String(arg.dropFirst()), what: "data file", limit: limit)
        } else {
            bytes = Array(arg.utf8)
        }
    } catch InputFileError.tooLarge {
        throw CLIError(.tooLarge, "--data is more than \(limit) bytes; a body may be at most \(FormatV1.maxBodyBytes) bytes")
    }
    guard bytes.count <= limit else {
        throw CLIError(.tooLarge, "--data is \(bytes.count) bytes; a body may be at most \(FormatV1.maxBodyBytes) bytes")
    }
    let v: JSONValue
    // data is level 2 of the body, so it may nest one level less than a body.
    do { v = try JSONParser.parse(bytes, maxDepth: FormatV1.maxDepth - 1) } catch {
        throw CLIError(.malformedJSON, "--data is not valid JSON: \(error.description)")
    }
    guard case .object(let o) = v else { throw CLIError(.invalidEvent, "--data must be a JSON object") }
    return o
}

// MARK: - head

struct Head: SealbookCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the last seq and its chainHash.",
        discussion: """
            Example:
              sealbook head --json
            """)
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func perform(_ out: Output) throws {
        let store = try database.open(out)
        let h = try store.head()
        // How the database checks signatures (none before schema version 3, or before init).
        let check = try store.signatureCheck()?.mode.rawValue
        out.line("ledger \(h.ledger ?? "(not initialized)")")
        out.line("seq \(h.seq)")
        out.line("chainHash \(h.chainHash.hex)")
        out.line("signatureCheck \(check ?? "none (schema before version 3: run sealbook init)")")
        out.result(
            .obj([
                ("ok", true), ("ledger", h.ledger.map(JSONValue.string) ?? .null), ("seq", .int(h.seq)),
                ("chainHash", .string(h.chainHash.hex)), ("signatureCheck", check.map(JSONValue.string) ?? .null),
            ]))
    }
}
