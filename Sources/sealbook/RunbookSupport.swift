import ArgumentParser
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

/// Shared plumbing of the runbook commands.
struct RunbookContext {
    let out: Output
    let recorder: Recorder
    let key: KeyFile

    init(out: Output, database: DatabaseOptions, key: KeyOption) throws {
        self.out = out
        self.key = try key.load()
        self.recorder = Recorder(store: try database.open(out))
    }

    /// Records `type` in `stream` and reports it.
    @discardableResult
    func record(_ stream: String, _ type: String, _ data: JSONObject, extra: [(String, JSONValue)] = [], note: String? = nil)
        throws -> LedgerStore.AppendResult
    {
        let r = try recorder.record(stream: stream, type: type, data: data, key: key)
        out.line("recorded \(type) at seq \(r.seq) (\(r.stream) #\(r.streamSeq))" + (note.map { ": " + $0 } ?? ""))
        out.result(
            .obj(
                [
                    ("ok", true), ("type", .string(type)), ("seq", .int(r.seq)), ("stream", .string(r.stream)),
                    ("streamSeq", .int(r.streamSeq)), ("eventHash", .string(r.eventHash.hex)),
                    ("chainHash", .string(r.chainHash.hex)),
                ] + extra))
        return r
    }
}

/// Builds a data object, leaving out nil members.
func data(_ members: [(String, JSONValue?)]) -> JSONObject {
    JSONObject(members.compactMap { m in m.1.map { (key: m.0, value: $0) } })
}

extension Optional where Wrapped == String {
    var json: JSONValue? { map(JSONValue.string) }
}

/// Reads `K=V` evidence arguments.
func evidence(_ pairs: [String]) throws -> JSONValue? {
    guard !pairs.isEmpty else { return nil }
    var o = JSONObject()
    for p in pairs {
        guard let eq = p.firstIndex(of: "="), eq != p.startIndex else {
            throw CLIError(.usage, "--evidence takes KEY=VALUE, got \"\(p)\"")
        }
        o[String(p[..<eq])] = .string(String(p[p.index(after: eq)...]))
    }
    return .object(o)
}

/// SHA-256 and size of a file, streamed.
func digestFile(_ path: String) throws -> (sha256: String, size: Int64) {
    guard let h = FileHandle(forReadingAtPath: path) else {
        throw CLIError(.inputUnreadable, FileManager.default.fileExists(atPath: path) ? "cannot read \(path)" : "\(path) does not exist")
    }
    defer { try? h.close() }
    var sha = SHA256()
    var size: Int64 = 0
    while true {
        let d = h.readData(ofLength: 1 << 20)
        if d.isEmpty { break }
        size += Int64(d.count)
        d.withUnsafeBytes { sha.update($0) }
    }
    return (sha.finalize().hex, size)
}
