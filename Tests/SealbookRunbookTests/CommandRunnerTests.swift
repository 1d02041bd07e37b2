import Foundation
import SealbookCore
import Testing

@testable import SealbookRunbook

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `CommandRunner` with real processes (`/bin/sh -c …`). Serialized: one test sends a signal to
/// this process, which the runner passes on to every command running at that moment.
@Suite("CommandRunner", .serialized)
struct CommandRunnerTests {
    // MARK: Running and recording

    @Test("success: exit 0, exact stdout and stderr bytes, their SHA-256 and sizes")
    func success() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let (out, err) = (try dir.sink("out"), try dir.sink("err"))
        let result = try shell(#"printf 'a\000b\377c\n'; printf 'warn\001\n' >&2"#, in: dir)
            .run(stdout: out.handle, stderr: err.handle)

        let expectedOut: [UInt8] = [0x61, 0x00, 0x62, 0xFF, 0x63, 0x0A]
        let expectedErr: [UInt8] = Array("warn".utf8) + [0x01, 0x0A]
        #expect(result.outcome == .success)
        #expect(result.exitCode == 0)
        #expect(result.signal == nil)
        #expect(result.shellExitCode == 0)
        #expect(result.stdout == OutputDigest(sha256: SHA256.hash(expectedOut).hex, sizeBytes: 6))
        #expect(result.stderr == OutputDigest(sha256: SHA256.hash(expectedErr).hex, sizeBytes: 6))
        #expect(try out.contents() == expectedOut)
        #expect(try err.contents() == expectedErr)
        #expect(result.alembic == nil)
    }

    @Test("5 MB on stdout and 3 MB on stderr at once: read concurrently, nothing lost")
    func largeOutput() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let (out, err) = (try dir.sink("out"), try dir.sink("err"))
        let line = "line of text 0123456789\n"
        let result = try shell(
            "yes 'err' | head -c 3000000 >&2 & yes 'line of text 0123456789' | head -c 5000000; wait",
            in: dir
        ).run(stdout: out.handle, stderr: err.handle)

        let expectedOut = repeated(line, count: 5_000_000)
        let expectedErr = repeated("err\n", count: 3_000_000)
        #expect(result.outcome == .success)
        #expect(result.stdout == OutputDigest(sha256: SHA256.hash(expectedOut).hex, sizeBytes: 5_000_000))
        #expect(result.stderr == OutputDigest(sha256: SHA256.hash(expectedErr).hex, sizeBytes: 3_000_000))
        #expect(try out.contents() == expectedOut)
        #expect(try err.contents() == expectedErr)
    }

    @Test("a non-zero exit is failed, and sealbook exits with the same code")
    func nonZeroExit() throws {
        let result = try shell("echo partial; exit 3").run(stdout: devNull(), stderr: devNull())
        #expect(result.outcome == .failed)
        #expect(result.exitCode == 3)
        #expect(result.signal == nil)
        #expect(result.shellExitCode == 3)
        #expect(result.stdout.sizeBytes == 8)
    }

    @Test(
        "a command ended by SIGKILL, SIGTERM, SIGINT or SIGHUP is killed (128 + signal)",
        arguments: [(SIGKILL, "KILL"), (SIGTERM, "TERM"), (SIGINT, "INT"), (SIGHUP, "HUP")])
    func killed(signal: Int32, name: String) throws {
        let result = try shell("echo before; kill -s \(name) $$; echo after").run(stdout: devNull(), stderr: devNull())
        #expect(result.outcome == .killed)
        #expect(result.exitCode == nil)
        #expect(result.signal == signal)
        #expect(result.shellExitCode == 128 + signal)
        #expect(result.stdout.sizeBytes == 7)  // "before\n"
    }

    @Test(
        "a command ended by any other signal (SIGSEGV, SIGABRT, SIGBUS) crashed",
        arguments: [(SIGSEGV, "SEGV"), (SIGABRT, "ABRT"), (SIGBUS, "BUS")])
    func crashed(signal: Int32, name: String) throws {
        let dir = try TempDir()  // in case a core file is written anyway
        defer { dir.remove() }
        let result = try shell("ulimit -c 0; kill -s \(name) $$", in: dir).run(stdout: devNull(), stderr: devNull())
        #expect(result.outcome == .crashed)
        #expect(result.exitCode == nil)
        #expect(result.signal == signal)
        #expect(result.shellExitCode == 128 + signal)
    }

    @Test("outcome and shell exit code from an exit code or a signal")
    func classify() {
        #expect(CommandResult.classify(exitCode: 0, signal: nil) == .success)
        #expect(CommandResult.classify(exitCode: 1, signal: nil) == .failed)
        #expect(CommandResult.classify(exitCode: 255, signal: nil) == .failed)
        #expect(CommandResult.classify(exitCode: nil, signal: SIGKILL) == .killed)
        #expect(CommandResult.classify(exitCode: nil, signal: SIGHUP) == .killed)
        #expect(CommandResult.classify(exitCode: nil, signal: SIGQUIT) == .crashed)
        #expect(CommandResult.classify(exitCode: nil, signal: SIGFPE) == .crashed)
    }

    @Test("duration on the monotonic clock, RFC 3339 UTC timestamps")
    func durationAndTimestamps() throws {
        let result = try shell("sleep 0.3").run(stdout: devNull(), stderr: devNull())
        #expect(result.durationMs >= 300)
        #expect(result.durationMs < 5_000)
        let layout = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/
        #expect(result.startedAt.wholeMatch(of: layout) != nil)
        #expect(result.finishedAt.wholeMatch(of: layout) != nil)
        #expect(result.startedAt < result.finishedAt)
    }

    // MARK: Cannot start

    @Test("a program not in PATH cannot start, and says so")
    func notFound() throws {
        let runner = CommandRunner(
            argv: ["sealbook-no-such-command", "upgrade"], cwd: "/", environment: ["PATH": "/usr/bin:/bin"],
            recordedVariables: [])
        let error = #expect(throws: CommandRunnerError.self) {
            try runner.run(stdout: devNull(), stderr: devNull())
        }
        guard case .cannotStart(let program, let reason) = error else {
            Issue.record("expected .cannotStart, got \(String(describing: error))")
            return
        }
        #expect(program == "sealbook-no-such-command")
        #expect(reason.contains("not found in PATH (/usr/bin:/bin)"))
        #expect(error?.description.hasPrefix("Could not start `sealbook-no-such-command`: not found") == true)
    }

    @Test("a file that is not executable, a directory, or a missing directory cannot start")
    func notExecutable() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let script = dir.path + "/migrate.sh"
        try Data("#!/bin/sh\necho hi\n".utf8).write(to: URL(fileURLWithPath: script))
        let cases: [(argv: [String], cwd: String, says: String)] = [
            ([script], dir.path, "is not executable"),
            (["./migrate.sh"], dir.path, "is not executable"),
            ([dir.path], "/", "is a directory"),
            (["/bin/sh", "-c", "true"], dir.path + "/missing", "the directory \(dir.path)/missing does not exist"),
            ([], "/", "no command was given"),
        ]
        for (argv, cwd, says) in cases {
            let runner = CommandRunner(
                argv: argv, cwd: cwd, environment: ProcessInfo.processInfo.environment, recordedVariables: [])
            let error = #expect(throws: CommandRunnerError.self) {
                try runner.run(stdout: devNull(), stderr: devNull())
            }
            guard case .cannotStart(_, let reason) = error else { continue }
            #expect(reason.contains(says), "\(argv): \(reason)")
        }
    }

    // MARK: What is recorded at the start

    @Test("only the listed variables that are set are recorded")
    func recordedVariables() {
        let runner = CommandRunner(
            argv: ["/bin/sh", "-c", "true"], cwd: "/srv/app",
            environment: [
                "ENVIRONMENT": "production", "BACKUP_VERIFIED": "true", "SECRET_TOKEN": "s3cr3t",
                "PATH": "/usr/bin:/bin",
            ],
            recordedVariables: ["ENVIRONMENT", "BACKUP_VERIFIED", "MIGRATION_TIMEOUT", "MIGRATION_AUDIT_ENABLED"])
        let start = runner.describeStart()
        #expect(start.environment == ["ENVIRONMENT": "production", "BACKUP_VERIFIED": "true"])
        #expect(start.argv == ["/bin/sh", "-c", "true"])
        #expect(start.cwd == "/srv/app")
        #expect(start.alembic == nil)
    }

    @Test("the command runs in cwd, with the given environment; a relative program is found from cwd")
    func cwdAndEnvironment() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.path + "/bin", withIntermediateDirectories: true)
        try dir.executable("bin/where.sh", "#!/bin/sh\npwd -P\necho \"$ENVIRONMENT\"\n")
        let runner = CommandRunner(
            argv: ["./bin/where.sh"], cwd: dir.path,
            environment: ["PATH": "/usr/bin:/bin", "ENVIRONMENT": "staging"], recordedVariables: ["ENVIRONMENT"])
        #expect(runner.describeStart().cwd == dir.path)
        let out = try dir.sink("out")
        let result = try runner.run(stdout: out.handle, stderr: devNull())
        #expect(result.outcome == .success)
        let real = URL(fileURLWithPath: dir.path).resolvingSymlinksInPath().path
        #expect(String(decoding: try out.contents(), as: UTF8.self) == "\(real)\nstaging\n")
    }

    #if os(Linux)
    @Test("the command gets stdin, stdout and stderr and no other descriptor of this process")
    func noInheritedDescriptors() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let leaky = open("/dev/null", O_RDONLY)  // no O_CLOEXEC: exec alone would pass it on
        defer { close(leaky) }
        #expect(leaky > 2)
        let out = try dir.sink("out")
        let result = try shell("exec ls /proc/self/fd").run(stdout: out.handle, stderr: devNull())
        #expect(result.outcome == .success)
        // 3 is the directory ls itself opens to list it.
        #expect(String(decoding: try out.contents(), as: UTF8.self) == "0\n1\n2\n3\n")
    }
    #endif

    // MARK: Processes left behind, live output, signals

    @Test("a command that leaves a process running in the background still ends promptly")
    func backgroundGrandchild() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        let out = try dir.sink("out")
        let started = Date()
        let result = try shell("sleep 30 & echo $!").run(stdout: out.handle, stderr: devNull())
        let elapsed = Date().timeIntervalSince(started)
        let text = String(decoding: try out.contents(), as: UTF8.self)
        if let grandchild = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            kill(grandchild, SIGTERM)  // the sleep this test started
        }
        #expect(result.outcome == .success)
        #expect(elapsed < 5, "took \(elapsed) s")
        #expect(result.stdout.sizeBytes == Int64(text.utf8.count))
    }

    @Test("output reaches the sink while the command still runs")
    func liveStreaming() throws {
        let sink = Pipe()
        let reader = PipeReader(sink.fileHandleForReading)
        let started = DispatchTime.now()
        let result = try shell("printf first; sleep 1; printf second").run(
            stdout: sink.fileHandleForWriting, stderr: devNull())
        let ended = DispatchTime.now()
        try sink.fileHandleForWriting.close()
        let (firstChunk, firstAt, all) = reader.wait()

        #expect(result.outcome == .success)
        #expect(all == Array("firstsecond".utf8))
        #expect(firstChunk == Array("first".utf8))
        let firstSeconds = Double(firstAt.uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        let endSeconds = Double(ended.uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        #expect(endSeconds >= 1)
        #expect(firstSeconds < endSeconds - 0.5, "first chunk at \(firstSeconds) s, end at \(endSeconds) s")
    }

    @Test(
        "SIGINT or SIGTERM sent to sealbook stops the command (killed), and the handlers come back",
        .enabled(
            if: !isIgnored(SIGINT) && !isIgnored(SIGTERM),
            "this test process ignores SIGINT or SIGTERM (nohup), and run leaves an ignored signal ignored"),
        arguments: [SIGINT, SIGTERM])
    func forwardsSignals(signal: Int32) throws {
        let before = currentHandler(signal)
        let pipeBefore = currentHandler(SIGPIPE)
        let sink = Pipe()
        // When the command says it is ready, send the signal to this process (not to the command).
        let reader = PipeReader(sink.fileHandleForReading) { _ in kill(getpid(), signal) }
        let started = Date()
        let result = try shell("echo ready; exec sleep 20").run(stdout: sink.fileHandleForWriting, stderr: devNull())
        try sink.fileHandleForWriting.close()
        _ = reader.wait()

        #expect(result.outcome == .killed)
        #expect(result.signal == signal)
        #expect(result.shellExitCode == 128 + signal)
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(currentHandler(signal) == before)
        #expect(currentHandler(SIGPIPE) == pipeBefore)
    }

    @Test("a sink that fails (closed pipe) does not stop the command, and the digests stay complete")
    func brokenSink() throws {
        let sink = Pipe()
        try sink.fileHandleForReading.close()
        let result = try shell("yes abc | head -c 200000").run(stdout: sink.fileHandleForWriting, stderr: devNull())
        #expect(result.outcome == .success)
        #expect(result.stdout.sizeBytes == 200_000)
        #expect(result.stdout.sha256 == SHA256.hash(repeated("abc\n", count: 200_000)).hex)
    }

    // MARK: alembic

    static let argvCases: [([String], AlembicInvocation?)] = [
        (["alembic", "upgrade", "head"], .init(action: .upgrade, target: "head")),
        (["alembic", "-c", "alembic.ini", "upgrade", "head"], .init(action: .upgrade, target: "head")),
        (["alembic", "-x", "tenant=acme", "--raiseerr", "downgrade", "-1"], .init(action: .downgrade, target: "-1")),
        (["/srv/app/.venv/bin/alembic", "upgrade", "+2"], .init(action: .upgrade, target: "+2")),
        (["python", "-m", "alembic", "upgrade", "ae1027a6acf"], .init(action: .upgrade, target: "ae1027a6acf")),
        (["python", "-malembic", "upgrade", "head"], .init(action: .upgrade, target: "head")),
        (["python3.12", "-u", "-m", "alembic", "--config=db/alembic.ini", "current"], .init(action: .current, target: nil)),
        (["alembic", "current", "--verbose"], .init(action: .current, target: nil)),
        (["alembic", "history", "-r", "base:head", "--verbose"], .init(action: .history, target: "base:head")),
        (["alembic", "history"], .init(action: .history, target: nil)),
        (["alembic", "upgrade", "head", "--sql"], .init(action: .upgrade, target: "head", sqlOnly: true)),
        (
            ["alembic", "-n", "reporting", "upgrade", "1975ea83b712:ae1027a6acf", "--sql"],
            .init(action: .upgrade, target: "1975ea83b712:ae1027a6acf", sqlOnly: true)
        ),
        (["alembic", "--name", "reporting", "-xdata=1", "downgrade", "base"], .init(action: .downgrade, target: "base")),
        (["alembic", "upgrade", "--tag", "release-7", "heads"], .init(action: .upgrade, target: "heads")),
        (["alembic", "stamp", "head"], nil),
        (["alembic", "--help"], nil),
        (["alembic", "upgrade", "--help"], nil),
        (["python3", "manage.py", "upgrade", "head"], nil),
        (["python3", "-c", "import alembic", "upgrade"], nil),
        (["sh", "-c", "alembic upgrade head"], nil),
        (["alembic"], nil),
    ]

    @Test("alembic recognised in argv", arguments: argvCases)
    func alembicArgv(argv: [String], expected: AlembicInvocation?) {
        #expect(AlembicInvocation.parse(argv: argv) == expected)
        let start = CommandRunner(argv: argv, cwd: "/", environment: [:], recordedVariables: []).describeStart()
        #expect(start.alembic == expected)
    }

    @Test(
        "the heads command of an alembic command line keeps its program, interpreter and global options",
        arguments: [
            (["alembic", "upgrade", "head"], ["alembic", "heads"]),
            (["alembic", "-c", "demo/alembic.ini", "-x", "tenant=eu", "upgrade", "head"], ["alembic", "-c", "demo/alembic.ini", "-x", "tenant=eu", "heads"]),
            (["alembic", "-c", "upgrade", "upgrade", "head"], ["alembic", "-c", "upgrade", "heads"]),
            (["python3", "-m", "alembic", "--config=a.ini", "upgrade", "head", "--sql"], ["python3", "-m", "alembic", "--config=a.ini", "heads"]),
            ([".venv/bin/alembic", "-n", "prod", "upgrade", "head"], [".venv/bin/alembic", "-n", "prod", "heads"]),
            (["alembic", "-q", "-c", "a.ini", "upgrade", "head"], ["alembic", "-c", "a.ini", "heads"]),
        ])
    func headsArgv(argv: [String], expected: [String]) {
        #expect(AlembicInvocation.headsArgv(argv) == expected)
    }

    @Test("no heads command for what is not an alembic command line", arguments: [["psql", "-c", "select 1"], ["alembic", "--help"], ["alembic"], []])
    func noHeadsArgv(argv: [String]) {
        #expect(AlembicInvocation.headsArgv(argv) == nil)
    }

    @Test("alembic's upgrade log: steps, from and to revisions, messages")
    func alembicUpgradeLog() {
        let stderr = """
            INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.
            INFO  [alembic.runtime.migration] Will assume transactional DDL.
            INFO  [alembic.runtime.migration] Running upgrade  -> 1975ea83b712, create account table
            INFO  [alembic.runtime.migration] Running upgrade 1975ea83b712 -> ae1027a6acf, add fee index
            INFO  [alembic.runtime.migration] Running upgrade ae1027a6acf -> 27c6a30d7c24, add payments, ledger tables
            INFO  [alembic.runtime.migration] Running upgrade 27c6a30d7c24 -> 5d0e8a1f2b3c\r

            """
        let steps = AlembicOutput.steps(in: stderr)
        #expect(
            steps == [
                AlembicStep(direction: .upgrade, from: nil, to: "1975ea83b712", message: "create account table"),
                AlembicStep(direction: .upgrade, from: "1975ea83b712", to: "ae1027a6acf", message: "add fee index"),
                AlembicStep(
                    direction: .upgrade, from: "ae1027a6acf", to: "27c6a30d7c24", message: "add payments, ledger tables"),
                AlembicStep(direction: .upgrade, from: "27c6a30d7c24", to: "5d0e8a1f2b3c", message: ""),
            ])
        let moves = AlembicMoves(action: .upgrade, steps: steps)
        #expect(moves.fromRevision == nil)
        #expect(moves.toRevision == "5d0e8a1f2b3c")
        #expect(moves.currentRevision == nil)
    }

    @Test("alembic's downgrade log, to base, and merges both ways")
    func alembicDowngradeLog() {
        let stderr = """
            INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.
            INFO  [alembic.runtime.migration] Will assume transactional DDL.
            INFO  [alembic.runtime.migration] Running downgrade 27c6a30d7c24 -> ae1027a6acf, add payments, ledger tables
            INFO  [alembic.runtime.migration] Running downgrade ae1027a6acf -> 1975ea83b712, add fee index
            INFO  [alembic.runtime.migration] Running downgrade 1975ea83b712 -> , create account table
            """
        let moves = AlembicMoves(action: .downgrade, steps: AlembicOutput.steps(in: stderr))
        #expect(moves.steps.count == 3)
        #expect(moves.steps.allSatisfy { $0.direction == .downgrade })
        #expect(moves.fromRevision == "27c6a30d7c24")
        #expect(moves.toRevision == nil)  // base
        #expect(moves.steps[1] == AlembicStep(direction: .downgrade, from: "ae1027a6acf", to: "1975ea83b712", message: "add fee index"))
        #expect(moves.steps[2].message == "create account table")

        #expect(
            AlembicOutput.step(inLine: "INFO  [alembic.runtime.migration] Running upgrade 3f2a9c1b7d40, 8e1d2c3b4a59 -> 0a1b2c3d4e5f, merge heads")
                == AlembicStep(direction: .upgrade, from: "3f2a9c1b7d40, 8e1d2c3b4a59", to: "0a1b2c3d4e5f", message: "merge heads"))
        #expect(
            AlembicOutput.step(inLine: "INFO  [alembic.runtime.migration] Running downgrade 0a1b2c3d4e5f -> 3f2a9c1b7d40, 8e1d2c3b4a59, merge heads")
                == AlembicStep(direction: .downgrade, from: "0a1b2c3d4e5f", to: "3f2a9c1b7d40, 8e1d2c3b4a59", message: "merge heads"))
        #expect(AlembicOutput.step(inLine: "INFO  [alembic.runtime.migration] Running stamp_revision  -> ae1027a6acf") == nil)
        #expect(AlembicOutput.step(inLine: "Running upgrade without an arrow") == nil)
    }

    @Test("alembic current: one revision, none, several heads, --verbose")
    func alembicCurrent() {
        #expect(AlembicOutput.currentRevisions(in: "ae1027a6acf (head)\n") == ["ae1027a6acf"])
        #expect(AlembicOutput.currentRevisions(in: "1975ea83b712\n") == ["1975ea83b712"])
        #expect(AlembicOutput.currentRevisions(in: "") == [])
        #expect(
            AlembicOutput.currentRevisions(in: "3f2a9c1b7d40 (reporting) (head)\n8e1d2c3b4a59 (head) (mergepoint)\n")
                == ["3f2a9c1b7d40", "8e1d2c3b4a59"])
        #expect(
            AlembicOutput.currentRevisions(in: "INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.\nae1027a6acf (head)\n")
                == ["ae1027a6acf"])
        let verbose = """
            Current revision(s) for postgresql://app:***@db.internal/fingood:
            Rev: ae1027a6acf (head)
            Parent: 1975ea83b712
            Path: /srv/app/migrations/versions/ae1027a6acf_add_fee_index.py

                add fee

                Revision ID: ae1027a6acf
                Revises: 1975ea83b712
                Create Date: 2026-03-02 10:11:12.000000

            """
        #expect(AlembicOutput.currentRevisions(in: verbose) == ["ae1027a6acf"])
        let moves = AlembicMoves(action: .current, steps: [], currentRevisions: ["3f2a9c1b7d40", "8e1d2c3b4a59"])
        #expect(moves.currentRevision == "3f2a9c1b7d40, 8e1d2c3b4a59")
        #expect(AlembicMoves(action: .current, steps: []).currentRevision == nil)
    }

    @Test("the line capture keeps step lines across chunk boundaries, and at most 64 KiB of them")
    func lineCapture() {
        var capture = AlembicLineCapture(action: .upgrade)
        let text = Array(
            """
            noise line
            INFO  [alembic.runtime.migration] Running upgrade  -> 1975ea83b712, create account table
            more noise
            INFO  [alembic.runtime.migration] Running upgrade 1975ea83b712 -> ae1027a6acf, add fee index
            """.utf8)
        for byte in text {  // one byte at a time: every line is cut somewhere
            [byte].withUnsafeBytes { capture.feed($0, from: .stderr) }
        }
        capture.finish()  // the last line has no newline
        #expect(capture.lines.count == 2)
        #expect(AlembicOutput.moves(for: .init(action: .upgrade, target: "head"), capture: capture).toRevision == "ae1027a6acf")

        var many = AlembicLineCapture(action: .upgrade)
        for i in 0..<3000 {
            Array("INFO  [alembic.runtime.migration] Running upgrade r\(i) -> r\(i + 1), step \(i)\n".utf8)
                .withUnsafeBytes { many.feed($0, from: .stdout) }
        }
        many.finish()
        #expect(many.lines.reduce(0) { $0 + $1.utf8.count } <= AlembicLineCapture.limit)
        #expect(many.lines.last?.hasSuffix("step 2999") == true)
        #expect(many.lines.count < 3000)

        var current = AlembicLineCapture(action: .current)
        Array("INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.\n".utf8).withUnsafeBytes {
            current.feed($0, from: .stderr)
        }
        Array("ae1027a6acf (head)\n".utf8).withUnsafeBytes { current.feed($0, from: .stdout) }
        current.finish()
        #expect(Array(current.lines) == ["ae1027a6acf (head)"])
    }

    @Test("an alembic stand-in: the moves and the current revision are read from its live output")
    func alembicEndToEnd() throws {
        let dir = try TempDir()
        defer { dir.remove() }
        try dir.executable(
            "alembic",
            """
            #!/bin/sh
            if [ "$3" = current ]; then echo 'ae1027a6acf (head)'; exit 0; fi
            echo 'INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.' >&2
            echo 'INFO  [alembic.runtime.migration] Will assume transactional DDL.' >&2
            echo 'INFO  [alembic.runtime.migration] Running upgrade  -> 1975ea83b712, create account table' >&2
            sleep 0.1
            echo 'INFO  [alembic.runtime.migration] Running upgrade 1975ea83b712 -> ae1027a6acf, add fee index' >&2

            """)
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = dir.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")

        let upgrade = CommandRunner(
            argv: ["alembic", "-c", "alembic.ini", "upgrade", "head"], cwd: dir.path, environment: environment,
            recordedVariables: [])
        #expect(upgrade.describeStart().alembic == AlembicInvocation(action: .upgrade, target: "head"))
        let moved = try upgrade.run(stdout: devNull(), stderr: devNull())
        #expect(moved.outcome == .success)
        #expect(moved.alembic?.action == .upgrade)
        #expect(moved.alembic?.steps.count == 2)
        #expect(moved.alembic?.fromRevision == nil)
        #expect(moved.alembic?.toRevision == "ae1027a6acf")

        let current = try CommandRunner(
            argv: ["alembic", "-c", "alembic.ini", "current"], cwd: dir.path, environment: environment,
            recordedVariables: []
        ).run(stdout: devNull(), stderr: devNull())
        #expect(current.alembic == AlembicMoves(action: .current, steps: [], currentRevisions: ["ae1027a6acf"]))
        #expect(current.alembic?.currentRevision == "ae1027a6acf")
    }
}

// MARK: - Helpers

private func shell(_ script: String, in dir: TempDir? = nil) -> CommandRunner {
    CommandRunner(
        argv: ["/bin/sh", "-c", script], cwd: dir?.path ?? FileManager.default.temporaryDirectory.path,
        environment: ProcessInfo.processInfo.environment, recordedVariables: [])
}

/// The first `count` bytes of `text` repeated (what `yes TEXT | head -c COUNT` prints, with
/// TEXT's newline included in `text`).
private func repeated(_ text: String, count: Int) -> [UInt8] {
    let copies = count / text.utf8.count + 1
    return Array(Array(String(repeating: text, count: copies).utf8).prefix(count))
}

private func devNull() -> FileHandle {
    FileHandle(forWritingAtPath: "/dev/null")!
}

/// A fresh directory; `remove()` deletes it.
private struct TempDir {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("sealbook-runner-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// A file to use as a sink, and a way to read what reached it.
    func sink(_ name: String) throws -> (handle: FileHandle, contents: () throws -> [UInt8]) {
        let file = path + "/" + name
        _ = FileManager.default.createFile(atPath: file, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: file))
        return (handle, { [UInt8](try Data(contentsOf: URL(fileURLWithPath: file))) })
    }

    func executable(_ name: String, _ text: String) throws {
        let file = path + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file)
    }
}

/// Reads a pipe on its own thread until EOF: the first chunk, when it came, and everything.
private final class PipeReader: @unchecked Sendable {
    // @unchecked Sendable: the fields are written by the reading thread before `done` is
    // signalled and read only after waiting on it.
    private var first: [UInt8] = []
    private var firstAt = DispatchTime.now()
    private var all: [UInt8] = []
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle, onFirstChunk: @escaping @Sendable ([UInt8]) -> Void = { _ in }) {
        Thread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                if all.isEmpty {
                    first = [UInt8](data)
                    firstAt = DispatchTime.now()
                    onFirstChunk(first)
                }
                all += data
            }
            done.signal()
        }.start()
    }

    func wait() -> (first: [UInt8], firstAt: DispatchTime, all: [UInt8]) {
        done.wait()
        return (first, firstAt, all)
    }
}

private func currentHandler(_ signal: Int32) -> Int {
    var action = sigaction()
    sigaction(signal, nil, &action)
    #if canImport(Darwin)
    return unsafeBitCast(action.__sigaction_u.__sa_handler, to: Int.self)
    #else
    return unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self)
    #endif
}

private func isIgnored(_ signal: Int32) -> Bool {
    currentHandler(signal) == unsafeBitCast(SIG_IGN, to: Int.self)
}
