internal import CSodium

/// SHA-256 through libsodium (`crypto_hash_sha256_*`).
public struct SHA256: Sendable {
    /// Digest size in bytes.
    public static let byteCount = 32

    private var state = crypto_hash_sha256_state()

    /// Starts a new hash (`crypto_hash_sha256_init`).
    public init() {
        Sodium.ensureInitialized()
        crypto_hash_sha256_init(&state)
    }

    /// Feeds bytes (`crypto_hash_sha256_update`).
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        crypto_hash_sha256_update(&state, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
    }

    /// Feeds bytes (`crypto_hash_sha256_update`).
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { buf in
            update(UnsafeRawBufferPointer(buf))
        }
        if done == nil {
            let copy = Array(bytes)
            copy.withUnsafeBytes { update($0) }
        }
    }

    /// Returns the digest (`crypto_hash_sha256_final`).
    public mutating func finalize() -> Digest32 {
        var out = Digest32.zero
        withUnsafeMutableBytes(of: &out.storage) { p in
            _ = crypto_hash_sha256_final(&state, p.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        return out
    }

    /// One-shot SHA-256 (`crypto_hash_sha256`).
    public static func hash(_ bytes: some Sequence<UInt8>) -> Digest32 {
        var h = SHA256()
        h.update(bytes)
        return h.finalize()
    }
}

/// A 32-byte value: a SHA-256 digest, an `eventHash` or a `chainHash`. Stored inline (no heap).
public struct Digest32: Sendable, Hashable, Comparable, CustomStringConvertible {
    fileprivate var storage: (UInt64, UInt64, UInt64, UInt64)

    /// 32 zero bytes: `chainHash(0)` and the `streamPrev` of a stream's first event.
    public static let zero = Digest32(storage: (0, 0, 0, 0))

    fileprivate init(storage: (UInt64, UInt64, UInt64, UInt64)) { self.storage = storage }

    /// From exactly 32 bytes; nil for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        var s: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &s) { dst in
            // One copy from contiguous storage (arrays, slices): called across modules this
            // initializer is not specialized, and a generic element loop costs microseconds.
            let copied: Void? = bytes.withContiguousStorageIfAvailable { src in dst.copyMemory(from: UnsafeRawBufferPointer(src)) }
            if copied == nil {
                var i = 0
                for b in bytes {
                    dst[i] = b
                    i += 1
                }
            }
        }
        self.storage = s
    }

    /// From 64 lowercase hex digits; nil for anything else (uppercase is refused: the format is lowercase).
    public init?(hex: some StringProtocol) {
        guard let bytes = Hex.decode(hex), bytes.count == 32, Hex.isLowercase(hex) else { return nil }
        self.init(bytes: bytes)
    }

    /// The 32 bytes.
    public var bytes: [UInt8] {
        Swift.withUnsafeBytes(of: storage) { Array($0) }
    }

    /// Calls `body` with the 32 bytes, without copying to the heap.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage, body)
    }

    /// 64 lowercase hex digits.
    public var hex: String { withUnsafeBytes { Hex.encode($0) } }

    public var description: String { hex }

    public static func == (a: Digest32, b: Digest32) -> Bool {
        a.storage.0 == b.storage.0 && a.storage.1 == b.storage.1 && a.storage.2 == b.storage.2
            && a.storage.3 == b.storage.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.0)
        hasher.combine(storage.1)
        hasher.combine(storage.2)
        hasher.combine(storage.3)
    }

    public static func < (a: Digest32, b: Digest32) -> Bool {
        a.bytes.lexicographicallyPrecedes(b.bytes)
    }
}
