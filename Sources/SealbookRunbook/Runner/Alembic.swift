internal import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - What the command line asks alembic to do

/// An alembic command recognised in the argv of `sealbook run`: what it asks for, before it runs.
///
/// ```swift
/// AlembicInvocation.parse(argv: ["alembic", "-c", "alembic.ini", "upgrade", "head"])
/// // AlembicInvocation(action: .upgrade, target: "head", sqlOnly: false)
/// ```
public struct AlembicInvocation: Sendable, Equatable {
    /// The alembic subcommands Sealbook understands.
    public enum Action: String, Sendable, Equatable, CaseIterable {
        /// `alembic upgrade REVISION`: applies migrations.
        case upgrade
        /// `alembic downgrade REVISION`: reverts migrations.
        case downgrade
        /// `alembic current`: prints the revision(s) the database is at.
        case current
        /// `alembic history`: lists revisions; moves nothing.
        case history
    }

    /// The subcommand.
    public let action: Action
    /// The revision argument as typed: `head`, `-1`, `+2`, `base`, `ae1027a6acf`, `heads`,
    /// `a:b` (offline ranges); for `history`, the `-r/--rev-range` value. Nil when none was given
    /// (always for `current`).
    public let target: String?
    /// `--sql` (offline mode): alembic prints the SQL instead of running it, so the database does
    /// not move even though it logs `Running upgrade …` lines.
    public let sqlOnly: Bool

    public init(action: Action, target: String?, sqlOnly: Bool = false) {
        self.action = action
        self.target = target
        self.sqlOnly = sqlOnly
    }

    /// Recognises `alembic [global options] SUBCOMMAND [args]` and
    /// `python[3[.x]] [interpreter options] -m alembic …` (the program may be a path, such as
    /// `.venv/bin/alembic`). Global options are skipped: `-c/--config FILE`, `-n/--name NAME`,
    /// `-x ARG`, `--raiseerr`, `-q/--quiet`, attached forms (`--config=FILE`, `-xkey=val`)
    /// included.
    ///
    /// - Returns: nil for anything else: another program, another alembic subcommand
    ///   (`stamp`, `revision`, `heads`, …), or `--help`/`--version`, which run nothing.
    public static func parse(argv: [String]) -> AlembicInvocation? {
        guard let (subcommand, at) = subcommandPosition(argv), let action = Action(rawValue: subcommand) else { return nil }
        var index = at + 1

        // The subcommand's arguments: options may come before or after the revision.
        let valueOptions: Set<String> =
            switch action {
            case .upgrade, .downgrade: ["--tag"]
            case .history: ["-r", "--rev-range"]
            case .current: []
            }
        var positional: String?
        var revisionRange: String?
        var sqlOnly = false
        var onlyPositional = false
        while index < argv.count {
            let argument = argv[index]
            index += 1
            if onlyPositional || !argument.hasPrefix("-") || argument == "-" || isNegativeNumber(argument) {
                if positional == nil { positional = argument }
                continue
            }
            if argument == "--" {
                onlyPositional = true
            } else if argument == "-h" || argument == "--help" {
                return nil
            } else if argument == "--sql" {
                sqlOnly = true
            } else if valueOptions.contains(argument) {
                if argument != "--tag", index < argv.count { revisionRange = argv[index] }
                index += 1
            } else if argument.hasPrefix("--rev-range=") {
                revisionRange = String(argument.dropFirst("--rev-range=".count))
            } else if action == .history, argument.hasPrefix("-r"), !argument.hasPrefix("--") {
                revisionRange = String(argument.dropFirst(2))
            }
            // Anything else is a flag (--verbose, -i, --check-heads, --tag=…): no value to skip.
        }

        switch action {
        case .upgrade, .downgrade:
            return AlembicInvocation(action: action, target: positional, sqlOnly: sqlOnly)
        case .current:
            return AlembicInvocation(action: action, target: nil, sqlOnly: false)
        case .history:
            return AlembicInvocation(action: action, target: revisionRange, sqlOnly: false)
        }
    }

    /// `argv` with its subcommand and what follows replaced by `heads`: the same program,
    /// interpreter and global options (`-c FILE`, `-n NAME`, `-x ARG`; `-q`/`--quiet` left out,
    /// which would silence the answer), asking alembic which revisions `head` stands for. Nil
    /// when `argv` is not an alembic command line.
    public static func headsArgv(_ argv: [String]) -> [String]? {
        guard let (_, at) = subcommandPosition(argv) else { return nil }
        return argv[..<at].filter { $0 != "-q" && $0 != "--quiet" } + ["heads"]
    }

    /// The subcommand and its index in `argv`, after the program (`alembic`, or a Python
    /// interpreter's `-m alembic`) and alembic's global options; nil for another program, for
    /// `--help`/`--version`, or when no subcommand is given.
    private static func subcommandPosition(_ argv: [String]) -> (name: String, index: Int)? {
        guard let program = argv.first else { return nil }
        let name = program.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? program
        var index: Int
        if name == "alembic" {
            index = 1
        } else if isPythonInterpreter(name) {
            guard let afterModule = indexAfterAlembicModule(argv) else { return nil }
            index = afterModule
        } else {
            return nil
        }
        // alembic's own options, before the subcommand.
        while index < argv.count {
            let argument = argv[index]
            if ["-c", "--config", "-n", "--name", "-x"].contains(argument) {
                index += 2
            } else if argument.hasPrefix("--config=") || argument.hasPrefix("--name=") {
                index += 1
            } else if !argument.hasPrefix("--"),
                argument.hasPrefix("-c") || argument.hasPrefix("-n") || argument.hasPrefix("-x")
            {
                index += 1  // -cFILE, -nNAME, -xkey=val
            } else if ["-h", "--help", "--version"].contains(argument) {
                return nil
            } else if argument.hasPrefix("-") {
                index += 1  // --raiseerr, -q, --quiet, or an option of a later alembic
            } else {
                return (argument, index)
            }
        }
        return nil
    }

    /// `python`, `python3`, `python3.12`.
    private static func isPythonInterpreter(_ name: String) -> Bool {
        guard name.hasPrefix("python") else { return false }
        let version = name.dropFirst("python".count)
        return version.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") }
    }

    /// For `python [options] -m alembic …`: the index after the module name, if the module is
    /// alembic (`alembic` or its historic entry point `alembic.config`).
    private static func indexAfterAlembicModule(_ argv: [String]) -> Int? {
        var index = 1
        while index < argv.count {
            let argument = argv[index]
            if argument == "-m" {
                guard index + 1 < argv.count else { return nil }
                return isAlembicModule(argv[index + 1]) ? index + 2 : nil
            }
            if argument.hasPrefix("-m") {
                return isAlembicModule(String(argument.dropFirst(2))) ? index + 1 : nil
            }
            if argument == "-c" || !argument.hasPrefix("-") || argument == "-" || argument == "--" {
                return nil  // a command string, a script or stdin: not alembic's command line
            }
            // Interpreter options; -X and -W take a value when it is not attached.
            index += (argument == "-X" || argument == "-W") ? 2 : 1
        }
        return nil
    }

    private static func isAlembicModule(_ module: String) -> Bool {
        module == "alembic" || module == "alembic.config" || module == "alembic.__main__"
    }

    /// argparse reads `-1` as a value, not an option, when no option looks like a number.
    private static func isNegativeNumber(_ argument: String) -> Bool {
        argument.count > 1 && argument.dropFirst().allSatisfy { $0.isASCII && $0.isNumber }
    }
}

// MARK: - What alembic reports

/// One migration alembic ran: a line `Running upgrade FROM -> TO, MESSAGE` or
/// `Running downgrade FROM -> TO, MESSAGE` of its log.
public struct AlembicStep: Sendable, Equatable {
    /// Which way the step went.
    public enum Direction: String, Sendable, Equatable {
        case upgrade
        case downgrade
    }

    public let direction: Direction
    /// The revision before the step; nil when there was none (the first revision, upgraded from
    /// an empty database). A merge lists several, as alembic prints them: `"a1, b2"`.
    public let from: String?
    /// The revision after the step; nil when there is none (downgraded to `base`). A downgrade
    /// of a merge lists several: `"a1, b2"`.
    public let to: String?
    /// The revision's message (the first line of its docstring); empty when it has none.
    public let message: String

    public init(direction: Direction, from: String?, to: String?, message: String) {
        self.direction = direction
        self.from = from
        self.to = to
        self.message = message
    }
}

/// The revisions an alembic command moved through, or found, read from its output.
public struct AlembicMoves: Sendable, Equatable {
    /// The subcommand that ran.
    public let action: AlembicInvocation.Action
    /// Each migration run, in order (`upgrade`, `downgrade`); empty when nothing moved or for
    /// `current` and `history`.
    public let steps: [AlembicStep]
    /// For `current`: the revision(s) the database is at, in the order printed; empty when the
    /// database has none (alembic prints nothing) and for the other subcommands.
    public let currentRevisions: [String]

    public init(action: AlembicInvocation.Action, steps: [AlembicStep], currentRevisions: [String] = []) {
        self.action = action
        self.steps = steps
        self.currentRevisions = currentRevisions
    }

    /// The first step's `from`: where the database started (nil: empty database, or no step).
    public var fromRevision: String? { steps.first?.from }
    /// The last step's `to`: where the database ended (nil: `base`, or no step).
    public var toRevision: String? { steps.last?.to }
    /// For `current`: the revision, or several joined by `", "` (several heads); nil when the
    /// database has none.
    public var currentRevision: String? {
        currentRevisions.isEmpty ? nil : currentRevisions.joined(separator: ", ")
    }
}

/// Parsers for the text alembic prints.
public enum AlembicOutput {
    /// The step a log line reports, wherever it appears in the line (after the logging prefix
    /// `INFO  [alembic.runtime.migration] `); nil for any other line.
    ///
    /// `Running upgrade 1975ea83b712 -> ae1027a6acf, add fee index` gives from `1975ea83b712`,
    /// to `ae1027a6acf`, message `add fee index`; `Running upgrade  -> 1975ea83b712, …` has no
    /// from; `Running downgrade 1975ea83b712 -> , …` has no to.
    public static func step(inLine line: some StringProtocol) -> AlembicStep? {
        var text = Substring(line)
        while let last = text.last, last == "\r" || last == "\n" { text = text.dropLast() }
        for direction in [AlembicStep.Direction.upgrade, .downgrade] {
            guard let marker = text.range(of: "Running \(direction.rawValue) ") else { continue }
            let rest = text[marker.upperBound...]
            let arrow: Range<Substring.Index>
            if let spaced = rest.range(of: " -> ") {
                arrow = spaced
            } else if rest.hasPrefix("-> ") {
                arrow = rest.startIndex..<rest.index(rest.startIndex, offsetBy: 3)
            } else {
                continue
            }
            let from = rest[..<arrow.lowerBound].trimmingCharacters(in: .whitespaces)
            // "TO, MESSAGE": TO is one revision, except that a downgrade from a merge lists its
            // parents ("a1, b2, message"); alembic's default ids are 12 hex digits.
            var parts = rest[arrow.upperBound...].components(separatedBy: ", ")
            var targets = [parts.removeFirst().trimmingCharacters(in: .whitespaces)]
            if direction == .downgrade, !targets[0].isEmpty {
                while let next = parts.first, looksLikeGeneratedRevision(next) {
                    targets.append(parts.removeFirst())
                }
            }
            let to = targets.filter { !$0.isEmpty }.joined(separator: ", ")
            let message = parts.joined(separator: ", ").trimmingCharacters(in: .whitespaces)
            return AlembicStep(
                direction: direction, from: from.isEmpty ? nil : from, to: to.isEmpty ? nil : to,
                message: message)
        }
        return nil
    }

    /// Every step reported in `text` (alembic's stderr, or the whole log), in order.
    public static func steps(in text: some StringProtocol) -> [AlembicStep] {
        text.split(whereSeparator: \.isNewline).compactMap { step(inLine: $0) }
    }

    /// The revisions `alembic current` printed on stdout, in order, without repeats: the first
    /// word of lines such as `ae1027a6acf (head)` or `ae1027a6acf` (or, with `--verbose`, of
    /// the `Rev: ae1027a6acf (head)` lines). Empty output, an empty database, gives `[]`.
    public static func currentRevisions(in stdout: some StringProtocol) -> [String] {
        let lines = stdout.split(whereSeparator: \.isNewline).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        let verbose = lines.contains { $0.hasPrefix("Rev: ") }
        var found: [String] = []
        for var line in lines {
            if verbose {
                guard line.hasPrefix("Rev: ") else { continue }
                line = String(line.dropFirst("Rev: ".count))
            }
            let word = line.prefix { $0 != " " && $0 != "\t" }
            let rest = line.dropFirst(word.count).trimmingCharacters(in: .whitespaces)
            guard isRevisionID(word), isParentheticalList(rest) else { continue }
            if !found.contains(String(word)) { found.append(String(word)) }
        }
        return found
    }

    /// What an alembic command reported, from the lines kept while it ran.
    static func moves(for invocation: AlembicInvocation, capture: AlembicLineCapture) -> AlembicMoves {
        switch invocation.action {
        case .upgrade, .downgrade:
            return AlembicMoves(
                action: invocation.action, steps: capture.lines.compactMap { step(inLine: $0) })
        case .current:
            return AlembicMoves(
                action: .current, steps: [],
                currentRevisions: currentRevisions(in: capture.lines.joined(separator: "\n")))
        case .history:
            return AlembicMoves(action: .history, steps: [])
        }
    }

    private static func isRevisionID(_ word: some StringProtocol) -> Bool {
        !word.isEmpty
            && word.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                    || $0 == "_" || $0 == "-"
            }
    }

    private static func looksLikeGeneratedRevision(_ word: String) -> Bool {
        word.count >= 8 && word.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }

    /// "", "(head)", "(mybranch) (head)", "(head) (mergepoint)".
    private static func isParentheticalList(_ text: String) -> Bool {
        var rest = Substring(text)
        while !rest.isEmpty {
            guard rest.first == "(", let close = rest.firstIndex(of: ")") else { return false }
            rest = rest[rest.index(after: close)...].drop { $0 == " " }
        }
        return true
    }
}

// MARK: - Keeping the lines that matter while the output streams

/// Keeps, from the output as it streams past, only the lines alembic's revisions are read from,
/// and at most ``limit`` bytes of them (the newest): lines with `Running upgrade`/`Running
/// downgrade` from both streams, or for `current` the stdout lines. Never holds the whole output.
struct AlembicLineCapture {
    /// At most this many bytes of kept lines; the oldest go first.
    static let limit = 64 * 1024
    /// A longer line is cut to this many bytes.
    static let maxLineBytes = 4 * 1024

    enum Stream: Int {
        case stdout = 0
        case stderr = 1
    }

    private let keepAllStdout: Bool
    private let keepNothing: Bool
    /// The unfinished line of each stream (cut at ``maxLineBytes``).
    private var partial: [[UInt8]] = [[], []]
    private var kept: [String] = []
    private var keptStart = 0
    private var keptBytes = 0

    init(action: AlembicInvocation.Action) {
        keepAllStdout = action == .current
        keepNothing = action == .history
    }

    /// The kept lines, oldest first, without their line ends.
    var lines: ArraySlice<String> { kept[keptStart...] }

    mutating func feed(_ bytes: UnsafeRawBufferPointer, from stream: Stream) {
        guard !keepNothing, !bytes.isEmpty else { return }
        let s = stream.rawValue
        let base = bytes.baseAddress!
        var start = 0
        while start < bytes.count {
            let newline = memchr(base + start, 0x0A, bytes.count - start).map { $0 - UnsafeMutableRawPointer(mutating: base) }
            let end = newline ?? bytes.count
            let room = Self.maxLineBytes - partial[s].count
            if room > 0 {
                partial[s].append(contentsOf: bytes[start..<min(end, start + room)])
            }
            guard newline != nil else { return }
            endLine(s)
            start = end + 1
        }
    }

    /// Ends both streams: an unfinished last line counts as a line.
    mutating func finish() {
        for s in 0..<2 where !partial[s].isEmpty { endLine(s) }
    }

    private mutating func endLine(_ s: Int) {
        defer { partial[s].removeAll(keepingCapacity: true) }
        let keep: Bool
        if keepAllStdout {
            keep = s == Stream.stdout.rawValue
        } else {
            keep = contains(partial[s], Self.upgradeMarker) || contains(partial[s], Self.downgradeMarker)
        }
        guard keep else { return }
        var line = String(decoding: partial[s], as: UTF8.self)
        if line.hasSuffix("\r") { line.removeLast() }
        kept.append(line)
        keptBytes += partial[s].count
        while keptBytes > Self.limit, keptStart < kept.count {
            keptBytes -= kept[keptStart].utf8.count
            keptStart += 1
        }
        if keptStart > 1024 {  // compact now and then
            kept.removeFirst(keptStart)
            keptStart = 0
        }
    }

    private static let upgradeMarker = Array("Running upgrade ".utf8)
    private static let downgradeMarker = Array("Running downgrade ".utf8)

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        var i = 0
        while i <= haystack.count - needle.count {
            if haystack[i] == needle[0], haystack[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}
