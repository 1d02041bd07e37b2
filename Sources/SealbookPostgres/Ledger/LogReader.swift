public import SealbookCore
internal import Foundation

/// Reads the log in `seq` order, page by page (keyset pagination on the primary key, binary
/// result format), on its own thread and its own connection, so that the next page is being
/// fetched while the caller works on the current one. At most `depth` pages wait in memory.
final class PrefetchingLogReader: Sendable {
    private let queue: BoundedQueue<Result<[RawEntry], StoreError>?>
    /// Signalled once the reader thread has closed its connection and returned.
    private let finished = DispatchSemaphore(value: 0)

    /// Starts reading rows with `seq` in `from...upTo`. With `columns`, each row also carries the
    /// columns derived from its body and `recorded_at` (``StoredColumns``), for verification.
    init(conninfo: String, from: Int64 = 1, upTo: Int64, pageSize: Int = 8192, depth: Int = 3, columns: Bool = false) {
        let queue = BoundedQueue<Result<[RawEntry], StoreError>?>(capacity: depth)
        self.queue = queue
        let done = self.finished
        let thread = Thread {
            // The connection is closed (PQfinish) before `finished` is signalled: a process that
            // exits while another thread is inside libpq can abort in libpq's GSSAPI teardown.
            Self.read(queue: queue, conninfo: conninfo, from: from, upTo: upTo, pageSize: pageSize, columns: columns)
            done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    private static func read(
        queue: BoundedQueue<Result<[RawEntry], StoreError>?>, conninfo: String, from: Int64, upTo: Int64, pageSize: Int,
        columns: Bool
    ) {
        let connection: PGConnection
        do { connection = try PGConnection(conninfo: conninfo) } catch let e {
            queue.put(.failure(StoreError(e)))
            queue.put(nil)
            return
        }
        var after: Int64 = from - 1
        while after < upTo, !queue.isCancelled {
            do {
                let r =
                    columns
                    ? try connection.query(
                        """
                        SELECT seq, body, sig, event_hash, chain_hash, stream, stream_seq, type, actor, key_id, idem,
                               (extract(epoch FROM claimed_time) * 1000000)::bigint, body_json::text,
                               \(unsafeSQL: LedgerStore.recordedAtSQL)
                        FROM sealbook.events
                        WHERE seq > \(after) AND seq <= \(upTo) ORDER BY seq LIMIT \(pageSize)
                        """, resultFormat: .binary)
                    : try connection.query(
                        """
                        SELECT seq, body, sig, event_hash, chain_hash FROM sealbook.events
                        WHERE seq > \(after) AND seq <= \(upTo) ORDER BY seq LIMIT \(pageSize)
                        """, resultFormat: .binary)
                if r.rowCount == 0 { break }
                var page: [RawEntry] = []
                page.reserveCapacity(r.rowCount)
                for i in 0..<r.rowCount {
                    let stored: StoredColumns? =
                        columns
                        ? StoredColumns(
                            stream: r.string(i, 5)!, streamSeq: r.int64(i, 6)!, type: r.string(i, 7)!,
                            actor: r.string(i, 8)!, keyID: r.string(i, 9)!, idem: r.string(i, 10),
                            claimedTimeMicros: r.int64(i, 11)!, bodyJSON: r.bytes(i, 12)!, recordedAt: r.string(i, 13)!)
                        : nil
                    page.append(
                        .stored(
                            StoredRow(
                                seq: r.int64(i, 0)!, body: r.bytes(i, 1)!, signature: r.bytes(i, 2)!,
                                eventHash: r.bytes(i, 3)!, chainHash: r.bytes(i, 4)!, columns: stored)))
                }
                after = r.int64(r.rowCount - 1, 0)!
                queue.put(.success(page))
            } catch let e {
                queue.put(.failure(StoreError(e)))
                break
            }
        }
        queue.put(nil)
    }

    /// The next page, nil at the end.
    func next() throws(StoreError) -> [RawEntry]? {
        switch queue.take() {
        case .none: return nil
        case .some(.success(let page)): return page
        case .some(.failure(let e)): throw e
        }
    }

    /// Stops the reader thread early and waits until it has closed its connection (it finishes
    /// its current query first). Safe to call more than once.
    func cancel() {
        queue.cancel()
        finished.wait()
        finished.signal()
    }
}

extension LedgerStore {
    /// `recorded_at` as the format prints times (RFC 3339 UTC, milliseconds).
    static let recordedAtSQL = "to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

    /// The largest `seq` in the log (0 when empty); verification and export read up to it.
    func maxSeq() throws(StoreError) -> Int64 {
        try run { c in try c.query("SELECT coalesce(max(seq), 0) FROM sealbook.events").int64(0, 0)! }
    }

    /// The head row, the last `seq` of the log and the key table, read in one snapshot (a
    /// repeatable-read transaction): an append moves the head and inserts its rows in one
    /// transaction, so in one snapshot the head is the last row unless someone edited them.
    public struct StoredState: Sendable {
        public let head: Head
        /// The largest `seq` in the log (0 when empty).
        public let maxSeq: Int64
        /// The key table.
        public let keys: [KeyRow]
    }

    /// Reads ``StoredState``.
    public func storedState() throws(StoreError) -> StoredState {
        try run { c in
            try c.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            defer { try? c.execute("COMMIT") }
            let r = try c.query(
                """
                SELECT h.seq, h.chain_hash, h.ledger, (SELECT coalesce(max(seq), 0) FROM sealbook.events)
                FROM sealbook.head h WHERE h.id
                """, resultFormat: .binary)
            guard r.rowCount == 1 else { throw StoreError.notInitialized("the ledger head row is missing: run sealbook init") }
            let head = Head(seq: r.int64(0, 0)!, chainHash: Digest32(bytes: r.bytes(0, 1)!)!, ledger: r.string(0, 2))
            return StoredState(head: head, maxSeq: r.int64(0, 3)!, keys: try readKeys(c))
        }
    }

    /// Verifies the whole log as it is in the database (docs/FORMAT.md §7): streams pages of
    /// rows, with every stored column derived from the body, through a new ``Verifier`` while
    /// the next page is fetched, then compares the head row and the key table with what the
    /// verified log implies. `onVerified` receives each entry that passed every check, in `seq`
    /// order, on this thread; `progress(done, total)` is called after each page.
    public func verify(
        options: VerifyOptions, onVerified: (@Sendable (VerifiedEvent) -> Void)? = nil,
        progress: (Int64, Int64) -> Void = { _, _ in }
    ) throws(StoreError) -> VerificationReport {
        var verifier = Verifier(options: options)
        verifier.onVerified = onVerified
        return try verify(continuing: &verifier, progress: progress)
    }

    /// Goes on verifying with `verifier`, which has consumed the log up to
    /// `verifier.nextSeq - 1`: feeds it the entries after that up to the current end of the log
    /// (nothing when there is none), then checks the head row and the key table against it.
    /// What `--follow` uses to verify only the new events.
    public func verify(continuing verifier: inout Verifier, progress: (Int64, Int64) -> Void = { _, _ in })
        throws(StoreError) -> VerificationReport
    {
        _ = try schemaVersions()
        let state = try storedState()
        let upTo = state.maxSeq
        if upTo == 0 {
            var empty = Verifier(options: verifier.options)
            empty.recordFailure(
                VerificationFailure(seq: 1, line: nil, stream: nil, reason: .genesisMissing, detail: "the log is empty"))
            verifier = empty
            return verifier.finish()
        }
        let from = verifier.nextSeq
        if from <= upTo && !verifier.isFinished {
            let reader = PrefetchingLogReader(conninfo: conninfo, from: from, upTo: upTo, columns: true)
            defer { reader.cancel() }
            while let page = try reader.next() {
                verifier.consume(page)
                progress(verifier.nextSeq - 1, upTo)
                if verifier.isFinished { break }
            }
        }
        var report = verifier.finish()
        let stoppedEarly = verifier.isFinished && report.lastSeq < upTo
        if !verifier.isFatal && (!verifier.isFinished || verifier.options.reportAll) {
            // Judged afresh at each call (the verifier keeps only what the entries said).
            var judged = verifier
            for f in Self.storedStateFailures(state, report) { judged.recordFailure(f) }
            report = judged.finish()
        }
        report.stoppedEarly = report.stoppedEarly || stoppedEarly
        return report
    }

    /// What the head row and the key table say against what the verified log implies: the head
    /// must be the last entry (`seq` and `chainHash`) and the key table must hold exactly the
    /// keys of the genesis and the key events, with their actors, roles, public keys and the
    /// `seq` of their enrolment and revocation. The append path reads both to decide what it
    /// accepts, so an edit to either is a failure even when every entry verifies.
    static func storedStateFailures(_ state: StoredState, _ report: VerificationReport) -> [VerificationFailure] {
        var failures: [VerificationFailure] = []
        let h = state.head
        if h.seq != report.lastSeq || h.chainHash != report.lastChainHash {
            failures.append(
                VerificationFailure(
                    seq: max(h.seq, report.lastSeq), line: nil, stream: nil, reason: .headMismatch,
                    detail:
                        "the head row says seq \(h.seq) chainHash \(h.chainHash.hex), but the log ends at seq \(report.lastSeq) chainHash \(report.lastChainHash.hex)"
                ))
        } else if let ledger = report.ledger, h.ledger != ledger {
            failures.append(
                VerificationFailure(
                    seq: h.seq, line: nil, stream: nil, reason: .headMismatch,
                    detail: "the head row names ledger \(h.ledger ?? "NULL") but the genesis says \(ledger)"))
        }
        var seen = Set<String>()
        for row in state.keys {
            seen.insert(row.keyID)
            guard let k = report.keys[row.keyID] else {
                failures.append(
                    VerificationFailure(
                        seq: row.enrolledSeq, line: nil, stream: FormatV1.keysStream, reason: .keyTableMismatch,
                        detail: "the key table holds \(row.keyID) (\(row.actor)), which no verified genesis or key.enrolled event enrols"))
                continue
            }
            var differs: [String] = []
            if row.publicKey != k.publicKey.base64 { differs.append("public_key") }
            if row.actor != k.actor { differs.append("actor \(row.actor) (enrolled: \(k.actor))") }
            let enrolledRoles = (k.roles.map(\.rawValue) + k.unknownRoles).sorted()
            if row.roles.sorted() != enrolledRoles {
                differs.append("roles \(row.roles.sorted()) (enrolled: \(enrolledRoles))")
            }
            if row.enrolledSeq != k.enrolledAt { differs.append("enrolled_seq \(row.enrolledSeq) (log: \(k.enrolledAt))") }
            if row.revokedSeq != k.revokedAt {
                differs.append(
                    "revoked_seq \(row.revokedSeq.map(String.init) ?? "NULL") (log: \(k.revokedAt.map(String.init) ?? "not revoked"))")
            }
            if row.isRoot != k.isRoot { differs.append("is_root") }
            if !differs.isEmpty {
                failures.append(
                    VerificationFailure(
                        seq: k.enrolledAt, line: nil, stream: FormatV1.keysStream, reason: .keyTableMismatch,
                        detail: "the key table's row for \(row.keyID) differs from the log: \(differs.joined(separator: ", "))"))
            }
        }
        for k in report.keys.values.sorted(by: { $0.enrolledAt < $1.enrolledAt }) where !seen.contains(k.keyID) {
            failures.append(
                VerificationFailure(
                    seq: k.enrolledAt, line: nil, stream: FormatV1.keysStream, reason: .keyTableMismatch,
                    detail: "key \(k.keyID) (\(k.actor)) is enrolled in the log but missing from the key table"))
        }
        return failures
    }

    /// Writes a bundle (docs/FORMAT.md §6) of entries `1...to` (default: the whole log) to `path`,
    /// through a temporary file renamed into place at the end. Its header carries the latest
    /// stored checkpoint whose size is at most `to`, with its cosignatures (§6.5), when there is
    /// one. Refuses to replace an existing file unless `overwrite`, and never replaces anything
    /// but a regular file (not a directory, not a symlink). Returns the header written.
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
        let checkpoint = try latestCheckpoint(upTo: to)
        let header = BundleHeader(ledger: ledger, to: to, exportedAt: now(), checkpoint: checkpoint?.note)
        let reader = PrefetchingLogReader(conninfo: conninfo, upTo: to)
        defer { reader.cancel() }
        // Through a temporary file renamed into place (FileOutput): --force replaces a regular
        // file only, never a directory or what a symlink points to.
        var readError: StoreError? = nil
        do {
            try FileOutput.writeAtomically(to: path, replace: overwrite) { write in
                var buffer = header.line
                buffer.append(0x0A)
                do {
                    while let page = try reader.next() {
                        for entry in page {
                            guard case .stored(let row) = entry else { continue }
                            buffer.append(
                                contentsOf: bundleEntryLine(
                                    seq: row.seq, bodyBytes: row.body, signature: row.signature,
                                    eventHash: Digest32(bytes: row.eventHash) ?? .zero,
                                    chainHash: Digest32(bytes: row.chainHash) ?? .zero))
                            buffer.append(0x0A)
                            if buffer.count >= 1 << 20 {
                                try write(buffer)
                                buffer.removeAll(keepingCapacity: true)
                            }
                            progress(row.seq, to)
                        }
                    }
                } catch let e as StoreError {
                    readError = e
                    throw e
                } catch let e as FileOutputError {
                    throw e
                } catch {
                    readError = .database("\(error)")
                    throw error
                }
                try write(buffer)
            }
        } catch {
            if let readError { throw readError }
            switch error {
            case .exists(let p): throw .outputExists("\(p) already exists; choose another name or pass --force")
            case .notARegularFile: throw .outputExists(error.description)
            case .cannotWrite: throw .output(error.description)
            }
        }
        return header
    }

    /// The stored checkpoint with the largest size not above `size`, if any: the one a bundle of
    /// seq 1...`size` carries.
    public func latestCheckpoint(upTo size: Int64) throws(StoreError) -> StoredCheckpoint? {
        try run { c in
            let r = try c.query(
                "SELECT size, root, note, key_id FROM sealbook.checkpoints WHERE size <= \(size) ORDER BY size DESC LIMIT 1",
                resultFormat: .binary)
            guard r.rowCount == 1 else { return nil }
            return StoredCheckpoint(
                size: r.int64(0, 0)!, root: Digest32(bytes: r.bytes(0, 1)!)!, note: r.string(0, 2)!, keyID: r.string(0, 3)!,
                duplicate: false)
        }
    }
}
