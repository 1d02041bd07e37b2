import Foundation
import SealbookCore
import SealbookTestSupport
import Testing

extension CLILedger {
    /// Generates and enrols a key for `actor` with `role`; returns the key file's path.
    func enroll(_ actor: String, role: String) throws -> String {
        let path = dir.file(actor.split(separator: "@")[0] + ".key")
        let g = try runSealbook(["keys", "generate", "--actor", actor, "--out", path, "--json"])
        let pk = try json(g)["publicKey"]!.stringValue!
        let e = try run(["keys", "enroll", "--public-key", pk, "--actor", actor, "--role", role, "--key", dir.file("root.key")])
        #expect(e.status == 0, "\(e.stderr)")
        return path
    }

    /// Opens a session as alice; returns its id.
    func openSession(environment: String = "production") throws -> String {
        let r = try run([
            "session", "open", "--migration-id", "2024_01_15_add_fee_index", "--environment", environment, "--from", "1975ea83b712",
            "--to", "ae1027a6acf", "--ticket", "CHG-1042", "--key", dir.file("alice.key"), "--json",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        return try json(r)["session"]!.stringValue!
    }

    /// A fake `alembic` on PATH that prints what Alembic prints for an upgrade (or fails); its
    /// only head is ae1027a6acf, the revision `openSession` declares.
    func fakeAlembic(exitCode: Int = 0) throws -> [String: String] {
        let bin = dir.file("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let script = """
            #!/bin/sh
            case "$1" in
              upgrade) echo "INFO  [alembic.runtime.migration] Running upgrade 1975ea83b712 -> ae1027a6acf, add fee index" >&2 ;;
              downgrade) echo "INFO  [alembic.runtime.migration] Running downgrade ae1027a6acf -> 1975ea83b712, add fee index" >&2 ;;
              current) echo "ae1027a6acf (head)" ;;
              heads) echo "ae1027a6acf (head)"; exit 0 ;;
            esac
            exit \(exitCode)
            """
        try script.write(toFile: bin + "/alembic", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/alembic")
        return ["PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")]
    }
}

/// The critical items of the built-in runbook, read from the runbook file itself.
/// A measured value that meets the item's threshold, for the items that have one (a threshold
/// item is recorded as pass only with its value).
func measuredValue(_ item: String) -> [String] {
    let good = ["database-health": "0", "disk-space": "37.5", "connection-pool": "42", "replication-lag": "1"]
    return good[item].map { ["--value", $0] } ?? []
}

func criticalItems() throws -> [String] {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let rb = try JSONParser.parse(String(contentsOf: root.appendingPathComponent("schemas/runbooks/fingood-migration.json"), encoding: .utf8))
    var ids: [String] = []
    func walk(_ v: JSONValue) {
        switch v {
        case .object(let o):
            if o["critical"] == true, let id = o["id"]?.stringValue, o["title"] != nil { ids.append(id) }
            for (_, c) in o.members { walk(c) }
        case .array(let a): a.forEach(walk)
        default: break
        }
    }
    walk(rb)
    return ids
}

@Suite("Runbook commands through the sealbook binary")
struct RunbookCLITests {
    @Test("the production gate refuses an upgrade until critical items and an independent approval exist; override records a signed emergency change")
    func gate() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let bob = try l.enroll("approver-bob@fingood", role: "approver")
        let sid = try l.openSession()
        var env = try l.fakeAlembic()
        env["SEALBOOK_SESSION"] = sid
        env["SEALBOOK_KEY"] = l.dir.file("alice.key")
        let before = try l.headSeq()
        let refused = try l.run(["run", "--", "alembic", "upgrade", "head"], env: env)
        #expect(refused.status == 82, "\(refused.stderr)")
        #expect(refused.stderr.contains("critical item") && refused.stderr.contains("approval"))
        #expect(try l.headSeq() == before + 1, "a refused run records its refusal (gate.refused) and nothing else")

        // Record every critical item, then the approval by someone else.
        for item in try criticalItems() {
            let r = try l.run(["check", item, "--status", "pass"] + measuredValue(item), env: env)
            #expect(r.status == 0, "\(item): \(r.stderr)")
        }
        let stillClosed = try l.run(["run", "--", "alembic", "upgrade", "head"], env: env)
        #expect(stillClosed.status == 82 && stillClosed.stderr.contains("approval"))
        // The executor approving their own change does not count (and an operator may not approve at all).
        let selfApprove = try l.run(["approve"], env: env)
        #expect(selfApprove.status == 71, "\(selfApprove.stderr)")
        let approve = try l.run(["approve", "--comment", "CAB ok", "--key", bob], env: env)
        #expect(approve.status == 0, "\(approve.stderr)")
        let ok = try l.run(["run", "--step", "migration-execution", "--json", "--", "alembic", "upgrade", "head"], env: env)
        #expect(ok.status == 0, "\(ok.stderr)")
        let show = try json(try l.run(["session", "show", sid, "--json"], env: env))
        #expect(show["gateOpen"] == true)
        #expect(show["alembicCurrent"] == "ae1027a6acf")

        // A second, empty production session: override with a justification.
        let s2 = try l.openSession()
        env["SEALBOOK_SESSION"] = s2
        let over = try l.run(
            ["run", "--override", "--justification", "P1 outage, CAB approves retroactively", "--", "alembic", "upgrade", "head"], env: env)
        #expect(over.status == 0, "\(over.stderr)")
        #expect(over.stdout.contains("override.recorded"))
        #expect(try l.run(["verify", "--trust-root", l.rootPublicKey], env: env).status == 0)
    }

    @Test("run passes SIGTERM on to the command even when sealbook was started with SIGTERM blocked")
    func forwardsSignalsBlockedByTheParent() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let sid = try l.openSession(environment: "staging")
        // python3 blocks SIGTERM and execs sealbook, which inherits the blocked mask (as from a
        // libdispatch worker thread); the command prints "ready" and sleeps.
        let block = "import os, signal, sys; signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM}); os.execv(sys.argv[1], sys.argv[1:])"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", block, try sealbookBinary(), "run", "--", "sh", "-c", "echo ready; exec sleep 30"]
        var env = ProcessInfo.processInfo.environment
        env["SEALBOOK_DATABASE_URL"] = l.db.url
        env["SEALBOOK_SESSION"] = sid
        env["SEALBOOK_KEY"] = l.dir.file("alice.key")
        env["ENVIRONMENT"] = "staging"
        p.environment = env
        p.currentDirectoryURL = URL(fileURLWithPath: l.dir.path)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        // Wait for the command's "ready" (sealbook's own lines come first).
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("ready\n") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += chunk
        }
        #expect(String(decoding: seen, as: UTF8.self).contains("ready"), "\(String(decoding: seen, as: UTF8.self))")
        let sent = Date()
        kill(p.processIdentifier, SIGTERM)
        for _ in 0..<200 where p.isRunning { usleep(50_000) }
        #expect(!p.isRunning, "sealbook run did not end within 10 s of SIGTERM: the signal stayed blocked")
        guard !p.isRunning else { return }
        #expect(Date().timeIntervalSince(sent) < 10)
        #expect(p.terminationReason == .exit && p.terminationStatus == 128 + SIGTERM, "status \(p.terminationStatus)")
    }

    @Test("run records success, a non-zero exit and a killed command, and exits with the command's code")
    func runOutcomes() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let sid = try l.openSession(environment: "staging")
        let env = ["SEALBOOK_SESSION": sid, "SEALBOOK_KEY": l.dir.file("alice.key"), "ENVIRONMENT": "staging", "BACKUP_VERIFIED": "true"]
        let ok = try l.run(["run", "--", "sh", "-c", "echo hello; echo oops >&2"], env: env)
        #expect(ok.status == 0 && ok.stdout.contains("hello") && ok.stderr.contains("oops"))
        let fail = try l.run(["run", "--", "sh", "-c", "exit 3"], env: env)
        #expect(fail.status == 3)
        let killed = try l.run(["run", "--", "sh", "-c", "kill -9 $$"], env: env)
        #expect(killed.status == 137)
        let missing = try l.run(["run", "--", "/nonexistent/tool"], env: env)
        #expect(missing.status == 127)
        // What was recorded: read the events through export.
        let bundle = l.dir.file("b")
        #expect(try l.run(["export", "--out", bundle]).status == 0)
        let finished = try String(contentsOfFile: bundle, encoding: .utf8).split(separator: "\n").compactMap { line -> JSONValue? in
            let v = try? JSONParser.parse(String(line))
            return v?["body"]?["type"] == "command.finished" ? v?["body"]?["data"] : nil
        }
        #expect(finished.map { $0["outcome"]?.stringValue } == ["success", "failed", "killed", "failed"])
        #expect(finished[1]["exitCode"] == 3 && finished[2]["signal"] == 9)
        // stdout digest of the first command is SHA-256("hello\n").
        #expect(finished[0]["stdout"]?["sha256"]?.stringValue == SHA256.hash(Array("hello\n".utf8)).hex)
        let started = try String(contentsOfFile: bundle, encoding: .utf8).split(separator: "\n").compactMap { line -> JSONValue? in
            let v = try? JSONParser.parse(String(line))
            return v?["body"]?["type"] == "command.started" ? v?["body"]?["data"] : nil
        }
        #expect(started.first?["environment"]?["ENVIRONMENT"] == "staging")
        #expect(started.first?["environment"]?["BACKUP_VERIFIED"] == "true")
    }

    @Test("check applies the threshold: a false pass is recorded as fail and the output says so; unknown items are refused")
    func thresholds() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let sid = try l.openSession()
        let env = ["SEALBOOK_SESSION": sid, "SEALBOOK_KEY": l.dir.file("alice.key")]
        let r = try l.run(["check", "disk-space", "--status", "pass", "--value", "15", "--unit", "percent", "--json"], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try json(r)["status"] == "fail")
        #expect(try json(r)["overridden"] == true)
        let text = try l.run(["check", "disk-space", "--status", "pass", "--value", "12"], env: env)
        #expect(text.stdout.contains("FAIL"))
        let good = try json(try l.run(["check", "disk-space", "--status", "pass", "--value", "20", "--json"], env: env))
        #expect(good["status"] == "pass")
        let unknown = try l.run(["check", "no-such-item", "--status", "pass"], env: env)
        #expect(unknown.status == 67 && unknown.stderr.contains("no checklist item"))
        let notANumber = try l.run(["check", "disk-space", "--status", "pass", "--value", "lots"], env: env)
        #expect(notANumber.status == 67)
    }

    @Test("the catalog guards every append: card numbers, schemas, unknown types, roles")
    func guards() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let before = try l.headSeq()
        let pan = try l.append("s", "{\"note\":\"paid with 4111 1111 1111 1111\"}")
        #expect(pan.status == 80, "\(pan.stderr)")
        #expect(pan.stderr.contains("data.note") && !pan.stderr.contains("4111"))
        let schema = try l.run([
            "append", "--stream", "s", "--type", "checklist.item.recorded", "--data", "{\"item\":\"disk-space\"}", "--key",
            l.dir.file("alice.key"),
        ])
        #expect(schema.status == 67 && schema.stderr.contains("status"), "\(schema.stderr)")
        let unknown = try l.run(["append", "--stream", "s", "--type", "made.up", "--data", "{}", "--key", l.dir.file("alice.key")])
        #expect(unknown.status == 67 && unknown.stderr.contains("custom."), "\(unknown.stderr)")
        let role = try l.run([
            "append", "--stream", "s", "--type", "approval.granted", "--data", "{\"scope\":\"migration\"}", "--key", l.dir.file("alice.key"),
        ])
        #expect(role.status == 71 && role.stderr.contains("approver"), "\(role.stderr)")
        #expect(try l.headSeq() == before)
    }

    @Test("documentation, backups, notifications, validations, rollbacks, traffic, monitoring, incidents and GDPR, end to end")
    func everyCommand() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let carol = try l.enroll("ic-carol@fingood", role: "incident-commander")
        let sid = try l.openSession()
        let env = ["SEALBOOK_SESSION": sid, "SEALBOOK_KEY": l.dir.file("alice.key")]
        try "risk: low".write(toFile: l.dir.file("risk.md"), atomically: true, encoding: .utf8)
        func ok(_ args: [String], _ extra: [String: String] = [:]) throws -> RunResult {
            let r = try l.run(args, env: env.merging(extra) { $1 })
            #expect(r.status == 0, "\(args): \(r.stderr)")
            return r
        }
        let doc = try json(try ok(["doc", "add", "--kind", "risk-assessment", "--file", l.dir.file("risk.md"), "--json"]))
        #expect(doc["type"] == "documentation.recorded")
        _ = try ok(["backup", "record", "--backup-id", "bk-1", "--method", "pg_dump", "--location", "/backups/bk-1", "--file", l.dir.file("risk.md")])
        _ = try ok(["backup", "verify", "--backup-id", "bk-1", "--result", "pass", "--restore-tested"])
        _ = try ok(["notify", "--audience", "operations", "--channel", "#ops", "--subject", "window 22:00"])
        _ = try ok(["validate", "--phase", "immediate", "--check", "data-integrity", "--result", "fail", "--details", "totals differ"])
        _ = try ok(["traffic", "stop", "--scope", "writes", "--reason", "preserve state"])
        _ = try ok(["rollback", "start", "--kind", "immediate", "--method", "alembic-downgrade", "--reason", "validation failed"])
        _ = try ok(["rollback", "complete", "--kind", "immediate", "--result", "success", "--revision", "1975ea83b712"])
        _ = try ok(["traffic", "resume", "--scope", "writes"])
        _ = try ok(["monitor", "--metric", "p99_latency_ms", "--value", "182", "--unit", "ms"])
        let inc = try json(try ok(["incident", "open", "--level", "2", "--title", "lost cents", "--trigger", "validation failed", "--json"]))
        let iid = inc["incident"]!.stringValue!
        _ = try ok(["incident", "action", iid, "--phase", "immediate", "--action", "stopped writes"])
        _ = try ok(["incident", "escalate", iid, "--to", "3", "--reason", "rollback slow"])
        _ = try ok(["gdpr", "assess", "--incident", iid, "--aware-at", "2026-01-01T00:00:00.000Z", "--risk", "none", "--key", carol])
        _ = try ok([
            "gdpr", "notify", "--incident", iid, "--authority", "CNIL", "--nature", "n", "--dpo-contact", "dpo", "--consequences", "c",
            "--measures", "m", "--key", carol,
        ])
        _ = try ok(["incident", "resolve", iid, "--root-cause", "rounding", "--resolution", "rolled back", "--key", carol])
        _ = try ok(["incident", "close", iid, "--lessons", "test on prod-size data", "--key", carol])
        _ = try ok(["session", "close", "--outcome", "rolled-back"])
        let closedAgain = try l.run(["notify", "--audience", "a", "--channel", "c", "--subject", "s"], env: env)
        #expect(closedAgain.status != 0 && closedAgain.stderr.contains("closed"))
        let list = try json(try ok(["session", "list", "--json"]))
        #expect(list["sessions"]?.arrayValue?.first?["status"] == "rolled-back")
        let v = try l.run(["verify", "--trust-root", l.rootPublicKey, "--json"])
        #expect(v.status == 0)
        #expect(try json(v)["ok"] == true)
    }
}

@Suite("probe against a real PostgreSQL")
struct ProbeCLITests {
    @Test("probe measures the target and records the environmental items with their values")
    func probe() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let sid = try l.openSession()
        let env = ["SEALBOOK_SESSION": sid, "SEALBOOK_KEY": l.dir.file("alice.key")]
        // The target is the test database itself: a real server with real pg_stat_activity.
        let r = try l.run(["probe", "--target", l.db.url], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        let show = try json(try l.run(["session", "show", sid, "--json"], env: env))
        let items = show["checklist"]!.arrayValue!
        func status(_ id: String) -> String? { items.first { $0["item"]?.stringValue == id }?["status"]?.stringValue }
        #expect(status("connection-pool") == "pass")
        #expect(status("replication-lag") == "pass")
        #expect(status("database-health") == "pass")
        // The measured value is recorded, not just the status.
        let bundle = l.dir.file("b")
        #expect(try l.run(["export", "--out", bundle]).status == 0)
        let pool = try String(contentsOfFile: bundle, encoding: .utf8).split(separator: "\n").compactMap { line -> JSONValue? in
            let d = (try? JSONParser.parse(String(line)))?["body"]?["data"]
            return d?["item"] == "connection-pool" ? d : nil
        }.first
        let value = try #require(pool?["value"]?.stringValue)
        #expect(Double(value).map { $0 > 0 && $0 < 100 } == true, "pool usage \(value)")
        // An unreachable target is a clear error and records nothing.
        let before = try l.headSeq()
        let bad = try l.run(["probe", "--target", "postgresql://x@127.0.0.1:1/none"], env: env)
        #expect(bad.status == 69 && bad.stderr.contains("target"))
        #expect(try l.headSeq() == before)
    }
}
