/// Errors from the c2sp.org text formats: signed notes (c2sp.org/signed-note), verifier keys,
/// checkpoints (c2sp.org/tlog-checkpoint), cosignatures (c2sp.org/tlog-cosignature) and proofs
/// (c2sp.org/tlog-proof). Line numbers are 1-based; byte offsets 0-based.
public enum NoteError: Error, Sendable, Hashable, CustomStringConvertible {
    // MARK: Signed notes
    /// The input is over the size limit.
    case tooLarge(bytes: Int, limit: Int)
    /// The input is not valid UTF-8.
    case invalidUTF8
    /// An ASCII control character other than newline, at this byte offset.
    case controlCharacter(offset: Int)
    /// No blank line separates the text from the signatures.
    case missingBlankLine
    /// Nothing follows the blank line.
    case noSignatures
    /// The last signature line does not end in a newline.
    case missingFinalNewline
    /// A text that is empty or does not end in a newline.
    case textNotNewlineTerminated
    /// A signature line (1-based, counted from the first signature line) that is not
    /// `— <name> <base64>`.
    case malformedSignatureLine(line: Int)
    /// A key name that is empty, or holds a plus sign, a Unicode space or a control character.
    case invalidKeyName(String)
    /// A signature line whose signature is not canonical standard base64 (RFC 4648 §4).
    case invalidBase64(line: Int)
    /// A signature shorter than a key ID and one byte.
    case signatureTooShort(line: Int)
    /// More signatures than the limit.
    case tooManySignatures(limit: Int)
    /// Two signatures with the same key name and key ID.
    case duplicateSignature(name: String, keyID: UInt32)

    // MARK: Verification
    /// A signature by a known key (same name and key ID) that does not verify: the whole note
    /// is refused.
    case invalidSignature(name: String, keyID: UInt32)
    /// No signature by a known key.
    case noKnownSignature
    /// Two different known keys share this name and key ID.
    case ambiguousVerifiers(name: String, keyID: UInt32)

    // MARK: Verifier keys
    /// A vkey that is not `<name>+<8 lowercase hex digits>+<base64(type || key)>`, or whose key
    /// material has the wrong length.
    case malformedVerifierKey(String)
    /// A vkey whose signature type byte is not one this implementation verifies.
    case unsupportedKeyType(UInt8)
    /// A vkey whose key ID is not the one its name, type and key give.
    case keyIDMismatch(stated: UInt32, computed: UInt32)

    // MARK: Checkpoints
    /// A checkpoint text with fewer than three lines.
    case checkpointTooShort
    /// An empty origin line.
    case invalidOrigin
    /// A tree size that is not a decimal number without leading zeros in 0…2^63−1.
    case invalidTreeSize(String)
    /// A root hash line that is not the base64 of 32 bytes.
    case invalidRootHash
    /// An extension line (0-based among the extension lines) that is empty or holds a newline
    /// or control character.
    case invalidExtensionLine(Int)

    // MARK: Cosignatures
    /// A cosignature timestamp over 2^63−1.
    case timestampTooLarge(UInt64)

    // MARK: Proofs
    /// The first line is not `c2sp.org/tlog-proof@v1`.
    case proofMissingHeader
    /// The `extra` line's data is not canonical standard base64.
    case proofInvalidExtra
    /// The index line is missing, or not `index` and a decimal in 0…2^63−1 without leading zeros.
    case proofInvalidIndex
    /// A proof hash line (1-based, from the first hash line) that is not the base64 of 32 bytes.
    case proofInvalidHash(line: Int)
    /// More proof hashes than a tree of at most 2^63−1 leaves can need.
    case proofTooManyHashes(limit: Int)
    /// No empty line and checkpoint after the proof hashes.
    case proofMissingCheckpoint

    public var description: String {
        switch self {
        case .tooLarge(let bytes, let limit): "input is \(bytes) bytes, over the limit of \(limit)"
        case .invalidUTF8: "note is not valid UTF-8"
        case .controlCharacter(let offset): "control character at byte \(offset) (only newline is allowed)"
        case .missingBlankLine: "no blank line between the note text and its signatures"
        case .noSignatures: "note has no signature lines"
        case .missingFinalNewline: "the last signature line does not end in a newline"
        case .textNotNewlineTerminated: "note text must be non-empty and end in a newline"
        case .malformedSignatureLine(let line): "signature line \(line) is not '— <name> <base64>'"
        case .invalidKeyName(let name):
            "invalid key name \(String(reflecting: name)): it must be non-empty, with no '+', spaces or control characters"
        case .invalidBase64(let line): "signature line \(line) is not canonical standard base64"
        case .signatureTooShort(let line): "signature line \(line) holds fewer than 5 bytes"
        case .tooManySignatures(let limit): "note has more than \(limit) signatures"
        case .duplicateSignature(let name, let keyID): "two signatures by key \(name)+\(NoteVerifier.hex(keyID))"
        case .invalidSignature(let name, let keyID):
            "the signature by known key \(name)+\(NoteVerifier.hex(keyID)) does not verify"
        case .noKnownSignature: "note has no signature by a known key"
        case .ambiguousVerifiers(let name, let keyID): "several known keys are named \(name)+\(NoteVerifier.hex(keyID))"
        case .malformedVerifierKey(let why): "malformed verifier key: \(why)"
        case .unsupportedKeyType(let type): "unsupported signature type 0x\(Hex.encode([type])) in verifier key"
        case .keyIDMismatch(let stated, let computed):
            "verifier key states key ID \(NoteVerifier.hex(stated)), its name and key give \(NoteVerifier.hex(computed))"
        case .checkpointTooShort: "checkpoint text has fewer than 3 lines (origin, size, root hash)"
        case .invalidOrigin: "checkpoint origin line is empty"
        case .invalidTreeSize(let text):
            "checkpoint tree size \(String(reflecting: text)) is not a decimal in 0...\(Int64.max) without leading zeros"
        case .invalidRootHash: "checkpoint root hash is not the base64 of 32 bytes"
        case .invalidExtensionLine(let i): "checkpoint extension line \(i) is empty or holds a control character"
        case .timestampTooLarge(let t): "cosignature timestamp \(t) is over 2^63-1"
        case .proofMissingHeader: "proof does not start with the line c2sp.org/tlog-proof@v1"
        case .proofInvalidExtra: "proof extra data is not canonical standard base64"
        case .proofInvalidIndex: "proof has no valid 'index N' line"
        case .proofInvalidHash(let line): "proof hash line \(line) is not the base64 of 32 bytes"
        case .proofTooManyHashes(let limit): "proof has more than \(limit) hashes"
        case .proofMissingCheckpoint: "proof has no empty line followed by a checkpoint"
        }
    }
}
