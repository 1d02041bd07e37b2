internal import Foundation
internal import SealbookCore
internal import SealbookKit
internal import SealbookPostgres
internal import SealbookProjections
internal import SealbookReports
internal import SealbookRunbook

#if canImport(Glibc)
    internal import Glibc
#endif

/// This process's CPU time (every thread, the prefetching reader's included; not the
/// PostgreSQL backend's) split into user and system seconds, and its minor page faults.
func processUsage() -> (user: Double, system: Double, minorFaults: Int64) {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return (
        Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6,
        Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6, Int64(u.ru_minflt)
    )
}

/// The peak resident set of this process's own memory, in bytes: `VmHWM` of
/// `/proc/self/status`, which exec resets. (`ru_maxrss` is not: Linux carries the parent's
/// peak at fork into the child's, so a child of a large process reports at least that.)
func processPeakRSSBytes() -> Int64? {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let digits = line.dropFirst("VmHWM:".count).filter(\.isNumber)
        return Int64(String(digits)).map { $0 * 1024 }
    }
    return nil
}

/// Scenario 8: rebuilding every projection from the log against verifying it alone, through
/// the one verified read (SealbookKit's `Ledger.read`): the only way events reach a projection.
enum RebuildBench {
    /// Threads that decode each page: the cores, as the verifier decodes.
    static var parallelism: Int { Machine.cores }

    struct Pass: Sendable {
        let events: Int64
        let seconds: Double
        /// CPU of the process during the pass (every thread), user and system.
        let userSeconds: Double
        let systemSeconds: Double
        /// Minor page faults during the pass (first touches of new memory, mostly).
        let minorFaults: Int64
        /// The process's peak resident set after the pass.
        let peakRSSBytes: Int64?
        /// The rebuild's time in the fold (``LedgerProjection/apply(_:)``) and in evaluating
        /// every control (``LedgerProjection/evaluate(at:catalog:runbooks:)``).
        var foldSeconds: Double?
        var evaluateSeconds: Double?
        var rate: Double { Double(events) / seconds }

        var json: BenchJSON {
            var m: [(String, BenchJSON)] = [
                ("events", .int(events)), ("seconds", .num(seconds, 3)), ("eventsPerSec", .num(rate)),
                ("cpuSeconds", .num(userSeconds + systemSeconds, 2)), ("userSeconds", .num(userSeconds, 2)),
                ("systemSeconds", .num(systemSeconds, 2)), ("minorFaults", .int(minorFaults)),
                ("peakRSSBytes", peakRSSBytes.map(BenchJSON.int) ?? .null),
            ]
            if let foldSeconds { m.append(("foldSeconds", .num(foldSeconds, 3))) }
            if let evaluateSeconds { m.append(("evaluateSeconds", .num(evaluateSeconds, 3))) }
            return .object(m)
        }

        init(
            events: Int64, seconds: Double, usage before: (user: Double, system: Double, minorFaults: Int64),
            foldSeconds: Double? = nil, evaluateSeconds: Double? = nil
        ) {
            let after = processUsage()
            self.events = events
            self.seconds = seconds
            userSeconds = after.user - before.user
            systemSeconds = after.system - before.system
            minorFaults = after.minorFaults - before.minorFaults
            peakRSSBytes = processPeakRSSBytes()
            self.foldSeconds = foldSeconds
            self.evaluateSeconds = evaluateSeconds
        }

        /// A pass as a child process printed it.
        init?(_ j: BenchJSON) {
            guard let events = j["events"]?.doubleValue, let seconds = j["seconds"]?.doubleValue, seconds > 0 else { return nil }
            self.events = Int64(events)
            self.seconds = seconds
            userSeconds = j["userSeconds"]?.doubleValue ?? 0
            systemSeconds = j["systemSeconds"]?.doubleValue ?? 0
            minorFaults = Int64(j["minorFaults"]?.doubleValue ?? 0)
            peakRSSBytes = j["peakRSSBytes"]?.doubleValue.map { Int64($0) }
            foldSeconds = j["foldSeconds"]?.doubleValue
            evaluateSeconds = j["evaluateSeconds"]?.doubleValue
        }
    }

    /// (a) Every row read and verified (signatures, streams, chain, stored columns), the
    /// verified events dropped.
    static func readDecode(url: String, upTo: Int64) throws -> Pass {
        let store = try LedgerStore(conninfo: url)
        let usage = processUsage()
        let start = monotonicSeconds()
        let log = try Ledger.read(.database, store: store, options: ReadOptions(selection: .none))
        let seconds = monotonicSeconds() - start
        guard log.isVerified else { throw BenchError("the log does not verify: \(log.report.failures.first.map { "\($0)" } ?? "")") }
        return Pass(events: log.report.entries, seconds: seconds, usage: usage)
    }

    /// Folds verified events into a projection as the verified read hands them over.
    // @unchecked Sendable: the verified read calls `apply` on the thread that runs it, in `seq`
    // order, and the folder is read only after the read has returned.
    final class Folder: @unchecked Sendable {
        var projection = LedgerProjection()
        var seconds = 0.0
        var failure: ProjectionError?
        func apply(_ e: VerifiedEvent) {
            let t0 = monotonicSeconds()
            do { try projection.apply(e) } catch { failure = failure ?? error }
            seconds += monotonicSeconds() - t0
        }
    }

    /// What a rebuild produced: proof that the projections did the work.
    struct Built: Sendable {
        let sessions: Int
        let incidents: Int
        let keys: Int
        let controlsEvaluated: Int
        let statuses: [String: Int]
        let checklistLines: Int
        let outcomes: [String: Int]

        var json: BenchJSON {
            .object([
                ("sessions", .int(Int64(sessions))), ("incidents", .int(Int64(incidents))), ("keys", .int(Int64(keys))),
                ("controlsEvaluated", .int(Int64(controlsEvaluated))),
                ("controlStatuses", .object(statuses.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
                ("checklistLines", .int(Int64(checklistLines))),
                ("sessionOutcomes", .object(outcomes.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
            ])
        }
    }

    /// (b) The same read and decode folded into a ``LedgerProjection`` from `seq` 1, then every
    /// control of every session and incident evaluated at `asOf` (session states, checklists,
    /// controls, incident analyses: the whole ``ControlReport``).
    static func rebuild(url: String, upTo: Int64, asOf: Timestamp) throws -> (Pass, Built) {
        let store = try LedgerStore(conninfo: url)
        let folder = Folder()
        let usage = processUsage()
        let start = monotonicSeconds()
        let log = try Ledger.read(.database, store: store, options: ReadOptions(selection: .none), each: folder.apply)
        guard log.isVerified, folder.failure == nil else {
            throw BenchError("the rebuild failed: \(folder.failure.map { "\($0)" } ?? log.report.failures.first.map { "\($0)" } ?? "")")
        }
        let projection = folder.projection
        let n = log.report.entries
        let fold = folder.seconds
        let (report, evaluate) = timed { projection.evaluate(at: asOf) }
        let seconds = monotonicSeconds() - start
        let pass = Pass(events: n, seconds: seconds, usage: usage, foldSeconds: fold, evaluateSeconds: evaluate)
        let controls = report.sessions.flatMap(\.controls) + report.incidents.flatMap(\.controls)
        let built = Built(
            sessions: report.sessions.count, incidents: report.incidents.count, keys: projection.keys.count,
            controlsEvaluated: controls.count,
            statuses: Dictionary(grouping: controls, by: { $0.status.rawValue }).mapValues(\.count),
            checklistLines: report.sessions.reduce(0) { $0 + $1.checklists.reduce(0) { $0 + $1.lines.count } },
            outcomes: Dictionary(grouping: report.sessions, by: { $0.state.outcome ?? "open" }).mapValues(\.count))
        return (pass, built)
    }

    /// One pass in this process, as `sealbook bench --rebuild-pass` runs it: the pass's JSON,
    /// with what was built for a rebuild.
    static func runPass(_ mode: String, url: String, upTo: Int64, asOf: String) throws -> BenchJSON {
        switch mode {
        case "read":
            return try readDecode(url: url, upTo: upTo).json
        case "rebuild":
            guard let t = Timestamp(rfc3339: asOf) else { throw BenchError("--as-of \(asOf) is not an RFC 3339 time") }
            let (pass, built) = try rebuild(url: url, upTo: upTo, asOf: t)
            return pass.json.setting("built", built.json)
        default:
            throw BenchError("--rebuild-pass must be read or rebuild, not \(mode)")
        }
    }

    /// One pass in a child process of its own (`sealbook bench --rebuild-pass …`), so that each
    /// starts as a real rebuild does, with a fresh heap, whatever this process did before.
    static func childPass(
        _ mode: String, binary: String, url: String, upTo: Int64, asOf: Timestamp, scratch: String
    ) throws -> (Pass, built: BenchJSON?, wallSeconds: Double) {
        let run = try spawnMeasured(
            binary,
            ["bench", "--rebuild-pass", mode, "--database-url", url, "--up-to", String(upTo), "--as-of", asOf.rfc3339],
            scratch: scratch)
        guard run.status == 0, let j = parseBenchJSON(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)),
            let pass = Pass(j)
        else {
            throw BenchError("sealbook bench --rebuild-pass \(mode) (child) failed with exit \(run.status): \(Peer.tail(run.stdout, lines: 3))")
        }
        return (pass, j["built"], run.seconds)
    }
}

extension Bench {
    /// Scenario 8's passes, run by the benchmark as child processes (`sealbook bench
    /// --rebuild-pass read|rebuild`): the JSON of one pass over the log at `url` up to `upTo`.
    public static func rebuildPass(_ mode: String, url: String, upTo: Int64, asOf: String) throws -> BenchJSON {
        try RebuildBench.runPass(mode, url: url, upTo: upTo, asOf: asOf)
    }
}

/// Scenario 9: every report of one long session, from reading the log to bytes.
enum ReportBench {
    /// When scenario 9's session opens.
    static let opensAt = Timestamp(rfc3339: "2026-03-02T09:00:00.000Z")!

    /// Appends one session of `events` events (its incident's events besides) to the ledger at
    /// `url`, signed by the keys of each step's role, in transactions of 1,000 through
    /// `LedgerStore.appendSigned`. Returns the session's plan and the events appended in all.
    static func buildSession(url: String, keys: Workload.Keys, events: Int) throws -> (
        plan: RunbookWorkload.Plan, appended: Int, lastTime: Timestamp
    ) {
        let plan = RunbookWorkload.Plan(number: 0, variant: .rolledBack, opensAt: opensAt)
        let steps = RunbookWorkload.longSession(events: events)
        var session: (seq: Int64, hash: Digest32) = (0, .zero)
        var incident: (seq: Int64, hash: Digest32) = (0, .zero)
        var signed: [SignedEvent] = []
        signed.reserveCapacity(steps.count)
        for step in steps {
            let e = try RunbookWorkload.sign(plan, step, position: step.incident ? incident : session, keys: keys)
            if step.incident { incident = (e.body.streamSeq, e.eventHash) } else { session = (e.body.streamSeq, e.eventHash) }
            signed.append(e)
        }
        let store = try LedgerStore(conninfo: url)
        var i = 0
        while i < signed.count {
            let part = Array(signed[i..<min(i + 1_000, signed.count)])
            _ = try store.appendSigned(part)
            i += part.count
        }
        guard session.seq == Int64(events) else {
            throw BenchError("the long session has \(session.seq) events, not \(events)")
        }
        return (plan, signed.count, plan.opensAt.adding(milliseconds: steps.map(\.atMs).max() ?? 0))
    }

    /// The reports of scenario 9, by kind.
    enum Kind: String, CaseIterable, Sendable { case session, compliance, incident }

    struct Timing: Sendable {
        let kind: Kind
        let format: ReportFormat
        /// Each run: reading the log's report events into a snapshot, computing the report
        /// (projection and evaluation), rendering it.
        var reads: [Double] = []
        var builds: [Double] = []
        var renders: [Double] = []
        var bytes = 0
        var cli: ChildRun?

        var totals: [Double] { zip(zip(reads, builds), renders).map { $0.0 + $0.1 + $1 } }
        /// The median run (read + build + render).
        var total: Double { median(totals) }
        var render: Double { median(renders) }

        var json: BenchJSON {
            var m: [(String, BenchJSON)] = [
                ("kind", .string(kind.rawValue)), ("format", .string(format.rawValue)), ("bytes", .int(Int64(bytes))),
                ("totalMs", .ms(total * 1000)), ("readMs", .ms(median(reads) * 1000)), ("buildMs", .ms(median(builds) * 1000)),
                ("renderMs", .ms(render * 1000)), ("runsTotalMs", .array(totals.map { .ms($0 * 1000) })),
            ]
            if let cli { m.append(("cliMs", .ms(cli.seconds * 1000))) }
            return .object(m)
        }
    }

    static func median(_ xs: [Double]) -> Double {
        guard !xs.isEmpty else { return .nan }
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// The snapshot `sealbook report` computes from: one verified read of the whole log.
    static func snapshot(_ store: LedgerStore) throws -> LedgerSnapshot {
        try Ledger.reportSnapshot(.database, store: store, trustRoot: nil, allowUnverified: false)
    }

    /// The parameters of each kind: the session id, a compliance period covering the session
    /// (whole days), the incident id.
    static func make(_ kind: Kind, plan: RunbookWorkload.Plan, lastTime: Timestamp, snapshot: LedgerSnapshot) throws
        -> SealbookReports.Report
    {
        switch kind {
        case .session: return try .session(plan.id, snapshot: snapshot)
        case .incident: return try .incident(plan.incidentID, snapshot: snapshot)
        case .compliance:
            return try .compliance(
                framework: .all, from: String(plan.opensAt.rfc3339.prefix(10)), to: String(lastTime.rfc3339.prefix(10)),
                snapshot: snapshot)
        }
    }

    /// Every kind in every format, `runs` times each: read, build, render, timed apart.
    static func measure(
        url: String, plan: RunbookWorkload.Plan, lastTime: Timestamp, runs: Int
    ) throws -> [Timing] {
        let store = try LedgerStore(conninfo: url)
        let renderer = ReportRenderer()
        var out: [Timing] = []
        for kind in Kind.allCases {
            for format in ReportFormat.allCases {
                var t = Timing(kind: kind, format: format)
                for _ in 0..<runs {
                    let (snap, read) = try timed { try snapshot(store) }
                    let (report, build) = try timed { try make(kind, plan: plan, lastTime: lastTime, snapshot: snap) }
                    let (bytes, render) = try timed { try renderer.render(report, as: format) }
                    t.reads.append(read)
                    t.builds.append(build)
                    t.renders.append(render)
                    t.bytes = bytes.count
                }
                out.append(t)
            }
        }
        return out
    }

    /// `sealbook report <kind> … --format <format> --out <file>` as a child process: what a user
    /// waits for, with the verification of the whole log and the process start.
    static func cli(
        binary: String, url: String, rootKey: String, kind: Kind, format: ReportFormat, plan: RunbookWorkload.Plan,
        lastTime: Timestamp, scratch: String
    ) throws -> ChildRun {
        let file = scratch + "/bench-report-\(getpid())-\(kind.rawValue).\(format.rawValue)"
        defer { unlink(file) }
        var args = ["report", kind.rawValue]
        switch kind {
        case .session: args.append(plan.id)
        case .incident: args.append(plan.incidentID)
        case .compliance:
            args += ["--framework", "all", "--from", String(plan.opensAt.rfc3339.prefix(10)), "--to", String(lastTime.rfc3339.prefix(10))]
        }
        args += ["--format", format.rawValue, "--out", file, "--force", "--database-url", url, "--trust-root", rootKey]
        let run = try spawnMeasured(binary, args, scratch: scratch)
        guard run.status == 0 else {
            throw BenchError("sealbook \(args.prefix(3).joined(separator: " ")) (child) failed with exit \(run.status)")
        }
        return run
    }
}

// MARK: - The scenarios

extension Runner {
    /// Scenario 8 on the big log (`head` entries): reading and decoding every row, then the same
    /// read folded into every projection and evaluated, in alternating rounds.
    func rebuildScenario(_ s: inout ScenarioResult, url: String, head: Int64, keys: Workload.Keys) {
        do {
            let refusals = RunbookWorkload.catalogRefusals(keys: keys, longEvents: sizes.reportSessionEvents)
            guard refusals.isEmpty else {
                throw BenchError("the runbook workload breaks the event catalog: \(refusals.prefix(3).joined(separator: "; "))")
            }
            let asOf = RunbookWorkload.horizon(total: sizes.events, slots: sizes.logStreams)
            var reads: [RebuildBench.Pass] = []
            var rebuilds: [RebuildBench.Pass] = []
            var walls: [(String, BenchJSON)] = []
            var built: BenchJSON = .null
            for round in 1...sizes.rebuildRounds {
                log("scenario 8 (round \(round)/\(sizes.rebuildRounds)): read and decode \(grouped(head)) entries (child process)")
                let (r, _, readWall) = try RebuildBench.childPass(
                    "read", binary: options.binary, url: url, upTo: head, asOf: asOf, scratch: options.scratchDirectory)
                reads.append(r)
                log("scenario 8: \(formatRate(r.rate)) read and decoded; rebuilding every projection (child process)")
                let (b, what, rebuildWall) = try RebuildBench.childPass(
                    "rebuild", binary: options.binary, url: url, upTo: head, asOf: asOf, scratch: options.scratchDirectory)
                rebuilds.append(b)
                built = what ?? .null
                walls.append(("round\(round)", .object([("read", .num(readWall, 3)), ("rebuild", .num(rebuildWall, 3))])))
                log(
                    "scenario 8: rebuilt at \(formatRate(b.rate)) (fold \(String(format: "%.2f", b.foldSeconds ?? 0)) s, evaluate \(String(format: "%.2f", b.evaluateSeconds ?? 0)) s): \(built["sessions"]?.doubleValue.map { Int($0) } ?? 0) sessions, \(built["incidents"]?.doubleValue.map { Int($0) } ?? 0) incidents, \(grouped(Int64(built["controlsEvaluated"]?.doubleValue ?? 0))) controls"
                )
            }
            guard let read = reads.max(by: { $0.rate < $1.rate }), let rebuild = rebuilds.max(by: { $0.rate < $1.rate }) else {
                throw BenchError("no round ran")
            }
            let perRound = zip(rebuilds, reads).map { $0.rate / $1.rate }
            s.details = [
                ("entries", .int(head)), ("asOf", .string(asOf.rfc3339)), ("decodeThreads", .int(Int64(RebuildBench.parallelism))),
                ("readDecode", .array(reads.map(\.json))), ("rebuild", .array(rebuilds.map(\.json))),
                ("ratioPerRound", .array(perRound.map { .num($0, 4) })), ("childWallSeconds", .object(walls)), ("built", built),
                (
                    "how",
                    .string(
                        "each pass is a child process of its own (sealbook bench --rebuild-pass read|rebuild: a fresh heap, as a rebuild that starts a process has); both read the log through the one verified read (Ledger.read: prefetching reader thread, pages of 8,192, decoding and signature checks on \(RebuildBench.parallelism) threads, every stored column checked); the read pass drops the verified events, the rebuild folds each into a LedgerProjection from seq 1 as it is verified and then evaluates every control of every session and incident (LedgerProjection.evaluate, sessions and incidents on all cores). Rates are events over each pass's own time (from its connection to the last event, or to the evaluation's end); best of \(sizes.rebuildRounds) alternating rounds each"
                    )
                ),
            ]
            let sessions = built["sessions"]?.doubleValue ?? 0, controls = built["controlsEvaluated"]?.doubleValue ?? 0
            s.settle(
                figure: rebuild.rate, baseline: read.rate, conditions: [("projectionsBuilt", sessions > 0 && controls > 0)])
            log("scenario 8: ratio \(s.ratio.map { String(format: "%.3f", $0) } ?? "—")")
        } catch {
            s.fail(error)
            log("scenario 8: \(error)")
        }
    }

    /// Scenario 9: one long session in a ledger of its own, then every report of it in every
    /// format, read → build → render, plus the CLI as a child.
    func reportScenario(keys: Workload.Keys) -> ScenarioResult {
        let n = sizes.reportSessionEvents
        var s = ScenarioResult(
            id: 9, key: "render-reports", title: "Render each report for a session of \(grouped(Int64(n))) events", unit: "ms",
            baselineLabel: "the bound",
            target: Target(op: .atMost, value: 1, text: "< 1 s per report (slowest of 3 kinds × md, html, json, oscal)"))
        do {
            let refusals = RunbookWorkload.catalogRefusals(keys: keys, longEvents: n)
            guard refusals.isEmpty else {
                throw BenchError("the runbook workload breaks the event catalog: \(refusals.prefix(3).joined(separator: "; "))")
            }
            let db = try server.createDatabase("s9")
            try Workload.setUpLedger(url: db.url, keys: keys, runbook: true)
            log("scenario 9: one session of \(grouped(Int64(n))) events")
            let (built, buildSeconds) = try timed { try ReportBench.buildSession(url: db.url, keys: keys, events: n) }
            let store = try LedgerStore(conninfo: db.url)
            let (v, verifySeconds) = try timed {
                try store.verify(options: VerifyOptions(trustRoot: keys.root.privateKey.publicKey))
            }
            guard v.isValid else { throw BenchError("the session's ledger does not verify: \(v.failures.first.map { "\($0)" } ?? "")") }
            log("scenario 9: \(built.appended) events appended in \(String(format: "%.1f", buildSeconds)) s; rendering every report")
            var timings = try ReportBench.measure(url: db.url, plan: built.plan, lastTime: built.lastTime, runs: sizes.reportRuns)
            // Through the CLI, each kind in its slowest format (a child process each: start-up and
            // the verification of the whole ledger included).
            for kind in ReportBench.Kind.allCases {
                guard let i = timings.indices.filter({ timings[$0].kind == kind }).max(by: { timings[$0].total < timings[$1].total })
                else { continue }
                timings[i].cli = try ReportBench.cli(
                    binary: options.binary, url: db.url, rootKey: keys.root.privateKey.publicKey.base64, kind: timings[i].kind,
                    format: timings[i].format, plan: built.plan, lastTime: built.lastTime, scratch: options.scratchDirectory)
            }
            guard let slowest = timings.max(by: { $0.total < $1.total }) else { throw BenchError("no report ran") }
            for t in timings {
                log(
                    "scenario 9: \(t.kind.rawValue) \(t.format.rawValue): \(String(format: "%.0f", t.total * 1000)) ms (render \(String(format: "%.0f", t.render * 1000)) ms), \(t.bytes) bytes\(t.cli.map { String(format: "; CLI %.0f ms", $0.seconds * 1000) } ?? "")"
                )
            }
            s.details = [
                ("sessionEvents", .int(Int64(n))), ("ledgerEntries", .int(v.entries)), ("buildSeconds", .num(buildSeconds, 2)),
                ("verifySeconds", .num(verifySeconds, 3)), ("runsPerReport", .int(Int64(sizes.reportRuns))),
                ("slowest", .string("\(slowest.kind.rawValue) \(slowest.format.rawValue)")),
                ("slowestRenderMs", .ms(timings.map(\.render).max().map { $0 * 1000 })),
                ("slowestCliMs", .ms(timings.compactMap(\.cli?.seconds).max().map { $0 * 1000 })),
                ("verifyEntriesPerSec", .num(Double(v.entries) / verifySeconds)),
                ("reports", .array(timings.map(\.json))),
                (
                    "how",
                    .string(
                        "per report: the one verified read of the whole log that sealbook report makes (Ledger.reportSnapshot: verification and the events reports use, in one pass), Report.session/.compliance/.incident (projection and evaluation), ReportRenderer.render; median of the runs; the figure is the slowest report. verifySeconds is verification alone, for the ratio of a report to it. cliMs: the sealbook report command as a child process, verification and start-up included, for each kind in its slowest format"
                    )
                ),
            ]
            s.settle(figure: slowest.total * 1000, baseline: 1000)
        } catch {
            s.fail(error)
            log("scenario 9: \(error)")
        }
        return s
    }
}
