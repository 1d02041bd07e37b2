// The card-number guard (PCI DSS 3.5.1): well-known test PANs are found wherever they hide in
// event data (string values, member names, arrays, integers); look-alikes are not; messages never
// carry the number.

import Foundation
import SealbookCore
import Testing

@Suite("Card-number guard")
struct CardNumberGuardTests {
    /// Well-known test card numbers (Visa, Mastercard, American Express, Discover, a 13-digit
    /// Visa, a 19-digit number) written as people paste them.
    static let pans = [
        "4111 1111 1111 1111", "4111111111111111", "4111-1111-1111-1111", "5500-0000-0000-0004",
        "5500 0000 0000 0004", "378282246310005", "3782 822463 10005", "6011111111111117",
        "6011-1111-1111-1117", "4222222222222", "4111 1111-1111 1111", "6250941006528599",
    ]

    @Test("a test PAN is found, alone and inside text", arguments: pans)
    func findsPAN(pan: String) {
        #expect(CardNumberGuard.containsProbableCardNumber(pan))
        #expect(CardNumberGuard.findProbableCardNumber(in: .string(pan)) == "data")
        for text in [
            "card: \(pan)", "paid with \(pan) yesterday", "(\(pan))", "pan=\(pan);", "\(pan)\nexp 12/27", "#\(pan)",
        ] {
            #expect(CardNumberGuard.containsProbableCardNumber(text), "\(text)")
        }
    }

    @Test(
        "look-alikes are accepted",
        arguments: [
            "4111111111111112",  // 16 digits, fails Luhn
            "5500 0000 0000 0005",  // fails Luhn
            "1234-5678-1234-5678",  // fails Luhn
            "411111111111",  // 12 digits
            "12345678901234567890",  // 20 digits
            "4111111111111112 0",  // no run of whole groups passes Luhn
            "4111  1111  1111  1112",  // joined, but fails Luhn
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",  // SHA-256 of ""
            "123e4567-e89b-12d3-a456-426614174000",  // a UUID
            "12345678-1234-0002-a234-123456789abc",  // a UUID whose first 16 digits pass Luhn
            "ab4111111111111111cd",  // glued to letters: part of an identifier
            "CHG-4111111111111111",  // glued to a ticket prefix
            "4111111111111111-v2",
            "2024-01-15T22:41:07.250Z",  // an ISO timestamp
            "2024-01-15 22:41:07",
            "+1-555-0100",
            "",
        ])
    func acceptsLookAlikes(text: String) {
        #expect(!CardNumberGuard.containsProbableCardNumber(text))
        #expect(CardNumberGuard.findProbableCardNumber(in: .string(text)) == nil)
    }

    @Test("no SHA-256 hex digest is refused (5,000 digests; a digit-run rule without rule 3 refuses about 1 in 230)")
    func digestsAreAccepted() {
        for i in 0..<5_000 {
            var h = SHA256()
            h.update(Array("sealbook \(i)".utf8))
            let hex = h.finalize().hex
            #expect(!CardNumberGuard.containsProbableCardNumber(hex), "\(hex)")
        }
    }

    /// The committed corpus (Tests/SealbookCoreTests/Corpus/card-numbers.json): every category
    /// of hiding place, each case expected refused or accepted.
    static func corpus() throws -> [(name: String, data: JSONValue, refused: Bool)] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus/card-numbers.json")
        let v = try JSONParser.parse([UInt8](try Data(contentsOf: url)))
        return v["cases"]!.arrayValue!.map { c in
            (c["name"]!.stringValue!, c["data"]!, c["expect"]!.stringValue! == "refused")
        }
    }

    @Test("the committed corpus: each case refused or accepted as it says, never echoing the number")
    func corpusCases() throws {
        let cases = try Self.corpus()
        #expect(cases.count >= 100)
        #expect(cases.filter(\.refused).count >= 60)
        for c in cases {
            let hit = CardNumberGuard.findProbableCardNumber(in: c.data)
            #expect((hit != nil) == c.refused, "\(c.name): \(hit ?? "accepted")")
            if let hit {
                let digits = String(c.data.description.filter { $0.isASCII && $0.isNumber })
                #expect(!CardNumberGuard.message(at: hit).contains("4111"), "\(c.name)")
                #expect(digits.count < 4 || !CardNumberGuard.message(at: hit).contains(digits), "\(c.name)")
            }
        }
    }

    @Test("the whole body is checked: stream, idem, actor, type, ledger and data, at signing")
    func bodyMembers() throws {
        let key = Ed25519.PrivateKey()
        func body(stream: String = "s/1", actor: String = "alice@fingood", idem: String? = nil, data: JSONObject = [:])
            throws -> EventBody
        {
            try EventBody(
                ledger: "l", stream: stream, streamSeq: 1, streamPrev: .zero, type: "custom.note",
                time: "2026-01-01T00:00:00.000Z", actor: actor, key: key.publicKey.keyID, data: data, idem: idem)
        }
        for (b, path) in [
            (try body(stream: "card/4111.1111.1111.1111"), "stream"), (try body(idem: "4111 1111 1111 1111"), "idem"),
            (try body(actor: "4111.1111.1111.1111@fingood"), "actor"),
            (try body(data: ["argv": ["psql", "-c", "select 4111_1111_1111_1111"]]), "data.argv[2]"),
        ] {
            do {
                _ = try SignedEvent(signing: b, with: key)
                Issue.record("signed a body holding a card number in \(path)")
            } catch {
                #expect(error.kind == .cardNumber && error.path == path, "\(error)")
                #expect(!error.description.contains("4111"))
            }
        }
        _ = try SignedEvent(signing: try body(stream: "session/2024_01_15_add_fee_index.3f9a1c2e"), with: key)
    }

    @Test("random hex digests, UUIDs and base64 keys pass (20,000 each)")
    func randomIdentifiersPass() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let hex = Hex.encode(bytes)
            #expect(!CardNumberGuard.containsProbableCardNumber(hex), "\(hex)")
            let b64 = Base64.encode(bytes)
            #expect(!CardNumberGuard.containsProbableCardNumber(b64), "\(b64)")
            let uuid = UUID().uuidString.lowercased()
            #expect(!CardNumberGuard.containsProbableCardNumber(uuid), "\(uuid)")
            #expect(!CardNumberGuard.containsProbableCardNumber(uuid.uppercased()), "\(uuid)")
        }
    }

    @Test("integers of 13 to 19 digits that pass Luhn are card numbers; others are not")
    func integers() {
        #expect(CardNumberGuard.findProbableCardNumber(in: ["amount": 4_111_111_111_111_111]) == "data.amount")
        #expect(CardNumberGuard.findProbableCardNumber(in: ["amount": -4_111_111_111_111_111]) == "data.amount")
        #expect(CardNumberGuard.findProbableCardNumber(in: ["n": 4_222_222_222_222]) == "data.n")
        #expect(CardNumberGuard.findProbableCardNumber(in: ["n": 4_111_111_111_111_112]) == nil)  // fails Luhn
        #expect(CardNumberGuard.findProbableCardNumber(in: ["n": 411_111_111_111]) == nil)  // 12 digits
        #expect(CardNumberGuard.findProbableCardNumber(in: ["n": 0]) == nil)
        #expect(
            CardNumberGuard.findProbableCardNumber(in: ["n": .number(JSONNumber(4_111_111_111_111_111.0))]) == "data.n")
    }

    @Test("the path names where the number is: nested members, arrays, member names")
    func paths() {
        let data: JSONValue = [
            "ok": "fine",
            "evidence": ["query": "select 1", "note": ["first", "card 5500-0000-0000-0004"]],
        ]
        #expect(CardNumberGuard.findProbableCardNumber(in: data) == "data.evidence.note[1]")
        #expect(CardNumberGuard.findProbableCardNumber(in: data, path: "body.data") == "body.data.evidence.note[1]")
        #expect(CardNumberGuard.findProbableCardNumber(in: ["list": [1, 2, "378282246310005"]]) == "data.list[2]")
        #expect(
            CardNumberGuard.findProbableCardNumber(in: [["a": ["b c": "6011111111111117"]]]) == #"data[0].a["b c"]"#)
        // In a member name, the path never repeats the name.
        #expect(
            CardNumberGuard.findProbableCardNumber(in: ["4111 1111 1111 1111": "x"]) == "data (the name of member 1)")
        #expect(
            CardNumberGuard.findProbableCardNumber(in: ["evidence": ["a": "b", "pan 4111111111111111": true]])
                == "data.evidence (the name of member 2)")
        // The first hit in document order.
        #expect(
            CardNumberGuard.findProbableCardNumber(in: ["a": "4111111111111111", "b": "6011111111111117"]) == "data.a")
        #expect(CardNumberGuard.findProbableCardNumber(in: ["a": ["x": 1], "b": [nil, true, 5]]) == nil)
    }

    @Test("the message names the path and the rule, never the number")
    func message() {
        #expect(
            CardNumberGuard.message(at: "data.note")
                == "data.note: looks like a payment card number (PCI DSS 3.5.1): not recorded")
        for pan in Self.pans {
            let path = CardNumberGuard.findProbableCardNumber(in: [pan: ["note": .string(pan)]]) ?? ""
            let text = CardNumberGuard.message(at: path)
            let digits = pan.filter(\.isNumber)
            #expect(
                !text.contains(digits) && !text.contains(pan) && !text.contains(String(digits.suffix(4))), "\(text)")
        }
    }

    @Test(
        "Luhn check",
        arguments: [
            ("79927398713", true), ("79927398710", false), ("0", true), ("18", true), ("4111111111111111", true),
            ("4111111111111110", false),
        ])
    func luhn(number: String, valid: Bool) {
        #expect(CardNumberGuard.passesLuhn(number.utf8.map { $0 - 0x30 }) == valid)
    }
}
