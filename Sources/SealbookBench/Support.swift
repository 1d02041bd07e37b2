internal import Dispatch
internal import Foundation

#if canImport(Glibc)
    internal import Glibc
#endif

/// Monotonic time in seconds (`CLOCK_MONOTONIC`).
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Runs `body` and returns its value with the elapsed wall time in seconds.
func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = monotonicSeconds()
    let value = try body()
    return (value, monotonicSeconds() - start)
}

/// Latencies of individual operations, in seconds.
struct LatencySample: Sendable {
    private(set) var values: [Double] = []

    mutating func add(_ seconds: Double) { values.append(seconds) }
    mutating func add(contentsOf other: LatencySample) { values.append(contentsOf: other.values) }

    var count: Int { values.count }

    /// The nearest-rank percentile (`p` in 0...100), in milliseconds; nil when empty.
    func percentileMs(_ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1] * 1000
    }

    var meanMs: Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) * 1000 }

    /// `{p50, p99, mean, max}` in milliseconds.
    var json: BenchJSON {
        .object([
            ("count", .int(Int64(count))), ("p50Ms", .ms(percentileMs(50))), ("p99Ms", .ms(percentileMs(99))),
            ("meanMs", .ms(meanMs)), ("maxMs", .ms(percentileMs(100))),
        ])
    }
}

/// Starts `count` OS threads running `body(index)` and waits for all of them. Unlike
/// `DispatchQueue.concurrentPerform`, every body runs at once even with fewer cores (writers
/// that mostly wait on the database must overlap).
func runThreads(_ count: Int, stackSize: Int = 1 << 20, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for i in 0..<count {
        group.enter()
        let t = Thread {
            body(i)
            group.leave()
        }
        t.stackSize = stackSize
        t.start()
    }
    group.wait()
}

/// A value shared between threads, every access under a lock.
// @unchecked Sendable: `value` is only touched inside `withLock`, under `lock`.
final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T

    init(_ value: T) { self.value = value }

    func withLock<R>(_ body: (inout T) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// A buffer whose disjoint slots are written by parallel workers.
// @unchecked Sendable: each worker writes its own indices, and nothing reads the buffer until
// `concurrentPerform` has returned.
struct SharedSlots<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
}

/// Rounds to `digits` decimal places (for readable JSON).
func rounded(_ x: Double, _ digits: Int) -> Double {
    let f = pow(10, Double(digits))
    return (x * f).rounded() / f
}

/// Grouped thousands: 1234567 → "1,234,567".
func grouped(_ n: Int64) -> String {
    let s = String(n.magnitude)
    var out = ""
    for (i, ch) in s.enumerated() {
        if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return (n < 0 ? "-" : "") + out
}

/// A rate or count for the table: "38,412/s".
func formatRate(_ x: Double?) -> String {
    guard let x, x.isFinite else { return "—" }
    return grouped(Int64(x.rounded())) + "/s"
}

/// Runs a program and returns its exit status and combined output (for version probes and the
/// peer's virtualenv). `nil` when it cannot be started.
func runProgram(
    _ path: String, _ arguments: [String], environment: [String: String]? = nil, cwd: String? = nil
) -> (status: Int32, stdout: String, stderr: String)? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    if let environment { p.environment = environment }
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    do { try p.run() } catch { return nil }
    // Read both pipes at once, so that neither fills up and blocks the child.
    let errData = Locked(Data())
    let group = DispatchGroup()
    group.enter()
    Thread {
        let d = err.fileHandleForReading.readDataToEndOfFile()
        errData.withLock { $0 = d }
        group.leave()
    }.start()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    group.wait()
    return (
        p.terminationStatus, String(decoding: outData, as: UTF8.self),
        String(decoding: errData.withLock { $0 }, as: UTF8.self)
    )
}

/// Finds an executable on `PATH` (or returns `name` if it is a path already).
func which(_ name: String, extra: [String] = []) -> String? {
    if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for dir in path.split(separator: ":").map(String.init) + extra {
        let candidate = dir + "/" + name
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}
