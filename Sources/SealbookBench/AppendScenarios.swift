internal import Foundation
internal import SealbookCore
internal import SealbookPostgres

/// Appends through the production path: `LedgerStore.append` (build, sign, append: one
/// transaction per call) and `LedgerStore.appendBatch`.
enum AppendRuns {
    struct Result: Sendable {
        let events: Int
        let transactions: Int
        let seconds: Double
        let latency: LatencySample
        var rate: Double { Double(events) / seconds }

        var json: BenchJSON {
            .object([
                ("events", .int(Int64(events))), ("transactions", .int(Int64(transactions))), ("seconds", .num(seconds, 3)),
                ("eventsPerSec", .num(rate)), ("latency", latency.json),
            ])
        }
    }

    /// `count` appends of one event each, round robin over `streams` streams `prefix<n>`.
    static func single(url: String, key: KeyFile, count: Int, streams: Int, prefix: String = "bench/", offset: Int = 0)
        throws -> Result
    {
        let store = try LedgerStore(conninfo: url)
        var lat = LatencySample()
        let start = monotonicSeconds()
        for i in 0..<count {
            let e = Workload.newEvent(offset + i, stream: "\(prefix)\(i % streams)")
            let t0 = monotonicSeconds()
            _ = try store.append(e, key: key)
            lat.add(monotonicSeconds() - t0)
        }
        return Result(events: count, transactions: count, seconds: monotonicSeconds() - start, latency: lat)
    }

    /// `count` events in batches of `batch` (one transaction each), each batch one stream
    /// (a session recording its checklist at once), round robin over `streams` streams.
    static func batched(url: String, key: KeyFile, count: Int, batch: Int, streams: Int) throws -> Result {
        let store = try LedgerStore(conninfo: url)
        var lat = LatencySample()
        let start = monotonicSeconds()
        var i = 0, b = 0
        while i < count {
            let n = min(batch, count - i)
            let stream = "batch/\(b % streams)"
            let events = (0..<n).map { Workload.newEvent(i + $0, stream: stream) }
            let t0 = monotonicSeconds()
            _ = try store.appendBatch(events, key: key)
            lat.add(monotonicSeconds() - t0)
            i += n
            b += 1
        }
        return Result(events: count, transactions: b, seconds: monotonicSeconds() - start, latency: lat)
    }

    /// `writers` threads, each with its own `LedgerStore` (connection) and key, each appending
    /// `perWriter` single events to its own streams.
    static func concurrent(url: String, keys: [KeyFile], writers: Int, perWriter: Int, streamsPerWriter: Int) throws -> Result {
        let latencies = Locked([LatencySample](repeating: LatencySample(), count: writers))
        let errors = Locked<[String]>([])
        let start = monotonicSeconds()
        runThreads(writers) { w in
            do {
                let store = try LedgerStore(conninfo: url)
                let key = keys[w % keys.count]
                var lat = LatencySample()
                for i in 0..<perWriter {
                    let e = Workload.newEvent(i, stream: "writer-\(w)/\(i % streamsPerWriter)")
                    let t0 = monotonicSeconds()
                    _ = try store.append(e, key: key)
                    lat.add(monotonicSeconds() - t0)
                }
                latencies.withLock { $0[w] = lat }
            } catch {
                errors.withLock { $0.append("writer \(w): \(error)") }
            }
        }
        let seconds = monotonicSeconds() - start
        if let e = errors.withLock({ $0.first }) { throw BenchError(e) }
        var all = LatencySample()
        for l in latencies.withLock({ $0 }) { all.add(contentsOf: l) }
        return Result(events: writers * perWriter, transactions: writers * perWriter, seconds: seconds, latency: all)
    }
}

/// Single appends through one `LedgerStore`, run in rounds (scenario 7 alternates two of them),
/// round robin over the given streams.
final class SingleAppender {
    let store: LedgerStore
    let key: KeyFile
    let streams: [String]
    private var next: Int
    private(set) var latency = LatencySample()
    private var seconds = 0.0
    /// WAL written during this appender's rounds (bytes), when the caller measured it.
    private(set) var walBytes: Int64 = 0

    init(url: String, key: KeyFile, streams: [String], offset: Int = 0) throws {
        self.store = try LedgerStore(conninfo: url)
        self.key = key
        self.streams = streams
        self.next = offset
    }

    /// `count` appends; `walPosition` (if given) reads the server's WAL position before and
    /// after, to attribute the WAL written to these appends.
    func run(_ count: Int, walPosition: () -> Int64? = { nil }) throws {
        let walBefore = walPosition()
        defer {
            if let walBefore, let after = walPosition() { walBytes += after - walBefore }
        }
        let start = monotonicSeconds()
        for _ in 0..<count {
            let e = Workload.newEvent(next, stream: streams[next % streams.count])
            let t0 = monotonicSeconds()
            _ = try store.append(e, key: key)
            latency.add(monotonicSeconds() - t0)
            next += 1
        }
        seconds += monotonicSeconds() - start
    }

    var result: AppendRuns.Result {
        AppendRuns.Result(events: latency.count, transactions: latency.count, seconds: seconds, latency: latency)
    }
}

/// Appends measured in rounds, so that two ledgers can be compared in alternating rounds (both
/// see the same load): scenarios 10 and 11 (signature check), 18–20 (tree maintenance).
protocol AppendRounds: AnyObject {
    /// `count` events, measured (`measured` false: a warm-up, not counted).
    func run(_ count: Int, measured: Bool) throws
    var result: AppendRuns.Result { get }
    /// Events per second of each measured round, in order.
    var roundRates: [Double] { get }
}

extension AppendRounds {
    func run(_ count: Int) throws { try run(count, measured: true) }
}

/// `a` and `b` in `rounds` alternating rounds of `per` events (a first in even rounds, b first
/// in odd ones), after a warm-up of `warmUp` events each.
func alternateRounds(_ a: any AppendRounds, _ b: any AppendRounds, rounds: Int, per: Int, warmUp: Int) throws {
    try a.run(warmUp, measured: false)
    try b.run(warmUp, measured: false)
    for r in 0..<rounds {
        if r % 2 == 0 {
            try a.run(per)
            try b.run(per)
        } else {
            try b.run(per)
            try a.run(per)
        }
    }
}

/// Appends through one `LedgerStore` in rounds, one event per transaction (`batch` 1, through
/// `LedgerStore.append`) or in batches (`LedgerStore.appendBatch`), round robin over `streams`
/// streams `prefix<n>`.
// @unchecked Sendable: one thread at a time uses an appender (RoundWriters gives each of its
// threads an appender of its own and reads them after the threads have joined).
final class RoundAppender: AppendRounds, @unchecked Sendable {
    let store: LedgerStore
    let key: KeyFile
    let batch: Int
    let streams: Int
    let prefix: String
    private var next = 0
    private var transactions = 0
    private(set) var latency = LatencySample()
    private(set) var seconds = 0.0
    private(set) var events = 0
    /// Events per second of each round, in order.
    private(set) var roundRates: [Double] = []

    init(url: String, key: KeyFile, batch: Int, streams: Int, prefix: String) throws {
        self.store = try LedgerStore(conninfo: url)
        self.key = key
        self.batch = batch
        self.streams = streams
        self.prefix = prefix
    }

    func run(_ count: Int, measured: Bool) throws {
        var lat = LatencySample()
        let start = monotonicSeconds()
        var done = 0
        while done < count {
            let n = min(batch, count - done)
            let stream = "\(prefix)\(transactions % streams)"
            let batchEvents = (0..<n).map { Workload.newEvent(next + $0, stream: stream) }
            let t0 = monotonicSeconds()
            if n == 1 {
                _ = try store.append(batchEvents[0], key: key)
            } else {
                _ = try store.appendBatch(batchEvents, key: key)
            }
            lat.add(monotonicSeconds() - t0)
            next += n
            done += n
            transactions += 1
        }
        let elapsed = monotonicSeconds() - start
        guard measured else { return }
        latency.add(contentsOf: lat)
        seconds += elapsed
        events += count
        roundRates.append(Double(count) / elapsed)
    }

    var result: AppendRuns.Result {
        AppendRuns.Result(events: events, transactions: latency.count, seconds: seconds, latency: latency)
    }
}

/// `writers` threads appending at once, one event per transaction, each through a
/// ``RoundAppender`` of its own (its own connection, key and streams `prefix w<i>/<n>`), in
/// rounds: a round is `count / writers` appends per writer, timed from the start of the first
/// to the end of the last.
final class RoundWriters: AppendRounds {
    let lanes: [RoundAppender]
    private(set) var roundRates: [Double] = []
    private var seconds = 0.0
    private var events = 0

    init(url: String, keys: [KeyFile], writers: Int, streams: Int, prefix: String) throws {
        lanes = try (0..<writers).map {
            try RoundAppender(url: url, key: keys[$0 % keys.count], batch: 1, streams: streams, prefix: "\(prefix)w\($0)/")
        }
    }

    func run(_ count: Int, measured: Bool) throws {
        let lanes = self.lanes, per = max(1, count / lanes.count)
        let errors = Locked<[String]>([])
        let start = monotonicSeconds()
        runThreads(lanes.count) { w in
            do { try lanes[w].run(per, measured: measured) } catch { errors.withLock { $0.append("writer \(w): \(error)") } }
        }
        let elapsed = monotonicSeconds() - start
        if let e = errors.withLock({ $0.first }) { throw BenchError(e) }
        guard measured else { return }
        seconds += elapsed
        events += per * lanes.count
        roundRates.append(Double(per * lanes.count) / elapsed)
    }

    var result: AppendRuns.Result {
        var all = LatencySample()
        for l in lanes { all.add(contentsOf: l.latency) }
        return AppendRuns.Result(events: events, transactions: all.count, seconds: seconds, latency: all)
    }
}
