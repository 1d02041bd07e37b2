import ArgumentParser
import Foundation
import SealbookCore
import SealbookKit
import SealbookPostgres

struct CheckpointCommand: SealbookCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Sign a checkpoint of the log (C2SP tlog-checkpoint) with the log key, store it and print it.",
        discussion: """
            The log is verified first — since the latest stored checkpoint signed by the same key, \
            else from seq 1 — and the checkpoint signs the RFC 6962 root computed from the \
            verified entries. The key must be enrolled with role log. The note's origin is the \
            ledger's (docs/FORMAT.md §12.2); its extension lines bind the chain hash and the keys \
            stream at that size. Give the note to witnesses and auditors, and keep it: verify \
            --since it next time. --latest prints the latest stored checkpoint instead.

            Examples:
              sealbook checkpoint --key log.key --out cp.txt
              sealbook checkpoint --latest --json
            """)
    @OptionGroup var key: KeyOption
    @Flag(help: "Print the latest stored checkpoint; sign nothing.") var latest = false
    @Option(help: ArgumentHelp("Also write the signed note to this file.", valueName: "file")) var out: String?
    @Flag(help: "Replace an existing --out file.") var force = false
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func perform(_ o: Output) throws {
        let ledger = try database.ledger(o)
        let note: String
        var result: [(String, JSONValue)] = [("ok", true)]
        if latest {
            guard let stored = try ledger.store.latestCheckpoint() else {
                throw CLIError(.usage, "no checkpoint is stored yet: sign one with sealbook checkpoint --key LOGKEY")
            }
            note = stored.note
            result += [("size", .int(stored.size)), ("root", .string(Base64.encode(stored.root.bytes))), ("key", .string(stored.keyID))]
        } else {
            let k = try key.load()
            let progress = o.progress("verifying")
            let r = try ledger.signCheckpoint(key: k, progress: progress.update)
            progress.done()
            note = r.checkpoint.note.serialized
            o.note(
                "verified \(r.verification.entries) entr\(r.verification.entries == 1 ? "y" : "ies")"
                    + (r.verification.resumedAt.map { " after the checkpoint at seq \($0)" } ?? " from seq 1")
                    + (r.stored ? "; checkpoint stored" : "; the same checkpoint was already stored"))
            result += [
                ("size", .int(r.checkpoint.size)), ("root", .string(Base64.encode(r.checkpoint.root.bytes))), ("key", .string(k.keyID)),
                ("vkey", .string(r.vkey)), ("stored", .bool(r.stored)),
            ]
        }
        if let out {
            do { try FileOutput.writeAtomically(Array(note.utf8), to: out, replace: force) } catch {
                throw CLIError(error)
            }
            result.append(("file", .string(out)))
        }
        result.append(("checkpoint", .string(note)))
        if !o.json { FileHandle.standardOutput.write(Data(note.utf8)) }
        o.result(.obj(result))
    }
}
