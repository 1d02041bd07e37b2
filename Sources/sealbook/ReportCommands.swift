public import ArgumentParser
import Foundation
import SealbookCore
import SealbookKit
import SealbookPostgres
import SealbookReports

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// `sealbook report session|compliance|incident` and `sealbook replay`: thin shells over
// SealbookReports. The log is verified first; a report or replay from a log that does not
// verify is refused (exit 1) unless --allow-unverified, and then says so at its top.

/// Where the events come from, and whether an unverified log may be used.
struct LogSourceOptions: ParsableArguments {
    @Option(
        name: .customLong("trust-root"),
        help: ArgumentHelp(
            "The root public key (base64) to check the genesis against (default: $SEALBOOK_TRUST_ROOT).", valueName: "pubkey"))
    var trustRoot: String?
    @Option(help: ArgumentHelp("Read and verify this bundle offline instead of the database.", valueName: "file"))
    var bundle: String?
    @Option(
        name: .customLong("data-keys"),
        help: ArgumentHelp(
            "With --bundle: the data keys file exported with it (sealbook export --data-keys), to open its sealed fields.",
            valueName: "file"))
    var dataKeys: String?
    @Flag(
        name: .customLong("allow-unverified"),
        help: "Render even when the log does not verify; the output then says UNVERIFIED at its top and names the events left out.")
    var allowUnverified = false
    @Option(
        help: ArgumentHelp(
            "Verify only what came after this trusted checkpoint file (with --log-vkey), or `last`: the one this machine last verified.",
            valueName: "file|last"))
    var since: String?
    @Option(
        name: .customLong("log-vkey"),
        help: ArgumentHelp("The log's verifier key, to check the --since checkpoint (default: $SEALBOOK_LOG_VKEY).", valueName: "vkey"))
    var logVkey: String?
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        if bundle != nil && database.databaseURL != nil {
            throw ValidationError("--bundle reads offline; do not combine it with --database-url")
        }
        if dataKeys != nil && bundle == nil {
            throw ValidationError("--data-keys opens the sealed fields of a --bundle; the database has its own keys")
        }
        if since != nil && bundle != nil {
            throw ValidationError("--since reads the database from a checkpoint; a bundle is read whole (drop --since)")
        }
    }

    /// The trusted checkpoint of `--since`, with a note saying which one.
    func trustedSince(_ ledger: Ledger, _ out: Output) throws -> TrustedCheckpoint? {
        guard let since else { return nil }
        if since == "last" {
            guard let cp = try LocalCheckpoints(directory: localCheckpointDirectory()).load(origin: try ledger.origin()) else {
                throw CLIError(
                    .usage, "this machine has verified no checkpoint of this ledger yet: run sealbook verify once, or give --since FILE")
            }
            out.note("verifying since the checkpoint this machine last verified: seq \(cp.size)")
            return cp
        }
        return try loadTrustedCheckpoint(since, logVkey: logVkey ?? ProcessInfo.processInfo.environment["SEALBOOK_LOG_VKEY"])
    }

    var root: Ed25519.PublicKey? {
        get throws { try parseTrustRoot(trustRoot ?? ProcessInfo.processInfo.environment["SEALBOOK_TRUST_ROOT"]) }
    }

    /// One verified read of the log (online, or the bundle offline) into what reports use;
    /// with --since, from that checkpoint, reading `prior` from before it (a report that needs
    /// the whole log passes nil and is read from seq 1). Refuses a log that does not verify
    /// unless --allow-unverified.
    func snapshot(_ out: Output, prior: PriorSelection?) throws -> LedgerSnapshot {
        do { return try read(out, prior: prior) } catch LedgerError.unverified(let report) {
            throw Self.refusal(report)
        }
    }

    /// A report refused because the log does not verify: what failed, and how to go on.
    static func refusal(_ report: VerificationReport) -> CLIError {
        CLIError(
            .verificationFailed,
            LedgerError.unverified(report).description
                + "; what is computed from it would not be evidence. Pass --allow-unverified to render it anyway, marked UNVERIFIED")
    }

    private func read(_ out: Output, prior: PriorSelection?) throws -> LedgerSnapshot {
        let progress = out.progress("verifying")
        defer { progress.done() }
        let snapshot: LedgerSnapshot
        if let bundle {
            let ring = try dataKeys.map {
                try DataKeysFile.ring(parsing: InputFile.read($0, what: "data keys file", limit: DataKeysFile.maxBytes), ledger: nil)
            }
            snapshot = try Ledger.reportSnapshot(
                .bundle(path: bundle), store: nil, trustRoot: try root, allowUnverified: allowUnverified, dataKeys: ring,
                progress: progress.update)
        } else {
            let store = try database.open(out)
            let ledger = Ledger(store: store, trustRoot: try root)
            var cp = try trustedSince(ledger, out)
            if cp != nil && prior == nil {
                out.note("a period's report reads every session: verifying from seq 1, not since the checkpoint")
                cp = nil
            }
            snapshot = try Ledger.reportSnapshot(
                .database, store: store, trustRoot: try root, allowUnverified: allowUnverified, since: cp, prior: prior,
                progress: progress.update)
        }
        warnIfUnpinned(snapshot, out)
        return snapshot
    }

    func warnIfUnpinned(_ snapshot: LedgerSnapshot, _ out: Output) {
        if !snapshot.verification.rootPinned && snapshot.verification.verified {
            out.note("warning: the root was not pinned; pass --trust-root <root public key> (or set SEALBOOK_TRUST_ROOT)")
        }
    }
}

extension ReportFormat: ExpressibleByArgument {}
extension FrameworkSelection: ExpressibleByArgument {}

/// How a report is written.
struct ReportOutputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The format (oscal: OSCAL assessment-results JSON).", valueName: "format")) var format = ReportFormat.md
    @Option(
        name: .customLong("as-of"),
        help: ArgumentHelp(
            "Evaluate as of this RFC 3339 time (default: the latest signed time in the log read; never the clock).",
            valueName: "time"))
    var asOf: String?
    @Option(help: ArgumentHelp("Write the report to this file (default: standard output).", valueName: "file")) var out: String?
    @Flag(help: "Replace an existing --out file.") var force = false
    @Option(
        help: ArgumentHelp(
            "Use the *.mustache templates of this directory instead of the built-in ones (see reports/).", valueName: "dir"))
    var templates: String?

    @Flag(
        help: """
            Keep the report live: after writing it, wait for appends (LISTEN sealbook_append, \
            and a look at the head every few seconds) and re-verify, re-render and replace --out \
            each time the log moves; stop on Ctrl-C or SIGTERM (exit 0).
            """)
    var follow = false

    func validate(json: Bool, source: LogSourceOptions) throws {
        if json && out == nil {
            throw CLIError(.usage, "--json describes the file written: give --out FILE, or drop --json to print the report")
        }
        if follow {
            guard out != nil else {
                throw CLIError(.usage, "--follow rewrites a file as the log grows: give --out FILE")
            }
            if source.bundle != nil {
                throw CLIError(.usage, "--follow watches the database; a bundle does not grow (drop --bundle)")
            }
        }
    }

    /// Writes the report `make` computes from the verified log; with --follow, verifies the
    /// entries appended since and writes it again each time the log moves, until SIGINT or SIGTERM.
    func produce(
        _ source: LogSourceOptions, _ o: Output, prior: PriorSelection?,
        _ make: (LedgerSnapshot) throws(ReportError) -> SealbookReports.Report
    ) throws {
        guard follow else {
            try write(try make(try source.snapshot(o, prior: prior)), o)
            return
        }
        let stop = StopRequest.install()
        let ledger = Ledger(store: try source.database.open(o), trustRoot: try source.root)
        // Listen before the first read, so that no append falls between the two.
        try ledger.store.listenForAppends()
        let follower = LogFollower(
            ledger: ledger, allowUnverified: source.allowUnverified, since: try source.trustedSince(ledger, o), prior: prior)
        var written = false
        while !stop.isRequested {
            let progress = o.progress("verifying")
            let refreshed: LedgerSnapshot?
            do { refreshed = try follower.refresh(progress: progress.update) } catch LedgerError.unverified(let report) {
                throw LogSourceOptions.refusal(report)
            }
            progress.done()
            if let snapshot = refreshed {
                if !written { source.warnIfUnpinned(snapshot, o) }
                try write(try make(snapshot), o, replace: written)
                written = true
                fflush(nil)  // each --json line reaches a reader as it is written
            }
            try Self.waitForAppends(ledger.store, stop)
        }
        o.note("stopped following at seq \(follower.verifiedSeq)")
    }

    /// Waits until an append is announced (then a little longer, to take a burst in one
    /// render), a few seconds pass (a look at the head catches appends whose notification was
    /// lost, e.g. behind a pooler), or a stop is requested.
    private static func waitForAppends(_ store: LedgerStore, _ stop: StopRequest) throws {
        let slice = Duration.milliseconds(200)
        var waited = Duration.zero
        while !stop.isRequested && waited < .seconds(5) {
            if try store.waitForAppends(timeout: slice) != nil {
                var settle = Duration.zero
                while !stop.isRequested, settle < .seconds(1), try store.waitForAppends(timeout: .milliseconds(100)) != nil {
                    settle += .milliseconds(100)
                }
                return
            }
            waited += slice
        }
    }

    /// Renders `report` and writes it (through a temporary file renamed into place). `replace`:
    /// the file is ours to replace (a --follow rewrite) even without --force.
    func write(_ report: SealbookReports.Report, _ o: Output, replace: Bool = false) throws {
        let fmt = format
        let renderer = ReportRenderer(templates: try templates.map { try ReportTemplates.load(directory: $0) } ?? .builtIn)
        let bytes = try renderer.render(report, as: fmt)
        guard let path = out else {
            FileHandle.standardOutput.write(Data(bytes))
            return
        }
        // --force (or a --follow rewrite) replaces a regular file only: never a directory, and
        // never what a symlink points to (FileOutput).
        try FileOutput.writeAtomically(bytes, to: path, replace: force || replace)
        let (seq, chain) = report.position
        o.line(
            "wrote \(path): \(report.title) (\(fmt.rawValue), seq \(seq), as of \(report.asOf)\(report.verified ? "" : ", UNVERIFIED"))"
        )
        o.result(
            .obj([
                ("ok", true), ("file", .string(path)), ("kind", .string(report.kind.rawValue)), ("format", .string(fmt.rawValue)),
                ("seq", .int(seq)), ("chainHash", .string(chain.hex)), ("asOf", .string(report.asOf)),
                ("verified", .bool(report.verified)), ("bytes", .int(Int64(bytes.count))),
                ("sha256", .string(SHA256.hash(bytes).hex)),
            ]))
    }
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Compliance reports from the verified log: a session, a period across sessions, an incident.",
        discussion: """
            Every report states the log position it was computed from (seq, \
            chainHash), its as-of time, the runbook and control-catalog SHA-256, \
            and how verification of the log went; the same position and as-of \
            always give the same bytes. Formats: md, html (one self-contained, \
            printable file), json (schemas/reports/report.schema.json), oscal \
            (OSCAL assessment-results). A log that does not verify is refused \
            (exit 1) unless --allow-unverified; the report then says UNVERIFIED \
            at its top. See docs/REPORTS.md.

            Example:
              sealbook report session $SEALBOOK_SESSION --format html \\
                --out session.html --trust-root <root public key>
            """,
        subcommands: [SessionReport.self, Compliance.self, IncidentReport.self])

    struct SessionReport: SealbookCommand {
        static let configuration = CommandConfiguration(
            commandName: "session",
            abstract: "Report one session: state, checklists, controls with evidence, timeline, incidents.",
            discussion: """
                Example:
                  sealbook report session $SEALBOOK_SESSION --trust-root <root public key>
                  sealbook report session $SEALBOOK_SESSION --format oscal \\
                    --out session.oscal.json
                """)
        @Argument(help: ArgumentHelp("The session id (as session open printed it).", valueName: "session")) var session: String
        @OptionGroup var report: ReportOutputOptions
        @OptionGroup var source: LogSourceOptions
        @OptionGroup var output: OutputOptions

        func perform(_ out: Output) throws {
            try report.validate(json: output.json, source: source)
            try report.produce(source, out, prior: Ledger.priorSelection(session: session)) { snapshot throws(ReportError) in
                try .session(session, snapshot: snapshot, asOf: report.asOf)
            }
        }
    }

    struct Compliance: SealbookCommand {
        static let configuration = CommandConfiguration(
            commandName: "compliance",
            abstract: "Report a period: the population of every change in it, results per framework, the exceptions.",
            discussion: """
                The population is every session opened from --from (inclusive) \
                to --to: a date (2026-03-31) includes that whole day (UTC); an \
                RFC 3339 time is excluded. Failed, rolled-back and emergency \
                changes are in it; auditors sample from it.

                Example:
                  sealbook report compliance --framework sox --from 2026-01-01 \\
                    --to 2026-03-31 --format html --out q1-sox.html
                """)
        @Option(help: ArgumentHelp("The framework (all: every one).", valueName: "framework")) var framework = FrameworkSelection.all
        @Option(help: ArgumentHelp("Start of the period: a date or an RFC 3339 time.", valueName: "date")) var from: String
        @Option(help: ArgumentHelp("End of the period: a date (included) or an RFC 3339 time (excluded).", valueName: "date"))
        var to: String
        @OptionGroup var report: ReportOutputOptions
        @OptionGroup var source: LogSourceOptions
        @OptionGroup var output: OutputOptions

        func perform(_ out: Output) throws {
            try report.validate(json: output.json, source: source)
            try report.produce(source, out, prior: nil) { snapshot throws(ReportError) in
                try .compliance(framework: framework, from: from, to: to, snapshot: snapshot, asOf: report.asOf)
            }
        }
    }

    struct IncidentReport: SealbookCommand {
        static let configuration = CommandConfiguration(
            commandName: "incident",
            abstract: "Report one incident: timeline, phases, escalations, rollbacks, GDPR Art. 33, root cause, evidence.",
            discussion: """
                Example:
                  sealbook report incident INC-20260302-1a2b3c --format html \\
                    --out incident.html --trust-root <root public key>
                """)
        @Argument(help: ArgumentHelp("The incident id.", valueName: "incident")) var incident: String
        @OptionGroup var report: ReportOutputOptions
        @OptionGroup var source: LogSourceOptions
        @OptionGroup var output: OutputOptions

        func perform(_ out: Output) throws {
            try report.validate(json: output.json, source: source)
            try report.produce(source, out, prior: Ledger.priorSelection(incident: incident)) { snapshot throws(ReportError) in
                try .incident(incident, snapshot: snapshot, asOf: report.asOf)
            }
        }
    }
}

// MARK: - replay

struct Replay: SealbookCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a session: its timeline and whole projected state at any seq or time, or step by step.",
        discussion: """
            Without --at, shows the whole timeline and the state after the last \
            event. --at SEQ (a number) or --at TIME (RFC 3339) shows the \
            timeline up to that point, what its event changed, and the state \
            then: checklist, approvals, commands, the production gate, controls. \
            --json prints every step. --step walks the session in a terminal, \
            event by event (n, → or space: next; p or ←: previous; g first; \
            G last; q quit), showing what each event changed.

            Example:
              sealbook replay $SEALBOOK_SESSION --at 42 --trust-root <root public key>
              sealbook replay $SEALBOOK_SESSION --step
            """)
    @Argument(help: ArgumentHelp("The session id.", valueName: "session")) var session: String
    @Option(help: ArgumentHelp("A seq, or an RFC 3339 time.", valueName: "seq|time")) var at: String?
    @Flag(help: "Walk the session event by event in a terminal.") var step = false
    @OptionGroup var source: LogSourceOptions
    @OptionGroup var output: OutputOptions

    func perform(_ out: Output) throws {
        if step && output.json { throw CLIError(.usage, "--step is interactive; --json prints every step instead") }
        var terminal: Terminal?
        if step {
            // Checked before reading the log: no point verifying for a step that cannot run.
            guard isatty(STDOUT_FILENO) == 1, let t = Terminal.attach() else {
                throw CLIError(
                    .usage,
                    "--step needs a terminal (standard output and /dev/tty); use --at SEQ to see one point, or --json for every step"
                )
            }
            terminal = t
        }
        let snapshot = try source.snapshot(out, prior: Ledger.priorSelection(session: session))
        // Frames are computed as they are shown: up to the one asked for, never past it.
        let replay = try SessionReplay(session: session, snapshot: snapshot)
        var index = replay.count - 1
        if let at {
            if let seq = Int64(at) { index = try replay.index(atSeq: seq) } else { index = try replay.index(atTime: at) }
        }
        if let terminal {
            terminal.walk(ReplayNavigator(replay), from: at == nil ? 0 : index)
            return
        }
        if out.json {
            guard at == nil else {
                out.result(replay.json(only: replay.frame(index)))
                return
            }
            // Every frame, written as it is computed (the bytes out.result would print).
            let stdout = FileHandle.standardOutput
            replay.writeJSON { stdout.write(Data($0)) }
            stdout.write(Data("\n".utf8))
            return
        }
        FileHandle.standardOutput.write(Data(replay.text(at: replay.frame(index)).utf8))
    }
}

/// The controlling terminal in raw mode, for `replay --step`: single keys in, screens out.
final class Terminal {
    let fd: Int32
    private var saved = termios()

    private init(fd: Int32) { self.fd = fd }

    /// `/dev/tty`, or nil when there is no controlling terminal.
    static func attach() -> Terminal? {
        let fd = open("/dev/tty", O_RDWR)
        guard fd >= 0 else { return nil }
        guard isatty(fd) == 1 else {
            close(fd)
            return nil
        }
        return Terminal(fd: fd)
    }

    deinit { close(fd) }

    private func raw() {
        tcgetattr(fd, &saved)
        var t = saved
        t.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG | IEXTEN)
        t.c_iflag &= ~tcflag_t(IXON | ICRNL)
        withUnsafeMutableBytes(of: &t.c_cc) { cc in
            cc[Int(VMIN)] = 1  // a read returns after one byte
            cc[Int(VTIME)] = 0
        }
        tcsetattr(fd, TCSANOW, &t)
    }

    private func restore() { tcsetattr(fd, TCSANOW, &saved) }

    private func emit(_ s: String) {
        let bytes = Array(s.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 { return }
            offset += n
        }
    }

    private var size: (rows: Int, cols: Int) {
        var w = winsize()
        if ioctl(fd, UInt(TIOCGWINSZ), &w) == 0, w.ws_row > 0 { return (Int(w.ws_row), Int(w.ws_col)) }
        return (24, 80)
    }

    enum Key { case next, previous, first, last, quit, other }

    private func key() -> Key {
        var b: UInt8 = 0
        guard read(fd, &b, 1) == 1 else { return .quit }
        switch b {
        case UInt8(ascii: "n"), UInt8(ascii: " "), UInt8(ascii: "j"), 0x0D, 0x0A: return .next
        case UInt8(ascii: "p"), UInt8(ascii: "k"), 0x7F, 0x08: return .previous
        case UInt8(ascii: "g"): return .first
        case UInt8(ascii: "G"): return .last
        case UInt8(ascii: "q"), 0x03, 0x04: return .quit
        case 0x1B:
            // An arrow key is ESC [ A/B/C/D; a lone ESC quits.
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 50) > 0 else { return .quit }
            var seq: [UInt8] = [0, 0]
            guard read(fd, &seq[0], 1) == 1, seq[0] == UInt8(ascii: "["), read(fd, &seq[1], 1) == 1 else { return .other }
            switch seq[1] {
            case UInt8(ascii: "C"), UInt8(ascii: "B"): return .next
            case UInt8(ascii: "D"), UInt8(ascii: "A"): return .previous
            case UInt8(ascii: "H"): return .first
            case UInt8(ascii: "F"): return .last
            default: return .other
            }
        default: return .other
        }
    }

    /// Shows frame after frame until the user quits; each is computed when first reached.
    func walk(_ replay: ReplayNavigator, from start: Int) {
        raw()
        defer {
            restore()
            emit("\n")
        }
        var i = start
        while true {
            let (rows, cols) = size
            emit(replay.screen(i, rows: rows, cols: cols))
            switch key() {
            case .next: i = min(i + 1, replay.count - 1)
            case .previous: i = max(i - 1, 0)
            case .first: i = 0
            case .last: i = replay.count - 1
            case .quit: return
            case .other: continue
            }
        }
    }
}
