public import SealbookCore
internal import Foundation
#if canImport(Glibc)
    internal import Glibc
#endif

/// Why a witness refused to cosign (docs/FORMAT.md §12.4). Nothing was cosigned and its state is
/// unchanged. Each case is its own exit code in the CLI.
public enum WitnessError: Error, Sendable, CustomStringConvertible {
    /// The checkpoint's tree is smaller than the one this witness cosigned for the origin.
    case smallerTree(origin: String, held: Int64, heldRoot: Digest32, got: Int64, gotRoot: Digest32)
    /// The checkpoint has the size this witness cosigned, with another root: the log forked.
    case fork(origin: String, size: Int64, heldRoot: Digest32, gotRoot: Digest32)
    /// The consistency proof from the cosigned tree to the checkpoint's is missing from the
    /// database, is for other sizes or roots, or does not verify.
    case badProof(String)
    /// The state folder cannot be used: a state file that is corrupt, holds another origin's
    /// checkpoint or one this witness did not cosign, or cannot be read or written; or no state
    /// for the origin while `acceptFirst` was not given.
    case state(String)
    /// The checkpoint extends the cosigned tree and no consistency proof source was given.
    case proofNeeded(origin: String, from: Int64, to: Int64)

    public var description: String {
        switch self {
        case .smallerTree(let origin, let held, let heldRoot, let got, let gotRoot):
            "refused: the checkpoint of \(origin) has size \(got) (root \(b64(gotRoot))), smaller than the size \(held) (root \(b64(heldRoot))) this witness cosigned; a log never shrinks"
        case .fork(let origin, let size, let heldRoot, let gotRoot):
            "refused: fork of \(origin) at size \(size): this witness cosigned root \(b64(heldRoot)), the checkpoint has root \(b64(gotRoot))"
        case .badProof(let m), .state(let m): m
        case .proofNeeded(let origin, let from, let to):
            "the checkpoint of \(origin) extends the cosigned size \(from) to \(to): give a consistency proof with --proof FILE (sealbook prove consistency --from \(from) --to \(to) --json) or --database-url URL"
        }
    }
}

private func b64(_ d: Digest32) -> String { Base64.encode(d.bytes) }

/// Where the witness gets the consistency proof from the tree it cosigned to a larger one.
public enum ConsistencySource {
    /// None: only a first checkpoint, or the cosigned tree again, can be cosigned.
    case none
    /// A proof someone handed over (a file, a request); its sizes and roots must be the
    /// witness's and the checkpoint's.
    case proof(ConsistencyProof)
    /// Fetched from the log's database when needed (a read-only role such as
    /// `sealbook_auditor` suffices).
    case ledger(Ledger)
}

/// What the witness did.
public struct WitnessCosignature: Sendable {
    public enum Outcome: String, Sendable {
        /// The first checkpoint of its origin this witness cosigned (`acceptFirst`).
        case first
        /// A larger tree, consistent with the one cosigned before.
        case extended
        /// The tree cosigned before (same size and root) in a checkpoint with other extension
        /// lines: cosigned anew, and kept as the state.
        case sameTree = "same-tree"
        /// The very checkpoint cosigned before: its stored cosignature, the state unchanged.
        case unchanged
    }

    public let checkpoint: Checkpoint
    /// This witness's cosignature line (``NoteSignature/line``).
    public let cosignature: NoteSignature
    /// The submitted note with the cosignature added.
    public let note: SignedNote
    public let outcome: Outcome
    /// The size and root cosigned before, when there was one.
    public let previousSize: Int64?
    public let previousRoot: Digest32?

    public var origin: String { checkpoint.origin }
    public var size: Int64 { Int64(checkpoint.size) }
    public var root: Digest32 { checkpoint.rootHash }
    /// The cosignature's time (POSIX seconds).
    public var timestamp: UInt64 { cosignature.cosignatureTimestamp ?? 0 }
}

/// A transparency-log witness (c2sp.org/tlog-witness semantics; docs/FORMAT.md §12.4): cosigns a
/// log's checkpoint only when it is signed by the log's key and extends, by a verified RFC 6962
/// consistency proof, the last checkpoint of that origin it cosigned, which it keeps in its state
/// folder. The logic the CLI (`sealbook witness cosign`) and an HTTP `add-checkpoint` share.
public struct Witness: Sendable {
    public let key: WitnessKey
    public let state: WitnessState

    public init(key: WitnessKey, stateDirectory: String) {
        self.key = key
        self.state = WitnessState(directory: stateDirectory, witness: key.verifier)
    }

    /// Checks and cosigns the signed checkpoint `text`, in this order:
    ///
    /// 1. it is a checkpoint note (``CheckpointError/malformed(_:)``) signed by `logKey`
    ///    (``CheckpointError/signature(_:)``), whose origin is `logKey`'s name
    ///    (``CheckpointError/origin(expected:got:)``); a tree of size 0 has the empty root;
    /// 2. under the origin's lock, the state is read (``WitnessError/state(_:)``);
    /// 3. no state: cosigned only with `acceptFirst` (trust on first use, asked for explicitly);
    ///    a smaller size: ``WitnessError/smallerTree(origin:held:heldRoot:got:gotRoot:)``; the
    ///    same size: the same root (else ``WitnessError/fork(origin:size:heldRoot:gotRoot:)``),
    ///    and for the very same checkpoint the stored cosignature is returned and nothing is
    ///    written; a larger size: a consistency proof from `consistency`, for exactly the held
    ///    size and root and the checkpoint's, that verifies (``WitnessError/badProof(_:)``);
    /// 4. the cosignature is made at `timestamp` (default: now) and checked, and only then the
    ///    note with it becomes the state, atomically; then it is returned.
    public func cosign(
        checkpoint text: String, logKey: NoteVerifier, acceptFirst: Bool = false, consistency: ConsistencySource = .none,
        timestamp: UInt64? = nil
    ) throws -> WitnessCosignature {
        guard logKey.type == .ed25519 else {
            throw LedgerError.usage("the log key must be a log's Ed25519 note key (type 0x01), not a witness's cosignature key")
        }
        let cp = try TrustedCheckpoint(text: text, logKey: logKey)
        guard cp.origin == logKey.name else { throw CheckpointError.origin(expected: logKey.name, got: cp.origin) }
        if cp.size == 0 && cp.root != Merkle.emptyRoot {
            throw WitnessError.badProof("a checkpoint of size 0 must have the empty tree's root \(b64(Merkle.emptyRoot)), it has \(b64(cp.root))")
        }
        // No state and no acceptFirst: refused before the folder or a lock file is made.
        if !acceptFirst && !state.exists(origin: cp.origin) {
            throw WitnessError.state(state.noStateMessage(origin: cp.origin))
        }
        return try state.locked(origin: cp.origin) { () throws -> WitnessCosignature in
            try decideAndCosign(cp, acceptFirst: acceptFirst, consistency: consistency, timestamp: timestamp)
        }
    }

    private func decideAndCosign(
        _ cp: TrustedCheckpoint, acceptFirst: Bool, consistency: ConsistencySource, timestamp: UInt64?
    ) throws -> WitnessCosignature {
        let held = try state.load(origin: cp.origin)
        let outcome: WitnessCosignature.Outcome
        if let held {
            let (size, root) = (Int64(held.checkpoint.size), held.checkpoint.rootHash)
            if cp.size < size {
                throw WitnessError.smallerTree(origin: cp.origin, held: size, heldRoot: root, got: cp.size, gotRoot: cp.root)
            }
            if cp.size == size {
                guard cp.root == root else { throw WitnessError.fork(origin: cp.origin, size: size, heldRoot: root, gotRoot: cp.root) }
                if held.checkpoint == cp.checkpoint {
                    var note = cp.note
                    do { try note.add(held.cosignature) } catch { throw CheckpointError.malformed(error) }
                    return WitnessCosignature(
                        checkpoint: cp.checkpoint, cosignature: held.cosignature, note: note, outcome: .unchanged, previousSize: size,
                        previousRoot: root)
                }
                outcome = .sameTree
            } else {
                if size > 0 { try checkConsistency(from: size, root1: root, to: cp, source: consistency) }
                outcome = .extended
            }
        } else {
            guard acceptFirst else { throw WitnessError.state(state.noStateMessage(origin: cp.origin)) }
            outcome = .first
        }
        // Cosign, check the cosignature, then keep the note as the state: a crash before the
        // rename leaves the old state and no cosignature out; after it, a state this witness signed.
        let ts = timestamp ?? UInt64(max(1, time(nil)))
        guard ts > 0 else { throw LedgerError.usage("a cosignature's timestamp must not be zero") }
        var note = cp.note
        let signature: NoteSignature
        do {
            signature = try key.cosigner.cosignature(for: cp.checkpoint, timestamp: ts)
            try note.add(signature)
        } catch { throw CheckpointError.malformed(error) }
        guard key.verifier.isValidSignature(signature, text: note.text) else {
            throw WitnessError.state("the cosignature just made does not verify under the witness's own key; nothing was kept")
        }
        try state.save(note, origin: cp.origin)
        return WitnessCosignature(
            checkpoint: cp.checkpoint, cosignature: signature, note: note, outcome: outcome,
            previousSize: held.map { Int64($0.checkpoint.size) }, previousRoot: held?.checkpoint.rootHash)
    }

    /// The consistency proof from `(size1, root1)` to the checkpoint's tree, from `source`,
    /// verified with the witness's own roots.
    private func checkConsistency(from size1: Int64, root1: Digest32, to cp: TrustedCheckpoint, source: ConsistencySource) throws {
        let proof: ConsistencyProof
        switch source {
        case .none:
            throw WitnessError.proofNeeded(origin: cp.origin, from: size1, to: cp.size)
        case .proof(let p):
            proof = p
        case .ledger(let ledger):
            do { proof = try ledger.consistencyProof(from: size1, to: cp.size) } catch let e as LedgerError {
                guard case .usage = e else { throw e }
                let head = (try? ledger.store.head().seq).map(String.init) ?? "?"
                throw WitnessError.badProof(
                    "the database cannot prove size \(size1) to \(cp.size) of \(cp.origin): its log holds \(head) entries")
            } catch let e as MerkleError {
                throw WitnessError.badProof("the database's tree gives no valid consistency proof from size \(size1) to \(cp.size): \(e)")
            }
        }
        guard proof.size1 == size1, proof.size2 == cp.size else {
            throw WitnessError.badProof(
                "the consistency proof is from size \(proof.size1) to \(proof.size2); this witness needs one from its cosigned size \(size1) to the checkpoint's size \(cp.size)")
        }
        guard proof.root1 == root1 else {
            throw WitnessError.badProof(
                "the consistency proof starts from root \(b64(proof.root1)) at size \(size1), but this witness cosigned root \(b64(root1)) there")
        }
        guard proof.root2 == cp.root else {
            throw WitnessError.badProof(
                "the consistency proof ends at root \(b64(proof.root2)) at size \(cp.size), but the checkpoint has root \(b64(cp.root))")
        }
        do {
            try Merkle.verifyConsistency(size1: UInt64(size1), size2: UInt64(cp.size), proof: proof.proof, root1: root1, root2: cp.root)
        } catch {
            throw WitnessError.badProof(
                "the consistency proof from size \(size1) (root \(b64(root1))) to size \(cp.size) (root \(b64(cp.root))) does not verify: \(error)")
        }
    }
}

/// A witness's state folder (docs/FORMAT.md §12.4): per log origin, the last checkpoint note it
/// cosigned, with the log's signature and its own cosignature, in
/// `<directory>/<lowercase hex SHA-256 of the origin>.checkpoint` (mode 0600), replaced
/// atomically; and an empty `<…>.lock` file whose `flock` makes check-and-replace atomic between
/// processes.
public struct WitnessState: Sendable {
    public let directory: String
    /// The witness's cosignature key: a state file must hold a cosignature that verifies under it.
    public let witness: NoteVerifier

    public init(directory: String, witness: NoteVerifier) {
        self.directory = directory
        self.witness = witness
    }

    /// A checkpoint this witness cosigned.
    public struct Held: Sendable {
        public let note: SignedNote
        public let checkpoint: Checkpoint
        /// The witness's own cosignature in ``note``.
        public let cosignature: NoteSignature
    }

    /// The state file of `origin`.
    public func path(for origin: String) -> String {
        directory + "/" + SHA256.hash(Array(origin.utf8)).hex + ".checkpoint"
    }

    /// Whether anything is at the state path of `origin` (``load(origin:)`` judges what).
    func exists(origin: String) -> Bool {
        var st = stat()
        return lstat(path(for: origin), &st) == 0 || errno != ENOENT
    }

    func noStateMessage(origin: String) -> String {
        "this witness has cosigned no checkpoint of \(origin) (no \(path(for: origin))): if this is the first one, and you trust it, cosign it with --accept-first; if the witness cosigned before, its state folder is missing or wrong"
    }

    /// The checkpoint this witness last cosigned for `origin`, nil when none. Throws
    /// ``WitnessError/state(_:)`` for a file that is not a regular file, cannot be read, is not a
    /// signed checkpoint, is another origin's, or holds no valid cosignature by ``witness``.
    public func load(origin: String) throws(WitnessError) -> Held? {
        let file = path(for: origin)
        var st = stat()
        if lstat(file, &st) != 0 {
            let err = errno
            if err == ENOENT { return nil }
            throw .state("cannot read the witness state \(file): \(String(cString: strerror(err)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw .state("the witness state \(file) is not a regular file") }
        guard st.st_size <= SignedNote.maxBytes, let data = FileManager.default.contents(atPath: file) else {
            throw .state("cannot read the witness state \(file) (unreadable, or over \(SignedNote.maxBytes) bytes)")
        }
        let note: SignedNote
        let checkpoint: Checkpoint
        do {
            note = try SignedNote(parsing: [UInt8](data))
            checkpoint = try Checkpoint(text: note.text)
        } catch { throw .state("the witness state \(file) is corrupt (\(error)); nothing was cosigned") }
        guard checkpoint.origin == origin else {
            throw .state(
                "the witness state \(file) holds a checkpoint of \(String(reflecting: checkpoint.origin)), not of \(String(reflecting: origin)); nothing was cosigned")
        }
        guard let mine = note.signatures.first(where: { witness.isValidSignature($0, text: note.text) }) else {
            throw .state(
                "the witness state \(file) holds no valid cosignature by this witness (\(witness.vkey)): it was edited, or written by another witness; nothing was cosigned")
        }
        return Held(note: note, checkpoint: checkpoint, cosignature: mine)
    }

    /// Makes `note` the state of `origin`: written to a temporary file, flushed, renamed over the
    /// state file and the folder flushed (``FileOutput/writeAtomically(_:to:mode:replace:)``).
    func save(_ note: SignedNote, origin: String) throws(WitnessError) {
        do { try FileOutput.writeAtomically(Array(note.serialized.utf8), to: path(for: origin), mode: 0o600) } catch {
            throw .state("cannot write the witness state: \(error); nothing was cosigned")
        }
    }

    /// Runs `body` holding an exclusive `flock` on the origin's lock file (creating the folder,
    /// mode 0700, and the lock file when missing), so that two witness processes never both
    /// check the same state and then replace it.
    func locked<T>(origin: String, _ body: () throws -> T) throws -> T {
        var st = stat()
        if stat(directory, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else { throw WitnessError.state("the witness state folder \(directory) is not a folder") }
        } else {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch { throw WitnessError.state("cannot create the witness state folder \(directory): \(error.localizedDescription)") }
        }
        let lockPath = directory + "/" + SHA256.hash(Array(origin.utf8)).hex + ".lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw WitnessError.state("cannot open the witness lock \(lockPath): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw WitnessError.state("cannot lock the witness lock \(lockPath): \(String(cString: strerror(errno)))")
            }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
