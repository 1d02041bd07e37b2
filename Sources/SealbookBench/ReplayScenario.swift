internal import Foundation
internal import SealbookCore
internal import SealbookKit
internal import SealbookPostgres
internal import SealbookReports

/// Scenario 12: `sealbook replay` of the same kind of session (scenario 9's long session,
/// RunbookWorkload.longSession) at two lengths, each in a ledger of its own: how long the first
/// frame takes to appear, and how long walking every frame takes, as `--json` (every frame
/// streamed) and as `--step` (every screen drawn). Linear replay walks ten times the events in
/// about ten times the time.
enum ReplayBench {
    /// The terminal `--step` draws on.
    static let rows = 50, cols = 120

    struct Run: Sendable {
        let events: Int
        let frames: Int
        let ledgerEntries: Int64
        /// The verified read `sealbook replay` makes first (Ledger.reportSnapshot), not part of
        /// the figures below.
        let readSeconds: Double
        /// From the snapshot to the first `--step` screen: SessionReplay, the fold up to the
        /// session's first event, the screen.
        var firstFrame: [Double] = []
        /// Every frame's JSON, streamed (`replay --json`): bytes written, wall and CPU time.
        var jsonBytes = 0
        var jsonWalk: [Double] = []
        var jsonWalkCPU: [Double] = []
        /// Every `--step` screen in order, from the first to the last: wall and CPU time.
        var stepWalk: [Double] = []
        var stepWalkCPU: [Double] = []
        /// `sealbook replay <session> --at <first seq> --json` as a child process: start-up,
        /// the verified read of the whole log, the first frame.
        var cliFirstFrame: ChildRun?
        /// `sealbook replay <session> --json` as a child process.
        var cliAll: ChildRun?

        var json: BenchJSON {
            var m: [(String, BenchJSON)] = [
                ("events", .int(Int64(events))), ("frames", .int(Int64(frames))), ("ledgerEntries", .int(ledgerEntries)),
                ("readMs", .ms(readSeconds * 1000)), ("firstFrameMs", .ms(ReportBench.median(firstFrame) * 1000)),
                ("jsonWalkMs", .ms(ReportBench.median(jsonWalk) * 1000)),
                ("jsonWalkCpuMs", .ms(ReportBench.median(jsonWalkCPU) * 1000)), ("jsonBytes", .int(Int64(jsonBytes))),
                ("stepWalkMs", .ms(ReportBench.median(stepWalk) * 1000)),
                ("stepWalkCpuMs", .ms(ReportBench.median(stepWalkCPU) * 1000)),
                ("firstFrameRunsMs", .array(firstFrame.map { .ms($0 * 1000) })),
                ("jsonWalkRunsMs", .array(jsonWalk.map { .ms($0 * 1000) })),
                ("stepWalkRunsMs", .array(stepWalk.map { .ms($0 * 1000) })),
            ]
            if let c = cliFirstFrame { m.append(("cliFirstFrameMs", .ms(c.seconds * 1000))) }
            if let c = cliAll {
                m.append(("cliJsonMs", .ms(c.seconds * 1000)))
                m.append(("cliJsonPeakRSSBytes", .int(c.peakRSSBytes)))
            }
            return .object(m)
        }
    }

    /// A ledger of its own at `url` with one session of `events` events, read once (verified)
    /// as `sealbook replay` reads it.
    struct Session: Sendable {
        let plan: RunbookWorkload.Plan
        let snapshot: LedgerSnapshot
        let replay: SessionReplay
        var run: Run
    }

    static func prepare(url: String, keys: Workload.Keys, events: Int) throws -> Session {
        try Workload.setUpLedger(url: url, keys: keys, runbook: true)
        let built = try ReportBench.buildSession(url: url, keys: keys, events: events)
        let store = try LedgerStore(conninfo: url)
        let (snapshot, read) = try timed { try ReportBench.snapshot(store) }
        let replay = try SessionReplay(session: built.plan.id, snapshot: snapshot)
        return Session(
            plan: built.plan, snapshot: snapshot, replay: replay,
            run: Run(events: events, frames: replay.count, ledgerEntries: snapshot.headSeq, readSeconds: read))
    }

    /// One round on `s`: the first frame, the --json walk, the --step walk.
    static func round(_ s: inout Session) throws {
        let id = s.plan.id, snapshot = s.snapshot, replay = s.replay
        let (screen, first) = try timed { () throws -> String in
            let r = try SessionReplay(session: id, snapshot: snapshot)
            return ReplayNavigator(r).screen(0, rows: rows, cols: cols)
        }
        guard screen.contains("event 1 of \(replay.count)") else { throw BenchError("the first replay screen is wrong") }
        s.run.firstFrame.append(first)
        var cpu = processUsage()
        let (bytes, json) = timed { () -> Int in
            var n = 0
            replay.writeJSON { n += $0.count }
            return n
        }
        var after = processUsage()
        s.run.jsonBytes = bytes
        s.run.jsonWalk.append(json)
        s.run.jsonWalkCPU.append(after.user + after.system - cpu.user - cpu.system)
        cpu = processUsage()
        let (_, step) = timed { () -> Int in
            let nav = ReplayNavigator(replay)
            var n = 0
            for i in 0..<replay.count { n += nav.screen(i, rows: rows, cols: cols).utf8.count }
            return n
        }
        after = processUsage()
        s.run.stepWalk.append(step)
        s.run.stepWalkCPU.append(after.user + after.system - cpu.user - cpu.system)
    }

    /// `sealbook replay …` as a child process: what a user waits for, verification included.
    static func cli(binary: String, url: String, rootKey: String, arguments: [String], scratch: String) throws -> ChildRun {
        let args = ["replay"] + arguments + ["--database-url", url, "--trust-root", rootKey]
        let run = try spawnMeasured(binary, args, scratch: scratch)
        guard run.status == 0 else {
            throw BenchError("sealbook \(args.prefix(3).joined(separator: " ")) (child) failed with exit \(run.status)")
        }
        return run
    }
}

extension Runner {
    /// Scenario 12: replay's time against the session's length.
    func replayScenario(keys: Workload.Keys) -> ScenarioResult {
        let (small, large) = sizes.replaySessionEvents
        var s = ScenarioResult(
            id: 12, key: "replay-linearity",
            title: "Replay a session of \(grouped(Int64(large))) events against one of \(grouped(Int64(small)))", unit: "ms",
            baselineLabel: "the same walk for \(grouped(Int64(small))) events",
            target: Target(
                op: .atMost, value: 12,
                text: "≤ 12 × the walk for \(grouped(Int64(small))) events (--json and --step); first frame of \(grouped(Int64(large))) < 1 s"))
        do {
            let refusals = RunbookWorkload.catalogRefusals(keys: keys, longEvents: large)
            guard refusals.isEmpty else {
                throw BenchError("the runbook workload breaks the event catalog: \(refusals.prefix(3).joined(separator: "; "))")
            }
            var sessions: [(url: String, session: ReplayBench.Session)] = []
            for events in [small, large] {
                let db = try server.createDatabase("s12_\(events)")
                log("scenario 12: a session of \(grouped(Int64(events))) events in a ledger of its own")
                sessions.append((db.url, try ReplayBench.prepare(url: db.url, keys: keys, events: events)))
            }
            // Alternating rounds, so that both lengths see the same load.
            for r in 1...sizes.replayRuns {
                log("scenario 12 (round \(r)/\(sizes.replayRuns)): first frame, --json walk and --step walk of each session")
                for i in sessions.indices { try ReplayBench.round(&sessions[i].session) }
            }
            var runs: [ReplayBench.Run] = []
            for (url, s) in sessions {
                var run = s.run
                let root = keys.root.privateKey.publicKey.base64
                run.cliFirstFrame = try ReplayBench.cli(
                    binary: options.binary, url: url, rootKey: root,
                    arguments: [s.plan.id, "--at", String(s.replay.events[0].seq), "--json"], scratch: options.scratchDirectory)
                run.cliAll = try ReplayBench.cli(
                    binary: options.binary, url: url, rootKey: root, arguments: [s.plan.id, "--json"], scratch: options.scratchDirectory)
                log(
                    "scenario 12: \(grouped(Int64(run.events))) events: first frame \(String(format: "%.1f", ReportBench.median(run.firstFrame) * 1000)) ms, --json walk \(String(format: "%.0f", ReportBench.median(run.jsonWalk) * 1000)) ms (\(run.jsonBytes / 1024) KB), --step walk \(String(format: "%.0f", ReportBench.median(run.stepWalk) * 1000)) ms; CLI --at first \(String(format: "%.0f", (run.cliFirstFrame?.seconds ?? 0) * 1000)) ms, --json \(String(format: "%.0f", (run.cliAll?.seconds ?? 0) * 1000)) ms"
                )
                runs.append(run)
            }
            let a = runs[0], b = runs[1]
            let json = ReportBench.median(b.jsonWalk) / ReportBench.median(a.jsonWalk)
            let step = ReportBench.median(b.stepWalk) / ReportBench.median(a.stepWalk)
            let worse = json >= step ? (b.jsonWalk, a.jsonWalk, "json") : (b.stepWalk, a.stepWalk, "step")
            let first = ReportBench.median(b.firstFrame)
            s.details = [
                ("small", a.json), ("large", b.json), ("jsonWalkRatio", .num(json, 3)), ("stepWalkRatio", .num(step, 3)),
                ("jsonWalkCpuRatio", .num(ReportBench.median(b.jsonWalkCPU) / ReportBench.median(a.jsonWalkCPU), 3)),
                ("stepWalkCpuRatio", .num(ReportBench.median(b.stepWalkCPU) / ReportBench.median(a.stepWalkCPU), 3)),
                ("figureIs", .string("the \(worse.2) walk, the one with the higher ratio")),
                ("eventsRatio", .num(Double(b.events) / Double(a.events), 3)),
                ("firstFrameLargeMs", .ms(first * 1000)), ("runs", .int(Int64(sizes.replayRuns))),
                ("terminal", .string("\(ReplayBench.rows) rows × \(ReplayBench.cols) columns")),
                (
                    "how",
                    .string(
                        "each session is RunbookWorkload.longSession (scenario 9's kind: the lifecycle, then blocks of a backfill command, two monitoring observations and a probe's checklist record, then a failed validation, a level-2 incident escalated to 3 with GDPR, a rollback, the compliance checklist and the close) in a ledger of its own; after one verified read (Ledger.reportSnapshot, readMs, not in the figures): firstFrame = SessionReplay + ReplayNavigator.screen(0) (what --step shows first); jsonWalk = SessionReplay.writeJSON of every frame into a byte counter (replay --json); stepWalk = ReplayNavigator.screen(i) for every frame in order (replay --step, pressing n to the end); medians of alternating rounds (wall time; the CPU time of the same walks beside it). cliFirstFrameMs and cliJsonMs: sealbook replay --at <first seq> --json and replay --json as child processes (start-up and the verification of the whole ledger included)"
                    )
                ),
            ]
            s.settle(
                figure: ReportBench.median(worse.0) * 1000, baseline: ReportBench.median(worse.1) * 1000, ratio: max(json, step),
                conditions: [("firstFrameUnder1s", first < 1)])
            log("scenario 12: ratio --json \(String(format: "%.2f", json)), --step \(String(format: "%.2f", step)); first frame of \(grouped(Int64(b.events))) \(String(format: "%.1f", first * 1000)) ms")
        } catch {
            s.fail(error)
            log("scenario 12: \(error)")
        }
        return s
    }
}
