// Sealed fields (docs/FORMAT.md §13): the AEAD against the published XChaCha20-Poly1305 vector,
// the data key's commitment, the sealed value's shape and binding, and the card-number guard.

import SealbookCore
import Testing

@Suite("Sealed fields: XChaCha20-Poly1305, data keys, sealed values")
struct SealedFieldTests {
    // draft-irtf-cfrg-xchacha-03 (S. Arciszewski, "XChaCha: eXtended-nonce ChaCha and
    // AEAD_XChaCha20_Poly1305"), appendix A.3.1, "Example and Test Vector for
    // AEAD_XChaCha20_Poly1305": key, nonce, AAD, plaintext, ciphertext and tag as published.
    static let vectorKey = "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
    static let vectorNonce = "404142434445464748494a4b4c4d4e4f5051525354555657"
    static let vectorAAD = "50515253c0c1c2c3c4c5c6c7"
    static let vectorPlaintext =
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."
    static let vectorCiphertext =
        "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e"
    static let vectorTag = "c0875924c1c7987947deafd8780acf49"

    @Test("encrypt and decrypt reproduce draft-irtf-cfrg-xchacha-03 A.3.1; a changed byte does not authenticate")
    func publishedVector() throws {
        let key = try #require(Hex.decode(Self.vectorKey)), nonce = try #require(Hex.decode(Self.vectorNonce))
        let ad = try #require(Hex.decode(Self.vectorAAD))
        let sealed = SealedValue.encrypt(Array(Self.vectorPlaintext.utf8), ad: ad, nonce: nonce, key: key)
        #expect(Hex.encode(sealed) == Self.vectorCiphertext + Self.vectorTag)
        #expect(SealedValue.decrypt(sealed, ad: ad, nonce: nonce, key: key) == Array(Self.vectorPlaintext.utf8))
        var flipped = sealed
        flipped[5] ^= 1
        #expect(SealedValue.decrypt(flipped, ad: ad, nonce: nonce, key: key) == nil)
        #expect(SealedValue.decrypt(sealed, ad: ad + [0], nonce: nonce, key: key) == nil)
    }

    @Test("a data key's id commits to it; another id, or bytes of another length, are refused")
    func dataKeyCommitment() throws {
        let k = DataKey.generate()
        #expect(DataKey.isValidID(k.id) && k.bytes.count == 32)
        #expect(DataKey(id: k.id, bytes: k.bytes) == k)
        #expect(DataKey(id: DataKey.generate().id, bytes: k.bytes) == nil)
        #expect(DataKey(id: k.id, bytes: Array(k.bytes.dropLast())) == nil)
        // The commitment by its definition: SHA-256("sealbook.datakey.v1\n" || key), first 16 bytes.
        let zero = [UInt8](repeating: 0, count: 32)
        #expect(DataKey.id(of: zero) == "dk:" + Hex.encode(SHA256.hash(Array("sealbook.datakey.v1\n".utf8) + zero).bytes.prefix(16)))
        #expect(!k.description.contains(Hex.encode(k.bytes)) && !k.description.contains(Base64.encode(k.bytes)))
        #expect(!DataKey.isValidID("dk:" + String(repeating: "A", count: 32)) && !DataKey.isValidID("dk:00"))
    }

    @Test("a sealed value opens only with its key, in its ledger and stream; the same event seals to the same bytes")
    func sealAndOpen() throws {
        let k = DataKey.generate()
        let text = "Reviewed with J. Smith, +44 20 7946 0000"
        let v = SealedValue.seal(text, key: k, ledger: "l1", stream: "session/a", idem: "i1", path: "data.comment")
        #expect(v.open(with: k, ledger: "l1", stream: "session/a") == text)
        #expect(v.open(with: k, ledger: "l2", stream: "session/a") == nil)
        #expect(v.open(with: k, ledger: "l1", stream: "session/b") == nil)
        #expect(v.open(with: DataKey.generate(), ledger: "l1", stream: "session/a") == nil)
        #expect(!v.json.description.contains("Smith"))
        // Deterministic per (key, stream, idem, path, text): a retry gives the same bytes ...
        #expect(SealedValue.seal(text, key: k, ledger: "l1", stream: "session/a", idem: "i1", path: "data.comment") == v)
        // ... and anything else another nonce.
        let others = [
            SealedValue.seal(text, key: k, ledger: "l1", stream: "session/a", idem: "i2", path: "data.comment"),
            SealedValue.seal(text, key: k, ledger: "l1", stream: "session/a", idem: "i1", path: "data.reason"),
            SealedValue.seal(text + ".", key: k, ledger: "l1", stream: "session/a", idem: "i1", path: "data.comment"),
        ]
        for o in others { #expect(o.nonce != v.nonce) }
        // The JSON round-trips, and only the exact shape reads as sealed.
        #expect(SealedValue(v.json) == v)
        var extra = try #require(v.json.objectValue)
        extra.members.append((key: "note", value: "x"))
        #expect(SealedValue(.object(extra)) == nil)
        var shortNonce = try #require(v.json.objectValue)
        shortNonce.members[2].value = .string(Base64.encode([UInt8](repeating: 1, count: 12)))
        #expect(SealedValue(.object(shortNonce)) == nil)
        #expect(SealedValue(.string("x")) == nil)
    }

    @Test("replacingSealed opens every sealed value, nested in objects and arrays; sealedDataKeys lists their keys")
    func replacing() throws {
        let k = DataKey.generate()
        let a = SealedValue.seal("one", key: k, ledger: "l", stream: "s", idem: "i", path: "data.a").json
        let b = SealedValue.seal("two", key: k, ledger: "l", stream: "s", idem: "i", path: "data.e.x").json
        let data: JSONValue = ["a": a, "e": ["x": b, "plain": "p"], "list": [a, 3]]
        #expect(data.sealedDataKeys == [k.id])
        let opened = data.replacingSealed { .string($0.open(with: k, ledger: "l", stream: "s") ?? "?") }
        #expect(opened == ["a": "one", "e": ["x": "two", "plain": "p"], "list": ["one", 3]])
        #expect(JSONValue.object(["plain": "p"]).sealedDataKeys.isEmpty)
    }

    @Test("the card-number guard reads the text before sealing, and never the ciphertext's base64 as digits")
    func cardGuard() throws {
        #expect(CardNumberGuard.findProbableCardNumber(in: ["note": "card 4111 1111 1111 1111"]) == "data.note")
        // Ciphertext made to look like digit groups joined by '+' and '/': skipped inside a sealed value only.
        let digits = "4111+1111/1111+1111+AA=="
        let lookalike: JSONValue = [
            "sealed": "xchacha20poly1305", "dataKey": .string(DataKey.generate().id),
            "nonce": .string(Base64.encode([UInt8](repeating: 7, count: 24))), "ciphertext": .string(digits),
        ]
        #expect(SealedValue(lookalike) != nil)
        #expect(CardNumberGuard.findProbableCardNumber(in: ["reason": lookalike]) == nil)
        #expect(CardNumberGuard.findProbableCardNumber(in: ["reason": .string(digits)]) == "data.reason")
    }

    @Test("a key id or data key id whose hex digits are all decimal and pass Luhn is an id, not a card number")
    func idsAreNotCardNumbers() throws {
        #expect(CardNumberGuard.passesLuhn(Array("4111111111111111".utf8).map { $0 - 48 }))
        #expect(FormatV1.isValidKeyID("ed25519:4111111111111111"))
        #expect(CardNumberGuard.findProbableCardNumber(in: ["key": "ed25519:4111111111111111"]) == nil)
        #expect(CardNumberGuard.findProbableCardNumber(in: ["keys": ["ed25519:4111111111111111", "x"]]) == nil)
        #expect(CardNumberGuard.findProbableCardNumber(in: ["dataKey": "dk:41111111111111110000000000000000"]) == nil)
        // The same digits as free text are still refused.
        #expect(CardNumberGuard.findProbableCardNumber(in: ["note": "card 4111111111111111"]) == "data.note")
    }
}
