public import Foundation
internal import SealbookCore
internal import SealbookPostgres

/// What `sealbook bench` was asked for.
public struct BenchOptions: Sendable {
    /// Tiny sizes, for CI: proves that every scenario runs, measures nothing meaningful.
    public var quick: Bool
    /// A superuser URL of the server; the benchmark creates and drops its own databases there.
    public var adminURL: String
    /// Events in the big log (scenarios 1, 2, 3, 7); default 1,000,000 (2,000 with `quick`).
    public var events: Int?
    /// Do not install or run the Python peer.
    public var skipPeer: Bool
    /// The `sealbook` binary, run as a child to measure the peak memory of `verify`.
    public var binary: String
    /// Where the exported bundle is written (and removed).
    public var scratchDirectory: String
    /// Where `scripts/bench-peer` and `.bench-venv` are; nil: found from the working directory
    /// or the binary's location.
    public var repositoryRoot: String?
    /// Leave the benchmark's databases on the server (to profile or inspect them).
    public var keepDatabases: Bool
    /// Run only these scenarios (by number; nil: all). The baselines a selected scenario is
    /// compared with still run; the others are left out of the report.
    public var only: Set<Int>?

    public init(
        quick: Bool, adminURL: String, events: Int? = nil, skipPeer: Bool = false, binary: String,
        scratchDirectory: String = NSTemporaryDirectory(), repositoryRoot: String? = nil, keepDatabases: Bool = false
    ) {
        self.keepDatabases = keepDatabases
        self.only = nil
        self.quick = quick
        self.adminURL = adminURL
        self.events = events
        self.skipPeer = skipPeer
        self.binary = binary
        self.scratchDirectory = scratchDirectory
        self.repositoryRoot = repositoryRoot
    }
}

/// The sizes of one run.
struct BenchSizes: Sendable {
    var events: Int
    var memorySmall: Int
    var singles: Int
    var batchEvents: Int
    var batch = 50
    var writers = 4
    var perWriter: Int
    var latencyAppends: Int
    var cryptoSeconds: Double
    /// Sessions of the big log that run side by side (each slot gets events / logStreams
    /// events, ``RunbookWorkload/sessionLength`` per session).
    var logStreams = 1000
    /// Events of scenario 9's session.
    var reportSessionEvents: Int
    /// Runs of each report of scenario 9 (the median counts).
    var reportRuns: Int
    /// Alternating rounds of scenario 8 (read and decode, then rebuild).
    var rebuildRounds = 2
    /// The two session lengths scenario 12 replays.
    var replaySessionEvents = (1_000, 10_000)
    /// Runs of each replay walk of scenario 12 (the median counts).
    var replayRuns = 3
    /// Streams of the single-append scenario.
    var appendStreams = 100
    /// Scenarios 13–17: the small log compared with the big one, the events between two
    /// checkpoints (and between the latest and the proofs, `verify --since`, `report --since`),
    /// the rounds of checkpoints, the proofs in process and the runs of each child process.
    var anchorSmallEvents = 1_000
    var anchorBack = 1_000
    var anchorRounds = 3
    var proofRuns = 50
    var anchorCLIRuns = 3
    /// Events of scenario 21's ledger (report session against verify alone).
    var reportLedgerEvents = 20_000

    static func make(quick: Bool, events: Int?) -> BenchSizes {
        var s =
            quick
            ? BenchSizes(
                events: 2_000, memorySmall: 200, singles: 200, batchEvents: 1_000, perWriter: 50, latencyAppends: 100,
                cryptoSeconds: 0.3, reportSessionEvents: 300, reportRuns: 1)
            : BenchSizes(
                events: 1_000_000, memorySmall: 100_000, singles: 2_000, batchEvents: 20_000, perWriter: 1_000,
                latencyAppends: 1_000, cryptoSeconds: 3, reportSessionEvents: 10_000, reportRuns: 3)
        if let events {
            s.events = max(10, events)
            s.memorySmall = max(1, s.events / 10)
        }
        // At least two whole sessions per slot (1,000 slots from 200,000 events on).
        s.logStreams = min(1000, max(1, s.events / (2 * RunbookWorkload.sessionLength)))
        if quick {
            s.rebuildRounds = 1
            s.replaySessionEvents = (100, 1_000)
            s.replayRuns = 1
            s.anchorSmallEvents = 500
            s.anchorBack = 100
            s.anchorRounds = 1
            s.proofRuns = 5
            s.anchorCLIRuns = 1
            s.reportLedgerEvents = 2_000
        }
        return s
    }

    var json: BenchJSON {
        .object([
            ("logEvents", .int(Int64(events))), ("memorySmallEvents", .int(Int64(memorySmall))),
            ("logStreams", .int(Int64(logStreams))), ("sessionLength", .int(Int64(RunbookWorkload.sessionLength))),
            ("reportSessionEvents", .int(Int64(reportSessionEvents))), ("reportRuns", .int(Int64(reportRuns))),
            ("replaySessionEvents", .array([.int(Int64(replaySessionEvents.0)), .int(Int64(replaySessionEvents.1))])),
            ("replayRuns", .int(Int64(replayRuns))),
            ("singleAppends", .int(Int64(singles))),
            ("singleAppendStreams", .int(Int64(appendStreams))), ("batchEvents", .int(Int64(batchEvents))),
            ("batchSize", .int(Int64(batch))), ("writers", .int(Int64(writers))), ("appendsPerWriter", .int(Int64(perWriter))),
            ("latencyAppends", .int(Int64(latencyAppends))), ("cryptoSecondsPerRun", .num(cryptoSeconds, 2)),
            ("anchorSmallEvents", .int(Int64(anchorSmallEvents))), ("anchorBack", .int(Int64(anchorBack))),
            ("anchorRounds", .int(Int64(anchorRounds))), ("proofRuns", .int(Int64(proofRuns))),
            ("anchorCliRuns", .int(Int64(anchorCLIRuns))), ("reportLedgerEvents", .int(Int64(reportLedgerEvents))),
        ])
    }
}

/// The outcome of a run: the JSON document and the table.
public struct BenchOutcome: Sendable {
    public let json: BenchJSON
    public let table: String
    /// Scenarios that ran into an error (not a missed target).
    public let errors: Int
}

/// `sealbook bench`: every scenario of the performance issue against the real PostgreSQL log,
/// with its baselines measured in the same run.
public enum Bench {
    public static let formatTag = "sealbook-bench/1"

    /// Runs everything. `log` receives progress lines.
    public static func run(_ options: BenchOptions, log: @escaping @Sendable (String) -> Void) -> BenchOutcome {
        var r = Runner(options: options, log: log)
        return r.run()
    }

    /// Writes the result to `<directory>/<date>-<quick|full>.json` and returns the path.
    public static func write(_ json: BenchJSON, directory: String, quick: Bool) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/\(Machine.todayUTC())-\(quick ? "quick" : "full").json"
        try json.pretty.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// One run, step by step.
struct Runner {
    let options: BenchOptions
    let log: @Sendable (String) -> Void
    let sizes: BenchSizes
    let server: BenchServer
    let started = monotonicSeconds()
    var report = BenchReport()
    var versions: [(String, BenchJSON)] = []
    var peer: Peer?
    var repository: String?
    /// Why the peer cannot run (nil when it can).
    var peerProblem: String?
    var peerVersions: BenchJSON = .null

    init(options: BenchOptions, log: @escaping @Sendable (String) -> Void) {
        self.options = options
        self.sizes = BenchSizes.make(quick: options.quick, events: options.events)
        self.server = BenchServer(adminURL: options.adminURL)
        let start = monotonicSeconds()
        self.log = { message in
            let t = Int(monotonicSeconds() - start)
            log(String(format: "[%02d:%02d] ", t / 60, t % 60) + message)
        }
    }

    /// Whether any of `ids` is to run (``BenchOptions/only``).
    func wants(_ ids: Int...) -> Bool {
        guard let only = options.only else { return true }
        return ids.contains(where: only.contains)
    }

    mutating func run() -> BenchOutcome {
        defer { if !options.keepDatabases { server.dropAll() } }
        let loadStart = Machine.loadAverage
        let date = Machine.nowUTC()
        (peer, repository) = Peer.locate(explicitRoot: options.repositoryRoot, binary: options.binary)
        versions = [
            ("sealbook", .str(Machine.gitDescribe(repository: repository))), ("swift", .string(Machine.swiftVersion)),
            ("libsodium", .string(Machine.libsodiumVersion)),
        ]
        var database: BenchJSON = .null
        do {
            database = try server.facts()
            versions.append(("postgresql", database["server_version"] ?? .null))
        } catch {
            versions.append(("postgresql", .null))
            log("cannot reach the server: \(error)")
        }
        log("sealbook bench (\(options.quick ? "quick" : "full")): \(grouped(Int64(sizes.events))) events, \(Machine.cores) cores, PostgreSQL \(database["server_version"]?.stringValue ?? "?")")

        let keys = Workload.Keys.make(writers: 4)
        var crypto: CryptoBaseline? = nil
        var scenarios: [ScenarioResult] = []

        // Baselines: libsodium.
        do {
            let sample = try Workload.runbookSample(count: 256, keys: keys)
            log("libsodium: sign and verify, 1 core and \(Machine.cores) cores, \(sizes.cryptoSeconds) s each")
            let c = CryptoBaseline.measure(
                messages: sample.map { FormatV1.signingMessage($0.bodyBytes) }, seconds: sizes.cryptoSeconds,
                threads: Machine.cores)
            crypto = c
            report.baselines.append(("libsodium", c.json))
            log("libsodium: verify \(formatRate(c.verifyOneCore)) on 1 core, \(formatRate(c.verifyAllCores)) on \(c.threads)")
        } catch {
            report.baselines.append(("libsodium", .object([("error", .string("\(error)"))])))
        }

        // The peer's virtualenv.
        let appends = wants(4, 5, 6)
        if !appends {
            peerProblem = "not run (--scenarios)"
        } else if options.skipPeer {
            peerProblem = "--skip-peer"
        } else if let peer {
            do {
                try peer.prepare(log: log)
            } catch {
                peerProblem = "\(error)"
                log("peer unavailable: \(error)")
            }
        } else {
            peerProblem = "scripts/bench-peer/peer.py not found (run from the repository, or pass its root)"
        }

        // Raw PostgreSQL, then scenarios 4, 5, 6, each beside the peer in the same setting.
        let rawEvents =
            (try? Workload.signedSample(
                count: max(sizes.singles, sizes.batchEvents, sizes.writers * sizes.perWriter), streams: sizes.appendStreams,
                keys: keys)) ?? []
        var raw: [(String, BenchJSON)] = []
        do {
            guard appends else { throw BenchError("not run (--scenarios)") }
            log("raw PostgreSQL: \(sizes.singles) INSERTs, one per transaction")
            let single = try RawInsertBaseline.single(url: try server.createDatabase("raw1").url, events: Array(rawEvents.prefix(sizes.singles)))
            raw.append(("onePerTransaction", single.json))
            log("raw PostgreSQL: \(formatRate(single.rate)) one per transaction; \(sizes.batchEvents) rows in batches of \(sizes.batch)")
            let batched = try RawInsertBaseline.batched(
                url: try server.createDatabase("raw50").url, events: Array(rawEvents.prefix(sizes.batchEvents)), batch: sizes.batch)
            raw.append(("batch\(sizes.batch)", batched.json))
            log("raw PostgreSQL: \(formatRate(batched.rate)) in batches of \(sizes.batch); \(sizes.writers) writers")
            let writers = try RawInsertBaseline.concurrent(
                url: try server.createDatabase("raww").url, events: Array(rawEvents.prefix(sizes.writers * sizes.perWriter)),
                writers: sizes.writers)
            raw.append(("writers\(sizes.writers)", writers.json))
            log("raw PostgreSQL: \(formatRate(writers.rate)) with \(sizes.writers) writers, one per transaction")
        } catch {
            raw.append(("error", .string("\(error)")))
        }
        report.baselines.append(("postgresRawInsert", .object(raw)))

        var peerRuns: [(String, BenchJSON)] = []
        if wants(4) { scenarios.append(appendScenario4(keys: keys, peerRuns: &peerRuns)) }
        if wants(5) { scenarios.append(appendScenario5(keys: keys, peerRuns: &peerRuns)) }
        if wants(6) { scenarios.append(appendScenario6(keys: keys, peerRuns: &peerRuns)) }
        if wants(10, 11) { scenarios += signatureCheckScenarios(keys: keys) }
        if wants(18, 19, 20) { scenarios += treeMaintenanceScenarios(keys: keys) }
        var peerJSON: [(String, BenchJSON)] = [("status", .string(peerProblem == nil ? "ok" : options.skipPeer ? "skipped" : "peer-unavailable"))]
        if let peerProblem { peerJSON.append(("error", .string(peerProblem))) }
        peerJSON.append(("library", .string("eventsourcing (PostgreSQL persistence, psycopg 3)")))
        peerJSON += peerRuns
        report.baselines.append(("peer", .object(peerJSON)))
        versions += [
            ("eventsourcing", peerVersions["eventsourcing"] ?? .null), ("psycopg", peerVersions["psycopg"] ?? .null),
            ("python", peerVersions["python"] ?? .null),
        ]

        // The big log, and scenarios 1, 2, 3.
        var s1 = ScenarioResult(
            id: 1, key: "verify-database", title: "Verify \(grouped(Int64(sizes.events))) events from the database",
            unit: "events/s", baselineLabel: "libsodium verify, all cores (best of 2 runs)",
            target: Target(op: .atLeast, value: 0.8, text: "≥ 0.80 × libsodium all-core verify"))
        var s2 = ScenarioResult(
            id: 2, key: "verify-bundle", title: "Verify the same as an exported bundle, offline", unit: "events/s",
            baselineLabel: "libsodium verify, all cores (best of 2 runs)",
            target: Target(op: .atLeast, value: 0.8, text: "≥ 0.80 × libsodium all-core verify"))
        var s3 = ScenarioResult(
            id: 3, key: "verify-memory", title: "Peak RSS verifying \(grouped(Int64(sizes.events))) events", unit: "bytes",
            baselineLabel: "peak RSS for \(grouped(Int64(sizes.memorySmall)))",
            target: Target(op: .atMost, value: 1.2, text: "≤ 1.2 × the peak for \(grouped(Int64(sizes.memorySmall))), and < 256 MB"))
        var s7 = ScenarioResult(
            id: 7, key: "append-latency-full-log",
            title: "Append latency (p50, warm) with \(grouped(Int64(sizes.events))) events in the log", unit: "ms",
            baselineLabel: "p50 on an empty log", target: Target(op: .atMost, value: 1.5, text: "≤ 1.5 × the empty-log latency"))
        var s8 = ScenarioResult(
            id: 8, key: "rebuild-projections", title: "Rebuild every projection from \(grouped(Int64(sizes.events))) events",
            unit: "events/s", baselineLabel: "reading and decoding the same rows through the same code",
            target: Target(op: .atLeast, value: 0.5, text: "≥ 0.50 × reading and decoding the same rows"))
        var ceiling: Double? = crypto?.verifyAllCores
        var anchored: [ScenarioResult]? = nil
        let bigLog = wants(1, 2, 3, 7, 8, 13, 14, 15, 16, 17, 22)
        do {
            guard bigLog else { throw BenchError("not run (--scenarios)") }
            let db = try server.createDatabase("log")
            try Workload.setUpLedger(url: db.url, keys: keys, runbook: true)
            let builder = LogBuilder(url: db.url, keys: keys, streams: sizes.logStreams)
            let first = try growLog(builder, to: sizes.memorySmall)
            let smallEntries = try LedgerStore(conninfo: db.url).head().seq
            log("scenario 3: sealbook verify (child process), \(grouped(smallEntries)) entries")
            let small = wants(3) ? try childVerify(["--database-url", db.url], keys: keys, expect: smallEntries) : nil
            let rest = try growLog(builder, to: sizes.events)
            let built = first.events + rest.events, buildSeconds = first.seconds + rest.seconds
            report.logBuild = .object([
                ("events", .int(Int64(built))), ("seconds", .num(buildSeconds, 2)),
                ("eventsPerSec", .num(Double(built) / buildSeconds)), ("averageBodyBytes", .int(Int64(rest.bodyBytes))),
                ("sessionsSideBySide", .int(Int64(sizes.logStreams))), ("sessionLength", .int(Int64(RunbookWorkload.sessionLength))),
                ("appendBatch", .int(1000)), ("signingThreads", .int(Int64(Machine.cores))),
                ("how", .string("runbook sessions (RunbookWorkload: 75 % succeed, 10 % roll back with a level-2 incident and GDPR, 5 % emergency override, 10 % refused at the gate), each event signed by a key of its signer's role; built and signed in parallel (SignedEvent(signing:with:)), chained per stream, appended with LedgerStore.appendSigned in batches of 1000 (sealbook.append_events)")),
            ])
            log("log: \(grouped(Int64(built))) events in \(String(format: "%.1f", buildSeconds)) s (\(formatRate(Double(built) / buildSeconds)))")

            // The ceiling again, right before the verify scenarios (other work on the machine
            // moves it): the higher of the two all-core rates is the one compared with.
            if let c = crypto {
                let sample = try Workload.runbookSample(count: 256, keys: keys)
                let again = CryptoBaseline.measure(
                    messages: sample.map { FormatV1.signingMessage($0.bodyBytes) }, seconds: sizes.cryptoSeconds,
                    threads: Machine.cores, verifyOnly: true)
                report.baselines.append(("libsodiumBeforeVerify", again.json))
                ceiling = max(c.verifyAllCores, again.verifyAllCores)
                log("libsodium again: verify \(formatRate(again.verifyOneCore)) on 1 core, \(formatRate(again.verifyAllCores)) on \(again.threads); ceiling \(formatRate(ceiling))")
            }

            // 1 and 3. `sealbook verify` on the database, as a user runs it (LedgerStore.verify
            // behind the CLI), in a child process: its wall time gives the rate, wait4 its peak RSS.
            let store = try LedgerStore(conninfo: db.url)
            let head = try store.head()
            if wants(1, 3) {
            log("scenarios 1 and 3: sealbook verify (child process), \(grouped(head.seq)) entries from the database")
            let big = try childVerify(["--database-url", db.url], keys: keys, expect: head.seq)
            let dbRate = Double(head.seq) / big.seconds
            s1.details = [
                ("entries", .int(head.seq)), ("seconds", .num(big.seconds, 3)),
                ("parallelism", .int(Int64(VerifyOptions().parallelism))),
                ("cpuSeconds", .num(big.cpuSeconds, 2)), ("coresUsed", .num(big.cpuSeconds / big.seconds, 2)),
                ("eventsPerCpuSecond", .num(Double(head.seq) / big.cpuSeconds)),
                ("libsodiumVerifyOneCore", .num(crypto?.verifyOneCore)),
                ("cpuEfficiency", .num((Double(head.seq) / big.cpuSeconds) / (crypto?.verifyOneCore ?? .nan), 4)),
                ("how", .string("`sealbook verify --json --database-url … --trust-root …` (LedgerStore.verify), wall time of the whole process")),
            ]
            s1.settle(figure: dbRate, baseline: ceiling)
            log("scenario 1: \(formatRate(dbRate)) (ratio \(s1.ratio.map { String(format: "%.3f", $0) } ?? "—"))")
            if let small {
            let ratio = Double(big.peakRSSBytes) / Double(max(1, small.peakRSSBytes))
            s3.details = [
                ("smallEntries", .int(smallEntries)), ("smallPeakRSSBytes", .int(small.peakRSSBytes)),
                ("smallSeconds", .num(small.seconds, 3)), ("bigEntries", .int(head.seq)),
                ("bigPeakRSSBytes", .int(big.peakRSSBytes)),
                ("how", .string("ru_maxrss (wait4) of `sealbook verify --json` run with posix_spawn; the same runs as scenario 1")),
            ]
            s3.settle(
                figure: Double(big.peakRSSBytes), baseline: Double(small.peakRSSBytes), ratio: ratio,
                conditions: [("under256MB", big.peakRSSBytes < 256 * 1_048_576)])
            log("scenario 3: peak RSS \(big.peakRSSBytes / 1_048_576) MB (\(small.peakRSSBytes / 1_048_576) MB for \(grouped(smallEntries)))")
            }
            }

            // 2. Export, then `sealbook verify --bundle` offline (BundleVerifier behind the CLI).
            let bundle = options.scratchDirectory + "/\(server.prefix).bundle"
            defer { try? FileManager.default.removeItem(atPath: bundle) }
            if wants(2) {
            log("scenario 2: export \(grouped(head.seq)) entries to a bundle")
            let (_, exportSeconds) = try timed { try store.export(to: bundle, overwrite: true) }
            let bundleBytes = (try? FileManager.default.attributesOfItem(atPath: bundle)[.size] as? Int64) ?? nil
            log("scenario 2: sealbook verify --bundle (child process)")
            let offline = try childVerify(["--bundle", bundle], keys: keys, expect: head.seq)
            let bundleRate = Double(head.seq) / offline.seconds
            s2.details = [
                ("entries", .int(head.seq)), ("seconds", .num(offline.seconds, 3)),
                ("cpuSeconds", .num(offline.cpuSeconds, 2)), ("coresUsed", .num(offline.cpuSeconds / offline.seconds, 2)),
                ("eventsPerCpuSecond", .num(Double(head.seq) / offline.cpuSeconds)),
                ("cpuEfficiency", .num((Double(head.seq) / offline.cpuSeconds) / (crypto?.verifyOneCore ?? .nan), 4)),
                ("peakRSSBytes", .int(offline.peakRSSBytes)),
                ("bundleBytes", bundleBytes.map(BenchJSON.int) ?? .null), ("exportSeconds", .num(exportSeconds, 3)),
                ("exportEventsPerSec", .num(Double(head.seq) / exportSeconds)),
                ("how", .string("`sealbook verify --json --bundle … --trust-root …` (BundleVerifier), wall time of the whole process")),
            ]
            s2.settle(figure: bundleRate, baseline: ceiling)
            log("scenario 2: \(formatRate(bundleRate)) (ratio \(s2.ratio.map { String(format: "%.3f", $0) } ?? "—"))")
            }

            // 8. Rebuild every projection from seq 1 against reading and decoding the same rows.
            if wants(8) { rebuildScenario(&s8, url: db.url, head: head.seq, keys: keys) }

            // 13–17. Checkpoints, proofs, verify and report since a checkpoint, on the big log
            // (before scenario 7, whose appends to the slots' streams the builder does not know).
            if wants(13, 14, 15, 16, 17) { anchored = anchoredScenarios(bigURL: db.url, bigBuilder: builder, keys: keys) }
            let headBefore7 = try store.head().seq
            if wants(7) {

            // 7. Latency with the big log in place against an empty log, in alternating rounds
            // (both see the same disk and the same machine load), after a CHECKPOINT (neither
            // competes with the flush of the bulk load). Two passes over the same streams: the
            // first touches every index leaf once since the checkpoint, which costs a full-page
            // image in the WAL per page (cold); the second is the steady state of a log in use
            // (warm), the figure compared.
            let emptyDB = try server.createDatabase("lat0")
            try Workload.setUpLedger(url: emptyDB.url, keys: keys)
            let checkpointed = server.checkpoint()
            let wal = try? PGConnection(conninfo: options.adminURL)
            let walPosition = { BenchServer.walPosition(wal) }
            var passes: [(empty: SingleAppender, full: SingleAppender)] = []
            var fullOffset = sizes.events, emptyOffset = 0
            let rounds = 10, per = max(1, sizes.latencyAppends / rounds)
            // The session streams the big log's slots ended with, on both logs.
            let latencyStreams = RunbookWorkload.lastSessionStreams(total: sizes.events, slots: sizes.logStreams)
            for pass in ["cold", "warm"] {
                let empty = try SingleAppender(url: emptyDB.url, key: keys.writers[0], streams: latencyStreams, offset: emptyOffset)
                let full = try SingleAppender(url: db.url, key: keys.writers[0], streams: latencyStreams, offset: fullOffset)
                log("scenario 7 (\(pass)): \(rounds) alternating rounds of \(per) single appends, empty log / \(grouped(headBefore7)) entries")
                for r in 0..<rounds {
                    if r % 2 == 0 {
                        try empty.run(per, walPosition: walPosition)
                        try full.run(per, walPosition: walPosition)
                    } else {
                        try full.run(per, walPosition: walPosition)
                        try empty.run(per, walPosition: walPosition)
                    }
                }
                emptyOffset += rounds * per
                fullOffset += rounds * per
                passes.append((empty, full))
            }
            func pass(_ p: (empty: SingleAppender, full: SingleAppender)) -> BenchJSON {
                func side(_ a: SingleAppender) -> BenchJSON {
                    a.result.json.setting("walBytesPerAppend", .num(Double(a.walBytes) / Double(max(1, a.latency.count)), 0))
                }
                return .object([
                    ("emptyLog", side(p.empty)), ("fullLog", side(p.full)),
                    ("p50Ratio", .num((p.full.latency.percentileMs(50) ?? 0) / max(0.001, p.empty.latency.percentileMs(50) ?? 0), 4)),
                    ("p99Ratio", .num((p.full.latency.percentileMs(99) ?? 0) / max(0.001, p.empty.latency.percentileMs(99) ?? 0), 4)),
                ])
            }
            let warm = passes[1]
            if let e50 = warm.empty.latency.percentileMs(50), let f50 = warm.full.latency.percentileMs(50) {
                s7.details = [
                    ("warm", pass(warm)), ("cold", pass(passes[0])), ("entriesBefore", .int(headBefore7)),
                    ("checkpointFirst", .bool(checkpointed)), ("rounds", .int(Int64(rounds))),
                    ("streams", .int(Int64(sizes.logStreams))),
                ]
                s7.settle(figure: f50, baseline: e50)
                let cold = passes[0]
                log(
                    "scenario 7: p50 \(String(format: "%.2f", f50)) ms with the log, \(String(format: "%.2f", e50)) ms empty (cold pass: \(String(format: "%.2f", cold.full.latency.percentileMs(50) ?? 0)) / \(String(format: "%.2f", cold.empty.latency.percentileMs(50) ?? 0)) ms)"
                )
            }
            }
        } catch {
            for i in [0, 1, 2, 3, 4] where [s1, s2, s3, s7, s8][i].figure == nil && [s1, s2, s3, s7, s8][i].note == nil {
                switch i {
                case 0: s1.fail(error)
                case 1: s2.fail(error)
                case 2: s3.fail(error)
                case 3: s7.fail(error)
                default: s8.fail(error)
                }
            }
            log("log scenarios: \(error)")
        }

        scenarios += [s1, s2, s3, s7, s8]
        scenarios +=
            anchored
            ?? anchoredResults().map {
                var r = $0
                r.fail(BenchError("the big log could not be built"))
                return r
            }
        if wants(9) { scenarios.append(reportScenario(keys: keys)) }
        if wants(12) { scenarios.append(replayScenario(keys: keys)) }
        if wants(21) { scenarios.append(reportVersusVerifyScenario(keys: keys)) }
        if wants(22) { scenarios.append(treeBuildScenario(keys: keys)) }
        report.scenarios = scenarios.filter { wants($0.id) }.sorted { $0.id < $1.id }

        report.header = [
            ("sealbook", .string(Bench.formatTag)), ("mode", .string(options.quick ? "quick" : "full")), ("date", .string(date)),
            (
                "note",
                .string(
                    options.quick
                        ? "quick run: tiny sizes that prove every scenario runs; its figures and ratios mean nothing (process start-up dominates)"
                        : "see docs/PERFORMANCE.md for what each figure is and what limits it")
            ),
            (
                "machine",
                .object([
                    ("cores", .int(Int64(Machine.cores))), ("cpuModel", .string(Machine.cpuModel)),
                    ("memoryBytes", .int(Machine.memoryBytes)), ("kernel", .string(Machine.kernel)),
                    ("loadAverageAtStart", loadStart), ("loadAverageAtEnd", Machine.loadAverage),
                ])
            ),
            ("versions", .object(versions)), ("database", database), ("databasePrefix", .string(server.prefix)),
            ("sizes", sizes.json),
        ]
        report.trailer = [("totalSeconds", .num(monotonicSeconds() - started, 1))]
        let errors = report.scenarios.filter { $0.status == .error }.count
        return BenchOutcome(json: report.json, table: report.table, errors: errors)
    }

    // MARK: - Steps

    private func growLog(_ builder: LogBuilder, to total: Int) throws -> LogBuilder.Growth {
        log("log: building \(grouped(Int64(total))) events")
        let log = self.log
        var lastShown = monotonicSeconds()
        let g = try builder.grow(to: total) { done, total in
            let now = monotonicSeconds()
            if now - lastShown >= 10 {
                lastShown = now
                log("log: \(grouped(Int64(done)))/\(grouped(Int64(total)))")
            }
        }
        return g
    }

    /// `sealbook verify --json <source> --trust-root …` as a child process; checks that it
    /// verified exactly `expect` entries.
    func childVerify(_ source: [String], keys: Workload.Keys, expect: Int64) throws -> ChildRun {
        let run = try spawnMeasured(
            options.binary, ["verify", "--json"] + source + ["--trust-root", keys.root.privateKey.publicKey.base64],
            scratch: options.scratchDirectory)
        guard run.status == 0, let json = parseBenchJSON(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)),
            json["ok"] == .bool(true), json["entries"] == .int(expect)
        else {
            throw BenchError("sealbook verify (child) failed with exit \(run.status): \(Peer.tail(run.stdout, lines: 3))")
        }
        return run
    }

    /// Runs the peer in mode `mode` on a database of its own; records its JSON under `name`.
    private mutating func runPeer(
        _ mode: String, events: Int, thenRead: Bool = false, peerRuns: inout [(String, BenchJSON)]
    ) -> BenchJSON? {
        guard peerProblem == nil, let peer else { return nil }
        do {
            let db = try server.createDatabase("peer_\(mode)")
            log("peer: \(mode), \(events) events")
            let j = try peer.run(url: db.url, mode: mode, events: events, thenRead: thenRead)
            if peerVersions == .null, let v = j["versions"] { peerVersions = v }
            let stripped: BenchJSON
            if case .object(let m) = j { stripped = .object(m.filter { $0.0 != "versions" && $0.0 != "ok" }) } else { stripped = j }
            peerRuns.append((mode, stripped))
            log("peer: \(mode) \(formatRate(j["eventsPerSec"]?.doubleValue))")
            return j
        } catch {
            peerRuns.append((mode, .object([("error", .string("\(error)"))])))
            log("peer: \(mode) failed: \(error)")
            return .object([("ok", .bool(false)), ("error", .string("\(error)"))])
        }
    }

    /// Settles a scenario compared with the peer's rate (or marks the peer missing).
    private func settleAgainstPeer(_ s: inout ScenarioResult, ours: AppendRuns.Result, peer: BenchJSON?, extra: [(String, Bool)] = []) {
        s.details = [("sealbook", ours.json)] + s.details
        if let peer, let rate = peer["eventsPerSec"]?.doubleValue {
            if case .object(let m) = peer {
                s.details.append(("peer", .object(m.filter { !["versions", "ok", "peer", "read"].contains($0.0) })))
            }
            s.settle(figure: ours.rate, baseline: rate, conditions: extra)
        } else {
            s.figure = ours.rate
            if let peer, let e = peer["error"]?.stringValue {
                s.status = .peerUnavailable
                s.note = "the peer failed: \(e)"
            } else if options.skipPeer {
                s.status = .peerSkipped
            } else {
                s.status = .peerUnavailable
                s.note = peerProblem
            }
        }
    }

    private mutating func appendScenario4(keys: Workload.Keys, peerRuns: inout [(String, BenchJSON)]) -> ScenarioResult {
        var s = ScenarioResult(
            id: 4, key: "append-single", title: "Append, 1 writer, 1 event per transaction", unit: "events/s",
            baselineLabel: "eventsourcing, same setting", target: Target(op: .atLeast, value: 2, text: "≥ 2 × the peer"))
        do {
            let db = try server.createDatabase("s4")
            try Workload.setUpLedger(url: db.url, keys: keys)
            log("scenario 4: \(sizes.singles) single appends")
            let ours = try AppendRuns.single(url: db.url, key: keys.writers[0], count: sizes.singles, streams: sizes.appendStreams)
            log("scenario 4: \(formatRate(ours.rate)), p50 \(String(format: "%.2f", ours.latency.percentileMs(50) ?? 0)) ms")
            let p = runPeer("single", events: sizes.singles, peerRuns: &peerRuns)
            settleAgainstPeer(&s, ours: ours, peer: p)
            s.details.append(("p50Ms", .ms(ours.latency.percentileMs(50))))
            s.details.append(("p99Ms", .ms(ours.latency.percentileMs(99))))
        } catch {
            s.fail(error)
        }
        return s
    }

    private mutating func appendScenario5(keys: Workload.Keys, peerRuns: inout [(String, BenchJSON)]) -> ScenarioResult {
        var s = ScenarioResult(
            id: 5, key: "append-batch50", title: "Append, 1 writer, batches of \(sizes.batch)", unit: "events/s",
            baselineLabel: "eventsourcing, same setting", target: Target(op: .atLeast, value: 1.5, text: "≥ 1.5 × the peer"))
        do {
            let db = try server.createDatabase("s5")
            try Workload.setUpLedger(url: db.url, keys: keys)
            log("scenario 5: \(sizes.batchEvents) events in batches of \(sizes.batch)")
            let ours = try AppendRuns.batched(url: db.url, key: keys.writers[0], count: sizes.batchEvents, batch: sizes.batch, streams: 20)
            log("scenario 5: \(formatRate(ours.rate))")
            let p = runPeer("batch50", events: sizes.batchEvents, thenRead: true, peerRuns: &peerRuns)
            settleAgainstPeer(&s, ours: ours, peer: p)
        } catch {
            s.fail(error)
        }
        return s
    }

    /// The appends two ledgers are compared with in alternating rounds: single events, batches
    /// of 50, or four writers (one event per transaction each).
    struct AppendCase {
        let id: Int
        let key: String
        let title: String
        let batch: Int
        let writers: Int
        let events: Int
        let streams: Int
    }

    /// Single appends, batches of 50 and (with `writers`) four writers, at the sizes of
    /// scenarios 4, 5 and 6.
    func appendCases(ids: [Int], key: String, what: String, writers: Bool) -> [AppendCase] {
        var cases = [
            AppendCase(
                id: ids[0], key: "append-single-\(key)", title: "Append, 1 writer, 1 event per transaction, \(what)", batch: 1,
                writers: 1, events: sizes.singles, streams: sizes.appendStreams),
            AppendCase(
                id: ids[1], key: "append-batch\(sizes.batch)-\(key)", title: "Append, 1 writer, batches of \(sizes.batch), \(what)",
                batch: sizes.batch, writers: 1, events: sizes.batchEvents, streams: 20),
        ]
        if writers {
            cases.append(
                AppendCase(
                    id: ids[2], key: "append-writers\(sizes.writers)-\(key)",
                    title: "Append, \(sizes.writers) writers, 1 event per transaction, \(what)", batch: 1, writers: sizes.writers,
                    events: sizes.writers * sizes.perWriter, streams: 25))
        }
        return cases
    }

    /// The appends of `c` into the ledgers at `figureURL` and `baselineURL` in ten alternating
    /// rounds after a warm-up each (so both see the same load): the figure's and the baseline's
    /// result, and the details both comparisons record (`names`: what each side is called).
    func compareAppends(
        _ c: AppendCase, figureURL: String, baselineURL: String, names: (String, String), keys: Workload.Keys, what: String
    ) throws -> (figure: AppendRuns.Result, baseline: AppendRuns.Result, details: [(String, BenchJSON)]) {
        func appender(_ url: String) throws -> any AppendRounds {
            c.writers > 1
                ? try RoundWriters(url: url, keys: keys.writers, writers: c.writers, streams: c.streams, prefix: "cmp/")
                : try RoundAppender(url: url, key: keys.writers[0], batch: c.batch, streams: c.streams, prefix: "cmp/")
        }
        let a = try appender(figureURL), b = try appender(baselineURL)
        let rounds = 10, unit = c.batch * c.writers
        let per = max(unit, (c.events / rounds) / unit * unit)
        let how =
            c.writers > 1 ? "\(c.writers) writers, single appends" : c.batch == 1 ? "single appends" : "batches of \(c.batch)"
        log("scenario \(c.id): \(rounds) alternating rounds of \(per) events in \(how), \(what)")
        try alternateRounds(a, b, rounds: rounds, per: per, warmUp: min(per, 5 * unit))
        let fa = a.result, fb = b.result
        log("scenario \(c.id): \(formatRate(fa.rate)) \(names.0), \(formatRate(fb.rate)) \(names.1) (ratio \(String(format: "%.3f", fa.rate / fb.rate)))")
        return (
            fa, fb,
            [
                (names.0, fa.json), (names.1, fb.json), ("rounds", .int(Int64(rounds))), ("eventsPerRound", .int(Int64(per))),
                ("writers", .int(Int64(c.writers))),
                ("roundRatios", .array(zip(a.roundRates, b.roundRates).map { .num($0 / $1, 4) })),
                (
                    "p50Ratio\(names.1.prefix(1).uppercased() + names.1.dropFirst())Over\(names.0.prefix(1).uppercased() + names.0.dropFirst())",
                    .num((fb.latency.percentileMs(50) ?? 0) / max(0.000_001, fa.latency.percentileMs(50) ?? 0), 4)
                ),
            ]
        )
    }

    /// 10 and 11: appends to a ledger whose database checks every signature (sealbook_ed25519,
    /// the default of `sealbook init`) against the same appends to a ledger made with
    /// `--no-signature-extension` (the fallback: no check), single events and batches of 50, in
    /// alternating rounds on the same server (so both see the same load), after a warm-up each.
    private func signatureCheckScenarios(keys: Workload.Keys) -> [ScenarioResult] {
        appendCases(ids: [10, 11], key: "signature-check", what: "signature checked by the database", writers: false).map { c in
            var s = ScenarioResult(
                id: c.id, key: c.key, title: c.title, unit: "events/s",
                baselineLabel: "the same appends without the check (init --no-signature-extension), alternating rounds",
                target: Target(op: .atLeast, value: 0.9, text: "≥ 0.90 × the same appends without the check"))
            do {
                let checkedDB = try server.createDatabase("sig\(c.id)")
                let uncheckedDB = try server.createDatabase("nosig\(c.id)")
                try Workload.setUpLedger(url: checkedDB.url, keys: keys, signatureCheck: .extension)
                try Workload.setUpLedger(url: uncheckedDB.url, keys: keys, signatureCheck: .none)
                let (with, without, details) = try compareAppends(
                    c, figureURL: checkedDB.url, baselineURL: uncheckedDB.url, names: ("checked", "unchecked"), keys: keys,
                    what: "signature checked / not")
                let modes = try (LedgerStore(conninfo: checkedDB.url).signatureCheck()?.mode, LedgerStore(conninfo: uncheckedDB.url).signatureCheck()?.mode)
                s.details = details + [
                    ("signatureCheck", .object([("checked", .str(modes.0?.rawValue)), ("unchecked", .str(modes.1?.rawValue))])),
                    ("how", .string("LedgerStore.append / appendBatch (build, sign, append through sealbook.append_events) into two ledgers of the same server, one made by sealbook init (sealbook.verify_signature = the sealbook_ed25519 extension, libsodium crypto_sign_verify_detached per event) and one by sealbook init --no-signature-extension (lengths only), in alternating rounds after a warm-up; the figure is events over time on the checked ledger, the baseline the same on the other")),
                ]
                s.settle(figure: with.rate, baseline: without.rate, conditions: [("modesAsIntended", modes.0 == .extension && modes.1 == SignatureCheck.none)])
            } catch {
                s.fail(error)
            }
            return s
        }
    }

    /// 18, 19 and 20: appends with the Merkle tree maintained by the append path (schema 0004's
    /// `head_extends_tree` trigger, in the same transaction) against the same appends to a ledger
    /// whose trigger a superuser disabled (`ALTER TABLE sealbook.head DISABLE TRIGGER
    /// head_extends_tree`): today's append path without the tree. Single events, batches of 50
    /// and four writers, in alternating rounds on the same server.
    private func treeMaintenanceScenarios(keys: Workload.Keys) -> [ScenarioResult] {
        appendCases(ids: [18, 19, 20], key: "tree", what: "Merkle tree maintained", writers: true).map { c in
            var s = ScenarioResult(
                id: c.id, key: c.key, title: c.title, unit: "events/s",
                baselineLabel: "the same appends without the tree (trigger head_extends_tree disabled), alternating rounds",
                target: Target(op: .atLeast, value: 0.9, text: "≥ 0.90 × the same appends without the tree"))
            do {
                let treeDB = try server.createDatabase("tree\(c.id)")
                let bareDB = try server.createDatabase("notree\(c.id)")
                try Workload.setUpLedger(url: treeDB.url, keys: keys)
                try Workload.setUpLedger(url: bareDB.url, keys: keys)
                // The benchmark's URLs are the server's superuser's: only a superuser (or the
                // table's owner) may disable a trigger of the log's tables.
                try PGConnection(conninfo: bareDB.url).execute("ALTER TABLE sealbook.head DISABLE TRIGGER head_extends_tree")
                let (with, without, details) = try compareAppends(
                    c, figureURL: treeDB.url, baselineURL: bareDB.url, names: ("tree", "noTree"), keys: keys,
                    what: "tree maintained / trigger disabled")
                let nodes = try (Self.treeNodes(treeDB.url), Self.treeNodes(bareDB.url))
                let heads = try (LedgerStore(conninfo: treeDB.url).head().seq, LedgerStore(conninfo: bareDB.url).head().seq)
                s.details = details + [
                    ("headSeq", .object([("tree", .int(heads.0)), ("noTree", .int(heads.1))])),
                    ("treeNodes", .object([("tree", .int(nodes.0)), ("noTree", .int(nodes.1))])),
                    ("how", .string("LedgerStore.append / appendBatch (build, sign, append through sealbook.append_events; \(c.writers) thread(s), each with its own connection and key) into two ledgers of the same server made alike by sealbook init (schema 0004), the second with its head_extends_tree trigger disabled by a superuser: the baseline is today's append path without the tree (signature check, chain, head) and the figure the same with the tree's stored nodes inserted in the append's transaction (one level-8 node per 256 entries, from their event hashes); alternating rounds after a warm-up")),
                ]
                // The tree was maintained on one side (a level-8 node per 256 entries) and not
                // on the other: the comparison measured what it says.
                s.settle(
                    figure: with.rate, baseline: without.rate,
                    conditions: [("treeOnlyWhereMaintained", nodes.0 >= heads.0 / 256 && nodes.1 == 0)])
            } catch {
                s.fail(error)
            }
            return s
        }
    }

    /// Stored nodes of the tree of the ledger at `url`.
    static func treeNodes(_ url: String) throws -> Int64 {
        try PGConnection(conninfo: url).query("SELECT count(*) FROM sealbook.tree_nodes").int64(0, 0) ?? -1
    }

    private mutating func appendScenario6(keys: Workload.Keys, peerRuns: inout [(String, BenchJSON)]) -> ScenarioResult {
        var s = ScenarioResult(
            id: 6, key: "append-writers4", title: "Append, \(sizes.writers) writers, 1 event per transaction", unit: "events/s",
            baselineLabel: "eventsourcing, same setting",
            target: Target(op: .atLeast, value: 2, text: "≥ 2 × the peer; chain gapless and valid"))
        do {
            let db = try server.createDatabase("s6")
            try Workload.setUpLedger(url: db.url, keys: keys)
            log("scenario 6: \(sizes.writers) writers × \(sizes.perWriter) single appends")
            let ours = try AppendRuns.concurrent(
                url: db.url, keys: keys.writers, writers: sizes.writers, perWriter: sizes.perWriter, streamsPerWriter: 25)
            log("scenario 6: \(formatRate(ours.rate)); verifying the chain")
            let store = try LedgerStore(conninfo: db.url)
            let head = try store.head()
            let v = try store.verify(options: VerifyOptions(trustRoot: keys.root.privateKey.publicKey))
            let expected = Int64(1 + keys.writers.count + sizes.writers * sizes.perWriter)
            let chainOK = v.isValid && v.entries == head.seq && v.lastSeq == head.seq && head.seq == expected
            s.details = [
                (
                    "chain",
                    .object([
                        ("verified", .bool(v.isValid)), ("entries", .int(v.entries)), ("headSeq", .int(head.seq)),
                        ("expectedSeq", .int(expected)), ("failures", .int(Int64(v.failureCount))),
                    ])
                )
            ]
            let p = runPeer("writers4", events: sizes.writers * sizes.perWriter, peerRuns: &peerRuns)
            settleAgainstPeer(&s, ours: ours, peer: p, extra: [("chainGaplessAndValid", chainOK)])
            if !chainOK { s.status = .missed }
        } catch {
            s.fail(error)
        }
        return s
    }
}
