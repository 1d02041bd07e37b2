/// The note signature types Sealbook signs and verifies (c2sp.org/signed-note, "Signature
/// types"). Both use Ed25519 keys.
public enum NoteKeyType: UInt8, Sendable, Hashable {
    /// `0x01`: Ed25519 over the note text (c2sp.org/signed-note). Logs sign checkpoints so.
    case ed25519 = 0x01
    /// `0x04`: timestamped Ed25519 checkpoint cosignature, `cosignature/v1`
    /// (c2sp.org/tlog-cosignature). Witnesses sign so.
    case cosignatureV1 = 0x04
}

/// A public key that verifies note signatures, with its name and key ID; written as a vkey:
/// `<name>+<hex key ID>+<base64(type || public key)>` (c2sp.org/signed-note, "Verifier keys").
public struct NoteVerifier: Sendable, Hashable, CustomStringConvertible {
    /// The key name, matched byte for byte against signature lines.
    public let name: String
    /// `SHA-256(name || 0x0A || type || publicKey)[:4]`, big-endian.
    public let keyID: UInt32
    /// The signature type.
    public let type: NoteKeyType
    /// The Ed25519 public key.
    public let publicKey: Ed25519.PublicKey

    /// The verifier for `publicKey` under `name`, computing the key ID. Throws
    /// ``NoteError/invalidKeyName(_:)``.
    public init(name: String, publicKey: Ed25519.PublicKey, type: NoteKeyType = .ed25519) throws(NoteError) {
        guard NoteText.isValidKeyName(name) else { throw .invalidKeyName(name) }
        self.name = name
        self.type = type
        self.publicKey = publicKey
        self.keyID = Self.keyID(name: name, type: type, publicKey: publicKey)
    }

    /// Parses a vkey. It is split on its first two `+` only (base64 may hold `+`); the key ID
    /// must be 8 lowercase hex digits and equal the computed one; the key must be 32 bytes of a
    /// supported type. Throws ``NoteError/malformedVerifierKey(_:)``,
    /// ``NoteError/invalidKeyName(_:)``, ``NoteError/unsupportedKeyType(_:)`` or
    /// ``NoteError/keyIDMismatch(stated:computed:)``.
    public init(vkey: String) throws(NoteError) {
        let parts = vkey.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformedVerifierKey("expected <name>+<key ID>+<key>") }
        let name = String(parts[0])
        guard NoteText.isValidKeyName(name) else { throw .invalidKeyName(name) }
        let hex = parts[1]
        guard hex.utf8.count == 8, Hex.isLowercase(hex), let idBytes = Hex.decode(hex) else {
            throw .malformedVerifierKey("the key ID must be 8 lowercase hex digits")
        }
        guard let raw = Base64.decode(String(parts[2])) else {
            throw .malformedVerifierKey("the key is not canonical standard base64")
        }
        guard let typeByte = raw.first else { throw .malformedVerifierKey("the key is empty") }
        guard let type = NoteKeyType(rawValue: typeByte) else { throw .unsupportedKeyType(typeByte) }
        guard let key = try? Ed25519.PublicKey(rawRepresentation: raw.dropFirst()) else {
            throw .malformedVerifierKey("an Ed25519 key is 32 bytes, got \(raw.count - 1)")
        }
        let stated = idBytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        try self.init(name: name, publicKey: key, type: type)
        guard stated == keyID else { throw .keyIDMismatch(stated: stated, computed: keyID) }
    }

    /// The vkey text.
    public var vkey: String {
        name + "+" + Self.hex(keyID) + "+" + Base64.encode([type.rawValue] + publicKey.rawRepresentation)
    }

    public var description: String { vkey }

    /// True when `signature` is by this key (same name and key ID) and verifies over `text`: for
    /// ``NoteKeyType/ed25519`` an Ed25519 signature of the text; for
    /// ``NoteKeyType/cosignatureV1`` a timestamp ≤ 2^63−1 and an Ed25519 signature of the
    /// `cosignature/v1` message (``Cosigner/message(timestamp:checkpointText:)``).
    public func isValidSignature(_ signature: NoteSignature, text: String) -> Bool {
        isValidSignature(signature, text: Array(text.utf8))
    }

    func isValidSignature(_ signature: NoteSignature, text: [UInt8]) -> Bool {
        guard signature.keyID == keyID, signature.name.utf8.elementsEqual(name.utf8) else { return false }
        switch type {
        case .ed25519:
            return publicKey.isValidSignature(signature.signature, for: text)
        case .cosignatureV1:
            guard let timestamp = signature.cosignatureTimestamp, timestamp <= UInt64(Int64.max) else { return false }
            let message = Cosigner.message(timestamp: timestamp, checkpointText: text)
            return publicKey.isValidSignature(signature.signature.dropFirst(8), for: message)
        }
    }

    /// `SHA-256(name || 0x0A || type || publicKey)[:4]` as a big-endian integer.
    public static func keyID(name: String, type: NoteKeyType, publicKey: Ed25519.PublicKey) -> UInt32 {
        var h = SHA256()
        h.update(Array(name.utf8))
        h.update([NoteText.newline, type.rawValue])
        h.update(publicKey.rawRepresentation)
        return h.finalize().bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// 8 lowercase hex digits.
    static func hex(_ keyID: UInt32) -> String {
        Hex.encode(withUnsafeBytes(of: keyID.bigEndian) { Array($0) })
    }

    public static func == (a: NoteVerifier, b: NoteVerifier) -> Bool {
        a.keyID == b.keyID && a.type == b.type && a.publicKey == b.publicKey && a.name.utf8.elementsEqual(b.name.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(Array(name.utf8))
        hasher.combine(keyID)
        hasher.combine(type)
        hasher.combine(publicKey)
    }
}

/// Signs note texts with an Ed25519 key under a name (signature type ``NoteKeyType/ed25519``),
/// as a log signs its checkpoints.
public struct NoteSigner: Sendable, CustomStringConvertible {
    /// The matching verifier (its ``NoteVerifier/vkey`` is what verifiers configure).
    public let verifier: NoteVerifier
    private let key: Ed25519.PrivateKey

    /// A signer for `privateKey` under `name`. Throws ``NoteError/invalidKeyName(_:)``.
    public init(name: String, privateKey: Ed25519.PrivateKey) throws(NoteError) {
        self.verifier = try NoteVerifier(name: name, publicKey: privateKey.publicKey, type: .ed25519)
        self.key = privateKey
    }

    /// The signature of `text`, a note text (see ``SignedNote/init(text:signatures:)`` for what
    /// it must be).
    public func signature(for text: String) throws(NoteError) -> NoteSignature {
        let bytes = Array(text.utf8)
        try NoteText.checkText(bytes)
        return try NoteSignature(name: verifier.name, keyID: verifier.keyID, signature: key.signature(for: bytes))
    }

    /// Never shows the key: `NoteSigner(<vkey>)`.
    public var description: String { "NoteSigner(\(verifier.vkey))" }
}
