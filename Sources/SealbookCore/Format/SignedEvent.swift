/// An event as it travels: canonical body bytes, the detached signature and the event hash.
public struct SignedEvent: Sendable, Equatable {
    public let body: EventBody
    /// `JCS(body)`: exactly what is stored and hashed.
    public let bodyBytes: [UInt8]
    /// 64-byte Ed25519 signature over `"sealbook.event.v1\n" || bodyBytes`.
    public let signature: [UInt8]
    /// `SHA-256(bodyBytes || signature)`.
    public let eventHash: Digest32

    /// An event with `signature` as given, whether or not it verifies: for tests that play an
    /// attacker (a forged or replayed signature). Not public: an application signs.
    package init(body: EventBody, bodyBytes: [UInt8], signature: [UInt8]) {
        self.body = body
        self.bodyBytes = bodyBytes
        self.signature = signature
        self.eventHash = FormatV1.eventHash(bodyBytes: bodyBytes, signature: signature)
    }

    /// Canonicalizes and signs `body` with `key`. The key's id must be `body.key`.
    public init(signing body: EventBody, with key: Ed25519.PrivateKey) throws(BodyError) {
        precondition(key.publicKey.keyID == body.key, "body.key must be the signing key's id")
        let bytes = try body.canonicalBytes()
        self.body = body
        self.bodyBytes = bytes
        self.signature = key.signature(for: FormatV1.signingMessage(bytes))
        self.eventHash = FormatV1.eventHash(bodyBytes: bytes, signature: signature)
    }
}

/// The current UTC time in the format's layout (`2026-11-24T18:30:00.123Z`).
public func formatTimestamp(millisecondsSince1970 ms: Int64) -> String {
    let secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
    let millis = ms - secs * 1000
    var days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400
    let sod = secs - days * 86400
    // Civil-from-days (Howard Hinnant's algorithm, public domain description).
    days += 719_468
    let era = (days >= 0 ? days : days - 146_096) / 146_097
    let doe = days - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    var y = yoe + era * 400
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    if m <= 2 { y += 1 }
    func pad(_ v: Int64, _ w: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, w - s.count)) + s
    }
    return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(sod / 3600, 2)):\(pad(sod % 3600 / 60, 2)):\(pad(sod % 60, 2)).\(pad(millis, 3))Z"
}
