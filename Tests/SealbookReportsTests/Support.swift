import Foundation
import SealbookCore
import SealbookReports
import Testing

/// The repository root (tests read reports/, schemas/ and tools/ from it).
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func repoPath(_ p: String) -> String { repoRoot.appendingPathComponent(p).path }

/// Whether golden files are to be rewritten instead of compared.
let updateGolden = ProcessInfo.processInfo.environment["SEALBOOK_UPDATE_GOLDEN"] == "1"

/// True on CI (`CI=true`), where a test that needs a missing tool runs and fails; elsewhere the
/// test runner reports such a test as skipped, with the reason.
let onCI = ProcessInfo.processInfo.environment["CI"] == "true"

/// Whether `python3` can import `jsonschema` (for tools/check_oscal.py).
let pythonJSONSchemaAvailable: Bool =
    which("python3") != nil && (try? runProgram(["python3", "-c", "import jsonschema"]))?.status == 0

/// Debian's chromium, for opening the HTML reports.
let chromiumPath: String? = which("chromium") ?? which("chromium-browser")

struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A scratch directory removed at the end of the test.
struct Scratch {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("sealbook-reports-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { path + "/" + name }
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let p = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

struct ProcessResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs a program (found on PATH) and waits for it.
func runProgram(_ argv: [String], timeout: TimeInterval = 120) throws -> ProcessResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = argv
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let group = DispatchGroup()
    nonisolated(unsafe) var o = Data()
    nonisolated(unsafe) var e = Data()
    group.enter()
    DispatchQueue.global().async {
        o = out.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    group.enter()
    DispatchQueue.global().async {
        e = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let deadline = Date().addingTimeInterval(timeout)
    while p.isRunning && Date() < deadline { usleep(20_000) }
    if p.isRunning {
        p.terminate()
        throw Failure("\(argv.joined(separator: " ")) did not finish within \(Int(timeout)) s")
    }
    p.waitUntilExit()
    group.wait()
    return ProcessResult(
        status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

/// The path of `name` on PATH, if any.
func which(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let p = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
}

/// Compares `bytes` with the golden file `name`, or rewrites it with SEALBOOK_UPDATE_GOLDEN=1.
func checkGolden(_ name: String, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws {
    let path = repoPath("Tests/SealbookReportsTests/Golden/" + name)
    if updateGolden {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return
    }
    guard let golden = FileManager.default.contents(atPath: path) else {
        Issue.record(
            "golden file \(name) is missing: run SEALBOOK_UPDATE_GOLDEN=1 swift test --filter SealbookReportsTests",
            sourceLocation: sourceLocation)
        return
    }
    if [UInt8](golden) != bytes {
        let a = String(decoding: golden, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let b = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let i = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
        Issue.record(
            """
            \(name) differs from its golden file at line \(i + 1):
              golden: \(i < a.count ? String(a[i].prefix(300)) : "(end)")
              now:    \(i < b.count ? String(b[i].prefix(300)) : "(end)")
            If the change is intended, run SEALBOOK_UPDATE_GOLDEN=1 swift test --filter SealbookReportsTests and review the diff.
            """, sourceLocation: sourceLocation)
    }
}
