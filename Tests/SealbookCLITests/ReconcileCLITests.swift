import Foundation
import SealbookCore
import SealbookPostgres
import SealbookTestSupport
import Testing

/// The repository's root, from this file's place in it.
private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// psql, to run DDL from inside a `sealbook run` as an operator would.
private func psqlPath() throws -> String {
    var candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/psql" }
    let lib = "/usr/lib/postgresql"
    let versions = (try? FileManager.default.contentsOfDirectory(atPath: lib)) ?? []
    candidates += versions.sorted { $0.compare($1, options: .numeric) == .orderedDescending }.map { "\(lib)/\($0)/bin/psql" }
    guard let p = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        throw TestSupportError("psql was not found on PATH or under /usr/lib/postgresql/*/bin: install postgresql-client")
    }
    return p
}

extension CLILedger {
    /// `sealbook reconcile --target URL …`.
    func reconcile(_ target: TestDatabase, _ extra: [String] = [], json asJSON: Bool = false) throws -> RunResult {
        try run(["reconcile", "--target", target.url] + extra + (asJSON ? ["--json"] : []))
    }

    /// A staging session (no production gate) in which the fake alembic upgraded to ae1027a6acf;
    /// returns the environment for more `sealbook run`s in it and the session id.
    func migratedSession() throws -> (env: [String: String], session: String) {
        let sid = try openSession(environment: "staging")
        var env = try fakeAlembic()
        env["SEALBOOK_SESSION"] = sid
        env["SEALBOOK_KEY"] = dir.file("alice.key")
        let up = try run(["run", "--step", "migration-execution", "--", "alembic", "upgrade", "head"], env: env)
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stdout.contains("migration.applied"), "\(up.stdout)")
        return (env, sid)
    }
}

/// Gives `target` alembic's version table at `revision`, as alembic itself would.
private func stampAlembic(_ target: TestDatabase, _ revision: String) throws {
    try target.superuserExecute(
        """
        CREATE TABLE alembic_version (version_num varchar(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
        INSERT INTO alembic_version (version_num) VALUES ('\(revision)');
        """)
}

/// The target server's clock now, as RFC 3339 UTC with milliseconds.
private func serverNow(_ db: TestDatabase) throws -> String {
    try db.superuserQuery(#"SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"#)[0]!
}

@Suite("sealbook reconcile: the ledger against the target database")
struct ReconcileCLITests {
    @Test("the target at the revision the ledger recorded is consistent (exit 0); a revision changed by hand is a finding naming both (exit 1)")
    func revisions() throws {
        let l = try CLILedger()
        let target = try TestDatabase.create()
        defer {
            l.cleanup()
            target.drop()
        }
        var (env, _) = try l.migratedSession()
        try stampAlembic(target, "ae1027a6acf")

        // Without the DDL capture only the revisions are compared: never "consistent" (exit 95).
        let ok = try l.reconcile(target, json: true)
        #expect(ok.status == 95, "\(ok.stdout)\(ok.stderr)")
        let r = try json(ok)
        #expect(r["ok"] == false && r["result"] == "incomplete", "\(r)")
        #expect(r["incompleteBecause"]?.stringValue?.contains("not installed") == true)
        #expect(r["target"]?.stringValue == "\(target.name)@127.0.0.1:\(URLComponents(string: target.url)!.port!)")
        #expect(r["alembic"]?["target"] == "ae1027a6acf" && r["alembic"]?["ledger"] == "ae1027a6acf")
        let head = try l.headSeq()
        #expect(r["alembic"]?["ledgerEvent"] == "migration.applied" && r["alembic"]?["ledgerSeq"]?.int64Value == head)
        #expect(r["findings"]?.arrayValue?.isEmpty == true)
        #expect(r["capture"]?["installed"] == false)
        let text = try l.reconcile(target)
        #expect(text.status == 95 && text.stdout.contains("incomplete: no finding") && !text.stdout.contains("consistent:"), "\(text.stdout)")
        #expect(text.stderr.contains("not installed"), "the text output says only the revision was compared")

        // Someone moves the revision by hand.
        try target.superuserExecute("UPDATE alembic_version SET version_num = '1975ea83b712'")
        let moved = try l.reconcile(target)
        #expect(moved.status == 1, "\(moved.stdout)\(moved.stderr)")
        #expect(moved.stdout.contains("revision-mismatch") && moved.stdout.contains("1975ea83b712") && moved.stdout.contains("ae1027a6acf"))
        #expect(moved.stdout.contains("changed outside the ledger"))
        let f = try json(try l.reconcile(target, json: true))
        #expect(f["ok"] == false && f["result"] == "inconsistent")
        let finding = f["findings"]?.arrayValue?.first
        #expect(finding?["kind"] == "revision-mismatch" && finding?["target"] == "1975ea83b712" && finding?["ledger"] == "ae1027a6acf")
        #expect(finding?["ledgerSeq"] == f["alembic"]?["ledgerSeq"])

        // A recorded downgrade to that revision: the last event by seq wins, consistent again.
        let down = try l.run(["run", "--", "alembic", "downgrade", "-1"], env: env)
        #expect(down.status == 0, "\(down.stderr)")
        let again = try json(try l.reconcile(target, json: true))
        #expect(again["result"] == "incomplete" && again["findings"]?.arrayValue?.isEmpty == true, "\(again)")
        #expect(again["alembic"]?["ledgerEvent"] == "migration.rolled-back", "\(again)")

        // --session limits to one session; a session that recorded no revision does not compare it.
        let other = try l.openSession(environment: "staging")
        env["SEALBOOK_SESSION"] = other
        #expect(try l.run(["run", "--", "sh", "-c", "true"], env: env).status == 0)
        let quiet = try json(try l.reconcile(target, ["--session", other], json: true))
        #expect(quiet["result"] == "incomplete" && quiet["alembic"]?["compared"] == false, "\(quiet)")

        // --environment: no production session recorded a migration, but the target has a revision.
        let prod = try l.reconcile(target, ["--environment", "production"], json: true)
        let prodReport = try json(prod)
        #expect(prod.status == 1 && prodReport["alembic"]?["ledger"] == JSONValue.null, "\(prodReport)")

        // A target where alembic never ran, against a ledger that recorded a migration.
        let empty = try TestDatabase.create()
        defer { empty.drop() }
        let never = try l.reconcile(empty)
        #expect(never.status == 1 && never.stdout.contains("alembic has never run here"), "\(never.stdout)")

        // --version-table: alembic's version_table / version_table_schema.
        try empty.superuserExecute(
            "CREATE SCHEMA meta; CREATE TABLE meta.versions (version_num varchar(32) PRIMARY KEY); INSERT INTO meta.versions VALUES ('1975ea83b712')")
        #expect(try l.reconcile(empty, ["--version-table", "meta.versions"]).status == 95)
        #expect(try l.reconcile(empty, ["--version-table", "meta.versions; DROP TABLE x"]).status == 64)
    }

    @Test("with the capture installed, DDL outside any recorded command is listed with who and what; DDL inside a sealbook run is matched")
    func capturedDDL() throws {
        let l = try CLILedger()
        let target = try TestDatabase.create()
        defer {
            l.cleanup()
            target.drop()
        }
        let (env, sid) = try l.migratedSession()
        try stampAlembic(target, "ae1027a6acf")

        let install = try l.run(["reconcile", "--install-capture", "--target", target.url, "--json"])
        #expect(install.status == 0, "\(install.stdout)\(install.stderr)")
        #expect(try json(install)["installs"] == 1)
        // Idempotent, and installing captures nothing of itself.
        let again = try l.run(["reconcile", "--install-capture", "--target", target.url, "--json"])
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(try json(again)["installs"] == 2)
        #expect(try target.superuserQuery("SELECT count(*)::text FROM sealbook_capture.ddl_events") == ["0"])
        // The ledger's commands began before the capture: incomplete over the whole ledger,
        // consistent from the installation on.
        let whole = try l.reconcile(target, json: true)
        #expect(whole.status == 95, "\(whole.stdout)")
        #expect(try json(whole)["incompleteBecause"]?.stringValue?.contains("DDL is captured only since") == true)
        let installedAt = try #require(try json(whole)["capture"]?["installedAt"]?.stringValue)
        let clean = try json(try l.reconcile(target, ["--since", installedAt], json: true))
        #expect(clean["ok"] == true && clean["result"] == "consistent" && clean["capture"]?["installed"] == true, "\(clean)")

        // DDL made directly on the target, outside the ledger.
        try target.superuserExecute("CREATE TABLE sneaky(x int)")
        let sneaky = try l.reconcile(target)
        #expect(sneaky.status == 1, "\(sneaky.stdout)\(sneaky.stderr)")
        #expect(sneaky.stdout.contains("ddl-outside-ledger") && sneaky.stdout.contains("public.sneaky") && sneaky.stdout.contains("by postgres"))
        var r = try json(try l.reconcile(target, json: true))
        var findings = r["findings"]?.arrayValue ?? []
        #expect(findings.count == 1, "\(r)")
        #expect(findings.first?["kind"] == "ddl-outside-ledger" && findings.first?["objectIdentity"] == "public.sneaky")
        #expect(findings.first?["commandTag"] == "CREATE TABLE" && findings.first?["currentUser"] == "postgres")
        #expect(findings.first?["query"]?.stringValue?.contains("CREATE TABLE sneaky") == true)

        // DDL made by a command recorded with sealbook run: matched to it, not a finding.
        let psql = try psqlPath()
        let inside = try l.run(
            ["run", "--step", "migration-execution", "--", "sh", "-c", "'\(psql)' '\(target.url)' -v ON_ERROR_STOP=1 -c 'CREATE TABLE inside(x int)'"],
            env: env)
        #expect(inside.status == 0, "\(inside.stderr)")
        r = try json(try l.reconcile(target, json: true))
        findings = r["findings"]?.arrayValue ?? []
        #expect(findings.map { $0["objectIdentity"] } == ["public.sneaky"], "\(r)")
        let matched = r["matched"]?.arrayValue ?? []
        #expect(matched.count == 1 && matched.first?["objectIdentity"] == "public.inside", "\(r)")
        #expect(matched.first?["stream"]?.stringValue == "session/" + sid)
        let head = try l.headSeq()
        #expect(matched.first?["finishedSeq"]?.int64Value == head && matched.first?["startedSeq"]?.int64Value == head - 1)
        #expect(matched.first?["applicationName"] == "psql")

        // A drop is captured too (sql_drop).
        try target.superuserExecute("DROP TABLE sneaky")
        r = try json(try l.reconcile(target, json: true))
        let drop = r["findings"]?.arrayValue?.first { $0["commandTag"] == "DROP TABLE" }
        #expect(drop?["objectIdentity"] == "public.sneaky" && drop?["triggerEvent"] == "sql_drop", "\(r)")

        // --session: the same DDL happened while the session was open.
        #expect(try json(try l.reconcile(target, ["--session", sid], json: true))["findings"]?.arrayValue?.count == 2)
        // --since: only what was captured from then on.
        usleep(20_000)
        let since = try serverNow(target)
        #expect(try l.reconcile(target, ["--since", since]).status == 0)

        // The capture is append-only.
        #expect(throws: (any Error).self) { try target.superuserExecute("UPDATE sealbook_capture.ddl_events SET command_tag = 'x'") }
        #expect(throws: (any Error).self) { try target.superuserExecute("DELETE FROM sealbook_capture.ddl_events") }
        #expect(throws: (any Error).self) { try target.superuserExecute("TRUNCATE sealbook_capture.ddl_events") }
        #expect(try target.superuserQuery("SELECT count(*)::text FROM sealbook_capture.ddl_events") == ["3"])
    }

    @Test("installing needs a superuser on the target; a disabled capture trigger is a finding")
    func captureGuards() throws {
        let l = try CLILedger()
        let target = try TestDatabase.create()
        let role = "sbt_role_" + Hex.encode(secureRandomBytes(4))
        defer {
            l.cleanup()
            target.drop()
            // Roles belong to the whole server: drop it from the server's own database.
            if let c = try? PGConnection(conninfo: TestDatabase.serverURL()) { try? c.execute("DROP ROLE IF EXISTS \(identifier: role)") }
        }
        try target.superuserExecute("CREATE ROLE \(role) LOGIN")
        let refused = try l.run(["reconcile", "--install-capture", "--target", target.url(user: role)])
        #expect(refused.status == 77, "\(refused.stderr)")
        #expect(refused.stderr.contains("superuser") && refused.stderr.contains(role))
        #expect(try target.superuserQuery("SELECT to_regclass('sealbook_capture.ddl_events')::text") == [nil])

        #expect(try l.run(["reconcile", "--install-capture", "--target", target.url]).status == 0)
        // A role that may not read the capture gets a clear refusal, not a clean bill.
        let unread = try l.run(["reconcile", "--target", target.url(user: role)])
        #expect(unread.status == 77 && unread.stderr.contains("sealbook_capture"), "\(unread.stderr)")
        // Any role's DDL is captured, with its name.
        try target.superuserExecute("GRANT CREATE ON SCHEMA public TO \(role)")
        let psql = try psqlPath()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: psql)
        p.arguments = [target.url(user: role), "-v", "ON_ERROR_STOP=1", "-q", "-c", "CREATE TABLE by_role(x int)"]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let byRole = try json(try l.reconcile(target, json: true))
        #expect(byRole["findings"]?.arrayValue?.contains { $0["currentUser"]?.stringValue == role && $0["objectIdentity"] == "public.by_role" } == true, "\(byRole)")
        try target.superuserExecute("DROP TABLE by_role; REVOKE CREATE ON SCHEMA public FROM \(role)")

        try target.superuserExecute("ALTER EVENT TRIGGER sealbook_capture_ddl DISABLE")
        let disabled = try json(try l.reconcile(target, json: true))
        let problem = disabled["findings"]?.arrayValue?.first { $0["kind"] == "capture-disabled" }
        #expect(problem?["trigger"] == "sealbook_capture_ddl" && problem?["state"] == "disabled", "\(disabled)")
        // Reinstalling repairs it.
        #expect(try l.run(["reconcile", "--install-capture", "--target", target.url]).status == 0)
        let repaired = try json(try l.reconcile(target, json: true))
        #expect(repaired["capture"]?["problems"]?.arrayValue?.isEmpty == true, "\(repaired)")

        // Dropping the whole capture removes its rows too: incomplete (never consistent), and a
        // finding when the capture is required.
        try target.superuserExecute("DROP SCHEMA sealbook_capture CASCADE")
        let gone = try l.reconcile(target)
        #expect(gone.status == 95 && gone.stderr.contains("not installed"), "\(gone.stdout)\(gone.stderr)")
        let required = try l.reconcile(target, ["--require-capture"], json: true)
        #expect(required.status == 1)
        let missing = try json(required)["findings"]?.arrayValue?.first
        #expect(missing?["kind"] == "capture-disabled" && missing?["state"] == "missing", "\(required.stdout)")
    }

    @Test("a command that has no command.finished covers nothing: DDL after its start is a finding that names it")
    func unfinishedCommand() throws {
        let l = try CLILedger()
        let target = try TestDatabase.create()
        defer {
            l.cleanup()
            target.drop()
        }
        let sid = try l.openSession(environment: "staging")
        #expect(try l.run(["reconcile", "--install-capture", "--target", target.url]).status == 0)
        // As if sealbook was killed while the command ran: command.started only.
        let started = try l.run([
            "append", "--stream", "session/" + sid, "--type", "command.started", "--key", l.dir.file("alice.key"), "--data",
            #"{"commandId":"c-killed","argv":["psql"],"cwd":"/","environment":{}}"#,
        ])
        #expect(started.status == 0, "\(started.stderr)")
        try target.superuserExecute("CREATE TABLE during_unfinished(x int)")
        let r = try l.reconcile(target, json: true)
        #expect(r.status == 1)
        let f = try json(r)["findings"]?.arrayValue?.first
        #expect(f?["objectIdentity"] == "public.during_unfinished" && f?["duringUnfinishedCommand"]?["commandId"] == "c-killed", "\(r.stdout)")
        let text = try l.reconcile(target)
        #expect(text.stdout.contains("c-killed") && text.stdout.contains("no command.finished"), "\(text.stdout)")
    }

    @Test("an unreachable target exits 69; usage errors exit 64")
    func errors() throws {
        let l = try CLILedger()
        defer { l.cleanup() }
        let down = try l.run(["reconcile", "--target", "postgresql://postgres@127.0.0.1:1/nothing?connect_timeout=2", "--json"])
        #expect(down.status == 69, "\(down.stdout)\(down.stderr)")
        #expect(try json(down)["error"]?["code"] == "database-unavailable")
        let text = try l.run(["reconcile", "--target", "postgresql://postgres:s3cret@127.0.0.1:1/nothing?connect_timeout=2"])
        #expect(text.status == 69 && text.stderr.contains("target") && !text.stderr.contains("s3cret"), "\(text.stderr)")
        let target = try TestDatabase.create()
        defer { target.drop() }
        #expect(try l.run(["reconcile"]).status == 64)
        #expect(try l.reconcile(target, ["--since", "yesterday"]).status == 64)
        #expect(try l.reconcile(target, ["--session", "x", "--since", "2024-01-15T22:00:00Z"]).status == 64)
        #expect(try l.reconcile(target, ["--session", "no-such-session"]).status == 64)
        #expect(try l.reconcile(target, ["--clock-skew-ms", "-5"]).status == 64)
    }

    @Test("the built-in capture SQL is schemas/target/ddl_capture.sql, byte for byte")
    func embeddedCaptureSQL() throws {
        let file = try String(contentsOf: repositoryRoot.appendingPathComponent("schemas/target/ddl_capture.sql"), encoding: .utf8)
        let r = try runSealbook(["reconcile", "--print-capture-sql"])
        #expect(r.status == 0)
        let same = r.stdout == file
        #expect(same, "--print-capture-sql does not print schemas/target/ddl_capture.sql byte for byte")
        let j = try json(try runSealbook(["reconcile", "--print-capture-sql", "--json"]))
        let sameInJSON = j["sql"]?.stringValue == file
        #expect(sameInJSON && j["captureVersion"] == 1)
        #expect(file.contains("capture_version) VALUES (\(j["captureVersion"]!.int64Value!))"), "the SQL records the version the binary reports")
    }

    @Test("reconcile --help shows an example")
    func help() throws {
        let r = try runSealbook(["reconcile", "--help"])
        #expect(r.status == 0 && r.stdout.contains("Example") && r.stdout.contains("sealbook reconcile --target"))
    }
}
