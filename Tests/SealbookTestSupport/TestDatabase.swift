import Foundation
public import SealbookCore
public import SealbookPostgres

/// A throwaway database on the test server named by `SEALBOOK_TEST_DATABASE_URL` (a superuser
/// URL; `scripts/test.sh` starts a server and sets it). Each test gets its own database, so
/// tests run in parallel without seeing each other.
public struct TestDatabase: Sendable {
    /// The superuser URL of the new database.
    public let url: String
    public let name: String
    let adminURL: String

    /// The server URL from the environment; a clear failure when it is missing (tests against
    /// PostgreSQL are never skipped silently).
    public static func serverURL() throws -> String {
        guard let u = ProcessInfo.processInfo.environment["SEALBOOK_TEST_DATABASE_URL"], !u.isEmpty else {
            throw TestSupportError(
                "SEALBOOK_TEST_DATABASE_URL is not set: run the tests with scripts/test.sh, which starts a throwaway PostgreSQL")
        }
        return u
    }

    /// Creates a fresh, empty database.
    public static func create() throws -> TestDatabase {
        let admin = try serverURL()
        let name = "sbt_" + Hex.encode(secureRandomBytes(6))
        let c = try PGConnection(conninfo: admin)
        try c.execute("CREATE DATABASE \(identifier: name)")
        return TestDatabase(url: replacingDatabase(in: admin, with: name), name: name, adminURL: admin)
    }

    /// The URL of the same database for another role (trust authentication on the test server).
    public func url(user: String) -> String {
        var comps = URLComponents(string: url)!
        comps.user = user
        comps.password = nil
        return comps.string!
    }

    /// Drops the database (best effort: the test server is thrown away anyway).
    public func drop() {
        guard let c = try? PGConnection(conninfo: adminURL) else { return }
        _ = try? c.execute("DROP DATABASE IF EXISTS \(identifier: name) WITH (FORCE)")
    }

    /// A superuser connection to this database (package-internal wrapper).
    public func superuserExecute(_ sql: String) throws {
        let c = try PGConnection(conninfo: url)
        try c.executeScript(unsafeSQL: sql)
    }

    /// Runs one query as superuser and returns the first column of each row as text.
    public func superuserQuery(_ sql: String) throws -> [String?] {
        let c = try PGConnection(conninfo: url)
        let r = try c.query(PGQuery(unsafeSQL: sql))
        return (0..<r.rowCount).map { r.string($0, 0) }
    }

    static func replacingDatabase(in url: String, with name: String) -> String {
        var comps = URLComponents(string: url)!
        comps.path = "/" + name
        return comps.string!
    }
}

public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// A ledger with a root key and an enrolled operator, ready for appends.
public struct TestLedger {
    public let db: TestDatabase
    public let store: LedgerStore
    public let root: KeyFile
    public let operatorKey: KeyFile
    public let ledger: String

    /// `maxClockSkewSeconds` and `signatureCheck` go to `sealbook init` (``LedgerStore/initialize``).
    public init(
        ledger: String = "test-ledger", maxClockSkewSeconds: Int64? = nil, signatureCheck: SignatureCheck = .extension
    ) throws {
        self.db = try TestDatabase.create()
        self.store = try LedgerStore(conninfo: db.url)
        self.ledger = ledger
        self.root = KeyFile(actor: "root@fingood", privateKey: Ed25519.PrivateKey())
        self.operatorKey = KeyFile(actor: "alice@fingood", privateKey: Ed25519.PrivateKey())
        _ = try store.initialize(
            ledger: ledger, root: root, maxClockSkewSeconds: maxClockSkewSeconds, signatureCheck: signatureCheck)
        _ = try enroll(operatorKey, roles: ["operator"])
    }

    /// Enrols `key` with `roles`, signed by the root.
    @discardableResult
    public func enroll(_ key: KeyFile, roles: [String]) throws -> LedgerStore.AppendResult {
        let d = KeyDescriptor(keyID: key.keyID, publicKey: key.privateKey.publicKey, actor: key.actor, roles: roles)
        return try store.append(.init(stream: FormatV1.keysStream, type: FormatV1.keyEnrolledType, data: d.json), key: root)
    }

    /// Revokes `key`, signed by the root.
    @discardableResult
    public func revoke(_ key: KeyFile) throws -> LedgerStore.AppendResult {
        let data = JSONObject([(key: "key", value: .string(key.keyID)), (key: "reason", value: .string("test"))])
        return try store.append(.init(stream: FormatV1.keysStream, type: FormatV1.keyRevokedType, data: data), key: root)
    }

    /// Appends a `custom.note` to `stream`.
    @discardableResult
    public func note(_ stream: String, _ n: Int64, key: KeyFile? = nil) throws -> LedgerStore.AppendResult {
        try store.append(
            .init(stream: stream, type: "custom.note", data: JSONObject([(key: "n", value: .number(JSONNumber(n)))])),
            key: key ?? operatorKey)
    }

    /// Verifies the log online.
    public func verify(pinned: Bool = true, all: Bool = false) throws -> VerificationReport {
        try store.verify(options: VerifyOptions(trustRoot: pinned ? root.privateKey.publicKey : nil, reportAll: all))
    }

    /// Inserts a signed event as a superuser, bypassing the append path's key checks (as an
    /// attacker with database superuser rights could), with a correct seq and chainHash.
    public func insertBypassingChecks(_ e: SignedEvent) throws {
        let c = try PGConnection(conninfo: db.url)
        let head = try store.head()
        let seq = head.seq + 1
        let chain = FormatV1.chainHash(seq: seq, previous: head.chainHash, eventHash: e.eventHash)
        try c.execute(
            """
            INSERT INTO sealbook.events (seq, stream, stream_seq, type, actor, key_id, claimed_time, body, body_json, sig, event_hash, chain_hash)
            VALUES (\(seq), \(e.body.stream), \(e.body.streamSeq), \(e.body.type), \(e.body.actor), \(e.body.key),
                    \(e.body.time)::timestamptz, \(e.bodyBytes), convert_from(\(e.bodyBytes), 'UTF8')::jsonb, \(e.signature),
                    \(e.eventHash.bytes), \(chain.bytes))
            """)
        try c.execute("UPDATE sealbook.head SET seq = \(seq), chain_hash = \(chain.bytes)")
    }

    /// Builds a signed event for `stream` at its next position, as `key` (no append).
    public func sign(stream: String, type: String = "custom.note", data: JSONObject = JSONObject(), key: KeyFile, actor: String? = nil)
        throws -> SignedEvent
    {
        let pos = try store.streamPosition(stream)
        let body = try EventBody(
            ledger: ledger, stream: stream, streamSeq: pos.seq + 1, streamPrev: pos.eventHash, type: type,
            time: FormatV1.now(), actor: actor ?? key.actor, key: key.keyID, data: data)
        return try SignedEvent(signing: body, with: key.privateKey)
    }

    /// Runs SQL as superuser with the append-only triggers disabled (the tamper an attacker with
    /// superuser rights could do), re-enabling them afterwards.
    public func tamper(_ sql: String) throws {
        try db.superuserExecute(
            """
            BEGIN;
            ALTER TABLE sealbook.events DISABLE TRIGGER events_append_only;
            \(sql);
            ALTER TABLE sealbook.events ENABLE ALWAYS TRIGGER events_append_only;
            COMMIT;
            """)
    }
}

/// The built `sealbook` binary: `$SEALBOOK_BIN`, else beside the test bundle (same build folder).
public func sealbookBinary() throws -> String {
    if let b = ProcessInfo.processInfo.environment["SEALBOOK_BIN"], !b.isEmpty { return b }
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("sealbook").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    throw TestSupportError("the sealbook binary was not found next to \(exe); build it (swift build) or set SEALBOOK_BIN")
}

/// What a run of the binary produced.
public struct RunResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// Runs the `sealbook` binary with `arguments`, as a user would type them.
public func runSealbook(
    _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil, cwd: String? = nil
) throws -> RunResult {
    try runProgram(try sealbookBinary(), arguments, environment: environment, stdin: stdin, cwd: cwd)
}

/// Runs `executable` with `arguments` to its end and returns its status and output. The
/// environment is this process's without the variables that point Sealbook (or libpq) at a
/// database, a key or a trust root, plus `environment`.
public func runProgram(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil, cwd: String? = nil
) throws -> RunResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for k in ["SEALBOOK_DATABASE_URL", "SEALBOOK_KEY", "SEALBOOK_TRUST_ROOT", "SEALBOOK_HOME"] + DatabaseLocation.libpqVariables {
        env.removeValue(forKey: k)
    }
    for (k, v) in environment { env[k] = v }
    p.environment = env
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let out = Pipe(), err = Pipe(), input = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = input
    try p.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    // Read both pipes concurrently so that neither fills up and blocks the child.
    let errBox = DataBox()
    let reader = Thread { errBox.data = err.fileHandleForReading.readDataToEndOfFile() }
    reader.start()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    while !errBox.isSet { usleep(1000) }
    return RunResult(
        status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errBox.data, as: UTF8.self))
}

// @unchecked Sendable: written once by the reader thread, read after `isSet` under the lock.
final class DataBox: @unchecked Sendable {
    private let lock = NSLock()
    private var _data = Data()
    private var _set = false
    var data: Data {
        get { lock.withLock { _data } }
        set { lock.withLock { _data = newValue; _set = true } }
    }
    var isSet: Bool { lock.withLock { _set } }
}

/// A temporary directory, removed by `cleanup()`.
public struct TempDir: Sendable {
    public let path: String
    public init() throws {
        path = NSTemporaryDirectory() + "sealbook-test-" + Hex.encode(secureRandomBytes(6))
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    public func file(_ name: String) -> String { path + "/" + name }
    public func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}
