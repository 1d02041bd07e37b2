import ArgumentParser
import Foundation
import SealbookCore
import SealbookKit
import SealbookPostgres

struct Prove: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print an RFC 6962 proof from the log's tree: an entry's inclusion, or that one size extends another.",
        discussion: """
            Proofs come from the tree the database keeps (docs/FORMAT.md §12) and each is \
            verified before it is printed. Their formats are docs/FORMAT.md §12.3.
            """,
        subcommands: [Inclusion.self, Consistency.self])

    struct Inclusion: SealbookCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prove that entry --seq is in the tree of --size entries, or of a signed checkpoint.",
            discussion: """
                Without --checkpoint, against the tree of --size entries (default: the head), in \
                the text form of docs/FORMAT.md §12.3: a header line, then the audit path, one \
                base64 hash per line. With --checkpoint FILE --log-vkey VKEY (and optionally \
                --witness-vkey/--quorum), against the checkpoint's tree, whose root must be the \
                log's at its size (else exit 1, naming both roots), printed as a C2SP tlog-proof \
                (c2sp.org/tlog-proof) carrying the signed checkpoint: anyone holding the entry and \
                the log's vkey can check it offline. --json prints the proof as JSON either way.

                Examples:
                  sealbook prove inclusion --seq 42
                  sealbook prove inclusion --seq 42 --checkpoint cp.txt --log-vkey "$LOG_VKEY" > seq42.tlog-proof
                  sealbook prove inclusion --seq 42 --size 100 --json
                """)
        @Option(help: ArgumentHelp("The entry to prove (1 is the genesis).", valueName: "seq")) var seq: Int64
        @Option(help: ArgumentHelp("The tree size to prove it in (default: the head).", valueName: "n")) var size: Int64?
        @OptionGroup var anchor: CheckpointOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if size != nil && anchor.checkpoint != nil {
                throw ValidationError("give --size or --checkpoint, not both: with a checkpoint the size is the checkpoint's")
            }
            try anchor.validate(needsCheckpoint: false)
        }

        func perform(_ o: Output) throws {
            // The checkpoint is checked before the database is opened: bad input fails as itself.
            let checkpoint = try anchor.trusted()
            let ledger = try database.ledger(o)
            if let cp = checkpoint {
                let r = try ledger.proveInclusion(seq: seq, checkpoint: cp, logKey: try anchor.parsedLogKey())
                o.note("seq \(seq) is in the checkpoint's tree of size \(cp.size) (root \(Base64.encode(cp.root.bytes))); proof verified")
                if !o.json { FileHandle.standardOutput.write(Data(r.tlogProof.serialized.utf8)) }
                var json = r.proof.json
                json.members += [(key: "checkpoint", value: .string(cp.note.serialized)), (key: "tlogProof", value: .string(r.tlogProof.serialized))]
                o.result(.object(json))
            } else {
                let p = try ledger.proveInclusion(seq: seq, size: size)
                o.note("seq \(seq) is in the tree of size \(p.treeSize) (root \(Base64.encode(p.root.bytes))); proof verified")
                if !o.json { FileHandle.standardOutput.write(Data(p.text.utf8)) }
                o.result(.object(p.json))
            }
        }
    }

    struct Consistency: SealbookCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prove that the tree of --to entries (or a signed checkpoint's) extends the tree of --from entries.",
            discussion: """
                The RFC 9162 §2.1.4 consistency proof, in the text form of docs/FORMAT.md §12.3 \
                (a header line with both sizes and roots, then one base64 hash per line), or as \
                JSON with --json: what sealbook witness cosign --proof reads. --to defaults to the \
                head; with --checkpoint FILE --log-vkey VKEY the second tree is the checkpoint's, \
                whose root must be the log's at its size (else exit 1, naming both roots).

                Examples:
                  sealbook prove consistency --from 1200 --json > proof.json
                  sealbook prove consistency --from 1200 --checkpoint cp.txt --log-vkey "$LOG_VKEY"
                """)
        @Option(help: ArgumentHelp("The smaller tree size (at least 1).", valueName: "m")) var from: Int64
        @Option(help: ArgumentHelp("The larger tree size (default: the head).", valueName: "n")) var to: Int64?
        @OptionGroup var anchor: CheckpointOptions
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if to != nil && anchor.checkpoint != nil {
                throw ValidationError("give --to or --checkpoint, not both: with a checkpoint the second size is the checkpoint's")
            }
            try anchor.validate(needsCheckpoint: false)
        }

        func perform(_ o: Output) throws {
            let checkpoint = try anchor.trusted()
            let ledger = try database.ledger(o)
            let p: ConsistencyProof
            var json: JSONObject
            if let cp = checkpoint {
                p = try ledger.proveConsistency(from: from, checkpoint: cp)
                json = p.json
                json.members.append((key: "checkpoint", value: .string(cp.note.serialized)))
            } else {
                p = try ledger.proveConsistency(from: from, to: to)
                json = p.json
            }
            o.note("the tree of size \(p.size2) extends the tree of size \(p.size1); proof verified")
            if !o.json { FileHandle.standardOutput.write(Data(p.text.utf8)) }
            o.result(.object(json))
        }
    }
}

extension CheckpointOptions {
    /// The `--log-vkey` as a verifier (after ``trusted(file:)`` accepted it).
    func parsedLogKey() throws -> NoteVerifier {
        guard let text = logVkey else { throw CLIError(.usage, "--log-vkey is needed with --checkpoint") }
        do { return try NoteVerifier(vkey: text) } catch {
            throw CLIError(.usage, "--log-vkey is not a verifier key <name>+<hex id>+<base64 key>: \(error)")
        }
    }
}
