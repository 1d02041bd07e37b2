internal import Dispatch
internal import Foundation

/// One entry as a storage hands it to the verifier, before anything is decoded. The verifier's
/// input, kept apart from ``VerifiedEvent`` (its output) because nothing in it has been checked.
public enum RawEntry: Sendable {
    /// A row of the PostgreSQL log: stored canonical body bytes, signature, the hashes the log
    /// recorded, and the columns the log derived from the body (checked against it).
    case stored(StoredRow)
    /// One line of a bundle (without its newline); `line` is its 1-based line number.
    case bundleLine(line: Int, bytes: [UInt8])
}

/// A row of the log as the database stores it: everything the verifier compares with what the
/// signed body says (docs/FORMAT.md §7, "stored columns").
public struct StoredRow: Sendable {
    public let seq: Int64
    /// The stored canonical body bytes (`body`).
    public let body: [UInt8]
    public let signature: [UInt8]
    /// The recorded `event_hash` and `chain_hash`.
    public let eventHash: [UInt8]
    public let chainHash: [UInt8]
    /// The columns derived from the body, when the storage has them; nil skips those checks.
    public let columns: StoredColumns?

    public init(seq: Int64, body: [UInt8], signature: [UInt8], eventHash: [UInt8], chainHash: [UInt8], columns: StoredColumns? = nil) {
        self.seq = seq
        self.body = body
        self.signature = signature
        self.eventHash = eventHash
        self.chainHash = chainHash
        self.columns = columns
    }
}

/// The columns a log row derives from its body, as stored. Each must say what the signed body
/// says: a row whose `stream` or `type` column was edited would otherwise move an event into
/// another session, or hide it from a query, while its signature still verifies.
public struct StoredColumns: Sendable {
    public let stream: String
    public let streamSeq: Int64
    public let type: String
    public let actor: String
    public let keyID: String
    public let idem: String?
    /// `claimed_time` in microseconds since the Unix epoch.
    public let claimedTimeMicros: Int64
    /// The `jsonb` copy of the body, as PostgreSQL prints it (`body_json::text`).
    public let bodyJSON: [UInt8]
    /// `recorded_at` (RFC 3339 UTC, milliseconds): the server's own time, not derived from the body.
    public let recordedAt: String

    public init(
        stream: String, streamSeq: Int64, type: String, actor: String, keyID: String, idem: String?, claimedTimeMicros: Int64,
        bodyJSON: [UInt8], recordedAt: String
    ) {
        self.stream = stream
        self.streamSeq = streamSeq
        self.type = type
        self.actor = actor
        self.keyID = keyID
        self.idem = idem
        self.claimedTimeMicros = claimedTimeMicros
        self.bodyJSON = bodyJSON
        self.recordedAt = recordedAt
    }

    /// The first column that differs from `body` (whose canonical bytes are `bodyBytes`):
    /// its name, the stored value and the signed one. Nil when all agree.
    public func mismatch(with body: EventBody, bodyBytes: [UInt8]) -> (column: String, stored: String, signed: String)? {
        if stream != body.stream { return ("stream", stream, body.stream) }
        if streamSeq != body.streamSeq { return ("stream_seq", String(streamSeq), String(body.streamSeq)) }
        if type != body.type { return ("type", type, body.type) }
        if actor != body.actor { return ("actor", actor, body.actor) }
        if keyID != body.key { return ("key_id", keyID, body.key) }
        if idem != body.idem { return ("idem", idem ?? "NULL", body.idem ?? "(none)") }
        // The body's time has the format's fixed layout, so equal instants print equal.
        let stored = formatTimestamp(millisecondsSince1970: claimedTimeMicros.floorDivided(by: 1000))
        if stored != body.time || claimedTimeMicros % 1000 != 0 {
            return ("claimed_time", stored, body.time)
        }
        // The jsonb copy: the same JSON value as the body (jsonb orders members its own way, so
        // compare canonical forms).
        let copy = try? bodyJSON.withUnsafeBytes { try JCS.canonicalize(JSONParser.parse($0, maxDepth: FormatV1.maxDepth)) }
        if copy != bodyBytes {
            return ("body_json", "a JSON value other than the body", "the body")
        }
        return nil
    }
}

extension Int64 {
    /// Division rounding toward negative infinity (times before 1970 are negative).
    fileprivate func floorDivided(by d: Int64) -> Int64 {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}

/// The state a verifier resumes from (``Verifier/init(options:resumingAt:priorPosition:)``):
/// the entries up to ``seq`` as a trusted checkpoint anchors them.
public struct ResumePoint: Sendable {
    /// The last entry covered (the checkpoint's size).
    public let seq: Int64
    /// The chain hash recorded at ``seq``.
    public let chainHash: Digest32
    public let ledger: String
    /// The keys as the genesis and key events up to ``seq`` define them.
    public let keys: KeyRegistry
    public let rootKeys: [String]
    public let rootPinned: Bool
    /// The tree of the first ``seq`` entries (its root is the checkpoint's).
    public let tree: MerkleAccumulator
    /// Streams whose position at ``seq`` is known already (the `ledger` and `keys` streams).
    public let knownStreams: [String: (seq: Int64, hash: Digest32)]

    public init(
        seq: Int64, chainHash: Digest32, ledger: String, keys: KeyRegistry, rootKeys: [String], rootPinned: Bool,
        tree: MerkleAccumulator, knownStreams: [String: (seq: Int64, hash: Digest32)] = [:]
    ) {
        self.knownStreams = knownStreams
        self.seq = seq
        self.chainHash = chainHash
        self.ledger = ledger
        self.keys = keys
        self.rootKeys = rootKeys
        self.rootPinned = rootPinned
        self.tree = tree
    }
}

/// Options of a verification run.
public struct VerifyOptions: Sendable {
    /// The root public key the auditor pinned out of band; nil: say the root was not pinned.
    public var trustRoot: Ed25519.PublicKey?
    /// Go on after a failure and report every failing entry (`--all`).
    public var reportAll: Bool
    /// Worker threads for decoding and signature checks; defaults to the number of cores.
    public var parallelism: Int
    /// The ledger id the source claims (a bundle's header); checked against the genesis.
    public var expectedLedger: String?

    public init(trustRoot: Ed25519.PublicKey? = nil, reportAll: Bool = false, parallelism: Int? = nil, expectedLedger: String? = nil) {
        self.trustRoot = trustRoot
        self.reportAll = reportAll
        self.parallelism = max(1, parallelism ?? System.activeProcessorCount)
        self.expectedLedger = expectedLedger
    }
}

/// The verifier of `docs/FORMAT.md` §7: storage-agnostic and streaming. Feed it chunks of entries in
/// `seq` order with ``consume(_:)``, then call ``finish()``. Memory is bounded by the chunk size
/// plus one small record per stream and per key, whatever the length of the log. Decoding,
/// canonicalization, hashing and signature checks of a chunk run on all cores; the order-bound
/// checks (seq, key registry, streams, chain) run in one cheap sequential pass.
public struct Verifier: Sendable {
    /// At most this many failures are kept in the report (all are counted).
    public static let maxRecordedFailures = 1000

    public let options: VerifyOptions
    /// Called for each entry that passed every check, in `seq` order.
    public var onVerified: (@Sendable (VerifiedEvent) -> Void)?

    private var report = VerificationReport()
    private var registry = KeyRegistry()
    /// Every public key ever listed (first listing wins), for the parallel signature pass.
    private var directory: [String: Ed25519.PublicKey] = [:]
    private var streams: [String: (seq: Int64, hash: Digest32)] = [:]
    private var expectedSeq: Int64 = 1
    private var previousChain: Digest32 = .zero
    private var ledger: String?
    private var fatal = false
    private var chainUnknown = false
    /// The RFC 6962 tree of the entries read so far (leaf i: the computed eventHash of the
    /// entry read at position i + 1); nil once an entry's hash could not be computed.
    private var tree: MerkleAccumulator? = MerkleAccumulator()
    /// Tree sizes whose root to keep in the report (``VerificationReport/treeRoots``).
    private var wantedRoots: Set<Int64> = []
    /// Where a stream stood before the resume point, for a verifier resumed from a checkpoint.
    private var priorPosition: (@Sendable (_ stream: String) throws -> (seq: Int64, hash: Digest32)?)?

    public init(options: VerifyOptions = VerifyOptions()) {
        self.options = options
    }

    /// A verifier that goes on after a trusted position instead of starting at the genesis
    /// (docs/FORMAT.md §12.5): `point` is the state the entries up to `point.seq` leave, taken
    /// from a checkpoint and the entries it anchors; `priorPosition(stream)` says where a stream
    /// stood at `point.seq` (its last `streamSeq` and `eventHash`, nil for a stream with no
    /// entry then), asked once per stream the entries after it touch. A throw from it is a
    /// `checkpoint-mismatch` at the entry that needed it.
    public init(
        options: VerifyOptions, resumingAt point: ResumePoint,
        priorPosition: @escaping @Sendable (_ stream: String) throws -> (seq: Int64, hash: Digest32)?
    ) {
        self.options = options
        expectedSeq = point.seq + 1
        previousChain = point.chainHash
        ledger = point.ledger
        registry = point.keys
        for (id, k) in point.keys.records { directory[id] = k.publicKey }
        tree = point.tree
        streams = point.knownStreams
        self.priorPosition = priorPosition
        report.ledger = point.ledger
        report.rootKeys = point.rootKeys
        report.rootPinned = point.rootPinned
        report.lastSeq = point.seq
        report.lastChainHash = point.chainHash
        report.resumedAt = point.seq
    }

    /// Keeps the tree root at each of `sizes` in the report, as the entries reach them.
    public mutating func keepRoots(at sizes: Set<Int64>) {
        wantedRoots.formUnion(sizes)
        if let tree, wantedRoots.contains(Int64(tree.size)) { report.treeRoots[Int64(tree.size)] = tree.root }
    }

    /// The tree of the entries read so far (nil when an entry's hash could not be computed).
    public var treeState: MerkleAccumulator? { tree }

    /// Where `stream` stands after the entries read so far (its last `streamSeq` and
    /// `eventHash`), nil when no entry read was in it.
    public func position(of stream: String) -> (seq: Int64, hash: Digest32)? { streams[stream] }

    /// True once no further entry can change the outcome: the first failure without `--all`,
    /// or a failure (missing genesis) after which nothing can be checked.
    public var isFinished: Bool { fatal || (!options.reportAll && report.failureCount > 0) }

    /// True when the genesis is missing or invalid: nothing after it can be checked.
    public var isFatal: Bool { fatal }

    /// The report so far; call after the last chunk.
    public func finish() -> VerificationReport {
        var r = report
        r.keys = registry.records
        return r
    }

    /// Adds a failure at the end of the input (e.g. a bundle shorter than its header says).
    public mutating func recordFailure(_ f: VerificationFailure) { record(f) }

    /// The `seq` expected next.
    public var nextSeq: Int64 { expectedSeq }

    /// Verifies a chunk of consecutive entries.
    public mutating func consume(_ chunk: [RawEntry]) {
        guard !chunk.isEmpty, !isFinished else { return }
        var decoded = Self.decodeAll(chunk, directory: directory, parallelism: options.parallelism)
        // Keys listed inside this chunk, for the few entries the parallel pass could not check.
        for d in decoded {
            guard let body = d.body else { continue }
            if body.type == FormatV1.genesisType, let roots = try? parseGenesisRoots(body.data) {
                for r in roots where directory[r.keyID] == nil { directory[r.keyID] = r.publicKey }
            } else if body.type == FormatV1.keyEnrolledType,
                let k = try? KeyDescriptor(json: body.data, path: "data"), directory[k.keyID] == nil
            {
                directory[k.keyID] = k.publicKey
            }
        }
        for i in decoded.indices {
            if isFinished {
                report.stoppedEarly = true
                return
            }
            fold(&decoded[i])
        }
    }

    // MARK: - Parallel decoding

    enum SignatureStatus { case valid, invalid, deferred }

    struct Decoded {
        var seq: Int64 = 0
        var line: Int? = nil
        var body: EventBody? = nil
        var bodyBytes: [UInt8] = []
        var signature: [UInt8] = []
        var computedEventHash: Digest32 = .zero
        var recordedEventHash: Digest32? = nil
        var recordedChainHash: Digest32? = nil
        var problem: (FailureReason, String)? = nil
        var signatureStatus: SignatureStatus = .deferred
        /// `stream` and `streamSeq` read leniently from a body that failed the format rules, so
        /// that the stream's position still advances and its next event is not blamed.
        var looseStream: (stream: String, seq: Int64)? = nil
        var verifiedInOrder = false
        /// The stored columns of a database row, checked against the body; the first that
        /// differs (reported after the body's own checks, which say more).
        var columns: StoredColumns? = nil
        var columnProblem: String? = nil
        var recordedAt: String? = nil
    }

    /// A stored value in a failure message: at most 80 characters.
    static func clip(_ s: String) -> String { s.count > 80 ? String(s.prefix(80)) + "…" : "\"\(s)\"" }

    static func decodeAll(_ chunk: [RawEntry], directory: [String: Ed25519.PublicKey], parallelism: Int) -> [Decoded] {
        var out = [Decoded](repeating: Decoded(), count: chunk.count)
        let workers = min(parallelism, max(1, chunk.count / 64))
        out.withUnsafeMutableBufferPointer { buffer in
            let slots = DisjointSlots(base: buffer.baseAddress!)
            let n = chunk.count
            let work: @Sendable (Int) -> Void = { w in
                let lo = n * w / workers, hi = n * (w + 1) / workers
                for i in lo..<hi { slots.base[i] = decode(chunk[i], directory: directory) }
            }
            if workers == 1 {
                work(0)
            } else {
                DispatchQueue.concurrentPerform(iterations: workers, execute: work)
            }
        }
        return out
    }

    static func decode(_ raw: RawEntry, directory: [String: Ed25519.PublicKey]) -> Decoded {
        var d = Decoded()
        let bodyValue: JSONValue
        switch raw {
        case .stored(let row):
            d.seq = row.seq
            d.signature = row.signature
            d.recordedEventHash = Digest32(bytes: row.eventHash)
            d.recordedChainHash = Digest32(bytes: row.chainHash)
            d.bodyBytes = row.body
            d.columns = row.columns
            d.recordedAt = row.columns?.recordedAt
            do {
                bodyValue = try row.body.withUnsafeBytes { try JSONParser.parse($0, maxDepth: FormatV1.maxDepth) }
            } catch {
                d.problem = (.malformedBody, "stored body is not valid JSON: \(error)")
                d.computedEventHash = FormatV1.eventHash(bodyBytes: row.body, signature: row.signature)
                return d
            }
            if let canonical = try? JCS.canonicalize(bodyValue), canonical != row.body {
                d.problem = (.nonCanonicalBody, "stored body bytes are not the RFC 8785 canonical form of the body")
            }
        case .bundleLine(let line, let bytes):
            d.line = line
            let lineValue: JSONValue
            do {
                // The entry line wraps the body in one more level.
                lineValue = try bytes.withUnsafeBytes { try JSONParser.parse($0, maxDepth: FormatV1.maxDepth + 1) }
            } catch {
                d.problem = (.bundleMalformed, "line \(line) is not valid JSON: \(error)")
                return d
            }
            guard case .object(let o) = lineValue, let seq = o["seq"]?.int64Value,
                case .string(let sigText)? = o["sig"], case .string(let eh)? = o["eventHash"],
                case .string(let ch)? = o["chainHash"], let b = o["body"], o.members.count == 5
            else {
                d.problem = (
                    .bundleMalformed,
                    "line \(line) is not an entry {\"seq\",\"body\",\"sig\",\"eventHash\",\"chainHash\"}"
                )
                return d
            }
            guard seq >= 1, seq <= FormatV1.maxSafeInteger else {
                d.problem = (.bundleMalformed, "line \(line): seq \(seq) is outside 1...2^53-1")
                return d
            }
            d.seq = seq
            guard let sig = Base64.decode(sigText) else {
                d.problem = (.bundleMalformed, "line \(line): sig is not standard base64")
                return d
            }
            d.signature = sig
            d.recordedEventHash = Digest32(hex: eh)
            d.recordedChainHash = Digest32(hex: ch)
            guard d.recordedEventHash != nil, d.recordedChainHash != nil else {
                d.problem = (.bundleMalformed, "line \(line): eventHash and chainHash must be 64 lowercase hex digits")
                return d
            }
            bodyValue = b
            guard let canonical = try? JCS.canonicalize(b) else {
                d.problem = (.malformedBody, "body holds a number that cannot be canonicalized")
                return d
            }
            d.bodyBytes = canonical
        }
        d.computedEventHash = FormatV1.eventHash(bodyBytes: d.bodyBytes, signature: d.signature)
        if d.bodyBytes.count > FormatV1.maxBodyBytes, d.problem == nil {
            d.problem = (.malformedBody, "body is \(d.bodyBytes.count) bytes, over the limit of \(FormatV1.maxBodyBytes)")
        }
        do {
            d.body = try EventBody(json: bodyValue)
        } catch {
            if d.problem == nil { d.problem = (.malformedBody, error.description) }
            if case .string(let st)? = bodyValue["stream"], let sq = bodyValue["streamSeq"]?.int64Value {
                d.looseStream = (st, sq)
            }
            return d
        }
        if d.problem == nil, let columns = d.columns, let m = columns.mismatch(with: d.body!, bodyBytes: d.bodyBytes) {
            d.columnProblem = "column \(m.column) holds \(Self.clip(m.stored)) but the signed body says \(Self.clip(m.signed))"
        }
        if let pk = directory[d.body!.key] {
            d.signatureStatus = checkSignature(pk, d) ? .valid : .invalid
        }
        return d
    }

    static func checkSignature(_ pk: Ed25519.PublicKey, _ d: Decoded) -> Bool {
        let message = FormatV1.signingMessage(d.bodyBytes)
        return d.signature.withUnsafeBytes { s in message.withUnsafeBytes { m in pk.isValidSignature(s, for: m) } }
    }

    // MARK: - Sequential checks

    private mutating func record(_ f: VerificationFailure) {
        report.failureCount += 1
        if report.failures.count < Self.maxRecordedFailures { report.failures.append(f) }
    }

    private mutating func fold(_ d: inout Decoded) {
        let stream = d.body?.stream ?? d.looseStream?.stream
        if d.problem?.0 == .bundleMalformed { d.seq = expectedSeq }
        let seq = d.seq, line = d.line
        let fail = { (reason: FailureReason, detail: String) -> VerificationFailure in
            VerificationFailure(seq: seq, line: line, stream: stream, reason: reason, detail: detail)
        }
        report.entries += 1

        // 1. Position in the log.
        var chainKnown = !chainUnknown
        chainUnknown = false
        var failure: VerificationFailure? = nil
        if d.problem?.0 == .bundleMalformed {
            // Nothing of this line can be trusted, not even its seq: count it as the expected
            // entry, and do not judge the next entry's chainHash (its predecessor is unknown).
            tree = nil
            record(fail(.bundleMalformed, d.problem!.1))
            if expectedSeq == 1 { fatal = true }
            expectedSeq += 1
            chainUnknown = true
            report.lastSeq = d.seq
            return
        }
        if expectedSeq == 1 && d.seq != 1 {
            fatal = true
            record(fail(.genesisMissing, "the log starts at seq \(d.seq): seq 1, the genesis, is missing"))
            report.lastSeq = d.seq
            return
        }
        if d.seq != expectedSeq {
            if d.seq > expectedSeq {
                let missing = d.seq - expectedSeq
                failure = fail(
                    .seqGap, "expected seq \(expectedSeq), found \(d.seq): \(missing) entr\(missing == 1 ? "y is" : "ies are") missing")
            } else {
                failure = fail(.seqDuplicate, "expected seq \(expectedSeq), found \(d.seq) again (repeated or out of order)")
            }
            chainKnown = false
        }
        // seq is at most 2^53-1 in a bundle and a positive bigint in the database: no overflow.
        expectedSeq = d.seq &+ 1
        report.lastSeq = d.seq
        if tree != nil {
            tree!.append(Merkle.leafHash(d.computedEventHash))
            let size = Int64(tree!.size)
            if wantedRoots.contains(size) { report.treeRoots[size] = tree!.root }
        }

        // 2. Body, genesis, keys, signature, streams.
        if failure == nil { failure = checkEntry(&d, fail) }

        // 3. Recorded hashes and the chain.
        let chain = FormatV1.chainHash(seq: d.seq, previous: previousChain, eventHash: d.computedEventHash)
        if failure == nil, let rec = d.recordedEventHash, rec != d.computedEventHash {
            failure = fail(.wrongEventHash, "recorded eventHash \(rec.hex) but SHA-256(body || sig) is \(d.computedEventHash.hex)")
        }
        if failure == nil, chainKnown, let rec = d.recordedChainHash, rec != chain {
            failure = fail(.wrongChainHash, "recorded chainHash \(rec.hex) but the chain computes \(chain.hex)")
        }
        if failure == nil, let problem = d.columnProblem {
            failure = fail(.storedColumnMismatch, problem)
        }

        if let failure {
            record(failure)
            // Resynchronise so that one bad entry is reported once, not as a cascade through
            // the entries after it. The value the next entry was built on is the original one:
            // - chain: the recorded chainHash, unless that very value is what failed;
            // - stream: the computed eventHash when the signature held (the body is authentic,
            //   only the recorded hash was edited), else the recorded one.
            previousChain = failure.reason == .wrongChainHash ? chain : (d.recordedChainHash ?? chain)
            let authentic = d.verifiedInOrder
            let hash = authentic ? d.computedEventHash : (d.recordedEventHash ?? d.computedEventHash)
            if let body = d.body {
                streams[body.stream] = (body.streamSeq, hash)
            } else if let loose = d.looseStream {
                streams[loose.stream] = (loose.seq, hash)
            }
        } else {
            previousChain = chainKnown ? chain : (d.recordedChainHash ?? chain)
            if let body = d.body {
                streams[body.stream] = (body.streamSeq, d.computedEventHash)
                onVerified?(
                    VerifiedEvent(
                        seq: d.seq, body: body, eventHash: d.computedEventHash, chainHash: previousChain,
                        recordedAt: d.recordedAt))
            }
        }
        report.lastChainHash = previousChain
    }

    /// Everything about one entry that needs the log before it; returns the first failure.
    private mutating func checkEntry(
        _ d: inout Decoded, _ fail: (FailureReason, String) -> VerificationFailure
    ) -> VerificationFailure? {
        if d.seq == 1 { return checkGenesis(&d, fail) }
        if let (reason, detail) = d.problem { return fail(reason, detail) }
        guard let body = d.body else { return fail(.malformedBody, "body could not be read") }
        if let ledger, body.ledger != ledger {
            return fail(.ledgerMismatch, "body names ledger \"\(body.ledger)\" but this is ledger \"\(ledger)\"")
        }
        // Reserved streams and types.
        let isKeyType = body.type == FormatV1.keyEnrolledType || body.type == FormatV1.keyRevokedType
        if body.type == FormatV1.genesisType || body.stream == FormatV1.ledgerStream {
            return fail(.reservedStream, "only seq 1 may be ledger.genesis, and only it may be in stream \"ledger\"")
        }
        if isKeyType != (body.stream == FormatV1.keysStream) {
            return fail(.reservedStream, "stream \"keys\" holds exactly the key.enrolled and key.revoked events")
        }
        // The signing key at this position.
        switch registry.refusal(keyID: body.key, actor: body.actor, at: d.seq) {
        case .unknownKey?:
            return fail(.unknownKey, "key \(body.key) was not enrolled before seq \(d.seq)")
        case .revoked(let at)?:
            return fail(.keyRevoked, "key \(body.key) was revoked at seq \(at)")
        case .actorMismatch(let enrolled)?:
            return fail(.actorKeyMismatch, "actor \"\(body.actor)\" signed with key \(body.key), which is enrolled for \"\(enrolled)\"")
        case nil:
            break
        }
        let record = registry.record(for: body.key)!
        if d.signatureStatus == .deferred || directory[body.key] != record.publicKey {
            let ok = Self.checkSignature(record.publicKey, d)
            d.signatureStatus = ok ? .valid : .invalid
        }
        d.verifiedInOrder = d.signatureStatus == .valid
        if d.signatureStatus == .invalid {
            return fail(.badSignature, "signature does not verify under key \(body.key) (\(record.actor))")
        }
        // Stream position (before a resume point: where the stream stood then).
        if streams[body.stream] == nil, let priorPosition {
            do {
                if let p = try priorPosition(body.stream) { streams[body.stream] = p }
            } catch {
                return fail(.checkpointMismatch, "the stream's entry before the checkpoint does not check out: \(error)")
            }
        }
        let prev = streams[body.stream]
        let expected = (prev?.seq ?? 0) + 1
        if body.streamSeq != expected {
            return fail(.wrongStreamSeq, "streamSeq is \(body.streamSeq) but the stream's next position is \(expected)")
        }
        let expectedPrev = prev?.hash ?? .zero
        if body.streamPrev != expectedPrev {
            return fail(.wrongStreamPrev, "streamPrev \(body.streamPrev.hex) is not the eventHash of the stream's previous event (\(expectedPrev.hex))")
        }
        // Key events change the registry.
        if isKeyType {
            guard record.roles.contains(.admin) else {
                return fail(.unauthorized, "\(body.type) must be signed by a key with role admin; \(body.key) holds \(record.roles.map(\.rawValue).sorted())")
            }
            do {
                if body.type == FormatV1.keyEnrolledType {
                    let k = try KeyDescriptor(json: body.data, path: "data")
                    try registry.enroll(k, at: d.seq)
                } else {
                    let (k, _) = try parseRevocation(body.data)
                    try registry.revoke(k, at: d.seq)
                }
            } catch let e as BodyError {
                return fail(.invalidKeyEvent, e.description)
            } catch {
                return fail(.invalidKeyEvent, "\(error)")
            }
        }
        return nil
    }

    private mutating func checkGenesis(
        _ d: inout Decoded, _ fail: (FailureReason, String) -> VerificationFailure
    ) -> VerificationFailure? {
        fatal = true  // unless everything below holds, nothing after it can be checked
        if let (reason, detail) = d.problem { return fail(.genesisMissing, "\(reason.rawValue): \(detail)") }
        guard let body = d.body else { return fail(.genesisMissing, "seq 1 could not be read") }
        guard body.type == FormatV1.genesisType, body.stream == FormatV1.ledgerStream, body.streamSeq == 1 else {
            return fail(.genesisMissing, "seq 1 is \(body.type) in stream \"\(body.stream)\", not ledger.genesis in stream \"ledger\"")
        }
        let roots: [KeyDescriptor]
        do { roots = try parseGenesisRoots(body.data) } catch { return fail(.genesisMissing, error.description) }
        guard let signer = roots.first(where: { $0.keyID == body.key }) else {
            return fail(.genesisMissing, "the genesis is signed by \(body.key), which is not one of its rootKeys")
        }
        guard signer.actor == body.actor else {
            return fail(.genesisMissing, "the genesis actor \"\(body.actor)\" is not the root key's actor \"\(signer.actor)\"")
        }
        if let expected = options.expectedLedger, expected != body.ledger {
            return fail(.ledgerMismatch, "the source says ledger \"\(expected)\" but the genesis says \"\(body.ledger)\"")
        }
        let ok = Self.checkSignature(signer.publicKey, d)
        d.signatureStatus = ok ? .valid : .invalid
        d.verifiedInOrder = d.signatureStatus == .valid
        guard d.signatureStatus == .valid else {
            return fail(.genesisMissing, "the genesis signature does not verify under its root key \(signer.keyID)")
        }
        if let pin = options.trustRoot {
            guard pin == signer.publicKey else {
                return fail(
                    .genesisRootMismatch,
                    "the genesis is signed by \(signer.keyID), not by the pinned root \(pin.keyID)")
            }
            report.rootPinned = true
        }
        fatal = false
        ledger = body.ledger
        report.ledger = body.ledger
        report.rootKeys = roots.map(\.keyID)
        registry.addRoots(roots)
        for r in roots where directory[r.keyID] == nil { directory[r.keyID] = r.publicKey }
        return nil
    }
}

/// Facts about the machine.
public enum System {
    /// Cores available to this process.
    public static var activeProcessorCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
}

/// A buffer whose slots are written by several workers, each writing only its own disjoint range.
// @unchecked Sendable: every worker of `decodeAll` writes a distinct index range, the buffer
// outlives `concurrentPerform` (which returns only when all workers are done), and nothing reads
// the slots until then.
private struct DisjointSlots<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
}
