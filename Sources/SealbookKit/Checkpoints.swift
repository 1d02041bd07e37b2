public import SealbookCore
internal import SealbookPostgres

/// Why a checkpoint, or a verification from one, was refused (docs/FORMAT.md §12). Each case is
/// its own exit code in the CLI.
public enum CheckpointError: Error, Sendable, CustomStringConvertible {
    /// The note or the checkpoint text is not well formed.
    case malformed(NoteError)
    /// No signature verifies under the log's verifier key, or one by a known key does not.
    case signature(NoteError)
    /// Fewer witnesses than the quorum cosigned it.
    case quorum(needed: Int, got: Int)
    /// The checkpoint is for another log.
    case origin(expected: String, got: String)
    /// The key cannot sign checkpoints: not enrolled with role `log`, or revoked.
    case notALogKey(String)
    /// A file that holds no checkpoint, or cannot be read.
    case unreadable(String)

    public var description: String {
        switch self {
        case .malformed(let e): "not a checkpoint: \(e)"
        case .signature(let e): "the checkpoint's signature does not check out under the log key: \(e)"
        case .quorum(let needed, let got): "the checkpoint has \(got) valid witness cosignature(s); the quorum is \(needed)"
        case .origin(let expected, let got): "the checkpoint is for log \"\(got)\", not this ledger's \"\(expected)\""
        case .notALogKey(let m), .unreadable(let m): m
        }
    }
}

/// How a ledger's checkpoints are named and what Sealbook adds to them (docs/FORMAT.md §12.2).
public enum LedgerCheckpoint {
    /// The extension line that binds the chain hash at the checkpoint's size.
    static let chainPrefix = "sealbook-chain "
    /// The extension line that binds the `keys` stream's position at the checkpoint's size.
    static let keysPrefix = "sealbook-keys "

    /// The ledger's origin: the genesis's `data.origin` when it names one, else
    /// `sealbook.ledger/<ledger id>/<hex of the first 8 bytes of the genesis eventHash>`.
    public static func origin(genesisBody body: EventBody, eventHash: Digest32) -> String {
        LedgerCheckpointRules.origin(genesisBody: body, eventHash: eventHash)
    }

    /// The checkpoint text for the tree of `size` entries.
    static func make(
        origin: String, size: Int64, root: Digest32, chainHash: Digest32, keys: (seq: Int64, hash: Digest32)
    ) throws(NoteError) -> Checkpoint {
        try Checkpoint(
            origin: origin, size: UInt64(size), rootHash: root,
            extensionLines: [chainPrefix + chainHash.hex, keysPrefix + "\(keys.seq) \(keys.hash.hex)"])
    }

    /// The chain hash a checkpoint binds, when it has Sealbook's extension line.
    static func chainHash(_ c: Checkpoint) -> Digest32? {
        c.extensionLines.lazy.compactMap { l in l.hasPrefix(chainPrefix) ? Digest32(hex: String(l.dropFirst(chainPrefix.count))) : nil }
            .first
    }

    /// The `keys` stream's position a checkpoint binds, when it has Sealbook's extension line.
    static func keysPosition(_ c: Checkpoint) -> (seq: Int64, hash: Digest32)? {
        for l in c.extensionLines where l.hasPrefix(keysPrefix) {
            let parts = l.dropFirst(keysPrefix.count).split(separator: " ")
            guard parts.count == 2, let n = Int64(parts[0]), n >= 0, let h = Digest32(hex: String(parts[1])) else { return nil }
            return (n, h)
        }
        return nil
    }
}

/// A checkpoint that checked out: signed by the log key (and cosigned by a quorum of the
/// witnesses the caller trusts).
public struct TrustedCheckpoint: Sendable {
    public let note: SignedNote
    public let checkpoint: Checkpoint
    /// The witnesses whose cosignatures verified.
    public let witnesses: [NoteVerifier]

    public var size: Int64 { Int64(checkpoint.size) }
    public var root: Digest32 { checkpoint.rootHash }
    public var origin: String { checkpoint.origin }

    /// Parses `text` and checks it: a signature by `logKey` that verifies, and cosignatures
    /// (cosignature/v1) by at least `quorum` of `witnesses`.
    public init(text: String, logKey: NoteVerifier, witnesses: [NoteVerifier] = [], quorum: Int = 0) throws(CheckpointError) {
        let note: SignedNote
        let checkpoint: Checkpoint
        do {
            note = try SignedNote(parsing: text)
            checkpoint = try Checkpoint(text: note.text)
        } catch { throw .malformed(error) }
        do { _ = try note.verify(using: [logKey]) } catch { throw .signature(error) }
        var cosigned: [NoteVerifier] = []
        if !witnesses.isEmpty {
            do { cosigned = try note.verify(using: witnesses) } catch {
                if case .noKnownSignature = error {} else { throw .signature(error) }
            }
        }
        guard cosigned.count >= quorum else { throw .quorum(needed: quorum, got: cosigned.count) }
        self.note = note
        self.checkpoint = checkpoint
        self.witnesses = cosigned
    }

    /// A checkpoint this process made and signed itself.
    init(signed note: SignedNote, checkpoint: Checkpoint) {
        self.note = note
        self.checkpoint = checkpoint
        self.witnesses = []
    }
}

/// What `sealbook checkpoint` did.
public struct CheckpointResult: Sendable {
    public let checkpoint: TrustedCheckpoint
    /// False when the same checkpoint was already stored.
    public let stored: Bool
    /// The verification the checkpoint rests on (from seq 1, or since the previous checkpoint).
    public let verification: VerificationReport
    /// The log key's verifier key (vkey).
    public let vkey: String
}

extension Ledger {
    /// Signs a checkpoint of the log as it is now with `key` (a key enrolled with role `log`)
    /// and stores it in the checkpoints table. The log is verified first — since the latest
    /// stored checkpoint signed by this same key when there is one (its root and the entries
    /// after it), else from seq 1 — and the root signed is the one computed from the verified
    /// entries, never read from the database. A log that does not verify is refused.
    public func signCheckpoint(key: KeyFile, progress: (Int64, Int64) -> Void = { _, _ in }) throws -> CheckpointResult {
        let origin = try store.origin()
        let signer: NoteSigner
        do { signer = try NoteSigner(name: origin, privateKey: key.privateKey) } catch { throw CheckpointError.malformed(error) }
        var previous: TrustedCheckpoint?
        if let latest = try store.latestCheckpoint() {
            previous = try? TrustedCheckpoint(text: latest.note, logKey: signer.verifier)
        }
        let run = try verify(since: previous, progress: progress)
        guard run.report.isValid else { throw LedgerError.unverified(run.report) }
        guard let k = run.report.keys[key.keyID], k.revokedAt == nil, k.roles.contains(.log) else {
            throw CheckpointError.notALogKey(
                "key \(key.keyID) (\(key.actor)) is not an enrolled, unrevoked key with role log: enrol one with sealbook keys enroll --role log")
        }
        let checkpoint: Checkpoint
        var note: SignedNote
        do {
            checkpoint = try LedgerCheckpoint.make(
                origin: origin, size: run.size, root: run.root, chainHash: run.report.lastChainHash, keys: run.keysHead)
            note = try SignedNote(text: checkpoint.text)
            try note.add(signer.signature(for: checkpoint.text))
        } catch { throw CheckpointError.malformed(error) }
        let stored = try store.addCheckpoint(note: note.serialized)
        return CheckpointResult(
            checkpoint: TrustedCheckpoint(signed: note, checkpoint: checkpoint), stored: !stored.duplicate,
            verification: run.report, vkey: signer.verifier.vkey)
    }
}
