public import SealbookCore
internal import Dispatch

/// One entry of the log as ``LedgerStore/scan(upTo:pageSize:parallelism:_:)`` hands it over:
/// its body decoded and checked against the format's body rules, nothing else checked.
public struct ScannedEntry: Sendable {
    public let seq: Int64
    public let body: EventBody
    /// The event hash the log recorded for this row.
    public let eventHash: Digest32
    /// The chain hash the log recorded for this row.
    public let chainHash: Digest32
}

extension LedgerStore {
    /// Reads the whole log (or `1...upTo`) in `seq` order and decodes every body: rows come in
    /// pages of `pageSize` from the same prefetching reader thread as ``verify(options:progress:)``
    /// and ``export(to:upTo:overwrite:now:progress:)`` (its own connection, binary results), each
    /// body is parsed with the strict parser and built into an ``EventBody`` (its format rules
    /// checked), and each page goes to `consume` in order while the next one is fetched.
    ///
    /// This checks no signature, hash or chain: it is for folding a log that has been verified
    /// (projections rebuilt from `seq` 1), not for deciding whether it can be trusted. Decoding
    /// runs on `parallelism` threads per page (1: on the caller's thread).
    public func scan(
        upTo: Int64? = nil, pageSize: Int = 8192, parallelism: Int = 1, _ consume: ([ScannedEntry]) throws -> Void
    ) throws {
        let last = try upTo ?? maxSeq()
        guard last >= 1 else { return }
        let reader = PrefetchingLogReader(conninfo: conninfo, upTo: last, pageSize: pageSize)
        defer { reader.cancel() }
        while let page = try reader.next() {
            try consume(try Self.decode(page, parallelism: parallelism))
        }
    }

    /// Decodes one page of stored rows, in order.
    static func decode(_ page: [RawEntry], parallelism: Int) throws(StoreError) -> [ScannedEntry] {
        try decodeInOrder(page, parallelism: parallelism, decodeRow)
    }

    /// `decode` applied to every item on up to `parallelism` threads (one per 256 items at
    /// most), results in the items' order; the first failure in that order is thrown.
    static func decodeInOrder<Item: Sendable, Decoded>(
        _ items: [Item], parallelism: Int, _ decode: @Sendable (Item) -> Result<Decoded, StoreError>
    ) throws(StoreError) -> [Decoded] {
        let threads = max(1, min(parallelism, items.count / 256))
        var results = [Result<Decoded, StoreError>?](repeating: nil, count: items.count)
        if threads == 1 {
            for i in items.indices { results[i] = decode(items[i]) }
        } else {
            results.withUnsafeMutableBufferPointer { buffer in
                let slots = ScanSlots(base: buffer.baseAddress!)
                let per = (items.count + threads - 1) / threads
                DispatchQueue.concurrentPerform(iterations: threads) { t in
                    for i in (t * per)..<min(items.count, (t + 1) * per) { slots.base[i] = decode(items[i]) }
                }
            }
        }
        var out: [Decoded] = []
        out.reserveCapacity(items.count)
        for r in results {
            switch r! {
            case .success(let e): out.append(e)
            case .failure(let e): throw e
            }
        }
        return out
    }

    private static func decodeRow(_ raw: RawEntry) -> Result<ScannedEntry, StoreError> {
        guard case .stored(let seq, let bytes, _, let eh, let ch) = raw else {
            return .failure(.database("a scan reads stored rows only"))
        }
        guard let eventHash = Digest32(bytes: eh), let chainHash = Digest32(bytes: ch) else {
            return .failure(.invalidEvent("seq \(seq): a stored hash is not 32 bytes"))
        }
        do {
            let body = try EventBody(json: try JSONParser.parse(bytes, maxDepth: FormatV1.maxDepth))
            return .success(ScannedEntry(seq: seq, body: body, eventHash: eventHash, chainHash: chainHash))
        } catch {
            return .failure(.invalidEvent("seq \(seq): the stored body does not decode: \(error)"))
        }
    }

    /// The events a report reads, up to `head`: the `ledger` and `keys` streams, every stream
    /// whose id starts with one of `streamPrefixes` (and whose first event is at or before
    /// `head`), and the events of `types` in any stream, paged by 10,000. What `sealbook report`
    /// reads after verifying the log; an event can come twice (once by its stream, once by its
    /// type) and events after `head` can come too: the caller keeps `seq` ≤ `head`, once each.
    /// The streams' bodies are decoded on `parallelism` threads (a session can hold tens of
    /// thousands of events); the result is the same as with one.
    public func reportEvents(
        upTo head: Int64, streamPrefixes: [String], types: [String], parallelism: Int = System.activeProcessorCount
    ) throws(StoreError) -> [StoredEvent] {
        var stored: [StoredEvent] = []
        stored += try events(inStream: FormatV1.ledgerStream)
        stored += try events(inStream: FormatV1.keysStream)
        for prefix in streamPrefixes {
            for s in try streams(prefix: prefix) where s.firstSeq <= head {
                stored += try streamEvents(s.stream, parallelism: parallelism)
            }
        }
        var after: Int64 = 0
        let page = 10_000
        while true {
            let got = try events(ofTypes: types, after: after, limit: page)
            stored += got
            guard got.count == page, let last = got.last else { break }
            after = last.seq
        }
        return stored
    }
}

extension LedgerStore {
    /// ``events(inStream:)`` with the bodies decoded on `parallelism` threads: the rows are
    /// copied out of the result first, then parsed and checked in chunks.
    func streamEvents(_ stream: String, parallelism: Int) throws(StoreError) -> [StoredEvent] {
        typealias Row = (seq: Int64, body: [UInt8], eventHash: [UInt8], chainHash: [UInt8], recordedAt: String)
        let rows: [Row] = try run { c in
            let r = try c.query(
                "SELECT seq, body, event_hash, chain_hash, \(unsafeSQL: Self.recordedAtSQL) FROM sealbook.events WHERE stream = \(stream) ORDER BY stream_seq",
                resultFormat: .binary)
            return (0..<r.rowCount).map { i in (r.int64(i, 0)!, r.bytes(i, 1)!, r.bytes(i, 2)!, r.bytes(i, 3)!, r.string(i, 4)!) }
        }
        @Sendable func decode(_ row: Row) -> Result<StoredEvent, StoreError> {
            do {
                let body = try EventBody(json: try JSONParser.parse(row.body, maxDepth: FormatV1.maxDepth))
                guard let eh = Digest32(bytes: row.eventHash), let ch = Digest32(bytes: row.chainHash) else {
                    return .failure(.invalidEvent("seq \(row.seq): a stored hash is not 32 bytes"))
                }
                return .success(StoredEvent(seq: row.seq, body: body, eventHash: eh, chainHash: ch, recordedAt: row.recordedAt))
            } catch {
                return .failure(.invalidEvent("seq \(row.seq): the stored body does not decode: \(error)"))
            }
        }
        return try Self.decodeInOrder(rows, parallelism: parallelism, decode)
    }
}

/// The result slots of a page decoded in parallel.
// @unchecked Sendable: each worker writes its own indices, and nothing reads the buffer until
// `concurrentPerform` has returned.
private struct ScanSlots<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
}
