public import SealbookCore

/// The RFC 6962 tree over the log, as the database keeps it (docs/FORMAT.md §12): the
/// complete subtrees at levels that are multiples of 8, extended by every append in the same
/// transaction. Any other node is folded from those by `sealbook.tree_node`.
extension LedgerStore {
    /// The hashes of the complete subtrees `nodes` (level, index), in the order asked, in one
    /// round trip (`sealbook.tree_node` for each).
    public func treeNodes(_ nodes: [(level: Int, index: Int64)]) throws(StoreError) -> [Digest32] {
        guard !nodes.isEmpty else { return [] }
        return try run { c in
            let r = try c.query(
                """
                SELECT sealbook.tree_node(n.l, n.i) FROM unnest(\(nodes.map { String($0.level) })::int[], \(nodes.map { String($0.index) })::bigint[])
                    WITH ORDINALITY AS n(l, i, o) ORDER BY n.o
                """, resultFormat: .binary)
            guard r.rowCount == nodes.count else {
                throw StoreError.database("tree nodes: asked for \(nodes.count), got \(r.rowCount)")
            }
            return try (0..<r.rowCount).map { i in
                guard let d = r.bytes(i, 0).flatMap(Digest32.init(bytes:)) else {
                    throw StoreError.database("tree node \(nodes[i]) is not 32 bytes")
                }
                return d
            }
        }
    }

    /// The event hashes of the entries whose `seq` lies in any of `ranges` (inclusive), by `seq`,
    /// in one round trip.
    public func eventHashes(inRanges ranges: [ClosedRange<Int64>]) throws(StoreError) -> [Int64: Digest32] {
        let ranges = Self.coalesced(ranges)
        guard !ranges.isEmpty else { return [:] }
        return try run { c in
            // One primary-key range scan per range: LATERAL with OFFSET 0 keeps the planner from
            // flattening it into a join filtered over a scan of the whole log (which it prefers
            // beyond a few ranges, and which costs O(log size) per proof).
            let r = try c.query(
                """
                SELECT e.seq, e.event_hash FROM unnest(\(ranges.map { String($0.lowerBound) })::bigint[],
                                                      \(ranges.map { String($0.upperBound) })::bigint[]) AS q(lo, hi)
                CROSS JOIN LATERAL (SELECT seq, event_hash FROM sealbook.events
                                    WHERE seq BETWEEN q.lo AND q.hi OFFSET 0) e
                """, resultFormat: .binary)
            var out: [Int64: Digest32] = [:]
            out.reserveCapacity(r.rowCount)
            for i in 0..<r.rowCount {
                if let h = r.bytes(i, 1).flatMap(Digest32.init(bytes:)) { out[r.int64(i, 0)!] = h }
            }
            return out
        }
    }

    /// The stored nodes of `level` (a multiple of 8) whose index lies in any of `ranges`
    /// (inclusive), by index, in one round trip.
    public func storedNodes(level: Int, inRanges ranges: [ClosedRange<Int64>]) throws(StoreError) -> [Int64: Digest32] {
        let ranges = Self.coalesced(ranges)
        guard !ranges.isEmpty else { return [:] }
        return try run { c in
            let r = try c.query(
                """
                SELECT t.idx, t.hash FROM unnest(\(ranges.map { String($0.lowerBound) })::bigint[],
                                                 \(ranges.map { String($0.upperBound) })::bigint[]) AS q(lo, hi)
                CROSS JOIN LATERAL (SELECT idx, hash FROM sealbook.tree_nodes
                                    WHERE level = \(Int64(level)) AND idx BETWEEN q.lo AND q.hi OFFSET 0) t
                """, resultFormat: .binary)
            var out: [Int64: Digest32] = [:]
            out.reserveCapacity(r.rowCount)
            for i in 0..<r.rowCount {
                if let h = r.bytes(i, 1).flatMap(Digest32.init(bytes:)) { out[r.int64(i, 0)!] = h }
            }
            return out
        }
    }

    /// `ranges` sorted, with overlapping and adjacent ones merged: each row is read once.
    static func coalesced(_ ranges: [ClosedRange<Int64>]) -> [ClosedRange<Int64>] {
        var out: [ClosedRange<Int64>] = []
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            // Overlapping, or adjacent (written without `upperBound + 1`, which overflows at Int64.max).
            if let last = out.last, r.lowerBound <= last.upperBound || r.lowerBound - 1 == last.upperBound {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        return out
    }

    /// The root of the first `size` entries, as the database computes it (`sealbook.tree_root`).
    public func treeRoot(size: Int64) throws(StoreError) -> Digest32 {
        try run { c in
            let r = try c.query("SELECT sealbook.tree_root(\(size))", resultFormat: .binary)
            guard let d = r.bytes(0, 0).flatMap(Digest32.init(bytes:)) else { throw StoreError.database("tree root is not 32 bytes") }
            return d
        }
    }

    /// The ledger's checkpoint origin (`sealbook.origin()`; docs/FORMAT.md §12.2).
    public func origin() throws(StoreError) -> String {
        try run { c in
            guard let o = try c.query("SELECT sealbook.origin()").string(0, 0) else {
                throw StoreError.notInitialized("the ledger has no genesis yet: run sealbook init")
            }
            return o
        }
    }

    /// A checkpoint as the database stores it.
    public struct StoredCheckpoint: Sendable, Equatable {
        public let size: Int64
        public let root: Digest32
        /// The whole signed note.
        public let note: String
        /// The log key that signed it.
        public let keyID: String
        /// Whether the same checkpoint was already stored.
        public let duplicate: Bool
    }

    /// Stores a signed checkpoint note through `sealbook.add_checkpoint`, which checks its
    /// origin, size, root and log-key signature against the log.
    public func addCheckpoint(note: String) throws(StoreError) -> StoredCheckpoint {
        try run { c in
            let r = try c.query("SELECT r_size, r_root, r_key_id, r_duplicate FROM sealbook.add_checkpoint(\(note))", resultFormat: .binary)
            return StoredCheckpoint(
                size: r.int64(0, 0)!, root: Digest32(bytes: r.bytes(0, 1)!)!, note: note, keyID: r.string(0, 2)!,
                duplicate: r.bool(0, 3)!)
        }
    }

    /// The stored checkpoint with the largest size, if any.
    public func latestCheckpoint() throws(StoreError) -> StoredCheckpoint? {
        try run { c in
            let r = try c.query(
                "SELECT size, root, note, key_id FROM sealbook.checkpoints ORDER BY size DESC LIMIT 1", resultFormat: .binary)
            guard r.rowCount == 1 else { return nil }
            return StoredCheckpoint(
                size: r.int64(0, 0)!, root: Digest32(bytes: r.bytes(0, 1)!)!, note: r.string(0, 2)!, keyID: r.string(0, 3)!,
                duplicate: false)
        }
    }

    /// The event hashes of `seq` in `range` (the tree's leaves `range - 1`), in order.
    public func eventHashes(_ range: ClosedRange<Int64>) throws(StoreError) -> [Digest32] {
        try run { c in
            let r = try c.query(
                "SELECT event_hash FROM sealbook.events WHERE seq >= \(range.lowerBound) AND seq <= \(range.upperBound) ORDER BY seq",
                resultFormat: .binary)
            return (0..<r.rowCount).compactMap { r.bytes($0, 0).flatMap(Digest32.init(bytes:)) }
        }
    }
}

extension LedgerStore {
    /// The rows of `stream` with `seq` ≤ `upTo`, in stream order, with their stored columns:
    /// what a read anchored by a checkpoint checks entry by entry (docs/FORMAT.md §12.5).
    public func rows(inStream stream: String, upTo: Int64) throws(StoreError) -> [StoredRow] {
        try readRows(
            """
            SELECT seq, body, sig, event_hash, chain_hash, stream, stream_seq, type, actor, key_id, idem,
                   (extract(epoch FROM claimed_time) * 1000000)::bigint, body_json::text, \(unsafeSQL: Self.recordedAtSQL)
            FROM sealbook.events WHERE stream = \(stream) AND seq <= \(upTo) ORDER BY stream_seq
            """)
    }

    /// The rows of the given types with `seq` ≤ `upTo`, in `seq` order (through the
    /// `(type, seq)` index).
    public func rows(ofTypes types: [String], upTo: Int64) throws(StoreError) -> [StoredRow] {
        guard !types.isEmpty else { return [] }
        return try readRows(
            """
            SELECT seq, body, sig, event_hash, chain_hash, stream, stream_seq, type, actor, key_id, idem,
                   (extract(epoch FROM claimed_time) * 1000000)::bigint, body_json::text, \(unsafeSQL: Self.recordedAtSQL)
            FROM sealbook.events WHERE type = ANY(\(types)::text[]) AND seq <= \(upTo) ORDER BY seq
            """)
    }

    /// The rows of these types with `seq` ≤ `upTo` whose data member `member` (as the stored
    /// `jsonb` copy has it) is one of `values`, by `seq`: candidates found through the type index,
    /// to be checked against their signed bodies by the caller.
    public func rows(ofTypes types: [String], upTo: Int64, member: String, in values: [String]) throws(StoreError) -> [StoredRow] {
        guard !types.isEmpty, !values.isEmpty else { return [] }
        return try readRows(
            """
            SELECT seq, body, sig, event_hash, chain_hash, stream, stream_seq, type, actor, key_id, idem,
                   (extract(epoch FROM claimed_time) * 1000000)::bigint, body_json::text, \(unsafeSQL: Self.recordedAtSQL)
            FROM sealbook.events WHERE type = ANY(\(types)::text[]) AND seq <= \(upTo)
                AND body_json->'data'->>\(member) = ANY(\(values)::text[]) ORDER BY seq
            """)
    }

    /// The last row of `stream` with `seq` ≤ `upTo`, if any.
    public func lastRow(inStream stream: String, upTo: Int64) throws(StoreError) -> StoredRow? {
        try readRows(
            """
            SELECT seq, body, sig, event_hash, chain_hash, stream, stream_seq, type, actor, key_id, idem,
                   (extract(epoch FROM claimed_time) * 1000000)::bigint, body_json::text, \(unsafeSQL: Self.recordedAtSQL)
            FROM sealbook.events WHERE stream = \(stream) AND seq <= \(upTo) ORDER BY stream_seq DESC LIMIT 1
            """
        ).first
    }

    /// For each stream with an entry after `seq` `after` (by the stored `stream` column), its
    /// last row with `seq` ≤ `after`, or nil when it has none: in one round trip, each lookup
    /// through the `(stream, stream_seq)` index. What verification resumed at a checkpoint of
    /// size `after` asks for every stream it meets.
    public func lastRows(ofStreamsAfter after: Int64) throws(StoreError) -> [String: StoredRow?] {
        try run { c in
            let r = try c.query(
                """
                SELECT s.stream, l.seq, l.body, l.sig, l.event_hash, l.chain_hash, l.stream, l.stream_seq, l.type, l.actor,
                       l.key_id, l.idem, l.micros, l.body_json, l.recorded
                FROM (SELECT DISTINCT stream FROM sealbook.events WHERE seq > \(after)) s
                LEFT JOIN LATERAL (
                    SELECT seq, body, sig, event_hash, chain_hash, stream, stream_seq, type, actor, key_id, idem,
                           (extract(epoch FROM claimed_time) * 1000000)::bigint AS micros, body_json::text AS body_json,
                           \(unsafeSQL: Self.recordedAtSQL) AS recorded
                    FROM sealbook.events e WHERE e.stream = s.stream AND e.seq <= \(after)
                    ORDER BY e.stream_seq DESC LIMIT 1) l ON true
                """, resultFormat: .binary)
            var out: [String: StoredRow?] = [:]
            out.reserveCapacity(r.rowCount)
            for i in 0..<r.rowCount {
                guard let stream = r.string(i, 0) else { continue }
                guard let seq = r.int64(i, 1) else {
                    out[stream] = .some(nil)
                    continue
                }
                out[stream] = StoredRow(
                    seq: seq, body: r.bytes(i, 2)!, signature: r.bytes(i, 3)!, eventHash: r.bytes(i, 4)!,
                    chainHash: r.bytes(i, 5)!,
                    columns: StoredColumns(
                        stream: r.string(i, 6)!, streamSeq: r.int64(i, 7)!, type: r.string(i, 8)!, actor: r.string(i, 9)!,
                        keyID: r.string(i, 10)!, idem: r.string(i, 11), claimedTimeMicros: r.int64(i, 12)!,
                        bodyJSON: r.bytes(i, 13)!, recordedAt: r.string(i, 14)!))
            }
            return out
        }
    }

    /// The chain hash recorded at `seq`.
    public func chainHash(at seq: Int64) throws(StoreError) -> Digest32? {
        try run { c in
            try c.query("SELECT chain_hash FROM sealbook.events WHERE seq = \(seq)", resultFormat: .binary).bytes(0, 0)
                .flatMap(Digest32.init(bytes:))
        }
    }

    private func readRows(_ q: PGQuery) throws(StoreError) -> [StoredRow] {
        try run { c in
            let r = try c.query(q, resultFormat: .binary)
            return (0..<r.rowCount).map { i in
                StoredRow(
                    seq: r.int64(i, 0)!, body: r.bytes(i, 1)!, signature: r.bytes(i, 2)!, eventHash: r.bytes(i, 3)!,
                    chainHash: r.bytes(i, 4)!,
                    columns: StoredColumns(
                        stream: r.string(i, 5)!, streamSeq: r.int64(i, 6)!, type: r.string(i, 7)!, actor: r.string(i, 8)!,
                        keyID: r.string(i, 9)!, idem: r.string(i, 10), claimedTimeMicros: r.int64(i, 11)!,
                        bodyJSON: r.bytes(i, 12)!, recordedAt: r.string(i, 13)!))
            }
        }
    }
}
