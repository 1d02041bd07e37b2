// Secrets out of what `sealbook run` records (README, "Secrets in `run`"): each rule of
// SecretRedaction, the names that look secret and those that do not, and the marker itself
// (scrypt, RFC 7914) against the RFC's own test vector.

import SealbookCore
import SealbookRunbook
import Testing

@Suite("Secret redaction in the run path")
struct SecretRedactionTests {
    /// A fixed salt, so that markers are known.
    let r = SecretRedaction(salt: Array(0..<16))

    func m(_ value: String) -> String { r.marker(for: value) }

    @Test("scrypt is RFC 7914's: the first 32 bytes of its test vector 2")
    func scryptVector() {
        let d = Scrypt.derive(password: Array("password".utf8), salt: Array("NaCl".utf8), n: 1024, r: 8, p: 16)
        #expect(d.hex == "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162")
    }

    @Test("a marker is [redacted:scrypt:<hex>] of the value under the salt: same value, same marker; another salt, another")
    func marker() {
        let marker = m("hunter2")
        #expect(marker == "[redacted:scrypt:" + Scrypt.derive(password: Array("hunter2".utf8), salt: Array(0..<16)).hex + "]")
        #expect(marker == m("hunter2") && marker != m("hunter3"))
        #expect(SecretRedaction(salt: Array(1...16)).marker(for: "hunter2") != marker)
        #expect(!marker.contains("hunter2"))
    }

    @Test(
        "each form in argv is redacted",
        arguments: [
            (["psql", "postgresql://app:hunter2@db/prod", "-c", "select 1"], ["psql", "postgresql://app:{hunter2}@db/prod", "-c", "select 1"]),
            (["psql", "postgres://app:p%40ss:w@db-1:5432/prod?sslmode=require"], ["psql", "postgres://app:{p%40ss:w}@db-1:5432/prod?sslmode=require"]),
            (["env", "PGPASSWORD=hunter2", "psql", "-h", "db"], ["env", "PGPASSWORD={hunter2}", "psql", "-h", "db"]),
            (["psql", "host=db user=app password=hunter2 dbname=prod"], ["psql", "host=db user=app password={hunter2} dbname=prod"]),
            (["psql", "host=db password='hunter 2' dbname=prod"], ["psql", "host=db password='{hunter 2}' dbname=prod"]),
            (["curl", "https://api.example/x?api_key=hunter2&v=1"], ["curl", "https://api.example/x?api_key={hunter2}&v=1"]),
            (["bash", "-c", "PGPASSWORD=hunter2 psql -h db"], ["bash", "-c", "PGPASSWORD={hunter2} psql -h db"]),
            (["tool", "--password=hunter2", "--user=app"], ["tool", "--password={hunter2}", "--user=app"]),
            (["tool", "--password", "hunter2", "--port", "5432"], ["tool", "--password", "{hunter2}", "--port", "5432"]),
            (["tool", "--api-token", "hunter2"], ["tool", "--api-token", "{hunter2}"]),
            (["tool", "--client-secret=hunter2"], ["tool", "--client-secret={hunter2}"]),
            (["mysql", "-u", "app", "-phunter2", "prod"], ["mysql", "-u", "app", "-p{hunter2}", "prod"]),
            (["/usr/bin/mysqldump", "-phunter2"], ["/usr/bin/mysqldump", "-p{hunter2}"]),
            (["curl", "-u", "app:hunter2", "https://x"], ["curl", "-u", "app:{hunter2}", "https://x"]),
            (["curl", "-uapp:hunter2", "https://x"], ["curl", "-uapp:{hunter2}", "https://x"]),
            (["curl", "--user", "app:hunter2"], ["curl", "--user", "app:{hunter2}"]),
            (["curl", "-H", "Authorization: Bearer hunter2", "https://x"], ["curl", "-H", "Authorization: {Bearer hunter2}", "https://x"]),
            (["curl", "-H", "X-Api-Key: hunter2"], ["curl", "-H", "X-Api-Key: {hunter2}"]),
            (["redis-cli", "-a", "hunter2", "ping"], ["redis-cli", "-a", "{hunter2}", "ping"]),
            (["sshpass", "-p", "hunter2", "ssh", "db"], ["sshpass", "-p", "{hunter2}", "ssh", "db"]),
            (["mongosh", "-u", "app", "-p", "hunter2"], ["mongosh", "-u", "app", "-p", "{hunter2}"]),
            (["sqlcmd", "-U", "sa", "-P", "hunter2"], ["sqlcmd", "-U", "sa", "-P", "{hunter2}"]),
            (["sudo", "-u", "app", "mysql", "-phunter2"], ["sudo", "-u", "app", "mysql", "-p{hunter2}"]),
        ])
    func argvForms(argv: [String], expected: [String]) {
        let out = r.redact(argv: argv, environment: [:])
        let want = expected.map { e in
            var s = e
            while let open = s.firstIndex(of: "{"), let close = s[open...].firstIndex(of: "}") {
                s.replaceSubrange(open...close, with: m(String(s[s.index(after: open)..<close])))
            }
            return s
        }
        #expect(out.argv == want)
        #expect(out.count == expected.joined().filter { $0 == "{" }.count)
        #expect(!out.argv.joined(separator: " ").contains("hunter2"))
    }

    @Test(
        "what is not a secret stays as it is",
        arguments: [
            ["psql", "-p", "5432", "-h", "db", "-U", "app", "prod"],  // psql's -p is the port
            ["psql", "--no-password", "-h", "db"],  // a flag, not followed by a value
            ["psql", "postgresql://app@db/prod"],  // no password in the URL
            ["docker", "login", "--password-stdin", "registry"],  // the value comes from stdin
            ["pg_dump", "--file=/backups/x.dump", "--format=custom"],
            ["alembic", "upgrade", "head"],
            ["mysql", "-p", "prod"],  // -p alone prompts; prod is the database
            ["echo", "KEYBOARD=us", "HOSTNAME=db"],
            ["grep", "-r", "password", "src/"],
        ])
    func notSecret(argv: [String]) {
        let out = r.redact(argv: argv, environment: [:])
        #expect(out.argv == argv)
        #expect(out.count == 0)
    }

    @Test("environment: a secret-looking name is redacted whole; a URL password in any value too; others stay")
    func environment() {
        let env = [
            "ENVIRONMENT": "production", "API_TOKEN": "hunter2", "PGPASSWORD": "hunter3",
            "DATABASE_URL": "postgresql://app:hunter4@db/prod", "MIGRATION_TIMEOUT": "3600", "PGPASSFILE": "/root/.pgpass",
        ]
        let out = r.redact(argv: ["true"], environment: env)
        #expect(out.environment["ENVIRONMENT"] == "production" && out.environment["MIGRATION_TIMEOUT"] == "3600")
        #expect(out.environment["API_TOKEN"] == m("hunter2") && out.environment["PGPASSWORD"] == m("hunter3"))
        #expect(out.environment["DATABASE_URL"] == "postgresql://app:\(m("hunter4"))@db/prod")
        #expect(out.environment["PGPASSFILE"] == "/root/.pgpass")
        #expect(out.count == 3)
    }

    @Test(
        "names that look secret, and names that do not",
        arguments: [
            ("PASSWORD", true), ("PGPASSWORD", true), ("DB_PASSWD", true), ("API_KEY", true), ("APIKEY", true),
            ("AWS_SECRET_ACCESS_KEY", true), ("GITHUB_TOKEN", true), ("client-secret", true), ("AUTH", true),
            ("HTTP_AUTHORIZATION", true), ("PRIVATE_KEY", true), ("GOOGLE_CREDENTIALS", true), ("DB_PWD", true),
            ("SSH_PASSPHRASE", true), ("password", true), ("api-token", true), ("COOKIE", true), ("PIN", true),
            ("PWD", false), ("OLDPWD", false), ("PGPASSFILE", false), ("TOKEN_FILE", false), ("no-password", false),
            ("password-stdin", false), ("SSH_AUTH_SOCK", false), ("ENVIRONMENT", false), ("MIGRATION_TIMEOUT", false),
            ("HOSTNAME", false), ("KEYBOARD", false), ("USER", false), ("PGHOST", false), ("DATABASE_URL", false),
        ])
    func names(name: String, secret: Bool) {
        #expect(SecretRedaction.looksSecret(name) == secret)
    }

    @Test("CommandRunner.describeStart redacts argv, cwd and the recorded variables; nil redaction records them as given")
    func describeStart() {
        let runner = CommandRunner(
            argv: ["psql", "postgresql://app:hunter2@db/prod"], cwd: "/srv", environment: ["API_TOKEN": "hunter3", "X": "1"],
            recordedVariables: ["API_TOKEN", "X"])
        let start = runner.describeStart(redaction: r)
        #expect(start.argv == ["psql", "postgresql://app:\(m("hunter2"))@db/prod"])
        #expect(start.environment == ["API_TOKEN": m("hunter3"), "X": "1"])
        #expect(start.cwd == "/srv")
        #expect(start.redaction == .applied(salt: Array(0..<16), count: 2))
        let plain = runner.describeStart(redaction: nil)
        #expect(plain.argv == runner.argv && plain.environment["API_TOKEN"] == "hunter3" && plain.redaction == .disabled)
        // By default, a fresh random salt each time.
        guard case .applied(let a, _) = runner.describeStart().redaction, case .applied(let b, _) = runner.describeStart().redaction
        else {
            Issue.record("no redaction by default")
            return
        }
        #expect(a.count == 16 && a != b)
    }
}
