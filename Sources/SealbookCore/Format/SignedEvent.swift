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
    ///
    /// Every event Sealbook signs passes here, so this is where the card-number guard runs on the
    /// whole body (``CardNumberGuard/check(_:)``): a body holding a probable payment card number
    /// anywhere is refused (``BodyError/Kind/cardNumber``) and never signed.
    public init(signing body: EventBody, with key: Ed25519.PrivateKey) throws(BodyError) {
        precondition(key.publicKey.keyID == body.key, "body.key must be the signing key's id")
        try CardNumberGuard.check(body)
        let bytes = try body.canonicalBytes()
        self.body = body
        self.bodyBytes = bytes
        self.signature = key.signature(for: FormatV1.signingMessage(bytes))
        self.eventHash = FormatV1.eventHash(bodyBytes: bytes, signature: signature)
    }
}

/// A time in the format's layout (`2026-11-24T18:30:00.123Z`): ``Timestamp/rfc3339``.
public func formatTimestamp(millisecondsSince1970 ms: Int64) -> String {
    Timestamp(milliseconds: ms).rfc3339
}
