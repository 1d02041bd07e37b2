internal import CSodium

/// scrypt (RFC 7914) through libsodium's `crypto_pwhash_scryptsalsa208sha256_ll`: a salted,
/// memory-hard digest, so that a recorded digest of a secret lets someone who knows a candidate
/// value confirm it, while guessing unknown values stays expensive. The same function is in
/// Python's standard library (`hashlib.scrypt`), for auditors.
public enum Scrypt {
    /// The parameters Sealbook uses for redaction markers: N = 2^15, r = 8, p = 1 (32 MiB,
    /// tens of milliseconds per value), 32 bytes out.
    public static let n: UInt64 = 1 << 15
    public static let r: UInt32 = 8
    public static let p: UInt32 = 1

    /// `scrypt(password, salt, N, r, p, dkLen = 32)`.
    public static func derive(password: [UInt8], salt: [UInt8], n: UInt64 = n, r: UInt32 = r, p: UInt32 = p) -> Digest32 {
        Sodium.ensureInitialized()
        var out = [UInt8](repeating: 0, count: 32)
        // One spare byte each, so that an empty input still has an address.
        let pw = password + [0]
        let sa = salt + [0]
        let status = pw.withUnsafeBufferPointer { pwp in
            sa.withUnsafeBufferPointer { sp in
                out.withUnsafeMutableBufferPointer { o in
                    crypto_pwhash_scryptsalsa208sha256_ll(
                        pwp.baseAddress!, password.count, sp.baseAddress!, salt.count, n, r, p, o.baseAddress!, o.count)
                }
            }
        }
        precondition(status == 0, "scrypt failed (out of memory for N=\(n), r=\(r))")
        return Digest32(bytes: out)!
    }
}
