/// What a Sealbook checkpoint says beyond c2sp.org/tlog-checkpoint, and how an offline verifier
/// checks one against entries it verified itself (docs/FORMAT.md §6.5, §12.2, §12.7): the
/// ledger's origin, the two extension lines, and which keys may have signed it.
public enum LedgerCheckpointRules {
    /// The extension line that binds the chain hash at the checkpoint's size.
    public static let chainPrefix = "sealbook-chain "
    /// The extension line that binds the `keys` stream's position at the checkpoint's size.
    public static let keysPrefix = "sealbook-keys "

    /// The ledger's origin: the genesis's `data.origin` when it is a string, else
    /// `sealbook.ledger/<ledger id>/<hex of the first 8 bytes of the genesis eventHash>`.
    public static func origin(genesisBody body: EventBody, eventHash: Digest32) -> String {
        if case .string(let o)? = body.data["origin"] { return o }
        return "sealbook.ledger/\(body.ledger)/\(Hex.encode(Array(eventHash.bytes.prefix(8))))"
    }

    /// An extension line as a verifier reads it: not there, there but not of its form (or
    /// there twice), or its value.
    public enum Binding<Value: Sendable>: Sendable {
        case absent
        case malformed(String)
        case value(Value)
    }

    /// A stream's position: its last `streamSeq` and that event's `eventHash` (`0` and 32 zero
    /// bytes for a stream with no event).
    public struct StreamPosition: Sendable, Equatable, CustomStringConvertible {
        public let streamSeq: Int64
        public let eventHash: Digest32

        public init(streamSeq: Int64, eventHash: Digest32) {
            self.streamSeq = streamSeq
            self.eventHash = eventHash
        }

        public static let none = StreamPosition(streamSeq: 0, eventHash: .zero)

        public var description: String { "streamSeq \(streamSeq) eventHash \(eventHash.hex)" }
    }

    /// The `sealbook-chain <64 lowercase hex>` line.
    public static func chainBinding(_ c: Checkpoint) -> Binding<Digest32> {
        switch line(c, chainPrefix) {
        case .absent: return .absent
        case .malformed(let why): return .malformed(why)
        case .value(let rest):
            guard let h = Digest32(hex: rest) else { return .malformed("the sealbook-chain line does not hold 64 lowercase hex digits") }
            return .value(h)
        }
    }

    /// The `sealbook-keys <streamSeq, decimal without leading zeros> <64 lowercase hex>` line.
    public static func keysBinding(_ c: Checkpoint) -> Binding<StreamPosition> {
        switch line(c, keysPrefix) {
        case .absent: return .absent
        case .malformed(let why): return .malformed(why)
        case .value(let rest):
            let parts = rest.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, let n = NoteText.parseDecimal(parts[0].utf8), n <= UInt64(FormatV1.maxSafeInteger),
                let h = Digest32(hex: parts[1])
            else { return .malformed("the sealbook-keys line is not <streamSeq> <64 lowercase hex digits>") }
            return .value(StreamPosition(streamSeq: Int64(n), eventHash: h))
        }
    }

    private static func line(_ c: Checkpoint, _ prefix: String) -> Binding<String> {
        let found = c.extensionLines.filter { $0.hasPrefix(prefix) }
        guard let first = found.first else { return .absent }
        guard found.count == 1 else { return .malformed("the checkpoint has \(found.count) \(prefix)lines") }
        return .value(String(first.dropFirst(prefix.count)))
    }

    /// The keys that may sign a checkpoint of size `size`, as verifier keys named `origin`: the
    /// keys with role `log` as the key events of the first `size` entries leave them — enrolled
    /// at a `seq` ≤ `size` (a root key at 1) and not revoked at a `seq` ≤ `size`. `keys` are the
    /// records of a verified key history that holds every key event up to `size` (later events
    /// change nothing here: a record says when it was enrolled and revoked).
    public static func logKeys(_ keys: [String: KeyRecord], origin: String, size: Int64) -> [NoteVerifier] {
        keys.values
            .filter { $0.roles.contains(.log) && $0.enrolledAt <= size && ($0.revokedAt.map { $0 > size } ?? true) }
            .sorted { $0.keyID < $1.keyID }
            .compactMap { try? NoteVerifier(name: origin, publicKey: $0.publicKey) }
    }

    /// Checks a checkpoint's signature as c2sp.org/signed-note says: by `logKey` when the
    /// auditor gave one, else by one of ``logKeys(_:origin:size:)``. Returns who signed (the key
    /// id for a log key of the history, the vkey for `logKey`), or why not.
    public static func signers(
        of note: SignedNote, logKey: NoteVerifier?, keys: [String: KeyRecord], origin: String, size: Int64
    ) -> Result<[String], CheckpointRefusal> {
        if let logKey {
            do {
                _ = try note.verify(using: [logKey])
                return .success([logKey.vkey])
            } catch {
                return .failure(CheckpointRefusal("it is not signed by the log key given (\(logKey.name)+\(NoteVerifier.hex(logKey.keyID))): \(error)"))
            }
        }
        let candidates = logKeys(keys, origin: origin, size: size)
        guard !candidates.isEmpty else {
            return .failure(CheckpointRefusal("no key held role log after the first \(size) entries, so nothing may have signed it"))
        }
        do {
            let verified = try note.verify(using: candidates)
            return .success(verified.map(\.publicKey.keyID))
        } catch {
            return .failure(
                CheckpointRefusal("it is not signed by a key that held role log at size \(size) (\(candidates.count) such key(s)): \(error)"))
        }
    }
}

/// Why a checkpoint does not hold against the entries it is checked with (a sentence).
public struct CheckpointRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What a verifier found about a checkpoint carried by a bundle or an evidence package.
public struct CarriedCheckpoint: Sendable {
    /// The signed note as carried.
    public let note: String
    /// Its size and root, when its text is a checkpoint.
    public let size: Int64?
    public let root: Digest32?
    /// Whether it was checked (a bundle's is checked only when every entry verified).
    public let checked: Bool
    /// Who signed it (key ids of the ledger's log keys, or the vkey given), when it checked out.
    public let signedBy: [String]
    /// True when it checked out: the entries are anchored by it.
    public var anchored: Bool { checked && !signedBy.isEmpty }

    public init(note: String, size: Int64?, root: Digest32?, checked: Bool, signedBy: [String]) {
        self.note = note
        self.size = size
        self.root = root
        self.checked = checked
        self.signedBy = signedBy
    }
}
