import Foundation
import SealbookCore
import SealbookTestSupport
import Testing

/// A ledger with a production session that ran through the gate, an incident opened from it,
/// and the keys that recorded them; all through the binary.
struct ReportLedger {
    let l: CLILedger
    let session: String
    let incident: String
    let env: [String: String]

    init() throws {
        l = try CLILedger()
        let bob = try l.enroll("approver-bob@fingood", role: "approver")
        let carol = try l.enroll("ic-carol@fingood", role: "incident-commander")
        session = try l.openSession()
        var env = try l.fakeAlembic()
        env["SEALBOOK_SESSION"] = session
        env["SEALBOOK_KEY"] = l.dir.file("alice.key")
        self.env = env
        for item in try criticalItems() { try Self.ok(l, ["check", item, "--status", "pass"] + measuredValue(item), env) }
        try Self.ok(l, ["approve", "--comment", "CAB ok", "--key", bob], env)
        try Self.ok(l, ["run", "--step", "migration-execution", "--", "alembic", "upgrade", "head"], env)
        try Self.ok(
            l,
            ["validate", "--phase", "immediate", "--check", "validate-data", "--result", "fail", "--details", "totals differ"],
            env)
        let inc = try json(
            try l.run(
                [
                    "incident", "open", "--id", "INC-CLI-1", "--level", "2", "--title", "totals differ", "--trigger",
                    "validation failed", "--json",
                ], env: env))
        incident = inc["incident"]!.stringValue!
        try Self.ok(
            l, ["incident", "action", incident, "--phase", "immediate", "--action", "stopped writes", "--key", carol], env)
        try Self.ok(l, ["session", "close", "--outcome", "failed"], env)
    }

    @discardableResult
    static func ok(_ l: CLILedger, _ args: [String], _ env: [String: String]) throws -> RunResult {
        let r = try l.run(args, env: env)
        #expect(r.status == 0, "\(args.joined(separator: " ")): \(r.stderr)")
        return r
    }

    func run(_ args: [String]) throws -> RunResult { try l.run(args, env: ["SEALBOOK_TRUST_ROOT": l.rootPublicKey]) }

    /// Changes the data of one stored event as a database superuser with the append-only
    /// trigger switched off: what verification exists to catch.
    func tamper() throws {
        try l.db.superuserExecute(
            """
            BEGIN;
            ALTER TABLE sealbook.events DISABLE TRIGGER events_append_only;
            UPDATE sealbook.events SET body = convert_to(replace(convert_from(body, 'UTF8'), '"status":"pass"', '"status":"n/a"'), 'UTF8')
              WHERE seq = (SELECT min(seq) FROM sealbook.events WHERE type = 'checklist.item.recorded');
            ALTER TABLE sealbook.events ENABLE ALWAYS TRIGGER events_append_only;
            COMMIT;
            """)
    }

    func cleanup() { l.cleanup() }
}

/// True on CI (`CI=true`), where a test that needs a missing tool runs and fails; elsewhere the
/// test runner reports it as skipped, with the reason.
private let onCI = ProcessInfo.processInfo.environment["CI"] == "true"

/// script(1), which gives `replay --step` a pseudo-terminal.
private let scriptPath = ["/usr/bin/script", "/bin/script"].first { FileManager.default.isExecutableFile(atPath: $0) }

@Suite("sealbook report and replay through the binary")
struct ReportCLITests {
    @Test("report session / incident / compliance in every format, stating the verified head; re-rendering gives the same bytes")
    func reports() throws {
        let r = try ReportLedger()
        defer { r.cleanup() }
        let head = try json(try r.run(["head", "--json"]))
        for format in ["md", "html", "json", "oscal"] {
            let a = try r.run(["report", "session", r.session, "--format", format])
            #expect(a.status == 0, "\(format): \(a.stderr)")
            let b = try r.run(["report", "session", r.session, "--format", format])
            #expect(a.stdout == b.stdout && !a.stdout.isEmpty, "\(format): two renders differ")
            #expect(a.stdout.contains(head["chainHash"]!.stringValue!), "\(format) does not state the head")
        }
        let j = try json(try r.run(["report", "session", r.session, "--format", "json"]))
        #expect(j["position"]?["seq"] == head["seq"] && j["position"]?["chainHash"] == head["chainHash"])
        #expect(j["verification"]?["status"] == "verified" && j["verification"]?["rootPinned"] == true)
        #expect(j["session"]?["state"]?["outcome"] == "failed")
        #expect(j["incidents"]?.arrayValue?.first?["incidentId"] == .string(r.incident))

        let inc = try r.run(["report", "incident", r.incident, "--format", "md"])
        #expect(inc.status == 0 && inc.stdout.contains("# Incident report: \(r.incident)"), "\(inc.stderr)")
        let today = String(FormatV1.now().prefix(10))
        let comp = try json(
            try r.run(["report", "compliance", "--framework", "sox", "--from", today, "--to", today, "--format", "json"]))
        #expect(comp["population"]?.arrayValue?.count == 1)
        #expect(comp["parameters"]?["framework"] == "sox")

        // An explicit as-of is stated and changes nothing else about the position.
        let later = try json(try r.run(["report", "session", r.session, "--format", "json", "--as-of", "2099-01-01T00:00:00Z"]))
        #expect(later["asOf"] == "2099-01-01T00:00:00.000Z" && later["position"] == j["position"])
    }

    @Test("--out writes the file (never over an existing one without --force); --json describes it")
    func outFile() throws {
        let r = try ReportLedger()
        defer { r.cleanup() }
        let path = r.l.dir.file("session.html")
        let w = try r.run(["report", "session", r.session, "--format", "html", "--out", path, "--json"])
        #expect(w.status == 0, "\(w.stderr)")
        let o = try json(w)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(
            o["ok"] == true && o["bytes"]?.int64Value == Int64(bytes.count)
                && o["sha256"]?.stringValue == SHA256.hash([UInt8](bytes)).hex)
        #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("<!DOCTYPE html>"))
        #expect(try r.run(["report", "session", r.session, "--format", "html", "--out", path]).status == 73)
        #expect(try r.run(["report", "session", r.session, "--format", "html", "--out", path, "--force"]).status == 0)
        // --json without --out would mix the report and the JSON result on stdout.
        #expect(try r.run(["report", "session", r.session, "--json"]).status == 64)
        #expect(try r.run(["report", "session", r.session, "--format", "pdf"]).status == 64)
        let missing = try r.run(["report", "session", "no-such-session"])
        #expect(missing.status == 64 && missing.stderr.contains(r.session), "\(missing.stderr)")
    }

    @Test("a log that does not verify is refused with exit 1; --allow-unverified renders it marked UNVERIFIED at its top")
    func unverified() throws {
        let r = try ReportLedger()
        defer { r.cleanup() }
        try r.tamper()
        #expect(try r.run(["verify"]).status == 1)
        let refused = try r.run(["report", "session", r.session])
        #expect(refused.status == 1, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("does not verify") && refused.stderr.contains("--allow-unverified"))
        #expect(refused.stdout.isEmpty)
        for (format, top) in [("md", "> **UNVERIFIED LOG"), ("html", "<strong>UNVERIFIED LOG")] {
            let forced = try r.run(["report", "session", r.session, "--format", format, "--allow-unverified"])
            #expect(forced.status == 0, "\(forced.stderr)")
            #expect(forced.stdout.contains(top), "\(format)")
            if format == "md" { #expect(forced.stdout.hasPrefix(top)) }
            #expect(forced.stdout.contains("bad-signature"), "\(format) lists the failure")
        }
        let j = try json(try r.run(["report", "session", r.session, "--format", "json", "--allow-unverified"]))
        #expect(j["verification"]?["status"] == "unverified" && (j["verification"]?["failureCount"]?.int64Value ?? 0) >= 1)
        #expect(try r.run(["replay", r.session]).status == 1)
        #expect(try r.run(["replay", r.session, "--allow-unverified"]).stdout.contains("UNVERIFIED"))
    }

    @Test("offline from a bundle and its data keys file: the same report as online, apart from the verification source and the recording times a bundle does not carry")
    func bundle() throws {
        let r = try ReportLedger()
        defer { r.cleanup() }
        let bundle = r.l.dir.file("ledger.bundle"), keys = r.l.dir.file("ledger.keys")
        #expect(try r.run(["export", "--out", bundle, "--data-keys", keys]).status == 0)
        let online = try json(try r.run(["report", "session", r.session, "--format", "json"]))
        let offline = try runSealbook(
            [
                "report", "session", r.session, "--format", "json", "--bundle", bundle, "--data-keys", keys, "--trust-root",
                r.l.rootPublicKey,
            ],
            environment: ["SEALBOOK_HOME": r.l.dir.file("home")])
        #expect(offline.status == 0, "\(offline.stderr)")
        // A bundle carries no recordedAt: offline, the signed time stands in for it
        // (docs/CONTROLS.md §1), so the recording times and the intervals between them differ.
        func withoutRecordingTimes(_ v: JSONValue) -> JSONValue {
            switch v {
            case .object(let o):
                return .object(
                    JSONObject(
                        o.members.filter { !($0.key == "recordedAt" || $0.key.hasSuffix("RecordedAfterMs") || $0.key == "recordedAfterMs") }
                            .map { (key: $0.key, value: withoutRecordingTimes($0.value)) }))
            case .array(let a): return .array(a.map(withoutRecordingTimes))
            default: return v
            }
        }
        func strip(_ v: JSONValue) -> JSONValue {
            guard case .object(var o) = v, case .object(var ver)? = o["verification"] else { return v }
            ver["source"] = nil
            o["verification"] = .object(ver)
            return withoutRecordingTimes(.object(o))
        }
        let off = try json(offline)
        #expect(off["verification"]?["source"] == "bundle" && online["verification"]?["source"] == "database")
        #expect(strip(off) == strip(online))
        let oscal = try runSealbook(["report", "incident", r.incident, "--format", "oscal", "--bundle", bundle])
        #expect(oscal.status == 0 && oscal.stdout.contains("\"assessment-results\""), "\(oscal.stderr)")
    }

    @Test("replay: the timeline and state at a seq or a time, every step as JSON; --step needs a terminal")
    func replay() throws {
        let r = try ReportLedger()
        defer { r.cleanup() }
        let all = try r.run(["replay", r.session])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stdout.contains("Replay of session \(r.session)") && all.stdout.contains("State after #"))
        let frames = try #require(try json(try r.run(["replay", r.session, "--json"]))["frames"]?.arrayValue)
        let approval = try #require(frames.first { $0["event"]?["type"] == "approval.granted" })
        let seq = try #require(approval["seq"]?.int64Value)
        let at = try r.run(["replay", r.session, "--at", String(seq)])
        #expect(at.status == 0 && at.stdout.contains("> #\(seq)") && at.stdout.contains("+ approval #\(seq)"), "\(at.stdout)")
        #expect(at.stdout.contains("~ gate for alice@fingood: closed") && at.stdout.contains("→ open"), "\(at.stdout)")
        let atTime = try r.run(["replay", r.session, "--at", approval["asOf"]!.stringValue!, "--json"])
        #expect(try json(atTime)["frames"]?.arrayValue?.first?["seq"]?.int64Value == seq)
        #expect(try r.run(["replay", r.session, "--at", "1"]).status == 64)
        let step = try r.run(["replay", r.session, "--step"])
        #expect(step.status == 64 && step.stderr.contains("--at"), "\(step.stderr)")
    }

    @Test(
        "replay --step in a terminal: next, next, previous, quit",
        .enabled(if: onCI || scriptPath != nil, "script(1) is not installed (Debian: bsdutils), so there is no pseudo-terminal"))
    func replayStep() throws {
        // A pseudo-terminal from script(1) (util-linux; Debian's bsdutils).
        let script = try #require(scriptPath, "script(1) is not installed (Debian: bsdutils); scripts/setup.sh installs it")
        let r = try ReportLedger()
        defer { r.cleanup() }
        let frames = try #require(try json(try r.run(["replay", r.session, "--json"]))["frames"]?.arrayValue)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: script)
        p.arguments = ["-qfec", "\(try sealbookBinary()) replay \(r.session) --step", "/dev/null"]
        var env = ProcessInfo.processInfo.environment
        env["SEALBOOK_DATABASE_URL"] = r.l.db.url
        env["SEALBOOK_TRUST_ROOT"] = r.l.rootPublicKey
        p.environment = env
        let input = Pipe()
        let output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = output
        try p.run()
        for key in ["n", "n", "\u{1B}[D", "q"] {
            Thread.sleep(forTimeInterval: 0.4)
            input.fileHandleForWriting.write(Data(key.utf8))
        }
        let screen = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(screen.suffix(2000))")
        for n in 1...3 {
            #expect(screen.contains("event \(n) of \(frames.count)"), "screen \(n) missing: \(screen.suffix(3000))")
        }
        #expect(screen.contains("Changed by this event:") && screen.contains("[q] quit"))
        let last = screen.components(separatedBy: "Replay of session").last ?? ""
        #expect(last.contains("event 2 of"), "after next, next, previous the screen shows event 2: \(last.prefix(300))")
    }

    @Test("--follow rewrites the report each time the log moves, to the bytes a one-shot render gives; SIGTERM stops it with exit 0")
    func follow() throws {
        let r = try ReportLedger()
        defer { r.cleanup() }
        let today = String(FormatV1.now().prefix(10))
        let report = ["report", "compliance", "--from", today, "--to", today, "--format", "json"]
        let path = r.l.dir.file("live.json")
        // Usage errors first: --follow needs a file to rewrite, and a database that grows.
        #expect(try r.run(report + ["--follow"]).status == 64)
        #expect(try r.run(report + ["--follow", "--out", path, "--bundle", r.l.dir.file("x.bundle")]).status == 64)

        let p = Process()
        p.executableURL = URL(fileURLWithPath: try sealbookBinary())
        p.arguments = report + ["--out", path, "--follow", "--json"]
        var env = ProcessInfo.processInfo.environment
        env["SEALBOOK_DATABASE_URL"] = r.l.db.url
        env["SEALBOOK_TRUST_ROOT"] = r.l.rootPublicKey
        p.environment = env
        let stdoutPath = r.l.dir.file("follow.out"), stderrPath = r.l.dir.file("follow.err")
        #expect(FileManager.default.createFile(atPath: stdoutPath, contents: nil))
        #expect(FileManager.default.createFile(atPath: stderrPath, contents: nil))
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        p.standardInput = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }

        /// The report file once `done` holds for it, or nil after 60 s.
        func awaitFile(_ done: (JSONValue) -> Bool) -> JSONValue? {
            for _ in 0..<600 {
                if let text = try? String(contentsOfFile: path, encoding: .utf8), let j = try? JSONParser.parse(text), done(j) {
                    return j
                }
                if !p.isRunning { return nil }
                usleep(100_000)
            }
            return nil
        }
        let first = try #require(awaitFile { _ in true }, "no first report written")
        let firstSeq = try #require(first["position"]?["seq"]?.int64Value)
        #expect(first["population"]?.arrayValue?.count == 1)

        // A second session opened while following: the file moves to the new head.
        _ = try r.l.openSession()
        let head = try r.l.headSeq()
        #expect(head > firstSeq)
        let second = try #require(
            awaitFile { $0["position"]?["seq"]?.int64Value == head },
            "the report did not follow the log to seq \(head)")
        #expect(second["population"]?.arrayValue?.count == 2)

        // SIGTERM: the follower exits 0 (within 10 s) and says where it stopped.
        p.terminate()
        for _ in 0..<100 where p.isRunning { usleep(100_000) }
        #expect(!p.isRunning, "the follower did not stop on SIGTERM")
        guard !p.isRunning else { return }
        #expect(p.terminationReason == .exit && p.terminationStatus == 0)
        let err = try String(contentsOfFile: stderrPath, encoding: .utf8)
        #expect(err.isEmpty, "--json keeps stderr quiet: \(err)")

        // One JSON line per write, each naming the seq it was computed from; the last is the head.
        let written = try String(contentsOfFile: stdoutPath, encoding: .utf8)
        let lines = try written.split(separator: "\n").map { try JSONParser.parse(String($0)) }
        #expect(lines.count >= 2 && lines.allSatisfy { $0["ok"] == true && $0["file"]?.stringValue == path })
        #expect(lines.first?["seq"]?.int64Value == firstSeq && lines.last?["seq"]?.int64Value == head)
        // The followed file is the report a one-shot render gives at the same head.
        let once = try r.run(report)
        let followed = try String(contentsOfFile: path, encoding: .utf8)
        #expect(once.status == 0 && once.stdout == followed)
    }

    @Test(
        "every report and replay command's --help shows an example",
        arguments: [["report"], ["report", "session"], ["report", "compliance"], ["report", "incident"], ["replay"]])
    func help(command: [String]) throws {
        let r = try runSealbook(command + ["--help"])
        #expect(r.status == 0 && r.stdout.contains("Example"), "\(command)")
    }
}
