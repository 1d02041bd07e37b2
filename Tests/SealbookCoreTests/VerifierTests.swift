// The verifier (docs/FORMAT.md §7) over bundle files built here, line by line, with the real
// signing code and FormatV1's hashes; no database. Each tamper is applied to the lines as
// bytes/strings (re-signing only where a case needs a valid signature by another key).

import Foundation
import SealbookCore
import Testing

// MARK: - Building ledgers

/// A signing identity: an actor and a key from a fixed seed (deterministic bundles).
struct VerKey: Sendable {
    let actor: String
    let key: Ed25519.PrivateKey
    var id: String { key.publicKey.keyID }
    var publicKey: Ed25519.PublicKey { key.publicKey }

    init(_ actor: String, seed: UInt8) {
        self.actor = actor
        self.key = try! Ed25519.PrivateKey(seed: [UInt8](repeating: seed, count: 32))
    }

    func descriptor(roles: [String]) -> KeyDescriptor {
        KeyDescriptor(keyID: id, publicKey: publicKey, actor: actor, roles: roles)
    }

    static let root = VerKey("root@fingood", seed: 1)
    static let alice = VerKey("alice@fingood", seed: 2)  // operator
    static let bob = VerKey("bob@fingood", seed: 3)  // operator, enrolled in some tests
    static let mallory = VerKey("mallory@elsewhere", seed: 4)  // never enrolled
    static let otherRoot = VerKey("root@fingood", seed: 5)
}

/// Builds a ledger entry by entry, keeping the chain and the stream positions as a writer would.
struct LedgerBuilder {
    static let ledgerID = "testledger"
    static let streamA = "session/2026_01_15_add_fee_index/a"
    static let streamB = "session/2026_01_15_add_fee_index/b"

    /// Entry lines (no newline); `lines[seq - 1]`.
    private(set) var lines: [[UInt8]] = []
    private(set) var eventHashes: [Digest32] = []
    private(set) var chainHashes: [Digest32] = []
    private(set) var signatures: [[UInt8]] = []
    private(set) var streamOf: [String] = []
    private(set) var positions: [String: (seq: Int64, hash: Digest32)] = [:]

    var count: Int64 { Int64(lines.count) }
    var head: Digest32 { chainHashes.last ?? .zero }

    static func time(_ seq: Int64) -> String {
        formatTimestamp(millisecondsSince1970: 1_795_000_000_000 + seq * 1_000 + seq % 1000)
    }

    /// Appends one event signed by `signer`; overrides make deliberately wrong entries.
    @discardableResult
    mutating func append(
        type: String, stream: String, signer: VerKey, data: JSONObject, actor: String? = nil,
        ledger: String = LedgerBuilder.ledgerID, streamSeq: Int64? = nil, streamPrev: Digest32? = nil
    ) throws -> Int64 {
        let seq = count + 1
        let pos = positions[stream]
        let body = try EventBody(
            ledger: ledger, stream: stream, streamSeq: streamSeq ?? (pos?.seq ?? 0) + 1,
            streamPrev: streamPrev ?? pos?.hash ?? .zero, type: type, time: Self.time(seq),
            actor: actor ?? signer.actor, key: signer.id, data: data)
        let event = try SignedEvent(signing: body, with: signer.key)
        let chain = FormatV1.chainHash(seq: seq, previous: head, eventHash: event.eventHash)
        lines.append(
            bundleEntryLine(
                seq: seq, bodyBytes: event.bodyBytes, signature: event.signature, eventHash: event.eventHash,
                chainHash: chain))
        eventHashes.append(event.eventHash)
        chainHashes.append(chain)
        signatures.append(event.signature)
        streamOf.append(stream)
        positions[stream] = (body.streamSeq, event.eventHash)
        return seq
    }

    mutating func genesis(root: VerKey = .root, roles: [String] = ["admin"]) throws {
        try append(
            type: FormatV1.genesisType, stream: FormatV1.ledgerStream, signer: root,
            data: ["rootKeys": .array([.object(root.descriptor(roles: roles).json)])])
    }

    mutating func enroll(_ key: VerKey, roles: [String] = ["operator"], by admin: VerKey = .root) throws {
        try append(type: FormatV1.keyEnrolledType, stream: FormatV1.keysStream, signer: admin, data: key.descriptor(roles: roles).json)
    }

    mutating func revoke(_ key: VerKey, by admin: VerKey = .root) throws {
        try append(
            type: FormatV1.keyRevokedType, stream: FormatV1.keysStream, signer: admin,
            data: ["key": .string(key.id), "reason": "left the team"])
    }

    /// A checklist event; its line holds `"item":"step-<seq>"` and `"n":<seq>}` exactly once.
    @discardableResult
    mutating func event(_ signer: VerKey = .alice, stream: String, actor: String? = nil, ledger: String = LedgerBuilder.ledgerID) throws -> Int64 {
        let seq = count + 1
        return try append(
            type: "checklist.item.recorded", stream: stream, signer: signer,
            data: ["item": .string("step-\(seq)"), "n": .number(JSONNumber(seq))], actor: actor, ledger: ledger)
    }

    /// Events alternating between stream A (odd seq) and stream B (even seq), signed by alice.
    mutating func events(_ n: Int) throws {
        for _ in 0..<n {
            try event(stream: (count + 1) % 2 == 1 ? Self.streamA : Self.streamB)
        }
    }

    /// Genesis (seq 1), alice enrolled as operator (seq 2), then `n` events in two streams.
    static func standard(events n: Int) throws -> LedgerBuilder {
        var b = LedgerBuilder()
        try b.genesis()
        try b.enroll(.alice)
        try b.events(n)
        return b
    }

    func header(to: Int64? = nil) -> [UInt8] {
        BundleHeader(ledger: Self.ledgerID, to: to ?? count, exportedAt: "2026-11-24T18:30:00.123Z").line
    }
}

// MARK: - Line tampering

/// Entry lines as an editable list: `lines[seq - 1]`.
struct VerLines {
    var lines: [[UInt8]]
    init(_ b: LedgerBuilder) { lines = b.lines }

    func text(_ seq: Int64) -> String { String(decoding: lines[Int(seq) - 1], as: UTF8.self) }

    /// Replaces the only occurrence of `old` in the line of `seq`.
    mutating func replace(_ seq: Int64, _ old: String, _ new: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let t = text(seq)
        let n = t.components(separatedBy: old).count - 1
        #expect(n == 1, "\"\(old)\" occurs \(n) times in line of seq \(seq)", sourceLocation: sourceLocation)
        lines[Int(seq) - 1] = Array(t.replacingOccurrences(of: old, with: new).utf8)
    }

    mutating func setText(_ seq: Int64, _ s: String) { lines[Int(seq) - 1] = Array(s.utf8) }

    mutating func remove(_ seq: Int64) { lines.remove(at: Int(seq) - 1) }

    mutating func swap(_ a: Int64, _ b: Int64) { lines.swapAt(Int(a) - 1, Int(b) - 1) }

    /// Rewrites the `"seq":n` prefix of the line at position `seq` to say `seq`.
    mutating func renumber(at seq: Int64) {
        let t = text(seq)
        let prefix = "{\"seq\":"
        precondition(t.hasPrefix(prefix))
        let rest = t.dropFirst(prefix.count).drop { $0.isNumber }
        setText(seq, prefix + String(seq) + rest)
    }
}

/// Flips the first hex digit of a 64-hex value.
func verFlipHex(_ hex: String) -> String {
    let first = hex.first!
    return (first == "0" ? "1" : "0") + hex.dropFirst()
}

// MARK: - Verifying

/// Writes `header` and `lines` to a temporary bundle file and verifies it.
func verVerify(
    header: [UInt8], lines: [[UInt8]], trustRoot: Ed25519.PublicKey? = VerKey.root.publicKey, reportAll: Bool = false,
    parallelism: Int? = nil
) throws -> VerificationReport {
    var bytes = header + [0x0A]
    for l in lines { bytes += l + [0x0A] }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sealbook-verifier-\(UUID().uuidString).jsonl")
    try Data(bytes).write(to: url)
    defer { try? FileManager.default.removeItem(at: url) }
    let (h, report) = try BundleVerifier.verify(
        path: url.path, options: VerifyOptions(trustRoot: trustRoot, reportAll: reportAll, parallelism: parallelism))
    #expect(h.ledger == LedgerBuilder.ledgerID)
    return report
}

func verVerify(_ b: LedgerBuilder, _ lines: VerLines? = nil, trustRoot: Ed25519.PublicKey? = VerKey.root.publicKey, reportAll: Bool = false) throws -> VerificationReport {
    try verVerify(header: b.header(), lines: lines?.lines ?? b.lines, trustRoot: trustRoot, reportAll: reportAll)
}

/// Expects exactly one failure, at `seq` with `reason` (and at `line` when given).
func verExpectOne(
    _ r: VerificationReport, seq: Int64, _ reason: FailureReason, line: Int? = nil, stream: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(!r.isValid, sourceLocation: sourceLocation)
    #expect(r.failureCount == 1, "failures: \(r.failures)", sourceLocation: sourceLocation)
    guard let f = r.failures.first else {
        Issue.record("no failure reported", sourceLocation: sourceLocation)
        return
    }
    #expect(f.reason == reason, "\(f)", sourceLocation: sourceLocation)
    #expect(f.seq == seq, "\(f)", sourceLocation: sourceLocation)
    if let line { #expect(f.line == line, "\(f)", sourceLocation: sourceLocation) }
    if let stream { #expect(f.stream == stream, "\(f)", sourceLocation: sourceLocation) }
}

// MARK: - Clean bundles

@Suite("Verifier: clean bundles")
struct VerifierCleanTests {
    @Test("a clean bundle verifies; entries, lastSeq and lastChainHash are the ones computed here")
    func clean() throws {
        let b = try LedgerBuilder.standard(events: 20)
        let r = try verVerify(b)
        #expect(r.isValid, "\(r.failures)")
        #expect(r.failures.isEmpty)
        #expect(r.entries == 22)
        #expect(r.lastSeq == 22)
        #expect(r.lastChainHash == b.head)
        #expect(r.lastChainHash == b.chainHashes[21])
        #expect(r.rootPinned)
        #expect(r.rootKeys == [VerKey.root.id])
        #expect(r.ledger == LedgerBuilder.ledgerID)
        #expect(!r.stoppedEarly)
    }

    @Test("without a trust root: valid, but rootPinned is false")
    func unpinned() throws {
        let b = try LedgerBuilder.standard(events: 5)
        let r = try verVerify(b, trustRoot: nil)
        #expect(r.isValid, "\(r.failures)")
        #expect(!r.rootPinned)
        #expect(r.lastChainHash == b.head)
        #expect(r.entries == 7)
    }

    @Test("the chain built here follows docs/FORMAT.md §3 (independent recomputation from the lines)")
    func chainRecomputed() throws {
        let b = try LedgerBuilder.standard(events: 6)
        var previous = Digest32.zero
        for (i, line) in b.lines.enumerated() {
            let json = try JSONParser.parse(line)
            let body = try #require(json["body"])
            let bodyBytes = try JCS.canonicalize(body)
            let sigText = try #require(json["sig"]?.stringValue)
            let sig = try #require(Base64.decode(sigText))
            let key = try #require([VerKey.root, VerKey.alice].first { $0.id == body["key"]?.stringValue })
            #expect(key.publicKey.isValidSignature(sig, for: Array("sealbook.event.v1\n".utf8) + bodyBytes))
            var h = SHA256()
            h.update(bodyBytes)
            h.update(sig)
            let eventHash = h.finalize()
            #expect(json["eventHash"]?.stringValue == eventHash.hex)
            var c = SHA256()
            c.update(Array("sealbook.chain.v1\n".utf8))
            c.update(withUnsafeBytes(of: UInt64(i + 1).bigEndian) { Array($0) })
            c.update(previous.bytes)
            c.update(eventHash.bytes)
            previous = c.finalize()
            #expect(json["chainHash"]?.stringValue == previous.hex)
            #expect(json["seq"]?.int64Value == Int64(i + 1))
        }
        #expect(previous == b.head)
    }

    @Test("key events: a second operator enrolled, revoked, and events before the revocation are valid")
    func keyLifecycle() throws {
        var b = try LedgerBuilder.standard(events: 4)
        try b.enroll(.bob)
        try b.event(.bob, stream: LedgerBuilder.streamA)
        try b.revoke(.bob)
        try b.event(.alice, stream: LedgerBuilder.streamA)
        let r = try verVerify(b)
        #expect(r.isValid, "\(r.failures)")
        #expect(r.lastSeq == b.count)
    }

    @Test("a bundle body written in another member order, with whitespace and escapes, still verifies (docs/FORMAT.md §6)")
    func nonCanonicalBundleBody() throws {
        let b = try LedgerBuilder.standard(events: 6)
        var l = VerLines(b)
        l.replace(5, "\"body\":{", "\"body\":{ \"v\" : 1 ,\t ")
        l.replace(5, ",\"v\":1},\"sig\"", "},\"sig\"")
        l.replace(5, "\"step-5\"", "\"\\u0073tep-5\"")
        let r = try verVerify(b, l)
        #expect(r.isValid, "\(r.failures)")
        #expect(r.lastChainHash == b.head)
    }

    @Test("a key enrolled by a second admin is valid")
    func secondAdmin() throws {
        var b = LedgerBuilder()
        try b.genesis()
        try b.enroll(.bob, roles: ["admin"])
        try b.enroll(.alice, roles: ["operator"], by: .bob)
        try b.events(3)
        let r = try verVerify(b)
        #expect(r.isValid, "\(r.failures)")
    }
}

// MARK: - Tampering

@Suite("Verifier: each tamper detected at the right seq")
struct VerifierTamperTests {
    static let n = 20  // events after genesis and enrolment: seq 3...22

    @Test("a line removed in the middle: seqGap at the next seq")
    func lineRemoved() throws {
        let b = try LedgerBuilder.standard(events: Self.n)
        var l = VerLines(b)
        l.remove(10)
        let r = try verVerify(b, l)
        verExpectOne(r, seq: 11, .seqGap, line: 11)
        #expect(r.stoppedEarly || r.lastSeq == 11)
    }

    @Test("the last line removed: bundleTruncated at the missing seq")
    func lastRemoved() throws {
        let b = try LedgerBuilder.standard(events: Self.n)
        var l = VerLines(b)
        l.remove(22)
        let r = try verVerify(b, l)
        verExpectOne(r, seq: 22, .bundleTruncated)
        #expect(r.lastSeq == 21)
    }

    @Test("an extra line after `to`: bundleTruncated at to+1")
    func extraLine() throws {
        let b = try LedgerBuilder.standard(events: Self.n)
        let r = try verVerify(header: b.header(to: 21), lines: b.lines)
        verExpectOne(r, seq: 22, .bundleTruncated)
    }

    @Test("a line duplicated: seqDuplicate")
    func duplicated() throws {
        let b = try LedgerBuilder.standard(events: Self.n)
        var lines = b.lines
        lines.insert(lines[9], at: 10)  // seq 10 twice
        let r = try verVerify(header: b.header(), lines: lines)
        verExpectOne(r, seq: 10, .seqDuplicate, line: 12)
    }

    @Test("two entries of the same stream swapped (seq kept in order): wrongStreamSeq at the first swapped seq")
    func swapSameStreamRenumbered() throws {
        let b = try LedgerBuilder.standard(events: Self.n)
        #expect(b.streamOf[9] == b.streamOf[11])  // seq 10 and 12
        var l = VerLines(b)
        l.swap(10, 12)
        l.renumber(at: 10)
        l.renumber(at: 12)
        let r = try verVerify(b, l)
        verExpectOne(r, seq: 10, .wrongStreamSeq, line: 11, stream: b.streamOf[11])
    }

    @Test("two entries of different streams swapped (seq kept in order): a failure at the first swapped seq")
    func swapOtherStreamRenumbered() throws {
        let b = try LedgerBuilder.standard(events: Self.n)
        #expect(b.streamOf[9] != b.streamOf[10])  // seq 10 and 11
        var l = VerLines(b)
        l.swap(10, 11)
        l.renumber(at: 10)
        l.renumber(at: 11)
        let r = try verVerify(b, l)
        // Both events are in place within their own streams; only the global chain shows the swap.
        verExpectOne(r, seq: 10, .wrongChainHash, line: 11)
    }

    @Test("two whole lines swapped (their seq fields too): seqGap on the first swapped line")
    func swapWholeLines() throws {
        let b = try LedgerBuilder.standard(events: Self.n)
        for (x, y) in [(Int64(10), Int64(12)), (Int64(10), Int64(11))] {
            var l = VerLines(b)
            l.swap(x, y)
            let r = try verVerify(b, l)
            // Line x+1 now says seq y: the failure names the seq written in that line
            // (VerificationFailure.seq is "the entry's seq") and the line of the first swapped position.
            verExpectOne(r, seq: y, .seqGap, line: Int(x) + 1)
        }
    }

    @Test("a value inside a body edited: badSignature")
    func bodyEdited() throws {
        let b = try LedgerBuilder.standard(events: Self.n)
        var l = VerLines(b)
        l.replace(15, "\"item\":\"step-15\"", "\"item\":\"step-99\"")
        verExpectOne(try verVerify(b, l), seq: 15, .badSignature, line: 16, stream: b.streamOf[14])
        // Editing a signed envelope member (time) is caught the same way.
        var l2 = VerLines(b)
        l2.replace(16, "\"time\":\"\(LedgerBuilder.time(16))\"", "\"time\":\"\(LedgerBuilder.time(17))\"")
        verExpectOne(try verVerify(b, l2), seq: 16, .badSignature)
    }

    @Test("signature replaced by another valid-length signature: badSignature")
    func signatureReplaced() throws {
        let b = try LedgerBuilder.standard(events: Self.n)
        let sig15 = Base64.encode(b.signatures[14])
        // Another entry's real signature by the same key.
        var l = VerLines(b)
        l.replace(15, sig15, Base64.encode(b.signatures[15]))
        verExpectOne(try verVerify(b, l), seq: 15, .badSignature)
        // 64 arbitrary bytes.
        var l2 = VerLines(b)
        l2.replace(15, sig15, Base64.encode([UInt8](repeating: 0xA5, count: 64)))
        verExpectOne(try verVerify(b, l2), seq: 15, .badSignature)
        // A signature of the right body by a key that is not the body's key.
        var l3 = VerLines(b)
        let body = try JCS.canonicalize(try #require(try JSONParser.parse(VerLines(b).text(15))["body"]))
        l3.replace(15, sig15, Base64.encode(VerKey.mallory.key.signature(for: FormatV1.signingMessage(body))))
        verExpectOne(try verVerify(b, l3), seq: 15, .badSignature)
        // A 63-byte signature.
        var l4 = VerLines(b)
        l4.replace(15, sig15, Base64.encode(b.signatures[14].dropLast()))
        verExpectOne(try verVerify(b, l4), seq: 15, .badSignature)
    }

    @Test("eventHash edited: wrongEventHash")
    func eventHashEdited() throws {
        let b = try LedgerBuilder.standard(events: Self.n)
        var l = VerLines(b)
        let e = b.eventHashes[14].hex
        l.replace(15, "\"eventHash\":\"\(e)\"", "\"eventHash\":\"\(verFlipHex(e))\"")
        verExpectOne(try verVerify(b, l), seq: 15, .wrongEventHash)
    }

    @Test("chainHash edited: wrongChainHash")
    func chainHashEdited() throws {
        let b = try LedgerBuilder.standard(events: Self.n)
        var l = VerLines(b)
        let c = b.chainHashes[14].hex
        l.replace(15, "\"chainHash\":\"\(c)\"", "\"chainHash\":\"\(verFlipHex(c))\"")
        verExpectOne(try verVerify(b, l), seq: 15, .wrongChainHash)
        // The last entry's chainHash (the head) too.
        var l2 = VerLines(b)
        let h = b.chainHashes[21].hex
        l2.replace(22, "\"chainHash\":\"\(h)\"", "\"chainHash\":\"\(verFlipHex(h))\"")
        verExpectOne(try verVerify(b, l2), seq: 22, .wrongChainHash)
    }

    @Test("an event signed by a key never enrolled: unknownKey")
    func unknownKey() throws {
        var b = try LedgerBuilder.standard(events: 5)
        let bad = try b.event(.mallory, stream: LedgerBuilder.streamA)
        try b.events(3)
        verExpectOne(try verVerify(b), seq: bad, .unknownKey)
    }

    @Test("a key used in the same seq that enrols it: unknownKey")
    func keyUsedBeforeEnrolment() throws {
        var b = LedgerBuilder()
        try b.genesis()
        // seq 2 signed by alice, who is enrolled only at seq 3.
        try b.event(.alice, stream: LedgerBuilder.streamA)
        try b.enroll(.alice)
        verExpectOne(try verVerify(b), seq: 2, .unknownKey)
    }

    @Test("an event signed by a revoked key after its key.revoked: keyRevoked")
    func revoked() throws {
        var b = try LedgerBuilder.standard(events: 5)
        try b.enroll(.bob)
        try b.event(.bob, stream: LedgerBuilder.streamB)
        try b.revoke(.bob)
        let bad = try b.event(.bob, stream: LedgerBuilder.streamB)
        try b.events(2)
        verExpectOne(try verVerify(b), seq: bad, .keyRevoked)
    }

    @Test("actor differing from the key's actor: actorKeyMismatch")
    func actorMismatch() throws {
        var b = try LedgerBuilder.standard(events: 5)
        let bad = try b.event(.alice, stream: LedgerBuilder.streamA, actor: "bob@fingood")
        try b.events(2)
        verExpectOne(try verVerify(b), seq: bad, .actorKeyMismatch)
    }

    @Test("key.enrolled signed by a non-admin: unauthorized")
    func unauthorized() throws {
        var b = try LedgerBuilder.standard(events: 5)
        try b.enroll(.mallory, roles: ["admin"], by: .alice)
        let bad = b.count
        try b.events(2)
        verExpectOne(try verVerify(b), seq: bad, .unauthorized)
        // key.revoked by a non-admin too.
        var b2 = try LedgerBuilder.standard(events: 2)
        try b2.enroll(.bob)
        try b2.revoke(.bob, by: .alice)
        verExpectOne(try verVerify(b2), seq: b2.count, .unauthorized)
    }

    @Test("genesis signed by a different root than the pinned one: genesisRootMismatch")
    func rootMismatch() throws {
        let b = try LedgerBuilder.standard(events: 5)
        let r = try verVerify(b, trustRoot: VerKey.otherRoot.publicKey)
        verExpectOne(r, seq: 1, .genesisRootMismatch)
        #expect(!r.rootPinned)
        // The other way round: a ledger whose genesis names another root.
        var b2 = LedgerBuilder()
        try b2.genesis(root: .otherRoot)
        verExpectOne(try verVerify(b2), seq: 1, .genesisRootMismatch)
    }

    @Test("a first line that is not a genesis: genesisMissing")
    func notGenesis() throws {
        var b = LedgerBuilder()
        try b.event(.root, stream: LedgerBuilder.streamA)
        try b.event(.root, stream: LedgerBuilder.streamA)
        let r = try verVerify(b)
        verExpectOne(r, seq: 1, .genesisMissing)
        #expect(!r.rootPinned)
        // A genesis in the wrong stream.
        var b2 = LedgerBuilder()
        try b2.append(
            type: FormatV1.genesisType, stream: "session/x", signer: .root,
            data: ["rootKeys": .array([.object(VerKey.root.descriptor(roles: ["admin"]).json)])])
        verExpectOne(try verVerify(b2), seq: 1, .genesisMissing)
        // A genesis signed by a key that is not among its rootKeys.
        var b3 = LedgerBuilder()
        try b3.append(
            type: FormatV1.genesisType, stream: FormatV1.ledgerStream, signer: .mallory,
            data: ["rootKeys": .array([.object(VerKey.root.descriptor(roles: ["admin"]).json)])])
        verExpectOne(try verVerify(b3, trustRoot: nil), seq: 1, .genesisMissing)
        // A genesis whose signature is bad.
        let b4 = try LedgerBuilder.standard(events: 1)
        var l4 = VerLines(b4)
        l4.replace(1, Base64.encode(b4.signatures[0]), Base64.encode(b4.signatures[1]))
        verExpectOne(try verVerify(b4, l4), seq: 1, .genesisMissing)
    }

    @Test("the genesis line removed: genesisMissing (seq 1 is absent)")
    func genesisRemoved() throws {
        let b = try LedgerBuilder.standard(events: 5)
        var l = VerLines(b)
        l.remove(1)
        let r = try verVerify(b, l)
        // FailureReason.genesisMissing: "`seq` 1 is absent or is not a well-formed ledger.genesis".
        #expect(!r.isValid)
        #expect(r.failures.first?.reason == .genesisMissing, "\(r.failures)")
        #expect(!r.rootPinned)
    }

    @Test("a line that is not JSON: bundleMalformed at the seq expected there")
    func notJSON() throws {
        let b = try LedgerBuilder.standard(events: Self.n)
        var l = VerLines(b)
        l.setText(12, "this is not json")
        verExpectOne(try verVerify(b, l), seq: 12, .bundleMalformed, line: 13)
        // A JSON line that is not an entry (a member missing / one extra).
        var l2 = VerLines(b)
        l2.replace(12, ",\"chainHash\":", ",\"extra\":1,\"chainHash\":")
        verExpectOne(try verVerify(b, l2), seq: 12, .bundleMalformed, line: 13)
        // An uppercase hash.
        var l3 = VerLines(b)
        let c = b.chainHashes[11].hex
        #expect(c != c.uppercased())
        l3.replace(12, c, c.uppercased())
        verExpectOne(try verVerify(b, l3), seq: 12, .bundleMalformed)
        // A URL-safe signature.
        let sig = Base64.encode(b.signatures[11])
        let urlSafe = sig.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        var l4 = VerLines(b)
        l4.replace(12, sig, urlSafe)
        verExpectOne(try verVerify(b, l4), seq: 12, .bundleMalformed)
        // An empty line in the middle.
        var lines = b.lines
        lines.insert([], at: 11)
        let r5 = try verVerify(header: b.header(), lines: lines)
        #expect(r5.failures.first?.reason == .bundleMalformed)
        #expect(r5.failures.first?.seq == 12)
        #expect(r5.failures.first?.line == 13)
    }

    @Test("a body with a float: malformedBody")
    func floatBody() throws {
        let b = try LedgerBuilder.standard(events: Self.n)
        var l = VerLines(b)
        l.replace(14, "\"n\":14}", "\"n\":14.5}")
        verExpectOne(try verVerify(b, l), seq: 14, .malformedBody, line: 15)
        // Other body rule violations are malformedBody too.
        var l2 = VerLines(b)
        l2.replace(14, "\"actor\":\"alice@fingood\"", "\"actor\":\"Alice\"")
        verExpectOne(try verVerify(b, l2), seq: 14, .malformedBody)
        var l3 = VerLines(b)
        l3.replace(14, "\"n\":14}", "\"n\":14},\"extra\":true")
        verExpectOne(try verVerify(b, l3), seq: 14, .malformedBody)
    }

    @Test("a body over 65536 canonical bytes: malformedBody")
    func hugeBody() throws {
        let b = try LedgerBuilder.standard(events: 2)
        let seq = b.count + 1
        let big = String(repeating: "x", count: 70_000)
        // Signed here by hand: SignedEvent refuses to sign it, a forger would not.
        let body = try EventBody(
            ledger: LedgerBuilder.ledgerID, stream: LedgerBuilder.streamA, streamSeq: 2,
            streamPrev: try #require(b.positions[LedgerBuilder.streamA]).hash, type: "checklist.item.recorded",
            time: LedgerBuilder.time(seq), actor: VerKey.alice.actor, key: VerKey.alice.id, data: ["blob": .string(big)])
        let bytes = try JCS.canonicalize(body.json)
        #expect(bytes.count > FormatV1.maxBodyBytes)
        let sig = VerKey.alice.key.signature(for: FormatV1.signingMessage(bytes))
        let e = FormatV1.eventHash(bodyBytes: bytes, signature: sig)
        let c = FormatV1.chainHash(seq: seq, previous: b.head, eventHash: e)
        var lines = b.lines
        lines.append(bundleEntryLine(seq: seq, bodyBytes: bytes, signature: sig, eventHash: e, chainHash: c))
        let r = try verVerify(header: b.header(to: seq), lines: lines)
        verExpectOne(r, seq: seq, .malformedBody)
    }

    @Test("a body in another ledger: ledgerMismatch")
    func otherLedger() throws {
        var b = try LedgerBuilder.standard(events: 5)
        let bad = try b.event(.alice, stream: LedgerBuilder.streamA, ledger: "otherledger")
        try b.events(2)
        verExpectOne(try verVerify(b), seq: bad, .ledgerMismatch)
    }

    @Test("a bundle whose header names another ledger than the genesis: ledgerMismatch at seq 1")
    func headerLedger() throws {
        let b = try LedgerBuilder.standard(events: 2)
        let header = BundleHeader(ledger: "otherledger", to: b.count, exportedAt: "2026-11-24T18:30:00.123Z").line
        var bytes = header + [0x0A]
        for l in b.lines { bytes += l + [0x0A] }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sealbook-verifier-\(UUID().uuidString).jsonl")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let (_, r) = try BundleVerifier.verify(path: url.path, options: VerifyOptions(trustRoot: VerKey.root.publicKey))
        verExpectOne(r, seq: 1, .ledgerMismatch)
    }

    @Test("a wrong streamPrev: wrongStreamPrev")
    func wrongPrev() throws {
        var b = try LedgerBuilder.standard(events: 5)
        let bad = try b.append(
            type: "checklist.item.recorded", stream: LedgerBuilder.streamA, signer: .alice, data: ["n": 0],
            streamPrev: SHA256.hash([1]))
        verExpectOne(try verVerify(b), seq: bad, .wrongStreamPrev)
    }

    @Test("a reserved type outside its stream, or another type inside a reserved stream: reservedStream")
    func reservedStream() throws {
        // key.enrolled outside stream "keys".
        var b = try LedgerBuilder.standard(events: 3)
        let bad = try b.append(
            type: FormatV1.keyEnrolledType, stream: LedgerBuilder.streamA, signer: .root,
            data: VerKey.bob.descriptor(roles: ["operator"]).json)
        try b.events(2)
        verExpectOne(try verVerify(b), seq: bad, .reservedStream)
        // key.revoked outside stream "keys".
        var b2 = try LedgerBuilder.standard(events: 3)
        let bad2 = try b2.append(
            type: FormatV1.keyRevokedType, stream: "admin/keys", signer: .root,
            data: ["key": .string(VerKey.alice.id), "reason": "x"])
        verExpectOne(try verVerify(b2), seq: bad2, .reservedStream)
        // A second ledger.genesis.
        var b3 = try LedgerBuilder.standard(events: 3)
        let bad3 = try b3.append(
            type: FormatV1.genesisType, stream: "session/g", signer: .root,
            data: ["rootKeys": .array([.object(VerKey.root.descriptor(roles: ["admin"]).json)])])
        verExpectOne(try verVerify(b3), seq: bad3, .reservedStream)
        // An ordinary type in stream "keys" and in stream "ledger".
        var b4 = try LedgerBuilder.standard(events: 3)
        let bad4 = try b4.event(.alice, stream: FormatV1.keysStream)
        verExpectOne(try verVerify(b4), seq: bad4, .reservedStream)
        var b5 = try LedgerBuilder.standard(events: 3)
        let bad5 = try b5.event(.alice, stream: FormatV1.ledgerStream)
        verExpectOne(try verVerify(b5), seq: bad5, .reservedStream)
    }

    @Test("a key enrolled twice: invalidKeyEvent")
    func enrolledTwice() throws {
        var b = try LedgerBuilder.standard(events: 2)
        try b.enroll(.alice)
        verExpectOne(try verVerify(b), seq: b.count, .invalidKeyEvent)
    }
}

// MARK: - reportAll

/// A single tamper at one entry of a standard bundle, for the "reported once" checks.
struct VerTamper: Sendable, CustomTestStringConvertible {
    let name: String
    let seq: Int64
    let reason: FailureReason
    let apply: @Sendable (LedgerBuilder, inout VerLines) -> Void
    var testDescription: String { name }

    static let all: [VerTamper] = [
        VerTamper(name: "body value edited", seq: 9, reason: .badSignature) { _, l in
            l.replace(9, "\"item\":\"step-9\"", "\"item\":\"step-x\"")
        },
        VerTamper(name: "signature replaced", seq: 9, reason: .badSignature) { b, l in
            l.replace(9, Base64.encode(b.signatures[8]), Base64.encode(b.signatures[9]))
        },
        VerTamper(name: "eventHash edited", seq: 9, reason: .wrongEventHash) { b, l in
            let e = b.eventHashes[8].hex
            l.replace(9, e, verFlipHex(e))
        },
        VerTamper(name: "chainHash edited", seq: 9, reason: .wrongChainHash) { b, l in
            let c = b.chainHashes[8].hex
            l.replace(9, "\"chainHash\":\"\(c)\"", "\"chainHash\":\"\(verFlipHex(c))\"")
        },
        VerTamper(name: "float in body", seq: 9, reason: .malformedBody) { _, l in
            l.replace(9, "\"n\":9}", "\"n\":9.5}")
        },
    ]
}

@Suite("Verifier: reportAll")
struct VerifierReportAllTests {
    @Test("two independent tampers are both reported, each once")
    func twoTampers() throws {
        let b = try LedgerBuilder.standard(events: 30)
        var l = VerLines(b)
        l.replace(7, "\"item\":\"step-7\"", "\"item\":\"step-x\"")
        l.replace(20, Base64.encode(b.signatures[19]), Base64.encode(b.signatures[18]))
        let r = try verVerify(b, l, reportAll: true)
        #expect(r.failureCount == 2, "\(r.failures)")
        #expect(r.failures.map(\.seq) == [7, 20])
        #expect(r.failures.map(\.reason) == [.badSignature, .badSignature])
        #expect(r.entries == 32)
        #expect(r.lastSeq == 32)
        #expect(!r.stoppedEarly)
        // Without reportAll only the first is reported.
        let first = try verVerify(b, l)
        verExpectOne(first, seq: 7, .badSignature)
    }

    @Test("two tampers of different kinds, far apart, are both reported")
    func twoKinds() throws {
        var b = try LedgerBuilder.standard(events: 12)
        let unknown = try b.event(.mallory, stream: LedgerBuilder.streamA)
        try b.events(12)
        var l = VerLines(b)
        let c = b.chainHashes[4].hex
        l.replace(5, "\"chainHash\":\"\(c)\"", "\"chainHash\":\"\(verFlipHex(c))\"")
        let r = try verVerify(b, l, reportAll: true)
        #expect(r.failures.map(\.seq).contains(5))
        #expect(r.failures.map(\.seq).contains(unknown))
        #expect(r.failures.first { $0.seq == 5 }?.reason == .wrongChainHash)
        #expect(r.failures.first { $0.seq == unknown }?.reason == .unknownKey)
    }

    @Test("one tamper is reported once, with no cascade into later entries", arguments: VerTamper.all)
    func reportedOnce(_ t: VerTamper) throws {
        let b = try LedgerBuilder.standard(events: 20)
        var l = VerLines(b)
        t.apply(b, &l)
        let r = try verVerify(b, l, reportAll: true)
        #expect(r.failureCount == 1, "\(r.failures.map(\.description))")
        #expect(r.failures.first?.seq == t.seq)
        #expect(r.failures.first?.reason == t.reason)
        #expect(r.lastSeq == 22)
        #expect(r.entries == 22)
    }

    @Test("a line that is not JSON: reported once; the next entry's chainHash is not blamed")
    func unreadableLineOnce() throws {
        let b = try LedgerBuilder.standard(events: 20)
        var l = VerLines(b)
        l.setText(9, "garbage")
        let r = try verVerify(b, l, reportAll: true)
        #expect(r.failures.first?.seq == 9)
        #expect(r.failures.first?.reason == .bundleMalformed)
        // Entry 10 (the other stream) is intact: its recorded chainHash is the true chainHash(10).
        // Line 9's chainHash cannot be read, so chainHash(10) cannot be checked, but it must not
        // be reported as wrong.
        #expect(!r.failures.contains { $0.seq == 10 }, "\(r.failures.map(\.description))")
        // The next event of line 9's (unknown) stream cannot be placed in its stream: a
        // wrongStreamSeq there is the one follow-up that cannot be avoided; nothing after it.
        #expect(r.failures.allSatisfy { $0.seq <= 11 }, "\(r.failures.map(\.description))")
        #expect(r.lastSeq == 22)
    }

    @Test("an event by an unknown key is reported once; later events of its stream still verify")
    func unknownKeyOnce() throws {
        var b = try LedgerBuilder.standard(events: 6)
        let bad = try b.event(.mallory, stream: LedgerBuilder.streamA)
        try b.events(6)
        let r = try verVerify(b, reportAll: true)
        #expect(r.failures.map(\.seq) == [bad], "\(r.failures.map(\.description))")
        #expect(r.lastChainHash == b.head)
    }
}

// MARK: - Streaming and parallelism

/// The fields of a report, for comparing two runs.
func verSummary(_ r: VerificationReport) -> String {
    "\(r.ledger ?? "-") entries=\(r.entries) last=\(r.lastSeq) head=\(r.lastChainHash.hex) roots=\(r.rootKeys) "
        + "pinned=\(r.rootPinned) count=\(r.failureCount) stopped=\(r.stoppedEarly) failures=\(r.failures.map(\.description))"
}

@Suite("Verifier: streaming and parallelism")
struct VerifierStreamingTests {
    @Test("a bundle of 50,000 events verifies; parallelism 1 and 4 give identical reports, tampered too")
    func large() throws {
        var b = LedgerBuilder()
        try b.genesis()
        try b.enroll(.alice)
        try b.events(20_000)
        // A key enrolled mid-way (crossing chunk boundaries of 8192) that then signs.
        try b.enroll(.bob)
        for _ in 0..<9_000 { try b.event(.bob, stream: "session/bob") }
        try b.events(50_000 - 29_000)
        #expect(b.count == 50_003)

        let clean1 = try verVerify(header: b.header(), lines: b.lines, parallelism: 1)
        let clean4 = try verVerify(header: b.header(), lines: b.lines, parallelism: 4)
        #expect(clean1.isValid, "\(clean1.failures.prefix(3))")
        #expect(clean1.entries == 50_003)
        #expect(clean1.lastSeq == 50_003)
        #expect(clean1.lastChainHash == b.head)
        #expect(clean1.rootPinned)
        #expect(verSummary(clean1) == verSummary(clean4))

        // Tampers spread over several chunks, reported with reportAll.
        var l = VerLines(b)
        for seq: Int64 in [100, 8_192, 8_193, 20_004, 40_000] {
            let line = l.text(seq)
            let e = b.eventHashes[Int(seq) - 1].hex
            #expect(line.contains(e))
            l.replace(seq, "\"eventHash\":\"\(e)\"", "\"eventHash\":\"\(verFlipHex(e))\"")
        }
        l.replace(30_000, Base64.encode(b.signatures[29_999]), Base64.encode(b.signatures[29_998]))
        let t1 = try verVerify(header: b.header(), lines: l.lines, reportAll: true, parallelism: 1)
        let t4 = try verVerify(header: b.header(), lines: l.lines, reportAll: true, parallelism: 4)
        #expect(!t1.isValid)
        #expect(t1.failures.map(\.seq).starts(with: [100]))
        #expect(t1.failures.map(\.seq).contains(30_000))
        #expect(verSummary(t1) == verSummary(t4))
        // First failure only.
        let f1 = try verVerify(header: b.header(), lines: l.lines, parallelism: 1)
        let f4 = try verVerify(header: b.header(), lines: l.lines, parallelism: 4)
        verExpectOne(f1, seq: 100, .wrongEventHash)
        #expect(f1.stoppedEarly)
        #expect(verSummary(f1) == verSummary(f4))
    }

    @Test("Verifier fed in chunks of any size gives the BundleVerifier's report")
    func chunking() throws {
        let b = try LedgerBuilder.standard(events: 300)
        let whole = try verVerify(header: b.header(), lines: b.lines, parallelism: 2)
        for size in [1, 7, 64, 1000] {
            for parallelism in [1, 3] {
                var v = Verifier(options: VerifyOptions(trustRoot: VerKey.root.publicKey, parallelism: parallelism, expectedLedger: LedgerBuilder.ledgerID))
                let seen = SeqCollector()
                v.onVerified = { seen.append($0.seq) }
                var i = 0
                while i < b.lines.count {
                    let end = min(i + size, b.lines.count)
                    v.consume((i..<end).map { RawEntry.bundleLine(line: $0 + 2, bytes: b.lines[$0]) })
                    i = end
                }
                let r = v.finish()
                #expect(verSummary(r) == verSummary(whole), "chunk \(size), parallelism \(parallelism)")
                #expect(seen.values == Array(1...Int64(b.count)))
            }
        }
    }
}

/// Collects seqs from `onVerified` (called from the consuming thread, in order).
final class SeqCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Int64] = []
    func append(_ s: Int64) { lock.lock(); storage.append(s); lock.unlock() }
    var values: [Int64] { lock.lock(); defer { lock.unlock() }; return storage }
}
