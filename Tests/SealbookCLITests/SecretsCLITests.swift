// Secrets and personal data stay out of the immutable log, and bad input is refused clearly
// (README: "Secrets in `run`", "Limits", exit codes 64-94): each through the real binary against
// a real PostgreSQL, checking the stored rows themselves.

import Foundation
import SealbookCore
import SealbookTestSupport
import Testing

extension CLILedger {
    /// How many stored rows hold `text` anywhere: in the signed body bytes or the jsonb copy.
    func rowsHolding(_ text: String) throws -> Int {
        let quoted = text.replacingOccurrences(of: "'", with: "''")
        let r = try db.superuserQuery(
            "SELECT count(*) FROM sealbook.events WHERE position(convert_to('\(quoted)', 'UTF8') in body) > 0 OR position('\(quoted)' in body_json::text) > 0"
        )
        return Int(r.first!!)!
    }

    /// The data of the last event of type `type`.
    func lastData(_ type: String) throws -> JSONValue {
        let r = try db.superuserQuery("SELECT body_json->'data' FROM sealbook.events WHERE type = '\(type)' ORDER BY seq DESC LIMIT 1")
        return try JSONParser.parse(try #require(r.first ?? nil))
    }

    /// A runbook file: the minimal example with `recordedEnvironment` and extra members.
    func runbook(recorded: [String], extra: String = "") throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var text = try String(contentsOf: root.appendingPathComponent("schemas/runbooks/example-minimal.json"), encoding: .utf8)
        let list = recorded.map { "\"\($0)\"" }.joined(separator: ", ")
        text = text.replacingOccurrences(of: "\"recordedEnvironment\": [\"DEPLOY_ENV\"],", with: "\"recordedEnvironment\": [\(list)],\(extra)")
        let path = dir.file("runbook-\(UUID().uuidString).json")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A session (staging) following the runbook at `path`; returns the environment to run in it.
    func session(runbook path: String) throws -> [String: String] {
        let r = try run([
            "session", "open", "--migration-id", "m1", "--environment", "staging", "--to", "b2", "--runbook", path,
            "--key", dir.file("alice.key"), "--json",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        return ["SEALBOOK_SESSION": try json(r)["session"]!.stringValue!, "SEALBOOK_KEY": dir.file("alice.key")]
    }
}

@Suite("Secrets, personal data and hardened input, through the binary")
struct SecretsCLITests {
    // MARK: 1. Redaction in run

    @Test("run: passwords in URLs, NAME=VALUE, client options and secret variables are nowhere in the stored rows")
    func runRedacts() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let rb = try l.runbook(recorded: ["DEPLOY_ENV", "API_TOKEN", "TARGET_URL"])
        var env = try l.session(runbook: rb)
        env["API_TOKEN"] = "s3cr3t-env-token"
        env["TARGET_URL"] = "postgresql://app:s3cr3t-url-env@db/prod"
        env["DEPLOY_ENV"] = "staging"
        let secrets = [
            "s3cr3t-url", "s3cr3t-pgpw", "s3cr3t-opt", "s3cr3t-sep", "s3cr3t-my", "s3cr3t-curl", "s3cr3t-conninfo",
            "s3cr3t-env-token", "s3cr3t-url-env", "s3cr3t-bearer",
        ]
        let argv = [
            "sh", "-c", "true", "postgresql://app:s3cr3t-url@db/prod", "PGPASSWORD=s3cr3t-pgpw", "--password=s3cr3t-opt",
            "--token", "s3cr3t-sep", "mysql", "-ps3cr3t-my", "curl", "-u", "app:s3cr3t-curl", "host=db password=s3cr3t-conninfo",
            "-H", "Authorization: Bearer s3cr3t-bearer",
        ]
        let r = try l.run(["run", "--runbook", rb, "--"] + argv, env: env)
        #expect(r.status == 0, "\(r.stderr)")
        for s in secrets {
            #expect(try l.rowsHolding(s) == 0, "\(s) is in the log")
        }
        let data = try l.lastData("command.started")
        let recorded = data["argv"]!.arrayValue!.compactMap(\.stringValue)
        #expect(recorded[3].hasPrefix("postgresql://app:[redacted:scrypt:") && recorded[3].hasSuffix("]@db/prod"))
        #expect(recorded[5].hasPrefix("--password=[redacted:scrypt:"))
        #expect(data["environment"]?["DEPLOY_ENV"] == "staging")
        #expect(data["environment"]?["API_TOKEN"]?.stringValue?.hasPrefix("[redacted:scrypt:") == true)
        let redaction = try #require(data["redaction"])
        #expect(redaction["scheme"] == "scrypt-n32768-r8-p1" && redaction["redacted"] == 10)
        // An auditor who knows a candidate checks it as README says, with Python's standard library.
        let salt = try #require(redaction["salt"]?.stringValue)
        let marker = try #require(data["environment"]?["API_TOKEN"]?.stringValue)
        let check = try Self.python(
            "import hashlib,sys; print('[redacted:scrypt:' + hashlib.scrypt(sys.stdin.buffer.read(), salt=bytes.fromhex(sys.argv[1]), n=32768, r=8, p=1, maxmem=1<<26, dklen=32).hex() + ']')",
            [salt], stdin: "s3cr3t-env-token")
        #expect(check == marker)
    }

    @Test("run --no-redact records everything as given and says so; the child gets SEALBOOK_DATABASE_URL only when the runbook says")
    func noRedactAndLedgerURL() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let rb = try l.runbook(recorded: ["DEPLOY_ENV"])
        let env = try l.session(runbook: rb)
        // Not passed by default: the command sees no SEALBOOK_DATABASE_URL.
        let probe = ["sh", "-c", "test -z \"$SEALBOOK_DATABASE_URL\""]
        #expect(try l.run(["run", "--runbook", rb, "--"] + probe, env: env).status == 0)
        let plain = try l.run(["run", "--runbook", rb, "--no-redact", "--", "sh", "-c", "true", "PGPASSWORD=visible-on-purpose"], env: env)
        #expect(plain.status == 0, "\(plain.stderr)")
        let data = try l.lastData("command.started")
        #expect(data["redaction"] == "disabled")
        #expect(data["argv"]?.arrayValue?[3] == "PGPASSWORD=visible-on-purpose")
        // A runbook that asks for it passes it on.
        let passing = try l.runbook(recorded: ["DEPLOY_ENV"], extra: "\n  \"passLedgerDatabaseURL\": true,")
        let env2 = try l.session(runbook: passing)
        let seen = try l.run(["run", "--runbook", passing, "--", "sh", "-c", "test -n \"$SEALBOOK_DATABASE_URL\""], env: env2)
        #expect(seen.status == 0, "\(seen.stderr)")
    }

    @Test("run --json: the child's output goes to stderr; stdout is one JSON object")
    func runJSON() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let rb = try l.runbook(recorded: ["DEPLOY_ENV"])
        let env = try l.session(runbook: rb)
        let r = try l.run(["run", "--runbook", rb, "--json", "--", "sh", "-c", "echo hello-from-child; exit 3"], env: env)
        #expect(r.status == 3)
        let doc = try json(r)
        #expect(doc["exitCode"] == 3 && doc["outcome"] == "failed" && doc["ok"] == false)
        #expect(doc["recorded"]?.arrayValue?.map { $0["type"] } == ["command.started", "command.finished"])
        #expect(!r.stdout.contains("hello-from-child") && r.stderr.contains("hello-from-child"))
    }

    // MARK: 2. Card numbers anywhere

    @Test("a card number in the stream, --idem, --evidence, keys revoke --reason, run's argv, or split over an array: exit 80, nothing written, never echoed")
    func cardNumbersEverywhere() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let rb = try l.runbook(recorded: ["DEPLOY_ENV"])
        let env = try l.session(runbook: rb)
        let before = try l.headSeq()
        let key = l.dir.file("alice.key")
        let attempts: [[String]] = [
            ["append", "--stream", "card/4111.1111.1111.1111", "--type", "custom.note", "--data", "{}", "--key", key],
            ["append", "--stream", "s", "--type", "custom.note", "--data", "{}", "--idem", "4111 1111 1111 1111", "--key", key],
            ["append", "--stream", "s", "--type", "custom.note", "--data", #"{"pan":["4111","1111","1111","1111"]}"#, "--key", key],
            ["append", "--stream", "s", "--type", "custom.note", "--data", "{\"n\":\"4111\u{200B}1111\u{200B}1111\u{200B}1111\"}", "--key", key],
            ["append", "--stream", "s", "--type", "custom.note", "--data", "{\"n\":\"\u{FF14}\u{FF11}\u{FF11}\u{FF11}\u{FF11}\u{FF11}\u{FF11}\u{FF11}\u{FF11}\u{FF11}\u{FF11}\u{FF11}\u{FF11}\u{FF11}\u{FF11}\u{FF11}\"}", "--key", key],
            ["check", "snapshot-taken", "--status", "pass", "--evidence", "receipt=4111/1111/1111/1111", "--runbook", rb],
            ["run", "--runbook", rb, "--", "sh", "-c", "true", "4111_1111_1111_1111"],
            ["keys", "revoke", "ed25519:0000000000000000", "--reason", "card 4111\t1111\t1111\t1111", "--key", l.dir.file("root.key")],
        ]
        for args in attempts {
            let r = try l.run(args + ["--json"], env: env)
            #expect(r.status == 80, "\(args): \(r.stdout) \(r.stderr)")
            #expect(!r.stdout.contains("1111") && !r.stderr.contains("1111"), "\(args) echoed the number")
            #expect(try l.headSeq() == before, "\(args) wrote something")
        }
        // --evidence without KEY=: a usage error that does not repeat the argument.
        let bare = try l.run(["check", "snapshot-taken", "--status", "pass", "--evidence", "4111 1111 1111 1111", "--runbook", rb], env: env)
        #expect(bare.status == 64 && bare.stderr.contains("--evidence") && !bare.stderr.contains("1111"), "\(bare.stderr)")
        #expect(try l.headSeq() == before)
        // The actor id: refused at keys generate.
        let g = try runSealbook(["keys", "generate", "--actor", "4111.1111.1111.1111@fingood", "--out", l.dir.file("pan.key")])
        #expect(g.status == 64 && !g.stderr.contains("1111"))
        // Hashes, UUIDs and base64 keys still pass.
        let fine = try l.append(
            "s", #"{"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","id":"d1a5978b-7ccd-4c80-8255-416332056186","publicKey":"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="}"#)
        #expect(fine.status == 0, "\(fine.stderr)")
    }

    @Test("the committed corpus through the binary: every refused case exits 80, every accepted one is appended")
    func corpusThroughBinary() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SealbookCoreTests/Corpus/card-numbers.json")
        let cases = try JSONParser.parse([UInt8](try Data(contentsOf: url)))["cases"]!.arrayValue!
        for c in cases {
            let data = try JCS.canonicalString(c["data"]!)
            let r = try l.append("corpus", data)
            let refused = c["expect"] == "refused"
            #expect(r.status == (refused ? 80 : 0), "\(c["name"]!): \(r.stderr)")
        }
    }

    // MARK: 3. Pseudonymous actors, keys fit to enrol

    @Test("e-mail addresses as actors are refused at keys generate, keys enroll and init (exit 64); dba-alice@fingood is fine")
    func actors() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        for actor in ["alice@example.com", "dba-alice@fingood.io", "a.smith@mail.fingood.co.uk"] {
            let g = try runSealbook(["keys", "generate", "--actor", actor, "--out", l.dir.file("x.key")])
            #expect(g.status == 64 && g.stderr.contains("e-mail"), "\(actor): \(g.stderr)")
            #expect(!FileManager.default.fileExists(atPath: l.dir.file("x.key")))
            let e = try l.run([
                "keys", "enroll", "--public-key", l.operatorPublicKey, "--actor", actor, "--role", "operator", "--key",
                l.dir.file("root.key"),
            ])
            #expect(e.status == 64, "\(actor): \(e.stderr)")
        }
        #expect(try runSealbook(["keys", "generate", "--actor", "dba-alice@fingood", "--out", l.dir.file("ok.key")]).status == 0)
        #expect(try runSealbook(["keys", "generate", "--actor", "ci.pipeline", "--out", l.dir.file("ok2.key")]).status == 0)
        // A root key file made elsewhere with an e-mail address: init refuses it.
        let other = try TestDatabase.create()
        defer { other.drop() }
        let path = l.dir.file("mail-root.key")
        try KeyFile(actor: "root@example.com", privateKey: Ed25519.PrivateKey()).write(to: path)
        let i = try runSealbook(
            ["init", "--ledger", "x", "--root-key", path], environment: ["SEALBOOK_DATABASE_URL": other.url])
        #expect(i.status == 64, "\(i.stderr)")
    }

    @Test("a small-order or non-canonical public key is refused at enrolment (exit 64)")
    func weakKeys() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let before = try l.headSeq()
        let identity = [UInt8]([1] + [UInt8](repeating: 0, count: 31))  // the neutral point: order 1
        let order2 = [UInt8]([0xEC] + [UInt8](repeating: 0xFF, count: 30) + [0x7F])  // (0, -1): order 2
        let nonCanonical = [UInt8]([0xED] + [UInt8](repeating: 0xFF, count: 30) + [0x7F])  // y = p: not reduced
        for raw in [identity, order2, nonCanonical] {
            let r = try l.run([
                "keys", "enroll", "--public-key", Base64.encode(raw), "--actor", "weak@fingood", "--role", "operator", "--key",
                l.dir.file("root.key"),
            ])
            #expect(r.status == 64 && r.stderr.contains("not fit to enrol"), "\(Hex.encode(raw)): \(r.stderr)")
        }
        #expect(try l.headSeq() == before)
    }

    // MARK: 4. Paths and sizes

    @Test("a directory, a FIFO, a device, a missing file or a dangling symlink as input: exit 66, at once, nothing written")
    func inputPaths() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let rb = try l.runbook(recorded: ["DEPLOY_ENV"])
        let env = try l.session(runbook: rb)
        let dir = l.dir.file("a-directory")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let fifo = l.dir.file("a-fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let dangling = l.dir.file("dangling")
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: l.dir.file("nowhere"))
        let builtIn = try l.openSession(environment: "staging")
        let before = try l.headSeq()
        let key = l.dir.file("alice.key")
        for path in [dir, fifo, "/dev/zero", l.dir.file("missing"), dangling] {
            let started = Date()
            for args in [
                ["append", "--stream", "s", "--type", "custom.note", "--data", "@" + path, "--key", key],
                ["doc", "add", "--kind", "risk-assessment", "--file", path],
                ["verify", "--bundle", path],
                ["append", "--stream", "s", "--type", "custom.note", "--data", "{}", "--key", path],
                ["report", "session", builtIn, "--format", "md", "--templates", path],
            ] where !(path == dir && args.contains("--templates")) {
                let r = try l.run(args, env: env)
                #expect(r.status == 66, "\(args): \(r.status) \(r.stderr)")
                #expect(!r.stderr.isEmpty && !r.stderr.contains("Fatal error"), "\(args): \(r.stderr)")
            }
            #expect(Date().timeIntervalSince(started) < 30, "\(path) took too long")
        }
        #expect(try l.headSeq() == before)
        // A template directory whose *.mustache entry is a FIFO.
        let templates = l.dir.file("templates")
        try FileManager.default.createDirectory(atPath: templates, withIntermediateDirectories: true)
        #expect(mkfifo(templates + "/session.md.mustache", 0o600) == 0)
        let t = try l.run(["report", "session", builtIn, "--format", "md", "--templates", templates])
        #expect(t.status == 66 && t.stderr.contains("FIFO"), "\(t.stderr)")
        // Standard input is read no further than the limit.
        let big = String(repeating: " ", count: 4 * 65_536 + 10) + "{}"
        let r = try l.run(["append", "--stream", "s", "--type", "custom.note", "--data", "@-", "--key", key], stdin: big)
        #expect(r.status == 68, "\(r.stderr)")
    }

    @Test("--force replaces a regular file only: never a directory, never a symlink's target (exit 73, as for an existing file)")
    func outputs() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let dir = l.dir.file("keep-me")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "precious".write(toFile: dir + "/inside", atomically: true, encoding: .utf8)
        let target = l.dir.file("target")
        try "target".write(toFile: target, atomically: true, encoding: .utf8)
        let link = l.dir.file("link")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let sid = try l.openSession(environment: "staging")
        for out in [dir, link] {
            let e = try l.run(["export", "--out", out, "--force"])
            #expect(e.status == 73 && e.stderr.contains("not a regular file"), "\(e.stderr)")
            let rep = try l.run(["report", "session", sid, "--format", "md", "--out", out, "--force"])
            #expect(rep.status == 73 && rep.stderr.contains("not a regular file"), "\(rep.stderr)")
        }
        #expect(try String(contentsOfFile: dir + "/inside", encoding: .utf8) == "precious")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "target")
        // A regular file is replaced with --force.
        #expect(try l.run(["export", "--out", target, "--force"]).status == 0)
        #expect(try String(contentsOfFile: target, encoding: .utf8).hasPrefix("{\"sealbook\":\"bundle/1\""))
        // export --to 0 is a usage error.
        #expect(try l.run(["export", "--out", l.dir.file("b0"), "--to", "0"]).status == 64)
    }

    @Test("a 200 MB single-line bundle entry is refused at once, in bounded memory")
    func hugeBundleLine() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let path = l.dir.file("huge.bundle")
        #expect(try l.run(["export", "--out", path]).status == 0)
        let header = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")[0]
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try h.truncate(atOffset: 0)
        try h.write(contentsOf: Data((header + "\n{\"seq\":2,\"body\":\"").utf8))
        let chunk = Data(repeating: 0x61, count: 1 << 20)
        for _ in 0..<200 { try h.write(contentsOf: chunk) }
        try h.write(contentsOf: Data("\"}\n".utf8))
        try h.close()
        let started = Date()
        let r = try runSealbook(["verify", "--bundle", path])
        #expect(r.status == 66 && r.stderr.contains("line 2 is longer than"), "\(r.stderr)")
        #expect(Date().timeIntervalSince(started) < 20)
        // Peak memory of the verifying process, measured by GNU time in a child.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/time") {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/time")
            p.arguments = ["-f", "maxrss-kb=%M", try sealbookBinary(), "verify", "--bundle", path]
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            let kb = text.split(separator: "\n").last { $0.hasPrefix("maxrss-kb=") }.flatMap { Int($0.dropFirst(10)) }
            let rss = try #require(kb, "\(text)")
            #expect(rss < 100 * 1024, "verify held \(rss) KiB for a 200 MB line")
        }
    }

    // MARK: 5. Unambiguous outcomes

    @Test("every append has an idempotency key; reusing one for other data, actor or type is exit 94 and writes nothing")
    func idempotency() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let auto = try json(try l.append("s", #"{"a":1}"#, extra: ["--json"]))
        #expect(auto["idem"]?.stringValue?.hasPrefix("auto-") == true)
        let first = try l.append("s", #"{"a":1}"#, extra: ["--idem", "k1", "--json"])
        #expect(first.status == 0)
        let again = try l.append("s", #"{"a":1}"#, extra: ["--idem", "k1", "--json"])
        let againDoc = try json(again)
        #expect(again.status == 0 && againDoc["duplicate"] == true)
        let before = try l.headSeq()
        let otherData = try l.append("s", #"{"a":2}"#, extra: ["--idem", "k1"])
        #expect(otherData.status == 94 && otherData.stderr.contains("idempotency"), "\(otherData.stderr)")
        let otherType = try l.run([
            "append", "--stream", "s", "--type", "custom.other", "--data", #"{"a":1}"#, "--idem", "k1", "--key", l.dir.file("alice.key"),
        ])
        #expect(otherType.status == 94, "\(otherType.stderr)")
        let bob = try l.enroll("bob@fingood", role: "operator")
        let otherActor = try l.run([
            "append", "--stream", "s", "--type", "custom.note", "--data", #"{"a":1}"#, "--idem", "k1", "--key", bob, "--json",
        ])
        let conflict = try json(otherActor)
        #expect(otherActor.status == 94 && conflict["error"]?["code"] == "idempotency-conflict")
        #expect(try l.headSeq() == before + 1)  // only bob's enrolment
    }

    @Test("invalid UTF-8 in --data, @file, stdin or an option: exit 65, nothing written")
    func invalidUTF8() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let before = try l.headSeq()
        let bin = try sealbookBinary()
        let key = l.dir.file("alice.key")
        // Raw bytes in argv go through a shell's printf (a Swift String cannot hold them).
        for script in [
            #"exec "$0" append --stream s --type custom.note --data "$(printf '{"t":"\377"}')" --key "$1""#,
            #"exec "$0" append --stream "$(printf 's\377')" --type custom.note --data '{}' --key "$1""#,
            #"exec "$0" append --stream s --type custom.note --data '{}' --idem "$(printf '\300\200')" --key "$1""#,
        ] {
            let r = try Self.shell(script, [bin, key], env: ["SEALBOOK_DATABASE_URL": l.db.url])
            #expect(r.status == 65 && r.stderr.contains("UTF-8"), "\(script): \(r.stderr)")
        }
        let file = l.dir.file("bad.json")
        try Data([0x7B, 0x22, 0x74, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D]).write(to: URL(fileURLWithPath: file))
        #expect(try l.append("s", "@" + file).status == 65)
        let viaStdin = try Self.shell(
            #"printf '{"t":"\377"}' | "$0" append --stream s --type custom.note --data @- --key "$1""#, [bin, key],
            env: ["SEALBOOK_DATABASE_URL": l.db.url])
        #expect(viaStdin.status == 65, "\(viaStdin.stderr)")
        #expect(try l.headSeq() == before)
    }

    @Test("the connection breaks after COMMIT: the CLI finds the event by its key and exits 0; breaks before: exit 69, not written")
    func lostConnection() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        // After the commit: the proxy forwards the append and swallows the reply, then drops both sides.
        let committed = try DroppingProxy(mode: "after-commit", target: l.db.url)
        defer { committed.stop() }
        let r = try runSealbook(
            ["append", "--stream", "lost", "--type", "custom.note", "--data", #"{"n":1}"#, "--key", l.dir.file("alice.key"), "--json"],
            environment: ["SEALBOOK_DATABASE_URL": committed.url])
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        let doc = try json(r)
        #expect(doc["recoveredAfterConnectionLoss"] == true && doc["duplicate"] == false)
        #expect(try l.db.superuserQuery("SELECT count(*) FROM sealbook.events WHERE stream = 'lost'") == ["1"])
        #expect(committed.fired)
        // Before the server sees it: nothing was written, exit 69.
        let dropped = try DroppingProxy(mode: "before-send", target: l.db.url)
        defer { dropped.stop() }
        let n = try runSealbook(
            ["append", "--stream", "lost2", "--type", "custom.note", "--data", #"{"n":2}"#, "--key", l.dir.file("alice.key")],
            environment: ["SEALBOOK_DATABASE_URL": dropped.url])
        #expect(n.status == 69 && n.stderr.contains("not written"), "\(n.stderr)")
        #expect(try l.db.superuserQuery("SELECT count(*) FROM sealbook.events WHERE stream = 'lost2'") == ["0"])
        #expect(dropped.fired)
        // The database still verifies.
        #expect(try l.run(["verify", "--trust-root", l.rootPublicKey]).status == 0)
    }

    // MARK: 6. Small ones

    @Test("init with another ledger id says so; a threshold item recorded pass without its value is refused (67)")
    func smallOnes() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let again = try l.run(["init", "--ledger", "other-ledger", "--root-key", l.dir.file("root.key")])
        #expect(again.status == 76 && again.stderr.contains("another ledger, \"cli-test\""), "\(again.stderr)")
        let rb = try l.runbook(recorded: ["DEPLOY_ENV"])
        let env = try l.session(runbook: rb)
        let noValue = try l.run(["check", "free-disk", "--status", "pass", "--runbook", rb], env: env)
        #expect(noValue.status == 67 && noValue.stderr.contains("--value"), "\(noValue.stderr)")
        #expect(try l.run(["check", "free-disk", "--status", "pass", "--value", "30", "--runbook", rb], env: env).status == 0)
        #expect(try l.run(["check", "free-disk", "--status", "fail", "--runbook", rb], env: env).status == 0)
    }

    // MARK: - Helpers

    static func python(_ code: String, _ args: [String], stdin: String) throws -> String {
        // sh -c SCRIPT $0 $1 …: the code is $0, its arguments $1 ….
        let r = try shell(#"exec python3 -c "$0" "$@""#, [code] + args, stdin: stdin)
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `script` with `sh -c`, `args` as $0, $1, ….
    static func shell(_ script: String, _ args: [String], env: [String: String] = [:], stdin: String = "") throws -> RunResult {
        try runProgram("/bin/sh", ["-c", script] + args, environment: env, stdin: stdin)
    }
}

/// A TCP proxy (python3) in front of the test database that breaks the first connection carrying
/// `sealbook.append_events`: "after-commit" forwards it and swallows the server's reply up to its
/// ReadyForQuery (sent after the commit), then closes both sides; "before-send" closes before the
/// server sees it. Later connections pass through.
final class DroppingProxy {
    let process = Process()
    let url: String
    private let firedFile: String

    var fired: Bool { FileManager.default.fileExists(atPath: firedFile) }

    init(mode: String, target: String) throws {
        let components = try #require(URLComponents(string: target))
        let dir = NSTemporaryDirectory() + "sealbook-proxy-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        firedFile = dir + "/fired"
        let script = dir + "/proxy.py"
        try Self.source.write(toFile: script, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, mode, components.host ?? "127.0.0.1", String(components.port ?? 5432), firedFile]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let d = out.fileHandleForReading.availableData
            if d.isEmpty { break }
            line.append(d)
        }
        let port = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        var c = components
        c.host = "127.0.0.1"
        c.port = Int(port)
        c.queryItems = (c.queryItems ?? []) + [URLQueryItem(name: "sslmode", value: "disable")]
        url = try #require(c.string)
    }

    /// SIGKILL: the proxy is spawned from a thread that blocks SIGTERM, and inherits that mask.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    static let source = #"""
        import select, socket, sys, threading
        mode, host, port, fired = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
        lock = threading.Lock()
        armed = [True]
        def handle(c):
            u = socket.create_connection((host, port))
            swallowing = False
            down = b""
            try:
                while True:
                    r, _, _ = select.select([c, u], [], [], 60)
                    if not r:
                        return
                    if c in r:
                        d = c.recv(65536)
                        if not d:
                            return
                        if b"append_events" in d:
                            with lock:
                                fire, armed[0] = armed[0], False
                            if fire:
                                open(fired, "w").close()
                                if mode == "before-send":
                                    return
                                swallowing = True
                        u.sendall(d)
                    if u in r:
                        d = u.recv(65536)
                        if not d:
                            return
                        if swallowing:
                            down += d
                            if down.endswith(b"Z\x00\x00\x00\x05I"):
                                return
                            continue
                        c.sendall(d)
            finally:
                c.close()
                u.close()
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        print(s.getsockname()[1], flush=True)
        while True:
            conn, _ = s.accept()
            threading.Thread(target=handle, args=(conn,), daemon=True).start()
        """#
}
