internal import Foundation
internal import SealbookCore
internal import SealbookKit
internal import SealbookPostgres
internal import SealbookReports

#if canImport(Glibc)
    internal import Glibc
#endif

/// Scenarios 13–17: what checkpoints and the tree make cheap on the big log (issue 9: on a
/// 1M-event log, a checkpoint < 1 s, a proof < 10 ms, `verify --since` and `report session
/// --since` a checkpoint 1,000 events back < 1 s). Each is measured on the big log and, in the
/// same run and in alternating rounds, on a small log grown the same way (the ratio shows whether
/// the cost grows with the log); the targets are the issue's absolute bounds.
enum AnchoredBench {
    /// One ledger of the comparison: the big log or the small one, its log key enrolled.
    final class Side {
        let name: String
        let url: String
        let builder: LogBuilder
        let ledger: Ledger
        let keys: Workload.Keys
        /// The log key's file (for `sealbook checkpoint --key`) and its verifier key.
        let keyFile: String
        let vkey: String
        /// Wall time of the first checkpoint (a verification from seq 1).
        var firstCheckpoint: ChildRun?
        var checkpointCLI: [Double] = []
        var checkpointAPI: [Double] = []
        /// Entries each incremental checkpoint verified (those since the previous one).
        var checkpointEntries: [Int64] = []
        /// The latest checkpoint, kept as a file for `--since`.
        var latest: TrustedCheckpoint?
        var latestFile: String
        var inclusionAPI = LatencySample()
        var consistencyAPI = LatencySample()
        var inclusionCLI: [Double] = []
        var consistencyCLI: [Double] = []
        var verifySinceCLI: [Double] = []
        var verifySinceAPI: [Double] = []
        var verifySinceEntries: Int64 = 0
        var reportSinceCLI: [Double] = []
        var reportSinceAPI: [Double] = []
        var reportSession = ""
        var reportSessionEvents = 0

        init(name: String, url: String, builder: LogBuilder, keys: Workload.Keys, scratch: String) throws {
            self.name = name
            self.url = url
            self.builder = builder
            self.keys = keys
            let store = try LedgerStore(conninfo: url)
            ledger = Ledger(store: store, trustRoot: keys.root.privateKey.publicKey)
            try ledger.enroll(publicKey: keys.log.privateKey.publicKey, actor: keys.log.actor, roles: [.log], signer: keys.root)
            keyFile = scratch + "/bench-\(getpid())-\(name)-log.key"
            latestFile = scratch + "/bench-\(getpid())-\(name)-checkpoint.txt"
            unlink(keyFile)
            try keys.log.write(to: keyFile)
            vkey = try NoteVerifier(name: try store.origin(), publicKey: keys.log.privateKey.publicKey).vkey
        }

        func cleanUp() {
            unlink(keyFile)
            unlink(latestFile)
        }

        var head: Int64 { get throws { try ledger.store.head().seq } }

        /// The session slot 0 is on now (its events straddle the latest checkpoint).
        func currentSession() -> (id: String, events: Int) {
            let plan = RunbookWorkload.lastSessions(total: builder.count, slots: builder.streams)[0]
            let inSlot = builder.count / builder.streams + (builder.count % builder.streams > 0 ? 1 : 0)
            return (plan.id, (inSlot - 1) % RunbookWorkload.sessionLength + 1)
        }

        var json: BenchJSON {
            func ms(_ xs: [Double]) -> BenchJSON { .ms(ReportBench.median(xs) * 1000) }
            func runs(_ xs: [Double]) -> BenchJSON { .array(xs.map { .ms($0 * 1000) }) }
            return .object([
                ("entries", .int((try? head) ?? 0)),
                ("firstCheckpointMs", .ms(firstCheckpoint.map { $0.seconds * 1000 })),
                ("checkpointCliMs", ms(checkpointCLI)), ("checkpointApiMs", ms(checkpointAPI)),
                ("checkpointCliRunsMs", runs(checkpointCLI)), ("checkpointApiRunsMs", runs(checkpointAPI)),
                ("checkpointEntriesVerified", .array(checkpointEntries.map { .int($0) })),
                ("inclusionApi", inclusionAPI.json), ("consistencyApi", consistencyAPI.json),
                ("inclusionCliMs", ms(inclusionCLI)), ("consistencyCliMs", ms(consistencyCLI)),
                ("verifySinceCliMs", ms(verifySinceCLI)), ("verifySinceApiMs", ms(verifySinceAPI)),
                ("verifySinceEntries", .int(verifySinceEntries)),
                ("verifySinceCliRunsMs", runs(verifySinceCLI)), ("verifySinceApiRunsMs", runs(verifySinceAPI)),
                ("reportSession", .string(reportSession)), ("reportSessionEventsSoFar", .int(Int64(reportSessionEvents))),
                ("reportSinceCliMs", ms(reportSinceCLI)), ("reportSinceApiMs", ms(reportSinceAPI)),
                ("reportSinceCliRunsMs", runs(reportSinceCLI)), ("reportSinceApiRunsMs", runs(reportSinceAPI)),
            ])
        }
    }
}

extension Runner {
    /// The five results of scenarios 13–17, not yet measured.
    func anchoredResults() -> [ScenarioResult] {
        let n = grouped(Int64(sizes.events)), back = grouped(Int64(sizes.anchorBack))
        let small = "the same on a log of \(grouped(Int64(sizes.anchorSmallEvents))) events"
        func bound(_ ms: Double, _ text: String) -> Target { Target(op: .below, value: ms, text: text, onFigure: true) }
        return [
            ScenarioResult(
                id: 13, key: "checkpoint", title: "sealbook checkpoint on \(n) events, \(back) since the previous one", unit: "ms",
                baselineLabel: small, target: bound(1000, "< 1 s (absolute)")),
            ScenarioResult(
                id: 14, key: "prove-inclusion", title: "Inclusion proof in the tree of \(n) events (API)", unit: "ms",
                baselineLabel: small, target: bound(10, "< 10 ms (absolute)")),
            ScenarioResult(
                id: 15, key: "prove-consistency", title: "Consistency proof to the tree of \(n) events (API)", unit: "ms",
                baselineLabel: small, target: bound(10, "< 10 ms (absolute)")),
            ScenarioResult(
                id: 16, key: "verify-since", title: "sealbook verify --since a checkpoint \(back) events back, \(n) events", unit: "ms",
                baselineLabel: small, target: bound(1000, "< 1 s (absolute)")),
            ScenarioResult(
                id: 17, key: "report-session-since", title: "sealbook report session --since, \(n) events", unit: "ms",
                baselineLabel: small, target: bound(1000, "< 1 s (absolute)")),
        ]
    }

    /// Scenarios 13–17 on the big log at `bigURL` (grown by `bigBuilder`, its tree maintained by
    /// the append path) against a small log grown the same way: the log key enrolled on both,
    /// a first checkpoint (a verification from seq 1), then in alternating rounds: the log grows
    /// by ``BenchSizes/anchorBack`` events and `sealbook checkpoint` signs the next checkpoint
    /// (child process), then again through `Ledger.signCheckpoint` (in process); the log grows
    /// once more, and the proofs, `verify --since` and `report session --since` run against the
    /// latest checkpoint, now ``BenchSizes/anchorBack`` events back.
    func anchoredScenarios(bigURL: String, bigBuilder: LogBuilder, keys: Workload.Keys) -> [ScenarioResult] {
        var results = anchoredResults()
        var sides: [AnchoredBench.Side] = []
        defer { for s in sides { s.cleanUp() } }
        do {
            let smallDB = try server.createDatabase("anchor_small")
            try Workload.setUpLedger(url: smallDB.url, keys: keys, runbook: true)
            let smallBuilder = LogBuilder(url: smallDB.url, keys: keys, streams: sizes.logStreams)
            log("scenarios 13–17: a small log of \(grouped(Int64(sizes.anchorSmallEvents))) events beside the big one")
            _ = try smallBuilder.grow(to: sizes.anchorSmallEvents)
            let scratch = options.scratchDirectory
            sides = [
                try AnchoredBench.Side(name: "big", url: bigURL, builder: bigBuilder, keys: keys, scratch: scratch),
                try AnchoredBench.Side(name: "small", url: smallDB.url, builder: smallBuilder, keys: keys, scratch: scratch),
            ]
            // `verify` keeps the checkpoints it verified under $SEALBOOK_HOME: the children keep
            // theirs in the scratch directory, not in the user's.
            let home = scratch + "/bench-\(getpid())-home"
            defer { try? FileManager.default.removeItem(atPath: home) }
            let env = ["SEALBOOK_HOME": home]
            let root = keys.root.privateKey.publicKey.base64
            func cli(_ args: [String], _ what: String) throws -> ChildRun {
                let run = try spawnMeasured(options.binary, args, scratch: scratch, environment: env)
                guard run.status == 0 else {
                    throw BenchError("sealbook \(what) (child) failed with exit \(run.status): \(Peer.tail(run.stdout, lines: 3))")
                }
                return run
            }
            func grow(_ side: AnchoredBench.Side) throws {
                _ = try side.builder.grow(to: side.builder.count + sizes.anchorBack)
            }
            func checkpointCLI(_ side: AnchoredBench.Side) throws -> ChildRun {
                try cli(
                    ["checkpoint", "--json", "--key", side.keyFile, "--out", side.latestFile, "--force", "--database-url", side.url],
                    "checkpoint")
            }

            // The first checkpoint: a verification of the whole log.
            for side in sides {
                log("scenario 13 (\(side.name) log): the first checkpoint, verifying \(grouped(try side.head)) entries from seq 1 (child process)")
                side.firstCheckpoint = try checkpointCLI(side)
            }
            // Incremental checkpoints, alternating sides and the CLI with the API.
            for r in 1...sizes.anchorRounds {
                log("scenario 13 (round \(r)/\(sizes.anchorRounds)): +\(grouped(Int64(sizes.anchorBack))) events, sealbook checkpoint (child), +\(grouped(Int64(sizes.anchorBack))), Ledger.signCheckpoint, on each log")
                for side in r % 2 == 1 ? sides : sides.reversed() {
                    try grow(side)
                    let run = try checkpointCLI(side)
                    side.checkpointCLI.append(run.seconds)
                    try grow(side)
                    let (c, seconds) = try timed { try side.ledger.signCheckpoint(key: keys.log) }
                    guard c.stored else { throw BenchError("the \(side.name) log's checkpoint at \(c.checkpoint.size) was stored already") }
                    side.checkpointAPI.append(seconds)
                    side.checkpointEntries.append(c.verification.entries)
                    side.latest = c.checkpoint
                }
            }
            for side in sides {
                guard let cp = side.latest else { throw BenchError("no checkpoint on the \(side.name) log") }
                try Data(cp.note.serialized.utf8).write(to: URL(fileURLWithPath: side.latestFile))
                try grow(side)
            }

            // 14, 15: proofs, in process (many runs, alternating) and through the CLI.
            let floor = try timed { _ = try spawnMeasured(options.binary, ["--help"], scratch: scratch) }.1
            let roundTrip = try timed { _ = try sides[0].ledger.store.head() }.1
            log("scenarios 14, 15: \(sizes.proofRuns) inclusion and consistency proofs on each log (in process), \(sizes.anchorCLIRuns) through the CLI")
            for i in 0..<sizes.proofRuns {
                for side in i % 2 == 0 ? sides : sides.reversed() {
                    let head = try side.head
                    let seq = max(1, head / 2), from = side.latest!.size
                    let (p, ti) = try timed { try side.ledger.proveInclusion(seq: seq) }
                    let (q, tc) = try timed { try side.ledger.proveConsistency(from: from) }
                    guard p.treeSize == head, q.size1 == from, q.size2 == head else { throw BenchError("a proof of the wrong sizes") }
                    side.inclusionAPI.add(ti)
                    side.consistencyAPI.add(tc)
                }
            }
            for _ in 0..<sizes.anchorCLIRuns {
                for side in sides {
                    let head = try side.head
                    side.inclusionCLI.append(
                        try cli(["prove", "inclusion", "--seq", String(max(1, head / 2)), "--json", "--database-url", side.url], "prove inclusion")
                            .seconds)
                    side.consistencyCLI.append(
                        try cli(["prove", "consistency", "--from", String(side.latest!.size), "--json", "--database-url", side.url], "prove consistency")
                            .seconds)
                }
            }

            // 16, 17: verify --since and report session --since, CLI and API, alternating.
            log("scenarios 16, 17: verify --since and report session --since the checkpoint \(grouped(Int64(sizes.anchorBack))) events back, \(sizes.anchorCLIRuns) runs each on each log")
            let renderer = ReportRenderer()
            for side in sides {
                (side.reportSession, side.reportSessionEvents) = side.currentSession()
            }
            for r in 0..<sizes.anchorCLIRuns {
                for side in r % 2 == 0 ? sides : sides.reversed() {
                    let cp = side.latest!
                    let v = try cli(
                        [
                            "verify", "--json", "--database-url", side.url, "--trust-root", root, "--since", side.latestFile,
                            "--log-vkey", side.vkey,
                        ], "verify --since")
                    guard let j = parseBenchJSON(v.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), j["ok"] == .bool(true) else {
                        throw BenchError("sealbook verify --since (child) did not say ok: \(Peer.tail(v.stdout, lines: 3))")
                    }
                    side.verifySinceCLI.append(v.seconds)
                    let (run, tv) = try timed { try side.ledger.verify(since: cp) }
                    guard run.report.isValid, run.report.resumedAt == cp.size else {
                        throw BenchError("the \(side.name) log does not verify since its checkpoint")
                    }
                    side.verifySinceAPI.append(tv)
                    side.verifySinceEntries = run.report.entries
                    let file = scratch + "/bench-\(getpid())-\(side.name)-session.md"
                    defer { unlink(file) }
                    side.reportSinceCLI.append(
                        try cli(
                            [
                                "report", "session", side.reportSession, "--format", "md", "--out", file, "--force", "--database-url",
                                side.url, "--trust-root", root, "--since", side.latestFile, "--log-vkey", side.vkey,
                            ], "report session --since"
                        ).seconds)
                    let (bytes, tr) = try timed { () throws -> Int in
                        let snapshot = try Ledger.reportSnapshot(
                            .database, store: side.ledger.store, trustRoot: keys.root.privateKey.publicKey, allowUnverified: false,
                            since: cp, prior: Ledger.priorSelection(session: side.reportSession))
                        let report = try SealbookReports.Report.session(side.reportSession, snapshot: snapshot)
                        return try renderer.render(report, as: .md).count
                    }
                    guard bytes > 0 else { throw BenchError("an empty session report") }
                    side.reportSinceAPI.append(tr)
                }
            }

            let big = sides[0], small = sides[1]
            let common: [(String, BenchJSON)] = [
                ("big", big.json), ("small", small.json), ("eventsSinceCheckpoint", .int(Int64(sizes.anchorBack))),
                ("rounds", .int(Int64(sizes.anchorRounds))), ("proofRuns", .int(Int64(sizes.proofRuns))),
                ("cliRuns", .int(Int64(sizes.anchorCLIRuns))), ("processStartMs", .ms(floor * 1000)),
                ("databaseRoundTripMs", .ms(roundTrip * 1000)),
            ]
            let med = ReportBench.median
            func settle(_ i: Int, big b: Double, small s: Double, how: String, extra: [(String, BenchJSON)] = []) {
                results[i].details = extra + common + [("how", .string(how))]
                results[i].settle(figure: b * 1000, baseline: s * 1000)
                log(
                    "scenario \(results[i].id): \(String(format: "%.2f", b * 1000)) ms on \(grouped((try? big.head) ?? 0)) entries, \(String(format: "%.2f", s * 1000)) ms on \(grouped((try? small.head) ?? 0)) (\(results[i].status.rawValue))"
                )
            }
            settle(
                0, big: med(big.checkpointCLI), small: med(small.checkpointCLI),
                how: "sealbook checkpoint --key LOGKEY --out FILE as a child process (process start, the verification since the previous checkpoint by the same key — \(grouped(Int64(sizes.anchorBack))) entries plus O(log N) proofs —, signing, storing); median of the rounds. checkpointApiMs: Ledger.signCheckpoint in process, the same work without the process. firstCheckpointMs: the first checkpoint of each log, which verifies it from seq 1",
                extra: [("apiMs", .ms(med(big.checkpointAPI) * 1000))])
            settle(
                1, big: (big.inclusionAPI.percentileMs(50) ?? .nan) / 1000, small: (small.inclusionAPI.percentileMs(50) ?? .nan) / 1000,
                how: "Ledger.proveInclusion(seq: head/2) in the tree of the head (what sealbook prove inclusion calls: the head, the stored nodes, the proof verified against the stored root), p50 of the runs in process; cliMs: sealbook prove inclusion --json as a child process, where the process start (processStartMs: sealbook --help) dominates",
                extra: [("cliMs", .ms(med(big.inclusionCLI) * 1000)), ("p99Ms", .ms(big.inclusionAPI.percentileMs(99)))])
            settle(
                2, big: (big.consistencyAPI.percentileMs(50) ?? .nan) / 1000, small: (small.consistencyAPI.percentileMs(50) ?? .nan) / 1000,
                how: "Ledger.proveConsistency(from: the latest checkpoint's size) to the head (what sealbook prove consistency calls), p50 of the runs in process; cliMs: sealbook prove consistency --json as a child process",
                extra: [("cliMs", .ms(med(big.consistencyCLI) * 1000)), ("p99Ms", .ms(big.consistencyAPI.percentileMs(99)))])
            settle(
                3, big: med(big.verifySinceCLI), small: med(small.verifySinceCLI),
                how: "sealbook verify --json --since FILE --log-vkey VKEY --trust-root ROOT as a child process, the checkpoint \(grouped(Int64(sizes.anchorBack))) events back (docs/FORMAT.md §12.5: the log extends it, the keys as of it proven in its tree, every entry after it verified); median of the runs. apiMs: Ledger.verify(since:) in process",
                extra: [("apiMs", .ms(med(big.verifySinceAPI) * 1000))])
            settle(
                4, big: med(big.reportSinceCLI), small: med(small.reportSinceCLI),
                how: "sealbook report session S --since FILE --log-vkey VKEY --trust-root ROOT --format md --out FILE as a child process, S the session slot 0 of the log is on (events before and after the checkpoint): the verification since the checkpoint, the session's stream, the key events and every incident event before it read and proven in its tree (Ledger.priorSelection), the report built and rendered; median of the runs. apiMs: Ledger.reportSnapshot(since:prior:) + Report.session + render in process",
                extra: [("apiMs", .ms(med(big.reportSinceAPI) * 1000))])
        } catch {
            for i in results.indices where results[i].figure == nil { results[i].fail(error) }
            log("scenarios 13–17: \(error)")
        }
        return results
    }

    /// Scenario 21 (issue 10): `sealbook report session` on a ledger of
    /// ``BenchSizes/reportLedgerEvents`` runbook events against `sealbook verify` alone on the same
    /// ledger, both as child processes in alternating runs: a report reads the log once (the
    /// verified read), so it should cost little more than the verification.
    func reportVersusVerifyScenario(keys: Workload.Keys) -> ScenarioResult {
        let n = sizes.reportLedgerEvents
        var s = ScenarioResult(
            id: 21, key: "report-vs-verify", title: "sealbook report session on a ledger of \(grouped(Int64(n))) events", unit: "ms",
            baselineLabel: "sealbook verify alone on the same ledger, alternating runs",
            target: Target(op: .atMost, value: 1.1, text: "≤ 1.1 × verify alone"))
        do {
            let db = try server.createDatabase("s21")
            try Workload.setUpLedger(url: db.url, keys: keys, runbook: true)
            let slots = min(1000, max(1, n / (2 * RunbookWorkload.sessionLength)))
            log("scenario 21: a ledger of \(grouped(Int64(n))) runbook events")
            _ = try LogBuilder(url: db.url, keys: keys, streams: slots).grow(to: n)
            let entries = try LedgerStore(conninfo: db.url).head().seq
            // A whole session (the first of slot 0), as an auditor reports a finished change.
            let plan = RunbookWorkload.Plan(number: 0)
            let root = keys.root.privateKey.publicKey.base64
            var verify: [Double] = [], report: [Double] = []
            for r in 0..<sizes.reportRuns {
                log("scenario 21 (run \(r + 1)/\(sizes.reportRuns)): sealbook verify and sealbook report session (child processes)")
                let v = { () throws -> Double in try self.childVerify(["--database-url", db.url], keys: keys, expect: entries).seconds }
                let p = { () throws -> Double in
                    try ReportBench.cli(
                        binary: self.options.binary, url: db.url, rootKey: root, kind: .session, format: .md, plan: plan,
                        lastTime: RunbookWorkload.start, scratch: self.options.scratchDirectory
                    ).seconds
                }
                if r % 2 == 0 {
                    verify.append(try v())
                    report.append(try p())
                } else {
                    report.append(try p())
                    verify.append(try v())
                }
            }
            let fv = ReportBench.median(verify), fr = ReportBench.median(report)
            s.details = [
                ("entries", .int(entries)), ("session", .string(plan.id)), ("sessionVariant", .string(plan.variant.rawValue)),
                ("runs", .int(Int64(sizes.reportRuns))), ("verifyRunsMs", .array(verify.map { .ms($0 * 1000) })),
                ("reportRunsMs", .array(report.map { .ms($0 * 1000) })),
                (
                    "how",
                    .string(
                        "sealbook report session S --format md --out FILE --trust-root ROOT and sealbook verify --json --trust-root ROOT, each a child process on the same ledger of runbook sessions (the big log's workload), alternating; medians. The report verifies the whole log and keeps the events reports read in the same pass (Ledger.reportSnapshot), then builds and renders"
                    )
                ),
            ]
            s.settle(figure: fr * 1000, baseline: fv * 1000)
            log("scenario 21: report \(String(format: "%.0f", fr * 1000)) ms, verify \(String(format: "%.0f", fv * 1000)) ms (ratio \(s.ratio.map { String(format: "%.3f", $0) } ?? "—"))")
        } catch {
            s.fail(error)
            log("scenario 21: \(error)")
        }
        return s
    }
}
