// Ed25519 and SHA-256 against external vectors (see shared/vectors/SOURCES.md):
// Wycheproof ed25519_test.json, RFC 8032 §7.1, ed25519-speccheck; plus key-length, base64,
// key-id and secrecy checks.
//
// The vector files are read in place, never copied into the repository: from
// `$SEALBOOK_VECTORS` when set, otherwise from `<repo>/../shared/vectors`.

import Foundation
import SealbookCore
import Testing

// MARK: - Locating and reading the vectors

/// The shared vector folder: `$SEALBOOK_VECTORS`, else `<repo>/../shared/vectors`.
enum SealbookVectors {
    static let directory: URL = {
        if let env = ProcessInfo.processInfo.environment["SEALBOOK_VECTORS"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        // <repo>/Tests/SealbookCoreTests/<this file> -> <repo> -> <repo>/.. -> shared/vectors
        let repo = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repo.deletingLastPathComponent()
            .appendingPathComponent("shared").appendingPathComponent("vectors")
    }()

    static func url(_ relative: String) -> URL { directory.appendingPathComponent(relative) }

    static func data(_ relative: String) throws -> Data { try Data(contentsOf: url(relative)) }

    /// Decodes a JSON vector file; nil when it is missing or does not decode (the tests that
    /// count the cases then fail, so a missing file never passes silently).
    static func decode<T: Decodable>(_ type: T.Type, _ relative: String) -> T? {
        guard let d = try? data(relative) else { return nil }
        return try? JSONDecoder().decode(T.self, from: d)
    }
}

/// Lowercase/uppercase hex to bytes, for the vector files (independent of the library's `Hex`).
func edHexBytes(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = text.utf8.makeIterator()
    func nib(_ c: UInt8) -> UInt8 {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: fatalError("not hex: \(text)")
        }
    }
    while let hi = it.next() {
        guard let lo = it.next() else { fatalError("odd hex length: \(text)") }
        out.append(nib(hi) << 4 | nib(lo))
    }
    return out
}

/// Lowercase hex of bytes (independent of the library's `Hex`).
func edHex(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}

// MARK: Wycheproof

struct WycheproofFile: Decodable {
    struct Group: Decodable {
        struct Key: Decodable { let pk: String }
        let type: String
        let publicKey: Key
        let tests: [Test]
    }
    struct Test: Decodable {
        let tcId: Int
        let comment: String
        let flags: [String]
        let msg: String
        let sig: String
        let result: String
    }
    let algorithm: String
    let schema: String
    let numberOfTests: Int
    let testGroups: [Group]
}

struct LibsodiumResults: Decodable {
    struct Wycheproof: Decodable {
        let tcId: Int
        let expected: String
        let sigLen: Int
        let libsodiumAccepts: Bool
    }
    struct Speccheck: Decodable {
        let index: Int
        let libsodiumAccepts: Bool
    }
    let wycheproof: [Wycheproof]
    let speccheck: [Speccheck]
}

/// One Wycheproof test with its group's public key.
struct WycheproofCase: Sendable, CustomTestStringConvertible {
    let tcId: Int
    let comment: String
    let flags: [String]
    let publicKey: [UInt8]
    let message: [UInt8]
    let signature: [UInt8]
    let result: String

    var testDescription: String { "tcId \(tcId) \(result) \(flags) \(comment)" }

    static let file = SealbookVectors.decode(WycheproofFile.self, "wycheproof/ed25519_test.json")

    static let all: [WycheproofCase] = (file?.testGroups ?? []).flatMap { g in
        g.tests.map { t in
            WycheproofCase(
                tcId: t.tcId, comment: t.comment, flags: t.flags, publicKey: edHexBytes(g.publicKey.pk),
                message: edHexBytes(t.msg), signature: edHexBytes(t.sig), result: t.result)
        }
    }

    static let wrongLength: [WycheproofCase] = all.filter { $0.signature.count != 64 }

    /// libsodium 1.0.18's per-case outcome, gathered with the vectors (optional file).
    static let libsodium: LibsodiumResults? = SealbookVectors.decode(
        LibsodiumResults.self, "wycheproof/libsodium-1.0.18-results.json")
}

// MARK: RFC 8032

struct RFC8032File: Decodable {
    struct Test: Decodable {
        let name: String
        let secretKey: String
        let publicKey: String
        let messageLength: Int
        let message: String
        let signature: String
    }
    let tests: [Test]
}

struct RFC8032Case: Sendable, CustomTestStringConvertible {
    let name: String
    let seed: [UInt8]
    let publicKey: [UInt8]
    let message: [UInt8]
    let messageLength: Int
    let signature: [UInt8]
    var testDescription: String { name }

    static let all: [RFC8032Case] = (SealbookVectors.decode(RFC8032File.self, "rfc8032/rfc8032_ed25519_7.1.json")?.tests ?? [])
        .map {
            RFC8032Case(
                name: $0.name, seed: edHexBytes($0.secretKey), publicKey: edHexBytes($0.publicKey),
                message: edHexBytes($0.message), messageLength: $0.messageLength, signature: edHexBytes($0.signature))
        }

    /// RFC 8032 §7.1 TEST 1.
    static var test1: RFC8032Case? { all.first { $0.name == "TEST 1" } }
}

// MARK: ed25519-speccheck

struct SpeccheckCase: Sendable, CustomTestStringConvertible {
    let index: Int
    let message: [UInt8]
    let publicKey: [UInt8]
    let signature: [UInt8]
    var testDescription: String { "case \(index)" }

    private struct Raw: Decodable {
        let message: String
        let pub_key: String
        let signature: String
    }

    static let all: [SpeccheckCase] = (SealbookVectors.decode([Raw].self, "ed25519-speccheck/cases.json") ?? [])
        .enumerated().map { i, r in
            SpeccheckCase(
                index: i, message: edHexBytes(r.message), publicKey: edHexBytes(r.pub_key),
                signature: edHexBytes(r.signature))
        }

    /// The upstream LibSodium row of ed25519-speccheck's results.md, as SOURCES.md notes it:
    /// `X X X V X X X X X X X X` (only case 3, mixed-order A and R, is accepted).
    static let libsodiumRow: [Bool] = "X X X V X X X X X X X X".split(separator: " ").map { $0 == "V" }
}

/// Runs the library's verification; a public key that cannot be built counts as a rejection.
private func libraryVerifies(publicKey: [UInt8], signature: [UInt8], message: [UInt8]) -> Bool {
    guard let pk = try? Ed25519.PublicKey(rawRepresentation: publicKey) else { return false }
    return pk.isValidSignature(signature, for: message)
}

/// The same through the zero-copy overload.
private func libraryVerifiesRaw(publicKey: [UInt8], signature: [UInt8], message: [UInt8]) -> Bool {
    guard let pk = try? Ed25519.PublicKey(rawRepresentation: publicKey) else { return false }
    return signature.withUnsafeBytes { s in message.withUnsafeBytes { m in pk.isValidSignature(s, for: m) } }
}

// MARK: - Wycheproof

@Suite("Ed25519: Wycheproof ed25519_test.json")
struct Ed25519WycheproofTests {
    @Test("the file holds 151 cases, as its header says, and the schema is the EdDSA verify schema")
    func caseCount() throws {
        let file = try #require(WycheproofCase.file, "Wycheproof vectors not found under \(SealbookVectors.directory.path)")
        #expect(file.algorithm == "EDDSA")
        #expect(file.schema == "eddsa_verify_schema_v1.json")
        #expect(file.testGroups.allSatisfy { $0.type == "EddsaVerify" })
        #expect(file.numberOfTests == 151)
        #expect(WycheproofCase.all.count == 151)
        #expect(Set(WycheproofCase.all.map(\.tcId)).count == 151)
        #expect(WycheproofCase.all.allSatisfy { ["valid", "invalid", "acceptable"].contains($0.result) })
        #expect(WycheproofCase.all.allSatisfy { $0.publicKey.count == 32 })
    }

    @Test("each case: isValidSignature == (result == valid); acceptable follows libsodium 1.0.18", arguments: WycheproofCase.all)
    func wycheproofCase(_ c: WycheproofCase) throws {
        let accepted = libraryVerifies(publicKey: c.publicKey, signature: c.signature, message: c.message)
        switch c.result {
        case "valid":
            #expect(accepted, "valid signature refused")
        case "invalid":
            #expect(!accepted, "invalid signature accepted")
        default:
            // "acceptable": the file has none today; if one appears, it must match what libsodium
            // 1.0.18 was recorded to do for it.
            let results = try #require(WycheproofCase.libsodium, "acceptable case \(c.tcId) and no libsodium results file")
            let row = try #require(results.wycheproof.first { $0.tcId == c.tcId })
            #expect(accepted == row.libsodiumAccepts)
        }
        // Both overloads agree.
        #expect(libraryVerifiesRaw(publicKey: c.publicKey, signature: c.signature, message: c.message) == accepted)
    }

    @Test("no case is 'acceptable' in this file version")
    func noAcceptable() {
        #expect(!WycheproofCase.all.isEmpty)
        #expect(WycheproofCase.all.filter { $0.result == "acceptable" }.isEmpty)
    }

    @Test("88 valid and 63 invalid, and the outcome matches the libsodium 1.0.18 results gathered with the vectors")
    func tallyAndCrossCheck() throws {
        let all = WycheproofCase.all
        #expect(all.filter { $0.result == "valid" }.count == 88)
        #expect(all.filter { $0.result == "invalid" }.count == 63)
        let results = try #require(
            WycheproofCase.libsodium, "wycheproof/libsodium-1.0.18-results.json not found under \(SealbookVectors.directory.path)")
        #expect(results.wycheproof.count == 151)
        let byID = Dictionary(uniqueKeysWithValues: results.wycheproof.map { ($0.tcId, $0) })
        for c in all {
            let row = try #require(byID[c.tcId], "tcId \(c.tcId) missing from libsodium results")
            #expect(row.expected == c.result, "tcId \(c.tcId)")
            #expect(row.sigLen == c.signature.count, "tcId \(c.tcId)")
            #expect(
                libraryVerifies(publicKey: c.publicKey, signature: c.signature, message: c.message) == row.libsodiumAccepts,
                "tcId \(c.tcId)")
        }
    }

    @Test("12 cases carry a signature that is not 64 bytes")
    func wrongLengthCount() {
        #expect(WycheproofCase.wrongLength.count == 12)
        #expect(Set(WycheproofCase.wrongLength.map(\.signature.count)) == [0, 32, 62, 63, 65, 66, 96])
        #expect(WycheproofCase.wrongLength.allSatisfy { $0.result == "invalid" })
    }

    @Test("a signature whose length is not 64 is refused by length (both overloads)", arguments: WycheproofCase.wrongLength)
    func wrongLengthRefused(_ c: WycheproofCase) throws {
        #expect(c.signature.count != Ed25519.signatureByteCount)
        let pk = try Ed25519.PublicKey(rawRepresentation: c.publicKey)
        #expect(!pk.isValidSignature(c.signature, for: c.message))
        #expect(!c.signature.withUnsafeBytes { s in c.message.withUnsafeBytes { m in pk.isValidSignature(s, for: m) } })
        // A buffer with no base address (empty) is refused without being dereferenced.
        #expect(!pk.isValidSignature(UnsafeRawBufferPointer(start: nil, count: 0), for: UnsafeRawBufferPointer(start: nil, count: 0)))
    }

    @Test("a valid signature with one byte appended or removed is refused")
    func validSignatureResized() throws {
        let c = try #require(WycheproofCase.all.first { $0.result == "valid" && !$0.message.isEmpty })
        let pk = try Ed25519.PublicKey(rawRepresentation: c.publicKey)
        #expect(pk.isValidSignature(c.signature, for: c.message))
        #expect(!pk.isValidSignature(c.signature + [0], for: c.message))
        #expect(!pk.isValidSignature(c.signature.dropLast(), for: c.message))
    }
}

// MARK: - RFC 8032

@Suite("Ed25519: RFC 8032 §7.1")
struct Ed25519RFC8032Tests {
    @Test("five test vectors are present")
    func present() {
        #expect(RFC8032Case.all.count == 5)
        #expect(RFC8032Case.all.allSatisfy { $0.message.count == $0.messageLength })
    }

    @Test("seed derives the public key", arguments: RFC8032Case.all)
    func derivesPublicKey(_ c: RFC8032Case) throws {
        let key = try Ed25519.PrivateKey(seed: c.seed)
        #expect(key.publicKey.rawRepresentation == c.publicKey)
        #expect(try Ed25519.PublicKey(rawRepresentation: c.publicKey) == key.publicKey)
        // The seed read back is the seed given.
        #expect(key.withUnsafeSeed { Array($0) } == c.seed)
    }

    @Test("signing reproduces the signature byte for byte, and it verifies", arguments: RFC8032Case.all)
    func signsAndVerifies(_ c: RFC8032Case) throws {
        let key = try Ed25519.PrivateKey(seed: c.seed)
        let sig = key.signature(for: c.message)
        #expect(sig.count == 64)
        #expect(edHex(sig) == edHex(c.signature))
        #expect(c.message.withUnsafeBytes { key.signature(for: $0) } == c.signature)
        let pk = try Ed25519.PublicKey(rawRepresentation: c.publicKey)
        #expect(pk.isValidSignature(c.signature, for: c.message))
        #expect(c.signature.withUnsafeBytes { s in c.message.withUnsafeBytes { m in pk.isValidSignature(s, for: m) } })
    }

    @Test("one flipped bit in the message or the signature fails", arguments: RFC8032Case.all)
    func bitFlips(_ c: RFC8032Case) throws {
        let pk = try Ed25519.PublicKey(rawRepresentation: c.publicKey)
        if c.message.isEmpty {
            #expect(!pk.isValidSignature(c.signature, for: [0x00]))
            #expect(!pk.isValidSignature(c.signature, for: [0x01]))
        } else {
            for byte in Set([0, c.message.count / 2, c.message.count - 1]) {
                for bit in [0, 7] {
                    var m = c.message
                    m[byte] ^= UInt8(1 << bit)
                    #expect(!pk.isValidSignature(c.signature, for: m), "message byte \(byte) bit \(bit)")
                }
            }
        }
        for byte in [0, 17, 31, 32, 48, 63] {
            for bit in [0, 3, 7] {
                var s = c.signature
                s[byte] ^= UInt8(1 << bit)
                #expect(!pk.isValidSignature(s, for: c.message), "signature byte \(byte) bit \(bit)")
            }
        }
        // The signature under another vector's key fails too.
        if let other = RFC8032Case.all.first(where: { $0.publicKey != c.publicKey }) {
            let otherPK = try Ed25519.PublicKey(rawRepresentation: other.publicKey)
            #expect(!otherPK.isValidSignature(c.signature, for: c.message))
        }
    }
}

// MARK: - ed25519-speccheck

@Suite("Ed25519: ed25519-speccheck (libsodium policy)")
struct Ed25519SpeccheckTests {
    @Test("12 cases; SOURCES.md's row equals the LibSodium row of results.upstream.md")
    func present() throws {
        #expect(SpeccheckCase.all.count == 12)
        #expect(SpeccheckCase.libsodiumRow.count == 12)
        #expect(SpeccheckCase.libsodiumRow.enumerated().filter(\.element).map(\.offset) == [3])
        let md = try String(contentsOf: SealbookVectors.url("ed25519-speccheck/results.upstream.md"), encoding: .utf8)
        let row = try #require(
            md.split(whereSeparator: \.isNewline).first {
                $0.split(separator: "|").first?.trimmingCharacters(in: .whitespaces) == "LibSodium"
            })
        let marks = row.split(separator: "|").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(marks.map { $0 == "V" } == SpeccheckCase.libsodiumRow)
    }

    @Test("accept/reject per case equals the upstream LibSodium row", arguments: SpeccheckCase.all)
    func speccheckCase(_ c: SpeccheckCase) throws {
        #expect(c.publicKey.count == 32)
        #expect(c.signature.count == 64)
        let expected = SpeccheckCase.libsodiumRow[c.index]
        #expect(libraryVerifies(publicKey: c.publicKey, signature: c.signature, message: c.message) == expected)
        #expect(libraryVerifiesRaw(publicKey: c.publicKey, signature: c.signature, message: c.message) == expected)
        let results = try #require(WycheproofCase.libsodium, "wycheproof/libsodium-1.0.18-results.json not found")
        let row = try #require(results.speccheck.first { $0.index == c.index }, "speccheck case \(c.index) missing from the libsodium results")
        #expect(row.libsodiumAccepts == expected)
    }
}

// MARK: - Lengths, base64, key id, secrecy

@Suite("Ed25519: lengths, encodings, key id, secrecy")
struct Ed25519KeyTests {
    @Test("a public key of 31 or 33 bytes is refused", arguments: [0, 31, 33, 64])
    func publicKeyLength(_ n: Int) {
        #expect(throws: CryptoError.invalidKeyLength(expected: 32, actual: n)) {
            try Ed25519.PublicKey(rawRepresentation: [UInt8](repeating: 7, count: n))
        }
    }

    @Test("a seed of 31 or 33 bytes is refused", arguments: [0, 31, 33, 64])
    func seedLength(_ n: Int) {
        #expect(throws: CryptoError.invalidKeyLength(expected: 32, actual: n)) {
            try Ed25519.PrivateKey(seed: [UInt8](repeating: 7, count: n))
        }
    }

    @Test("32 bytes are accepted for both")
    func rightLengths() throws {
        let pk = try Ed25519.PublicKey(rawRepresentation: [UInt8](repeating: 7, count: 32))
        #expect(pk.rawRepresentation == [UInt8](repeating: 7, count: 32))
        let key = try Ed25519.PrivateKey(seed: [UInt8](repeating: 7, count: 32))
        #expect(key.withUnsafeSeed { Array($0) } == [UInt8](repeating: 7, count: 32))
        #expect(key.publicKey.rawRepresentation.count == 32)
    }

    /// A 32-byte key whose standard base64 holds both `+` and `/`: 0xfb 0xff … encodes as `+/…`.
    static let plusSlashKey: [UInt8] = [0xfb] + [UInt8](repeating: 0xff, count: 30) + [0xfe]

    @Test("base64: standard with padding round-trips")
    func base64RoundTrip() throws {
        let pk = try Ed25519.PublicKey(rawRepresentation: Self.plusSlashKey)
        let text = pk.base64
        #expect(text.count == 44)
        #expect(text.hasSuffix("="))
        #expect(text.contains("+") && text.contains("/"))
        #expect(text == Data(Self.plusSlashKey).base64EncodedString())
        #expect(try Ed25519.PublicKey(base64: text) == pk)
        if let t1 = RFC8032Case.test1 {
            let k = try Ed25519.PublicKey(rawRepresentation: t1.publicKey)
            #expect(try Ed25519.PublicKey(base64: k.base64) == k)
        }
    }

    @Test("base64: URL-safe alphabet is refused")
    func base64URLSafe() throws {
        let text = try Ed25519.PublicKey(rawRepresentation: Self.plusSlashKey).base64
        let urlSafe = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        #expect(urlSafe != text)
        #expect(throws: CryptoError.self) { try Ed25519.PublicKey(base64: urlSafe) }
        #expect(Base64.decode(urlSafe) == nil)
        // URL-safe and unpadded, as JWK writes it.
        #expect(throws: CryptoError.self) { try Ed25519.PublicKey(base64: String(urlSafe.dropLast())) }
    }

    @Test("base64: missing padding, whitespace and non-canonical trailing bits are refused")
    func base64Strict() throws {
        let text = try Ed25519.PublicKey(rawRepresentation: Self.plusSlashKey).base64
        let unpadded = String(text.dropLast())
        #expect(!unpadded.hasSuffix("="))
        #expect(throws: CryptoError.self) { try Ed25519.PublicKey(base64: unpadded) }
        #expect(Base64.decode(unpadded) == nil)
        #expect(throws: CryptoError.self) { try Ed25519.PublicKey(base64: " " + text) }
        #expect(throws: CryptoError.self) { try Ed25519.PublicKey(base64: text + "\n") }
        #expect(throws: CryptoError.self) { try Ed25519.PublicKey(base64: String(text.prefix(20)) + "\n" + String(text.dropFirst(20))) }
        // 32 zero bytes are 43 'A's and '='; the last 'A' carries 2 unused bits. 'B' sets one:
        // same bytes if decoded leniently, but not the canonical encoding.
        let zeros = String(repeating: "A", count: 43) + "="
        #expect(try Ed25519.PublicKey(base64: zeros).rawRepresentation == [UInt8](repeating: 0, count: 32))
        #expect(throws: CryptoError.self) { try Ed25519.PublicKey(base64: String(repeating: "A", count: 42) + "B=") }
        // Valid base64 of the wrong length is a length error.
        #expect(throws: CryptoError.invalidKeyLength(expected: 32, actual: 31)) {
            try Ed25519.PublicKey(base64: Data(repeating: 1, count: 31).base64EncodedString())
        }
    }

    /// Computed outside Swift, for RFC 8032 TEST 1's public key:
    /// python3 -c "import hashlib;print('ed25519:'+hashlib.sha256(bytes.fromhex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')).hexdigest()[:16])"
    static let test1KeyID = "ed25519:21fe31dfa154a261"

    @Test("key id of RFC 8032 TEST 1's public key equals the value computed with Python's hashlib")
    func keyID() throws {
        let t1 = try #require(RFC8032Case.test1)
        #expect(edHex(t1.publicKey) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        let pk = try Ed25519.PublicKey(rawRepresentation: t1.publicKey)
        #expect(pk.keyID == Self.test1KeyID)
        #expect(try Ed25519.PrivateKey(seed: t1.seed).publicKey.keyID == Self.test1KeyID)
        #expect(FormatV1.isValidKeyID(pk.keyID))
        // The definition, through the library's SHA-256 (checked against FIPS vectors below).
        #expect(pk.keyID == "ed25519:" + edHex(SHA256.hash(t1.publicKey).bytes.prefix(8)))
    }

    @Test("PrivateKey.description never shows the seed (hex or base64)")
    func privateKeyDescription() throws {
        var keys = [Ed25519.PrivateKey(), Ed25519.PrivateKey()]
        if let t1 = RFC8032Case.test1 { keys.append(try Ed25519.PrivateKey(seed: t1.seed)) }
        for key in keys {
            let seed = key.withUnsafeSeed { Array($0) }
            let secrets = [edHex(seed), edHex(seed).uppercased(), Base64.encode(seed), Data(seed).base64EncodedString()]
            var dumped = ""
            dump(key, to: &dumped)
            let shown = [key.description, "\(key)", String(describing: key), String(reflecting: key), dumped]
            for text in shown {
                for s in secrets { #expect(!text.contains(s), "description shows the seed: \(text)") }
            }
            #expect(key.description == "Ed25519.PrivateKey(\(key.publicKey.keyID))")
        }
    }

    @Test("generated keys differ and sign/verify")
    func generated() {
        let a = Ed25519.PrivateKey(), b = Ed25519.PrivateKey()
        #expect(a.publicKey != b.publicKey)
        let msg = Array("sealbook".utf8)
        let sig = a.signature(for: msg)
        #expect(a.publicKey.isValidSignature(sig, for: msg))
        #expect(!b.publicKey.isValidSignature(sig, for: msg))
    }
}

// MARK: - SHA-256

@Suite("SHA-256: FIPS 180-2 examples")
struct SHA256VectorTests {
    // FIPS 180-2, Appendix B (and the well-known empty-string digest).
    static let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    static let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    static let twoBlock = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    static let twoBlockMessage = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
    static let millionA = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

    @Test("\"\" and \"abc\" and the 448-bit message")
    func short() {
        #expect(SHA256.hash([UInt8]()).hex == Self.empty)
        #expect(SHA256.hash(Array("abc".utf8)).hex == Self.abc)
        #expect(SHA256.hash(Array(Self.twoBlockMessage.utf8)).hex == Self.twoBlock)
        var h = SHA256()
        #expect(h.finalize().hex == Self.empty)
        #expect(SHA256.byteCount == 32)
    }

    @Test("1,000,000 × 'a'")
    func millionA() {
        let a = [UInt8](repeating: 0x61, count: 1_000_000)
        #expect(SHA256.hash(a).hex == Self.millionA)
    }

    @Test("incremental updates in uneven pieces equal the one-shot digest")
    func incremental() {
        let a = [UInt8](repeating: 0x61, count: 1_000_000)
        let sizes = [0, 1, 55, 56, 63, 64, 65, 127, 1000, 4096, 12345]
        var h = SHA256()
        var i = 0, k = 0
        while i < a.count {
            let n = min(sizes[k % sizes.count], a.count - i)
            a[i..<(i + n)].withUnsafeBytes { h.update($0) }
            i += n
            k += 1
        }
        #expect(h.finalize().hex == Self.millionA)

        // Byte by byte through the Sequence overload, over a non-contiguous sequence.
        var h2 = SHA256()
        for b in "abc".utf8 { h2.update(CollectionOfOne(b)) }
        #expect(h2.finalize().hex == Self.abc)
        var h3 = SHA256()
        h3.update("ab".utf8.lazy.map { $0 })
        h3.update(UnsafeRawBufferPointer(start: nil, count: 0))
        h3.update([UInt8]())
        h3.update(Array("c".utf8))
        #expect(h3.finalize().hex == Self.abc)
        // Slices (ArraySlice with a non-zero start) hash their own bytes.
        let msg = Array("xxabcxx".utf8)
        #expect(SHA256.hash(msg[2..<5]).hex == Self.abc)
    }

    @Test("Digest32: bytes, hex and parsing")
    func digest() throws {
        let d = SHA256.hash(Array("abc".utf8))
        #expect(edHex(d.bytes) == Self.abc)
        #expect(d.description == Self.abc)
        #expect(Digest32(hex: Self.abc) == d)
        #expect(Digest32(bytes: d.bytes) == d)
        #expect(Digest32(hex: Self.abc.uppercased()) == nil)
        #expect(Digest32(hex: String(Self.abc.dropLast())) == nil)
        #expect(Digest32(bytes: [UInt8](repeating: 0, count: 31)) == nil)
        #expect(Digest32.zero.hex == String(repeating: "0", count: 64))
    }
}
