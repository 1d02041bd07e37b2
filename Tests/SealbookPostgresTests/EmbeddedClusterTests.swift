import Foundation
import Testing

@testable import SealbookPostgres

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Tag {
    /// Tests that run a real PostgreSQL server (initdb, pg_ctl): a few seconds each.
    @Tag static var embeddedCluster: Self
}

/// The embedded local cluster, driven end to end with the system's PostgreSQL server binaries.
/// Filter with `swift test --filter EmbeddedCluster`.
@Suite("EmbeddedCluster", .tags(.embeddedCluster))
struct EmbeddedClusterTests {
    /// Whether this machine can run the cluster at all (server binaries, and as root the
    /// `postgres` user). Without them the server tests are skipped, not failed.
    static let serverAvailable: Bool = {
        guard (try? EmbeddedServerBinaries.locate()) != nil else { return false }
        return getuid() != 0 || EmbeddedServerUser.lookup("postgres") != nil
    }()

    @Test("defaultHome: $SEALBOOK_HOME, relative or absolute, else ./.sealbook")
    func defaultHome() {
        let cwd = URL(fileURLWithPath: "/srv/project", isDirectory: true)
        #expect(
            EmbeddedCluster.defaultHome(environment: [:], currentDirectory: cwd).path
                == "/srv/project/.sealbook")
        #expect(
            EmbeddedCluster.defaultHome(environment: ["SEALBOOK_HOME": ""], currentDirectory: cwd).path
                == "/srv/project/.sealbook")
        #expect(
            EmbeddedCluster.defaultHome(environment: ["SEALBOOK_HOME": "/var/lib/sb"], currentDirectory: cwd)
                .path == "/var/lib/sb")
        #expect(
            EmbeddedCluster.defaultHome(environment: ["SEALBOOK_HOME": "ledger/../books"], currentDirectory: cwd)
                .path == "/srv/project/books")
    }

    @Test("SEALBOOK_PG_BIN that does not hold the server programs is refused, naming the folder")
    func badBinDirectory() {
        let error = #expect(throws: EmbeddedClusterError.self) {
            try EmbeddedServerBinaries.locate(environment: ["SEALBOOK_PG_BIN": "/nonexistent/pg/bin"])
        }
        #expect(error?.kind == .binariesNotFound)
        #expect(error?.description.contains("/nonexistent/pg/bin") == true)
    }

    @Test("No server binaries anywhere: the error says what to install")
    func noBinaries() {
        let error = #expect(throws: EmbeddedClusterError.self) {
            try EmbeddedServerBinaries.locate(
                environment: ["PATH": "/nonexistent"], versionedRoot: "/nonexistent/postgresql")
        }
        #expect(error?.kind == .binariesNotFound)
        #expect(error?.description.contains("postgresql-15") == true)
        #expect(error?.description.contains("SEALBOOK_PG_BIN") == true)
    }

    @Test("A cluster that was never made has no URL")
    func urlBeforeInit() throws {
        let home = try Self.makeTemporaryHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let cluster = EmbeddedCluster(home: home)
        #expect(try cluster.status() == .notInitialized)
        let error = #expect(throws: EmbeddedClusterError.self) { try cluster.connectionURL() }
        #expect(error?.kind == .notInitialized)
        try cluster.stop()  // nothing to stop: no error
    }

    @Test(
        "start, connect, stop, restart keeps the data, stop",
        .enabled(if: serverAvailable, "needs the PostgreSQL server binaries (postgresql-15)"),
        .timeLimit(.minutes(3)))
    func lifecycle() async throws {
        let home = try Self.makeTemporaryHome()
        let cluster = EmbeddedCluster(home: home)
        defer {
            // Stop the server even when an expectation failed, then remove everything.
            try? cluster.stop()
            try? FileManager.default.removeItem(at: home)
        }

        #expect(try cluster.status() == .notInitialized)

        // Two concurrent first starts: the lock makes one create the cluster, the other reuse it.
        async let first = Task.detached { try cluster.start() }.value
        async let second = Task.detached { try cluster.start() }.value
        let (url, otherURL) = try await (first, second)
        #expect(url == otherURL)
        #expect(try cluster.connectionURL() == url)

        guard case .running(let port) = try cluster.status() else {
            Issue.record("not running after start: \(try cluster.status())")
            return
        }
        #expect(url.hasPrefix("postgresql://sealbook:"))
        #expect(url.hasSuffix("@127.0.0.1:\(port)/sealbook"))
        #expect(Self.canConnect(port: port))

        // The password: 64 hex characters, in a file only its owner can read.
        let password = try String(
            contentsOf: home.appendingPathComponent("pg/password"), encoding: .utf8
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(password.count == 64 && password.allSatisfy(\.isHexDigit))
        #expect(url.contains(password))
        let attributes = try FileManager.default.attributesOfItem(
            atPath: home.appendingPathComponent("pg/password").path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect((attributes[.ownerAccountID] as? NSNumber)?.uint32Value == getuid())
        let dataAttributes = try FileManager.default.attributesOfItem(
            atPath: home.appendingPathComponent("pg/data").path)
        #expect((dataAttributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        #expect(!FileManager.default.fileExists(atPath: home.appendingPathComponent("pg/data.init").path))

        // Starting again while it runs changes nothing.
        #expect(try cluster.start() == url)

        let created = try Self.psql(url, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (42);")
        #expect(created.status == 0, "psql: \(created.output)")

        try cluster.stop()
        #expect(try cluster.status() == .stopped)
        #expect(!Self.canConnect(port: port))
        try cluster.stop()  // stopping a stopped cluster is not an error

        let again = try cluster.start()
        let againPort = try #require(URLComponents(string: again)?.port)
        #expect(try cluster.status() == .running(port: againPort))
        let read = try Self.psql(again, "SELECT n FROM kept;")
        #expect(read.status == 0, "psql: \(read.output)")
        #expect(read.output.trimmingCharacters(in: .whitespacesAndNewlines) == "42")

        // Only 127.0.0.1 and password authentication.
        let settings = try Self.psql(
            again, "SELECT current_setting('listen_addresses') || ',' || current_setting('unix_socket_directories') || ',' || current_setting('password_encryption') || ',' || current_user || ',' || current_database();")
        #expect(settings.output.trimmingCharacters(in: .whitespacesAndNewlines) == "127.0.0.1,,scram-sha-256,sealbook,sealbook")
        let wrongPassword = try Self.psql(again.replacingOccurrences(of: password, with: "wrong"), "SELECT 1;")
        #expect(wrongPassword.status != 0)

        try cluster.stop()
        #expect(try cluster.status() == .stopped)
    }

    @Test(
        "a stored port that someone else took is replaced on start",
        .enabled(if: serverAvailable, "needs the PostgreSQL server binaries (postgresql-15)"),
        .timeLimit(.minutes(3)))
    func portTaken() throws {
        let home = try Self.makeTemporaryHome()
        let cluster = EmbeddedCluster(home: home)
        defer {
            try? cluster.stop()
            try? FileManager.default.removeItem(at: home)
        }
        try cluster.start()
        guard case .running(let oldPort) = try cluster.status() else {
            Issue.record("not running after start")
            return
        }
        try cluster.stop()

        // Someone else listens on the cluster's port now.
        let squatter = try Self.occupy(port: oldPort)
        defer { close(squatter) }

        var lines: [String] = []
        let url = try cluster.start { lines.append($0) }
        guard case .running(let newPort) = try cluster.status() else {
            Issue.record("not running after the second start")
            return
        }
        #expect(newPort != oldPort)
        #expect(url.hasSuffix("@127.0.0.1:\(newPort)/sealbook"))
        #expect(lines.contains { $0.contains("\(oldPort)") && $0.contains("taken") })
        let conf = try String(
            contentsOf: home.appendingPathComponent("pg/data/postgresql.conf"), encoding: .utf8)
        #expect(conf.contains("\nport = \(newPort)"))
        #expect(!conf.contains("\nport = \(oldPort)"))
        #expect(Self.canConnect(port: newPort))
        // The log lines never show the password.
        let password = try #require(URLComponents(string: url)?.password)
        #expect(!lines.contains { $0.contains(password) })
    }

    @Test(
        "as root, a folder the postgres user cannot enter is named in the error",
        .enabled(if: getuid() == 0 && serverAvailable, "only as root"))
    func rootNeedsTraversableFolders() throws {
        let outer = try Self.makeTemporaryHome()
        defer { try? FileManager.default.removeItem(at: outer) }
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: outer.path)
        let cluster = EmbeddedCluster(home: outer.appendingPathComponent("project/.sealbook"))
        let error = #expect(throws: EmbeddedClusterError.self) { try cluster.start() }
        #expect(error?.kind == .serverUser)
        #expect(error?.description.contains("cannot enter the folder \(outer.path) ") == true)
        #expect(!FileManager.default.fileExists(atPath: cluster.home.appendingPathComponent("pg/data").path))
    }

    // MARK: Helpers

    /// A fresh folder under /tmp that the postgres user can pass through when running as root.
    static func makeTemporaryHome() throws -> URL {
        let home = URL(fileURLWithPath: "/tmp", isDirectory: true)
            .appendingPathComponent("sealbook-embedded-test-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(
            at: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        return home
    }

    static func canConnect(port: Int) -> Bool {
        let fd = tcpSocket()
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        } == 0
    }

    /// A socket listening on 127.0.0.1:`port`; close it to free the port.
    static func occupy(port: Int) throws -> Int32 {
        let fd = tcpSocket()
        var address = loopback(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard fd >= 0, bound == 0, listen(fd, 1) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        return fd
    }

    static func tcpSocket() -> Int32 {
        #if canImport(Glibc)
        socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        socket(AF_INET, SOCK_STREAM, 0)
        #endif
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    /// Runs `psql -XAtq` against `url` (the password travels in PGPASSWORD, not on the command line).
    static func psql(_ url: String, _ sql: String) throws -> (status: Int32, output: String) {
        let binaries = try EmbeddedServerBinaries.locate()
        let candidates = [binaries.directory.appendingPathComponent("psql").path, "/usr/bin/psql", "/usr/local/bin/psql"]
        guard let psql = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw POSIXError(.ENOENT)
        }
        var components = URLComponents(string: url)!
        let password = components.password ?? ""
        components.password = nil

        let outputURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("sealbook-psql-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputURL) }
        let output = try FileHandle(forWritingTo: outputURL)
        defer { try? output.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: psql)
        process.arguments = ["-XAtq", "-v", "ON_ERROR_STOP=1", "-d", components.string!, "-c", sql]
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        environment["PGPASSWORD"] = password
        environment["PGCONNECT_TIMEOUT"] = "10"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "")
    }
}
