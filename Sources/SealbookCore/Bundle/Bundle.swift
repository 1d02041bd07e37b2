internal import Foundation

/// The first line of a bundle (`docs/FORMAT.md` §6).
public struct BundleHeader: Sendable, Equatable {
    /// The format tag, `bundle/1`.
    public static let tag = "bundle/1"
    public let ledger: String
    public let from: Int64
    public let to: Int64
    public let chainHashBefore: Digest32
    public let exportedAt: String
    /// The signed checkpoint note the bundle carries (§6.5): the whole note, text and signature
    /// lines, each ending with a newline. Nil when it carries none.
    public let checkpoint: String?

    public init(
        ledger: String, from: Int64 = 1, to: Int64, chainHashBefore: Digest32 = .zero, exportedAt: String, checkpoint: String? = nil
    ) {
        self.ledger = ledger
        self.from = from
        self.to = to
        self.chainHashBefore = chainHashBefore
        self.exportedAt = exportedAt
        self.checkpoint = checkpoint
    }

    /// The header line (no newline), members in the documented order.
    public var line: [UInt8] {
        var s = "{\"sealbook\":\"\(Self.tag)\",\"ledger\":"
        s += (try? JCS.canonicalString(.string(ledger))) ?? "\"\""
        s += ",\"from\":\(from),\"to\":\(to),\"chainHashBefore\":\"\(chainHashBefore.hex)\",\"exportedAt\":\"\(exportedAt)\""
        if let checkpoint { s += ",\"checkpoint\":" + ((try? JCS.canonicalString(.string(checkpoint))) ?? "\"\"") }
        return Array((s + "}").utf8)
    }

    /// Reads and checks a header line.
    public init(line: [UInt8]) throws(BundleError) {
        let v: JSONValue
        do { v = try line.withUnsafeBytes { try JSONParser.parse($0) } } catch {
            throw .malformedHeader("line 1 is not valid JSON: \(error)")
        }
        guard case .object(let o) = v else { throw .malformedHeader("line 1 must be a JSON object") }
        guard o["sealbook"]?.stringValue == Self.tag else {
            throw .malformedHeader("line 1 is not a Sealbook bundle header (\"sealbook\" must be \"\(Self.tag)\")")
        }
        guard let ledger = o["ledger"]?.stringValue, FormatV1.isValidLedgerID(ledger) else {
            throw .malformedHeader("header: ledger must be a ledger id")
        }
        guard let from = o["from"]?.int64Value, from == 1 else {
            throw .malformedHeader("header: from must be 1 (bundle/1 always starts at the genesis)")
        }
        guard let to = o["to"]?.int64Value, to >= 1 else { throw .malformedHeader("header: to must be an integer ≥ 1") }
        guard let before = o["chainHashBefore"]?.stringValue.flatMap({ Digest32(hex: $0) }), before == .zero else {
            throw .malformedHeader("header: chainHashBefore must be 64 zeros when from is 1")
        }
        guard let at = o["exportedAt"]?.stringValue, FormatV1.isValidTime(at) else {
            throw .malformedHeader("header: exportedAt must be an RFC 3339 UTC time with milliseconds")
        }
        var checkpoint: String? = nil
        if let c = o["checkpoint"] {
            guard case .string(let note) = c else { throw .malformedHeader("header: checkpoint must be a string (a signed note)") }
            checkpoint = note
        }
        self.init(ledger: ledger, from: from, to: to, chainHashBefore: before, exportedAt: at, checkpoint: checkpoint)
    }
}

/// One entry line: `{"seq":n,"body":{…},"sig":"<base64>","eventHash":"<hex>","chainHash":"<hex>"}`,
/// with `body` written as its canonical bytes.
public func bundleEntryLine(seq: Int64, bodyBytes: [UInt8], signature: [UInt8], eventHash: Digest32, chainHash: Digest32) -> [UInt8] {
    var out = [UInt8]()
    out.reserveCapacity(bodyBytes.count + 260)
    out.append(contentsOf: "{\"seq\":\(seq),\"body\":".utf8)
    out.append(contentsOf: bodyBytes)
    out.append(contentsOf: ",\"sig\":\"\(Base64.encode(signature))\",\"eventHash\":\"\(eventHash.hex)\",\"chainHash\":\"\(chainHash.hex)\"}".utf8)
    return out
}

/// Problems reading a bundle file as a whole (entry-level problems are verification failures).
public enum BundleError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case malformedHeader(String)
    case empty(path: String)
    /// A line longer than any bundle line can be (``LineReader/defaultMaxLineBytes``): not read.
    case lineTooLong(path: String, line: Int, limit: Int)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read bundle \(path): \(reason)"
        case .malformedHeader(let m): "not a valid bundle: \(m)"
        case .empty(let path): "bundle \(path) is empty"
        case .lineTooLong(let path, let line, let limit):
            "bundle \(path): line \(line) is longer than \(limit) bytes, more than any bundle line can need (docs/FORMAT.md §6.1); it is not a Sealbook bundle, or it was tampered with; nothing of it was verified"
        }
    }
}

/// Reads a file line by line in large blocks, without holding the whole file: a regular file
/// only (``InputFile``), and no line longer than ``maxLineBytes`` is ever held.
public struct LineReader: ~Copyable {
    /// The longest line a bundle can need: an entry line holds a body of at most 65,536
    /// canonical bytes, which a pretty-printed or escaped copy may make larger; 4 × the body
    /// limit plus 4,096 bytes for the other members (docs/FORMAT.md §6.1).
    public static let defaultMaxLineBytes = 4 * FormatV1.maxBodyBytes + 4096

    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var scanned = 0  // buffer[start..<scanned] holds no newline
    private var atEOF = false
    private let blockSize: Int
    private let maxLineBytes: Int
    private var lineNumber = 0
    /// Bytes read so far.
    public private(set) var bytesRead: Int64 = 0
    /// The number (1-based) of a line longer than the limit, if one was met: ``next()`` then
    /// returned nil, as at the end of the file, without holding the line.
    public private(set) var overlongLine: Int? = nil

    public init(path: String, blockSize: Int = 1 << 20, maxLineBytes: Int = LineReader.defaultMaxLineBytes) throws(BundleError) {
        let fd: Int32
        do { fd = try InputFile.openRegular(path, what: "bundle") } catch {
            throw .unreadable(path: path, reason: error.description)
        }
        self.handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        self.blockSize = blockSize
        self.maxLineBytes = maxLineBytes
    }

    deinit { try? handle.close() }

    /// The next line without its `\n`, or nil at the end. A final line without `\n` is returned too.
    public mutating func next() -> [UInt8]? {
        guard overlongLine == nil else { return nil }
        while true {
            if let nl = buffer[max(start, scanned)...].firstIndex(of: 0x0A) {
                guard nl - start <= maxLineBytes else { return overlong() }
                let line = Array(buffer[start..<nl])
                start = nl + 1
                scanned = start
                lineNumber += 1
                return line
            }
            scanned = buffer.count
            if buffer.count - start > maxLineBytes { return overlong() }
            if atEOF {
                guard start < buffer.count else { return nil }
                let line = Array(buffer[start...])
                start = buffer.count
                lineNumber += 1
                return line
            }
            buffer.removeFirst(start)
            scanned -= start
            start = 0
            let data = handle.readData(ofLength: blockSize)
            if data.isEmpty { atEOF = true } else {
                bytesRead += Int64(data.count)
                buffer.append(contentsOf: data)
            }
        }
    }

    private mutating func overlong() -> [UInt8]? {
        overlongLine = lineNumber + 1
        buffer = []
        start = 0
        scanned = 0
        return nil
    }
}

/// What verifying a bundle found: its header, the report, and the checkpoint it carries.
public struct BundleVerification: Sendable {
    public let header: BundleHeader
    public let report: VerificationReport
    /// The checkpoint of the header's `checkpoint` member (§6.5) and what became of it; nil
    /// when the bundle carries none.
    public let checkpoint: CarriedCheckpoint?
}

/// Offline verification of a bundle file: nothing but the file and (optionally) the pinned root.
public enum BundleVerifier {
    /// Entries handed to the verifier at a time.
    public static let chunkSize = 8192

    /// Verifies `path`. `onVerified` receives each entry that passed every check, in `seq`
    /// order; `progress` is called after each chunk with the last `seq` read and the header's
    /// `to`. Throws only when the file cannot be read or its header is not valid.
    /// `keepRootsAt`: tree sizes whose RFC 6962 root to keep in the report
    /// (``VerificationReport/treeRoots``), for checking a checkpoint. The checkpoint the bundle
    /// carries, if any, is checked too (``verifyBundle(path:options:onVerified:keepRootsAt:logKey:progress:)``).
    public static func verify(
        path: String, options: VerifyOptions, onVerified: (@Sendable (VerifiedEvent) -> Void)? = nil,
        keepRootsAt: Set<Int64> = [], logKey: NoteVerifier? = nil, progress: (Int64, Int64) -> Void = { _, _ in }
    ) throws(BundleError) -> (BundleHeader, VerificationReport) {
        let v = try verifyBundle(
            path: path, options: options, onVerified: onVerified, keepRootsAt: keepRootsAt, logKey: logKey, progress: progress)
        return (v.header, v.report)
    }

    /// Verifies `path` (docs/FORMAT.md §6, §7) and, when every entry verified, the checkpoint
    /// its header carries (§6.5): a failure there is a `checkpoint-mismatch`. The checkpoint
    /// must be signed by `logKey` when given, else by a key the bundle's own verified key
    /// history gives role `log` at the checkpoint's size.
    public static func verifyBundle(
        path: String, options: VerifyOptions, onVerified: (@Sendable (VerifiedEvent) -> Void)? = nil,
        keepRootsAt: Set<Int64> = [], logKey: NoteVerifier? = nil, progress: (Int64, Int64) -> Void = { _, _ in }
    ) throws(BundleError) -> BundleVerification {
        var reader = try LineReader(path: path)
        guard let first = reader.next() else {
            if let n = reader.overlongLine { throw .lineTooLong(path: path, line: n, limit: LineReader.defaultMaxLineBytes) }
            throw .empty(path: path)
        }
        let header = try BundleHeader(line: first)
        var opts = options
        opts.expectedLedger = header.ledger
        var verifier = Verifier(options: opts)
        // What the checkpoint check needs from the verified entries: the genesis, and the chain
        // and the keys stream at the checkpoint's size.
        let carried = header.checkpoint.map(ParsedCarriedCheckpoint.init)
        let witness = carried.map { CheckpointWitness(size: $0.checkpoint?.size ?? 0) }
        if let witness {
            verifier.onVerified = { e in
                witness.take(e)
                onVerified?(e)
            }
        } else {
            verifier.onVerified = onVerified
        }
        var roots = keepRootsAt
        if let size = carried?.checkpoint?.size { roots.insert(size) }
        verifier.keepRoots(at: roots)
        var chunk: [RawEntry] = []
        chunk.reserveCapacity(chunkSize)
        var lineNumber = 1
        var pendingBlank: Int? = nil
        var linesRemain = false
        while let line = reader.next() {
            lineNumber += 1
            if line.isEmpty {
                pendingBlank = pendingBlank ?? lineNumber
                continue
            }
            if let blank = pendingBlank {
                // A blank line in the middle is a malformed entry where the next seq should be.
                chunk.append(.bundleLine(line: blank, bytes: []))
                pendingBlank = nil
            }
            chunk.append(.bundleLine(line: lineNumber, bytes: line))
            if chunk.count >= chunkSize {
                verifier.consume(chunk)
                chunk.removeAll(keepingCapacity: true)
                progress(verifier.nextSeq - 1, header.to)
                if verifier.isFinished {
                    while let rest = reader.next() {
                        if !rest.isEmpty { linesRemain = true; break }
                    }
                    break
                }
            }
        }
        if let n = reader.overlongLine {
            throw .lineTooLong(path: path, line: n, limit: LineReader.defaultMaxLineBytes)
        }
        if !verifier.isFinished {
            verifier.consume(chunk)
            progress(verifier.nextSeq - 1, header.to)
        }
        var report = verifier.finish()
        let stoppedAtFailure = verifier.isFinished  // before the truncation check records anything
        if !verifier.isFatal && (!verifier.isFinished || options.reportAll) {
            let last = report.lastSeq
            if last < header.to {
                verifier.recordFailure(
                    VerificationFailure(
                        seq: last + 1, line: nil, stream: nil, reason: .bundleTruncated,
                        detail: "the header promises entries up to seq \(header.to) but the bundle ends at seq \(last)"))
            } else if last > header.to {
                verifier.recordFailure(
                    VerificationFailure(
                        seq: header.to + 1, line: nil, stream: nil, reason: .bundleTruncated,
                        detail: "the header says the bundle ends at seq \(header.to) but it holds entries up to seq \(last)"))
            }
            report = verifier.finish()
        }
        // §6.5: the checkpoint is judged against a bundle every entry of which verified.
        var outcome: CarriedCheckpoint? = nil
        if let carried, let witness {
            if report.isValid {
                let (checked, failure) = carried.judge(header: header, report: report, witness: witness, logKey: logKey)
                outcome = checked
                if let failure {
                    verifier.recordFailure(failure)
                    report = verifier.finish()
                }
            } else {
                outcome = carried.unchecked
            }
        }
        if stoppedAtFailure && (linesRemain || report.lastSeq < header.to) { report.stoppedEarly = true }
        return BundleVerification(header: header, report: report, checkpoint: outcome)
    }
}

/// A carried checkpoint note, parsed as far as it goes.
struct ParsedCarriedCheckpoint {
    let text: String
    let note: SignedNote?
    /// The checkpoint, when the note parses, its text is a checkpoint and its size is at least 1.
    let checkpoint: (size: Int64, root: Digest32, value: Checkpoint)?
    /// Why it is not one.
    let problem: String?

    init(_ text: String) {
        self.text = text
        do {
            let note = try SignedNote(parsing: text)
            let c = try Checkpoint(text: note.text)
            self.note = note
            if c.size == 0 {
                checkpoint = nil
                problem = "it is a checkpoint of the empty tree, which anchors nothing"
            } else {
                checkpoint = (Int64(c.size), c.rootHash, c)
                problem = nil
            }
        } catch {
            note = nil
            checkpoint = nil
            problem = "it is not a signed checkpoint: \(error)"
        }
    }

    var unchecked: CarriedCheckpoint {
        CarriedCheckpoint(note: text, size: checkpoint?.size, root: checkpoint?.root, checked: false, signedBy: [])
    }

    /// §6.5 C1–C7 against a bundle every entry of which verified: the first that fails.
    func judge(header: BundleHeader, report: VerificationReport, witness: CheckpointWitness, logKey: NoteVerifier?)
        -> (CarriedCheckpoint, VerificationFailure?)
    {
        func failed(_ seq: Int64, _ detail: String, stream: String? = nil) -> (CarriedCheckpoint, VerificationFailure?) {
            (
                CarriedCheckpoint(note: text, size: checkpoint?.size, root: checkpoint?.root, checked: true, signedBy: []),
                VerificationFailure(
                    seq: seq, line: nil, stream: stream, reason: .checkpointMismatch, detail: "the bundle's checkpoint: " + detail)
            )
        }
        guard let note, let cp = checkpoint else { return failed(header.to, problem ?? "it cannot be read") }
        let n = cp.size
        guard n <= header.to else {
            return failed(header.to + 1, "it covers seq 1...\(n) but the bundle ends at seq \(header.to)")
        }
        guard let genesis = witness.genesis else { return failed(1, "the genesis did not verify") }
        let origin = LedgerCheckpointRules.origin(genesisBody: genesis.body, eventHash: genesis.eventHash)
        guard cp.value.origin == origin else {
            return failed(n, "it is for log \"\(cp.value.origin)\", not this ledger's \"\(origin)\"")
        }
        let signers: [String]
        switch LedgerCheckpointRules.signers(of: note, logKey: logKey, keys: report.keys, origin: origin, size: n) {
        case .success(let s): signers = s
        case .failure(let why): return failed(n, why.description)
        }
        guard let root = report.treeRoots[n] else { return failed(n, "the tree at size \(n) could not be computed") }
        guard root == cp.root else {
            return failed(n, "the tree of seq 1...\(n) has root \(Base64.encode(root.bytes)), the checkpoint says \(Base64.encode(cp.root.bytes))")
        }
        switch LedgerCheckpointRules.chainBinding(cp.value) {
        case .absent: break
        case .malformed(let why): return failed(n, why)
        case .value(let bound):
            guard bound == witness.chainAtSize else {
                return failed(n, "it binds chainHash \(bound.hex) at seq \(n), the bundle's is \(witness.chainAtSize?.hex ?? "unknown")")
            }
        }
        switch LedgerCheckpointRules.keysBinding(cp.value) {
        case .absent: break
        case .malformed(let why): return failed(n, why, stream: FormatV1.keysStream)
        case .value(let bound):
            guard bound == witness.keys else {
                return failed(n, "it binds the keys stream at \(bound), the bundle's is at \(witness.keys)", stream: FormatV1.keysStream)
            }
        }
        return (CarriedCheckpoint(note: text, size: n, root: cp.root, checked: true, signedBy: signers), nil)
    }
}

/// Collects, from the verified entries, what a carried checkpoint of size `size` is checked
/// against.
// @unchecked Sendable: the verifier calls `take` on the thread that feeds it, in `seq` order,
// and the fields are read only after the feeding has returned.
final class CheckpointWitness: @unchecked Sendable {
    let size: Int64
    private(set) var genesis: VerifiedEvent?
    private(set) var chainAtSize: Digest32?
    private(set) var keys = LedgerCheckpointRules.StreamPosition.none

    init(size: Int64) { self.size = size }

    func take(_ e: VerifiedEvent) {
        if e.seq == 1 { genesis = e }
        if e.seq == size { chainAtSize = e.chainHash }
        if e.seq <= size && e.body.stream == FormatV1.keysStream {
            keys = LedgerCheckpointRules.StreamPosition(streamSeq: e.body.streamSeq, eventHash: e.eventHash)
        }
    }
}
