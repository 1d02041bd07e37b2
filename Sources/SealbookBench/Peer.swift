internal import Foundation
internal import SealbookCore

/// The Python peer (`scripts/bench-peer/peer.py`): the `eventsourcing` library with PostgreSQL
/// persistence, in a virtualenv the benchmark creates (`.bench-venv/`, git-ignored) from the
/// pinned `requirements.txt`.
struct Peer: Sendable {
    let script: String
    let requirements: String
    let venv: String

    /// Finds `scripts/bench-peer` from the working directory or above the binary (it lives in
    /// `<repo>/.build*/…/sealbook`); the virtualenv goes beside `scripts/`, in `.bench-venv/`.
    static func locate(explicitRoot: String?, binary: String) -> (peer: Peer?, repository: String?) {
        var candidates: [String] = []
        if let explicitRoot { candidates.append(explicitRoot) }
        var dir = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for _ in 0..<4 {
            candidates.append(dir.path)
            dir = dir.deletingLastPathComponent()
        }
        dir = URL(fileURLWithPath: binary).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(dir.path)
            dir = dir.deletingLastPathComponent()
        }
        for root in candidates {
            let script = root + "/scripts/bench-peer/peer.py"
            if FileManager.default.fileExists(atPath: script) {
                return (
                    Peer(script: script, requirements: root + "/scripts/bench-peer/requirements.txt", venv: root + "/.bench-venv"),
                    root
                )
            }
        }
        return (nil, nil)
    }

    var python: String { venv + "/bin/python" }

    /// Creates the virtualenv and installs the pinned requirements unless that was done already
    /// for these exact requirements. Throws with pip's own error text.
    func prepare(log: (String) -> Void) throws {
        guard let reqs = FileManager.default.contents(atPath: requirements) else {
            throw BenchError("cannot read \(requirements)")
        }
        let stamp = venv + "/.sealbook-requirements.sha256"
        let digest = SHA256.hash([UInt8](reqs)).hex
        if FileManager.default.isExecutableFile(atPath: python),
            (try? String(contentsOfFile: stamp, encoding: .utf8)) == digest
        {
            return
        }
        if !FileManager.default.isExecutableFile(atPath: python) {
            guard let python3 = which("python3") else { throw BenchError("python3 is not installed (needed for the peer)") }
            log("peer: creating the virtualenv \(venv)")
            guard let r = runProgram(python3, ["-m", "venv", venv]) else { throw BenchError("cannot run \(python3) -m venv") }
            guard r.status == 0 else {
                throw BenchError("python3 -m venv \(venv) failed (exit \(r.status)): \(Self.tail(r.stderr + r.stdout))")
            }
        }
        log("peer: pip install -r \(requirements)")
        guard
            let r = runProgram(
                python,
                ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--timeout", "30", "--retries", "2", "-r", requirements])
        else { throw BenchError("cannot run \(python) -m pip") }
        guard r.status == 0 else {
            throw BenchError("pip install -r \(requirements) failed (exit \(r.status)): \(Self.tail(r.stderr + r.stdout))")
        }
        try digest.write(toFile: stamp, atomically: true, encoding: .utf8)
    }

    /// Runs one peer scenario against the database at `url` and returns its JSON object.
    func run(url: String, mode: String, events: Int, thenRead: Bool) throws -> BenchJSON {
        var env = ProcessInfo.processInfo.environment
        env["SEALBOOK_PEER_DSN"] = url
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        var args = [script, "--events", String(events), "--mode", mode]
        if thenRead { args.append("--then-read") }
        guard let r = runProgram(python, args, environment: env) else { throw BenchError("cannot run \(python)") }
        let line = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
        guard let json = parseBenchJSON(line) else {
            throw BenchError("peer.py \(mode) printed no JSON (exit \(r.status)): \(Self.tail(r.stderr + r.stdout))")
        }
        guard json["ok"] == .bool(true) else {
            throw BenchError("peer.py \(mode) failed: \(json["error"]?.stringValue ?? Self.tail(r.stderr))")
        }
        return json
    }

    /// The last lines of a tool's output, for an error message.
    static func tail(_ s: String, lines: Int = 12) -> String {
        s.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}
