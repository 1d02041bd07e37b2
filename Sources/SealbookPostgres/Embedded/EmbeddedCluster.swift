public import Foundation
internal import SealbookCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A private PostgreSQL cluster that Sealbook manages itself: the default database when the user
/// names none.
///
/// Everything lives under ``home`` (by default `./.sealbook`, see ``defaultHome(environment:currentDirectory:)``):
///
/// | path | what |
/// | --- | --- |
/// | `home/pg/data` | the cluster's data directory (mode 0700) |
/// | `home/pg/server.log` | the server's log (`pg_ctl -l`) |
/// | `home/pg/password` | the password of the `sealbook` role (mode 0600) |
/// | `home/pg/port` | the TCP port, also written into `postgresql.conf` |
/// | `home/lock` | `flock`ed while a process starts or stops the cluster |
///
/// The server listens on `127.0.0.1` only, with no Unix socket, and asks for the password
/// (`scram-sha-256`). It runs the system's PostgreSQL server binaries (`initdb`, `pg_ctl`,
/// `postgres`): `$SEALBOOK_PG_BIN` if set, else the newest `/usr/lib/postgresql/*/bin`, else
/// `pg_config --bindir`. PostgreSQL refuses to run as root, so when the caller is root the server
/// runs as the `postgres` OS user (through `runuser`), which then owns the data directory.
///
/// ```swift
/// let cluster = EmbeddedCluster(home: EmbeddedCluster.defaultHome())
/// let url = try cluster.start()   // initdb on first use; a no-op when it already runs
/// ```
public struct EmbeddedCluster: Sendable {
    /// The project folder that holds the cluster (see the table above).
    public let home: URL

    /// A cluster kept under `home`. Nothing is read or created until a method is called.
    public init(home: URL) {
        self.home = home.standardizedFileURL
    }

    /// The project folder to use when none is given: `$SEALBOOK_HOME` if set and not empty
    /// (a relative path is taken from `currentDirectory`), else `currentDirectory/.sealbook`.
    public static func defaultHome(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    ) -> URL {
        if let explicit = environment["SEALBOOK_HOME"], !explicit.isEmpty {
            if explicit.hasPrefix("/") {
                return URL(fileURLWithPath: explicit, isDirectory: true).standardizedFileURL
            }
            return URL(fileURLWithPath: explicit, isDirectory: true, relativeTo: currentDirectory)
                .absoluteURL.standardizedFileURL
        }
        return currentDirectory.appendingPathComponent(".sealbook", isDirectory: true)
            .standardizedFileURL
    }

    /// Whether the cluster exists and runs.
    public enum Status: Sendable, Equatable {
        /// `home/pg/data` does not exist yet: ``EmbeddedCluster/start(log:)`` will create it.
        case notInitialized
        /// The cluster exists and no server runs on it.
        case stopped
        /// A server runs on the cluster and listens on `127.0.0.1:port`.
        case running(port: Int)
    }

    // MARK: Paths

    var pgDirectory: URL { home.appendingPathComponent("pg", isDirectory: true) }
    var dataDirectory: URL { pgDirectory.appendingPathComponent("data", isDirectory: true) }
    /// Where `initdb` builds a new cluster; renamed to ``dataDirectory`` once it is complete, so
    /// that a half-made cluster is never taken for a real one.
    var initDirectory: URL { pgDirectory.appendingPathComponent("data.init", isDirectory: true) }
    var logFile: URL { pgDirectory.appendingPathComponent("server.log") }
    var passwordFile: URL { pgDirectory.appendingPathComponent("password") }
    var portFile: URL { pgDirectory.appendingPathComponent("port") }
    var lockFile: URL { home.appendingPathComponent("lock") }

    // MARK: Public operations

    /// Whether the cluster exists and runs: `pg_ctl status` and the stored port.
    public func status() throws -> Status {
        guard FileManager.default.fileExists(atPath: dataDirectory.path) else { return .notInitialized }
        let context = try EmbeddedServerContext.make()
        return try status(context)
    }

    /// Makes sure the server runs and returns its connection URL.
    ///
    /// On first use this runs `initdb` (role `sealbook`, a random password, `scram-sha-256`,
    /// UTF-8, locale C), chooses a free port on `127.0.0.1` and creates the database `sealbook`.
    /// Then, if the server is not running, it starts it with `pg_ctl start -w` (choosing a new
    /// port if someone else took the stored one). Calling it when the server runs only returns
    /// the URL. Two processes calling it at once are serialized by a lock file.
    ///
    /// - Parameter log: receives one line per step taken (never the password).
    /// - Returns: ``connectionURL()``.
    @discardableResult
    public func start(log: (String) -> Void = { _ in }) throws -> String {
        let context = try EmbeddedServerContext.make()
        try prepareDirectories(context)
        return try withLock {
            if !FileManager.default.fileExists(atPath: dataDirectory.path) {
                try initialize(context, log: log)
            }
            if case .running = try status(context) {
                return try connectionURL()
            }
            try startServer(context, log: log)
            return try connectionURL()
        }
    }

    /// Stops the server (`pg_ctl stop -m fast`). Does nothing when it is not running or the
    /// cluster does not exist.
    public func stop() throws {
        guard FileManager.default.fileExists(atPath: dataDirectory.path) else { return }
        let context = try EmbeddedServerContext.make()
        try withLock {
            guard case .running = try status(context) else { return }
            let result = try context.run(
                context.binaries.pgCtl,
                ["stop", "-D", dataDirectory.path, "-m", "fast", "-w", "-t", "60"],
                in: pgDirectory)
            if result.status != 0 {
                // It may have stopped by itself in the meantime.
                if case .stopped = try status(context) { return }
                throw EmbeddedClusterError(
                    .stopFailed,
                    "Could not stop the PostgreSQL server of \(dataDirectory.path) (pg_ctl exit \(result.status)).",
                    details: result.output,
                    fix: "Look at \(logFile.path); the server may be busy or owned by another user.")
            }
        }
    }

    /// `postgresql://sealbook:<password>@127.0.0.1:<port>/sealbook`, from the stored password and
    /// port. Does not check that the server runs.
    public func connectionURL() throws -> String {
        guard FileManager.default.fileExists(atPath: dataDirectory.path) else {
            throw EmbeddedClusterError(
                .notInitialized, "There is no local PostgreSQL cluster in \(home.path) yet.",
                fix: "Run a command that starts it (it is created on first use).")
        }
        let password = try readStoredValue(passwordFile, what: "password")
        let port = try storedPort()
        return "postgresql://sealbook:\(password)@127.0.0.1:\(port)/sealbook"
    }

    // MARK: Status

    private func status(_ context: EmbeddedServerContext) throws -> Status {
        let result = try context.run(
            context.binaries.pgCtl, ["status", "-D", dataDirectory.path], in: pgDirectory)
        switch result.status {
        case 0: return .running(port: try storedPort())
        case 3: return .stopped
        default:
            throw EmbeddedClusterError(
                .statusFailed,
                "Could not read the state of the PostgreSQL cluster in \(dataDirectory.path) (pg_ctl status exit \(result.status)).",
                details: result.output,
                fix: context.isRoot
                    ? "Check that the data directory belongs to the postgres user."
                    : "Check that the data directory belongs to you (a cluster made by root is run as the postgres user; use it as root).")
        }
    }

    private func storedPort() throws -> Int {
        let text = try readStoredValue(portFile, what: "port")
        guard let port = Int(text), (1...65535).contains(port) else {
            throw EmbeddedClusterError(
                .corrupt, "\(portFile.path) does not hold a port number.",
                fix: "Write the port from the `port = …` line of \(dataDirectory.path)/postgresql.conf into it.")
        }
        return port
    }

    private func readStoredValue(_ file: URL, what: String) throws -> String {
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw EmbeddedClusterError(
                .corrupt, "Could not read the cluster's \(what) from \(file.path).",
                details: "\(error)",
                fix: "Run as the user who created \(home.path); if the file is gone, the cluster must be made again (move \(pgDirectory.path) away).")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: Directories and the lock

    /// Creates `home` and `home/pg`; as root, checks that the postgres user can reach `home/pg`.
    private func prepareDirectories(_ context: EmbeddedServerContext) throws {
        let fm = FileManager.default
        for directory in [home, pgDirectory] where !fm.fileExists(atPath: directory.path) {
            do {
                // 0755: as root, the server user must be able to pass through these folders.
                try fm.createDirectory(
                    at: directory, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o755])
            } catch {
                throw EmbeddedClusterError(
                    .filesystem, "Could not create \(directory.path).", details: "\(error)",
                    fix: "Check the permissions of its parent folder, or set SEALBOOK_HOME to a folder you can write.")
            }
        }
        if let user = context.serverUser {
            try user.checkCanTraverse(pgDirectory)
        }
    }

    /// Runs `body` holding an exclusive `flock` on `home/lock`.
    private func withLock<T>(_ body: () throws -> T) throws -> T {
        let fd = open(lockFile.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw EmbeddedClusterError(
                .filesystem, "Could not open the lock file \(lockFile.path): \(errnoText()).",
                fix: "Check that you can write to \(home.path).")
        }
        defer { close(fd) }  // closing releases the lock
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            throw EmbeddedClusterError(
                .filesystem, "Could not lock \(lockFile.path): \(errnoText()).")
        }
        return try body()
    }

    // MARK: initdb

    private func initialize(_ context: EmbeddedServerContext, log: (String) -> Void) throws {
        let fm = FileManager.default
        let building = initDirectory
        if fm.fileExists(atPath: building.path) {
            // Left over by an attempt that was interrupted; it never held data.
            try removeItem(building)
        }
        log("Creating a private PostgreSQL cluster in \(dataDirectory.path) (initdb from \(context.binaries.directory.path))")

        // The password of the `sealbook` role: 32 random bytes, hex.
        var generator = SystemRandomNumberGenerator()
        let password = (0..<32).map { _ in
            let byte = UInt8.random(in: .min ... .max, using: &generator)
            return String(byte, radix: 16).leftPadded(to: 2)
        }.joined()
        try? fm.removeItem(at: passwordFile)
        try writeNewFile(passwordFile, contents: password + "\n", mode: 0o600, owner: nil)

        do {
            try fm.createDirectory(
                at: building, withIntermediateDirectories: false,
                attributes: [.posixPermissions: 0o700])
        } catch {
            throw EmbeddedClusterError(
                .filesystem, "Could not create \(building.path).", details: "\(error)")
        }
        if let user = context.serverUser { try user.chown(building) }

        // initdb reads the password from a file that only the server user can read, removed
        // as soon as initdb is done.
        let passwordInput = pgDirectory.appendingPathComponent(".initdb-pwfile-\(UUID().uuidString)")
        try writeNewFile(passwordInput, contents: password + "\n", mode: 0o600, owner: context.serverUser)
        let initdb: ProcessResult
        do {
            defer { try? fm.removeItem(at: passwordInput) }
            initdb = try context.run(
                context.binaries.initdb,
                [
                    "-D", building.path, "-U", "sealbook", "--auth=scram-sha-256",
                    "--pwfile=\(passwordInput.path)", "-E", "UTF8", "--locale=C",
                ],
                in: pgDirectory)
        }
        guard initdb.status == 0 else {
            try? removeItem(building)
            throw EmbeddedClusterError(
                .initFailed, "initdb failed (exit \(initdb.status)) for \(building.path).",
                details: initdb.output,
                fix: "Fix the cause above and run the command again.")
        }

        let port = try freePort()
        try appendToFile(
            building.appendingPathComponent("postgresql.conf"),
            """

            # Added by Sealbook: a private server, reachable on 127.0.0.1 only.
            listen_addresses = '127.0.0.1'
            port = \(port)
            unix_socket_directories = ''

            """)

        // Create the database "sealbook" in single-user mode, before the server ever listens.
        let sql = pgDirectory.appendingPathComponent(".createdb-\(UUID().uuidString).sql")
        try writeNewFile(sql, contents: "CREATE DATABASE sealbook;\n", mode: 0o644, owner: nil)
        let createdb: ProcessResult
        do {
            defer { try? fm.removeItem(at: sql) }
            createdb = try context.run(
                context.binaries.postgres,
                ["--single", "-D", building.path, "-c", "exit_on_error=true", "template1"],
                in: pgDirectory, input: sql)
        }
        guard createdb.status == 0 else {
            try? removeItem(building)
            throw EmbeddedClusterError(
                .initFailed,
                "Could not create the database \"sealbook\" (postgres --single exit \(createdb.status)).",
                details: createdb.output, fix: "Fix the cause above and run the command again.")
        }

        try? fm.removeItem(at: portFile)
        try writeNewFile(portFile, contents: "\(port)\n", mode: 0o644, owner: nil)
        do {
            try fm.moveItem(at: building, to: dataDirectory)
        } catch {
            throw EmbeddedClusterError(
                .filesystem, "Could not rename \(building.path) to \(dataDirectory.path).",
                details: "\(error)")
        }
        log("Created the database \"sealbook\"; the password is in \(passwordFile.path)")
    }

    // MARK: pg_ctl start

    private func startServer(_ context: EmbeddedServerContext, log: (String) -> Void) throws {
        var attempt = 0
        while true {
            attempt += 1
            var port = try storedPort()
            if !isPortFree(port) {
                let taken = port
                port = try freePort()
                try setPort(port)
                log("Port \(taken) on 127.0.0.1 is taken; the cluster now uses port \(port)")
            }

            let fm = FileManager.default
            if !fm.fileExists(atPath: logFile.path) {
                try writeNewFile(logFile, contents: "", mode: 0o640, owner: nil)
            }
            if let user = context.serverUser { try user.chown(logFile) }
            let logOffset = (try? fm.attributesOfItem(atPath: logFile.path)[.size] as? NSNumber)?
                .uint64Value ?? 0

            log("Starting PostgreSQL on 127.0.0.1:\(port) (log: \(logFile.path))")
            let result = try context.run(
                context.binaries.pgCtl,
                ["start", "-D", dataDirectory.path, "-l", logFile.path, "-w", "-t", "60"],
                in: pgDirectory)
            if result.status == 0 { return }

            let newLog = logTail(from: logOffset)
            // Someone took the port between the check and the bind: try another one.
            if attempt < 3, newLog.contains("could not bind") || newLog.contains("Address already in use") {
                let next = try freePort()
                try setPort(next)
                log("Port \(port) was taken while starting; trying port \(next)")
                continue
            }
            throw EmbeddedClusterError(
                .startFailed,
                "The PostgreSQL server in \(dataDirectory.path) did not start (pg_ctl exit \(result.status)).",
                details: [result.output, newLog.isEmpty ? "" : "Last lines of \(logFile.path):\n\(newLog)"]
                    .filter { !$0.isEmpty }.joined(separator: "\n"),
                fix: "Fix the cause shown in the server log and run the command again.")
        }
    }

    /// Rewrites the `port = …` line(s) of `postgresql.conf` and `home/pg/port`.
    private func setPort(_ port: Int) throws {
        let conf = dataDirectory.appendingPathComponent("postgresql.conf")
        let text: String
        do {
            text = try String(contentsOf: conf, encoding: .utf8)
        } catch {
            throw EmbeddedClusterError(.filesystem, "Could not read \(conf.path).", details: "\(error)")
        }
        var replaced = false
        var lines = text.components(separatedBy: "\n").map { line -> String in
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
            guard trimmed.hasPrefix("port") else { return line }
            let rest = trimmed.dropFirst(4).drop(while: { $0 == " " || $0 == "\t" })
            guard rest.hasPrefix("=") else { return line }
            replaced = true
            return "port = \(port)"
        }
        if !replaced {
            lines.insert("port = \(port)", at: lines.endIndex - (lines.last == "" ? 1 : 0))
        }
        // Rewrite in place, so that the file keeps its owner (the server user) and mode.
        do {
            let handle = try FileHandle(forUpdating: conf)
            defer { try? handle.close() }
            try handle.truncate(atOffset: 0)
            try handle.write(contentsOf: Data(lines.joined(separator: "\n").utf8))
        } catch {
            throw EmbeddedClusterError(.filesystem, "Could not write \(conf.path).", details: "\(error)")
        }
        try? FileManager.default.removeItem(at: portFile)
        try writeNewFile(portFile, contents: "\(port)\n", mode: 0o644, owner: nil)
    }

    /// The server log written since `offset` (or its end, if nothing was), at most 30 lines.
    private func logTail(from offset: UInt64) -> String {
        guard let handle = try? FileHandle(forReadingFrom: logFile) else { return "" }
        defer { try? handle.close() }
        var data = (try? handle.seek(toOffset: offset)).flatMap { try? handle.readToEnd() } ?? Data()
        if data.isEmpty {
            try? handle.seek(toOffset: 0)
            data = (try? handle.readToEnd()) ?? Data()
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        return lines.suffix(31).joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: Files

    /// Creates `url` (which must not exist) with `mode` from the start, so it is never readable
    /// by others, optionally owned by the server user.
    private func writeNewFile(_ url: URL, contents: String, mode: mode_t, owner: EmbeddedServerUser?) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw EmbeddedClusterError(.filesystem, "Could not create \(url.path): \(errnoText()).")
        }
        defer { close(fd) }
        _ = fchmod(fd, mode)  // in case the umask took bits away
        if let owner, fchown(fd, owner.uid, owner.gid) != 0 {
            throw EmbeddedClusterError(
                .filesystem, "Could not give \(url.path) to the user \(owner.name): \(errnoText()).")
        }
        let bytes = Array(contents.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw EmbeddedClusterError(.filesystem, "Could not write \(url.path): \(errnoText()).")
            }
            written += n
        }
    }

    private func appendToFile(_ url: URL, _ text: String) throws {
        do {
            let handle = try FileHandle(forWritingTo: url)
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
        } catch {
            throw EmbeddedClusterError(.filesystem, "Could not append to \(url.path).", details: "\(error)")
        }
    }

    private func removeItem(_ url: URL) throws {
        do {
            try FileManager.default.removeItem(at: url)
        } catch {
            throw EmbeddedClusterError(
                .filesystem, "Could not remove \(url.path).", details: "\(error)",
                fix: "Remove it by hand and run the command again.")
        }
    }
}

// MARK: - Errors

/// A failure of ``EmbeddedCluster``: what failed, the tool's output or the server log when there
/// is one, and what to do.
public struct EmbeddedClusterError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, broadly; match on it in a `catch`.
    public enum Kind: Sendable, Equatable {
        /// No PostgreSQL server binaries (`initdb`, `pg_ctl`, `postgres`) were found.
        case binariesNotFound
        /// As root: the `postgres` user or `runuser` is missing, or cannot reach the folder.
        case serverUser
        /// A file or folder of the cluster could not be created, read or written.
        case filesystem
        /// The cluster has not been created yet.
        case notInitialized
        /// A stored file (port, password) is missing or unreadable.
        case corrupt
        /// `initdb` or the creation of the database failed.
        case initFailed
        /// `pg_ctl start` failed; the message holds the end of the server log.
        case startFailed
        /// `pg_ctl stop` failed.
        case stopFailed
        /// `pg_ctl status` gave an unexpected answer.
        case statusFailed
        /// A program could not be run at all.
        case processFailed
    }

    /// What went wrong, broadly.
    public let kind: Kind
    /// One sentence: what failed, and where.
    public let message: String
    /// The failing tool's output or the end of the server log, if any. Never holds the password.
    public let details: String?
    /// What to do about it.
    public let fix: String?

    init(_ kind: Kind, _ message: String, details: String? = nil, fix: String? = nil) {
        self.kind = kind
        self.message = message
        let trimmed = details?.trimmingCharacters(in: .whitespacesAndNewlines)
        self.details = (trimmed?.isEmpty ?? true) ? nil : trimmed
        self.fix = fix
    }

    public var description: String {
        var text = message
        if let details {
            text += "\n" + details.split(separator: "\n", omittingEmptySubsequences: false)
                .map { "  | " + $0 }.joined(separator: "\n")
        }
        if let fix { text += "\n" + fix }
        return text
    }
}

// MARK: - Server binaries

/// The PostgreSQL server programs used to run the cluster.
struct EmbeddedServerBinaries: Sendable, Equatable {
    let directory: URL
    var initdb: URL { directory.appendingPathComponent("initdb") }
    var pgCtl: URL { directory.appendingPathComponent("pg_ctl") }
    var postgres: URL { directory.appendingPathComponent("postgres") }

    static let required = ["initdb", "pg_ctl", "postgres"]

    /// Whether `directory` holds every program in ``required``, executable.
    static func isComplete(_ directory: String) -> Bool {
        required.allSatisfy { FileManager.default.isExecutableFile(atPath: directory + "/" + $0) }
    }

    /// `$SEALBOOK_PG_BIN` if set, else the highest-numbered `<root>/*/bin` holding the server
    /// programs, else `pg_config --bindir`.
    static func locate(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        versionedRoot: String = "/usr/lib/postgresql"
    ) throws -> EmbeddedServerBinaries {
        if let explicit = environment["SEALBOOK_PG_BIN"], !explicit.isEmpty {
            guard isComplete(explicit) else {
                throw EmbeddedClusterError(
                    .binariesNotFound,
                    "SEALBOOK_PG_BIN is \(explicit), which does not hold the PostgreSQL server programs \(required.joined(separator: ", ")).",
                    fix: "Point SEALBOOK_PG_BIN at the bin folder of a PostgreSQL server installation, or unset it.")
            }
            return EmbeddedServerBinaries(directory: URL(fileURLWithPath: explicit, isDirectory: true))
        }

        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: versionedRoot)) ?? [])
            .compactMap { name -> (version: [Int], path: String)? in
                let parts = name.split(separator: ".").map { Int($0) }
                guard !parts.isEmpty, !parts.contains(nil) else { return nil }
                let path = versionedRoot + "/" + name + "/bin"
                return isComplete(path) ? (parts.map { $0! }, path) : nil
            }
            .sorted { $0.version.lexicographicallyPrecedes($1.version) }
        if let newest = versions.last {
            return EmbeddedServerBinaries(directory: URL(fileURLWithPath: newest.path, isDirectory: true))
        }

        if let bindir = pgConfigBindir(environment: environment), isComplete(bindir) {
            return EmbeddedServerBinaries(directory: URL(fileURLWithPath: bindir, isDirectory: true))
        }
        throw EmbeddedClusterError(
            .binariesNotFound,
            "PostgreSQL server binaries not found (looked for \(required.joined(separator: ", ")) in \(versionedRoot)/*/bin and in pg_config --bindir).",
            fix: "Install postgresql-15 (apt-get install postgresql-15) or set SEALBOOK_PG_BIN to the folder that holds initdb and pg_ctl.")
    }

    private static func pgConfigBindir(environment: [String: String]) -> String? {
        let path = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        guard let pgConfig = path.map({ "\($0)/pg_config" }).first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        }) else { return nil }
        guard let result = try? runProcess(URL(fileURLWithPath: pgConfig), ["--bindir"]),
            result.status == 0
        else { return nil }
        let bindir = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        return bindir.isEmpty ? nil : bindir
    }
}

// MARK: - Who runs the server

/// The OS user that runs the server when the caller is root.
struct EmbeddedServerUser: Sendable {
    let name: String
    let uid: uid_t
    let gid: gid_t
    let groups: [gid_t]

    static func lookup(_ name: String) -> EmbeddedServerUser? {
        guard let entry = getpwnam(name) else { return nil }
        let uid = entry.pointee.pw_uid
        let gid = entry.pointee.pw_gid
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        #if canImport(Darwin)
        let found = groups.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: Int32.self, capacity: buffer.count) {
                getgrouplist(name, Int32(bitPattern: gid), $0, &count)
            }
        }
        #else
        let found = getgrouplist(name, gid, &groups, &count)
        #endif
        let list = found >= 0 ? Array(groups.prefix(Int(count))) : [gid]
        return EmbeddedServerUser(name: name, uid: uid, gid: gid, groups: list)
    }

    func chown(_ url: URL) throws {
        guard changeOwner(url.path, uid, gid) == 0 else {
            throw EmbeddedClusterError(
                .filesystem, "Could not give \(url.path) to the user \(name): \(errnoText()).")
        }
    }

    /// Throws, naming the folder, unless this user may pass through `url` and every folder
    /// above it.
    func checkCanTraverse(_ url: URL) throws {
        var folders: [String] = []
        var current = url.resolvingSymlinksInPath().path
        while true {
            folders.append(current)
            if current == "/" || current.isEmpty { break }
            current = (current as NSString).deletingLastPathComponent
        }
        for folder in folders.reversed() {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: folder),
                let mode = (attributes[.posixPermissions] as? NSNumber)?.uint16Value,
                let owner = (attributes[.ownerAccountID] as? NSNumber)?.uint32Value,
                let group = (attributes[.groupOwnerAccountID] as? NSNumber)?.uint32Value
            else { continue }
            let allowed: Bool
            if owner == uid {
                allowed = mode & 0o100 != 0
            } else if groups.contains(group) {
                allowed = mode & 0o010 != 0
            } else {
                allowed = mode & 0o001 != 0
            }
            if !allowed {
                throw EmbeddedClusterError(
                    .serverUser,
                    "As root, Sealbook runs PostgreSQL as the user \(name), who cannot enter the folder \(folder) (mode \(String(mode, radix: 8)), needed to reach \(url.path)).",
                    fix: "Give it search permission (chmod o+x \(folder)), or put the project folder elsewhere with SEALBOOK_HOME (e.g. under /srv or /var/lib).")
            }
        }
    }
}

/// How to run the server programs: directly, or as root through `runuser -u postgres --`.
private struct EmbeddedServerContext {
    let binaries: EmbeddedServerBinaries
    /// Set when the caller is root: the server programs run as this user.
    let serverUser: EmbeddedServerUser?
    let runuser: URL?

    var isRoot: Bool { serverUser != nil }

    static func make() throws -> EmbeddedServerContext {
        let binaries = try EmbeddedServerBinaries.locate()
        guard getuid() == 0 else { return EmbeddedServerContext(binaries: binaries, serverUser: nil, runuser: nil) }
        guard let user = EmbeddedServerUser.lookup("postgres") else {
            throw EmbeddedClusterError(
                .serverUser,
                "Running as root, but there is no OS user \"postgres\" to run the PostgreSQL server as (PostgreSQL refuses to run as root).",
                fix: "Install postgresql-15 (it creates the user), create a \"postgres\" user, or run sealbook as a normal user.")
        }
        guard let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser", "/bin/runuser"]
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else {
            throw EmbeddedClusterError(
                .serverUser, "Running as root, but runuser (util-linux) is not installed.",
                fix: "Install util-linux, or run sealbook as a normal user.")
        }
        return EmbeddedServerContext(
            binaries: binaries, serverUser: user, runuser: URL(fileURLWithPath: runuser))
    }

    /// Runs a server program as the server user (or directly when not root).
    func run(_ program: URL, _ arguments: [String], in directory: URL, input: URL? = nil) throws
        -> ProcessResult
    {
        if let serverUser, let runuser {
            return try runProcess(
                runuser, ["-u", serverUser.name, "--", program.path] + arguments,
                in: directory, input: input)
        }
        return try runProcess(program, arguments, in: directory, input: input)
    }
}

// MARK: - Processes

private struct ProcessResult {
    let status: Int32
    /// stdout and stderr, interleaved.
    let output: String
}

/// Runs a program to its end and returns its exit status and output.
///
/// The output goes to a temporary file rather than a pipe, and the program is started with
/// ``ChildProcess/spawn(executable:arguments:environment:directory:stdin:stdout:stderr:defaultSignals:)``,
/// every other descriptor closed: `pg_ctl start` leaves a server behind that inherits whatever
/// descriptors `pg_ctl` had, and a pipe it kept would keep a reader waiting for the server to stop.
private func runProcess(
    _ executable: URL, _ arguments: [String], in directory: URL? = nil, input: URL? = nil
) throws -> ProcessResult {
    // English messages, and no PG* variables (PGDATA, PGPORT, …) that would change what the
    // programs do.
    var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
    environment["LC_ALL"] = "C"

    let outputPath = FileManager.default.temporaryDirectory
        .appendingPathComponent("sealbook-embedded-\(UUID().uuidString).out").path
    let outputFD = open(outputPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard outputFD >= 0 else {
        throw EmbeddedClusterError(
            .processFailed, "Could not create the temporary file \(outputPath): \(errnoText()).")
    }
    defer {
        close(outputFD)
        unlink(outputPath)
    }
    let inputFD = open(input?.path ?? "/dev/null", O_RDONLY | O_CLOEXEC)
    guard inputFD >= 0 else {
        throw EmbeddedClusterError(
            .processFailed, "Could not open \(input?.path ?? "/dev/null"): \(errnoText()).")
    }
    defer { close(inputFD) }

    // Default handling for the signals a server and its tools rely on, whatever this process does.
    let spawned = ChildProcess.spawn(
        executable: executable.path, arguments: [executable.path] + arguments, environment: environment,
        directory: directory?.path, stdin: .descriptor(inputFD), stdout: .descriptor(outputFD),
        stderr: .descriptor(outputFD),
        defaultSignals: [SIGPIPE, SIGCHLD, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2])
    let pid: pid_t
    switch spawned {
    case .success(let child): pid = child
    case .failure(let failure):
        throw EmbeddedClusterError(.processFailed, "Could not run \(executable.path): \(failure.description).")
    }
    guard let status = ChildProcess.wait(pid) else {
        throw EmbeddedClusterError(.processFailed, "Could not wait for \(executable.path): \(errnoText()).")
    }
    let text = (try? String(contentsOf: URL(fileURLWithPath: outputPath), encoding: .utf8)) ?? ""
    return ProcessResult(status: ChildProcess.shellStatus(status), output: text)
}

// MARK: - Ports

/// A TCP port on 127.0.0.1 that nobody listens on now: bind to port 0, read the port, close.
private func freePort() throws -> Int {
    let fd = tcpSocket()
    guard fd >= 0 else {
        throw EmbeddedClusterError(.processFailed, "Could not open a socket: \(errnoText()).")
    }
    defer { close(fd) }
    var address = loopbackAddress(port: 0)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard bound == 0 else {
        throw EmbeddedClusterError(.processFailed, "Could not bind a socket to 127.0.0.1: \(errnoText()).")
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else {
        throw EmbeddedClusterError(.processFailed, "Could not read the port of a socket: \(errnoText()).")
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Whether the server could bind `port` on 127.0.0.1 now (with SO_REUSEADDR, as it does).
private func isPortFree(_ port: Int) -> Bool {
    let fd = tcpSocket()
    guard fd >= 0 else { return true }
    defer { close(fd) }
    var yes: Int32 = 1
    _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    var address = loopbackAddress(port: port)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    } == 0
}

private func tcpSocket() -> Int32 {
    #if canImport(Glibc) || canImport(Musl)
    return socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    return socket(AF_INET, SOCK_STREAM, 0)
    #endif
}

private func loopbackAddress(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port)).bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    return address
}

// MARK: - Small helpers

private func errnoText() -> String {
    String(cString: strerror(errno))
}

/// `chown(2)`, under a name that does not clash with `EmbeddedServerUser.chown(_:)`.
private func changeOwner(_ path: String, _ uid: uid_t, _ gid: gid_t) -> Int32 {
    chown(path, uid, gid)
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
