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

    public init(ledger: String, from: Int64 = 1, to: Int64, chainHashBefore: Digest32 = .zero, exportedAt: String) {
        self.ledger = ledger
        self.from = from
        self.to = to
        self.chainHashBefore = chainHashBefore
        self.exportedAt = exportedAt
    }

    /// The header line (no newline), members in the documented order.
    public var line: [UInt8] {
        var s = "{\"sealbook\":\"\(Self.tag)\",\"ledger\":"
        s += (try? JCS.canonicalString(.string(ledger))) ?? "\"\""
        s += ",\"from\":\(from),\"to\":\(to),\"chainHashBefore\":\"\(chainHashBefore.hex)\",\"exportedAt\":\"\(exportedAt)\"}"
        return Array(s.utf8)
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
        self.init(ledger: ledger, from: from, to: to, chainHashBefore: before, exportedAt: at)
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

/// Offline verification of a bundle file: nothing but the file and (optionally) the pinned root.
public enum BundleVerifier {
    /// Entries handed to the verifier at a time.
    public static let chunkSize = 8192

    /// Verifies `path`. `onVerified` receives each entry that passed every check, in `seq`
    /// order; `progress` is called after each chunk with the last `seq` read and the header's
    /// `to`. Throws only when the file cannot be read or its header is not valid.
    /// `keepRootsAt`: tree sizes whose RFC 6962 root to keep in the report
    /// (``VerificationReport/treeRoots``), for checking a checkpoint.
    public static func verify(
        path: String, options: VerifyOptions, onVerified: (@Sendable (VerifiedEvent) -> Void)? = nil,
        keepRootsAt: Set<Int64> = [], progress: (Int64, Int64) -> Void = { _, _ in }
    ) throws(BundleError) -> (BundleHeader, VerificationReport) {
        var reader = try LineReader(path: path)
        guard let first = reader.next() else {
            if let n = reader.overlongLine { throw .lineTooLong(path: path, line: n, limit: LineReader.defaultMaxLineBytes) }
            throw .empty(path: path)
        }
        let header = try BundleHeader(line: first)
        var opts = options
        opts.expectedLedger = header.ledger
        var verifier = Verifier(options: opts)
        verifier.onVerified = onVerified
        verifier.keepRoots(at: keepRootsAt)
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
        if stoppedAtFailure && (linesRemain || report.lastSeq < header.to) { report.stoppedEarly = true }
        return (header, report)
    }
}
