public import SealbookCore
internal import Foundation

/// The append-only PostgreSQL log of one ledger (`docs/FORMAT.md` §9). Owns one libpq connection; not
/// for use from several threads at once (open one store per thread or task).
public final class LedgerStore {
    /// The connection; replaced once when it broke during an append (``appendSigned(_:)``).
    private(set) var connection: PGConnection
    /// The connection string this store was opened with (may hold a password: never print it).
    let conninfo: String
    /// The ledger id, once read: it never changes after the genesis, so appends skip the query.
    private var cachedLedgerID: String?
    /// Where this store's own appends left each stream (last `streamSeq` and `eventHash`), so
    /// that its next append to the stream skips the position read. An entry goes stale when
    /// another writer appends to the stream; the database then refuses the signed position
    /// (SB010/SB012) and ``appendBatch(_:key:expectSeq:now:)`` reads it and signs again.
    private var knownPositions: [String: (seq: Int64, eventHash: Digest32)] = [:]
    /// Bound on ``knownPositions`` (emptied when full): a writer touching many streams only
    /// loses the shortcut.
    private static let knownPositionsLimit = 10_000

    /// Connects (`PQconnectdb`). `conninfo` is a `postgresql://` URL or libpq key=value string;
    /// the empty string means libpq's own `PG*` environment variables.
    public init(conninfo: String) throws(StoreError) {
        do { self.connection = try PGConnection(conninfo: conninfo) } catch { throw StoreError(error) }
        self.conninfo = conninfo
    }

    /// Runs `body` on the connection, mapping database errors to ``StoreError``.
    func run<T>(_ body: (PGConnection) throws -> T) throws(StoreError) -> T {
        do { return try body(connection) } catch let e as StoreError { throw e } catch let e as PGError {
            throw StoreError(e)
        } catch { throw .database("\(error)") }
    }

    // MARK: - Reading

    /// The head of the log.
    public struct Head: Sendable, Equatable {
        public let seq: Int64
        public let chainHash: Digest32
        public let ledger: String?
    }

    /// The last `seq` and its `chainHash` (one row read; `seq` 0 before the genesis).
    public func head() throws(StoreError) -> Head {
        try run { c in
            let r = try c.query("SELECT seq, chain_hash, ledger FROM sealbook.head WHERE id", resultFormat: .binary)
            guard r.rowCount == 1 else { throw StoreError.notInitialized("the ledger head row is missing: run sealbook init") }
            return Head(seq: r.int64(0, 0)!, chainHash: Digest32(bytes: r.bytes(0, 1)!)!, ledger: r.string(0, 2))
        }
    }

    /// The ledger id; throws ``StoreError/notInitialized(_:)`` before the genesis.
    public func ledgerID() throws(StoreError) -> String {
        if let cachedLedgerID { return cachedLedgerID }
        guard let id = try head().ledger else {
            throw .notInitialized("the ledger has no genesis yet: run sealbook init --ledger ID --root-key FILE")
        }
        cachedLedgerID = id
        return id
    }

    /// A stream's last position: its `streamSeq` (0 for a new stream) and `eventHash`.
    public func streamPosition(_ stream: String) throws(StoreError) -> (seq: Int64, eventHash: Digest32) {
        try run { c in
            let r = try c.query(
                "SELECT stream_seq, event_hash FROM sealbook.events WHERE stream = \(stream) ORDER BY stream_seq DESC LIMIT 1",
                resultFormat: .binary)
            guard r.rowCount == 1 else { return (0, .zero) }
            return (r.int64(0, 0)!, Digest32(bytes: r.bytes(0, 1)!)!)
        }
    }

    /// The last positions of several streams in one round trip: for each distinct stream, its
    /// last `streamSeq` (0 for a new stream) and `eventHash`.
    public func streamPositions(_ streams: [String]) throws(StoreError) -> [String: (seq: Int64, eventHash: Digest32)] {
        var distinct: [String] = []
        var seen = Set<String>()
        for s in streams where seen.insert(s).inserted { distinct.append(s) }
        guard !distinct.isEmpty else { return [:] }
        // The common batch has one stream: the plain query is cheaper to plan than the join.
        if distinct.count == 1 { return [distinct[0]: try streamPosition(distinct[0])] }
        return try run { c in
            // One index probe per stream (the newest row of its (stream, stream_seq) index).
            let r = try c.query(
                """
                SELECT s.stream, e.stream_seq, e.event_hash
                FROM unnest(\(distinct)::text[]) AS s(stream)
                LEFT JOIN LATERAL (
                    SELECT x.stream_seq, x.event_hash FROM sealbook.events x
                    WHERE x.stream = s.stream ORDER BY x.stream_seq DESC LIMIT 1
                ) e ON true
                """,
                resultFormat: .binary)
            var positions: [String: (seq: Int64, eventHash: Digest32)] = [:]
            positions.reserveCapacity(distinct.count)
            for i in 0..<r.rowCount {
                let stream = r.string(i, 0)!
                if let seq = r.int64(i, 1), let hash = r.bytes(i, 2).flatMap(Digest32.init(bytes:)) {
                    positions[stream] = (seq, hash)
                } else {
                    positions[stream] = (0, .zero)
                }
            }
            guard positions.count == distinct.count else {
                throw StoreError.database("stream positions: asked for \(distinct.count) streams, got \(positions.count)")
            }
            return positions
        }
    }

    /// A key as the database's key table holds it.
    public struct KeyRow: Sendable, Equatable {
        public let keyID: String
        public let publicKey: String
        public let actor: String
        public let roles: [String]
        public let enrolledSeq: Int64
        public let revokedSeq: Int64?
        public let isRoot: Bool
    }

    /// Every key of the key table, in enrolment order.
    public func keys() throws(StoreError) -> [KeyRow] {
        try run { c in try readKeys(c) }
    }

    func readKeys(_ c: PGConnection) throws -> [KeyRow] {
        let r = try c.query(
            "SELECT key_id, encode(public_key, 'base64'), actor, array_to_json(roles)::text, enrolled_seq, revoked_seq, is_root FROM sealbook.keys ORDER BY enrolled_seq, key_id")
        return (0..<r.rowCount).map { i in
            let roles = (try? JSONParser.parse(r.string(i, 3)!))?.arrayValue?.compactMap(\.stringValue) ?? []
            return KeyRow(
                keyID: r.string(i, 0)!, publicKey: r.string(i, 1)!, actor: r.string(i, 2)!, roles: roles,
                enrolledSeq: r.int64(i, 4)!, revokedSeq: r.int64(i, 5), isRoot: r.bool(i, 6)!)
        }
    }

    // MARK: - Appending

    /// What the database returned for one appended event.
    public struct AppendResult: Sendable, Equatable {
        public let seq: Int64
        public let stream: String
        public let streamSeq: Int64
        public let chainHash: Digest32
        public let eventHash: Digest32
        /// The server's time of recording (RFC 3339, UTC).
        public let recordedAt: String
        /// True when `(stream, idem)` existed and the earlier event is returned instead.
        public let duplicate: Bool
        /// The event's idempotency key (generated when the caller gave none; see
        /// ``appendBatch(_:key:expectSeq:now:)``).
        public var idem: String? = nil
        /// True when the connection broke after the append was sent and the event was then found
        /// committed by its idempotency key (``appendSigned(_:)``).
        public var recoveredAfterConnectionLoss = false
    }

    /// A new idempotency key for an append that was given none: `auto-` and 32 lowercase hex
    /// digits (128 random bits).
    public static func newIdem() -> String { "auto-" + Hex.encode(secureRandomBytes(16)) }

    /// Appends already-signed events in one transaction (all or nothing), through
    /// `sealbook.append_events`: one statement, one lock acquisition on the chain head.
    ///
    /// - An event whose `(stream, idem)` is recorded already returns the earlier event
    ///   (`duplicate`) when the earlier one has the same type, actor and data; otherwise the key
    ///   was reused for other content: ``StoreError/idempotencyConflict(_:)``.
    /// - When the connection breaks after the statement was sent, the outcome is looked up, not
    ///   guessed: a new connection ends the old server process (`pg_terminate_backend`, so that no
    ///   transaction of it can still commit), waits for it to be gone, and looks every event up
    ///   by its idempotency key. All found with the same bytes: the results, marked
    ///   `recoveredAfterConnectionLoss`. None found: ``StoreError/notWritten(_:)``. Anything else
    ///   (no idempotency key, the database unreachable, the old process still there):
    ///   ``StoreError/outcomeUnknown(_:)``.
    public func appendSigned(_ events: [SignedEvent]) throws(StoreError) -> [AppendResult] {
        guard !events.isEmpty else { return [] }
        let backend = connection.backendPID
        var results: [AppendResult]
        do {
            let r = try connection.query(
                """
                SELECT r_seq, r_stream_seq, r_chain_hash, r_event_hash,
                       to_char(r_recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), r_duplicate
                FROM sealbook.append_events(\(events.map(\.bodyBytes)), \(events.map(\.signature)))
                """,
                resultFormat: .binary)
            results = (0..<r.rowCount).map { i in
                var a = AppendResult(
                    seq: r.int64(i, 0)!, stream: events[i].body.stream, streamSeq: r.int64(i, 1)!,
                    chainHash: Digest32(bytes: r.bytes(i, 2)!)!, eventHash: Digest32(bytes: r.bytes(i, 3)!)!,
                    recordedAt: r.string(i, 4)!, duplicate: r.bool(i, 5)!)
                a.idem = events[i].body.idem
                return a
            }
        } catch {
            guard error.kind == .connectionLost else { throw StoreError(error) }
            results = try resolveAfterLostConnection(events, backend: backend, cause: error.message)
        }
        if results.contains(where: \.duplicate) { try checkDuplicates(events, results) }
        remember(results)
        return results
    }

    /// Refuses an idempotency key reused for another event: the earlier event (same stream and
    /// key) must have the same type, actor and data.
    private func checkDuplicates(_ events: [SignedEvent], _ results: [AppendResult]) throws(StoreError) {
        let seqs = results.filter(\.duplicate).map(\.seq)
        let stored: [Int64: [UInt8]] = try run { c in
            let r = try c.query("SELECT seq, body FROM sealbook.events WHERE seq IN (\(unsafeSQL: seqs.map(String.init).joined(separator: ",")))", resultFormat: .binary)
            var out: [Int64: [UInt8]] = [:]
            for i in 0..<r.rowCount { out[r.int64(i, 0)!] = r.bytes(i, 1)! }
            return out
        }
        for (e, result) in zip(events, results) where result.duplicate {
            guard let bytes = stored[result.seq], let earlier = try? EventBody(json: JSONParser.parse(bytes)) else {
                throw .database("the event at seq \(result.seq) that idempotency key \"\(e.body.idem ?? "")\" names cannot be read back")
            }
            var differs: [String] = []
            if earlier.type != e.body.type { differs.append("type") }
            if earlier.actor != e.body.actor { differs.append("actor") }
            if (try? JCS.canonicalize(.object(earlier.data))) != (try? JCS.canonicalize(.object(e.body.data))) {
                differs.append("data")
            }
            if !differs.isEmpty {
                throw .idempotencyConflict(
                    "idempotency key \"\(e.body.idem ?? "")\" of stream \(e.body.stream) was used at seq \(result.seq) for an event with other \(differs.joined(separator: ", ")); nothing was appended. Use a new key for a new event")
            }
        }
    }

    /// After the connection broke during an append: what really happened (``appendSigned(_:)``).
    private func resolveAfterLostConnection(_ events: [SignedEvent], backend: Int32, cause: String) throws(StoreError)
        -> [AppendResult]
    {
        let unknown = "the connection to the database broke after the append was sent (\(cause.trimmingCharacters(in: .whitespacesAndNewlines)))"
        guard events.allSatisfy({ $0.body.idem != nil }) else {
            throw .outcomeUnknown("\(unknown), and the events carry no idempotency key to look them up: check the log before appending again")
        }
        let retry = "; append again with the same idempotency key (\(events.compactMap(\.body.idem).joined(separator: ", "))): a key already recorded returns its event instead of a second one"
        // A new connection: the old one is broken for good.
        var fresh: PGConnection? = nil
        for attempt in 0..<5 {
            if attempt > 0 { usleep(UInt32(200_000 * attempt)) }
            if let c = try? PGConnection(conninfo: conninfo) {
                fresh = c
                break
            }
        }
        guard let fresh else { throw .outcomeUnknown("\(unknown), and the database cannot be reached again to look it up\(retry)") }
        connection = fresh
        // The old server process must be gone before its absence of a row means anything: a
        // transaction it still runs could commit after the look-up. Ending it rolls back whatever
        // it has not committed.
        do {
            _ = try fresh.query("SELECT pg_terminate_backend(\(backend)) WHERE \(backend) <> pg_backend_pid()")
            var gone = false
            for _ in 0..<100 {
                let r = try fresh.query("SELECT count(*) FROM pg_stat_activity WHERE pid = \(backend)")
                if r.string(0, 0) == "0" {
                    gone = true
                    break
                }
                usleep(100_000)
            }
            guard gone else {
                throw StoreError.outcomeUnknown("\(unknown), and its server process \(backend) is still running after 10 s\(retry)")
            }
            var found: [AppendResult] = []
            for e in events {
                let r = try fresh.query(
                    """
                    SELECT seq, stream_seq, chain_hash, event_hash,
                           to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), body
                    FROM sealbook.events WHERE stream = \(e.body.stream) AND idem = \(e.body.idem!)
                    """,
                    resultFormat: .binary)
                guard r.rowCount == 1 else { continue }
                var a = AppendResult(
                    seq: r.int64(0, 0)!, stream: e.body.stream, streamSeq: r.int64(0, 1)!,
                    chainHash: Digest32(bytes: r.bytes(0, 2)!)!, eventHash: Digest32(bytes: r.bytes(0, 3)!)!,
                    recordedAt: r.string(0, 4)!, duplicate: r.bytes(0, 5)! != e.bodyBytes)
                a.idem = e.body.idem
                a.recoveredAfterConnectionLoss = true
                found.append(a)
            }
            if found.isEmpty {
                throw StoreError.notWritten(
                    "\(unknown); it was looked up by its idempotency key on a new connection once the old server process had ended, and it is NOT in the log: nothing was written. Appending again is safe")
            }
            guard found.count == events.count else {
                throw StoreError.outcomeUnknown(
                    "\(unknown); \(found.count) of the \(events.count) events were found by their idempotency keys, which an all-or-nothing batch cannot do\(retry)")
            }
            return found
        } catch let e as StoreError {
            throw e
        } catch let e as PGError where e.kind == .connectionLost || e.kind == .connectionFailed {
            throw .outcomeUnknown("\(unknown), and the look-up failed too (\(e.message))\(retry)")
        } catch let e as PGError {
            throw StoreError(e)
        } catch {
            throw .database("\(error)")
        }
    }

    /// Records where appended events left their streams. A duplicate returns an earlier event,
    /// which says nothing of the stream's end: forget that stream.
    private func remember(_ results: [AppendResult]) {
        if knownPositions.count + results.count > Self.knownPositionsLimit { knownPositions.removeAll() }
        for r in results {
            if r.duplicate {
                knownPositions[r.stream] = nil
            } else {
                knownPositions[r.stream] = (r.streamSeq, r.eventHash)
            }
        }
    }

    /// The positions of `streams` from this store's own appends, when it knows all of them.
    private func rememberedPositions(_ streams: [String]) -> [String: (seq: Int64, eventHash: Digest32)]? {
        var positions: [String: (seq: Int64, eventHash: Digest32)] = [:]
        for s in streams where positions[s] == nil {
            guard let p = knownPositions[s] else { return nil }
            positions[s] = p
        }
        return positions
    }

    /// An event to append: everything but the parts the store and the key fill in.
    public struct NewEvent: Sendable {
        public var stream: String
        public var type: String
        public var data: JSONObject
        public var idem: String?

        public init(stream: String, type: String, data: JSONObject, idem: String? = nil) {
            self.stream = stream
            self.type = type
            self.data = data
            self.idem = idem
        }
    }

    /// Builds, signs and appends one event: the low-level append.
    ///
    /// - `expectSeq`: the stream's current last `streamSeq` as the caller saw it (0 for a new
    ///   stream); the event becomes `expectSeq + 1`, or the call fails with
    ///   ``StoreError/conflict(stream:current:expected:)`` (the stream moved on) or
    ///   ``StoreError/positionAhead(stream:current:expected:)``. Without it, the event goes at the
    ///   stream's end, retrying when a concurrent writer takes the position first.
    public func append(
        _ event: NewEvent, key: KeyFile, expectSeq: Int64? = nil, now: () -> String = FormatV1.now
    ) throws(StoreError) -> AppendResult {
        try appendBatch([event], key: key, expectSeq: expectSeq, now: now)[0]
    }

    /// Builds, signs and appends events in one transaction. Events of the same stream follow each
    /// other (`streamPrev` chains inside the batch). `expectSeq` applies to the first event's stream.
    /// Two round trips however many streams the batch touches: their positions (needed here, since
    /// `streamSeq` and `streamPrev` are signed), then `sealbook.append_events`.
    public func appendBatch(
        _ events: [NewEvent], key: KeyFile, expectSeq: Int64? = nil, now: () -> String = FormatV1.now
    ) throws(StoreError) -> [AppendResult] {
        guard !events.isEmpty else { return [] }
        let ledger = try ledgerID()
        // Every append carries an idempotency key, so that its outcome can be looked up after a
        // lost connection; the same keys are signed again on every attempt below.
        let idems = events.map { $0.idem ?? Self.newIdem() }
        let maxAttempts = expectSeq == nil ? 200 : 1
        var attempt = 0
        while true {
            attempt += 1
            // The positions this store's last appends left, unless the caller states one
            // (--expect-seq is checked against the database) or they just proved stale.
            let streams = events.map(\.stream)
            var positions: [String: (seq: Int64, eventHash: Digest32)]
            if expectSeq == nil, attempt == 1, let known = rememberedPositions(streams) {
                positions = known
            } else {
                positions = try streamPositions(streams)
            }
            var signed: [SignedEvent] = []
            signed.reserveCapacity(events.count)
            for (i, e) in events.enumerated() {
                guard let pos = positions[e.stream] else { throw .database("no position read for stream \(e.stream)") }
                if i == 0, let expect = expectSeq, pos.seq != expect {
                    if pos.seq > expect { throw .conflict(stream: e.stream, current: pos.seq, expected: expect) }
                    throw .positionAhead(stream: e.stream, current: pos.seq, expected: expect)
                }
                let body: EventBody
                do {
                    body = try EventBody(
                        ledger: ledger, stream: e.stream, streamSeq: pos.seq + 1, streamPrev: pos.eventHash, type: e.type,
                        time: now(), actor: key.actor, key: key.keyID, data: e.data, idem: idems[i])
                } catch { throw StoreError(error) }
                let s: SignedEvent
                do { s = try SignedEvent(signing: body, with: key.privateKey) } catch { throw StoreError(error) }
                positions[e.stream] = (pos.seq + 1, s.eventHash)
                signed.append(s)
            }
            do {
                return try appendSigned(signed)
            } catch StoreError.streamMoved {
                // Someone appended to the stream between our read and our write.
                for stream in streams { knownPositions[stream] = nil }
                if attempt >= maxAttempts {
                    let stream = events[0].stream
                    let current = (try? streamPosition(stream).seq) ?? -1
                    if let expect = expectSeq, current < expect {
                        throw .positionAhead(stream: stream, current: current, expected: expect)
                    }
                    throw .conflict(stream: stream, current: current, expected: expectSeq ?? current - 1)
                }
                continue
            }
        }
    }

    // MARK: - Init

    /// What `init` did.
    public enum InitOutcome: Sendable, Equatable {
        /// Schema applied (versions listed) and genesis appended.
        case created(genesis: AppendResult, schemaApplied: [Int])
        /// The same ledger with the same root key exists already: nothing changed.
        case alreadyInitialized(head: Int64)
    }

    /// Applies the schema and appends the genesis (`seq` 1) naming `root` as the root key.
    /// Running it again with the same ledger id and root key changes nothing.
    ///
    /// - `maxClockSkewSeconds`: recorded in the genesis's data as `maxClockSkewSeconds` (so in
    ///   the chain, never in a table): how far an event's signed `time` may be from the database
    ///   server's clock, either way (``ClockSkew``). Nil leaves it out: the default, 300 seconds.
    ///   Against an existing ledger it must be the value its genesis records.
    /// - `signatureCheck`: how the database checks signatures (``SignatureCheck``), set on every
    ///   run (see ``migrate(signatureCheck:)``).
    public func initialize(
        ledger: String, root: KeyFile, roles: [Role] = [.admin], now: () -> String = FormatV1.now,
        maxClockSkewSeconds: Int64? = nil, signatureCheck: SignatureCheck = .extension
    ) throws(StoreError) -> InitOutcome {
        guard FormatV1.isValidLedgerID(ledger) else {
            throw .invalidEvent("ledger id \"\(ledger)\" must match [a-z0-9][a-z0-9._-]{0,62}")
        }
        if let skew = maxClockSkewSeconds, !ClockSkew.allowedSeconds.contains(skew) {
            throw .invalidEvent(
                "the allowed clock skew must be \(ClockSkew.allowedSeconds.lowerBound) to \(ClockSkew.allowedSeconds.upperBound) seconds, not \(skew)")
        }
        let applied = try migrate(signatureCheck: signatureCheck)
        let h = try head()
        if h.seq > 0 {
            let rootIsListed = try keys().contains { $0.isRoot && $0.keyID == root.keyID }
            if let existing = h.ledger, existing != ledger {
                throw .alreadyInitialized(
                    "this database already holds another ledger, \"\(existing)\" (not \"\(ledger)\"); a database holds one ledger and its id never changes. Nothing was changed: use another database for \"\(ledger)\", or --ledger \(existing) for this one")
            }
            guard rootIsListed else {
                throw .alreadyInitialized(
                    "this database already holds ledger \"\(ledger)\" with other root keys (\(root.keyID) is not one of them); the genesis never changes. Nothing was changed")
            }
            if let skew = maxClockSkewSeconds {
                let recorded = try self.maxClockSkewSeconds()
                guard recorded == skew else {
                    throw .alreadyInitialized(
                        "ledger \"\(ledger)\" records an allowed clock skew of \(recorded) s in its genesis, not \(skew) s; the genesis never changes")
                }
            }
            return .alreadyInitialized(head: h.seq)
        }
        let descriptor = KeyDescriptor(
            keyID: root.keyID, publicKey: root.privateKey.publicKey, actor: root.actor, roles: roles.map(\.rawValue))
        var members: [(key: String, value: JSONValue)] = [(key: "rootKeys", value: .array([.object(descriptor.json)]))]
        if let skew = maxClockSkewSeconds {
            members.append((key: ClockSkew.genesisMember, value: .number(JSONNumber(skew))))
        }
        let data = JSONObject(members)
        do {
            let body = try EventBody(
                ledger: ledger, stream: FormatV1.ledgerStream, streamSeq: 1, streamPrev: .zero, type: FormatV1.genesisType,
                time: now(), actor: root.actor, key: root.keyID, data: data)
            let genesis = try SignedEvent(signing: body, with: root.privateKey)
            return .created(genesis: try appendSigned([genesis])[0], schemaApplied: applied)
        } catch let e as BodyError {
            throw StoreError(e)
        } catch let e as StoreError {
            throw e
        } catch {
            throw .database("\(error)")
        }
    }

    /// The `seq` of the first event of `type` in `stream`, if any. Read from the stored columns
    /// without verification: fit for refusing an append, never for accepting one.
    public func firstSeq(ofType type: String, in stream: String) throws(StoreError) -> Int64? {
        try run { c in
            let r = try c.query("SELECT min(seq)::text FROM sealbook.events WHERE stream = \(stream) AND type = \(type)")
            return r.rowCount == 1 ? r.string(0, 0).flatMap { Int64($0) } : nil
        }
    }

    /// The ledger's allowed clock skew in seconds: its genesis's `maxClockSkewSeconds`, else
    /// ``ClockSkew/defaultSeconds`` (as the append path reads it).
    public func maxClockSkewSeconds() throws(StoreError) -> Int64 {
        try run { c in
            let r = try c.query("SELECT body_json->'data'->'maxClockSkewSeconds' FROM sealbook.events WHERE seq = 1")
            guard r.rowCount == 1 else { throw StoreError.notInitialized("the ledger has no genesis yet: run sealbook init") }
            return ClockSkew.seconds(fromGenesisMember: r.string(0, 0))
        }
    }
}

/// How far an event's signed `time` may be from the database server's clock (`clock_timestamp()`),
/// either way, before the append path refuses it (SB032; schema version 3, docs/FORMAT.md 9.4
/// step 7a). A ledger records it in its genesis's data as `maxClockSkewSeconds`, set by
/// `sealbook init --max-clock-skew`; without it the default applies. Verifiers ignore the member.
public enum ClockSkew {
    /// The genesis data member that records it.
    public static let genesisMember = "maxClockSkewSeconds"
    /// Without the member: 5 minutes.
    public static let defaultSeconds: Int64 = 300
    /// What the member may hold: 1 second to 100 years of 365 days.
    public static let allowedSeconds: ClosedRange<Int64> = 1...3_153_600_000

    /// The value the append path uses for a genesis member's JSON text (nil: no member): the
    /// integer when it is one in ``allowedSeconds``, else the default (`sealbook.clock_skew_seconds`).
    static func seconds(fromGenesisMember text: String?) -> Int64 {
        guard let text, !text.isEmpty, text.count <= 10, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let n = Int64(text), allowedSeconds.contains(n)
        else { return defaultSeconds }
        return n
    }
}

extension FormatV1 {
    /// The current UTC time in the format's layout.
    public static func now() -> String {
        formatTimestamp(millisecondsSince1970: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }
}
