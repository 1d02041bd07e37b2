/// Why an entry of a log or a bundle does not verify (`docs/FORMAT.md` §7).
/// The raw values are stable and appear in `--json` output.
public enum FailureReason: String, Sendable, CaseIterable, Codable {
    /// Stored body bytes are not the RFC 8785 canonical form of the body they encode.
    case nonCanonicalBody = "non-canonical-body"
    /// The body is not valid JSON or breaks a format-v1 rule (members, identifiers, integers, size).
    case malformedBody = "malformed-body"
    /// The body's `ledger` differs from the ledger's id.
    case ledgerMismatch = "ledger-mismatch"
    /// The signature does not verify under the signing key.
    case badSignature = "bad-signature"
    /// The body's `key` was not enrolled (nor a root key) at a smaller `seq`.
    case unknownKey = "unknown-key"
    /// The key was revoked at a smaller `seq`.
    case keyRevoked = "key-revoked"
    /// The body's `actor` differs from the actor the key was enrolled for.
    case actorKeyMismatch = "actor-key-mismatch"
    /// A `key.enrolled` / `key.revoked` event signed by a key without the `admin` role.
    case unauthorized = "unauthorized"
    /// A key event that cannot apply: a reused key id, revoking an unknown or revoked key.
    case invalidKeyEvent = "invalid-key-event"
    /// A reserved stream (`ledger`, `keys`) holding a type it may not, or such a type elsewhere.
    case reservedStream = "reserved-stream"
    /// `streamSeq` is not one more than the stream's previous event.
    case wrongStreamSeq = "wrong-stream-seq"
    /// `streamPrev` is not the `eventHash` of the stream's previous event.
    case wrongStreamPrev = "wrong-stream-prev"
    /// The recorded `eventHash` differs from SHA-256(bodyBytes || sig).
    case wrongEventHash = "wrong-event-hash"
    /// The recorded `chainHash` differs from the one computed over the log so far.
    case wrongChainHash = "wrong-chain-hash"
    /// A `seq` is missing: the entry's `seq` is greater than the previous one plus one.
    case seqGap = "seq-gap"
    /// A `seq` is repeated or goes backwards.
    case seqDuplicate = "seq-duplicate"
    /// `seq` 1 is absent or is not a well-formed `ledger.genesis` signed by one of its root keys.
    case genesisMissing = "genesis-missing"
    /// The genesis is not signed by the pinned root key.
    case genesisRootMismatch = "genesis-root-mismatch"
    /// A bundle line that is not a well-formed entry (an invalid header is a ``BundleError``).
    case bundleMalformed = "bundle-malformed"
    /// The bundle ends before the `to` its header promises, or holds more.
    case bundleTruncated = "bundle-truncated"
    /// A stored column derived from the body (`stream`, `stream_seq`, `type`, `actor`,
    /// `key_id`, `idem`, `claimed_time`, the `jsonb` copy) says something else than the body.
    case storedColumnMismatch = "stored-column-mismatch"
    /// The database's head row (`seq`, `chain_hash`) is not the last entry of the log.
    case headMismatch = "head-mismatch"
    /// The database's key table is not the keys that the genesis and key events imply.
    case keyTableMismatch = "key-table-mismatch"
    /// The log does not extend a trusted checkpoint: its root at the checkpoint's size differs,
    /// it holds fewer entries than the checkpoint covers, or an entry the checkpoint anchors
    /// does not check out (docs/FORMAT.md §12.5).
    case checkpointMismatch = "checkpoint-mismatch"
    /// An evidence package line that is not a well-formed entry, or an entry of a stream the
    /// package does not hold (docs/FORMAT.md §12.7).
    case evidenceMalformed = "evidence-malformed"
    /// An evidence package that ends before the `to` its header promises, holds more, or holds
    /// no event of its stream (docs/FORMAT.md §12.7).
    case evidenceTruncated = "evidence-truncated"
    /// An evidence package entry whose inclusion proof at `seq − 1` does not lead to the
    /// checkpoint's root (docs/FORMAT.md §12.7).
    case badInclusionProof = "bad-inclusion-proof"
}

/// One failing entry.
public struct VerificationFailure: Sendable, Equatable, CustomStringConvertible {
    /// The entry's `seq` (for a bundle line that cannot be read, the `seq` expected there).
    public let seq: Int64
    /// 1-based line number in a bundle; nil for the database.
    public let line: Int?
    /// The entry's stream, when the body could be read.
    public let stream: String?
    public let reason: FailureReason
    /// A sentence for people.
    public let detail: String

    public init(seq: Int64, line: Int?, stream: String?, reason: FailureReason, detail: String) {
        self.seq = seq
        self.line = line
        self.stream = stream
        self.reason = reason
        self.detail = detail
    }

    public var description: String {
        var s = "seq \(seq)"
        if let line { s += " (line \(line))" }
        if let stream { s += " [\(stream)]" }
        return s + ": \(reason.rawValue): \(detail)"
    }
}

/// The outcome of a verification run.
public struct VerificationReport: Sendable {
    /// Ledger id from the genesis, when it could be read.
    public var ledger: String?
    /// Entries read.
    public var entries: Int64 = 0
    /// Last `seq` read.
    public var lastSeq: Int64 = 0
    /// `chainHash` of the last entry, as computed (the head an auditor writes down).
    public var lastChainHash: Digest32 = .zero
    /// Root key ids listed in the genesis.
    public var rootKeys: [String] = []
    /// True when a trust root was given and matched the genesis signer.
    public var rootPinned = false
    /// Failures found (at most ``Verifier/maxRecordedFailures`` are kept).
    public var failures: [VerificationFailure] = []
    /// All failures counted, including those not kept.
    public var failureCount = 0
    /// The keys as the verified genesis and key events define them after the last entry.
    public var keys: [String: KeyRecord] = [:]
    /// RFC 6962 tree roots at the sizes asked for (``Verifier/keepRoots(at:)``), computed over
    /// the entries as read.
    public var treeRoots: [Int64: Digest32] = [:]
    /// For a verification resumed from a checkpoint: the checkpoint's size (the entries after it
    /// were read; ``entries`` counts those only).
    public var resumedAt: Int64?
    /// True when verification stopped before the last entry: at the first failure without
    /// `--all`, or at a missing or invalid genesis (after which nothing can be checked).
    public var stoppedEarly = false

    /// True when no entry failed.
    public var isValid: Bool { failureCount == 0 }
}
