// Signed notes, verifier keys, checkpoints, cosignatures and tlog proofs (c2sp.org/signed-note,
// c2sp.org/tlog-checkpoint, c2sp.org/tlog-cosignature, c2sp.org/tlog-proof) against the
// examples in signed-note/signed_note_examples.json and the specifications' own examples (read
// in place from the vector folder, see Ed25519VectorTests.swift), plus one test per malformed
// input.

import Foundation
import SealbookCore
import Testing

// MARK: - Reading the vectors

struct NoteExamplesFile: Decodable {
    struct Check: Decodable {
        let keyIdMatchesSpecFormula: Bool?
        let keyIdInSignature: String
        let signatureVerifies: Bool
        let publicKeyHex: String
    }
    struct CheckpointFields: Decodable {
        let origin: String
        let treeSize: UInt64
        let rootHashBase64: String
    }
    struct Additional: Decodable {
        let verifierKey: String
        let signatureLine: String
        let check: Check
    }
    struct Example: Decodable, Sendable, CustomTestStringConvertible {
        let id: String
        let verifierKey: String?
        let verifierKeys: [String]?
        let noteText: String
        let signatureLines: [String]
        let signedNote: String
        let check: Check?
        let signerKey: String?
        let checkpoint: CheckpointFields?
        let additionalSignatures: [Additional]?

        var testDescription: String { id }
        /// Every vkey the example names.
        var allVerifierKeys: [String] {
            (verifierKey.map { [$0] } ?? []) + (verifierKeys ?? []) + (additionalSignatures ?? []).map(\.verifierKey)
        }
    }
    let examples: [Example]

    static let file = SealbookVectors.decode(NoteExamplesFile.self, "signed-note/signed_note_examples.json")
    static var examples: [Example] { file?.examples ?? [] }
    static func example(_ id: String) throws -> Example {
        try #require(examples.first { $0.id == id }, "example \(id) not found under \(SealbookVectors.directory.path)")
    }
}

extension NoteExamplesFile.Check: Sendable {}
extension NoteExamplesFile.CheckpointFields: Sendable {}
extension NoteExamplesFile.Additional: Sendable {}

/// The first fenced code block of a specification under `signed-note/spec/`.
func specExample(_ file: String) throws -> String {
    let text = try String(contentsOf: SealbookVectors.url("signed-note/spec/\(file)"), encoding: .utf8)
    let parts = text.components(separatedBy: "```\n")
    try #require(parts.count >= 3, "no code block in \(file)")
    return parts[1]
}

/// Key IDs, as 8 hex digits, from the definition (independent of the library's key ID code).
func specKeyID(name: String, type: UInt8, publicKey: [UInt8]) -> String {
    edHex(SHA256.hash(Array(name.utf8) + [0x0A, type] + publicKey).bytes.prefix(4))
}

func keyIDHex(_ id: UInt32) -> String { String(format: "%08x", id) }

/// A fixed test key (not from any vector).
func testKey(_ byte: UInt8) -> Ed25519.PrivateKey { try! Ed25519.PrivateKey(seed: [UInt8](repeating: byte, count: 32)) }

// MARK: - The examples file

@Suite("Notes: signed_note_examples.json")
struct NoteExampleTests {
    @Test("the file holds the 6 examples")
    func present() {
        #expect(
            NoteExamplesFile.examples.map(\.id) == [
                "c2sp-signed-note-spec-example", "golang-mod-note-PeterNeumann", "golang-mod-note-EnochRoot",
                "golang-mod-note-two-signatures", "sum.golang.org-real-checkpoint", "c2sp-tlog-checkpoint-spec-example",
            ], "examples not found under \(SealbookVectors.directory.path)")
    }

    @Test("every vkey parses, its key ID is SHA-256(name || 0x0A || 0x01 || key)[:4], and it renders back", arguments: NoteExamplesFile.examples)
    func verifierKeys(_ e: NoteExamplesFile.Example) throws {
        for vkey in e.allVerifierKeys {
            let v = try NoteVerifier(vkey: vkey)
            #expect(v.vkey == vkey)
            #expect(v.type == .ed25519)
            #expect(keyIDHex(v.keyID) == specKeyID(name: v.name, type: 0x01, publicKey: v.publicKey.rawRepresentation))
            #expect(try NoteVerifier(name: v.name, publicKey: v.publicKey) == v)
        }
        if let check = e.check, let vkey = e.verifierKey {
            let v = try NoteVerifier(vkey: vkey)
            #expect(keyIDHex(v.keyID) == check.keyIdInSignature)
            #expect(edHex(v.publicKey.rawRepresentation) == check.publicKeyHex)
        }
        for a in e.additionalSignatures ?? [] {
            let v = try NoteVerifier(vkey: a.verifierKey)
            #expect(keyIDHex(v.keyID) == a.check.keyIdInSignature)
            #expect(edHex(v.publicKey.rawRepresentation) == a.check.publicKeyHex)
        }
    }

    @Test("every note parses into its text and signature lines and renders back byte for byte", arguments: NoteExamplesFile.examples)
    func parseAndRender(_ e: NoteExamplesFile.Example) throws {
        let note = try SignedNote(parsing: e.signedNote)
        #expect(note.text == e.noteText)
        #expect(Array(note.text.utf8) == Array(e.noteText.utf8))
        #expect(note.signatures.map(\.line) == e.signatureLines)
        #expect(Array(note.serialized.utf8) == Array(e.signedNote.utf8))
        #expect(try SignedNote(parsing: Array(e.signedNote.utf8)) == note)
        #expect(try SignedNote(text: e.noteText, signatures: note.signatures) == note)
    }

    @Test("every signature verifies with its vkey; a flipped signature byte is refused", arguments: NoteExamplesFile.examples)
    func verifies(_ e: NoteExamplesFile.Example) throws {
        let keys = try e.allVerifierKeys.map(NoteVerifier.init(vkey:))
        var note = try SignedNote(parsing: e.signedNote)
        for a in e.additionalSignatures ?? [] {
            try note.add(SignedNote(parsing: e.noteText + "\n" + a.signatureLine + "\n").signatures[0])
        }
        guard !keys.isEmpty else {
            // The tlog-checkpoint example publishes no key: nothing is known, so nothing verifies.
            #expect(throws: NoteError.noKnownSignature) { try note.verify(using: []) }
            return
        }
        #expect(try note.verify(using: keys) == keys)
        #expect(e.check?.signatureVerifies ?? true)
        let allVerifiedWhenGathered = (e.additionalSignatures ?? []).allSatisfy { $0.check.signatureVerifies }
        #expect(allVerifiedWhenGathered)
        for (i, s) in note.signatures.enumerated() {
            var bytes = s.signature
            bytes[i % bytes.count] ^= 0x01
            var bad = note
            try bad.add(NoteSignature(name: s.name, keyID: s.keyID, signature: bytes))
            #expect(throws: NoteError.invalidSignature(name: s.name, keyID: s.keyID)) { try bad.verify(using: keys) }
        }
    }

    @Test("the PeterNeumann signer key reproduces its signature line byte for byte")
    func peterNeumannSigner() throws {
        let e = try NoteExamplesFile.example("golang-mod-note-PeterNeumann")
        // Go's signer key format: PRIVATE+KEY+<name>+<key ID>+base64(0x01 || seed).
        let parts = try #require(e.signerKey).split(separator: "+", maxSplits: 4).map(String.init)
        try #require(parts.count == 5 && parts[0] == "PRIVATE" && parts[1] == "KEY")
        let raw = try #require(Data(base64Encoded: parts[4]))
        #expect(raw.count == 33 && raw.first == 0x01)
        let signer = try NoteSigner(name: parts[2], privateKey: Ed25519.PrivateKey(seed: raw.dropFirst()))
        #expect(signer.verifier.vkey == e.verifierKey)
        #expect(keyIDHex(signer.verifier.keyID) == parts[3])
        let signature = try signer.signature(for: e.noteText)
        #expect(Array(signature.line.utf8) == Array(e.signatureLines[0].utf8))
        let note = try SignedNote(text: e.noteText, signatures: [signature])
        #expect(Array(note.serialized.utf8) == Array(e.signedNote.utf8))
        #expect(!signer.description.contains(parts[4]))
    }

    @Test("a note with two signatures: each key alone, both, or neither")
    func twoSignatures() throws {
        let e = try NoteExamplesFile.example("golang-mod-note-two-signatures")
        let keys = try #require(e.verifierKeys).map(NoteVerifier.init(vkey:))
        let (peter, enoch) = (keys[0], keys[1])
        let note = try SignedNote(parsing: e.signedNote)
        #expect(note.signatures.count == 2)
        #expect(try note.verify(using: [peter]) == [peter])
        #expect(try note.verify(using: [enoch]) == [enoch])
        #expect(try note.verify(using: [enoch, peter]) == [peter, enoch])
        #expect(throws: NoteError.noKnownSignature) { try note.verify(using: []) }
        // The same key listed twice is not ambiguous.
        #expect(try note.verify(using: [peter, peter]) == [peter])
    }

    @Test("the sum.golang.org checkpoint: its production key and 3 test cosignatures verify; its checkpoint parses")
    func sumGolangOrg() throws {
        let e = try NoteExamplesFile.example("sum.golang.org-real-checkpoint")
        let extra = try #require(e.additionalSignatures)
        #expect(extra.count == 3)
        // The key's base64 holds '+': split on the first two only.
        #expect(try #require(e.verifierKey).split(separator: "+").count > 3)
        let text = e.signedNote + extra.map { $0.signatureLine + "\n" }.joined()
        let note = try SignedNote(parsing: text)
        #expect(note.serialized == text)
        let sum = try NoteVerifier(vkey: try #require(e.verifierKey))
        let witnesses = try extra.map { try NoteVerifier(vkey: $0.verifierKey) }
        #expect(try note.verify(using: [sum]) == [sum])
        #expect(try note.verify(using: witnesses) == witnesses)
        #expect(try note.verify(using: witnesses.reversed() + [sum]) == [sum] + witnesses)
        let fields = try #require(e.checkpoint)
        let checkpoint = try Checkpoint(text: note.text)
        #expect(checkpoint.origin == fields.origin)
        #expect(checkpoint.size == fields.treeSize)
        #expect(Base64.encode(checkpoint.rootHash.bytes) == fields.rootHashBase64)
        #expect(checkpoint.extensionLines.isEmpty)
        #expect(checkpoint.text == note.text)
        // The key name is not the origin; tlog-checkpoint only recommends that they match.
        #expect(sum.name != checkpoint.origin)
    }

    @Test("the tlog-checkpoint example parses; a known key ID under another name is ignored")
    func checkpointSpecExample() throws {
        let e = try NoteExamplesFile.example("c2sp-tlog-checkpoint-spec-example")
        let note = try SignedNote(parsing: e.signedNote)
        let checkpoint = try Checkpoint(text: note.text)
        let fields = try #require(e.checkpoint)
        #expect(checkpoint.origin == fields.origin && checkpoint.size == fields.treeSize)
        #expect(Base64.encode(checkpoint.rootHash.bytes) == fields.rootHashBase64)
        // Its signature carries sum.golang.org's key ID (033de0ae) under another name: unknown.
        let sum = try NoteVerifier(vkey: try NoteExamplesFile.example("sum.golang.org-real-checkpoint").verifierKey ?? "")
        #expect(note.signatures[0].keyID == sum.keyID)
        #expect(throws: NoteError.noKnownSignature) { try note.verify(using: [sum]) }
    }
}

// MARK: - Verification rules

@Suite("Notes: verification rules (c2sp.org/signed-note)")
struct NoteVerificationTests {
    static let text = "sealbook test note\nline two\n"

    @Test("a known key whose signature fails refuses the whole note, even when another known key verifies")
    func knownKeyFails() throws {
        let a = try NoteSigner(name: "a.example/log", privateKey: testKey(1))
        let b = try NoteSigner(name: "b.example/log", privateKey: testKey(2))
        var note = try SignedNote(text: Self.text)
        try note.add(a.signature(for: Self.text))
        // b's signature over another text.
        try note.add(b.signature(for: "another text\n"))
        #expect(throws: NoteError.invalidSignature(name: b.verifier.name, keyID: b.verifier.keyID)) {
            try note.verify(using: [a.verifier, b.verifier])
        }
        #expect(try note.verify(using: [a.verifier]) == [a.verifier])
    }

    @Test("same name with another key ID, or same key ID under another name, is an unknown key and ignored")
    func unknownKeys() throws {
        let a = try NoteSigner(name: "a.example/log", privateKey: testKey(1))
        let s = try a.signature(for: Self.text)
        let otherID = try NoteSignature(name: s.name, keyID: s.keyID ^ 1, signature: s.signature)
        let otherName = try NoteSignature(name: "a.example/log2", keyID: s.keyID, signature: s.signature)
        let note = try SignedNote(text: Self.text, signatures: [otherID, otherName, s])
        #expect(try note.verify(using: [a.verifier]) == [a.verifier])
        let onlyUnknown = try SignedNote(text: Self.text, signatures: [otherID, otherName])
        #expect(throws: NoteError.noKnownSignature) { try onlyUnknown.verify(using: [a.verifier]) }
        // Kept, and rendered, although unknown.
        #expect(try SignedNote(parsing: onlyUnknown.serialized).signatures == [otherID, otherName])
    }

    @Test("names are matched byte for byte, not by Unicode equivalence")
    func exactNames() throws {
        let composed = "caf\u{E9}.example"  // é as one scalar
        let decomposed = "cafe\u{301}.example"  // e + combining acute
        #expect(composed == decomposed)  // Swift's String equality…
        let signer = try NoteSigner(name: composed, privateKey: testKey(3))
        let s = try signer.signature(for: Self.text)
        let lookalike = try NoteSignature(name: decomposed, keyID: s.keyID, signature: [1, 2, 3])
        // …but not to the note: the lookalike is an unknown key, not a failing known one.
        let note = try SignedNote(text: Self.text, signatures: [lookalike, s])
        #expect(try note.verify(using: [signer.verifier]) == [signer.verifier])
        #expect(note.signatures[0] != note.signatures[1])
        #expect(try SignedNote(text: Self.text, signatures: [lookalike]) != SignedNote(text: Self.text, signatures: [s]))
    }

    /// Seeds whose keys collide on the 32-bit key ID under the name a.example/log (0bbb4935),
    /// found by a search outside Swift (Python's `cryptography`, seeds = i as 32 big-endian bytes).
    static func collidingKey(_ i: UInt32) -> Ed25519.PrivateKey {
        try! Ed25519.PrivateKey(seed: [UInt8](repeating: 0, count: 28) + withUnsafeBytes(of: i.bigEndian) { Array($0) })
    }

    @Test("two different known keys with one name and key ID are ambiguous")
    func ambiguous() throws {
        let a = try NoteSigner(name: "a.example/log", privateKey: Self.collidingKey(8667))
        let b = try NoteVerifier(name: "a.example/log", publicKey: Self.collidingKey(176_506).publicKey)
        #expect(a.verifier.keyID == 0x0bbb_4935 && b.keyID == a.verifier.keyID)
        #expect(a.verifier != b)
        let note = try SignedNote(text: Self.text, signatures: [a.signature(for: Self.text)])
        #expect(try note.verify(using: [a.verifier]) == [a.verifier])
        #expect(throws: NoteError.ambiguousVerifiers(name: "a.example/log", keyID: 0x0bbb_4935)) {
            try note.verify(using: [a.verifier, b])
        }
        // The same key under both signature types has two key IDs: not ambiguous.
        let c = try NoteVerifier(name: "a.example/log", publicKey: a.verifier.publicKey, type: .cosignatureV1)
        #expect(c.keyID != a.verifier.keyID)
        #expect(try note.verify(using: [a.verifier, c]) == [a.verifier])
    }

    @Test("adding a signature by a key already present replaces it")
    func addReplaces() throws {
        let a = try NoteSigner(name: "a.example/log", privateKey: testKey(1))
        var note = try SignedNote(text: Self.text)
        let stale = try NoteSignature(name: a.verifier.name, keyID: a.verifier.keyID, signature: [9, 9, 9])
        try note.add(stale)
        try note.add(a.signature(for: Self.text))
        #expect(note.signatures.count == 1)
        #expect(try note.verify(using: [a.verifier]) == [a.verifier])
    }

    @Test("the text may hold empty lines: it ends at the last blank line (the signed-note specification's example)")
    func emptyLinesInText() throws {
        let example = try specExample("signed-note.md")
        let note = try SignedNote(parsing: example)
        #expect(note.text.hasPrefix("Ognuno sta solo"))
        #expect(note.text.contains("\n\ned è subito sera.\n"))
        #expect(note.signatures.map(\.name) == ["quasimodo.example/salvatore"])
        #expect(note.serialized == example)
        // Signing and verifying a text with empty lines, including at its end.
        let signer = try NoteSigner(name: "poet.example", privateKey: testKey(4))
        for text in [note.text, "a\n\nb\n", "a\n\n", "\n"] {
            let signed = try SignedNote(text: text, signatures: [signer.signature(for: text)])
            let parsed = try SignedNote(parsing: signed.serialized)
            #expect(parsed.text == text)
            #expect(try parsed.verify(using: [signer.verifier]) == [signer.verifier])
        }
    }
}

// MARK: - Malformed notes: one test per error

@Suite("Notes: malformed input is refused with a named error")
struct MalformedNoteTests {
    static let sig = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
    static let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    static var good: String { text + "\n" + sig + "\n" }

    @Test("the well-formed note these cases start from parses and verifies")
    func baseline() throws {
        let note = try SignedNote(parsing: Self.good)
        let v = try NoteVerifier(vkey: "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
        #expect(try note.verify(using: [v]) == [v])
    }

    @Test("over the size limit")
    func tooLarge() {
        let big = String(repeating: "a", count: SignedNote.maxBytes) + "\n\n" + Self.sig + "\n"
        #expect(throws: NoteError.tooLarge(bytes: big.utf8.count, limit: SignedNote.maxBytes)) { try SignedNote(parsing: big) }
        #expect(throws: NoteError.tooLarge(bytes: SignedNote.maxBytes + 1, limit: SignedNote.maxBytes)) {
            try SignedNote(text: String(repeating: "a", count: SignedNote.maxBytes) + "\n")
        }
    }

    @Test("not UTF-8")
    func notUTF8() {
        var bytes = Array(Self.good.utf8)
        bytes[3] = 0xFF
        #expect(throws: NoteError.invalidUTF8) { try SignedNote(parsing: bytes) }
        // A truncated multi-byte sequence (half an em dash).
        #expect(throws: NoteError.invalidUTF8) { try SignedNote(parsing: Array("a\n\n".utf8) + [0xE2, 0x80]) }
    }

    @Test("control characters other than newline, in the text or a signature line")
    func controlCharacters() {
        #expect(throws: NoteError.controlCharacter(offset: 2)) { try SignedNote(parsing: "ab\r\n\n" + Self.sig + "\n") }
        #expect(throws: NoteError.controlCharacter(offset: 1)) { try SignedNote(parsing: "a\tb\n\n" + Self.sig + "\n") }
        #expect(throws: NoteError.controlCharacter(offset: 0)) { try SignedNote(parsing: "\u{0}\n\n" + Self.sig + "\n") }
        let offset = Self.good.utf8.count - 2
        #expect(throws: NoteError.controlCharacter(offset: offset)) {
            try SignedNote(parsing: String(Self.good.dropLast(2)) + "\u{1B}\n")
        }
        #expect(throws: NoteError.controlCharacter(offset: 1)) { try SignedNote(text: "a\u{7}\n") }
        // DEL and C1 controls are not ASCII controls below U+0020: allowed.
        #expect(throws: Never.self) { try SignedNote(text: "a\u{7F}\u{85}\n") }
    }

    @Test("no blank line between text and signatures")
    func missingBlankLine() {
        #expect(throws: NoteError.missingBlankLine) { try SignedNote(parsing: Self.text + Self.sig + "\n") }
        #expect(throws: NoteError.missingBlankLine) { try SignedNote(parsing: "") }
        #expect(throws: NoteError.missingBlankLine) { try SignedNote(parsing: "\n") }
    }

    @Test("nothing after the blank line")
    func noSignatures() {
        #expect(throws: NoteError.noSignatures) { try SignedNote(parsing: Self.text + "\n") }
        #expect(throws: NoteError.noSignatures) { try SignedNote(parsing: Self.good + "\n") }
    }

    @Test("the last signature line lacks its newline")
    func missingFinalNewline() {
        #expect(throws: NoteError.missingFinalNewline) { try SignedNote(parsing: String(Self.good.dropLast())) }
    }

    @Test("a line that is not '— <name> <base64>'")
    func malformedSignatureLine() {
        for bad in [
            "- PeterNeumann x08go/ZJ=",  // hyphen, not em dash
            "—PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
            "— PeterNeumann",  // no signature
            "— PeterNeumann ",  // empty signature
            "– PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",  // en dash
        ] {
            #expect(throws: NoteError.malformedSignatureLine(line: 2), "\(bad)") {
                try SignedNote(parsing: Self.good + bad + "\n")
            }
        }
        // (An empty line cannot be a signature line: the text would end there.) A line of one space:
        #expect(throws: NoteError.malformedSignatureLine(line: 1)) { try SignedNote(parsing: Self.text + "\n \n") }
    }

    @Test("an invalid key name: '+', a Unicode space")
    func invalidKeyName() throws {
        let b64 = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
        #expect(throws: NoteError.invalidKeyName("Peter+Neumann")) {
            try SignedNote(parsing: Self.text + "\n— Peter+Neumann " + b64 + "\n")
        }
        #expect(throws: NoteError.invalidKeyName("Peter\u{A0}Neumann")) {
            try SignedNote(parsing: Self.text + "\n— Peter\u{A0}Neumann " + b64 + "\n")
        }
        #expect(throws: NoteError.invalidKeyName("Peter\u{2003}Neumann")) {
            try SignedNote(parsing: Self.text + "\n— Peter\u{2003}Neumann " + b64 + "\n")
        }
        // Two spaces: the name is empty.
        #expect(throws: NoteError.invalidKeyName("")) { try SignedNote(parsing: Self.text + "\n—  " + b64 + "\n") }
        for name in ["", "a b", "a+b", "a\u{3000}b", "a\nb", "a\u{1}b"] {
            #expect(throws: NoteError.invalidKeyName(name)) { try NoteSigner(name: name, privateKey: testKey(1)) }
            #expect(throws: NoteError.invalidKeyName(name)) { try NoteSignature(name: name, keyID: 1, signature: [1]) }
        }
    }

    @Test("base64 that is not canonical standard base64")
    func invalidBase64() {
        for bad in [
            "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM",  // no padding
            "x08go_ZJkuBS9UG_SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",  // URL-safe
            "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAN=",  // stray bits
            "x08go/ZJkuBS9UG/ SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",  // a space
            "!!!!",
        ] {
            #expect(throws: NoteError.invalidBase64(line: 1), "\(bad)") {
                try SignedNote(parsing: Self.text + "\n— PeterNeumann " + bad + "\n")
            }
        }
    }

    @Test("a signature shorter than key ID + 1 byte")
    func signatureTooShort() {
        #expect(throws: NoteError.signatureTooShort(line: 1)) {
            try SignedNote(parsing: Self.text + "\n— PeterNeumann " + Base64.encode([1, 2, 3, 4]) + "\n")
        }
        #expect(throws: NoteError.signatureTooShort(line: 0)) { try NoteSignature(name: "a", keyID: 1, signature: []) }
        #expect(throws: Never.self) { try SignedNote(parsing: Self.text + "\n— a " + Base64.encode([1, 2, 3, 4, 5]) + "\n") }
    }

    @Test("more than 100 signatures")
    func tooManySignatures() throws {
        let lines = (0...SignedNote.maxSignatures).map { "— k\($0) " + Base64.encode([0, 0, 0, 1, UInt8($0 % 256)]) + "\n" }
        #expect(throws: NoteError.tooManySignatures(limit: 100)) { try SignedNote(parsing: Self.text + "\n" + lines.joined()) }
        // 100 are fine.
        #expect(try SignedNote(parsing: Self.text + "\n" + lines.dropLast().joined()).signatures.count == 100)
        var note = try SignedNote(parsing: Self.text + "\n" + lines.dropLast().joined())
        #expect(throws: NoteError.tooManySignatures(limit: 100)) {
            try note.add(NoteSignature(name: "one-more", keyID: 1, signature: [1]))
        }
    }

    @Test("two signatures with the same name and key ID")
    func duplicateSignature() throws {
        #expect(throws: NoteError.duplicateSignature(name: "PeterNeumann", keyID: 0xc74f_20a3)) {
            try SignedNote(parsing: Self.good + Self.sig + "\n")
        }
        let other = "— PeterNeumann " + Base64.encode([0xc7, 0x4f, 0x20, 0xa3, 1, 2, 3]) + "\n"
        #expect(throws: NoteError.duplicateSignature(name: "PeterNeumann", keyID: 0xc74f_20a3)) {
            try SignedNote(parsing: Self.good + other)
        }
        let s = try SignedNote(parsing: Self.good).signatures[0]
        #expect(throws: NoteError.duplicateSignature(name: "PeterNeumann", keyID: 0xc74f_20a3)) {
            try SignedNote(text: Self.text, signatures: [s, s])
        }
    }

    @Test("a text that is empty or lacks its final newline")
    func textNotNewlineTerminated() throws {
        #expect(throws: NoteError.textNotNewlineTerminated) { try SignedNote(text: "") }
        #expect(throws: NoteError.textNotNewlineTerminated) { try SignedNote(text: "no newline") }
        let signer = try NoteSigner(name: "a", privateKey: testKey(1))
        #expect(throws: NoteError.textNotNewlineTerminated) { try signer.signature(for: "no newline") }
    }
}

// MARK: - Verifier keys

@Suite("Notes: verifier keys")
struct VerifierKeyTests {
    static let peter = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"

    @Test("made from a name and a public key, and formatted, as the spec computes")
    func make() throws {
        let key = testKey(7)
        let v = try NoteVerifier(name: "log.example/sealbook", publicKey: key.publicKey)
        let hex = specKeyID(name: "log.example/sealbook", type: 0x01, publicKey: key.publicKey.rawRepresentation)
        #expect(v.vkey == "log.example/sealbook+" + hex + "+" + Base64.encode([0x01] + key.publicKey.rawRepresentation))
        #expect(try NoteVerifier(vkey: v.vkey) == v)
        #expect(v.description == v.vkey)
    }

    @Test("vkeys from transparency-dev/formats' tests: a 0x01 key whose base64 holds '+', a native 0x04 cosignature key")
    func transparencyDevKeys() throws {
        let ed = try NoteVerifier(vkey: "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6")
        #expect(ed.name == "TEST" && ed.type == .ed25519 && ed.keyID == 0x7997_405c)
        let cosig = try NoteVerifier(vkey: "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2")
        #expect(cosig.type == .cosignatureV1 && cosig.keyID == 0xda77_ade7)
        #expect(keyIDHex(cosig.keyID) == specKeyID(name: cosig.name, type: 0x04, publicKey: cosig.publicKey.rawRepresentation))
    }

    @Test("malformed vkeys are refused with a reason")
    func malformed() throws {
        let raw = try #require(Base64.decode("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"))
        let cases: [(String, NoteError)] = [
            ("PeterNeumann+c74f20a3", .malformedVerifierKey("expected <name>+<key ID>+<key>")),
            ("PeterNeumann", .malformedVerifierKey("expected <name>+<key ID>+<key>")),
            ("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", .malformedVerifierKey("the key ID must be 8 lowercase hex digits")),
            ("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", .malformedVerifierKey("the key ID must be 8 lowercase hex digits")),
            ("PeterNeumann+c74f20ag+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", .malformedVerifierKey("the key ID must be 8 lowercase hex digits")),
            ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", .malformedVerifierKey("the key is not canonical standard base64")),
            ("PeterNeumann+c74f20a3+", .malformedVerifierKey("the key is empty")),
            ("PeterNeumann+c74f20a3+" + Base64.encode(raw.dropLast()), .malformedVerifierKey("an Ed25519 key is 32 bytes, got 31")),
            ("PeterNeumann+c74f20a3+" + Base64.encode([0x02] + raw.dropFirst()), .unsupportedKeyType(0x02)),
            ("PeterNeumann+c74f20a3+" + Base64.encode([0x06] + raw.dropFirst()), .unsupportedKeyType(0x06)),
            ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", .keyIDMismatch(stated: 0xc74f_20a4, computed: 0xc74f_20a3)),
            ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", .invalidKeyName("Peter Neumann")),
            ("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", .invalidKeyName("")),
        ]
        for (vkey, error) in cases {
            #expect(throws: error, "\(vkey)") { try NoteVerifier(vkey: vkey) }
        }
        #expect(throws: Never.self) { try NoteVerifier(vkey: Self.peter) }
    }
}

// MARK: - Checkpoints

@Suite("Notes: checkpoints (c2sp.org/tlog-checkpoint)")
struct CheckpointTests {
    static let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="

    @Test("built from parts, rendered, parsed back; extension lines kept")
    func roundTrip() throws {
        let root = try #require(Digest32(bytes: Base64.decode(Self.root) ?? []))
        for (size, ext) in [(UInt64(0), [String]()), (20_852_163, []), (UInt64(Int64.max), ["ext one", "— two"])] {
            let c = try Checkpoint(origin: "example.com/behind-the-sofa", size: size, rootHash: root, extensionLines: ext)
            let text = "example.com/behind-the-sofa\n\(size)\n\(Self.root)\n" + ext.map { $0 + "\n" }.joined()
            #expect(c.text == text)
            #expect(try Checkpoint(text: text) == c)
        }
    }

    @Test("malformed checkpoint texts are refused with a named error")
    func malformed() throws {
        let cases: [(String, NoteError)] = [
            ("origin\n5\n", .checkpointTooShort),
            ("origin\n", .checkpointTooShort),
            ("\n5\n\(Self.root)\n", .invalidOrigin),
            ("origin\n05\n\(Self.root)\n", .invalidTreeSize("05")),
            ("origin\n-1\n\(Self.root)\n", .invalidTreeSize("-1")),
            ("origin\n+1\n\(Self.root)\n", .invalidTreeSize("+1")),
            ("origin\n1 \n\(Self.root)\n", .invalidTreeSize("1 ")),
            ("origin\n\n\(Self.root)\n", .invalidTreeSize("")),
            ("origin\n9223372036854775808\n\(Self.root)\n", .invalidTreeSize("9223372036854775808")),
            ("origin\n18446744073709551616\n\(Self.root)\n", .invalidTreeSize("18446744073709551616")),
            ("origin\n5\nnot base64\n", .invalidRootHash),
            ("origin\n5\n\(Base64.encode([UInt8](repeating: 1, count: 31)))\n", .invalidRootHash),
            ("origin\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n", .invalidRootHash),
            ("origin\n5\n\(Self.root)\n\n", .invalidExtensionLine(0)),
            ("origin\n5\n\(Self.root)\next\n\nmore\n", .invalidExtensionLine(1)),
            ("origin\n5\n\(Self.root)", .textNotNewlineTerminated),
            ("origin\n5\r\n\(Self.root)\n", .controlCharacter(offset: 8)),
        ]
        for (text, error) in cases {
            #expect(throws: error, "\(text)") { try Checkpoint(text: text) }
        }
        #expect(try Checkpoint(text: "o\n0\n\(Self.root)\n").size == 0)
        #expect(try Checkpoint(text: "o\n9223372036854775807\n\(Self.root)\n").size == UInt64(Int64.max))
    }

    @Test("invalid parts are refused")
    func invalidParts() {
        #expect(throws: NoteError.invalidOrigin) { try Checkpoint(origin: "", size: 1, rootHash: .zero) }
        #expect(throws: NoteError.invalidOrigin) { try Checkpoint(origin: "a\nb", size: 1, rootHash: .zero) }
        #expect(throws: NoteError.invalidTreeSize("9223372036854775808")) {
            try Checkpoint(origin: "a", size: UInt64(Int64.max) + 1, rootHash: .zero)
        }
        #expect(throws: NoteError.invalidExtensionLine(1)) {
            try Checkpoint(origin: "a", size: 1, rootHash: .zero, extensionLines: ["ok", ""])
        }
        #expect(throws: NoteError.invalidExtensionLine(0)) {
            try Checkpoint(origin: "a", size: 1, rootHash: .zero, extensionLines: ["two\nlines"])
        }
    }

    @Test("a log signs a checkpoint of a Merkle tree, and the note verifies and parses back to it")
    func signAndVerify() throws {
        let tree = MerkleTree(leafHashes: (0..<10).map { Merkle.leafHash(SHA256.hash([UInt8($0)])) })
        let log = try NoteSigner(name: "log.example/sealbook", privateKey: testKey(9))
        let checkpoint = try Checkpoint(origin: "log.example/sealbook", size: tree.size, rootHash: tree.root)
        let note = try SignedNote(text: checkpoint.text, signatures: [log.signature(for: checkpoint.text)])
        let parsed = try SignedNote(parsing: note.serialized)
        #expect(try parsed.verify(using: [log.verifier]) == [log.verifier])
        #expect(try Checkpoint(text: parsed.text) == checkpoint)
    }
}

// MARK: - Cosignatures

@Suite("Notes: cosignatures (c2sp.org/tlog-cosignature, cosignature/v1)")
struct CosignatureTests {
    static let checkpointText = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"

    /// Computed outside Swift with Python's `cryptography` (an independent Ed25519), from the
    /// spec's definition: seed bytes 0…31, name witness.example/w1, the spec's checkpoint, time
    /// 1679315147:
    /// key ID = sha256(name + b"\n" + b"\x04" + pk)[:4];
    /// line = "— " + name + " " + b64(keyID + u64be(t) + sign(b"cosignature/v1\ntime %d\n" % t + text)).
    static let pythonVKey = "witness.example/w1+e75f6532+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"
    static let pythonLine =
        "— witness.example/w1 519lMgAAAABkGFDLBuRDazBLVac2NE+Y+IjbjQOcXLfF9CSDZVUIoS83rE1nFZsVE8YiWV6Ngr7lV8H6bdoBQGP/l73euDMQ9k+bBQ=="

    static var witness: Cosigner { try! Cosigner(name: "witness.example/w1", privateKey: Ed25519.PrivateKey(seed: Array(0..<32))) }

    @Test("key ID with type 0x04, vkey of type 0x04; not the 0x01 key ID of the same key")
    func keys() throws {
        let w = Self.witness
        let pk = w.verifier.publicKey.rawRepresentation
        #expect(keyIDHex(w.verifier.keyID) == specKeyID(name: "witness.example/w1", type: 0x04, publicKey: pk))
        #expect(w.verifier.type == .cosignatureV1)
        #expect(Base64.decode(String(w.verifier.vkey.split(separator: "+", maxSplits: 2)[2]))?.first == 0x04)
        #expect(w.verifier.vkey == Self.pythonVKey)
        #expect(try NoteVerifier(vkey: Self.pythonVKey) == w.verifier)
        let plain = try NoteVerifier(name: "witness.example/w1", publicKey: w.verifier.publicKey)
        #expect(plain.keyID != w.verifier.keyID)
        #expect(!w.description.contains(edHex(Array(0..<32) as [UInt8])))
    }

    @Test("the cosignature reproduces the independently computed line, and its message is as specified")
    func reproduce() throws {
        let checkpoint = try Checkpoint(text: Self.checkpointText)
        let s = try Self.witness.cosignature(for: checkpoint, timestamp: 1_679_315_147)
        #expect(Array(s.line.utf8) == Array(Self.pythonLine.utf8))
        #expect(s.cosignatureTimestamp == 1_679_315_147)
        #expect(s.signature.count == 72)
        // The message, spelled out: header line, time line, the whole checkpoint text.
        let message = Array("cosignature/v1\ntime 1679315147\n".utf8) + Array(Self.checkpointText.utf8)
        #expect(Cosigner.message(timestamp: 1_679_315_147, checkpointText: Self.checkpointText) == message)
        #expect(Self.witness.verifier.publicKey.isValidSignature(s.signature.dropFirst(8), for: message))
    }

    @Test("the specification's example cosignature: key ID and timestamp 1679315147, as its message example says")
    func specExampleLine() throws {
        let example = try specExample("tlog-cosignature.md")
        let note = try SignedNote(parsing: example)
        #expect(note.text == Self.checkpointText)
        let w = try #require(note.signatures.first { $0.name == "witness.example.com/w1" })
        #expect(w.keyID == 0x8d66_cf3f)
        #expect(w.cosignatureTimestamp == 1_679_315_147)
        // The log's own signature is not a cosignature.
        #expect(note.signatures[0].cosignatureTimestamp == nil)
        // transparency-dev/formats' timestamp example (note_cosigv1_test.go).
        let t = try SignedNote(
            parsing: "x\n\n— w ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==\n")
        #expect(t.signatures[0].keyID == 0x6468_46b9)
        #expect(t.signatures[0].cosignatureTimestamp == 1_727_964_367)
    }

    @Test("a log-signed checkpoint with a cosignature verifies for the log and the witness; time is read back")
    func cosignedCheckpoint() throws {
        let log = try NoteSigner(name: "example.com/behind-the-sofa", privateKey: testKey(21))
        let checkpoint = try Checkpoint(text: Self.checkpointText)
        var note = try SignedNote(text: checkpoint.text, signatures: [log.signature(for: checkpoint.text)])
        try note.add(Self.witness.cosignature(for: checkpoint, timestamp: 1_700_000_000))
        let parsed = try SignedNote(parsing: note.serialized)
        #expect(try parsed.verify(using: [log.verifier, Self.witness.verifier]) == [log.verifier, Self.witness.verifier])
        #expect(try parsed.verify(using: [Self.witness.verifier]) == [Self.witness.verifier])
        #expect(parsed.signatures[1].cosignatureTimestamp == 1_700_000_000)
        // The same key as a plain Ed25519 verifier does not know the cosignature (other key ID).
        let plain = try NoteVerifier(name: "witness.example/w1", publicKey: Self.witness.verifier.publicKey)
        #expect(throws: NoteError.noKnownSignature) { try parsed.verify(using: [plain]) }
    }

    @Test("changed time, changed extension line, or a plain signature under the cosigner key ID all fail")
    func tampering() throws {
        let w = Self.witness
        let checkpoint = try Checkpoint(
            origin: "example.com/log", size: 5, rootHash: Merkle.emptyRoot, extensionLines: ["extension"])
        let s = try w.cosignature(for: checkpoint, timestamp: 42)
        #expect(w.verifier.isValidSignature(s, text: checkpoint.text))
        var later = s.signature
        later[7] ^= 1
        let laterSig = try NoteSignature(name: s.name, keyID: s.keyID, signature: later)
        #expect(!w.verifier.isValidSignature(laterSig, text: checkpoint.text))
        let changed = try Checkpoint(origin: "example.com/log", size: 5, rootHash: Merkle.emptyRoot, extensionLines: ["extensioN"])
        #expect(!w.verifier.isValidSignature(s, text: changed.text))
        let note = try SignedNote(text: changed.text, signatures: [s])
        #expect(throws: NoteError.invalidSignature(name: s.name, keyID: s.keyID)) { try note.verify(using: [w.verifier]) }
        // An Ed25519 note signature (no timestamp) under the cosigner's name and ID is refused.
        let key = try Ed25519.PrivateKey(seed: Array(0..<32))
        let plain = try NoteSignature(name: s.name, keyID: s.keyID, signature: key.signature(for: Array(checkpoint.text.utf8)))
        #expect(!w.verifier.isValidSignature(plain, text: checkpoint.text))
    }

    @Test("timestamps over 2^63-1 are refused when signing and when verifying")
    func timestampLimit() throws {
        let w = Self.witness
        let checkpoint = try Checkpoint(text: Self.checkpointText)
        #expect(throws: NoteError.timestampTooLarge(UInt64(Int64.max) + 1)) {
            try w.cosignature(for: checkpoint, timestamp: UInt64(Int64.max) + 1)
        }
        #expect(throws: Never.self) { try w.cosignature(for: checkpoint, timestamp: UInt64(Int64.max)) }
        // A correctly signed message with a too-large time does not verify.
        let t = UInt64(1) << 63
        let key = try Ed25519.PrivateKey(seed: Array(0..<32))
        let sig = withUnsafeBytes(of: t.bigEndian) { Array($0) } + key.signature(for: Cosigner.message(timestamp: t, checkpointText: Self.checkpointText))
        let s = try NoteSignature(name: w.verifier.name, keyID: w.verifier.keyID, signature: sig)
        #expect(!w.verifier.isValidSignature(s, text: Self.checkpointText))
    }
}

// MARK: - tlog-proof

@Suite("Notes: tlog proofs (c2sp.org/tlog-proof)")
struct TLogProofTests {
    /// The example of c2sp.org/tlog-proof, with its elided signature lines replaced by a real
    /// log signature (the rest is verbatim).
    static let specHead = """
        c2sp.org/tlog-proof@v1
        extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
        index 73894
        gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
        B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
        EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
        RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
        AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=


        """
    static let specCheckpoint = "example.com/fancylog\n109482\nsFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n"
    static let log = try! NoteSigner(name: "example.com/fancylog", privateKey: testKey(30))

    static func signed(_ text: String) -> String {
        text + "\n" + (try! log.signature(for: text)).line + "\n"
    }

    @Test("the specification's example parses: extra, index, five hashes, the checkpoint verbatim")
    func specExample() throws {
        let text = Self.specHead + Self.signed(Self.specCheckpoint)
        let proof = try TLogProof(parsing: text)
        #expect(proof.extra.map { Array($0.prefix(30)) } == Array("age-v1.2.1-darwin-arm64.tar.gz".utf8))
        #expect(proof.index == 73894)
        #expect(proof.inclusionProof.count == 5)
        #expect(Base64.encode(proof.inclusionProof[0].bytes) == "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=")
        #expect(proof.checkpoint.origin == "example.com/fancylog")
        #expect(proof.checkpoint.size == 109_482)
        #expect(try proof.signedCheckpoint.verify(using: [Self.log.verifier]) == [Self.log.verifier])
        #expect(proof.serialized == text)
    }

    @Test("a proof made from a tree verifies from its parsed form, with and without extra data, at every index")
    func roundTripAndVerify() throws {
        let leaves = (0..<13).map { Merkle.leafHash(SHA256.hash([UInt8($0)])) }
        let tree = MerkleTree(leafHashes: leaves)
        let checkpoint = try Checkpoint(origin: "example.com/fancylog", size: tree.size, rootHash: tree.root)
        let note = try SignedNote(parsing: Self.signed(checkpoint.text))
        for index in 0..<13 {
            for extra in [nil, [], Array("sealbook seq \(index + 1)".utf8)] as [[UInt8]?] {
                let made = try TLogProof(
                    index: UInt64(index), inclusionProof: tree.inclusionProof(leafIndex: UInt64(index), size: tree.size),
                    signedCheckpoint: note, extra: extra)
                let parsed = try TLogProof(parsing: made.serialized)
                #expect(parsed == made)
                #expect(parsed.extra == extra)
                #expect(parsed.serialized == made.serialized)
                try Merkle.verifyInclusion(
                    leafHash: leaves[index], index: parsed.index, size: parsed.checkpoint.size, proof: parsed.inclusionProof,
                    root: parsed.checkpoint.rootHash)
            }
        }
        // A one-leaf tree: no hash lines at all.
        let one = MerkleTree(leafHashes: [leaves[0]])
        let c1 = try Checkpoint(origin: "example.com/fancylog", size: 1, rootHash: one.root)
        let p1 = try TLogProof(index: 0, inclusionProof: [], signedCheckpoint: SignedNote(parsing: Self.signed(c1.text)))
        #expect(p1.serialized.hasPrefix("c2sp.org/tlog-proof@v1\nindex 0\n\nexample.com/fancylog\n1\n"))
        #expect(try TLogProof(parsing: p1.serialized) == p1)
    }

    @Test("malformed proofs are refused with a named error")
    func malformed() throws {
        let tail = "\n" + Self.signed(Self.specCheckpoint)
        let h = "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ="
        let cases: [(String, NoteError)] = [
            ("c2sp.org/tlog-proof@v2\nindex 1\n" + tail, .proofMissingHeader),
            ("index 1\n" + tail, .proofMissingHeader),
            ("", .proofMissingHeader),
            ("c2sp.org/tlog-proof@v1", .proofMissingHeader),
            ("c2sp.org/tlog-proof@v1\nextra !!\nindex 1\n" + tail, .proofInvalidExtra),
            ("c2sp.org/tlog-proof@v1\nextra YQ\nindex 1\n" + tail, .proofInvalidExtra),
            ("c2sp.org/tlog-proof@v1\n" + tail, .proofInvalidIndex),
            ("c2sp.org/tlog-proof@v1\nindex 01\n" + tail, .proofInvalidIndex),
            ("c2sp.org/tlog-proof@v1\nindex -1\n" + tail, .proofInvalidIndex),
            ("c2sp.org/tlog-proof@v1\nindex  1\n" + tail, .proofInvalidIndex),
            ("c2sp.org/tlog-proof@v1\nindex 9223372036854775808\n" + tail, .proofInvalidIndex),
            ("c2sp.org/tlog-proof@v1\nextra YQ==\n" + tail, .proofInvalidIndex),
            ("c2sp.org/tlog-proof@v1\nextra YQ==\nextra YQ==\nindex 1\n" + tail, .proofInvalidIndex),
            ("c2sp.org/tlog-proof@v1\nindex 1\n\(h)\nnot-base64\n" + tail, .proofInvalidHash(line: 2)),
            ("c2sp.org/tlog-proof@v1\nindex 1\n\(Base64.encode([UInt8](repeating: 0, count: 31)))\n" + tail, .proofInvalidHash(line: 1)),
            ("c2sp.org/tlog-proof@v1\nindex 1\n" + String(repeating: h + "\n", count: 64) + tail, .proofTooManyHashes(limit: 63)),
            ("c2sp.org/tlog-proof@v1\nindex 1\n\(h)\n", .proofMissingCheckpoint),
            ("c2sp.org/tlog-proof@v1\nindex 1\n", .proofMissingCheckpoint),
            ("c2sp.org/tlog-proof@v1\nindex 1\n\n", .missingBlankLine),
            ("c2sp.org/tlog-proof@v1\nindex 1\n\n" + Self.specCheckpoint, .missingBlankLine),
            ("c2sp.org/tlog-proof@v1\nindex 1\n\n" + Self.signed("example.com/fancylog\n109482\n"), .checkpointTooShort),
        ]
        for (text, error) in cases {
            #expect(throws: error, "\(text.prefix(80))") { try TLogProof(parsing: text) }
        }
        let huge = [UInt8](repeating: 0x41, count: TLogProof.maxBytes + 1)
        #expect(throws: NoteError.tooLarge(bytes: TLogProof.maxBytes + 1, limit: TLogProof.maxBytes)) { try TLogProof(parsing: huge) }
        #expect(try TLogProof(parsing: "c2sp.org/tlog-proof@v1\nindex 0\n" + tail).index == 0)
        #expect(try TLogProof(parsing: "c2sp.org/tlog-proof@v1\nindex 1\n" + String(repeating: h + "\n", count: 63) + tail).inclusionProof.count == 63)
        let note = try SignedNote(parsing: Self.signed(Self.specCheckpoint))
        #expect(throws: NoteError.proofInvalidIndex) { try TLogProof(index: UInt64(Int64.max) + 1, inclusionProof: [], signedCheckpoint: note) }
        #expect(throws: NoteError.proofTooManyHashes(limit: 63)) {
            try TLogProof(index: 0, inclusionProof: Array(repeating: Merkle.emptyRoot, count: 64), signedCheckpoint: note)
        }
    }
}
