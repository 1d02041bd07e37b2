public import SealbookCore

/// An event as read back from the log, with the server's time of recording.
public struct StoredEvent: Sendable {
    public let seq: Int64
    public let body: EventBody
    public let eventHash: Digest32
    public let chainHash: Digest32
    /// The server's time (RFC 3339 UTC, milliseconds).
    public let recordedAt: String
}

extension LedgerStore {
    /// The events of one stream in order (for a session or an incident: a few hundred at most).
    public func events(inStream stream: String) throws(StoreError) -> [StoredEvent] {
        try readEvents("SELECT seq, body, event_hash, chain_hash, \(unsafeSQL: Self.recordedAtSQL) FROM sealbook.events WHERE stream = \(stream) ORDER BY stream_seq")
    }

    /// Events of the given types across all streams, in `seq` order, optionally only `seq > after`.
    public func events(ofTypes types: [String], after: Int64 = 0, limit: Int = 10_000) throws(StoreError) -> [StoredEvent] {
        try readEvents(
            "SELECT seq, body, event_hash, chain_hash, \(unsafeSQL: Self.recordedAtSQL) FROM sealbook.events WHERE type = ANY(\(types)::text[]) AND seq > \(after) ORDER BY seq LIMIT \(limit)")
    }

    /// Streams whose id starts with `prefix`, with their first and last `seq`.
    public func streams(prefix: String) throws(StoreError) -> [(stream: String, firstSeq: Int64, lastSeq: Int64, count: Int64)] {
        try run { c in
            let r = try c.query(
                """
                SELECT stream, min(seq), max(seq), count(*) FROM sealbook.events
                WHERE starts_with(stream, \(prefix)) GROUP BY stream ORDER BY min(seq)
                """)
            return (0..<r.rowCount).map { (r.string($0, 0)!, r.int64($0, 1)!, r.int64($0, 2)!, r.int64($0, 3)!) }
        }
    }

    static let recordedAtSQL = "to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

    private func readEvents(_ q: PGQuery) throws(StoreError) -> [StoredEvent] {
        try run { c in
            let r = try c.query(q, resultFormat: .binary)
            var out: [StoredEvent] = []
            out.reserveCapacity(r.rowCount)
            for i in 0..<r.rowCount {
                let bytes = r.bytes(i, 1)!
                let body = try EventBody(json: try JSONParser.parse(bytes, maxDepth: FormatV1.maxDepth))
                out.append(
                    StoredEvent(
                        seq: r.int64(i, 0)!, body: body, eventHash: Digest32(bytes: r.bytes(i, 2)!)!,
                        chainHash: Digest32(bytes: r.bytes(i, 3)!)!, recordedAt: r.string(i, 4)!))
            }
            return out
        }
    }
}
