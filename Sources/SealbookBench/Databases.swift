internal import Foundation
internal import SealbookCore
internal import SealbookPostgres

/// The server the benchmark runs on, reached with a superuser URL. Every scenario gets its own
/// database `bench_<random>_<what>`, dropped at the end.
final class BenchServer: Sendable {
    let adminURL: String
    let prefix: String
    private let created = Locked<[String]>([])

    init(adminURL: String) {
        self.adminURL = adminURL
        self.prefix = "bench_" + Hex.encode(secureRandomBytes(4))
    }

    /// Creates a new empty database and returns its URL.
    func createDatabase(_ what: String) throws -> (name: String, url: String) {
        let name = prefix + "_" + what
        let c = try PGConnection(conninfo: adminURL)
        try c.execute("CREATE DATABASE \(identifier: name)")
        created.withLock { $0.append(name) }
        return (name, Self.url(adminURL, database: name))
    }

    /// Drops every database this run created.
    func dropAll() {
        let names = created.withLock { list in
            defer { list.removeAll() }
            return list
        }
        guard !names.isEmpty, let c = try? PGConnection(conninfo: adminURL) else { return }
        for n in names { _ = try? c.execute("DROP DATABASE IF EXISTS \(identifier: n) WITH (FORCE)") }
    }

    /// `CHECKPOINT` (needs a superuser or pg_checkpoint); false when refused.
    func checkpoint() -> Bool {
        guard let c = try? PGConnection(conninfo: adminURL) else { return false }
        return (try? c.execute("CHECKPOINT")) != nil
    }

    /// The server's current WAL position in bytes, through `connection` (nil if refused).
    static func walPosition(_ connection: PGConnection?) -> Int64? {
        guard let c = connection, let r = try? c.query("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint") else {
            return nil
        }
        return r.int64(0, 0)
    }

    /// Facts about the server: version and the settings that decide commit cost.
    func facts() throws -> BenchJSON {
        let c = try PGConnection(conninfo: adminURL)
        var members: [(String, BenchJSON)] = []
        for name in [
            "server_version", "fsync", "synchronous_commit", "full_page_writes", "wal_sync_method", "shared_buffers",
            "max_wal_size", "wal_level",
        ] {
            let r = try c.query("SELECT current_setting(\(name))")
            members.append((name, .str(r.string(0, 0))))
        }
        return .object(members)
    }

    /// `url` with its database replaced by `database`: a `postgres://` URL's path, or a
    /// `dbname=` appended to a key=value string (libpq takes the last one).
    static func url(_ url: String, database: String) -> String {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            if var comps = URLComponents(string: url) {
                comps.path = "/" + database
                if let s = comps.string { return s }
            }
        }
        return url + (url.isEmpty ? "" : " ") + "dbname=\(database)"
    }

    /// The parts of a URL the Python peer needs (host, port, user, password, database).
    static func parts(_ url: String) -> (host: String, port: String, user: String, password: String, database: String)? {
        guard let c = URLComponents(string: url), c.scheme == "postgres" || c.scheme == "postgresql" else { return nil }
        let db = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        return (
            c.host ?? "127.0.0.1", c.port.map(String.init) ?? "5432", c.user ?? "postgres", c.password ?? "",
            db.removingPercentEncoding ?? db
        )
    }
}

/// Raw PostgreSQL: the same rows inserted into a plain table with the same columns, indexes
/// and constraints, without signing, chaining or the append function.
enum RawInsertBaseline {
    static let table = """
        CREATE TABLE raw_events (
            seq          bigint      PRIMARY KEY,
            stream       text        NOT NULL,
            stream_seq   bigint      NOT NULL,
            type         text        NOT NULL,
            actor        text        NOT NULL,
            key_id       text        NOT NULL,
            idem         text,
            claimed_time timestamptz NOT NULL,
            body         bytea       NOT NULL,
            body_json    jsonb       NOT NULL,
            sig          bytea       NOT NULL,
            event_hash   bytea       NOT NULL,
            chain_hash   bytea       NOT NULL,
            recorded_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
            CONSTRAINT raw_stream_position UNIQUE (stream, stream_seq)
        );
        CREATE UNIQUE INDEX raw_stream_idem ON raw_events (stream, idem) WHERE idem IS NOT NULL;
        CREATE INDEX raw_type ON raw_events (type, seq);
        """

    struct Result: Sendable {
        let events: Int
        let seconds: Double
        let latency: LatencySample
        var rate: Double { Double(events) / seconds }
        var json: BenchJSON {
            .object([
                ("events", .int(Int64(events))), ("seconds", .num(seconds, 3)), ("eventsPerSec", .num(rate)),
                ("latency", latency.json),
            ])
        }
    }

    /// One INSERT per transaction (autocommit), `events` in order.
    static func single(url: String, events: [SignedEvent]) throws -> Result {
        let c = try PGConnection(conninfo: url)
        try c.executeScript(unsafeSQL: table)
        var lat = LatencySample()
        let start = monotonicSeconds()
        for (i, e) in events.enumerated() {
            let t0 = monotonicSeconds()
            // The "chain hash" column gets the event hash: the bytes, not a chain.
            try c.execute(
                """
                INSERT INTO raw_events (seq, stream, stream_seq, type, actor, key_id, claimed_time, body, body_json, sig, event_hash, chain_hash)
                VALUES (\(Int64(i + 1)), \(e.body.stream), \(e.body.streamSeq), \(e.body.type), \(e.body.actor), \(e.body.key),
                        \(e.body.time)::timestamptz, \(e.bodyBytes), convert_from(\(e.bodyBytes), 'UTF8')::jsonb, \(e.signature),
                        \(e.eventHash.bytes), \(e.eventHash.bytes))
                """)
            lat.add(monotonicSeconds() - t0)
        }
        return Result(events: events.count, seconds: monotonicSeconds() - start, latency: lat)
    }

    /// `writers` threads, each with its own connection, each inserting its share of `events`
    /// one per transaction (the seq ranges are disjoint; nothing serializes the writers).
    static func concurrent(url: String, events: [SignedEvent], writers: Int) throws -> Result {
        let setup = try PGConnection(conninfo: url)
        try setup.executeScript(unsafeSQL: table)
        let per = events.count / writers
        let latencies = Locked([LatencySample](repeating: LatencySample(), count: writers))
        let errors = Locked<[String]>([])
        let start = monotonicSeconds()
        runThreads(writers) { w in
            do {
                let c = try PGConnection(conninfo: url)
                var lat = LatencySample()
                for i in (w * per)..<((w + 1) * per) {
                    let e = events[i]
                    let t0 = monotonicSeconds()
                    try c.execute(
                        """
                        INSERT INTO raw_events (seq, stream, stream_seq, type, actor, key_id, claimed_time, body, body_json, sig, event_hash, chain_hash)
                        VALUES (\(Int64(i + 1)), \("w\(w)/" + e.body.stream), \(e.body.streamSeq), \(e.body.type), \(e.body.actor), \(e.body.key),
                                \(e.body.time)::timestamptz, \(e.bodyBytes), convert_from(\(e.bodyBytes), 'UTF8')::jsonb, \(e.signature),
                                \(e.eventHash.bytes), \(e.eventHash.bytes))
                        """)
                    lat.add(monotonicSeconds() - t0)
                }
                latencies.withLock { $0[w] = lat }
            } catch {
                errors.withLock { $0.append("raw writer \(w): \(error)") }
            }
        }
        let seconds = monotonicSeconds() - start
        if let e = errors.withLock({ $0.first }) { throw BenchError(e) }
        var all = LatencySample()
        for l in latencies.withLock({ $0 }) { all.add(contentsOf: l) }
        return Result(events: per * writers, seconds: seconds, latency: all)
    }

    /// `batch` rows per transaction, one multi-row INSERT … SELECT FROM unnest(…) each.
    static func batched(url: String, events: [SignedEvent], batch: Int) throws -> Result {
        let c = try PGConnection(conninfo: url)
        try c.executeScript(unsafeSQL: table)
        var lat = LatencySample()
        let start = monotonicSeconds()
        var i = 0
        while i < events.count {
            let part = events[i..<min(i + batch, events.count)]
            let seqs = "{" + (i..<(i + part.count)).map { String($0 + 1) }.joined(separator: ",") + "}"
            let streamSeqs = "{" + part.map { String($0.body.streamSeq) }.joined(separator: ",") + "}"
            let bodies = part.map(\.bodyBytes)
            let t0 = monotonicSeconds()
            try c.execute(
                """
                INSERT INTO raw_events (seq, stream, stream_seq, type, actor, key_id, claimed_time, body, body_json, sig, event_hash, chain_hash)
                SELECT s, st, ss, ty, ac, k, t::timestamptz, b, convert_from(b, 'UTF8')::jsonb, sg, h, h
                FROM unnest(\(seqs)::bigint[], \(part.map(\.body.stream))::text[], \(streamSeqs)::bigint[],
                            \(part.map(\.body.type))::text[], \(part.map(\.body.actor))::text[], \(part.map(\.body.key))::text[],
                            \(part.map(\.body.time))::text[], \(bodies), \(part.map(\.signature)), \(part.map(\.eventHash.bytes)))
                     AS u(s, st, ss, ty, ac, k, t, b, sg, h)
                """)
            lat.add(monotonicSeconds() - t0)
            i += part.count
        }
        return Result(events: events.count, seconds: monotonicSeconds() - start, latency: lat)
    }
}
