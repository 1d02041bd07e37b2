/// Constants and rules of format v1 (`docs/FORMAT.md`). Everything an independent verifier needs
/// to re-implement is spelled out here and in that document.
public enum FormatV1 {
    /// The `v` member of every body.
    public static let version: Int64 = 1
    /// Prefix of the signed message: `"sealbook.event.v1" || 0x0A`.
    public static let signingContext: [UInt8] = Array("sealbook.event.v1\n".utf8)
    /// Prefix of every chain-hash input: `"sealbook.chain.v1" || 0x0A`.
    public static let chainContext: [UInt8] = Array("sealbook.chain.v1\n".utf8)
    /// Largest canonical body, in bytes (64 KiB). Documents travel as digests, not content.
    public static let maxBodyBytes = 65_536
    /// Deepest nesting of a body: the body object is level 1, `data` level 2.
    public static let maxDepth = 64
    /// Largest integer magnitude allowed anywhere in a body: 2^53 − 1.
    public static let maxSafeInteger: Int64 = 9_007_199_254_740_991
    /// Reserved stream holding only `ledger.genesis`.
    public static let ledgerStream = "ledger"
    /// Reserved stream holding only `key.enrolled` and `key.revoked`.
    public static let keysStream = "keys"
    /// Reserved stream holding only `data.erased` (docs/FORMAT.md §13).
    public static let privacyStream = "privacy"
    /// Type of an erasure of a data key (docs/FORMAT.md §13).
    public static let dataErasedType = "data.erased"
    /// Type of the event at `seq` 1.
    public static let genesisType = "ledger.genesis"
    /// Type of a key enrolment.
    public static let keyEnrolledType = "key.enrolled"
    /// Type of a key revocation.
    public static let keyRevokedType = "key.revoked"

    /// The exact bytes that are signed: `signingContext || bodyBytes`.
    public static func signingMessage(_ bodyBytes: some Collection<UInt8>) -> [UInt8] {
        var m = [UInt8]()
        m.reserveCapacity(signingContext.count + bodyBytes.count)
        m.append(contentsOf: signingContext)
        m.append(contentsOf: bodyBytes)
        return m
    }

    /// `eventHash = SHA-256(bodyBytes || sig)`.
    public static func eventHash(bodyBytes: some Collection<UInt8>, signature: some Collection<UInt8>) -> Digest32 {
        var h = SHA256()
        h.update(bodyBytes)
        h.update(signature)
        return h.finalize()
    }

    /// `chainHash(seq) = SHA-256("sealbook.chain.v1" || 0x0A || u64be(seq) || chainHash(seq-1) || eventHash(seq))`.
    public static func chainHash(seq: Int64, previous: Digest32, eventHash: Digest32) -> Digest32 {
        var h = SHA256()
        chainContext.withUnsafeBytes { h.update($0) }
        var be = UInt64(bitPattern: seq).bigEndian
        withUnsafeBytes(of: &be) { h.update($0) }
        previous.withUnsafeBytes { h.update($0) }
        eventHash.withUnsafeBytes { h.update($0) }
        return h.finalize()
    }

    // MARK: Identifier rules

    /// `[a-z0-9][a-z0-9._-]{0,62}`
    public static func isValidLedgerID(_ s: String) -> Bool {
        matches(s, first: .lowerDigit, rest: .ledgerRest, maxLength: 63)
    }

    /// 1–200 characters of `[A-Za-z0-9._~:/@+-]`, starting with a letter or digit.
    public static func isValidStreamID(_ s: String) -> Bool {
        matches(s, first: .alnum, rest: .streamRest, maxLength: 200)
    }

    /// Lowercase dotted: segments of `[a-z][a-z0-9_-]*` joined by `.`, at most 100 characters.
    public static func isValidType(_ s: String) -> Bool {
        withBytes(s) { u in
            guard !u.isEmpty, u.count <= 100 else { return false }
            var segmentStart = true
            for b in u {
                if b == UInt8(ascii: ".") {
                    if segmentStart { return false }  // an empty segment
                    segmentStart = true
                } else if segmentStart {
                    guard ByteSet.lower.contains(b) else { return false }
                    segmentStart = false
                } else {
                    guard ByteSet.typeRest.contains(b) else { return false }
                }
            }
            return !segmentStart  // not ending with "."
        }
    }

    /// A pseudonymous actor id: `name` or `name@org`, lowercase: `[a-z0-9][a-z0-9._-]{0,63}`
    /// optionally followed by `@[a-z0-9][a-z0-9.-]{0,62}`.
    public static func isValidActor(_ s: String) -> Bool {
        withBytes(s) { u in
            guard let at = u.firstIndex(of: UInt8(ascii: "@")) else {
                return matches(u, first: .lowerDigit, rest: .ledgerRest, maxLength: 64)
            }
            return matches(UnsafeBufferPointer(rebasing: u[..<at]), first: .lowerDigit, rest: .ledgerRest, maxLength: 64)
                && matches(UnsafeBufferPointer(rebasing: u[(at + 1)...]), first: .lowerDigit, rest: .orgRest, maxLength: 63)
        }
    }

    /// `ed25519:` followed by 16 lowercase hex digits.
    public static func isValidKeyID(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count == 24, s.hasPrefix("ed25519:") else { return false }
        return u[8...].allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// 1–200 characters, none of them a control character.
    public static func isValidIdem(_ s: String) -> Bool {
        let n = s.unicodeScalars.count
        return n >= 1 && n <= 200 && !s.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }
    }

    /// RFC 3339 UTC with exactly three fraction digits and `Z`: `2026-11-24T18:30:00.123Z`,
    /// with a real date and hour, minute and second in range (second 60 is refused); see
    /// ``Timestamp/isCanonical(_:)``.
    public static func isValidTime(_ s: String) -> Bool { Timestamp.isCanonical(s) }

    /// 256-entry membership table for a character class, built once (these checks run for
    /// every entry the verifier reads).
    struct ByteSet: Sendable {
        let member: [Bool]
        init(_ chars: String) {
            var m = [Bool](repeating: false, count: 256)
            for b in chars.utf8 { m[Int(b)] = true }
            member = m
        }
        @inline(__always) func contains(_ b: UInt8) -> Bool { member[Int(b)] }

        private static let lowerChars = "abcdefghijklmnopqrstuvwxyz"
        private static let lowerDigitChars = lowerChars + "0123456789"
        private static let alnumChars = lowerDigitChars + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        static let lower = ByteSet(lowerChars)
        static let lowerDigit = ByteSet(lowerDigitChars)
        static let alnum = ByteSet(alnumChars)
        /// After the first character of a ledger id or an actor's name.
        static let ledgerRest = ByteSet(lowerDigitChars + "._-")
        static let streamRest = ByteSet(alnumChars + "._~:/@+-")
        /// After the first character of a type segment.
        static let typeRest = ByteSet(lowerDigitChars + "_-")
        /// After the first character of an actor's org.
        static let orgRest = ByteSet(lowerDigitChars + ".-")
    }

    /// Runs `body` on the UTF-8 bytes of `s` without copying them when the string is native.
    private static func withBytes(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) -> Bool) -> Bool {
        if let r = s.utf8.withContiguousStorageIfAvailable(body) { return r }
        return Array(s.utf8).withUnsafeBufferPointer(body)
    }

    private static func matches(_ s: String, first: ByteSet, rest: ByteSet, maxLength: Int) -> Bool {
        withBytes(s) { matches($0, first: first, rest: rest, maxLength: maxLength) }
    }

    private static func matches(_ u: UnsafeBufferPointer<UInt8>, first: ByteSet, rest: ByteSet, maxLength: Int) -> Bool {
        guard !u.isEmpty, u.count <= maxLength, first.contains(u[0]) else { return false }
        return u.dropFirst().allSatisfy { rest.contains($0) }
    }
}
