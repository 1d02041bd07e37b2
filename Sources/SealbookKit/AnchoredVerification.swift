public import SealbookCore
internal import SealbookPostgres

/// A verification of the database log, from seq 1 or resumed at a trusted checkpoint
/// (docs/FORMAT.md §12.5), with the tree it computed over the entries it read.
public struct AnchoredRun: Sendable {
    public let report: VerificationReport
    /// The checkpoint it resumed from, nil when it started at seq 1.
    public let since: TrustedCheckpoint?
    /// The size of the tree computed (the last `seq` read) and its root, computed from the
    /// verified entries (and the checkpoint's tree, when resumed), not read from the database.
    public let size: Int64
    public let root: Digest32
    /// The `keys` stream's position at ``size``.
    public let keysHead: (seq: Int64, hash: Digest32)
}

/// The store, for the verifier's questions about entries before a checkpoint.
// @unchecked Sendable: the verifier asks on the thread that feeds it (the one running
// `LedgerStore.verify(continuing:)`), while the store's connection is otherwise idle; the
// prefetching reader has a connection of its own.
final class StoreAccess: @unchecked Sendable {
    let store: LedgerStore
    init(_ store: LedgerStore) { self.store = store }
}

extension Ledger {
    /// Verifies the log: from seq 1 when `anchor` is nil, else only the entries after the trusted
    /// checkpoint `anchor` (docs/FORMAT.md §12.5). Resumed, it first checks that the log extends
    /// the checkpoint — the log still holds `anchor.size` entries, the tree of the first
    /// `anchor.size` entries has the checkpoint's root, the chain hash and the `keys` stream the
    /// checkpoint binds are the log's — then takes the keys as of the checkpoint from the
    /// `keys` stream (each entry proven in the checkpoint's tree), then verifies every entry
    /// after it as a full verification would, asking for each stream's position before the
    /// checkpoint (again proven in its tree). O(new entries + log N).
    public func verify(
        since anchor: TrustedCheckpoint?, reportAll: Bool = false, onVerified: (@Sendable (VerifiedEvent) -> Void)? = nil,
        progress: (Int64, Int64) -> Void = { _, _ in }
    ) throws -> AnchoredRun {
        var verifier: Verifier
        switch try self.verifier(since: anchor, reportAll: reportAll) {
        case .failed(let report):
            return AnchoredRun(report: report, since: anchor, size: report.lastSeq, root: .zero, keysHead: (0, .zero))
        case .resumed(let v):
            verifier = v
        }
        verifier.onVerified = onVerified
        // The root at the latest stored checkpoint's size, to find it verified afterwards.
        if let latest = try store.latestCheckpoint() { verifier.keepRoots(at: [latest.size]) }
        let report = try store.verify(continuing: &verifier, progress: progress)
        let tree = verifier.treeState ?? MerkleAccumulator()
        return AnchoredRun(
            report: report, since: anchor, size: Int64(tree.size), root: tree.root,
            keysHead: verifier.position(of: FormatV1.keysStream) ?? (0, .zero))
    }

    enum Resume {
        case resumed(ResumePoint)
        case failed(VerificationReport)
    }

    /// What ``verifier(since:reportAll:)`` gives: a verifier ready to read the entries after the
    /// checkpoint (or from seq 1), or the report of why the log does not extend it.
    public enum Start {
        case resumed(Verifier)
        case failed(VerificationReport)
    }

    /// A verifier for this ledger that starts after the trusted checkpoint `anchor` (checked as
    /// ``verify(since:reportAll:onVerified:progress:)`` says), or at seq 1 when it is nil.
    public func verifier(since anchor: TrustedCheckpoint?, reportAll: Bool = false) throws -> Start {
        let options = VerifyOptions(trustRoot: trustRoot, reportAll: reportAll)
        guard let anchor else { return .resumed(Verifier(options: options)) }
        switch try resumePoint(anchor, options: options) {
        case .failed(let report):
            return .failed(report)
        case .resumed(let point):
            let access = StoreAccess(store)
            let known = try priorPositions(after: anchor)
            return .resumed(
                Verifier(options: options, resumingAt: point) { stream in
                    if let p = known[stream] { return p }
                    return try Self.priorPosition(of: stream, in: access.store, anchor: anchor)
                })
        }
    }

    /// The state at `anchor`, checked against the log; or the report of why the log does not
    /// extend it.
    private func resumePoint(_ anchor: TrustedCheckpoint, options: VerifyOptions) throws -> Resume {
        let m = anchor.size
        func failed(_ seq: Int64, _ detail: String, stream: String? = nil) -> Resume {
            var v = Verifier(options: options)
            v.recordFailure(VerificationFailure(seq: seq, line: nil, stream: stream, reason: .checkpointMismatch, detail: detail))
            var r = v.finish()
            r.resumedAt = m
            return .failed(r)
        }
        let origin = try store.origin()
        guard anchor.origin == origin else { throw CheckpointError.origin(expected: origin, got: anchor.origin) }
        let state = try store.storedState()
        guard state.maxSeq >= m else {
            return failed(
                state.maxSeq + 1,
                "the checkpoint covers seq 1...\(m) but the log holds \(state.maxSeq) entries: its tail is gone")
        }
        // The tree of the first m entries, from the stored nodes, must have the checkpoint's root.
        let plan = try Merkle.rootPlan(size: UInt64(m))
        let nodes = try StoreNodes(store: store).merkleNodes(plan.nodeIDs)
        let frontier = try plan.elements[0].map { id throws(MerkleError) -> Digest32 in
            guard let h = nodes[id] else { throw .missingNode(id) }
            return h
        }
        let tree = try MerkleAccumulator(size: UInt64(m), frontier: frontier)
        guard tree.root == anchor.root else {
            return failed(
                m, "the log's tree of seq 1...\(m) has root \(tree.root.hex), the checkpoint says \(anchor.root.hex): entries up to \(m) were changed")
        }
        guard let storedChain = try store.chainHash(at: m) else { return failed(m, "the log has no entry at seq \(m)") }
        if let bound = LedgerCheckpoint.chainHash(anchor.checkpoint), bound != storedChain {
            return failed(m, "the chain hash stored at seq \(m) is \(storedChain.hex), the checkpoint binds \(bound.hex)")
        }
        // The keys as of m: the genesis and the keys stream, each entry proven in the tree.
        let genesisRows = try store.rows(inStream: FormatV1.ledgerStream, upTo: m)
        let keyRows = try store.rows(inStream: FormatV1.keysStream, upTo: m)
        guard let genesisRow = genesisRows.first, genesisRow.seq == 1 else { return failed(1, "the genesis is missing") }
        let entries: [(row: StoredRow, body: EventBody, hash: Digest32)]
        do { entries = try Self.anchoredEntries([genesisRow] + keyRows, size: m, root: anchor.root, store: store) } catch {
            return failed(error.seq, error.detail, stream: error.stream)
        }
        if let bound = LedgerCheckpoint.keysPosition(anchor.checkpoint) {
            let last = entries.last { $0.body.stream == FormatV1.keysStream }
            let head = last.map { ($0.body.streamSeq, $0.hash) } ?? (0, Digest32.zero)
            guard head.0 == bound.seq && head.1 == bound.hash else {
                return failed(
                    m, "the keys stream stands at streamSeq \(head.0) before seq \(m), the checkpoint binds \(bound.seq)",
                    stream: FormatV1.keysStream)
            }
        }
        // Fold them as the verifier would.
        let genesis = entries[0]
        let roots: [KeyDescriptor]
        do { roots = try parseGenesisRoots(genesis.body.data) } catch { return failed(1, "the genesis: \(error)") }
        guard let signer = roots.first(where: { $0.keyID == genesis.body.key }), signer.actor == genesis.body.actor,
            signer.publicKey.isValidSignature(genesis.row.signature, for: FormatV1.signingMessage(genesis.row.body))
        else { return failed(1, "the genesis is not signed by one of its root keys") }
        var pinned = false
        if let pin = options.trustRoot {
            guard pin == signer.publicKey else {
                var v = Verifier(options: options)
                v.recordFailure(
                    VerificationFailure(
                        seq: 1, line: nil, stream: FormatV1.ledgerStream, reason: .genesisRootMismatch,
                        detail: "the genesis is signed by \(signer.keyID), not by the pinned root \(pin.keyID)"))
                return .failed(v.finish())
            }
            pinned = true
        }
        var registry = KeyRegistry()
        registry.addRoots(roots)
        var position: (seq: Int64, hash: Digest32) = (0, .zero)
        for e in entries.dropFirst() {
            let b = e.body
            guard b.streamSeq == position.seq + 1, b.streamPrev == position.hash else {
                return failed(e.row.seq, "the keys stream is not linked at streamSeq \(b.streamSeq)", stream: b.stream)
            }
            position = (b.streamSeq, e.hash)
            guard registry.refusal(keyID: b.key, actor: b.actor, at: e.row.seq) == nil, let k = registry.record(for: b.key),
                k.roles.contains(.admin), k.publicKey.isValidSignature(e.row.signature, for: FormatV1.signingMessage(e.row.body))
            else { return failed(e.row.seq, "the key event is not signed by a valid admin key", stream: b.stream) }
            do {
                if b.type == FormatV1.keyEnrolledType {
                    try registry.enroll(try KeyDescriptor(json: b.data, path: "data"), at: e.row.seq)
                } else {
                    try registry.revoke(try parseRevocation(b.data).keyID, at: e.row.seq)
                }
            } catch { return failed(e.row.seq, "the key event cannot apply: \(error)", stream: b.stream) }
        }
        var known: [String: (seq: Int64, hash: Digest32)] = [FormatV1.ledgerStream: (1, genesis.hash)]
        if position.seq > 0 { known[FormatV1.keysStream] = position }
        return .resumed(
            ResumePoint(
                seq: m, chainHash: LedgerCheckpoint.chainHash(anchor.checkpoint) ?? storedChain, ledger: genesis.body.ledger,
                keys: registry, rootKeys: roots.map(\.keyID), rootPinned: pinned, tree: tree, knownStreams: known))
    }

    /// Where each stream with entries after the checkpoint stood at it, read and proven for all
    /// of them at once (two round trips, however many streams): a resumed verification would
    /// otherwise ask ``priorPosition(of:in:anchor:)`` once per stream it meets. A stream
    /// missing here (appended to since, or a batch that does not check out) is asked for
    /// alone, which names what is wrong.
    private func priorPositions(after anchor: TrustedCheckpoint) throws -> [String: (seq: Int64, hash: Digest32)?] {
        let rows = try store.lastRows(ofStreamsAfter: anchor.size)
        var out: [String: (seq: Int64, hash: Digest32)?] = [:]
        var found: [StoredRow] = []
        for (stream, row) in rows {
            if let row { found.append(row) } else { out[stream] = .some(nil) }
        }
        guard let entries = try? Self.anchoredEntries(found, size: anchor.size, root: anchor.root, store: store) else { return [:] }
        for (e, stream) in zip(entries, found.map { $0.columns?.stream }) {
            guard e.body.stream == stream else { return [:] }
            out[e.body.stream] = (e.body.streamSeq, e.hash)
        }
        return out
    }

    /// Where `stream` stood at the checkpoint: its last entry up to the checkpoint's size,
    /// proven in the checkpoint's tree.
    static func priorPosition(of stream: String, in store: LedgerStore, anchor: TrustedCheckpoint) throws -> (
        seq: Int64, hash: Digest32
    )? {
        guard let row = try store.lastRow(inStream: stream, upTo: anchor.size) else { return nil }
        let e = try anchoredEntries([row], size: anchor.size, root: anchor.root, store: store)[0]
        guard e.body.stream == stream else {
            throw AnchorFailure(seq: row.seq, stream: stream, detail: "the entry read for stream \(stream) is in stream \(e.body.stream)")
        }
        return (e.body.streamSeq, e.hash)
    }

    /// Rows of the log before a checkpoint, each checked: the body decodes and is canonical,
    /// the stored columns say what it says, the recorded event hash is the computed one, and
    /// the entry is in the checkpoint's tree at its `seq` (one round trip for all the proofs).
    static func anchoredEntries(_ rows: [StoredRow], size: Int64, root: Digest32, store: LedgerStore) throws(AnchorFailure)
        -> [(row: StoredRow, body: EventBody, hash: Digest32)]
    {
        var out: [(row: StoredRow, body: EventBody, hash: Digest32)] = []
        var plans: [Merkle.Plan] = []
        for row in rows {
            let value: JSONValue
            do { value = try JSONParser.parse(row.body, maxDepth: FormatV1.maxDepth) } catch {
                throw AnchorFailure(seq: row.seq, stream: row.columns?.stream, detail: "the stored body is not valid JSON")
            }
            guard let body = try? EventBody(json: value), (try? JCS.canonicalize(value)) == row.body else {
                throw AnchorFailure(seq: row.seq, stream: row.columns?.stream, detail: "the stored body is not a canonical event body")
            }
            if let m = row.columns?.mismatch(with: body, bodyBytes: row.body) {
                throw AnchorFailure(seq: row.seq, stream: body.stream, detail: "column \(m.column) differs from the signed body")
            }
            let hash = FormatV1.eventHash(bodyBytes: row.body, signature: row.signature)
            guard Digest32(bytes: row.eventHash) == hash else {
                throw AnchorFailure(seq: row.seq, stream: body.stream, detail: "the recorded eventHash is not SHA-256(body || sig)")
            }
            do { plans.append(try Merkle.inclusionPlan(leafIndex: UInt64(row.seq - 1), size: UInt64(size))) } catch {
                throw AnchorFailure(seq: row.seq, stream: body.stream, detail: "\(error)")
            }
            out.append((row, body, hash))
        }
        let nodes: [Merkle.NodeID: Digest32]
        do { nodes = try StoreNodes(store: store).merkleNodes(Array(Set(plans.flatMap(\.nodeIDs)))) } catch {
            throw AnchorFailure(seq: size, stream: nil, detail: "the stored tree cannot be read: \(error)")
        }
        for (e, plan) in zip(out, plans) {
            do {
                try Merkle.verifyInclusion(
                    leafHash: Merkle.leafHash(e.hash), index: UInt64(e.row.seq - 1), size: UInt64(size),
                    proof: try plan.hashes(from: nodes), root: root)
            } catch {
                throw AnchorFailure(
                    seq: e.row.seq, stream: e.body.stream, detail: "the entry is not in the checkpoint's tree at seq \(e.row.seq)")
            }
        }
        return out
    }
}

/// An entry before a checkpoint that does not check out.
struct AnchorFailure: Error, CustomStringConvertible {
    let seq: Int64
    let stream: String?
    let detail: String
    var description: String { "seq \(seq): \(detail)" }
}

extension Ledger {
    /// Verifies the whole log from seq 1 and checks it against the trusted checkpoint `cp`: the
    /// log is this ledger's (its origin), holds at least `cp.size` entries, and the tree of its
    /// first `cp.size` entries, computed from the entries as read, has the checkpoint's root.
    /// A failure of either is a `checkpoint-mismatch` at the size where it breaks.
    public func verify(
        against cp: TrustedCheckpoint, reportAll: Bool = false, onVerified: (@Sendable (VerifiedEvent) -> Void)? = nil,
        progress: (Int64, Int64) -> Void = { _, _ in }
    ) throws -> AnchoredRun {
        let origin = try store.origin()
        guard cp.origin == origin else { throw CheckpointError.origin(expected: origin, got: cp.origin) }
        var verifier = Verifier(options: VerifyOptions(trustRoot: trustRoot, reportAll: reportAll))
        verifier.onVerified = onVerified
        verifier.keepRoots(at: [cp.size])
        if let latest = try store.latestCheckpoint() { verifier.keepRoots(at: [latest.size]) }
        var report = try store.verify(continuing: &verifier, progress: progress)
        report = Self.judge(report, against: cp)
        let tree = verifier.treeState ?? MerkleAccumulator()
        return AnchoredRun(
            report: report, since: nil, size: Int64(tree.size), root: tree.root,
            keysHead: verifier.position(of: FormatV1.keysStream) ?? (0, .zero))
    }

    /// `report` with a `checkpoint-mismatch` added when the entries it read do not reach `cp`'s
    /// size or their tree at that size has another root.
    public static func judge(_ report: VerificationReport, against cp: TrustedCheckpoint) -> VerificationReport {
        var r = report
        func add(_ seq: Int64, _ detail: String) {
            r.failureCount += 1
            r.failures.append(VerificationFailure(seq: seq, line: nil, stream: nil, reason: .checkpointMismatch, detail: detail))
        }
        if r.lastSeq < cp.size && !r.stoppedEarly {
            add(r.lastSeq + 1, "the checkpoint covers seq 1...\(cp.size) but the log holds \(r.lastSeq) entries: its tail is gone")
        } else if let root = r.treeRoots[cp.size], root != cp.root {
            add(cp.size, "the tree of seq 1...\(cp.size) has root \(root.hex), the checkpoint says \(cp.root.hex)")
        } else if r.treeRoots[cp.size] == nil && r.isValid {
            add(cp.size, "the tree at size \(cp.size) could not be computed from the entries read")
        }
        return r
    }

    /// The latest checkpoint stored in the database that checks out against `run`: signed by a
    /// key that held role `log` in the verified log, for this ledger's origin, and with the root
    /// of the verified entries at its size (`run` must have kept that root, or be at that
    /// size). Nil when there is none.
    public func latestVerifiedCheckpoint(after run: AnchoredRun) throws -> (checkpoint: TrustedCheckpoint, logKey: NoteVerifier)? {
        guard run.report.isValid, let stored = try store.latestCheckpoint(), stored.size <= run.size else { return nil }
        let origin = try store.origin()
        let logKeys = run.report.keys.values.filter { $0.roles.contains(.log) && $0.enrolledAt < stored.size }
        for k in logKeys {
            guard let vkey = try? NoteVerifier(name: origin, publicKey: k.publicKey),
                let cp = try? TrustedCheckpoint(text: stored.note, logKey: vkey)
            else { continue }
            let root = stored.size == run.size ? run.root : run.report.treeRoots[stored.size]
            if root == cp.root { return (cp, vkey) }
        }
        return nil
    }
}

/// The checkpoints this machine verified, one per log origin, kept under `directory`
/// (`$SEALBOOK_HOME/checkpoints`): what `verify --since` with no file, and reports, replay and
/// `--follow` with `--since`, start from. Each is the signed note and the verifier key it was
/// checked with, written atomically, mode 0600.
public struct LocalCheckpoints: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    func path(for origin: String) -> String {
        directory + "/" + SHA256.hash(Array(origin.utf8)).hex.prefix(16) + ".checkpoint"
    }

    /// The checkpoint kept for `origin`, checked again under the key it was kept with.
    public func load(origin: String) throws -> TrustedCheckpoint? {
        let file = path(for: origin)
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        guard let split = text.range(of: "\n"), let vkey = try? NoteVerifier(vkey: String(text[..<split.lowerBound])) else {
            throw CheckpointError.unreadable("\(file) is not a checkpoint kept by sealbook verify; remove it")
        }
        let cp = try TrustedCheckpoint(text: String(text[split.upperBound...]), logKey: vkey)
        guard cp.origin == origin else { throw CheckpointError.origin(expected: origin, got: cp.origin) }
        return cp
    }

    /// Keeps `cp` for its origin unless a larger one is kept already.
    public func save(_ cp: TrustedCheckpoint, logKey: NoteVerifier) throws {
        if let kept = try? load(origin: cp.origin), kept.size >= cp.size { return }
        try FileOutput.writeAtomically(Array((logKey.vkey + "\n" + cp.note.serialized).utf8), to: path(for: cp.origin), mode: 0o600)
    }
}
