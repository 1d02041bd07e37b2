// Format v1 (docs/FORMAT.md §2-5): event and chain hashes against values computed outside Swift,
// identifier rules, EventBody decoding rules, and key files on disk.

import Foundation
import SealbookCore
import Testing

// MARK: - Hashes

@Suite("Format v1: eventHash and chainHash")
struct FormatHashTests {
    /// The fixed input: body bytes `{"a":1}` and a 64-byte signature of 0x01 bytes.
    static let body = Array("{\"a\":1}".utf8)
    static let sig = [UInt8](repeating: 0x01, count: 64)

    // Each value below was computed with Python's hashlib, independently of this code base:
    //
    // eventHash:
    //   python3 -c "import hashlib;print(hashlib.sha256(b'{\"a\":1}'+b'\x01'*64).hexdigest())"
    static let eventHash = "4277c6da3d3d663a0c75e7e0ed7a9d4bff8d60bacb7fb15c3ff414e3a9f5a85b"
    // chainHash(1) with chainHash(0) = 32 zero bytes, then chainHash(2) over chainHash(1), same eventHash:
    //   python3 -c "import hashlib;e=hashlib.sha256(b'{\"a\":1}'+b'\x01'*64).digest();c1=hashlib.sha256(b'sealbook.chain.v1\n'+(1).to_bytes(8,'big')+bytes(32)+e).digest();c2=hashlib.sha256(b'sealbook.chain.v1\n'+(2).to_bytes(8,'big')+c1+e).digest();print(c1.hex(),c2.hex())"
    static let chain1 = "5b9ecdcac24cad9a98414d18c21938d29fa4ff058665cfdcc4bb362b27182952"
    static let chain2 = "c314f078cfd39a7f4eab07ff8d5122ddfac78241c28ac2286cc29a91b4c1ebb5"
    // u64be: seq 2^40+5 with previous = zeros and the same eventHash:
    //   python3 -c "import hashlib;e=hashlib.sha256(b'{\"a\":1}'+b'\x01'*64).digest();print(hashlib.sha256(b'sealbook.chain.v1\n'+(2**40+5).to_bytes(8,'big')+bytes(32)+e).hexdigest())"
    static let chainBig = "ca0d7e87390000bffc3936a5521b1e95abf0a20dc5f94a3c94f570aecb0dc248"

    @Test("eventHash = SHA-256(bodyBytes || sig)")
    func eventHash() {
        #expect(FormatV1.eventHash(bodyBytes: Self.body, signature: Self.sig).hex == Self.eventHash)
    }

    @Test("chainHash for seq 1 (previous = zeros) and seq 2 match Python")
    func chainHash() throws {
        let e = try #require(Digest32(hex: Self.eventHash))
        let c1 = FormatV1.chainHash(seq: 1, previous: .zero, eventHash: e)
        #expect(c1.hex == Self.chain1)
        let c2 = FormatV1.chainHash(seq: 2, previous: c1, eventHash: e)
        #expect(c2.hex == Self.chain2)
        // Order of the inputs matters: swapping previous and eventHash gives something else.
        #expect(FormatV1.chainHash(seq: 2, previous: e, eventHash: c1).hex != Self.chain2)
    }

    @Test("seq is u64 big-endian: 2^40+5 matches Python's (2**40+5).to_bytes(8,'big')")
    func u64be() throws {
        let e = try #require(Digest32(hex: Self.eventHash))
        let seq: Int64 = (1 << 40) + 5
        #expect(FormatV1.chainHash(seq: seq, previous: .zero, eventHash: e).hex == Self.chainBig)
        // Cross-check the layout with the library's SHA-256 over explicit big-endian bytes.
        var input = Array("sealbook.chain.v1\n".utf8)
        input += [0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x05]
        input += [UInt8](repeating: 0, count: 32) + e.bytes
        #expect(SHA256.hash(input).hex == Self.chainBig)
    }

    @Test("contexts and signing message")
    func contexts() {
        #expect(FormatV1.signingContext == Array("sealbook.event.v1".utf8) + [0x0A])
        #expect(FormatV1.chainContext == Array("sealbook.chain.v1".utf8) + [0x0A])
        #expect(FormatV1.signingMessage(Self.body) == Array("sealbook.event.v1\n{\"a\":1}".utf8))
        #expect(FormatV1.maxBodyBytes == 65_536)
        #expect(FormatV1.maxSafeInteger == (1 << 53) - 1)
    }
}

// MARK: - Identifier rules

@Suite("Format v1: identifier rules")
struct FormatIdentifierTests {
    static let ledgerOK = ["fingood", "a", "0", "fin-good.prod_1", "9lives", String(repeating: "a", count: 63)]
    static let ledgerBad = [
        "", "Fingood", "-a", ".a", "_a", "fin good", "fin/good", "finé", "fin:good", "a\u{0}",
        String(repeating: "a", count: 64),
    ]

    @Test("ledger id accepted", arguments: ledgerOK)
    func ledgerAccepted(_ s: String) { #expect(FormatV1.isValidLedgerID(s)) }

    @Test("ledger id refused", arguments: ledgerBad)
    func ledgerRefused(_ s: String) { #expect(!FormatV1.isValidLedgerID(s)) }

    static let streamOK = [
        "session/2024_01_15_add_fee_index/01HZX3K9Q", "ledger", "keys", "A", "9", "a~b:c@d+e-f.g_h/i",
        String(repeating: "s", count: 200),
    ]
    static let streamBad = [
        "", "/session", "-x", ".x", "~x", "a b", "a\\b", "a#b", "a?b", "sessión", "a\nb",
        String(repeating: "s", count: 201),
    ]

    @Test("stream id accepted", arguments: streamOK)
    func streamAccepted(_ s: String) { #expect(FormatV1.isValidStreamID(s)) }

    @Test("stream id refused", arguments: streamBad)
    func streamRefused(_ s: String) { #expect(!FormatV1.isValidStreamID(s)) }

    static let typeOK = [
        "checklist.item.recorded", "a", "key.enrolled", "ledger.genesis", "a1.b_c-d", "x.y9",
        String(repeating: "t", count: 100),
    ]
    static let typeBad = [
        "", "Checklist.item", "a..b", ".a", "a.", "1a", "a.1b", "_a", "a.-b", "a b", "a/b", "typé",
        String(repeating: "t", count: 101), String(repeating: "t.", count: 50) + "t",
    ]

    @Test("type accepted", arguments: typeOK)
    func typeAccepted(_ s: String) { #expect(FormatV1.isValidType(s)) }

    @Test("type refused", arguments: typeBad)
    func typeRefused(_ s: String) { #expect(!FormatV1.isValidType(s)) }

    static let actorOK = [
        "alice@fingood", "alice", "ci-pipeline@fingood", "a.b_c-d@org.example-1", "0@0",
        String(repeating: "n", count: 64) + "@" + String(repeating: "o", count: 63),
    ]
    static let actorBad = [
        "", "Alice@fingood", "alice@Fingood", "alice@", "@fingood", "alice@fin@good", "alice@fin_good",
        "alice smith", "-alice", "alice@-org", "alice@.org", "alicé", "alice@fingood ",
        String(repeating: "n", count: 65), "a@" + String(repeating: "o", count: 64),
    ]

    @Test("actor accepted", arguments: actorOK)
    func actorAccepted(_ s: String) { #expect(FormatV1.isValidActor(s)) }

    @Test("actor refused", arguments: actorBad)
    func actorRefused(_ s: String) { #expect(!FormatV1.isValidActor(s)) }

    static let keyOK = ["ed25519:0123456789abcdef", "ed25519:21fe31dfa154a261", "ed25519:0000000000000000"]
    static let keyBad = [
        "", "ed25519:", "ed25519:0123456789ABCDEF", "ed25519:0123456789abcde", "ed25519:0123456789abcdef0",
        "ED25519:0123456789abcdef", "ed448:0123456789abcdef01", "ed25519:0123456789abcdeg",
        "ed25519 0123456789abcdef", "0123456789abcdef01234567", "ed25519:éééééééé",
    ]

    @Test("key id accepted", arguments: keyOK)
    func keyAccepted(_ s: String) { #expect(FormatV1.isValidKeyID(s)) }

    @Test("key id refused", arguments: keyBad)
    func keyRefused(_ s: String) { #expect(!FormatV1.isValidKeyID(s)) }

    @Test("a generated key's id is a valid key id")
    func generatedKeyID() {
        let id = Ed25519.PrivateKey().publicKey.keyID
        #expect(FormatV1.isValidKeyID(id))
    }

    static let timeOK = [
        "2026-11-24T18:30:00.123Z",
        "2024-02-29T00:00:00.000Z",  // leap year (divisible by 4)
        "2000-02-29T12:00:00.000Z",  // leap year (divisible by 400)
        "1996-02-29T23:59:59.999Z",
        "2025-02-28T23:59:59.999Z",
        "1999-12-31T23:59:59.999Z",
        "2026-01-31T00:00:00.000Z", "2026-04-30T00:00:00.000Z", "0000-01-01T00:00:00.000Z",
    ]
    static let timeBad = [
        "2025-02-29T00:00:00.000Z",  // 2025 is not a leap year
        "1900-02-29T00:00:00.000Z",  // divisible by 100, not by 400
        "2100-02-29T00:00:00.000Z",
        "2024-02-30T00:00:00.000Z",
        "2026-04-31T00:00:00.000Z",
        "2026-11-24T18:30:60.000Z",  // leap second refused
        "2016-12-31T23:59:60.000Z",
        "2026-11-24T18:30:00Z",  // milliseconds missing
        "2026-11-24T18:30:00.12Z", "2026-11-24T18:30:00.1234Z", "2026-11-24T18:30:00.123",
        "2026-11-24T18:30:00.123+00:00", "2026-11-24T18:30:00,123Z", "2026-11-24 18:30:00.123Z",
        "2026-11-24t18:30:00.123Z", "2026-11-24T18:30:00.123z",
        "2026-13-24T18:30:00.123Z", "2026-00-24T18:30:00.123Z", "2026-11-00T18:30:00.123Z",
        "2026-11-24T24:00:00.000Z", "2026-11-24T18:60:00.000Z", "2026-1-24T18:30:00.123Z",
        "+2026-11-24T18:30:00.12Z", "2026-11-24T18:30:0a.123Z", "", "2026-11-24T18:30:00.１２３Z",
    ]

    @Test("time accepted", arguments: timeOK)
    func timeAccepted(_ s: String) { #expect(FormatV1.isValidTime(s)) }

    @Test("time refused", arguments: timeBad)
    func timeRefused(_ s: String) { #expect(!FormatV1.isValidTime(s)) }

    @Test("formatTimestamp writes valid times, leap days included")
    func formatTimestamp() {
        #expect(SealbookCore.formatTimestamp(millisecondsSince1970: 0) == "1970-01-01T00:00:00.000Z")
        // 2024-02-29T12:34:56.789Z = 1709210096789 ms (date -u -d 2024-02-29T12:34:56Z +%s → 1709210096).
        #expect(SealbookCore.formatTimestamp(millisecondsSince1970: 1_709_210_096_789) == "2024-02-29T12:34:56.789Z")
        #expect(SealbookCore.formatTimestamp(millisecondsSince1970: -1) == "1969-12-31T23:59:59.999Z")
        for ms: Int64 in [0, 1, 999, 86_399_999, 951_782_400_000, 1_709_210_096_789, 4_102_444_799_999] {
            #expect(FormatV1.isValidTime(SealbookCore.formatTimestamp(millisecondsSince1970: ms)))
        }
    }

    @Test("idem: 1-200 characters, no control characters")
    func idem() {
        #expect(FormatV1.isValidIdem("x"))
        #expect(FormatV1.isValidIdem("run 42 / step ü"))
        #expect(FormatV1.isValidIdem(String(repeating: "é", count: 200)))
        #expect(!FormatV1.isValidIdem(""))
        #expect(!FormatV1.isValidIdem(String(repeating: "x", count: 201)))
        #expect(!FormatV1.isValidIdem("a\tb"))
        #expect(!FormatV1.isValidIdem("a\u{7f}"))
        #expect(!FormatV1.isValidIdem("a\u{0}"))
    }
}

// MARK: - EventBody

/// A valid body as JSON text, with `data` substituted.
private func fmtBodyText(data: String = "{}", streamSeq: String = "1", streamPrev: String = String(repeating: "0", count: 64)) -> String {
    """
    {"v":1,"ledger":"fingood","stream":"session/a","streamSeq":\(streamSeq),"streamPrev":"\(streamPrev)",\
    "type":"checklist.item.recorded","time":"2026-11-24T18:30:00.123Z","actor":"alice@fingood",\
    "key":"ed25519:21fe31dfa154a261","data":\(data)}
    """
}

private func fmtParse(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }

/// The BodyError thrown by `EventBody(json:)`, or nil when it succeeds.
private func fmtBodyError(_ json: JSONValue) -> BodyError? {
    do {
        _ = try EventBody(json: json)
        return nil
    } catch {
        return error
    }
}

private func fmtBodyError(text: String) throws -> BodyError? { fmtBodyError(try fmtParse(text)) }

@Suite("Format v1: EventBody(json:)")
struct EventBodyTests {
    static let required = ["v", "ledger", "stream", "streamSeq", "streamPrev", "type", "time", "actor", "key", "data"]

    @Test("the base body decodes and round-trips through json and canonical bytes")
    func valid() throws {
        let json = try fmtParse(fmtBodyText(data: #"{"z":[1,{"b":true,"a":null}],"a":"x"}"#))
        let body = try EventBody(json: json)
        #expect(body.ledger == "fingood")
        #expect(body.streamSeq == 1)
        #expect(body.streamPrev == .zero)
        #expect(body.idem == nil)
        #expect(body.json == json)
        #expect(try EventBody(json: body.json) == body)
        let bytes = try body.canonicalBytes()
        #expect(bytes == (try JCS.canonicalize(json)))
        #expect(String(decoding: bytes, as: UTF8.self).hasPrefix(#"{"actor":"alice@fingood","data":{"a":"x","z":[1,{"a":null,"b":true}]},"key""#))
    }

    @Test("every required member missing is refused, naming it", arguments: required)
    func missing(_ member: String) throws {
        guard case .object(var o) = try fmtParse(fmtBodyText()) else { Issue.record("not an object"); return }
        o[member] = nil
        let error = try #require(fmtBodyError(.object(o)))
        #expect(error.path == member)
        #expect(error.rule.contains("missing"))
        #expect(error.kind == .invalid)
        #expect(error.description.hasPrefix(member + ":"))
    }

    @Test("a member of the wrong JSON type is refused, naming it", arguments: required)
    func wrongType(_ member: String) throws {
        guard case .object(var o) = try fmtParse(fmtBodyText()) else { Issue.record("not an object"); return }
        // A string where a number or an object is expected, an array where a string is.
        o[member] = ["v", "streamSeq", "data"].contains(member) ? .string("1") : .array([])
        let error = try #require(fmtBodyError(.object(o)))
        #expect(error.path == member)
    }

    @Test("an unknown member is refused, naming it")
    func unknown() throws {
        guard case .object(var o) = try fmtParse(fmtBodyText()) else { Issue.record("not an object"); return }
        o["extra"] = 1
        let error = try #require(fmtBodyError(.object(o)))
        #expect(error.path == "extra")
        #expect(error.rule.contains("unknown"))
    }

    @Test("not an object is refused")
    func notObject() throws {
        #expect(fmtBodyError(.array([])) != nil)
        #expect(fmtBodyError(.string("x")) != nil)
    }

    @Test("v must be the integer 1")
    func version() throws {
        for v in ["2", "1.0", "0", "\"1\"", "true"] {
            let text = fmtBodyText().replacingOccurrences(of: #"{"v":1,"#, with: #"{"v":\#(v),"#)
            let error = try #require(try fmtBodyError(text: text), "v = \(v)")
            #expect(error.path == "v")
        }
    }

    @Test("idem: optional string; when present it must be 1-200 characters without controls")
    func idem() throws {
        let ok = try EventBody(json: try fmtParse(fmtBodyText().replacingOccurrences(of: #""data":{}"#, with: #""data":{},"idem":"run-1""#)))
        #expect(ok.idem == "run-1")
        #expect(ok.json["idem"] == .string("run-1"))
        for bad in [#""""#, "1", #""a\tb""#] {
            let text = fmtBodyText().replacingOccurrences(of: #""data":{}"#, with: #""data":{},"idem":\#(bad)"#)
            let error = try #require(try fmtBodyError(text: text), "idem = \(bad)")
            #expect(error.path == "idem")
        }
    }

    struct FloatCase: Sendable, CustomTestStringConvertible {
        let data: String
        let path: String
        var testDescription: String { "\(data) -> \(path)" }
    }

    static let floats = [
        FloatCase(data: #"{"items":[{"amount":1},{"amount":1.5}]}"#, path: "data.items[1].amount"),
        FloatCase(data: #"{"amount":12.50}"#, path: "data.amount"),
        FloatCase(data: #"{"m":[[1,2.5]]}"#, path: "data.m[0][1]"),
        FloatCase(data: #"{"a":{"b":{"c":[0,0,1.0]}}}"#, path: "data.a.b.c[2]"),
        FloatCase(data: #"{"x":1e3}"#, path: "data.x"),
        FloatCase(data: #"{"x":-0.0}"#, path: "data.x"),
        FloatCase(data: #"{"ok":[1,2,3],"bad":[{"deep":[{"v":3.14}]}]}"#, path: "data.bad[0].deep[0].v"),
    ]

    @Test("a non-integer number anywhere in data is refused, naming its path", arguments: floats)
    func float(_ c: FloatCase) throws {
        let error = try #require(try fmtBodyError(text: fmtBodyText(data: c.data)))
        #expect(error.path == c.path)
        #expect(error.rule.contains("integer"))
    }

    @Test("integers: 2^53-1 and -(2^53-1) accepted; 2^53, -2^53 and beyond Int64 refused")
    func integerRange() throws {
        #expect(try fmtBodyError(text: fmtBodyText(data: #"{"n":9007199254740991}"#)) == nil)
        #expect(try fmtBodyError(text: fmtBodyText(data: #"{"n":-9007199254740991}"#)) == nil)
        #expect(try fmtBodyError(text: fmtBodyText(data: #"{"n":[0,-1,1]}"#)) == nil)
        for bad in ["9007199254740992", "-9007199254740992", "9223372036854775807", "100000000000000000000"] {
            let error = try #require(try fmtBodyError(text: fmtBodyText(data: #"{"list":[0,\#(bad)]}"#)), "\(bad)")
            #expect(error.path == "data.list[1]")
        }
        // The same range applies to streamSeq.
        let big = try #require(try fmtBodyError(text: fmtBodyText(streamSeq: "9007199254740992", streamPrev: String(repeating: "1", count: 64))))
        #expect(big.path == "streamSeq")
        #expect(try fmtBodyError(text: fmtBodyText(streamSeq: "9007199254740991", streamPrev: String(repeating: "1", count: 64))) == nil)
        let zero = try #require(try fmtBodyError(text: fmtBodyText(streamSeq: "0")))
        #expect(zero.path == "streamSeq")
    }

    @Test("U+0000 in a string or a member name is refused")
    func nul() throws {
        let s = try #require(try fmtBodyError(text: fmtBodyText(data: #"{"note":"a\u0000b"}"#)))
        #expect(s.path == "data.note")
        let nested = try #require(try fmtBodyError(text: fmtBodyText(data: #"{"l":["ok","\u0000"]}"#)))
        #expect(nested.path == "data.l[1]")
        let name = try #require(try fmtBodyError(text: fmtBodyText(data: #"{"a\u0000":1}"#)))
        #expect(name.path == "data")
        // Other control characters in data strings are fine (escaped by JCS).
        #expect(try fmtBodyError(text: fmtBodyText(data: #"{"note":"a\u0001\nb"}"#)) == nil)
    }

    @Test("streamPrev must be zeros when streamSeq is 1; lowercase 64-hex otherwise")
    func streamPrev() throws {
        let e = try #require(try fmtBodyError(text: fmtBodyText(streamSeq: "1", streamPrev: String(repeating: "0", count: 63) + "1")))
        #expect(e.path == "streamPrev")
        #expect(try fmtBodyError(text: fmtBodyText(streamSeq: "2", streamPrev: String(repeating: "a", count: 64))) == nil)
        for bad in [String(repeating: "A", count: 64), String(repeating: "0", count: 63), "", String(repeating: "g", count: 64)] {
            let err = try #require(try fmtBodyError(text: fmtBodyText(streamSeq: "2", streamPrev: bad)))
            #expect(err.path == "streamPrev")
        }
    }

    @Test("identifier members are checked", arguments: [
        ("ledger", "Fingood"), ("stream", "/x"), ("type", "Bad.Type"), ("time", "2025-02-29T00:00:00.000Z"),
        ("actor", "Alice"), ("key", "ed25519:XYZ"),
    ])
    func identifiers(_ member: String, _ value: String) throws {
        guard case .object(var o) = try fmtParse(fmtBodyText()) else { Issue.record("not an object"); return }
        o[member] = .string(value)
        let error = try #require(fmtBodyError(.object(o)))
        #expect(error.path == member)
    }

    /// A body whose canonical form is exactly `size` bytes (padding a string in data).
    static func body(canonicalSize size: Int) throws -> EventBody {
        let base = try EventBody(json: try fmtParse(fmtBodyText(data: #"{"blob":""}"#)))
        let baseSize = try base.canonicalBytes().count
        var b = base
        b.data = ["blob": .string(String(repeating: "x", count: size - baseSize))]
        return b
    }

    @Test("a body of 65536 canonical bytes is accepted; 65537 is refused with kind .tooLarge")
    func size() throws {
        let atLimit = try Self.body(canonicalSize: 65_536)
        #expect(try atLimit.canonicalBytes().count == 65_536)
        let over = try Self.body(canonicalSize: 65_537)
        #expect(throws: BodyError.self) { try over.canonicalBytes() }
        do {
            _ = try over.canonicalBytes()
        } catch {
            #expect(error.kind == .tooLarge)
            #expect(error.rule.contains("65537"))
        }
        // Decoding checks member rules only; the size is checked on the canonical bytes.
        #expect(fmtBodyError(over.json) == nil)
        // Signing refuses it too.
        let key = Ed25519.PrivateKey()
        var signed = over
        signed.key = key.publicKey.keyID
        #expect(throws: BodyError.self) { try SignedEvent(signing: signed, with: key) }
        var ok = atLimit
        ok.key = key.publicKey.keyID
        let ev = try SignedEvent(signing: ok, with: key)
        #expect(ev.bodyBytes.count == 65_536)
        #expect(key.publicKey.isValidSignature(ev.signature, for: FormatV1.signingMessage(ev.bodyBytes)))
        #expect(ev.eventHash == FormatV1.eventHash(bodyBytes: ev.bodyBytes, signature: ev.signature))
    }

    @Test("the memberwise initializer checks the same rules")
    func memberwise() throws {
        #expect(throws: BodyError.self) {
            try EventBody(
                ledger: "fingood", stream: "s", streamSeq: 1, streamPrev: SHA256.hash([1]), type: "a.b",
                time: "2026-11-24T18:30:00.123Z", actor: "alice", key: "ed25519:0123456789abcdef", data: [:])
        }
        #expect(throws: BodyError.self) {
            try EventBody(
                ledger: "fingood", stream: "s", streamSeq: 1, streamPrev: .zero, type: "a.b",
                time: "2026-11-24T18:30:00.123Z", actor: "alice", key: "ed25519:0123456789abcdef",
                data: ["f": .number(JSONNumber(0.5))])
        }
        _ = try EventBody(
            ledger: "fingood", stream: "s", streamSeq: 1, streamPrev: .zero, type: "a.b",
            time: "2026-11-24T18:30:00.123Z", actor: "alice", key: "ed25519:0123456789abcdef", data: ["n": 1])
    }
}

// MARK: - KeyFile

/// A fresh temporary directory, removed by `cleanup()`.
struct FmtTempDir {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("sealbook-format-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func cleanup() { try? FileManager.default.removeItem(at: url) }
}

private func fmtMode(_ path: String) throws -> Int {
    let attrs = try FileManager.default.attributesOfItem(atPath: path)
    return try #require((attrs[.posixPermissions] as? NSNumber)?.intValue)
}

private func fmtChmod(_ path: String, _ mode: Int) throws {
    try FileManager.default.setAttributes([.posixPermissions: NSNumber(value: mode)], ofItemAtPath: path)
}

private func fmtKeyFileError(_ body: () throws(KeyFileError) -> KeyFile) -> KeyFileError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

@Suite("KeyFile: secret key files on disk")
struct KeyFileTests {
    @Test("generate writes mode 0600, and read round-trips")
    func generateAndRead() throws {
        let dir = try FmtTempDir()
        defer { dir.cleanup() }
        let path = dir.path("alice.key")
        let generated = try KeyFile.generate(actor: "alice@fingood", path: path)
        #expect(try fmtMode(path) == 0o600)
        #expect(generated.actor == "alice@fingood")

        let read = try KeyFile.read(path: path)
        #expect(read.actor == generated.actor)
        #expect(read.keyID == generated.keyID)
        #expect(read.privateKey.publicKey == generated.privateKey.publicKey)
        let msg = Array("sealbook".utf8)
        #expect(read.privateKey.signature(for: msg) == generated.privateKey.signature(for: msg))

        // The file is one JSON object with the documented members.
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let json = try JSONParser.parse(text.trimmingCharacters(in: .newlines))
        #expect(json["sealbook"] == .string(KeyFile.tag))
        #expect(json["actor"] == .string("alice@fingood"))
        #expect(json["key"] == .string(generated.keyID))
        #expect(json["publicKey"] == .string(generated.privateKey.publicKey.base64))
    }

    @Test("write of a known seed, then read, gives the same key")
    func knownSeed() throws {
        let dir = try FmtTempDir()
        defer { dir.cleanup() }
        let seed = [UInt8](repeating: 0x42, count: 32)
        let file = KeyFile(actor: "ci-pipeline@fingood", privateKey: try Ed25519.PrivateKey(seed: seed))
        try file.write(to: dir.path("ci.key"))
        #expect(try fmtMode(dir.path("ci.key")) == 0o600)
        let read = try KeyFile.read(path: dir.path("ci.key"))
        #expect(read.privateKey.withUnsafeSeed { Array($0) } == seed)
        #expect(read.actor == "ci-pipeline@fingood")
    }

    @Test("generate refuses to overwrite an existing file and leaves it intact")
    func noOverwrite() throws {
        let dir = try FmtTempDir()
        defer { dir.cleanup() }
        let path = dir.path("alice.key")
        _ = try KeyFile.generate(actor: "alice@fingood", path: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(fmtKeyFileError { () throws(KeyFileError) in try KeyFile.generate(actor: "alice@fingood", path: path) } == .exists(path))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        // An unrelated existing file is not overwritten either.
        let other = dir.path("notes.txt")
        try Data("hello".utf8).write(to: URL(fileURLWithPath: other))
        #expect(fmtKeyFileError { () throws(KeyFileError) in try KeyFile.generate(actor: "bob", path: other) } == .exists(other))
        #expect(try String(contentsOfFile: other, encoding: .utf8) == "hello")
    }

    @Test("a file readable by group or others is refused with a message containing 'chmod 600'", arguments: [0o644, 0o640, 0o604, 0o660, 0o700 | 0o004])
    func tooOpen(_ mode: Int) throws {
        let dir = try FmtTempDir()
        defer { dir.cleanup() }
        let path = dir.path("alice.key")
        _ = try KeyFile.generate(actor: "alice@fingood", path: path)
        try fmtChmod(path, mode)
        let error = try #require(fmtKeyFileError { () throws(KeyFileError) in try KeyFile.read(path: path) })
        #expect(error == .tooOpen(path, mode: UInt32(mode)))
        #expect(error.description.contains("chmod 600"))
        #expect(error.description.contains(path))
    }

    @Test("a stricter mode (0400) is accepted")
    func readOnly() throws {
        let dir = try FmtTempDir()
        defer { dir.cleanup() }
        let path = dir.path("alice.key")
        let generated = try KeyFile.generate(actor: "alice@fingood", path: path)
        try fmtChmod(path, 0o400)
        #expect(try KeyFile.read(path: path).keyID == generated.keyID)
        try fmtChmod(path, 0o600)
    }

    @Test("a file whose seed was edited is refused")
    func seedEdited() throws {
        let dir = try FmtTempDir()
        defer { dir.cleanup() }
        let path = dir.path("alice.key")
        let generated = try KeyFile.generate(actor: "alice@fingood", path: path)
        let seed64 = generated.privateKey.withUnsafeSeed { Base64.encode($0) }
        let other64 = Base64.encode([UInt8](repeating: 7, count: 32))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains(seed64))
        try Data(text.replacingOccurrences(of: seed64, with: other64).utf8).write(to: URL(fileURLWithPath: path))
        try fmtChmod(path, 0o600)
        let error = try #require(fmtKeyFileError { () throws(KeyFileError) in try KeyFile.read(path: path) })
        guard case .malformed(let p, _) = error else {
            Issue.record("expected .malformed, got \(error)")
            return
        }
        #expect(p == path)
        #expect(!error.description.contains(other64))
        // A seed that is not 32 bytes of base64 is refused too.
        try Data(text.replacingOccurrences(of: seed64, with: Base64.encode([UInt8](repeating: 7, count: 31))).utf8)
            .write(to: URL(fileURLWithPath: path))
        try fmtChmod(path, 0o600)
        guard case .malformed? = fmtKeyFileError({ () throws(KeyFileError) in try KeyFile.read(path: path) }) else {
            Issue.record("a 31-byte seed was not refused as malformed")
            return
        }
    }

    @Test("a missing file gives .missing; not JSON or another tag gives .malformed")
    func missingAndMalformed() throws {
        let dir = try FmtTempDir()
        defer { dir.cleanup() }
        let path = dir.path("nope.key")
        #expect(fmtKeyFileError { () throws(KeyFileError) in try KeyFile.read(path: path) } == .missing(path))
        try Data("not json".utf8).write(to: URL(fileURLWithPath: path))
        try fmtChmod(path, 0o600)
        guard case .malformed? = fmtKeyFileError({ () throws(KeyFileError) in try KeyFile.read(path: path) }) else {
            Issue.record("not JSON was not refused as malformed")
            return
        }
        // A directory is not a key file.
        let sub = dir.path("sub")
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: false)
        try fmtChmod(sub, 0o700)
        guard case .unreadable? = fmtKeyFileError({ () throws(KeyFileError) in try KeyFile.read(path: sub) }) else {
            Issue.record("a directory was not refused")
            return
        }
    }

    @Test("an invalid actor is refused and no file is written")
    func invalidActor() throws {
        let dir = try FmtTempDir()
        defer { dir.cleanup() }
        let path = dir.path("x.key")
        #expect(fmtKeyFileError { () throws(KeyFileError) in try KeyFile.generate(actor: "Alice Smith", path: path) } == .invalidActor("Alice Smith"))
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("the file's bytes hold the seed; KeyFile's and PrivateKey's descriptions do not")
    func secrecy() throws {
        let dir = try FmtTempDir()
        defer { dir.cleanup() }
        let path = dir.path("alice.key")
        let generated = try KeyFile.generate(actor: "alice@fingood", path: path)
        let read = try KeyFile.read(path: path)
        let seed = generated.privateKey.withUnsafeSeed { Array($0) }
        let seed64 = Base64.encode(seed)
        let seedHex = Hex.encode(seed)
        let bytes = try String(contentsOfFile: path, encoding: .utf8)
        #expect(bytes.contains("\"seed\":\"\(seed64)\""))
        for file in [generated, read] {
            var dumped = ""
            dump(file, to: &dumped)
            let shown = [
                String(describing: file), String(reflecting: file), "\(file)", dumped,
                file.privateKey.description, String(describing: file.privateKey),
            ]
            for text in shown {
                #expect(!text.contains(seed64), "\(text)")
                #expect(!text.contains(seedHex), "\(text)")
                #expect(!text.lowercased().contains(seedHex), "\(text)")
            }
        }
    }
}
