public import ArgumentParser
import Foundation
import SealbookCore
import SealbookKit
import SealbookPostgres
import SealbookRunbook

/// `--session ID`, else `$SEALBOOK_SESSION`.
struct SessionOption: ParsableArguments {
    @Option(help: ArgumentHelp("Session id (default: $SEALBOOK_SESSION).", valueName: "id")) var session: String?

    func resolve() throws -> String {
        guard let s = session ?? ProcessInfo.processInfo.environment["SEALBOOK_SESSION"], !s.isEmpty else {
            throw CLIError(.usage, "no session: pass --session ID or set SEALBOOK_SESSION (sealbook session open prints the id)")
        }
        return s
    }
}

/// `--key FILE`, else `$SEALBOOK_KEY`.
struct KeyOption: ParsableArguments {
    @Option(help: ArgumentHelp("Signing key file (default: $SEALBOOK_KEY).", valueName: "file")) var key: String?
    func load() throws -> KeyFile { try loadSigningKey(key) }
}

/// Shared plumbing of the runbook commands: the ledger (whose reads are checked against
/// `$SEALBOOK_TRUST_ROOT` when it is set), the signing key, and how a recorded event is reported.
struct RunbookContext {
    let out: Output
    let ledger: Ledger
    let key: KeyFile

    init(out: Output, database: DatabaseOptions, key: KeyOption) throws {
        self.out = out
        self.key = try key.load()
        self.ledger = try database.ledger(out)
    }

    /// Reports a recorded event: a line for people, or the JSON result.
    func report(_ r: RecordedEvent, extra: [(String, JSONValue)] = []) {
        let a = r.result
        out.line("recorded \(r.type) at seq \(a.seq) (\(a.stream) #\(a.streamSeq))" + (r.note.map { ": " + $0 } ?? ""))
        out.result(
            .obj(
                [
                    ("ok", true), ("type", .string(r.type)), ("seq", .int(a.seq)), ("stream", .string(a.stream)),
                    ("streamSeq", .int(a.streamSeq)), ("eventHash", .string(a.eventHash.hex)),
                    ("chainHash", .string(a.chainHash.hex)),
                ] + extra))
    }

    /// Records `event` in the open session `id` and reports it.
    func record(_ event: RunbookEvent, inSession id: String) throws {
        let session = try ledger.openSession(id)
        report(RecordedEvent(type: event.type, result: try ledger.record(event, in: session, key: key)))
    }
}

/// Reads `K=V` evidence arguments.
func evidence(_ pairs: [String]) throws -> JSONObject? {
    guard !pairs.isEmpty else { return nil }
    var o = JSONObject()
    for p in pairs {
        guard let eq = p.firstIndex(of: "="), eq != p.startIndex else {
            // The argument is not echoed: it may hold what must not be repeated (a card number).
            throw CLIError(.usage, "--evidence takes KEY=VALUE (a name, =, then the value); argument \(pairs.firstIndex(of: p)! + 1) of --evidence is not")
        }
        o[String(p[..<eq])] = .string(String(p[p.index(after: eq)...]))
    }
    return o
}

/// SHA-256 and size of a file, streamed.
/// A regular file only (``InputFile``): any size, never held (one 1 MiB chunk at a time).
func digestFile(_ path: String) throws -> (sha256: String, size: Int64) {
    var sha = SHA256()
    let size = try InputFile.stream(path, what: "file") { sha.update($0) }
    return (sha.finalize().hex, size)
}

// The fixed choices of the runbook events, as options whose help lists their values.
extension Environment: ExpressibleByArgument {}
extension SessionOutcome: ExpressibleByArgument {}
extension ItemStatus: ExpressibleByArgument {}
extension CheckResult: ExpressibleByArgument {}
extension ValidationPhase: ExpressibleByArgument {}
extension RollbackKind: ExpressibleByArgument {}
extension RollbackMethodChoice: ExpressibleByArgument {}
extension RollbackOutcome: ExpressibleByArgument {}
extension TrafficScope: ExpressibleByArgument {}
extension IncidentPhase: ExpressibleByArgument {}
extension BreachRisk: ExpressibleByArgument {}
extension Role: ExpressibleByArgument {}
