internal import CSodium

// Sealed fields (docs/FORMAT.md §13): free text that may carry personal data is signed only as
// ciphertext under a data key that lives outside the chain. Deleting the key (an erasure,
// `data.erased`) makes the text unrecoverable while every signature, link, proof and checkpoint
// still verifies: crypto-shredding.

/// A data key: 32 random bytes for XChaCha20-Poly1305 (libsodium's IETF construction), named
/// by an id that commits to it: `dk:` + the first 16 bytes of
/// `SHA-256("sealbook.datakey.v1" || 0x0A || key)` in lowercase hex. The id is what a sealed
/// value signs, so a reader can tell the right key from any other before using it.
///
/// The key bytes are secret; ``description`` never shows them.
public struct DataKey: Sendable, Equatable, CustomStringConvertible {
    public static let byteCount = 32
    /// `dk:<32 lowercase hex>`.
    public let id: String
    /// The 32 key bytes.
    public let bytes: [UInt8]

    /// A new random key (libsodium's CSPRNG).
    public static func generate() -> DataKey {
        let bytes = secureRandomBytes(byteCount)
        return DataKey(checked: bytes)
    }

    private init(checked bytes: [UInt8]) {
        self.id = Self.id(of: bytes)
        self.bytes = bytes
    }

    /// A stored key, checked: nil when `bytes` is not 32 bytes or `id` is not its commitment.
    public init?(id: String, bytes: [UInt8]) {
        guard bytes.count == Self.byteCount, id == Self.id(of: bytes) else { return nil }
        self.id = id
        self.bytes = bytes
    }

    /// The id that commits to `bytes`.
    public static func id(of bytes: [UInt8]) -> String {
        var h = SHA256()
        h.update(Array("sealbook.datakey.v1\n".utf8))
        h.update(bytes)
        return "dk:" + Hex.encode(h.finalize().bytes.prefix(16))
    }

    /// Whether `text` has the shape of a data key id.
    public static func isValidID(_ text: String) -> Bool {
        text.hasPrefix("dk:") && text.utf8.count == 35 && Hex.isLowercase(text.dropFirst(3))
            && Hex.decode(text.dropFirst(3)) != nil
    }

    public var description: String { "DataKey(\(id))" }
}

/// A sealed value: the JSON object that stands in a body where the plaintext would be,
///
///     {"sealed":"xchacha20poly1305","dataKey":"dk:…","nonce":"<base64, 24 bytes>","ciphertext":"<base64>"}
///
/// with exactly these four members. `ciphertext` is XChaCha20-Poly1305-IETF of the text's UTF-8
/// bytes (the 16-byte tag at its end) with the additional data
/// `"sealbook.sealed.v1" || 0x0A || ledger || 0x0A || stream || 0x0A || dataKey`, so a sealed
/// value opens only in the ledger and stream it was sealed for.
public struct SealedValue: Sendable, Equatable {
    public static let algorithm = "xchacha20poly1305"
    public static let nonceByteCount = 24
    public static let tagByteCount = 16

    public let dataKey: String
    public let nonce: [UInt8]
    public let ciphertext: [UInt8]

    /// Reads a sealed value; nil unless `value` is an object of exactly the four members, with
    /// `sealed` the algorithm's name, `dataKey` a data key id, a 24-byte nonce and a ciphertext
    /// of at least the tag's 16 bytes, both in strict base64.
    public init?(_ value: JSONValue) {
        guard case .object(let o) = value else { return nil }
        self.init(o)
    }

    public init?(_ o: JSONObject) {
        guard o.count == 4, o["sealed"]?.stringValue == Self.algorithm,
            let key = o["dataKey"]?.stringValue, DataKey.isValidID(key),
            let nonce = o["nonce"]?.stringValue.flatMap(Base64.decode), nonce.count == Self.nonceByteCount,
            let ct = o["ciphertext"]?.stringValue.flatMap(Base64.decode), ct.count >= Self.tagByteCount
        else { return nil }
        self.dataKey = key
        self.nonce = nonce
        self.ciphertext = ct
    }

    /// The JSON object, members in the order shown above.
    public var json: JSONValue {
        .object(
            JSONObject([
                (key: "sealed", value: .string(Self.algorithm)), (key: "dataKey", value: .string(dataKey)),
                (key: "nonce", value: .string(Base64.encode(nonce))),
                (key: "ciphertext", value: .string(Base64.encode(ciphertext))),
            ]))
    }

    /// Seals `text` for `ledger` and `stream` under `key`. The nonce is derived, not drawn:
    /// BLAKE2b with a 24-byte output, keyed with the data key, over
    /// `"sealbook.sealed.nonce.v1" || 0x0A` and then the stream, the event's idempotency key, the
    /// member's path and the text, each as u64be(length in bytes) || UTF-8 bytes, so that sealing the same event
    /// again (a retry with the same idempotency key) gives the same bytes, and two different
    /// texts never share a nonce under one key.
    public static func seal(_ text: String, key: DataKey, ledger: String, stream: String, idem: String, path: String)
        -> SealedValue
    {
        Sodium.ensureInitialized()
        let plain = Array(text.utf8)
        var input = Array("sealbook.sealed.nonce.v1\n".utf8)
        for part in [Array(stream.utf8), Array(idem.utf8), Array(path.utf8), plain] {
            withUnsafeBytes(of: UInt64(part.count).bigEndian) { input += $0 }
            input += part
        }
        var nonce = [UInt8](repeating: 0, count: nonceByteCount)
        _ = crypto_generichash(&nonce, nonceByteCount, input, UInt64(input.count), key.bytes, key.bytes.count)
        let ad = additionalData(ledger: ledger, stream: stream, dataKey: key.id)
        return SealedValue(dataKey: key.id, nonce: nonce, ciphertext: encrypt(plain, ad: ad, nonce: nonce, key: key.bytes))
    }

    /// XChaCha20-Poly1305-IETF (libsodium): ciphertext || 16-byte tag.
    package static func encrypt(_ plain: [UInt8], ad: [UInt8], nonce: [UInt8], key: [UInt8]) -> [UInt8] {
        precondition(nonce.count == nonceByteCount && key.count == DataKey.byteCount)
        Sodium.ensureInitialized()
        var ct = [UInt8](repeating: 0, count: plain.count + tagByteCount)
        var ctLength: UInt64 = 0
        _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
            &ct, &ctLength, plain, UInt64(plain.count), ad, UInt64(ad.count), nil, nonce, key)
        return Array(ct.prefix(Int(ctLength)))
    }

    /// The plaintext of `ciphertext` (with its tag), or nil when it does not authenticate.
    package static func decrypt(_ ciphertext: [UInt8], ad: [UInt8], nonce: [UInt8], key: [UInt8]) -> [UInt8]? {
        guard ciphertext.count >= tagByteCount, nonce.count == nonceByteCount, key.count == DataKey.byteCount else { return nil }
        Sodium.ensureInitialized()
        var plain = [UInt8](repeating: 0, count: ciphertext.count - tagByteCount)
        var length: UInt64 = 0
        let rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
            &plain, &length, nil, ciphertext, UInt64(ciphertext.count), ad, UInt64(ad.count), nonce, key)
        return rc == 0 ? Array(plain.prefix(Int(length))) : nil
    }

    private init(dataKey: String, nonce: [UInt8], ciphertext: [UInt8]) {
        self.dataKey = dataKey
        self.nonce = nonce
        self.ciphertext = ciphertext
    }

    /// The text, or nil when `key` is not this value's data key or the ciphertext does not
    /// authenticate for `ledger` and `stream` (or is not UTF-8).
    public func open(with key: DataKey, ledger: String, stream: String) -> String? {
        guard key.id == dataKey else { return nil }
        let ad = Self.additionalData(ledger: ledger, stream: stream, dataKey: dataKey)
        guard let plain = Self.decrypt(ciphertext, ad: ad, nonce: nonce, key: key.bytes) else { return nil }
        return String(validating: plain, as: UTF8.self)
    }

    static func additionalData(ledger: String, stream: String, dataKey: String) -> [UInt8] {
        Array("sealbook.sealed.v1\n\(ledger)\n\(stream)\n\(dataKey)".utf8)
    }
}

extension JSONValue {
    /// Whether any sealed value is in this value (a walk that allocates nothing).
    public var containsSealed: Bool {
        switch self {
        case .object(let o):
            if o.count == 4, o["sealed"] != nil, SealedValue(o) != nil { return true }
            return o.members.contains { $0.value.containsSealed }
        case .array(let a): return a.contains { $0.containsSealed }
        default: return false
        }
    }

    /// The data key ids of every sealed value in this value, in document order, without repeats.
    public var sealedDataKeys: [String] {
        var out: [String] = []
        func visit(_ v: JSONValue) {
            switch v {
            case .object(let o):
                if let s = SealedValue(o) {
                    if !out.contains(s.dataKey) { out.append(s.dataKey) }
                    return
                }
                for m in o.members { visit(m.value) }
            case .array(let a): for e in a { visit(e) }
            default: break
            }
        }
        visit(self)
        return out
    }

    /// This value with every sealed value replaced by `open(value)`.
    public func replacingSealed(_ open: (SealedValue) -> JSONValue) -> JSONValue {
        switch self {
        case .object(let o):
            if let s = SealedValue(o) { return open(s) }
            return .object(JSONObject(o.members.map { (key: $0.key, value: $0.value.replacingSealed(open)) }))
        case .array(let a):
            return .array(a.map { $0.replacingSealed(open) })
        default:
            return self
        }
    }
}
