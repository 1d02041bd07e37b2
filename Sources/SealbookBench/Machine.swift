internal import CSodium
internal import Foundation
internal import SealbookCore

#if canImport(Glibc)
    internal import Glibc
#endif

/// Facts about the machine and the software, for the result file.
enum Machine {
    static var cores: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    static var cpuModel: String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return "unknown"
    }

    /// `MemTotal` in bytes.
    static var memoryBytes: Int64 {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let parts = line.split(separator: " ")
            if parts.count >= 2, let kb = Int64(parts[1]) { return kb * 1024 }
        }
        return 0
    }

    /// The 1, 5 and 15 minute load averages and the running/total task counts (`/proc/loadavg`).
    static var loadAverage: BenchJSON {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return .null }
        let parts = text.split(separator: " ")
        guard parts.count >= 4 else { return .null }
        return .object([
            ("load1", .num(Double(parts[0]), 2)), ("load5", .num(Double(parts[1]), 2)),
            ("load15", .num(Double(parts[2]), 2)), ("tasks", .string(String(parts[3]))),
        ])
    }

    static var kernel: String {
        var u = utsname()
        uname(&u)
        let release = withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let machine = withUnsafeBytes(of: &u.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return "Linux \(release) \(machine)"
    }

    static var libsodiumVersion: String { String(cString: sodium_version_string()) }

    /// `swift --version`'s first line, when a toolchain is on `PATH` or in `/opt/swift`.
    static var swiftVersion: String {
        guard let swift = which("swift", extra: ["/opt/swift/usr/bin"]),
            let r = runProgram(swift, ["--version"]), r.status == 0
        else { return compiledWith }
        let text = r.stdout.isEmpty ? r.stderr : r.stdout
        return text.split(separator: "\n").first.map(String.init) ?? compiledWith
    }

    /// The compiler this binary was built with, as far as `#if compiler` tells.
    static var compiledWith: String {
        #if compiler(>=6.3)
            "Swift ≥ 6.3 (compiler of this binary)"
        #elseif compiler(>=6.2)
            "Swift 6.2 (compiler of this binary)"
        #elseif compiler(>=6.1)
            "Swift 6.1 (compiler of this binary)"
        #else
            "Swift 6.0 (compiler of this binary)"
        #endif
    }

    /// `git describe --always --dirty` of the repository, when there is one.
    static func gitDescribe(repository: String?) -> String? {
        guard let repository, let git = which("git"),
            let r = runProgram(git, ["-C", repository, "describe", "--always", "--dirty", "--tags"]), r.status == 0
        else { return nil }
        let s = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return s.isEmpty ? nil : s
    }

    /// RFC 3339 UTC, seconds: `2026-11-26T10:00:00Z`.
    static func nowUTC() -> String {
        let ms = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        return String(Timestamp(milliseconds: ms).rfc3339.prefix(19)) + "Z"
    }

    /// `YYYY-MM-DD` (UTC), for the result file's name.
    static func todayUTC() -> String { String(nowUTC().prefix(10)) }
}

/// What a child process did: its exit status, peak resident set and output.
struct ChildRun: Sendable {
    let status: Int32
    /// The child's own peak resident set size, in bytes (through GNU time when installed).
    let peakRSSBytes: Int64
    let seconds: Double
    /// User plus system CPU time of the child (`ru_utime + ru_stime`).
    let cpuSeconds: Double
    let stdout: String
}

/// Runs `path arguments…` with stdout into a temporary file and stderr discarded, waits for it
/// with `wait4`, and returns its own peak RSS (not that of any other child).
///
/// `environment`: variables set for the child on top of this process's own.
func spawnMeasured(_ path: String, _ arguments: [String], scratch: String, environment: [String: String] = [:]) throws -> ChildRun {
    let outPath = scratch + "/child-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).out"
    defer { unlink(outPath) }
    let input = open("/dev/null", O_RDONLY | O_CLOEXEC)
    let output = open(outPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    let discard = open("/dev/null", O_WRONLY | O_CLOEXEC)
    defer { for fd in [input, output, discard] where fd >= 0 { close(fd) } }
    guard input >= 0, output >= 0, discard >= 0 else {
        throw BenchError("cannot open \(outPath) or /dev/null (errno \(errno))")
    }
    // The child's own peak: `ru_maxrss` of a child we spawn directly is at least this process's
    // peak, which Linux carries into it at exec (posix_spawn shares our memory until then). GNU
    // time forks the command from its own small process and reports that child's `ru_maxrss`.
    let timer = "/usr/bin/time"
    let peakPath = outPath + ".peak"
    defer { unlink(peakPath) }
    let timed = FileManager.default.isExecutableFile(atPath: timer)
    let command = timed ? [timer, "-f", "%M", "-o", peakPath, path] + arguments : [path] + arguments
    let start = monotonicSeconds()
    let pid: pid_t
    switch ChildProcess.spawn(
        executable: command[0], arguments: command,
        environment: environment.isEmpty ? nil : ProcessInfo.processInfo.environment.merging(environment) { $1 },
        stdin: .descriptor(input), stdout: .descriptor(output),
        stderr: .descriptor(discard))
    {
    case .success(let child): pid = child
    case .failure(let failure): throw BenchError("cannot start \(path): posix_spawn error \(failure.code) (\(failure))")
    }
    var usage = rusage()
    guard let status = ChildProcess.wait(pid, usage: &usage) else {
        throw BenchError("wait4 failed for \(path) (errno \(errno))")
    }
    let seconds = monotonicSeconds() - start
    let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    let exit = ChildProcess.shellStatus(status)
    let cpu =
        Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
        + Double(usage.ru_stime.tv_usec) / 1e6
    var peakKB = Int64(usage.ru_maxrss)
    if timed {
        // time's last line is the peak in KB (a line before it may say the command failed).
        let text = (try? String(contentsOfFile: peakPath, encoding: .utf8)) ?? ""
        guard let kb = text.split(separator: "\n").last.flatMap({ Int64($0.trimmingCharacters(in: .whitespaces)) }) else {
            throw BenchError("\(timer) did not report the peak memory of \(path)")
        }
        peakKB = kb
    }
    return ChildRun(status: exit, peakRSSBytes: peakKB * 1024, seconds: seconds, cpuSeconds: cpu, stdout: out)
}

/// An error that stops a part of the benchmark, with what went wrong.
public struct BenchError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ d: String) { description = d }
}
