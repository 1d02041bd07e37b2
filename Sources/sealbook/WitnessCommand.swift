import ArgumentParser
import Foundation
import SealbookCore
import SealbookKit
import SealbookPostgres

struct WitnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witness",
        abstract: "Run a witness: cosign a log's checkpoints only when they extend what it cosigned before.",
        discussion: """
            A witness is run by an auditor, with its own Ed25519 key. It keeps, per log origin, the \
            last checkpoint it cosigned, and cosigns a new one (c2sp.org/tlog-cosignature, \
            cosignature/v1) only when the log key signed it and a verified consistency proof shows \
            that its tree extends that one. Verifiers then require a quorum of witnesses \
            (sealbook verify --witness-vkey W --quorum K), so that a log cannot show them a \
            history other than the one the witnesses saw. docs/FORMAT.md §12.4.
            """,
        subcommands: [Keygen.self, Cosign.self])

    struct Keygen: SealbookCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a witness key file (mode 0600, never overwritten); prints its cosignature vkey, never the secret.",
            discussion: """
                --name is the witness's name in its cosignature lines, such as a schema-less URL: \
                1-255 bytes of printable ASCII without spaces, '+', '"' or '\\'. The vkey printed \
                (type 0x04, c2sp.org/tlog-cosignature) is what verifiers pass to --witness-vkey.

                Example:
                  sealbook witness keygen --name witness.example/w1 --out w1.key
                """)
        @Option(help: ArgumentHelp("The witness's name, e.g. witness.example/w1.", valueName: "name")) var name: String
        @Option(help: ArgumentHelp("Where to write the key file (must not exist).", valueName: "file")) var out: String
        @OptionGroup var output: OutputOptions

        func perform(_ o: Output) throws {
            let k = try WitnessKey.generate(name: name, path: out)
            o.line("wrote \(out) (mode 0600)")
            o.line("name       \(k.name)")
            o.line("vkey       \(k.verifier.vkey)")
            o.line("public key \(k.publicKey.base64)")
            o.result(
                .obj([
                    ("ok", true), ("file", .string(out)), ("name", .string(k.name)), ("vkey", .string(k.verifier.vkey)),
                    ("publicKey", .string(k.publicKey.base64)),
                ]))
        }
    }

    struct Cosign: SealbookCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cosign a signed checkpoint if it extends the last one this witness cosigned for its log.",
            discussion: """
                Checks the checkpoint's signature under --log-vkey (exit 87) and that its origin is \
                the vkey's name (88). Then, against the checkpoint of the same origin kept in the \
                state folder --state: the first one of an origin is cosigned only with \
                --accept-first (trust on first use, asked for explicitly, so that a lost state \
                folder is not silently started afresh); a smaller tree is refused (90), the same \
                size with another root is a fork (91), a larger tree needs a consistency proof from \
                the kept size, from --proof FILE (the output of sealbook prove consistency --json, \
                or its text form) or fetched with --database-url URL (a read-only login in \
                sealbook_auditor suffices), which must verify (92); a state folder that is corrupt \
                or holds another origin's or witness's checkpoint is refused (93). A refusal changes \
                nothing. The very checkpoint cosigned before gets the same cosignature again.

                Prints the cosignature line to add to the note; --out FILE writes the note with it \
                added (give that to the next witness, or to verifiers). The new state is written \
                only after the cosignature is made, atomically.

                Examples:
                  sealbook witness cosign --checkpoint cp.txt --log-vkey "$LOG_VKEY" --key w1.key --state w1-state --accept-first
                  sealbook prove consistency --from 1200 --json > proof.json
                  sealbook witness cosign --checkpoint cp2.txt --log-vkey "$LOG_VKEY" --key w1.key --state w1-state \\
                    --proof proof.json --out cp2-w1.txt
                """)
        @Option(help: ArgumentHelp("The signed checkpoint to cosign.", valueName: "file")) var checkpoint: String
        @Option(
            name: .customLong("log-vkey"),
            help: ArgumentHelp("The log's verifier key, as sealbook keys vkey prints it (default: $SEALBOOK_LOG_VKEY).", valueName: "vkey"))
        var logVkeyOption: String?
        @Option(help: ArgumentHelp("The witness key file (from sealbook witness keygen).", valueName: "file")) var key: String
        @Option(help: ArgumentHelp("The witness's state folder: the last checkpoint cosigned per log.", valueName: "dir")) var state: String
        @Option(help: ArgumentHelp("A consistency proof from the kept size to the checkpoint's (sealbook prove consistency --json).", valueName: "file"))
        var proof: String?
        @Option(
            name: .customLong("database-url"),
            help: ArgumentHelp("Fetch the consistency proof from the log's database (a read-only role suffices).", valueName: "url"))
        var databaseURL: String?
        @Flag(name: .customLong("accept-first"), help: "Cosign the first checkpoint of a log this witness has no state for (trust on first use).")
        var acceptFirst = false
        @Option(help: ArgumentHelp("Also write the note with the cosignature added to this file.", valueName: "file")) var out: String?
        @Flag(help: "Replace an existing --out file.") var force = false
        @OptionGroup var output: OutputOptions

        var logVkey: String? { logVkeyOption ?? ProcessInfo.processInfo.environment["SEALBOOK_LOG_VKEY"] }

        func validate() throws {
            if proof != nil && databaseURL != nil {
                throw ValidationError("give the consistency proof with --proof FILE or fetch it with --database-url, not both")
            }
            if logVkey == nil { throw ValidationError("give the log's verifier key: --log-vkey VKEY (or $SEALBOOK_LOG_VKEY)") }
        }

        func perform(_ o: Output) throws {
            // Everything that can be refused without the state first: nothing is written before.
            let logKey: NoteVerifier
            do { logKey = try NoteVerifier(vkey: logVkey ?? "") } catch {
                throw CLIError(.usage, "--log-vkey is not a verifier key <name>+<hex id>+<base64 key>: \(error)")
            }
            guard logKey.type == .ed25519 else {
                throw CLIError(.usage, "--log-vkey must be the log's Ed25519 note key (type 0x01, from sealbook keys vkey), not a witness's cosignature key")
            }
            let witness = Witness(key: try WitnessKey.read(path: key), stateDirectory: state)
            let text: String
            do { text = try readCheckpointFile(checkpoint) } catch let e as CLIError where e.exit == .malformedJSON {
                throw CLIError(.checkpointMalformed, e.message)  // not UTF-8: not a checkpoint
            }
            var source = ConsistencySource.none
            if let proof { source = .proof(try ConsistencyProof(parsing: readProofFile(proof))) }
            if let out, !force, FileManager.default.fileExists(atPath: out) {
                throw CLIError(.outputExists, "\(out) already exists; choose another name or pass --force")
            }
            if let databaseURL { source = .ledger(Ledger(store: try LedgerStore(conninfo: databaseURL))) }

            let r = try witness.cosign(checkpoint: text, logKey: logKey, acceptFirst: acceptFirst, consistency: source)
            let root = Base64.encode(r.root.bytes)
            switch r.outcome {
            case .first: o.note("cosigned the first checkpoint of \(r.origin) this witness has seen: size \(r.size), root \(root) (trusted on first use)")
            case .extended:
                o.note("cosigned \(r.origin) at size \(r.size), root \(root): consistent with size \(r.previousSize ?? 0) cosigned before")
            case .sameTree: o.note("cosigned \(r.origin) at size \(r.size), root \(root): the tree cosigned before, with other extension lines")
            case .unchanged: o.note("already cosigned: \(r.origin) at size \(r.size), root \(root); the same cosignature, the state unchanged")
            }
            var result: [(String, JSONValue)] = [
                ("ok", true), ("origin", .string(r.origin)), ("size", .int(r.size)), ("root", .string(root)),
                ("cosignature", .string(r.cosignature.line)), ("note", .string(r.note.serialized)), ("outcome", .string(r.outcome.rawValue)),
                ("witness", .string(witness.key.name)), ("timestamp", .int(Int64(r.timestamp))),
                ("previousSize", r.previousSize.map { .int($0) } ?? .null),
            ]
            if let out {
                do { try FileOutput.writeAtomically(Array(r.note.serialized.utf8), to: out, replace: force) } catch { throw CLIError(error) }
                result.append(("file", .string(out)))
            }
            o.line(r.cosignature.line)
            o.result(.obj(result))
        }
    }
}

/// Reads a proof file: a regular file of at most ``ProofFile/maxBytes``.
func readProofFile(_ path: String) throws -> [UInt8] {
    do { return try InputFile.read(path, what: "proof file", limit: ProofFile.maxBytes) } catch InputFileError.tooLarge {
        throw CLIError(.proofMalformed, "not a valid proof file: \(path) is over \(ProofFile.maxBytes) bytes, the most a proof can be")
    }
}
