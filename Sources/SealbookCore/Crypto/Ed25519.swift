internal import CSodium

/// Ed25519 (RFC 8032) through libsodium, shaped like swift-crypto's `Curve25519.Signing`.
///
/// libsodium's verification policy is stricter than RFC 8032 requires: it refuses small-order
/// and non-canonical points and `S ≥ L`; see `docs/FORMAT.md`.
public enum Ed25519 {
    /// Public key size in bytes.
    public static let publicKeyByteCount = 32
    /// Signature size in bytes.
    public static let signatureByteCount = 64
    /// Seed (private key) size in bytes.
    public static let seedByteCount = 32

    /// An Ed25519 public key (32 bytes).
    public struct PublicKey: Sendable, Hashable {
        /// The 32 raw bytes.
        public let rawRepresentation: [UInt8]

        /// From 32 raw bytes; throws ``CryptoError/invalidKeyLength(expected:actual:)`` otherwise.
        public init(rawRepresentation: some Collection<UInt8>) throws(CryptoError) {
            guard rawRepresentation.count == Ed25519.publicKeyByteCount else {
                throw .invalidKeyLength(expected: Ed25519.publicKeyByteCount, actual: rawRepresentation.count)
            }
            self.rawRepresentation = Array(rawRepresentation)
        }

        /// From standard base64 (the format's encoding of public keys).
        public init(base64: String) throws(CryptoError) {
            guard let raw = Base64.decode(base64) else { throw .invalidEncoding("public key is not valid base64") }
            try self.init(rawRepresentation: raw)
        }

        /// Standard base64 with padding.
        public var base64: String { Base64.encode(rawRepresentation) }

        /// Whether the key is fit to enrol: the canonical encoding of a point of the curve's
        /// prime-order subgroup, not of small order (libsodium's
        /// `crypto_core_ed25519_is_valid_point`). A small-order or non-canonical key is one no
        /// honest key generator makes; some verifiers accept forgeries under it, so
        /// `keys enroll` refuses it (docs/FORMAT.md §8).
        public var isFitToEnrol: Bool {
            Sodium.ensureInitialized()
            return rawRepresentation.withUnsafeBufferPointer { crypto_core_ed25519_is_valid_point($0.baseAddress!) == 1 }
        }

        /// The key id: `"ed25519:" + hex(SHA-256(publicKey)[0..<8])`.
        public var keyID: String {
            "ed25519:" + Hex.encode(SHA256.hash(rawRepresentation).bytes.prefix(8))
        }

        /// Checks a detached signature (`crypto_sign_verify_detached`). A signature whose length
        /// is not 64 bytes is refused before libsodium is called (libsodium reads exactly 64).
        public func isValidSignature(_ signature: some Collection<UInt8>, for message: some Collection<UInt8>) -> Bool {
            guard signature.count == Ed25519.signatureByteCount else { return false }
            let sig = Array(signature)
            let msg = Array(message)
            return sig.withUnsafeBytes { s in
                msg.withUnsafeBytes { m in isValidSignature(s, for: m) }
            }
        }

        /// Zero-copy form of ``isValidSignature(_:for:)-(some Collection<UInt8>,_)``.
        public func isValidSignature(_ signature: UnsafeRawBufferPointer, for message: UnsafeRawBufferPointer) -> Bool {
            guard signature.count == Ed25519.signatureByteCount else { return false }
            Sodium.ensureInitialized()
            return rawRepresentation.withUnsafeBufferPointer { pk in
                crypto_sign_verify_detached(
                    signature.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    message.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? pk.baseAddress!,
                    UInt64(message.count),
                    pk.baseAddress!) == 0
            }
        }
    }

    /// An Ed25519 private key. The secret bytes live in one heap buffer that is wiped
    /// (`sodium_memzero`) when the last copy of the key is dropped, and are never printed.
    public struct PrivateKey: Sendable, CustomStringConvertible {
        private let secret: SecretBox
        /// The matching public key.
        public let publicKey: PublicKey

        /// Generates a new key from libsodium's CSPRNG (`crypto_sign_keypair`).
        public init() {
            Sodium.ensureInitialized()
            let box = SecretBox(count: Int(crypto_sign_SECRETKEYBYTES))
            var pk = [UInt8](repeating: 0, count: Ed25519.publicKeyByteCount)
            _ = crypto_sign_keypair(&pk, box.pointer)
            self.secret = box
            self.publicKey = try! PublicKey(rawRepresentation: pk)
        }

        /// From the 32-byte seed (RFC 8032's private key), `crypto_sign_seed_keypair`.
        public init(seed: some Collection<UInt8>) throws(CryptoError) {
            guard seed.count == Ed25519.seedByteCount else {
                throw .invalidKeyLength(expected: Ed25519.seedByteCount, actual: seed.count)
            }
            Sodium.ensureInitialized()
            var seedCopy = Array(seed)
            defer { seedCopy.withUnsafeMutableBytes { sodium_memzero($0.baseAddress!, $0.count) } }
            let box = SecretBox(count: Int(crypto_sign_SECRETKEYBYTES))
            var pk = [UInt8](repeating: 0, count: Ed25519.publicKeyByteCount)
            _ = crypto_sign_seed_keypair(&pk, box.pointer, seedCopy)
            self.secret = box
            self.publicKey = try PublicKey(rawRepresentation: pk)
        }

        /// Signs `message` (`crypto_sign_detached`): 64 bytes.
        public func signature(for message: some Collection<UInt8>) -> [UInt8] {
            let msg = Array(message)
            return msg.withUnsafeBytes { signature(for: $0) }
        }

        /// Zero-copy form of ``signature(for:)-(some Collection<UInt8>)``.
        public func signature(for message: UnsafeRawBufferPointer) -> [UInt8] {
            var sig = [UInt8](repeating: 0, count: Ed25519.signatureByteCount)
            let empty: UInt8 = 0
            withUnsafePointer(to: empty) { emptyPtr in
                _ = crypto_sign_detached(
                    &sig, nil,
                    message.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyPtr,
                    UInt64(message.count), secret.pointer)
            }
            return sig
        }

        /// Calls `body` with the 32-byte seed, the only way to read secret bytes (to store the
        /// key in a 0600 file). Do not let the bytes escape the closure.
        public func withUnsafeSeed<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
            // libsodium's secret key is seed || publicKey.
            try body(UnsafeRawBufferPointer(start: secret.pointer, count: Ed25519.seedByteCount))
        }

        /// Never shows secret bytes.
        public var description: String { "Ed25519.PrivateKey(\(publicKey.keyID))" }
    }
}

/// Owns secret bytes; wipes them on deinit.
// @unchecked Sendable: the buffer is written once in init (before the box is shared) and only
// read afterwards; it is freed exactly once, in deinit, when no reference remains.
private final class SecretBox: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<UInt8>
    let count: Int

    init(count: Int) {
        self.count = count
        self.pointer = .allocate(capacity: count)
        pointer.initialize(repeating: 0, count: count)
    }

    deinit {
        sodium_memzero(pointer, count)
        pointer.deallocate()
    }
}

/// Errors from key and signature handling.
public enum CryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidKeyLength(expected: Int, actual: Int)
    case invalidEncoding(String)

    public var description: String {
        switch self {
        case .invalidKeyLength(let expected, let actual): "key must be \(expected) bytes, got \(actual)"
        case .invalidEncoding(let what): what
        }
    }
}
