import Foundation
import SealbookCore
import SealbookTestSupport
import Testing

/// Parses the one JSON document a `--json` run prints.
func json(_ r: RunResult) throws -> JSONValue {
    try JSONParser.parse(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
}

/// A ledger made through the binary: a temp dir with root and operator keys, an initialized
/// database. Every command goes through `run`, as a user would type it.
struct CLILedger {
    let db: TestDatabase
    let dir: TempDir
    let rootPublicKey: String
    let operatorPublicKey: String

    init() throws {
        db = try TestDatabase.create()
        dir = try TempDir()
        let root = try runSealbook(["keys", "generate", "--actor", "root@fingood", "--out", dir.file("root.key"), "--json"])
        #expect(root.status == 0, "\(root.stderr)")
        rootPublicKey = try json(root)["publicKey"]!.stringValue!
        let op = try runSealbook(["keys", "generate", "--actor", "alice@fingood", "--out", dir.file("alice.key"), "--json"])
        operatorPublicKey = try json(op)["publicKey"]!.stringValue!
        let initRun = try run(["init", "--ledger", "cli-test", "--root-key", dir.file("root.key")])
        #expect(initRun.status == 0, "\(initRun.stderr)")
        let enroll = try run([
            "keys", "enroll", "--public-key", operatorPublicKey, "--actor", "alice@fingood", "--role", "operator",
            "--key", dir.file("root.key"),
        ])
        #expect(enroll.status == 0, "\(enroll.stderr)")
    }

    func run(_ args: [String], stdin: String? = nil, env: [String: String] = [:]) throws -> RunResult {
        var e = ["SEALBOOK_DATABASE_URL": db.url]
        for (k, v) in env { e[k] = v }
        return try runSealbook(args, environment: e, stdin: stdin, cwd: dir.path)
    }

    func append(_ stream: String, _ data: String, extra: [String] = []) throws -> RunResult {
        try run(["append", "--stream", stream, "--type", "custom.note", "--data", data, "--key", dir.file("alice.key")] + extra)
    }

    func headSeq() throws -> Int64 {
        try json(try run(["head", "--json"]))["seq"]!.int64Value!
    }

    func cleanup() {
        db.drop()
        dir.cleanup()
    }
}

@Suite("sealbook binary, end to end")
struct CLIEndToEndTests {
    @Test("keys generate writes a 0600 file and prints the public key and key id, never the secret")
    func keysGenerate() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.file("k.key")
        let r = try runSealbook(["keys", "generate", "--actor", "bob@fingood", "--out", path])
        #expect(r.status == 0)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! Int
        #expect(mode == 0o600)
        let file = try JSONParser.parse(String(contentsOfFile: path, encoding: .utf8))
        let seed = file["seed"]!.stringValue!
        #expect(!r.stdout.contains(seed) && !r.stderr.contains(seed))
        #expect(r.stdout.contains(file["publicKey"]!.stringValue!) && r.stdout.contains(file["key"]!.stringValue!))
        // Never overwrites.
        let again = try runSealbook(["keys", "generate", "--actor", "bob@fingood", "--out", path])
        #expect(again.status == 73)
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains(seed))
        // An actor that is not a pseudonymous id is a usage error.
        #expect(try runSealbook(["keys", "generate", "--actor", "Bob Smith <bob@x.com>", "--out", dir.file("b.key")]).status == 64)
    }

    @Test("append, verify online, export, verify the bundle offline with no database at all")
    func mainFlow() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        for i in 1...5 { #expect(try l.append("session/1", "{\"step\":\(i)}").status == 0) }
        let viaStdin = try l.run(
            ["append", "--stream", "session/2", "--type", "custom.note", "--data", "@-", "--key", l.dir.file("alice.key"), "--json"],
            stdin: "{\"text\":\"from stdin\"}")
        #expect(viaStdin.status == 0, "\(viaStdin.stderr)")
        let head = try json(try l.run(["head", "--json"]))
        let verify = try l.run(["verify", "--trust-root", l.rootPublicKey, "--json"])
        #expect(verify.status == 0, "\(verify.stdout)")
        let v = try json(verify)
        #expect(v["ok"] == true && v["rootPinned"] == true)
        #expect(v["lastSeq"] == head["seq"] && v["chainHash"] == head["chainHash"])

        let bundle = l.dir.file("ledger.bundle")
        let export = try l.run(["export", "--out", bundle, "--json"])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(try json(export)["to"] == head["seq"])
        // Offline: no database URL, no PG variables, and a SEALBOOK_HOME that must stay empty.
        let home = l.dir.file("home")
        let offline = try runSealbook(
            ["verify", "--bundle", bundle, "--trust-root", l.rootPublicKey, "--json"], environment: ["SEALBOOK_HOME": home])
        #expect(offline.status == 0, "\(offline.stdout)")
        let o = try json(offline)
        #expect(o["chainHash"] == head["chainHash"] && o["entries"] == head["seq"])
        #expect(!FileManager.default.fileExists(atPath: home), "offline verification touched the embedded cluster")
        // Export refuses to overwrite without --force.
        #expect(try l.run(["export", "--out", bundle]).status == 73)
        #expect(try l.run(["export", "--out", bundle, "--force"]).status == 0)
        // Human output names the head and warns when the root is not pinned.
        let text = try l.run(["verify"])
        #expect(text.status == 0 && text.stdout.contains("WARNING: the root was not pinned"))
        #expect(text.stdout.contains(head["chainHash"]!.stringValue!))
    }

    @Test("a tampered bundle fails offline with exit 1, naming the seq and the reason")
    func tamperedBundle() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        for i in 1...4 { _ = try l.append("s", "{\"amountCents\":\(i * 100)}") }
        let bundle = l.dir.file("b")
        #expect(try l.run(["export", "--out", bundle]).status == 0)
        var lines = try String(contentsOfFile: bundle, encoding: .utf8).split(separator: "\n").map(String.init)
        // Line 1 is the header, so seq n is line n+1. A value edited in seq 4:
        let edited = lines[4].replacingOccurrences(of: "\"amountCents\":200", with: "\"amountCents\":900")
        #expect(edited != lines[4])
        var copy = lines
        copy[4] = edited
        try (copy.joined(separator: "\n") + "\n").write(toFile: l.dir.file("edited"), atomically: true, encoding: .utf8)
        let r = try runSealbook(["verify", "--bundle", l.dir.file("edited"), "--trust-root", l.rootPublicKey, "--json"])
        #expect(r.status == 1)
        let f = try json(r)["failures"]!.arrayValue!.first!
        #expect(f["seq"] == 4 && f["reason"] == "bad-signature")
        // A line removed:
        lines.remove(at: 4)
        try (lines.joined(separator: "\n") + "\n").write(toFile: l.dir.file("removed"), atomically: true, encoding: .utf8)
        let r2 = try runSealbook(["verify", "--bundle", l.dir.file("removed"), "--json"])
        #expect(r2.status == 1)
        #expect(try json(r2)["failures"]!.arrayValue!.first!["reason"] == "seq-gap")
        // Text output names it too.
        let r3 = try runSealbook(["verify", "--bundle", l.dir.file("removed")])
        #expect(r3.status == 1 && r3.stdout.contains("seq 5") && r3.stdout.contains("seq-gap"))
    }

    @Test(
        "bad input: a clear error, its own exit code, and no row added",
        arguments: [
            (["--data", "{\"a\":"], 65, "not valid JSON"),
            (["--data", "{\"amount\":12.5}"], 67, "data.amount"),
            (["--data", "[1,2]"], 67, "must be a JSON object"),
            (["--data", "{\"n\":9007199254740992}"], 67, "2^53"),
            (["--data", "@/nonexistent/data.json"], 66, "does not exist"),
            (["--expect-seq", "0"], 72, "conflict"),
            (["--expect-seq", "9"], 74, "does not exist yet"),
            (["--type", "Not.Lowercase"], 67, "--type"),
            (["--stream", "keys"], 67, "reserved"),
        ] as [([String], Int32, String)])
    func badInput(args: [String], code: Int32, message: String) throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        #expect(try l.append("s", "{\"n\":1}").status == 0)
        let before = try l.headSeq()
        // The case's options replace the defaults of a good append.
        var full: [String] = []
        var opts: [String: String] = [:]
        var i = 0
        while i < args.count { opts[args[i]] = args[i + 1]; i += 2 }
        full = ["append"]
        for name in ["--stream", "--type", "--data", "--key", "--expect-seq"] {
            let defaults = ["--stream": "s", "--type": "custom.note", "--data": "{\"n\":2}", "--key": l.dir.file("alice.key")]
            if let v = opts[name] ?? defaults[name] { full += [name, v] }
        }
        let r = try l.run(full)
        #expect(r.status == code, "\(full): \(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(try l.headSeq() == before)
        // --json: the same error as one JSON object on stdout.
        let j = try l.run(full + ["--json"])
        #expect(j.status == code)
        #expect(try json(j)["error"]?["exitCode"]?.int64Value == Int64(code))
    }

    @Test("a body over 65536 bytes is refused with exit 68")
    func tooLarge() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let before = try l.headSeq()
        let big = "{\"blob\":\"" + String(repeating: "x", count: 70_000) + "\"}"
        try big.write(toFile: l.dir.file("big.json"), atomically: true, encoding: .utf8)
        let r = try l.append("s", "@" + l.dir.file("big.json"))
        #expect(r.status == 68 && r.stderr.contains("65536"), "\(r.stderr)")
        #expect(try l.headSeq() == before)
    }

    @Test("key problems: missing file 66, file readable by others 66, key not enrolled 71")
    func keyProblems() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let before = try l.headSeq()
        let missing = try l.run(["append", "--stream", "s", "--type", "custom.note", "--data", "{}", "--key", l.dir.file("nope.key")])
        #expect(missing.status == 66 && missing.stderr.contains("does not exist"))
        let open = l.dir.file("open.key")
        #expect(try runSealbook(["keys", "generate", "--actor", "eve@fingood", "--out", open]).status == 0)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: open)
        let tooOpen = try l.run(["append", "--stream", "s", "--type", "custom.note", "--data", "{}", "--key", open])
        #expect(tooOpen.status == 66 && tooOpen.stderr.contains("chmod 600"), "\(tooOpen.stderr)")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: open)
        let stranger = try l.run(["append", "--stream", "s", "--type", "custom.note", "--data", "{}", "--key", open])
        #expect(stranger.status == 71 && stranger.stderr.contains("not enrolled"), "\(stranger.stderr)")
        let noKey = try l.run(["append", "--stream", "s", "--type", "custom.note", "--data", "{}"])
        #expect(noKey.status == 64 && noKey.stderr.contains("SEALBOOK_KEY"))
        let viaEnv = try l.run(["append", "--stream", "s", "--type", "custom.note", "--data", "{}"], env: ["SEALBOOK_KEY": l.dir.file("alice.key")])
        #expect(viaEnv.status == 0, "\(viaEnv.stderr)")
        #expect(try l.headSeq() == before + 1)
    }

    @Test("keys revoke and keys list; a revoked key's appends are refused")
    func revoke() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let list = try json(try l.run(["keys", "list", "--json"]))["keys"]!.arrayValue!
        #expect(list.count == 2)
        let alice = list.first { $0["actor"] == "alice@fingood" }!["key"]!.stringValue!
        let r = try l.run(["keys", "revoke", alice, "--reason", "laptop lost", "--key", l.dir.file("root.key")])
        #expect(r.status == 0, "\(r.stderr)")
        let after = try json(try l.run(["keys", "list", "--json"]))["keys"]!.arrayValue!
        #expect(after.first { $0["key"]?.stringValue == alice }?["revokedSeq"]?.int64Value == 3)
        let refused = try l.append("s", "{}")
        #expect(refused.status == 71 && refused.stderr.contains("revoked"))
        // Only an admin may revoke: alice (operator) cannot revoke the root.
        #expect(try l.run(["verify", "--trust-root", l.rootPublicKey]).status == 0)
    }

    @Test("init twice changes nothing; idempotency key returns the first event")
    func idempotent() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let again = try l.run(["init", "--ledger", "cli-test", "--root-key", l.dir.file("root.key"), "--json"])
        #expect(again.status == 0)
        #expect(try json(again)["created"] == false)
        let other = try l.run(["init", "--ledger", "other", "--root-key", l.dir.file("root.key")])
        #expect(other.status == 76)
        let a = try json(try l.append("s", "{}", extra: ["--idem", "k1", "--json"]))
        let b = try json(try l.append("s", "{}", extra: ["--idem", "k1", "--json"]))
        #expect(a["seq"] == b["seq"] && b["duplicate"] == true)
    }

    @Test("no database reachable: exit 69 with the reason")
    func connectionError() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let r = try runSealbook(["head"], environment: ["SEALBOOK_DATABASE_URL": "postgresql://nobody:secretpw@127.0.0.1:1/x"])
        #expect(r.status == 69, "\(r.stderr)")
        #expect(r.stderr.contains("cannot connect") && !r.stderr.contains("secretpw"))
    }

    @Test("usage errors exit 64")
    func usage() throws {
        #expect(try runSealbook(["append", "--stream", "s"]).status == 64)
        #expect(try runSealbook(["verify", "--trust-root", "not-base64!"]).status == 64)
        #expect(try runSealbook(["frobnicate"]).status == 64)
    }

    @Test(
        "every command's --help shows an example",
        arguments: [
            ["init"], ["append"], ["verify"], ["export"], ["head"], ["keys", "generate"], ["keys", "enroll"],
            ["keys", "revoke"], ["keys", "list"], ["db"], ["db", "start"], ["db", "stop"], ["db", "status"], ["session", "open"], ["session", "close"], ["session", "list"],
            ["session", "show"], ["check"], ["approve"], ["notify"], ["doc", "add"], ["backup", "record"], ["backup", "verify"],
            ["validate"], ["run"], ["probe"], ["rollback", "start"], ["rollback", "complete"], ["traffic", "stop"],
            ["traffic", "resume"], ["incident", "open"], ["incident", "escalate"], ["incident", "action"],
            ["incident", "resolve"], ["incident", "close"], ["gdpr", "assess"], ["gdpr", "notify"], ["monitor"],
        ])
    func helpHasExample(command: [String]) throws {
        let r = try runSealbook(command + ["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("Example"), "\(command) --help has no example")
        #expect(r.stdout.contains("sealbook " + command.joined(separator: " ")))
    }
}

@Suite("Embedded default database")
struct EmbeddedDefaultTests {
    @Test("with no database named, init starts a private cluster under SEALBOOK_HOME; db status and stop manage it")
    func embedded() throws {
        let dir = try TempDir()
        // The server runs as postgres when we are root: it must reach the folder.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
        let home = dir.file("home")
        let env = ["SEALBOOK_HOME": home]
        defer {
            _ = try? runSealbook(["db", "stop"], environment: env)
            dir.cleanup()
        }
        #expect(try runSealbook(["keys", "generate", "--actor", "root@fingood", "--out", dir.file("root.key")], environment: env).status == 0)
        let status0 = try json(try runSealbook(["db", "status", "--json"], environment: env))
        #expect(status0["status"] == "not-initialized")
        let i = try runSealbook(["init", "--ledger", "local", "--root-key", dir.file("root.key")], environment: env)
        #expect(i.status == 0, "\(i.stderr)")
        let status1 = try json(try runSealbook(["db", "status", "--json"], environment: env))
        #expect(status1["status"] == "running")
        let v = try runSealbook(["verify", "--json"], environment: env)
        #expect(v.status == 0)
        #expect(try json(v)["entries"] == 1)
        #expect(try runSealbook(["db", "stop"], environment: env).status == 0)
        #expect(try json(try runSealbook(["db", "status", "--json"], environment: env))["status"] == "stopped")
        // Started on demand again, with the same data.
        let h = try runSealbook(["head", "--json"], environment: env)
        #expect(h.status == 0)
        #expect(try json(h)["seq"] == 1)
    }
}
