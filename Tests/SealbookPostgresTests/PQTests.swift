import Foundation
import SealbookPostgres
import SealbookTestSupport
import Testing

/// A connection to the server under test (`SEALBOOK_TEST_DATABASE_URL`, which scripts/test.sh
/// always sets); without it every test here fails, saying so, as all PostgreSQL tests do.
private func connect() throws -> PGConnection {
    try PGConnection(conninfo: TestDatabase.serverURL())
}

/// A schema of its own for one test (dropped at the end), so tests can run in parallel and
/// other connections can see what a test committed.
private func withFreshSchema(_ body: (_ schema: String) throws -> Void) throws {
    let schema = "sb_pq_" + UUID().uuidString.lowercased().replacing("-", with: "")
    let admin = try connect()
    try admin.execute("CREATE SCHEMA \(identifier: schema)")
    defer { try? admin.executeScript(unsafeSQL: "DROP SCHEMA \(PGQuery.quoteIdentifier(schema)) CASCADE") }
    try body(schema)
}

private func expectPGError(
    _ sqlState: String?, kind: PGError.Kind = .queryFailed,
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> PGError? {
    do {
        try body()
        Issue.record("expected PGError \(sqlState ?? "-"), nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as PGError {
        #expect(error.kind == kind, "\(error.debugDescription)", sourceLocation: sourceLocation)
        #expect(error.sqlState == sqlState, "\(error.debugDescription)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected PGError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

// MARK: - PGQuery (no database)

@Suite("PQ: PGQuery interpolation")
struct PQQueryTests {
    @Test func interpolationBecomesPlaceholders() {
        let name = "x'; DROP TABLE t; --"
        let limit: Int64 = 5
        let q: PGQuery = "SELECT * FROM \(identifier: "we\"ird") WHERE a = \(name) AND b < \(limit) AND c IS \(nil as String?)"
        #expect(q.sql == #"SELECT * FROM "we""ird" WHERE a = $1 AND b < $2 AND c IS $3"#)
        #expect(q.binds == [PGBind(.text(name)), PGBind(.text("5")), PGBind(.null)])
        #expect(q.description == q.sql)
    }

    @Test func bindEncodings() {
        #expect(true.pgBind == PGBind(.text("true")))
        #expect(Int32(-7).pgBind == PGBind(.text("-7")))
        #expect(([1, 2] as [UInt8]).pgBind == PGBind(.binary([1, 2]), typeOID: 17))
        #expect(([UInt8]?.none).pgBind == PGBind(.null, typeOID: 17))
        #expect(["a,b", #"q"u\o"#, "NULL"].pgBind == PGBind(.text(#"{"a,b","q\"u\\o","NULL"}"#)))
        #expect(([] as [String]).pgBind == PGBind(.text("{}")))
        let array: [[UInt8]] = [[0xAB], []]
        #expect(
            array.pgBind
                == PGBind(
                    .binary([
                        0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 17, 0, 0, 0, 2, 0, 0, 0, 1,
                        0, 0, 0, 1, 0xAB, 0, 0, 0, 0,
                    ]), typeOID: 1001))
        let unsafe = PGQuery(unsafeSQL: "SELECT $1", binds: [42.pgBind])
        #expect(unsafe.sql == "SELECT $1" && unsafe.binds == [PGBind(.text("42"))])
    }
}

// MARK: - Against PostgreSQL

@Suite("PQ: libpq wrapper against PostgreSQL")
struct PQTests {
    // MARK: Connecting

    @Test func connectsWithURLAndKeyValueString() throws {
        let conn = try connect()
        #expect(conn.serverVersion >= 100_000)
        #expect(conn.backendPID > 0)
        #expect(conn.isConnected)
        #expect(!conn.isInTransaction)
        let r = try conn.query("SELECT current_setting('client_encoding'), pg_backend_pid()")
        #expect(r.string(0, 0) == "UTF8")
        #expect(r.int64(0, 1) == Int64(conn.backendPID))

        let url = try #require(URLComponents(string: TestDatabase.serverURL()))
        var keyValue = "host=\(url.host ?? "localhost") port=\(url.port ?? 5432)"
        if let user = url.user { keyValue += " user=\(user)" }
        if let password = url.password { keyValue += " password='\(password)'" }
        if url.path.count > 1 { keyValue += " dbname=\(url.path.dropFirst())" }
        let other = try PGConnection(conninfo: keyValue)
        #expect(try other.query("SELECT 1").int64(0, 0) == 1)
        #expect(other.backendPID != conn.backendPID)
    }

    @Test func refusedConnectionIsConnectionFailedWithoutPassword() throws {
        let secret = "Hunter2-v3ry-s3cret"
        let error = expectPGError(nil, kind: .connectionFailed) {
            _ = try PGConnection(conninfo: "postgresql://sbuser:\(secret)@127.0.0.1:1/postgres")
        }
        let e = try #require(error)
        #expect(e.message.contains("127.0.0.1") && e.message.contains("port 1"), "\(e.message)")
        #expect(e.description.hasPrefix("PGError.connectionFailed: "))
        for text in [e.description, e.debugDescription, e.message, e.detail ?? "", e.hint ?? ""] {
            #expect(!text.contains(secret), "\(text)")
        }
    }

    @Test func unknownHostIsConnectionFailed() throws {
        let error = expectPGError(nil, kind: .connectionFailed) {
            _ = try PGConnection(conninfo: "host=sealbook-no-such-host.invalid user=u password=pw0rd-x connect_timeout=3")
        }
        #expect(error?.message.contains("sealbook-no-such-host.invalid") == true, "\(error?.message ?? "")")
    }

    /// libpq quotes (parts of) a malformed connection string in its message; the password must
    /// be cut out of every field.
    @Test(arguments: [
        ("postgresql://sbuser:Tr0ub4dor-s3cret@[::1/postgres", true),
        ("postgresql://sbuser:Tr0ub4dor-s3cret@[]/postgres", true),
        ("postgresql://sbuser:Tr0ub4dor-s3cret%zz@127.0.0.1/postgres", true),
        ("postgresql://sbuser:Tr0ub4dor%2Ds3cret@127.0.0.1:1/postgres", false),
        ("postgresql://127.0.0.1:1/postgres?password=Tr0ub4dor-s3cret&user=x", false),
        ("host=127.0.0.1 port=1 password = 'Tr0ub4dor-s3cret' user=x", false),
        ("host=127.0.0.1 password=Tr0ub4dor-s3cret bogus", false),
        ("host=127.0.0.1 password='Tr0ub4dor-s3cret", false),
    ])
    func connectionErrorsNeverCarryThePassword(conninfo: String, libpqEchoesIt: Bool) throws {
        let error = try #require(expectPGError(nil, kind: .connectionFailed) { _ = try PGConnection(conninfo: conninfo) })
        for text in [error.description, error.debugDescription, error.message, error.detail ?? "", error.hint ?? ""] {
            #expect(!text.contains("Tr0ub4dor"), "\(text)")
            #expect(!text.contains("s3cret"), "\(text)")
        }
        if libpqEchoesIt {
            #expect(error.message.contains("<redacted>"), "\(error.message)")
        }
    }

    // MARK: Binding

    @Test(arguments: [PGFormat.text, .binary])
    func textRoundTrips(format: PGFormat) throws {
        let conn = try connect()
        let samples = [
            "", "plain", #"it's "quoted""#, #"back\slash \x00 \\ \n"#, "unicode: żółć 🦀 ﷽ e\u{301}",
            "line\nbreak\ttab\r", "'; DROP TABLE pg_class; --", String(repeating: "long ", count: 20_000),
        ]
        for sample in samples {
            let r = try conn.query("SELECT \(sample)::text AS v, octet_length(\(sample)::text) AS n", resultFormat: format)
            #expect(r.string(0, 0) == sample)
            #expect(r.int64(0, 1) == Int64(sample.utf8.count))
            #expect(r.columnFormat(0) == format)
        }
        let nul = expectPGError("22021") { try conn.execute("SELECT \("a\u{0}b")::text") }
        #expect(nul?.message.contains("$1") == true)
    }

    @Test(arguments: [PGFormat.text, .binary])
    func byteaRoundTripsAllByteValues(format: PGFormat) throws {
        let conn = try connect()
        let all = (0...255).map { UInt8($0) }
        let r = try conn.query(
            """
            SELECT \(all) AS v, length(\(all)) AS n,
                   \(all) = (SELECT string_agg(set_byte('\\x00'::bytea, 0, i), ''::bytea ORDER BY i)
                             FROM generate_series(0, 255) AS i) AS same,
                   \([UInt8]()) AS empty, \([UInt8]?.none) AS null
            """, resultFormat: format)
        #expect(r.bytes(0, 0) == all)
        #expect(r.int64(0, 1) == 256)
        #expect(r.bool(0, 2) == true)
        #expect(r.bytes(0, 3) == [])
        #expect(!r.isNull(0, 3))
        #expect(r.isNull(0, 4) && r.bytes(0, 4) == nil)
        let viewed = r.withUnsafeBytes(0, 0) { Array($0) }
        #expect(viewed == (format == .binary ? all : Array(("\\x" + all.map { String(format: "%02x", $0) }.joined()).utf8)))
    }

    @Test(arguments: [PGFormat.text, .binary])
    func nullsRoundTrip(format: PGFormat) throws {
        let conn = try connect()
        let s: String? = nil
        let i: Int64? = nil
        let b: Bool? = nil
        let tags: [String]? = nil
        let r = try conn.query(
            "SELECT \(s)::text, \(i)::int8, \(b)::bool, \(tags)::text[], \(Optional("x"))::text, \(s)::text IS NULL",
            resultFormat: format)
        for col in 0..<4 {
            #expect(r.isNull(0, col))
            #expect(r.string(0, col) == nil)
        }
        #expect(r.int64(0, 1) == nil)
        #expect(r.bool(0, 2) == nil)
        #expect(r.string(0, 4) == "x")
        #expect(r.bool(0, 5) == true)
    }

    @Test(arguments: [PGFormat.text, .binary])
    func integersAndBooleansRoundTrip(format: PGFormat) throws {
        let conn = try connect()
        for value in [Int64.min, Int64.max, 0, -1, 1 << 40] {
            let r = try conn.query("SELECT \(value)::int8, \(value)::int8 = \(String(value))::numeric", resultFormat: format)
            #expect(r.int64(0, 0) == value)
            #expect(r.bool(0, 1) == true)
        }
        let r = try conn.query(
            "SELECT \(Int32.min)::int4, \(Int32.max)::int4, \(-32768)::int2, \(Int(32767))::int2, \(true)::bool, \(false)::bool, 'x'::text",
            resultFormat: format)
        #expect(r.int64(0, 0) == Int64(Int32.min))
        #expect(r.int64(0, 1) == Int64(Int32.max))
        #expect(r.int64(0, 2) == -32768)
        #expect(r.int64(0, 3) == 32767)
        #expect(r.bool(0, 4) == true)
        #expect(r.bool(0, 5) == false)
        #expect(r.int64(0, 6) == nil && r.bool(0, 6) == nil)  // not convertible
    }

    @Test(arguments: [PGFormat.text, .binary])
    func textArrayRoundTrips(format: PGFormat) throws {
        let conn = try connect()
        let tags = [
            "a,b", "{braces}", "}", #""quoted""#, #"back\slash"#, "NULL", "null", "", " spaced ", "żółć 🦀",
            "comma, \"and\" {all} \\ of it",
        ]
        let r = try conn.query(
            "SELECT x, ord FROM unnest(\(tags)::text[]) WITH ORDINALITY AS t(x, ord) ORDER BY ord", resultFormat: format)
        #expect(r.rowCount == tags.count)
        #expect((0..<r.rowCount).map { r.string($0, 0) } == tags)
        #expect((0..<r.rowCount).allSatisfy { !r.isNull($0, 0) })
        let empty = try conn.query("SELECT cardinality(\([String]())::text[])", resultFormat: format)
        #expect(empty.int64(0, 0) == 0)
    }

    @Test(arguments: [PGFormat.text, .binary])
    func byteaArrayRoundTrips(format: PGFormat) throws {
        let conn = try connect()
        let items: [[UInt8]] = [[0, 1, 2, 255], [], (0...255).map { UInt8($0) }, Array(#"\",{} NULL"#.utf8), [0]]
        let r = try conn.query(
            "SELECT x, ord FROM unnest(\(items)) WITH ORDINALITY AS t(x, ord) ORDER BY ord", resultFormat: format)
        #expect(r.rowCount == items.count)
        #expect((0..<r.rowCount).map { r.bytes($0, 0) } == items)
        let meta = try conn.query(
            "SELECT pg_typeof(\(items))::text, cardinality(\(items)), cardinality(\([[UInt8]]()))", resultFormat: format)
        #expect(meta.string(0, 0) == "bytea[]")
        #expect(meta.int64(0, 1) == Int64(items.count))
        #expect(meta.int64(0, 2) == 0)
    }

    @Test func binaryAndTextFormatsAgree() throws {
        let conn = try connect()
        try conn.execute(
            "CREATE TEMP TABLE formats (s int2, i int4, l int8, b bool, t text, d bytea, n text, tags text[])")
        let insert = try conn.query(
            """
            INSERT INTO formats VALUES
              (\(-2)::int2, \(Int32.min), \(Int64.max), \(true), \("żółć \"x\""), \([0, 92, 120, 255] as [UInt8]), \(nil as String?), \(["a", "b,c"])),
              (\(7)::int2, \(Int32(0)), \(Int64.min), \(false), \(""), \([UInt8]()), \("not null"), \([String]()))
            """)
        #expect(insert.commandTag == "INSERT 0 2")
        #expect(insert.affectedRowCount == 2)
        let text = try conn.query("SELECT * FROM formats ORDER BY s")
        let binary = try conn.query("SELECT * FROM formats ORDER BY s", resultFormat: .binary)
        #expect(text.rowCount == 2 && binary.rowCount == 2)
        #expect(text.columnCount == 8 && binary.columnCount == 8)
        #expect(text.commandTag == "SELECT 2")
        #expect(text.columnIndex("d") == 5 && text.columnIndex("D") == 5 && text.columnIndex("missing") == nil)
        #expect(text.columnName(6) == "n")
        #expect(text.columnTypeOID(5) == 17)
        for row in 0..<2 {
            for col in 0..<3 { #expect(text.int64(row, col) == binary.int64(row, col)) }
            #expect(text.bool(row, 3) == binary.bool(row, 3))
            #expect(text.string(row, 4) == binary.string(row, 4))
            #expect(text.bytes(row, 5) == binary.bytes(row, 5))
            #expect(text.isNull(row, 6) == binary.isNull(row, 6))
            #expect(text.string(row, 6) == binary.string(row, 6))
        }
        #expect(binary.int64(0, 0) == -2 && binary.int64(0, 1) == Int64(Int32.min) && binary.int64(0, 2) == Int64.max)
        #expect(binary.string(0, 4) == "żółć \"x\"")
        #expect(binary.bytes(0, 5) == [0, 92, 120, 255])
        #expect(text.string(0, 7) == #"{a,"b,c"}"#)
    }

    @Test func injectionThroughABoundStringStaysData() throws {
        let conn = try connect()
        try conn.execute("CREATE TEMP TABLE people (name text NOT NULL)")
        let attacks = ["x'); DROP TABLE people; --", "' OR '1'='1", #"\'; DELETE FROM people; --"#, "$1"]
        for name in ["alice", "bob"] + attacks {
            try conn.execute("INSERT INTO people (name) VALUES (\(name))")
        }
        for attack in attacks {
            let r = try conn.query("SELECT name FROM people WHERE name = \(attack)")
            #expect(r.rowCount == 1)
            #expect(r.string(0, 0) == attack)
        }
        #expect(try conn.query("SELECT count(*) FROM people").int64(0, 0) == 6)
    }

    // MARK: Errors

    @Test func uniqueViolationCarriesSQLStateAndConstraint() throws {
        let conn = try connect()
        try conn.execute("CREATE TEMP TABLE items (id text CONSTRAINT sb_items_pkey PRIMARY KEY)")
        try conn.execute("INSERT INTO items VALUES (\("k-1"))")
        let error = try #require(expectPGError("23505") { try conn.execute("INSERT INTO items VALUES (\("k-1"))") })
        #expect(error.isUniqueViolation)
        #expect(!error.isSerializationFailure && !error.isDeadlock && !error.isUndefinedTable)
        #expect(error.constraint == "sb_items_pkey")
        #expect(error.message.contains("sb_items_pkey"))
        #expect(error.detail?.contains("already exists") == true)
        #expect(error.description.hasPrefix("PGError.queryFailed [23505]: duplicate key"))
        #expect(!error.description.contains("k-1"))  // the detail quotes the key; only debugDescription has it
        #expect(error.debugDescription.contains("k-1"))
        #expect(try conn.query("SELECT count(*) FROM items").int64(0, 0) == 1)
    }

    @Test func errorDescriptionsLeaveOutBoundValues() throws {
        let conn = try connect()
        let error = try #require(expectPGError("22P02") { try conn.execute("SELECT \("s3cr3t-payload")::int") })
        #expect(error.message.contains("s3cr3t-payload"))  // the server's own field, verbatim
        #expect(!error.description.contains("s3cr3t-payload"), "\(error.description)")
        #expect(!error.debugDescription.contains("s3cr3t-payload"), "\(error.debugDescription)")
        #expect(error.description.contains(#""$1""#))
    }

    @Test func namedErrorPredicates() throws {
        let conn = try connect()
        let missing = try #require(expectPGError("42P01") { try conn.execute("SELECT * FROM sb_no_such_table") })
        #expect(missing.isUndefinedTable)
        let denied = try #require(
            expectPGError("42501") {
                try conn.transaction { conn in
                    try conn.execute("SET LOCAL ROLE pg_read_all_data")
                    try conn.execute("CREATE TABLE public.sb_pq_denied (x int)")
                }
            })
        #expect(denied.isInsufficientPrivilege)
        #expect(try conn.query("SELECT current_user = session_user").bool(0, 0) == true)
    }

    @Test func copyIsRefusedAndTheConnectionRecovers() throws {
        let conn = try connect()
        _ = expectPGError(nil, kind: .protocolError) { try conn.execute("COPY (SELECT generate_series(1, 1000)) TO STDOUT") }
        #expect(!conn.isInTransaction)  // the COPY is over at once, not left for the next statement
        try conn.execute("CREATE TEMP TABLE sink (x int)")
        _ = expectPGError(nil, kind: .protocolError) { try conn.execute("COPY sink FROM STDIN") }
        #expect(!conn.isInTransaction)
        #expect(try conn.query("SELECT count(*) FROM sink").int64(0, 0) == 0)
        #expect(!conn.isInTransaction)
    }

    @Test func terminatedBackendIsConnectionLost() throws {
        let victim = try connect()
        let killer = try connect()
        let pid = victim.backendPID
        #expect(try killer.query("SELECT pg_terminate_backend(\(pid))").bool(0, 0) == true)
        for _ in 0..<100 {
            if try killer.query("SELECT count(*) FROM pg_stat_activity WHERE pid = \(pid)").int64(0, 0) == 0 { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        do {
            try victim.execute("SELECT 1")
            Issue.record("a query on a terminated backend succeeded")
        } catch {
            // Either the server's own FATAL 57P01 (terminating connection) or libpq's EOF message.
            #expect(error.kind == .connectionLost, "\(error.debugDescription)")
            #expect(error.sqlState == nil || error.sqlState == "57P01")
        }
        #expect(!victim.isConnected)
        _ = expectPGError(nil, kind: .connectionLost) { try victim.execute("SELECT 1") }
    }

    // MARK: Transactions and scripts

    @Test func transactionCommits() throws {
        try withFreshSchema { schema in
            let conn = try connect()
            try conn.execute("CREATE TABLE \(identifier: schema).t (x int8)")
            let returned = try conn.transaction { conn in
                try conn.execute("INSERT INTO \(identifier: schema).t VALUES (\(Int64(41)))")
                #expect(conn.isInTransaction)
                return try conn.query("SELECT x + 1 FROM \(identifier: schema).t").int64(0, 0)
            }
            #expect(returned == 42)
            #expect(!conn.isInTransaction)
            let observer = try connect()
            #expect(try observer.query("SELECT count(*) FROM \(identifier: schema).t WHERE x = 41").int64(0, 0) == 1)
        }
    }

    struct Boom: Error, Equatable {}

    @Test func transactionRollsBackWhenTheBodyThrows() throws {
        try withFreshSchema { schema in
            let conn = try connect()
            try conn.execute("CREATE TABLE \(identifier: schema).t (x int8)")
            #expect(throws: Boom()) {
                try conn.transaction { conn in
                    try conn.execute("INSERT INTO \(identifier: schema).t VALUES (1)")
                    throw Boom()
                }
            }
            #expect(!conn.isInTransaction)
            #expect(try conn.query("SELECT count(*) FROM \(identifier: schema).t").int64(0, 0) == 0)
            #expect(try connect().query("SELECT count(*) FROM \(identifier: schema).t").int64(0, 0) == 0)
        }
    }

    @Test func errorMidTransactionLeavesTheConnectionUsable() throws {
        try withFreshSchema { schema in
            let conn = try connect()
            try conn.execute("CREATE TABLE \(identifier: schema).t (x int8)")
            _ = expectPGError("22012") {
                try conn.transaction { conn in
                    try conn.execute("INSERT INTO \(identifier: schema).t VALUES (1)")
                    try conn.execute("SELECT 1 / \(0)::int")
                    try conn.execute("INSERT INTO \(identifier: schema).t VALUES (2)")
                }
            }
            #expect(!conn.isInTransaction)
            #expect(try conn.query("SELECT count(*) FROM \(identifier: schema).t").int64(0, 0) == 0)
            try conn.transaction { conn in try conn.execute("INSERT INTO \(identifier: schema).t VALUES (3)") }
            #expect(try connect().query("SELECT x FROM \(identifier: schema).t").int64(0, 0) == 3)
        }
    }

    @Test func swallowedErrorMakesCommitFail() throws {
        try withFreshSchema { schema in
            let conn = try connect()
            try conn.execute("CREATE TABLE \(identifier: schema).t (x int8)")
            _ = expectPGError("25P02") {
                try conn.transaction { conn in
                    try conn.execute("INSERT INTO \(identifier: schema).t VALUES (1)")
                    _ = try? conn.execute("SELECT * FROM sb_no_such_table")
                }
            }
            #expect(!conn.isInTransaction)
            #expect(try conn.query("SELECT count(*) FROM \(identifier: schema).t").int64(0, 0) == 0)
        }
    }

    @Test func executeScriptRunsSeveralStatements() throws {
        let conn = try connect()
        try conn.executeScript(
            unsafeSQL: """
                CREATE TEMP TABLE a (x int);
                INSERT INTO a VALUES (1), (2);
                -- a comment; with a semicolon
                CREATE TEMP TABLE b AS SELECT x * 10 AS y FROM a;
                CREATE FUNCTION pg_temp.twice(v int) RETURNS int LANGUAGE sql AS $$ SELECT v * 2; $$;
                """)
        let r = try conn.query("SELECT count(*), sum(y), pg_temp.twice(21) FROM b")
        #expect(r.int64(0, 0) == 2 && r.int64(0, 1) == 30 && r.int64(0, 2) == 42)
        try conn.executeScript(unsafeSQL: "")

        _ = expectPGError("22012") {
            try conn.executeScript(unsafeSQL: "CREATE TEMP TABLE c (x int); SELECT 1/0; CREATE TEMP TABLE d (x int);")
        }
        let gone = try conn.query("SELECT to_regclass('pg_temp.c') IS NULL, to_regclass('pg_temp.d') IS NULL")
        #expect(gone.bool(0, 0) == true && gone.bool(0, 1) == true)  // one implicit transaction
    }

    // MARK: LISTEN / NOTIFY

    @Test func notificationsArriveAndTimeOut() throws {
        let channel = "sb pq \(UUID().uuidString)"
        let listener = try connect()
        let sender = try connect()
        try listener.listen(channel: channel)
        let clock = ContinuousClock()
        let start = clock.now
        #expect(try listener.notifications(timeout: .milliseconds(200)).isEmpty)
        #expect(clock.now - start >= .milliseconds(190))

        try sender.notify(channel: channel, payload: "hello 'there'")
        let received = try listener.notifications(timeout: .seconds(10))
        #expect(received == [PGNotification(channel: channel, payload: "hello 'there'", backendPID: sender.backendPID)])
        try listener.unlisten(channel: channel)
    }
}
