public import SealbookCore
internal import Foundation

/// Reads the log in `seq` order, page by page (keyset pagination on the primary key, binary
/// result format), on its own thread and its own connection, so that the next page is being
/// fetched while the caller works on the current one. At most `depth` pages wait in memory.
final class PrefetchingLogReader: Sendable {
    private let queue: BoundedQueue<Result<[RawEntry], StoreError>?>

    /// Starts reading rows with `seq` in `1...upTo`.
    init(conninfo: String, upTo: Int64, pageSize: Int = 8192, depth: Int = 3) {
        let queue = BoundedQueue<Result<[RawEntry], StoreError>?>(capacity: depth)
        self.queue = queue
        let thread = Thread {
            let connection: PGConnection
            do { connection = try PGConnection(conninfo: conninfo) } catch let e {
                queue.put(.failure((e as? PGError).map(StoreError.init) ?? .database("\(e)")))
                queue.put(nil)
                return
            }
            var after: Int64 = 0
            while after < upTo, !queue.isCancelled {
                do {
                    let r = try connection.query(
                        """
                        SELECT seq, body, sig, event_hash, chain_hash FROM sealbook.events
                        WHERE seq > \(after) AND seq <= \(upTo) ORDER BY seq LIMIT \(pageSize)
                        """, resultFormat: .binary)
                    if r.rowCount == 0 { break }
                    var page: [RawEntry] = []
                    page.reserveCapacity(r.rowCount)
                    for i in 0..<r.rowCount {
                        page.append(
                            .stored(
                                seq: r.int64(i, 0)!, body: r.bytes(i, 1)!, signature: r.bytes(i, 2)!,
                                eventHash: r.bytes(i, 3)!, chainHash: r.bytes(i, 4)!))
                    }
                    after = r.int64(r.rowCount - 1, 0)!
                    queue.put(.success(page))
                } catch let e {
                    queue.put(.failure((e as? PGError).map(StoreError.init) ?? .database("\(e)")))
                    break
                }
            }
            queue.put(nil)
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// The next page, nil at the end.
    func next() throws(StoreError) -> [RawEntry]? {
        switch queue.take() {
        case .none: return nil
        case .some(.success(let page)): return page
        case .some(.failure(let e)): throw e
        }
    }

    /// Stops the reader thread early (it finishes its current query first).
    func cancel() { queue.cancel() }
}

extension LedgerStore {
    /// The largest `seq` in the log (0 when empty); verification and export read up to it.
    func maxSeq() throws(StoreError) -> Int64 {
        try run { c in try c.query("SELECT coalesce(max(seq), 0) FROM sealbook.events").int64(0, 0)! }
    }

    /// Verifies the whole log as it is in the database: streams pages of rows through the
    /// ``Verifier`` while the next page is fetched. `progress(done, total)` after each page.
    public func verify(options: VerifyOptions, progress: (Int64, Int64) -> Void = { _, _ in }) throws(StoreError)
        -> VerificationReport
    {
        _ = try schemaVersions()
        let upTo = try maxSeq()
        var verifier = Verifier(options: options)
        if upTo == 0 {
            verifier.recordFailure(
                VerificationFailure(seq: 1, line: nil, stream: nil, reason: .genesisMissing, detail: "the log is empty"))
            return verifier.finish()
        }
        let reader = PrefetchingLogReader(conninfo: conninfo, upTo: upTo)
        defer { reader.cancel() }
        while let page = try reader.next() {
            verifier.consume(page)
            progress(verifier.nextSeq - 1, upTo)
            if verifier.isFinished { break }
        }
        var report = verifier.finish()
        if verifier.isFinished && report.lastSeq < upTo { report.stoppedEarly = true }
        return report
    }

    /// Writes a bundle (DESIGN.md 2.4) of entries `1...to` (default: the whole log) to `path`,
    /// through a temporary file renamed into place at the end. Refuses to replace an existing
    /// file unless `overwrite`. Returns the header written.
    public func export(
        to path: String, upTo: Int64? = nil, overwrite: Bool = false, now: () -> String = FormatV1.now,
        progress: (Int64, Int64) -> Void = { _, _ in }
    ) throws(StoreError) -> BundleHeader {
        let ledger = try ledgerID()
        let last = try maxSeq()
        let to = upTo ?? last
        guard to >= 1, to <= last else {
            throw .invalidEvent("--to \(to) is outside the log, which holds seq 1...\(last)")
        }
        if !overwrite && FileManager.default.fileExists(atPath: path) {
            throw .output("\(path) already exists; choose another name or pass --force")
        }
        let tmp = path + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
        guard FileManager.default.createFile(atPath: tmp, contents: nil),
            let handle = FileHandle(forWritingAtPath: tmp)
        else { throw .output("cannot create \(tmp)") }
        var ok = false
        defer {
            try? handle.close()
            if !ok { try? FileManager.default.removeItem(atPath: tmp) }
        }
        let header = BundleHeader(ledger: ledger, to: to, exportedAt: now())
        var buffer = header.line
        buffer.append(0x0A)
        let reader = PrefetchingLogReader(conninfo: conninfo, upTo: to)
        defer { reader.cancel() }
        do {
            while let page = try reader.next() {
                for entry in page {
                    guard case .stored(let seq, let body, let sig, let eh, let ch) = entry else { continue }
                    buffer.append(
                        contentsOf: bundleEntryLine(
                            seq: seq, bodyBytes: body, signature: sig, eventHash: Digest32(bytes: eh) ?? .zero,
                            chainHash: Digest32(bytes: ch) ?? .zero))
                    buffer.append(0x0A)
                    if buffer.count >= 1 << 20 {
                        try handle.write(contentsOf: buffer)
                        buffer.removeAll(keepingCapacity: true)
                    }
                    progress(seq, to)
                }
            }
            try handle.write(contentsOf: buffer)
            try handle.synchronize()
            try handle.close()
            if overwrite { try? FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: tmp, toPath: path)
        } catch let e as StoreError {
            throw e
        } catch {
            throw .output("cannot write \(path): \(error.localizedDescription)")
        }
        ok = true
        return header
    }
}
