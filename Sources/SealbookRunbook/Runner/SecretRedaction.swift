// What `sealbook run` records of a command must not hold its secrets: the log is immutable, and
// a password in `command.started` could never be removed. Before `command.started` is signed,
// the argument vector and the recorded environment go through `SecretRedaction`, and every value
// that a rule below finds is replaced by a marker:
//
//     [redacted:scrypt:<64 lowercase hex digits>]
//
// The hex is scrypt(value as UTF-8, salt, N = 32768, r = 8, p = 1, 32 bytes) (RFC 7914), with a
// salt of 16 random bytes drawn for each `command.started` and recorded in it beside the argv
// (`redaction.salt`). So a marker says nothing of the value, the same value gives the same marker
// within one event (and different markers in different events), and an auditor who knows a
// candidate value can check it (README, "Secrets in `run`"):
//
//     printf %s "$CANDIDATE" | python3 -c 'import hashlib,sys; print(hashlib.scrypt(sys.stdin.buffer.read(),
//         salt=bytes.fromhex(sys.argv[1]), n=32768, r=8, p=1, maxmem=1<<26, dklen=32).hex())' SALT
//
// scrypt rather than a plain hash, so that guessing an unknown weak password from the marker
// costs what guessing it from a password database would.
//
// The rules (documented in README.md, "Secrets in `run`"), applied to every argv element and to
// every recorded environment value:
//
// 1. URLs: the password of `scheme://user:PASSWORD@host…`.
// 2. `NAME=VALUE` anywhere in a string (an argv element `PGPASSWORD=x`, a conninfo
//    `host=db password=x`, a query `?password=x&…`, `bash -c "TOKEN=x …"`): VALUE, up to the next
//    space, `&` or `;` (or the closing quote when it is quoted), when NAME looks secret (below).
// 3. Options: `--NAME=VALUE`, and `--NAME VALUE` when VALUE does not start with `-`, when NAME
//    looks secret; a header `NAME: VALUE` (curl -H "Authorization: Bearer x") when NAME looks
//    secret; and, after a known client in the argv, its own short options:
//    mysql, mysqldump, mysqladmin, mariadb, mariadb-dump `-pVALUE`;
//    curl `-u USER:PASS`, `-uUSER:PASS`, `--user USER:PASS`, `-U`/`--proxy-user USER:PASS` (PASS);
//    redis-cli `-a VALUE`; sshpass `-p VALUE`; mongo, mongosh, mongodump, mongorestore `-p VALUE`;
//    sqlcmd, bcp `-P VALUE`.
//    (psql and pg_dump take passwords only through a URL, a conninfo string or PGPASSWORD, which
//    rules 1 and 2 and the environment rule cover; their `-p` is the port.)
// 4. Environment: the value of every recorded variable whose name looks secret, whole.
//
// A NAME *looks secret* when, upper-cased and split into segments at `_`, `-` and `.`, a segment
// contains PASSWORD, PASSWD, PASSPHRASE, SECRET, TOKEN, CREDENTIAL, PRIVATE, APIKEY or AUTH, or
// is or ends with KEY or PASS, or is PWD, PW, PIN, SALT or COOKIE — except `PWD` and
// `OLDPWD` themselves (directories), and names whose first segment is NO (`--no-password` is a
// flag) or whose last segment is FILE, PATH, DIR, STDIN, FD, PROMPT, ENV, CMD, COMMAND, SOCK or
// SOCKET (the value says where a secret is, not what). The rules err on the side of redacting.
//
// Not found: a secret passed as a plain positional argument, or under a name that does not look
// secret. `sealbook run --no-redact` turns redaction off and is itself recorded
// (`redaction: "disabled"`).

internal import SealbookCore

/// Replaces secrets in what `sealbook run` records with salted scrypt markers (see this file's
/// header; README.md, "Secrets in `run`").
public struct SecretRedaction: Sendable {
    /// 16 random bytes, drawn once per recorded command start and recorded beside it.
    public let salt: [UInt8]

    /// A redaction with a fresh random salt.
    public init() { self.init(salt: secureRandomBytes(16)) }

    /// A redaction with a given salt (tests, and auditors recomputing a marker).
    public init(salt: [UInt8]) { self.salt = salt }

    /// The prefix of every marker.
    public static let markerPrefix = "[redacted:scrypt:"

    /// `[redacted:scrypt:<hex of scrypt(value, salt, 32768, 8, 1)>]`.
    public func marker(for value: String) -> String {
        Self.markerPrefix + Scrypt.derive(password: Array(value.utf8), salt: salt).hex + "]"
    }

    /// What a redaction did: the values with markers, and how many values were replaced.
    public struct Result: Sendable, Equatable {
        public var argv: [String]
        public var environment: [String: String]
        public var count: Int
    }

    /// Redacts `argv` (rules 1-3) and `environment` (rules 1, 2 and 4).
    public func redact(argv: [String], environment: [String: String]) -> Result {
        var cache: [String: String] = [:]
        var count = 0
        func mark(_ value: String) -> String {
            count += 1
            if let m = cache[value] { return m }
            let m = marker(for: value)
            cache[value] = m
            return m
        }
        var out: [String] = []
        var client: Client? = nil
        var i = 0
        while i < argv.count {
            let arg = argv[i]
            if let known = Client(program: arg) { client = known }
            // A separate value after an option that takes a secret: whole.
            if i + 1 < argv.count, Self.takesSeparateSecret(arg, client: client), !argv[i + 1].hasPrefix("-") || argv[i + 1] == "-" {
                out.append(Self.redactInText(arg, mark))
                out.append(Self.secretPart(ofSeparateValueOf: arg, value: argv[i + 1], client: client, mark))
                i += 2
                continue
            }
            out.append(Self.redactArgument(arg, client: client, mark))
            i += 1
        }
        var env: [String: String] = [:]
        for (name, value) in environment {
            if !value.isEmpty, Self.looksSecret(name) {
                env[name] = mark(value)
            } else {
                env[name] = Self.redactInText(value, mark)
            }
        }
        return Result(argv: out, environment: env, count: count)
    }

    // MARK: - Names

    /// Whether a variable or option name looks secret (this file's header).
    public static func looksSecret(_ name: String) -> Bool {
        let upper = name.uppercased()
        if upper == "PWD" || upper == "OLDPWD" { return false }
        let segments = upper.split(whereSeparator: { $0 == "_" || $0 == "-" || $0 == "." }).map(String.init)
        guard let first = segments.first, let last = segments.last else { return false }
        if first == "NO" { return false }
        if notTheSecret.contains(last) && segments.count > 1 { return false }
        for s in segments {
            if containing.contains(where: { s.contains($0) }) { return true }
            if s.hasSuffix("KEY") || s.hasSuffix("PASS") { return true }
            if exact.contains(s) { return true }
        }
        return false
    }

    private static let containing = ["PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "CREDENTIAL", "PRIVATE", "APIKEY", "AUTH"]
    private static let exact: Set<String> = ["PWD", "PW", "PIN", "SALT", "COOKIE"]
    private static let notTheSecret: Set<String> = [
        "FILE", "PATH", "DIR", "STDIN", "FD", "PROMPT", "ENV", "CMD", "COMMAND", "SOCK", "SOCKET",
    ]

    // MARK: - Clients

    /// Programs whose own short options carry secrets (rule 3).
    enum Client: Equatable {
        case mysql, curl, redis, sshpass, mongo, sqlcmd

        init?(program: String) {
            let base = program.split(separator: "/").last.map(String.init) ?? program
            switch base {
            case "mysql", "mysqldump", "mysqladmin", "mysqlpump", "mariadb", "mariadb-dump", "mariadb-admin": self = .mysql
            case "curl": self = .curl
            case "redis-cli", "valkey-cli": self = .redis
            case "sshpass": self = .sshpass
            case "mongo", "mongosh", "mongodump", "mongorestore", "mongoexport", "mongoimport": self = .mongo
            case "sqlcmd", "bcp": self = .sqlcmd
            default: return nil
            }
        }
    }

    /// Whether `arg` is an option whose value is the next argument and holds a secret.
    static func takesSeparateSecret(_ arg: String, client: Client?) -> Bool {
        if arg.hasPrefix("--"), !arg.contains("=") {
            let name = String(arg.dropFirst(2))
            if looksSecret(name) { return true }
            if client == .curl, name == "user" || name == "proxy-user" { return true }
            return false
        }
        switch client {
        case .curl: return arg == "-u" || arg == "-U"
        case .redis: return arg == "-a"
        case .sshpass, .mongo: return arg == "-p"
        case .sqlcmd: return arg == "-P"
        case .mysql, nil: return false
        }
    }

    /// The separate value of an option: for curl's `USER:PASS`, only PASS; else the whole value.
    static func secretPart(ofSeparateValueOf option: String, value: String, client: Client?, _ mark: (String) -> String) -> String {
        if client == .curl, ["-u", "-U", "--user", "--proxy-user"].contains(option) {
            guard let colon = value.firstIndex(of: ":") else { return value }
            let pass = String(value[value.index(after: colon)...])
            return pass.isEmpty ? value : String(value[...colon]) + mark(pass)
        }
        return value.isEmpty ? value : mark(value)
    }

    /// One argument on its own: attached option values, headers, then rules 1 and 2 inside it.
    static func redactArgument(_ arg: String, client: Client?, _ mark: (String) -> String) -> String {
        // --NAME=VALUE
        if arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") {
            let name = String(arg[arg.index(arg.startIndex, offsetBy: 2)..<eq])
            let value = String(arg[arg.index(after: eq)...])
            if looksSecret(name), !value.isEmpty { return String(arg[...eq]) + mark(value) }
            if client == .curl, name == "user" || name == "proxy-user", let colon = value.firstIndex(of: ":") {
                let pass = String(value[value.index(after: colon)...])
                if !pass.isEmpty { return String(arg[...eq]) + String(value[...colon]) + mark(pass) }
            }
        }
        // Attached short options of known clients.
        switch client {
        case .mysql where arg.hasPrefix("-p") && arg.count > 2 && !arg.hasPrefix("--"):
            return "-p" + mark(String(arg.dropFirst(2)))
        case .curl where (arg.hasPrefix("-u") || arg.hasPrefix("-U")) && arg.count > 2 && !arg.hasPrefix("--"):
            let value = arg.dropFirst(2)
            if let colon = value.firstIndex(of: ":"), value.index(after: colon) < value.endIndex {
                return String(arg.prefix(2)) + String(value[...colon]) + mark(String(value[value.index(after: colon)...]))
            }
        default: break
        }
        // A header: NAME: VALUE
        if let colon = arg.firstIndex(of: ":"), colon != arg.startIndex {
            let name = String(arg[..<colon])
            let rest = arg[arg.index(after: colon)...]
            if name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }), looksSecret(name) {
                let value = rest.drop(while: { $0 == " " })
                if !value.isEmpty {
                    return String(arg[...colon]) + String(rest.prefix(while: { $0 == " " })) + mark(String(value))
                }
            }
        }
        return redactInText(arg, mark)
    }

    /// Rules 1 and 2 inside any text.
    static func redactInText(_ text: String, _ mark: (String) -> String) -> String {
        redactAssignments(redactURLPasswords(text, mark), mark)
    }

    /// Rule 1: `scheme://user:PASSWORD@host`.
    static func redactURLPasswords(_ text: String, _ mark: (String) -> String) -> String {
        guard text.contains("://") else { return text }
        var s = Array(text.unicodeScalars)
        var i = 0
        while i + 2 < s.count {
            guard s[i] == ":", s[i + 1] == "/", s[i + 2] == "/" else {
                i += 1
                continue
            }
            // A scheme before it: letters, digits, + . -
            var b = i
            while b > 0, s[b - 1].properties.isAlphabetic || ("0"..."9").contains(s[b - 1]) || "+.-".unicodeScalars.contains(s[b - 1]) {
                b -= 1
            }
            let authorityStart = i + 3
            guard b < i else {
                i = authorityStart
                continue
            }
            var end = authorityStart
            while end < s.count, !"/?# \t\n\"'".unicodeScalars.contains(s[end]) { end += 1 }
            // The last @ of the authority ends the userinfo; its first : starts the password.
            guard let at = s[authorityStart..<end].lastIndex(of: "@"),
                let colon = s[authorityStart..<at].firstIndex(of: ":"), colon + 1 < at
            else {
                i = end
                continue
            }
            var password = String.UnicodeScalarView()
            password.append(contentsOf: s[(colon + 1)..<at])
            let replacement = Array(mark(String(password)).unicodeScalars)
            s.replaceSubrange((colon + 1)..<at, with: replacement)
            i = colon + 1 + replacement.count + 1
        }
        var v = String.UnicodeScalarView()
        v.append(contentsOf: s)
        return String(v)
    }

    /// Rule 2: `NAME=VALUE` where NAME looks secret, anywhere in the text.
    static func redactAssignments(_ text: String, _ mark: (String) -> String) -> String {
        guard text.contains("=") else { return text }
        var s = Array(text.unicodeScalars)
        func isNameScalar(_ c: Unicode.Scalar) -> Bool {
            c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "-" || c == ".")
        }
        var i = 0
        while i < s.count {
            guard s[i] == "=" else {
                i += 1
                continue
            }
            var b = i
            while b > 0, isNameScalar(s[b - 1]) { b -= 1 }
            var name = String.UnicodeScalarView()
            name.append(contentsOf: s[b..<i])
            let nameText = String(name).trimmingDashes()
            guard !nameText.isEmpty, looksSecret(nameText) else {
                i += 1
                continue
            }
            var start = i + 1
            var end: Int
            if start < s.count, s[start] == "'" || s[start] == "\"" {
                let quote = s[start]
                start += 1
                end = start
                while end < s.count, s[end] != quote { end += 1 }
            } else {
                end = start
                while end < s.count, !" \t\n&;".unicodeScalars.contains(s[end]) { end += 1 }
            }
            guard end > start else {
                i += 1
                continue
            }
            var value = String.UnicodeScalarView()
            value.append(contentsOf: s[start..<end])
            let m = String(value)
            if m.hasPrefix(markerPrefix) {
                i = end
                continue
            }
            let replacement = Array(mark(m).unicodeScalars)
            s.replaceSubrange(start..<end, with: replacement)
            i = start + replacement.count
        }
        var v = String.UnicodeScalarView()
        v.append(contentsOf: s)
        return String(v)
    }
}

extension String {
    /// Without leading dashes (`--password` → `password`).
    fileprivate func trimmingDashes() -> String { String(drop(while: { $0 == "-" })) }
}
