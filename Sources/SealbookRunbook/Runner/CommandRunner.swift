public import Foundation
internal import SealbookCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - What is recorded

/// What `sealbook run` records before the command starts.
public struct CommandStart: Sendable, Equatable {
    /// How secrets were kept out of ``argv`` and ``environment`` (``SecretRedaction``).
    public enum Redaction: Sendable, Equatable {
        /// Applied: the salt of the markers, and how many values were replaced.
        case applied(salt: [UInt8], count: Int)
        /// Turned off by `sealbook run --no-redact` (recorded as such).
        case disabled
    }

    /// The command and its arguments, as given, secrets replaced by markers unless redaction is
    /// ``Redaction/disabled``.
    public let argv: [String]
    /// The directory it runs in, as given.
    public let cwd: String
    /// The recorded variables (``CommandRunner/recordedVariables``) that are set, with their
    /// values (secrets replaced by markers). No other variable of the environment is recorded.
    public let environment: [String: String]
    /// What alembic is asked to do, when the command is alembic (see
    /// ``AlembicInvocation/parse(argv:)``).
    public let alembic: AlembicInvocation?
    /// How secrets were kept out.
    public let redaction: Redaction

    public init(
        argv: [String], cwd: String, environment: [String: String], alembic: AlembicInvocation?,
        redaction: Redaction = .disabled
    ) {
        self.argv = argv
        self.cwd = cwd
        self.environment = environment
        self.alembic = alembic
        self.redaction = redaction
    }
}

/// The SHA-256 and size of everything a command wrote to one stream.
public struct OutputDigest: Sendable, Equatable {
    /// SHA-256 of the bytes, 64 lowercase hex digits.
    public let sha256: String
    /// How many bytes.
    public let sizeBytes: Int64

    public init(sha256: String, sizeBytes: Int64) {
        self.sha256 = sha256
        self.sizeBytes = sizeBytes
    }
}

/// How a command ended, as `sealbook run` records it.
public struct CommandResult: Sendable, Equatable {
    /// How the command ended.
    public enum Outcome: String, Sendable, Equatable, CaseIterable {
        /// It exited with code 0.
        case success
        /// It exited with another code.
        case failed
        /// A signal that stops a program on purpose ended it: SIGKILL, SIGTERM, SIGINT, SIGHUP.
        case killed
        /// Any other signal ended it (SIGSEGV, SIGABRT, SIGBUS, …).
        case crashed
    }

    public let outcome: Outcome
    /// The exit code (0…255); nil when a signal ended the command (and, should something else
    /// in this process have reaped the child first, when its status could not be known).
    public let exitCode: Int32?
    /// The signal that ended the command; nil when it exited.
    public let signal: Int32?
    /// From just before the command started until it ended, on the monotonic clock.
    public let durationMs: Int64
    /// When it started: RFC 3339 UTC with milliseconds (`2026-11-24T18:30:00.123Z`).
    public let startedAt: String
    /// ``startedAt`` plus ``durationMs``, in the same layout.
    public let finishedAt: String
    /// Everything the command wrote to stdout (also when the sink could not take it).
    public let stdout: OutputDigest
    /// Everything the command wrote to stderr (also when the sink could not take it).
    public let stderr: OutputDigest
    /// The revisions alembic moved through or found, when the command is alembic.
    public let alembic: AlembicMoves?

    public init(
        outcome: Outcome, exitCode: Int32?, signal: Int32?, durationMs: Int64, startedAt: String,
        finishedAt: String, stdout: OutputDigest, stderr: OutputDigest, alembic: AlembicMoves?
    ) {
        self.outcome = outcome
        self.exitCode = exitCode
        self.signal = signal
        self.durationMs = durationMs
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.stdout = stdout
        self.stderr = stderr
        self.alembic = alembic
    }

    /// What `sealbook run` exits with, as a shell would: the exit code, or 128 + the signal.
    public var shellExitCode: Int32 {
        if let signal { return 128 + signal }
        return exitCode ?? 1
    }

    /// The outcome of an exit code (`signal` nil) or of a signal.
    public static func classify(exitCode: Int32?, signal: Int32?) -> Outcome {
        if let signal {
            return [SIGKILL, SIGTERM, SIGINT, SIGHUP].contains(signal) ? .killed : .crashed
        }
        return exitCode == 0 ? .success : .failed
    }
}

/// Why ``CommandRunner/run(stdout:stderr:)`` could not start the command. The command did not
/// run; `sealbook run` records it as failed.
public enum CommandRunnerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The program (argv[0]) and what stopped it from starting.
    case cannotStart(String, String)

    public var description: String {
        switch self {
        case .cannotStart(let program, let reason):
            return "Could not start `\(program)`: \(reason)."
        }
    }
}

// MARK: - The runner

/// Runs one command for `sealbook run`: streams its stdout and stderr live, hashes them as they
/// pass, forwards SIGINT/SIGTERM/SIGHUP to it, and reports how it ended.
///
/// ```swift
/// let runner = CommandRunner(
///     argv: ["alembic", "upgrade", "head"], cwd: FileManager.default.currentDirectoryPath,
///     environment: ProcessInfo.processInfo.environment,
///     recordedVariables: ["ENVIRONMENT", "BACKUP_VERIFIED", "MIGRATION_TIMEOUT"])
/// let start = runner.describeStart()      // record it, then:
/// let result = try runner.run(stdout: .standardOutput, stderr: .standardError)
/// exit(result.shellExitCode)
/// ```
///
/// The child is started with `posix_spawn`, with the parent's stdin, pipes for stdout and
/// stderr, and no other descriptor (Foundation's `Process` is not used: on Linux it waits until
/// every holder of its pipes closes them, so a command that leaves a process running in the
/// background would never end). The command counts as ended when the child exits: output a
/// process left in the background writes later than a short moment after that is neither
/// streamed nor hashed, and it gets EPIPE/SIGPIPE once Sealbook closes the pipes.
public struct CommandRunner: Sendable {
    /// The command and its arguments; argv[0] is looked up in the `PATH` of ``environment``
    /// unless it holds a `/` (a relative path is taken from ``cwd``).
    public let argv: [String]
    /// The directory the command runs in (a relative path is taken from this process's).
    public let cwd: String
    /// The command's whole environment.
    public let environment: [String: String]
    /// The variables whose values are recorded when they are set (``CommandStart/environment``).
    public let recordedVariables: [String]

    /// How long after the child exits its pipes are still read, for output still in them (or
    /// coming from a process it left behind) before the command counts as ended.
    static let drainAfterExit: UInt64 = 250_000_000  // ns

    public init(argv: [String], cwd: String, environment: [String: String], recordedVariables: [String]) {
        self.argv = argv
        self.cwd = cwd
        self.environment = environment
        self.recordedVariables = recordedVariables
    }

    /// What to record before the command starts: the argv and the recorded variables with
    /// their secrets replaced by `redaction`'s markers (``SecretRedaction``), or as they are
    /// when `redaction` is nil (`--no-redact`, recorded as ``CommandStart/Redaction/disabled``).
    public func describeStart(redaction: SecretRedaction? = SecretRedaction()) -> CommandStart {
        var recorded: [String: String] = [:]
        for name in recordedVariables {
            if let value = environment[name] { recorded[name] = value }
        }
        let alembic = AlembicInvocation.parse(argv: argv)
        guard let redaction else {
            return CommandStart(argv: argv, cwd: cwd, environment: recorded, alembic: alembic, redaction: .disabled)
        }
        // The directory goes through the same rules (as a last, separate argument).
        let r = redaction.redact(argv: argv + ["", cwd], environment: recorded)
        return CommandStart(
            argv: Array(r.argv.dropLast(2)), cwd: r.argv.last!, environment: r.environment, alembic: alembic,
            redaction: .applied(salt: redaction.salt, count: r.count))
    }

    /// Runs the command to its end.
    ///
    /// Each chunk the command writes goes straight to `stdout` or `stderr` and into that
    /// stream's SHA-256 and byte count; nothing is kept beyond a few alembic log lines. If a
    /// sink fails (a closed pipe), the output is still read and hashed but no longer written.
    /// While the command runs, SIGINT, SIGTERM and SIGHUP sent to this process are passed on to
    /// it (this process then survives them; they are unblocked on the calling thread, should the
    /// parent have started this process with them blocked) and SIGPIPE is ignored; the previous
    /// handlers and signal mask come back afterwards. A signal that was ignored before (`nohup`) stays ignored, for both. The
    /// terminal's own Ctrl-C, which reaches the command directly (it shares this process's
    /// process group), is not passed on a second time (Linux).
    ///
    /// - Throws: ``CommandRunnerError/cannotStart(_:_:)`` when the command could not start
    ///   (not found, not executable, no such directory); it did not run.
    public func run(stdout: FileHandle, stderr: FileHandle) throws(CommandRunnerError) -> CommandResult {
        guard let program = argv.first, !program.isEmpty else {
            throw .cannotStart("", "no command was given")
        }
        let directory = absolutePath(cwd.isEmpty ? "." : cwd, from: FileManager.default.currentDirectoryPath)
        guard isDirectory(directory) else {
            throw .cannotStart(program, "the directory \(directory) does not exist")
        }
        let executable = try resolveExecutable(program, directory: directory)
        let invocation = AlembicInvocation.parse(argv: argv)

        var descriptors = Descriptors()
        defer { descriptors.closeAll() }
        let output = try descriptors.pipe(for: program)
        let errors = try descriptors.pipe(for: program)
        let exitNotice = try descriptors.pipe(for: program)

        let forwarding = SignalForwarding.shared.begin()
        defer { SignalForwarding.shared.end() }
        // A parent that blocks SIGINT/SIGTERM/SIGHUP (a libdispatch worker does) passes its mask
        // on to this process, and a blocked signal would stay pending and never reach the
        // command: unblock them on this thread for the run. The mask comes back before the
        // handlers do, so that a signal arriving in between stays pending as it would have.
        let previousMask = SignalForwarding.unblockForwardedSignals()
        defer { SignalForwarding.restoreSignalMask(previousMask) }

        let startedWall = wallClockMilliseconds()
        let startedAt = monotonicNanoseconds()
        let spawned = spawnChild(
            executable: executable, argv: argv, environment: environment, directory: directory,
            stdoutFD: output.write, stderrFD: errors.write, resetSIGPIPE: forwarding.resetSIGPIPE)
        descriptors.close(output.write)
        descriptors.close(errors.write)
        let pid: pid_t
        switch spawned {
        case .success(let child): pid = child
        case .failure(let failure): throw .cannotStart(program, failure.description)
        }
        SignalForwarding.shared.add(pid)

        // A thread waits for the child to exit, without reaping it (so that its pid cannot be
        // reused while signals may still be forwarded to it), and says when through a pipe.
        let noticeFD = exitNotice.write
        Thread {
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0, errno == EINTR {}
            var endedAt = monotonicNanoseconds()
            _ = withUnsafeBytes(of: &endedAt) { write(noticeFD, $0.baseAddress, $0.count) }
        }.start()

        var streams = [OutputTap(sink: stdout.fileDescriptor), OutputTap(sink: stderr.fileDescriptor)]
        var reading: [Int32] = [output.read, errors.read]  // -1 once closed
        var capture = invocation.map { AlembicLineCapture(action: $0.action) }
        var endedAt: UInt64?
        var status: Int32?
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        defer { buffer.deallocate() }

        while true {
            var timeout: Int32 = -1
            if let endedAt {
                if reading.allSatisfy({ $0 < 0 }) { break }
                let now = monotonicNanoseconds()
                let deadline = endedAt + Self.drainAfterExit
                if now >= deadline { break }
                timeout = Int32((deadline - now + 999_999) / 1_000_000)
            }
            var polled = reading.filter { $0 >= 0 }.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            polled.append(pollfd(fd: forwarding.signalFD, events: Int16(POLLIN), revents: 0))
            if endedAt == nil {
                polled.append(pollfd(fd: exitNotice.read, events: Int16(POLLIN), revents: 0))
            }
            if poll(&polled, nfds_t(polled.count), timeout) < 0 {
                if errno != EINTR { usleep(10_000) }
                continue
            }
            for entry in polled where entry.revents != 0 {
                if entry.fd == forwarding.signalFD {
                    SignalForwarding.shared.forwardPendingSignals()
                } else if entry.fd == exitNotice.read {
                    var ended: UInt64 = 0
                    let count = withUnsafeMutableBytes(of: &ended) { read(exitNotice.read, $0.baseAddress, $0.count) }
                    guard count == MemoryLayout<UInt64>.size else { continue }
                    endedAt = ended
                    SignalForwarding.shared.remove(pid)
                    status = ChildProcess.wait(pid)
                } else if let stream = reading.firstIndex(of: entry.fd) {
                    let count = read(entry.fd, buffer.baseAddress, buffer.count)
                    if count > 0 {
                        let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
                        streams[stream].consume(chunk)
                        capture?.feed(chunk, from: stream == 0 ? .stdout : .stderr)
                    } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                        descriptors.close(entry.fd)
                        reading[stream] = -1
                    }
                }
            }
        }

        let durationMs = Int64(((endedAt ?? startedAt) - startedAt) / 1_000_000)
        let (exitCode, signal) = status.map(ChildProcess.outcome(ofStatus:)) ?? (nil, nil)
        capture?.finish()
        return CommandResult(
            outcome: CommandResult.classify(exitCode: exitCode, signal: signal),
            exitCode: exitCode, signal: signal, durationMs: durationMs,
            startedAt: formatTimestamp(millisecondsSince1970: startedWall),
            finishedAt: formatTimestamp(millisecondsSince1970: startedWall + durationMs),
            stdout: streams[0].digest(), stderr: streams[1].digest(),
            alembic: invocation.flatMap { invocation in capture.map { AlembicOutput.moves(for: invocation, capture: $0) } })
    }

    /// The path to run for `program`: as given when it holds a `/`, else the first executable
    /// file of that name in `PATH` (from ``environment``), like `execvp`.
    private func resolveExecutable(_ program: String, directory: String) throws(CommandRunnerError) -> String {
        if program.contains("/") {
            let path = absolutePath(program, from: directory)
            switch fileKind(path) {
            case .missing: throw .cannotStart(program, "\(path) does not exist")
            case .directory: throw .cannotStart(program, "\(path) is a directory")
            case .file where access(path, X_OK) != 0:
                throw .cannotStart(program, "\(path) is not executable (chmod +x it, or run it through its interpreter)")
            case .file: return path
            }
        }
        let searchPath = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        var notExecutable: String?
        for entry in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            let path = absolutePath((entry.isEmpty ? "." : String(entry)) + "/" + program, from: directory)
            guard fileKind(path) == .file else { continue }
            if access(path, X_OK) == 0 { return path }
            notExecutable = notExecutable ?? path
        }
        if let notExecutable {
            throw .cannotStart(program, "\(notExecutable) is not executable, and no other `\(program)` is in PATH")
        }
        throw .cannotStart(
            program, "not found in PATH (\(searchPath)); install it, activate its virtualenv, or give its path")
    }
}

// MARK: - Streams

/// One output stream: where its chunks go, and their SHA-256 and count so far.
private struct OutputTap {
    let sink: Int32
    var sinkWorks = true
    var hash = SHA256()
    var size: Int64 = 0

    init(sink: Int32) { self.sink = sink }

    mutating func consume(_ chunk: UnsafeRawBufferPointer) {
        if sinkWorks { sinkWorks = writeAll(sink, chunk) }
        hash.update(chunk)
        size += Int64(chunk.count)
    }

    mutating func digest() -> OutputDigest {
        OutputDigest(sha256: hash.finalize().hex, sizeBytes: size)
    }
}

/// Writes all of `bytes` to `fd`, waiting when it is non-blocking and full; false on an error
/// (a closed pipe, a closed descriptor).
private func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
    guard let base = bytes.baseAddress else { return true }
    var offset = 0
    while offset < bytes.count {
        let written = write(fd, base + offset, bytes.count - offset)
        if written > 0 {
            offset += written
        } else if written < 0, errno == EINTR {
            continue
        } else if written < 0, errno == EAGAIN || errno == EWOULDBLOCK {
            var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&entry, 1, -1)
        } else {
            return false
        }
    }
    return true
}

/// The descriptors ``CommandRunner/run(stdout:stderr:)`` opens, closed when it returns.
private struct Descriptors {
    private var open: Set<Int32> = []

    /// A pipe with both ends close-on-exec and above 2.
    mutating func pipe(for program: String) throws(CommandRunnerError) -> (read: Int32, write: Int32) {
        guard let ends = makePipe() else {
            throw .cannotStart(program, "could not create a pipe (\(String(cString: strerror(errno))))")
        }
        open.insert(ends.read)
        open.insert(ends.write)
        return ends
    }

    mutating func close(_ fd: Int32) {
        if open.remove(fd) != nil { _ = closeDescriptor(fd) }
    }

    mutating func closeAll() {
        for fd in open { _ = closeDescriptor(fd) }
        open.removeAll()
    }
}

private func closeDescriptor(_ fd: Int32) -> Int32 {
    #if canImport(Darwin)
    return Darwin.close(fd)
    #elseif canImport(Glibc)
    return Glibc.close(fd)
    #else
    return Musl.close(fd)
    #endif
}

/// `pipe` with FD_CLOEXEC on both ends, moved above 2 if needed (a process started with a
/// closed stdout could otherwise get the pipe as fd 1, which the child's dup2 would not move).
private func makePipe() -> (read: Int32, write: Int32)? {
    var fds: [Int32] = [-1, -1]
    #if canImport(Darwin)
    guard pipe(&fds) == 0 else { return nil }
    #else
    // pipe2 sets close-on-exec atomically, so a program another thread starts meanwhile cannot
    // inherit the pipe (and hold it open).
    if let pipe2 = SpawnExtensions.pipe2 {
        guard pipe2(&fds, Int32(O_CLOEXEC)) == 0 else { return nil }
    } else {
        guard pipe(&fds) == 0 else { return nil }
    }
    #endif
    for i in 0..<2 {
        if fds[i] <= 2 {
            let moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3)
            _ = closeDescriptor(fds[i])
            guard moved >= 0 else {
                _ = closeDescriptor(fds[1 - i])
                return nil
            }
            fds[i] = moved
        } else {
            _ = fcntl(fds[i], F_SETFD, FD_CLOEXEC)
        }
    }
    return (fds[0], fds[1])
}

// MARK: - Starting and reaping

/// Starts `executable` (``ChildProcess``): stdin inherited, stdout and stderr to the given
/// descriptors, no other descriptor, in `directory`, an empty signal mask, and SIGPIPE back to
/// its default when this process ignores it only for the run.
private func spawnChild(
    executable: String, argv: [String], environment: [String: String], directory: String,
    stdoutFD: Int32, stderrFD: Int32, resetSIGPIPE: Bool
) -> Result<pid_t, SpawnFailure> {
    let spawned = ChildProcess.spawn(
        executable: executable, arguments: argv, environment: environment, directory: directory, stdin: .inherit,
        stdout: .descriptor(stdoutFD), stderr: .descriptor(stderrFD), defaultSignals: resetSIGPIPE ? [SIGPIPE] : [])
    switch spawned {
    case .success(let pid): return .success(pid)
    case .failure(let failure) where failure.code == ENOEXEC:
        return .failure(
            SpawnFailure("\(executable) is not a program this system can run (\(failure)); a script needs a #! line"))
    case .failure(let failure) where failure.code == EACCES:
        return .failure(SpawnFailure("permission denied running \(executable) (\(failure))"))
    case .failure(let failure) where failure.code == 0:
        return .failure(SpawnFailure(failure.description))
    case .failure(let failure):
        return .failure(SpawnFailure("\(executable): \(failure)"))
    }
}

private struct SpawnFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Forwarding signals

/// The write end of the signal pipe, for the handler. Set once, before the handler is first
/// installed, and never changed (the pipe stays open for the life of the process), so that a
/// handler still running on another thread while it is uninstalled never writes to a stale
/// descriptor.
nonisolated(unsafe) private var signalPipeWriteFD: Int32 = -1

/// The handler of the forwarded signals while commands run: it only writes the signal's number
/// to a pipe (the self-pipe trick: `write` is async-signal-safe), which the running
/// ``CommandRunner/run(stdout:stderr:)`` loops poll and act on.
private func forwardingHandler(
    _ signal: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?
) {
    #if os(Linux)
    // SI_KERNEL: sent by the terminal (Ctrl-C, hang-up) to the whole foreground process group,
    // the command included; passing it on would make the command see it twice.
    if let info, info.pointee.si_code == 0x80 { return }
    #endif
    let savedErrno = errno
    var byte = UInt8(truncatingIfNeeded: signal)
    _ = write(signalPipeWriteFD, &byte, 1)
    errno = savedErrno
}

/// Passes SIGINT, SIGTERM and SIGHUP on to the commands that run, for as long as one runs.
///
/// A hand-written handler (see ``forwardingHandler(_:_:_:)``) rather than a `DispatchSource`:
/// on Linux, libdispatch installs its own handler for a signal only when the first source for
/// it is created in the process, so restoring the previous handler after one run would leave
/// the next run's source deaf. Several runs at once (tests, a server) share one installation,
/// counted; a signal goes to every running command.
private final class SignalForwarding: @unchecked Sendable {
    // @unchecked Sendable: every mutable property is read and written with `lock` held.
    static let shared = SignalForwarding()
    static let forwarded: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    private let lock = NSLock()
    private var runs = 0
    private var children: Set<pid_t> = []
    private var pipeRead: Int32 = -1
    /// The handlers replaced while runs are under way, to put back.
    private var replaced: [(signal: Int32, action: sigaction)] = []
    private var ignoringSIGPIPE = false

    /// What a run needs: the descriptor to poll, and whether its child should get SIGPIPE's
    /// default back (this process ignores it only for the run).
    struct Installation {
        let signalFD: Int32
        let resetSIGPIPE: Bool
    }

    /// Installs the handlers when no run is under way yet.
    func begin() -> Installation {
        lock.lock()
        defer { lock.unlock() }
        if pipeRead < 0, let ends = makePipe() {
            for fd in [ends.read, ends.write] {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            }
            pipeRead = ends.read
            signalPipeWriteFD = ends.write
        }
        if runs == 0 {
            drainPipe()  // a signal caught just as the last run ended
            for signal in Self.forwarded {
                var previous = sigaction()
                sigaction(signal, nil, &previous)
                // Ignored before (nohup): leave it ignored, for this process and the command.
                guard !isIgnored(previous), signalPipeWriteFD >= 0 else { continue }
                var action = sigaction()
                setHandler(&action, forwardingHandler)
                action.sa_flags = SA_SIGINFO | SA_RESTART
                sigemptyset(&action.sa_mask)
                sigaction(signal, &action, nil)
                replaced.append((signal, previous))
            }
            var previous = sigaction()
            sigaction(SIGPIPE, nil, &previous)
            if !isIgnored(previous) {
                var ignore = sigaction()
                setIgnore(&ignore)
                sigemptyset(&ignore.sa_mask)
                sigaction(SIGPIPE, &ignore, nil)
                replaced.append((SIGPIPE, previous))
                ignoringSIGPIPE = true
            } else {
                ignoringSIGPIPE = false
            }
        }
        runs += 1
        return Installation(signalFD: pipeRead, resetSIGPIPE: ignoringSIGPIPE)
    }

    /// Unblocks the forwarded signals on the calling thread; returns its previous signal mask.
    static func unblockForwardedSignals() -> sigset_t {
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signal in forwarded { sigaddset(&unblock, signal) }
        var previous = sigset_t()
        pthread_sigmask(SIG_UNBLOCK, &unblock, &previous)
        return previous
    }

    /// Sets the calling thread's signal mask back to `mask`.
    static func restoreSignalMask(_ mask: sigset_t) {
        var mask = mask
        pthread_sigmask(SIG_SETMASK, &mask, nil)
    }

    /// Puts the previous handlers back when the last run ends.
    func end() {
        lock.lock()
        defer { lock.unlock() }
        runs -= 1
        guard runs == 0 else { return }
        for (signal, previous) in replaced.reversed() {
            var action = previous
            sigaction(signal, &action, nil)
        }
        replaced.removeAll()
        ignoringSIGPIPE = false
    }

    func add(_ pid: pid_t) {
        lock.lock()
        children.insert(pid)
        lock.unlock()
    }

    /// Called once the child has exited and before it is reaped, so that no signal goes to a
    /// reused pid.
    func remove(_ pid: pid_t) {
        lock.lock()
        children.remove(pid)
        lock.unlock()
    }

    /// Reads the signals caught since last time and sends each to every running command.
    func forwardPendingSignals() {
        lock.lock()
        defer { lock.unlock() }
        var bytes = [UInt8](repeating: 0, count: 64)
        while true {
            let count = read(pipeRead, &bytes, bytes.count)
            guard count > 0 else {
                if count < 0, errno == EINTR { continue }
                return
            }
            for signal in bytes[0..<count] {
                for child in children { kill(child, Int32(signal)) }
            }
        }
    }

    private func drainPipe() {
        guard pipeRead >= 0 else { return }
        var bytes = [UInt8](repeating: 0, count: 64)
        while read(pipeRead, &bytes, bytes.count) > 0 {}
    }

    private func isIgnored(_ action: sigaction) -> Bool {
        #if canImport(Darwin)
        let handler = unsafeBitCast(action.__sigaction_u.__sa_handler, to: Int.self)
        #else
        let handler = unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self)
        #endif
        return action.sa_flags & SA_SIGINFO == 0 && handler == unsafeBitCast(SIG_IGN, to: Int.self)
    }

    private func setHandler(
        _ action: inout sigaction,
        _ handler: @escaping @convention(c) (Int32, UnsafeMutablePointer<siginfo_t>?, UnsafeMutableRawPointer?) -> Void
    ) {
        #if canImport(Darwin)
        action.__sigaction_u.__sa_sigaction = handler
        #else
        action.__sigaction_handler.sa_sigaction = handler
        #endif
    }

    private func setIgnore(_ action: inout sigaction) {
        #if canImport(Darwin)
        action.__sigaction_u.__sa_handler = SIG_IGN
        #else
        action.__sigaction_handler.sa_handler = SIG_IGN
        #endif
    }
}

// MARK: - Clocks and paths

private func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

private func wallClockMilliseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}

private func absolutePath(_ path: String, from directory: String) -> String {
    path.hasPrefix("/") ? path : (directory.hasSuffix("/") ? directory + path : directory + "/" + path)
}

private enum FileKind {
    case missing, directory, file
}

private func fileKind(_ path: String) -> FileKind {
    var info = stat()
    guard stat(path, &info) == 0 else { return .missing }
    return (info.st_mode & S_IFMT) == S_IFDIR ? .directory : .file
}

private func isDirectory(_ path: String) -> Bool { fileKind(path) == .directory }
