internal import Foundation

/// The first line of an evidence package (docs/FORMAT.md §12.6).
public struct EvidenceHeader: Sendable, Equatable {
    /// The format tag, `evidence/1`.
    public static let tag = "evidence/1"
    public let ledger: String
    /// The stream whose events the package proves (for a session, `session/<id>`).
    public let stream: String
    /// The `seq` of the package's last entry.
    public let to: Int64
    /// The signed checkpoint note: text and signature lines, each ending with a newline.
    public let checkpoint: String
    public let exportedAt: String

    public init(ledger: String, stream: String, to: Int64, checkpoint: String, exportedAt: String) {
        self.ledger = ledger
        self.stream = stream
        self.to = to
        self.checkpoint = checkpoint
        self.exportedAt = exportedAt
    }

    /// The header line (no newline), members in the documented order.
    public var line: [UInt8] {
        func s(_ v: String) -> String { (try? JCS.canonicalString(.string(v))) ?? "\"\"" }
        return Array(
            "{\"sealbook\":\"\(Self.tag)\",\"ledger\":\(s(ledger)),\"stream\":\(s(stream)),\"to\":\(to),\"checkpoint\":\(s(checkpoint)),\"exportedAt\":\(s(exportedAt))}"
                .utf8)
    }

    /// Reads and checks a header line.
    public init(line: [UInt8]) throws(EvidenceError) {
        let v: JSONValue
        do { v = try line.withUnsafeBytes { try JSONParser.parse($0) } } catch {
            throw .malformedHeader("line 1 is not valid JSON: \(error)")
        }
        guard case .object(let o) = v else { throw .malformedHeader("line 1 must be a JSON object") }
        guard o["sealbook"]?.stringValue == Self.tag else {
            throw .malformedHeader("line 1 is not a Sealbook evidence package header (\"sealbook\" must be \"\(Self.tag)\")")
        }
        guard let ledger = o["ledger"]?.stringValue, FormatV1.isValidLedgerID(ledger) else {
            throw .malformedHeader("header: ledger must be a ledger id")
        }
        guard let stream = o["stream"]?.stringValue, FormatV1.isValidStreamID(stream), stream != FormatV1.ledgerStream,
            stream != FormatV1.keysStream
        else { throw .malformedHeader("header: stream must be a stream id other than \"ledger\" and \"keys\"") }
        guard let to = o["to"]?.int64Value, to >= 1, to <= FormatV1.maxSafeInteger else {
            throw .malformedHeader("header: to must be an integer from 1 to 2^53-1")
        }
        guard case .string(let checkpoint)? = o["checkpoint"] else {
            throw .malformedHeader("header: checkpoint must be a string (a signed note)")
        }
        guard let at = o["exportedAt"]?.stringValue, FormatV1.isValidTime(at) else {
            throw .malformedHeader("header: exportedAt must be an RFC 3339 UTC time with milliseconds")
        }
        self.init(ledger: ledger, stream: stream, to: to, checkpoint: checkpoint, exportedAt: at)
    }
}

/// One entry line of an evidence package:
/// `{"seq":n,"body":{…},"sig":"<base64>","eventHash":"<hex>","proof":["<base64>",…]}`, with `body`
/// written as its canonical bytes and `proof` the RFC 6962 inclusion proof of leaf `seq − 1` in
/// the checkpoint's tree, from the leaf's sibling up.
public func evidenceEntryLine(seq: Int64, bodyBytes: [UInt8], signature: [UInt8], eventHash: Digest32, proof: [Digest32]) -> [UInt8] {
    var out = [UInt8]()
    out.reserveCapacity(bodyBytes.count + 200 + 47 * proof.count)
    out.append(contentsOf: "{\"seq\":\(seq),\"body\":".utf8)
    out.append(contentsOf: bodyBytes)
    out.append(contentsOf: ",\"sig\":\"\(Base64.encode(signature))\",\"eventHash\":\"\(eventHash.hex)\",\"proof\":[".utf8)
    out.append(contentsOf: proof.map { "\"" + Base64.encode($0.bytes) + "\"" }.joined(separator: ",").utf8)
    out.append(contentsOf: "]}".utf8)
    return out
}

/// Problems reading an evidence package as a whole (entry-level problems are failures).
public enum EvidenceError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case malformedHeader(String)
    case empty(path: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read evidence package \(path): \(reason)"
        case .malformedHeader(let m): "not a valid evidence package: \(m)"
        case .empty(let path): "evidence package \(path) is empty"
        }
    }
}

/// The outcome of verifying an evidence package.
public struct EvidenceReport: Sendable {
    /// The ledger id, from the genesis once it verified.
    public var ledger: String?
    /// The stream the package proves (from its header).
    public var stream: String
    /// Entry lines read.
    public var entries: Int64 = 0
    /// Entries of ``stream``.
    public var events: Int64 = 0
    /// The last `seq` and `streamSeq` of the stream's events in the package.
    public var lastEvent: (seq: Int64, streamSeq: Int64)?
    /// The checkpoint and what became of it.
    public var checkpoint: CarriedCheckpoint?
    public var rootKeys: [String] = []
    public var rootPinned = false
    /// The first failure; nil when the package verifies. A package is judged up to its first
    /// failure (§12.7).
    public var failure: VerificationFailure?

    public var isValid: Bool { failure == nil }
}

/// Offline verification of an evidence package (docs/FORMAT.md §12.7): the entries it holds
/// against its checkpoint, without the rest of the log.
public enum EvidenceVerifier {
    /// Verifies the package at `path`. Throws only when the file cannot be read or its header
    /// is not valid.
    public static func verify(path: String, trustRoot: Ed25519.PublicKey?, logKey: NoteVerifier?) throws(EvidenceError)
        -> (EvidenceHeader, EvidenceReport)
    {
        // A regular file only, and bounded: the package is checked in memory (InputFile).
        let data: [UInt8]
        do { data = try InputFile.read(path, what: "evidence package", limit: maxFileBytes) } catch {
            throw .unreadable(path: path, reason: error.description)
        }
        guard !data.isEmpty else { throw .empty(path: path) }
        return try verify(bytes: data, trustRoot: trustRoot, logKey: logKey)
    }

    /// The largest evidence package file read (256 MiB): it is verified in memory. A session's
    /// events, their proofs and the checkpoint stay far below it (README, "Limits").
    public static let maxFileBytes = 256 << 20

    /// Verifies a package held in memory.
    public static func verify(bytes: [UInt8], trustRoot: Ed25519.PublicKey?, logKey: NoteVerifier?) throws(EvidenceError)
        -> (EvidenceHeader, EvidenceReport)
    {
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard let first = lines.first else { throw .malformedHeader("the file holds no header line") }
        let header = try EvidenceHeader(line: first)
        var run = EvidenceRun(header: header, trustRoot: trustRoot, logKey: logKey)
        // §6.1's line rules: a run of blank lines before a non-blank line is one unreadable
        // entry at its first line; blank lines at the end are ignored.
        var raw: [(line: Int, bytes: [UInt8])] = []
        var pendingBlank: Int? = nil
        for (i, l) in lines.enumerated().dropFirst() {
            if l.isEmpty {
                pendingBlank = pendingBlank ?? i + 1
                continue
            }
            if let b = pendingBlank {
                raw.append((b, []))
                pendingBlank = nil
            }
            raw.append((i + 1, l))
        }
        run.run(raw)
        return (header, run.report)
    }
}

/// One entry line, decoded (§12.7 E1, E3).
struct EvidenceEntry {
    let line: Int
    let seq: Int64
    let body: EventBody
    let bodyBytes: [UInt8]
    let signature: [UInt8]
    let recordedEventHash: Digest32
    let computedEventHash: Digest32
    let proof: [Digest32]
}

/// The verification of one package, step by step; stops at the first failure.
struct EvidenceRun {
    let header: EvidenceHeader
    let trustRoot: Ed25519.PublicKey?
    let logKey: NoteVerifier?
    var report: EvidenceReport

    init(header: EvidenceHeader, trustRoot: Ed25519.PublicKey?, logKey: NoteVerifier?) {
        self.header = header
        self.trustRoot = trustRoot
        self.logKey = logKey
        self.report = EvidenceReport(stream: header.stream)
    }

    /// A failure has a seq, a line (nil for the package as a whole) and a stream.
    struct Stop: Error {
        let failure: VerificationFailure
    }

    static func stop(_ seq: Int64, _ reason: FailureReason, _ detail: String, line: Int? = nil, stream: String? = nil) -> Stop {
        Stop(failure: VerificationFailure(seq: seq, line: line, stream: stream, reason: reason, detail: detail))
    }

    mutating func run(_ raw: [(line: Int, bytes: [UInt8])]) {
        report.entries = Int64(raw.count)
        do { try check(raw) } catch { report.failure = error.failure }
    }

    private mutating func check(_ raw: [(line: Int, bytes: [UInt8])]) throws(Stop) {
        // P2. The checkpoint.
        let carried = ParsedCarriedCheckpoint(header.checkpoint)
        report.checkpoint = carried.unchecked
        guard let note = carried.note, let cp = carried.checkpoint else {
            throw Self.stop(header.to, .checkpointMismatch, "the package's checkpoint: " + (carried.problem ?? "it cannot be read"))
        }
        let n = cp.size

        // E. Every line, in file order: well formed, in order, covered, readable, in its streams.
        var entries: [EvidenceEntry] = []
        var previous: Int64 = 0
        for (line, bytes) in raw {
            let e = try Self.decode(line: line, bytes: bytes, previous: previous, ledgerStream: header.stream)
            if entries.isEmpty && e.seq != 1 {
                throw Self.stop(e.seq, .genesisMissing, "the package starts at seq \(e.seq): seq 1, the genesis, is missing", line: line)
            }
            if e.seq <= previous {
                throw Self.stop(e.seq, .seqDuplicate, "seq \(e.seq) follows seq \(previous): repeated or out of order", line: line)
            }
            if e.seq > n {
                throw Self.stop(
                    e.seq, .checkpointMismatch, "the checkpoint covers seq 1...\(n); this entry is not in its tree", line: line)
            }
            if e.seq > header.to {
                throw Self.stop(
                    e.seq, .evidenceTruncated, "the header says the package ends at seq \(header.to) but it holds seq \(e.seq)",
                    line: line)
            }
            previous = e.seq
            entries.append(try Self.body(e, stream: header.stream))
        }
        guard let last = entries.last else { throw Self.stop(1, .genesisMissing, "the package holds no entry") }
        if last.seq < header.to {
            throw Self.stop(header.to, .evidenceTruncated, "the header promises entries up to seq \(header.to) but the package ends at seq \(last.seq)")
        }
        let events = entries.filter { $0.body.stream == header.stream }
        guard !events.isEmpty else {
            throw Self.stop(header.to, .evidenceTruncated, "the package holds no event of stream \(header.stream)")
        }

        // G. The genesis.
        let genesis = entries[0]
        var registry = KeyRegistry()
        let roots = try checkGenesis(genesis)
        registry.addRoots(roots)
        report.ledger = genesis.body.ledger
        report.rootKeys = roots.map(\.keyID)

        // K. The keys stream, in order.
        var keysPosition = LedgerCheckpointRules.StreamPosition.none
        for e in entries.dropFirst() where e.body.stream == FormatV1.keysStream {
            try Self.checkEvent(e, ledger: genesis.body.ledger, registry: &registry, position: &keysPosition)
        }

        // C. The checkpoint: this ledger's, signed by its log key, binding this keys stream.
        let origin = LedgerCheckpointRules.origin(genesisBody: genesis.body, eventHash: genesis.computedEventHash)
        guard cp.value.origin == origin else {
            throw Self.stop(n, .checkpointMismatch, "the package's checkpoint is for log \"\(cp.value.origin)\", not this ledger's \"\(origin)\"")
        }
        let signers: [String]
        switch LedgerCheckpointRules.signers(of: note, logKey: logKey, keys: registry.records, origin: origin, size: n) {
        case .success(let s): signers = s
        case .failure(let why): throw Self.stop(n, .checkpointMismatch, "the package's checkpoint: \(why)")
        }
        switch LedgerCheckpointRules.keysBinding(cp.value) {
        case .absent:
            throw Self.stop(n, .checkpointMismatch, "the package's checkpoint has no sealbook-keys line", stream: FormatV1.keysStream)
        case .malformed(let why):
            throw Self.stop(n, .checkpointMismatch, "the package's checkpoint: \(why)", stream: FormatV1.keysStream)
        case .value(let bound):
            guard bound == keysPosition else {
                throw Self.stop(
                    n, .checkpointMismatch,
                    "the checkpoint binds the keys stream at \(bound), the package's keys stream ends at \(keysPosition): key events are missing",
                    stream: FormatV1.keysStream)
            }
        }
        report.checkpoint = CarriedCheckpoint(note: header.checkpoint, size: n, root: cp.root, checked: true, signedBy: signers)

        // I. Every entry is the log's at its seq: its hash, and its inclusion proof.
        for e in entries {
            guard e.recordedEventHash == e.computedEventHash else {
                throw Self.stop(
                    e.seq, .wrongEventHash,
                    "recorded eventHash \(e.recordedEventHash.hex) but SHA-256(body || sig) is \(e.computedEventHash.hex)", line: e.line,
                    stream: e.body.stream)
            }
            do {
                try Merkle.verifyInclusion(
                    leafHash: Merkle.leafHash(e.computedEventHash), index: UInt64(e.seq - 1), size: UInt64(n), proof: e.proof,
                    root: cp.root)
            } catch {
                throw Self.stop(
                    e.seq, .badInclusionProof, "the inclusion proof of seq \(e.seq) in the checkpoint's tree of size \(n) fails: \(error)",
                    line: e.line, stream: e.body.stream)
            }
        }

        // S. The stream's events, in order, under the keys valid at their seq.
        var position = LedgerCheckpointRules.StreamPosition.none
        for e in events {
            try Self.checkEvent(e, ledger: genesis.body.ledger, registry: &registry, position: &position)
        }
        report.events = Int64(events.count)
        report.lastEvent = events.last.map { ($0.seq, $0.body.streamSeq) }
        report.checkpoint = CarriedCheckpoint(note: header.checkpoint, size: n, root: cp.root, checked: true, signedBy: signers)
    }

    /// E1: one line, decoded; `previous` is the seq of the entry before it.
    static func decode(line: Int, bytes: [UInt8], previous: Int64, ledgerStream: String) throws(Stop) -> (
        line: Int, seq: Int64, value: JSONValue, sig: [UInt8], eventHash: Digest32, proof: [Digest32]
    ) {
        var seqHere = previous + 1
        func malformed(_ detail: String) -> Stop { stop(seqHere, .evidenceMalformed, "line \(line) " + detail, line: line) }
        let value: JSONValue
        do { value = try bytes.withUnsafeBytes { try JSONParser.parse($0, maxDepth: FormatV1.maxDepth + 1) } } catch {
            throw malformed("is not valid JSON: \(error)")
        }
        guard case .object(let o) = value else { throw malformed("is not an entry {\"seq\",\"body\",\"sig\",\"eventHash\",\"proof\"}") }
        if let s = o["seq"]?.int64Value, s >= 1, s <= FormatV1.maxSafeInteger { seqHere = s }
        guard o.members.count == 5, let seq = o["seq"]?.int64Value, let body = o["body"], case .string(let sigText)? = o["sig"],
            case .string(let eh)? = o["eventHash"], case .array(let proofValues)? = o["proof"]
        else { throw malformed("is not an entry {\"seq\",\"body\",\"sig\",\"eventHash\",\"proof\"}") }
        guard seq >= 1, seq <= FormatV1.maxSafeInteger else { throw malformed("has seq \(seq), outside 1...2^53-1") }
        guard let sig = Base64.decode(sigText) else { throw malformed("has a sig that is not standard base64") }
        guard let eventHash = Digest32(hex: eh) else { throw malformed("has an eventHash that is not 64 lowercase hex digits") }
        guard proofValues.count <= TLogProof.maxProofHashes else { throw malformed("has more than 63 proof hashes") }
        var proof: [Digest32] = []
        for p in proofValues {
            guard case .string(let t) = p, let raw = Base64.decode(t), let h = Digest32(bytes: raw) else {
                throw malformed("has a proof element that is not the base64 of 32 bytes")
            }
            proof.append(h)
        }
        return (line, seq, body, sig, eventHash, proof)
    }

    /// E3, E4: the body is readable, and in one of the package's streams.
    static func body(
        _ e: (line: Int, seq: Int64, value: JSONValue, sig: [UInt8], eventHash: Digest32, proof: [Digest32]), stream: String
    ) throws(Stop) -> EvidenceEntry {
        func unreadable(_ detail: String) -> Stop {
            e.seq == 1
                ? stop(1, .genesisMissing, "malformed-body: \(detail)", line: e.line)
                : stop(e.seq, .malformedBody, detail, line: e.line)
        }
        let bodyBytes: [UInt8]
        do { bodyBytes = try JCS.canonicalize(e.value) } catch { throw unreadable("body holds a number that cannot be canonicalized") }
        guard bodyBytes.count <= FormatV1.maxBodyBytes else {
            throw unreadable("body is \(bodyBytes.count) bytes, over the limit of \(FormatV1.maxBodyBytes)")
        }
        let body: EventBody
        do { body = try EventBody(json: e.value) } catch { throw unreadable(error.description) }
        if e.seq > 1 && body.stream != FormatV1.keysStream && body.stream != stream {
            throw stop(
                e.seq, .evidenceMalformed, "the entry is in stream \"\(body.stream)\": a package holds only the genesis, stream keys and stream \(stream)",
                line: e.line, stream: body.stream)
        }
        return EvidenceEntry(
            line: e.line, seq: e.seq, body: body, bodyBytes: bodyBytes, signature: e.sig, recordedEventHash: e.eventHash,
            computedEventHash: FormatV1.eventHash(bodyBytes: bodyBytes, signature: e.sig), proof: e.proof)
    }

    /// G: §7.4 V3a 2–8 on the genesis.
    private mutating func checkGenesis(_ g: EvidenceEntry) throws(Stop) -> [KeyDescriptor] {
        func fail(_ reason: FailureReason, _ detail: String) -> Stop { Self.stop(1, reason, detail, line: g.line, stream: g.body.stream) }
        let body = g.body
        guard body.type == FormatV1.genesisType, body.stream == FormatV1.ledgerStream, body.streamSeq == 1 else {
            throw fail(.genesisMissing, "seq 1 is \(body.type) in stream \"\(body.stream)\", not ledger.genesis in stream \"ledger\"")
        }
        let roots: [KeyDescriptor]
        do { roots = try parseGenesisRoots(body.data) } catch { throw fail(.genesisMissing, error.description) }
        guard let signer = roots.first(where: { $0.keyID == body.key }) else {
            throw fail(.genesisMissing, "the genesis is signed by \(body.key), which is not one of its rootKeys")
        }
        guard signer.actor == body.actor else {
            throw fail(.genesisMissing, "the genesis actor \"\(body.actor)\" is not the root key's actor \"\(signer.actor)\"")
        }
        guard header.ledger == body.ledger else {
            throw fail(.ledgerMismatch, "the package says ledger \"\(header.ledger)\" but the genesis says \"\(body.ledger)\"")
        }
        guard signer.publicKey.isValidSignature(g.signature, for: FormatV1.signingMessage(g.bodyBytes)) else {
            throw fail(.genesisMissing, "the genesis signature does not verify under its root key \(signer.keyID)")
        }
        if let pin = trustRoot {
            guard pin == signer.publicKey else {
                throw fail(.genesisRootMismatch, "the genesis is signed by \(signer.keyID), not by the pinned root \(pin.keyID)")
            }
            report.rootPinned = true
        }
        return roots
    }

    /// K, S: §7.4 V3b 2–9 on an entry of stream `keys` or of the package's stream, in order;
    /// `position` is where the entry's stream stood before it.
    static func checkEvent(
        _ e: EvidenceEntry, ledger: String, registry: inout KeyRegistry, position: inout LedgerCheckpointRules.StreamPosition
    ) throws(Stop) {
        let body = e.body
        func fail(_ reason: FailureReason, _ detail: String) -> Stop { stop(e.seq, reason, detail, line: e.line, stream: body.stream) }
        guard body.ledger == ledger else {
            throw fail(.ledgerMismatch, "body names ledger \"\(body.ledger)\" but this is ledger \"\(ledger)\"")
        }
        let isKeyType = body.type == FormatV1.keyEnrolledType || body.type == FormatV1.keyRevokedType
        if body.type == FormatV1.genesisType || body.stream == FormatV1.ledgerStream {
            throw fail(.reservedStream, "only seq 1 may be ledger.genesis, and only it may be in stream \"ledger\"")
        }
        if isKeyType != (body.stream == FormatV1.keysStream) {
            throw fail(.reservedStream, "stream \"keys\" holds exactly the key.enrolled and key.revoked events")
        }
        switch registry.refusal(keyID: body.key, actor: body.actor, at: e.seq) {
        case .unknownKey?: throw fail(.unknownKey, "key \(body.key) was not enrolled before seq \(e.seq)")
        case .revoked(let at)?: throw fail(.keyRevoked, "key \(body.key) was revoked at seq \(at)")
        case .actorMismatch(let enrolled)?:
            throw fail(.actorKeyMismatch, "actor \"\(body.actor)\" signed with key \(body.key), which is enrolled for \"\(enrolled)\"")
        case nil: break
        }
        // refusal(…) returned nil, so the key is known.
        guard let record = registry.record(for: body.key) else { throw fail(.unknownKey, "key \(body.key) is not known") }
        guard record.publicKey.isValidSignature(e.signature, for: FormatV1.signingMessage(e.bodyBytes)) else {
            throw fail(.badSignature, "signature does not verify under key \(body.key) (\(record.actor))")
        }
        guard body.streamSeq == position.streamSeq + 1 else {
            throw fail(.wrongStreamSeq, "streamSeq is \(body.streamSeq) but the stream's next position is \(position.streamSeq + 1)")
        }
        guard body.streamPrev == position.eventHash else {
            throw fail(
                .wrongStreamPrev,
                "streamPrev \(body.streamPrev.hex) is not the eventHash of the stream's previous event (\(position.eventHash.hex))")
        }
        if isKeyType {
            guard record.roles.contains(.admin) else {
                throw fail(
                    .unauthorized, "\(body.type) must be signed by a key with role admin; \(body.key) holds \(record.roles.map(\.rawValue).sorted())")
            }
            do {
                if body.type == FormatV1.keyEnrolledType {
                    try registry.enroll(try KeyDescriptor(json: body.data, path: "data"), at: e.seq)
                } else {
                    try registry.revoke(try parseRevocation(body.data).keyID, at: e.seq)
                }
            } catch let error as BodyError {
                throw fail(.invalidKeyEvent, error.description)
            } catch {
                throw fail(.invalidKeyEvent, "\(error)")
            }
        }
        position = LedgerCheckpointRules.StreamPosition(streamSeq: body.streamSeq, eventHash: e.computedEventHash)
    }
}
