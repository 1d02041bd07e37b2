/// A witness's Ed25519 cosigning key, signing checkpoints with `cosignature/v1`
/// (c2sp.org/tlog-cosignature; note signature type ``NoteKeyType/cosignatureV1``, `0x04`).
///
/// A cosignature is a note signature line whose key ID is
/// `SHA-256(name || 0x0A || 0x04 || publicKey)[:4]` and whose signature bytes are
/// `u64be(timestamp) || Ed25519(message)`, where the message is ``message(timestamp:checkpointText:)``.
/// Its verifier key is a vkey of type `0x04`. Verify cosignatures with
/// ``SignedNote/verify(using:)`` given the witnesses' ``NoteVerifier``s; read a verified one's
/// time with ``NoteSignature/cosignatureTimestamp``.
public struct Cosigner: Sendable, CustomStringConvertible {
    /// Bytes of a cosignature/v1 signature after the key ID: 8 of timestamp, 64 of Ed25519.
    public static let signatureByteCount = 8 + Ed25519.signatureByteCount

    /// The matching verifier, of type ``NoteKeyType/cosignatureV1``.
    public let verifier: NoteVerifier
    private let key: Ed25519.PrivateKey

    /// A cosigner for `privateKey` under `name`. Throws ``NoteError/invalidKeyName(_:)``.
    public init(name: String, privateKey: Ed25519.PrivateKey) throws(NoteError) {
        self.verifier = try NoteVerifier(name: name, publicKey: privateKey.publicKey, type: .cosignatureV1)
        self.key = privateKey
    }

    /// The cosignature of `checkpoint` at `timestamp` (POSIX seconds, at most 2^63−1, else
    /// ``NoteError/timestampTooLarge(_:)``). It covers the whole checkpoint text, extension lines
    /// included.
    public func cosignature(for checkpoint: Checkpoint, timestamp: UInt64) throws(NoteError) -> NoteSignature {
        guard timestamp <= UInt64(Int64.max) else { throw .timestampTooLarge(timestamp) }
        let message = Self.message(timestamp: timestamp, checkpointText: Array(checkpoint.text.utf8))
        var signature: [UInt8] = withUnsafeBytes(of: timestamp.bigEndian) { Array($0) }
        signature += key.signature(for: message)
        return try NoteSignature(name: verifier.name, keyID: verifier.keyID, signature: signature)
    }

    /// The signed message: `"cosignature/v1\n" + "time <timestamp>\n" + checkpointText`, the
    /// timestamp in decimal without leading zeros and the checkpoint's whole note text.
    public static func message(timestamp: UInt64, checkpointText: String) -> [UInt8] {
        message(timestamp: timestamp, checkpointText: Array(checkpointText.utf8))
    }

    static func message(timestamp: UInt64, checkpointText: [UInt8]) -> [UInt8] {
        Array("cosignature/v1\ntime \(timestamp)\n".utf8) + checkpointText
    }

    /// Never shows the key: `Cosigner(<vkey>)`.
    public var description: String { "Cosigner(\(verifier.vkey))" }
}
