/// An offline-verifiable proof that an entry is in a log (c2sp.org/tlog-proof):
///
/// ```
/// c2sp.org/tlog-proof@v1
/// extra <base64>          (optional)
/// index <decimal>
/// <base64 hash>           (zero or more: the RFC 6962 inclusion proof, leaf's sibling first)
///
/// <signed checkpoint, verbatim>
/// ```
///
/// This type parses and renders the format. Verifying one is the caller's: check the
/// checkpoint's origin and its signature by the log's key (``SignedNote/verify(using:)``), the
/// witnesses' cosignatures by policy, and the inclusion of the leaf hash with
/// ``Merkle/verifyInclusion(leafHash:index:size:proof:root:)`` against ``checkpoint``. The
/// `extra` data is not authenticated.
public struct TLogProof: Sendable, Hashable {
    /// The first line.
    public static let header = "c2sp.org/tlog-proof@v1"
    /// Largest proof accepted, in bytes: a largest note, 63 hashes and some extra data.
    public static let maxBytes = SignedNote.maxBytes + 65_536
    /// Most hashes an inclusion proof in a tree of at most 2^63−1 leaves has.
    public static let maxProofHashes = 63

    /// Opaque extra data (the `extra` line), if present.
    public let extra: [UInt8]?
    /// The 0-based index of the entry in the log (in Sealbook, `seq − 1`).
    public let index: UInt64
    /// The inclusion proof, from the leaf's sibling to the root's child.
    public let inclusionProof: [Digest32]
    /// The signed checkpoint, with the log's signature and any cosignatures.
    public let signedCheckpoint: SignedNote
    /// The checkpoint parsed from ``signedCheckpoint``'s text (not verified).
    public let checkpoint: Checkpoint

    /// A proof from its parts. Throws when `signedCheckpoint`'s text is not a checkpoint, on
    /// ``NoteError/proofInvalidIndex`` (over 2^63−1) or ``NoteError/proofTooManyHashes(limit:)``.
    public init(index: UInt64, inclusionProof: [Digest32], signedCheckpoint: SignedNote, extra: [UInt8]? = nil) throws(NoteError) {
        guard index <= UInt64(Int64.max) else { throw .proofInvalidIndex }
        guard inclusionProof.count <= Self.maxProofHashes else { throw .proofTooManyHashes(limit: Self.maxProofHashes) }
        self.checkpoint = try Checkpoint(text: signedCheckpoint.text)
        self.index = index
        self.inclusionProof = inclusionProof
        self.signedCheckpoint = signedCheckpoint
        self.extra = extra
    }

    /// Parses a proof. Every line ends in a newline; the hashes end at the first empty line,
    /// and everything after it is the signed checkpoint.
    public init(parsing bytes: some Collection<UInt8>) throws(NoteError) {
        let bytes = Array(bytes)
        guard bytes.count <= Self.maxBytes else { throw .tooLarge(bytes: bytes.count, limit: Self.maxBytes) }
        var position = 0
        /// The next line without its newline, or nil at the end (or before an unterminated line).
        func nextLine() -> ArraySlice<UInt8>? {
            guard let end = bytes[position...].firstIndex(of: NoteText.newline) else { return nil }
            defer { position = end + 1 }
            return bytes[position..<end]
        }
        guard let first = nextLine(), first.elementsEqual(Self.header.utf8) else { throw .proofMissingHeader }
        guard var line = nextLine() else { throw .proofInvalidIndex }
        var extra: [UInt8]? = nil
        let extraPrefix = Array("extra ".utf8)
        if line.starts(with: extraPrefix) {
            guard let data = Base64.decode(String(decoding: line.dropFirst(extraPrefix.count), as: UTF8.self)) else {
                throw .proofInvalidExtra
            }
            extra = data
            guard let next = nextLine() else { throw .proofInvalidIndex }
            line = next
        }
        let indexPrefix = Array("index ".utf8)
        guard line.starts(with: indexPrefix), let index = NoteText.parseDecimal(line.dropFirst(indexPrefix.count)) else {
            throw .proofInvalidIndex
        }
        var hashes: [Digest32] = []
        while true {
            guard let hashLine = nextLine() else { throw .proofMissingCheckpoint }
            if hashLine.isEmpty { break }
            guard hashes.count < Self.maxProofHashes else { throw .proofTooManyHashes(limit: Self.maxProofHashes) }
            guard let raw = Base64.decode(String(decoding: hashLine, as: UTF8.self)), let hash = Digest32(bytes: raw) else {
                throw .proofInvalidHash(line: hashes.count + 1)
            }
            hashes.append(hash)
        }
        try self.init(
            index: index, inclusionProof: hashes, signedCheckpoint: SignedNote(parsing: bytes[position...]), extra: extra)
    }

    /// Parses a proof from a string.
    public init(parsing string: String) throws(NoteError) {
        try self.init(parsing: Array(string.utf8))
    }

    /// The proof file's text.
    public var serialized: String {
        var out = Self.header + "\n"
        if let extra { out += "extra " + Base64.encode(extra) + "\n" }
        out += "index \(index)\n"
        for hash in inclusionProof { out += Base64.encode(hash.bytes) + "\n" }
        return out + "\n" + signedCheckpoint.serialized
    }
}
