public import SealbookCore

/// Why a proof cannot be given, or a proof file cannot be read (docs/FORMAT.md §12.3).
public enum ProofError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A proof file that is not one: not JSON or the text form, a missing or extra field, a
    /// hash that is not 32 bytes, sizes out of range, or not the number of hashes its sizes need.
    case malformed(String)
    /// The log's tree at the checkpoint's size has another root than the checkpoint: the log is
    /// not the one the checkpoint signed.
    case rootMismatch(size: Int64, log: Digest32, checkpoint: Digest32)
    /// The checkpoint covers more entries than the log holds: the log lost its tail.
    case logTooShort(checkpointSize: Int64, head: Int64)

    public var description: String {
        switch self {
        case .malformed(let m): m
        case .rootMismatch(let size, let log, let checkpoint):
            "the log's tree of size \(size) has root \(Base64.encode(log.bytes)), the checkpoint has root \(Base64.encode(checkpoint.bytes)): the log is not the one the checkpoint signed"
        case .logTooShort(let size, let head):
            "the checkpoint covers seq 1...\(size) but the log holds \(head) entries: its tail is gone"
        }
    }
}

/// Proof files (docs/FORMAT.md §12.3): what `sealbook prove` prints and `sealbook witness
/// cosign --proof` reads, as JSON or as the text form.
public enum ProofFile {
    /// The first token of the text form's header line.
    public static let inclusionTag = "sealbook-inclusion-proof/v1"
    public static let consistencyTag = "sealbook-consistency-proof/v1"
    /// Largest proof file read: far over the 63 hashes a proof can hold, in either form.
    public static let maxBytes = 65_536

    /// A JSON proof or the text form, by its first byte that is not white space (`{`: JSON).
    static func isJSON(_ bytes: [UInt8]) -> Bool {
        bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 } == UInt8(ascii: "{")
    }

    /// Parses a decimal in `range` with no sign and no leading zeros.
    static func decimal(_ text: Substring, in range: ClosedRange<Int64>) -> Int64? {
        guard let first = text.utf8.first, text.utf8.count <= 19, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            first != UInt8(ascii: "0") || text.utf8.count == 1, let v = Int64(text), range.contains(v)
        else { return nil }
        return v
    }

    static func hash(_ text: Substring, _ what: String) throws(ProofError) -> Digest32 {
        guard let raw = Base64.decode(String(text)), let d = Digest32(bytes: raw) else {
            throw .malformed("\(what) is not the standard base64 of 32 bytes")
        }
        return d
    }

    /// The text form: a header line `<tag> key=value …` with exactly `keys`, in order, then one
    /// base64 hash per line; every line ends in a newline.
    static func parseText(_ bytes: [UInt8], tag: String, keys: [String]) throws(ProofError) -> (fields: [String: Substring], hashes: [Digest32]) {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .malformed("the proof is not UTF-8 text") }
        guard text.hasSuffix("\n") else { throw .malformed("the proof's last line does not end in a newline") }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        let header = lines[0].split(separator: " ", omittingEmptySubsequences: false)
        guard header.first.map(String.init) == tag else {
            throw .malformed("the proof does not start with \(tag) (nor is it the JSON of sealbook prove --json)")
        }
        guard header.count == keys.count + 1 else {
            throw .malformed("the header line must hold \(tag) and \(keys.map { $0 + "=" }.joined(separator: " ")), separated by single spaces")
        }
        var fields: [String: Substring] = [:]
        for (key, item) in zip(keys, header.dropFirst()) {
            guard item.hasPrefix(key + "=") else { throw .malformed("the header's field \(fields.count + 1) must be \(key)=…") }
            fields[key] = item.dropFirst(key.count + 1)
        }
        var hashes: [Digest32] = []
        for (i, line) in lines.dropFirst().enumerated() {
            guard hashes.count < TLogProof.maxProofHashes else { throw .malformed("the proof holds more than \(TLogProof.maxProofHashes) hashes") }
            hashes.append(try hash(line, "proof line \(i + 2)"))
        }
        return (fields, hashes)
    }

    /// The members of a JSON proof of `type`.
    static func parseJSON(_ bytes: [UInt8], type: String) throws(ProofError) -> JSONObject {
        let value: JSONValue
        do { value = try JSONParser.parse(bytes, maxDepth: 4) } catch { throw .malformed("the proof is not valid JSON: \(error)") }
        guard case .object(let o) = value else { throw .malformed("the proof's JSON is not an object") }
        if let ok = o["ok"], ok != .bool(true) { throw .malformed("the JSON is not a proof: its \"ok\" is not true") }
        guard let t = o["type"]?.stringValue else { throw .malformed("the proof's JSON has no \"type\"") }
        guard t == type else { throw .malformed("this is an \(t) proof; a \(type) proof is needed") }
        return o
    }

    static func jsonInt(_ o: JSONObject, _ key: String, in range: ClosedRange<Int64>) throws(ProofError) -> Int64 {
        guard let v = o[key]?.int64Value, range.contains(v) else {
            throw .malformed("the proof's \"\(key)\" is missing or not an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    static func jsonHash(_ o: JSONObject, _ key: String) throws(ProofError) -> Digest32 {
        guard let s = o[key]?.stringValue else { throw .malformed("the proof's \"\(key)\" is missing or not a string") }
        return try hash(Substring(s), "the proof's \"\(key)\"")
    }

    static func jsonPath(_ o: JSONObject) throws(ProofError) -> [Digest32] {
        guard let items = o["proof"]?.arrayValue else { throw .malformed("the proof's \"proof\" is missing or not an array") }
        guard items.count <= TLogProof.maxProofHashes else { throw .malformed("the proof holds more than \(TLogProof.maxProofHashes) hashes") }
        var out: [Digest32] = []
        for (i, item) in items.enumerated() {
            guard let s = item.stringValue else { throw .malformed("proof element \(i) is not a string") }
            out.append(try hash(Substring(s), "proof element \(i)"))
        }
        return out
    }

    static func checkLength(_ got: Int, _ plan: () throws(MerkleError) -> Merkle.Plan, _ what: String) throws(ProofError) {
        let expected: Int
        do { expected = try plan().elements.count } catch { throw .malformed("\(what): \(error)") }
        guard got == expected else { throw .malformed("\(what) needs \(expected) hash\(expected == 1 ? "" : "es"), the file holds \(got)") }
    }

    static func b64(_ d: Digest32) -> JSONValue { .string(Base64.encode(d.bytes)) }
    static func int(_ i: Int64) -> JSONValue { .number(JSONNumber(i)) }
}

extension InclusionProof {
    /// `{"ok":true,"type":"inclusion","seq","leafIndex","treeSize","leafHash","eventHash","root","proof"}`:
    /// hashes in standard base64, `eventHash` in lowercase hex as elsewhere.
    public var json: JSONObject {
        JSONObject([
            (key: "ok", value: .bool(true)), (key: "type", value: .string("inclusion")), (key: "seq", value: ProofFile.int(seq)),
            (key: "leafIndex", value: ProofFile.int(leafIndex)), (key: "treeSize", value: ProofFile.int(treeSize)),
            (key: "leafHash", value: ProofFile.b64(leafHash)), (key: "eventHash", value: .string(eventHash.hex)),
            (key: "root", value: ProofFile.b64(root)), (key: "proof", value: .array(proof.map(ProofFile.b64))),
        ])
    }

    /// The text form: `sealbook-inclusion-proof/v1 seq=… index=… size=… eventHash=… leafHash=… root=…`,
    /// then the audit path, one base64 hash per line, the leaf's sibling first.
    public var text: String {
        var out = "\(ProofFile.inclusionTag) seq=\(seq) index=\(leafIndex) size=\(treeSize) eventHash=\(eventHash.hex)"
        out += " leafHash=\(Base64.encode(leafHash.bytes)) root=\(Base64.encode(root.bytes))\n"
        for h in proof { out += Base64.encode(h.bytes) + "\n" }
        return out
    }

    /// Reads an inclusion proof file, JSON or text form, checking its structure only: sizes in
    /// range, `leafHash` = `SHA-256(0x00 || eventHash)`, and as many hashes as the audit path of
    /// that leaf in that tree has. Whether it verifies is ``verify()``'s.
    public init(parsing bytes: [UInt8]) throws(ProofError) {
        guard bytes.count <= ProofFile.maxBytes else { throw .malformed("the proof is \(bytes.count) bytes, over \(ProofFile.maxBytes)") }
        let max = Int64(Merkle.maxTreeSize)
        let seq: Int64, index: Int64, size: Int64, eventHash: Digest32, leaf: Digest32, root: Digest32, path: [Digest32]
        if ProofFile.isJSON(bytes) {
            let o = try ProofFile.parseJSON(bytes, type: "inclusion")
            seq = try ProofFile.jsonInt(o, "seq", in: 1...max)
            index = try ProofFile.jsonInt(o, "leafIndex", in: 0...max)
            size = try ProofFile.jsonInt(o, "treeSize", in: 1...max)
            guard let hex = o["eventHash"]?.stringValue, Hex.isLowercase(hex), let e = Digest32(hex: hex) else {
                throw .malformed("the proof's \"eventHash\" is missing or not 64 lowercase hex digits")
            }
            eventHash = e
            leaf = try ProofFile.jsonHash(o, "leafHash")
            root = try ProofFile.jsonHash(o, "root")
            path = try ProofFile.jsonPath(o)
        } else {
            let (f, hashes) = try ProofFile.parseText(
                bytes, tag: ProofFile.inclusionTag, keys: ["seq", "index", "size", "eventHash", "leafHash", "root"])
            guard let s = ProofFile.decimal(f["seq"]!, in: 1...max), let i = ProofFile.decimal(f["index"]!, in: 0...max),
                let n = ProofFile.decimal(f["size"]!, in: 1...max)
            else { throw .malformed("seq, index and size must be decimals without leading zeros, seq and size at least 1") }
            guard Hex.isLowercase(f["eventHash"]!), let e = Digest32(hex: f["eventHash"]!) else {
                throw .malformed("eventHash must be 64 lowercase hex digits")
            }
            (seq, index, size, eventHash) = (s, i, n, e)
            leaf = try ProofFile.hash(f["leafHash"]!, "leafHash")
            root = try ProofFile.hash(f["root"]!, "root")
            path = hashes
        }
        guard index == seq - 1 else { throw .malformed("the leaf index must be seq - 1 (\(seq - 1)), the file says \(index)") }
        guard seq <= size else { throw .malformed("seq \(seq) is not in a tree of size \(size)") }
        guard leaf == Merkle.leafHash(eventHash) else { throw .malformed("the leaf hash is not SHA-256(0x00 || eventHash)") }
        try ProofFile.checkLength(path.count, { () throws(MerkleError) in try Merkle.inclusionPlan(leafIndex: UInt64(index), size: UInt64(size)) },
            "an inclusion proof of seq \(seq) in a tree of size \(size)")
        self.init(seq: seq, treeSize: size, leafHash: leaf, eventHash: eventHash, root: root, proof: path)
    }
}

extension ConsistencyProof {
    /// `{"ok":true,"type":"consistency","size1","size2","root1","root2","proof"}`, hashes in
    /// standard base64.
    public var json: JSONObject {
        JSONObject([
            (key: "ok", value: .bool(true)), (key: "type", value: .string("consistency")), (key: "size1", value: ProofFile.int(size1)),
            (key: "size2", value: ProofFile.int(size2)), (key: "root1", value: ProofFile.b64(root1)),
            (key: "root2", value: ProofFile.b64(root2)), (key: "proof", value: .array(proof.map(ProofFile.b64))),
        ])
    }

    /// The text form: `sealbook-consistency-proof/v1 size1=… size2=… root1=… root2=…`, then the
    /// RFC 9162 §2.1.4 path, one base64 hash per line.
    public var text: String {
        var out = "\(ProofFile.consistencyTag) size1=\(size1) size2=\(size2) root1=\(Base64.encode(root1.bytes)) root2=\(Base64.encode(root2.bytes))\n"
        for h in proof { out += Base64.encode(h.bytes) + "\n" }
        return out
    }

    /// Reads a consistency proof file, JSON (as `sealbook prove consistency --json` prints it)
    /// or text form, checking its structure only: `0 < size1 ≤ size2 ≤ 2^63−1` and as many hashes
    /// as a proof between those sizes has. Whether it verifies is ``verify()``'s.
    public init(parsing bytes: [UInt8]) throws(ProofError) {
        guard bytes.count <= ProofFile.maxBytes else { throw .malformed("the proof is \(bytes.count) bytes, over \(ProofFile.maxBytes)") }
        let max = Int64(Merkle.maxTreeSize)
        let size1: Int64, size2: Int64, root1: Digest32, root2: Digest32, path: [Digest32]
        if ProofFile.isJSON(bytes) {
            let o = try ProofFile.parseJSON(bytes, type: "consistency")
            size1 = try ProofFile.jsonInt(o, "size1", in: 1...max)
            size2 = try ProofFile.jsonInt(o, "size2", in: 1...max)
            root1 = try ProofFile.jsonHash(o, "root1")
            root2 = try ProofFile.jsonHash(o, "root2")
            path = try ProofFile.jsonPath(o)
        } else {
            let (f, hashes) = try ProofFile.parseText(bytes, tag: ProofFile.consistencyTag, keys: ["size1", "size2", "root1", "root2"])
            guard let a = ProofFile.decimal(f["size1"]!, in: 1...max), let b = ProofFile.decimal(f["size2"]!, in: 1...max) else {
                throw .malformed("size1 and size2 must be decimals without leading zeros, at least 1")
            }
            (size1, size2) = (a, b)
            root1 = try ProofFile.hash(f["root1"]!, "root1")
            root2 = try ProofFile.hash(f["root2"]!, "root2")
            path = hashes
        }
        guard size1 <= size2 else { throw .malformed("size1 (\(size1)) is larger than size2 (\(size2))") }
        try ProofFile.checkLength(path.count, { () throws(MerkleError) in try Merkle.consistencyPlan(from: UInt64(size1), to: UInt64(size2)) },
            "a consistency proof from size \(size1) to size \(size2)")
        self.init(size1: size1, size2: size2, root1: root1, root2: root2, proof: path)
    }
}

/// An inclusion proof against a trusted checkpoint, and the same as a c2sp.org/tlog-proof.
public struct CheckpointInclusion: Sendable {
    public let proof: InclusionProof
    public let checkpoint: TrustedCheckpoint
    /// The c2sp.org/tlog-proof: index `seq − 1`, the audit path, the signed checkpoint verbatim.
    public let tlogProof: TLogProof
}

extension Ledger {
    /// The inclusion proof of entry `seq` in the tree of `size` entries (default: the head),
    /// verified against the stored tree's root. `seq` and `size` outside the log:
    /// ``LedgerError/usage(_:)``.
    public func proveInclusion(seq: Int64, size: Int64? = nil) throws -> InclusionProof {
        let n = try size ?? store.head().seq
        guard seq >= 1 else { throw LedgerError.usage("seq must be at least 1 (seq 1 is the genesis), got \(seq)") }
        try requireTree(size: n, what: "size")
        guard seq <= n else { throw LedgerError.usage("seq \(seq) is not in the tree of size \(n): it holds seq 1...\(n)") }
        return try inclusionProof(seq: seq, size: n)
    }

    /// The inclusion proof of entry `seq` in the tree of the trusted checkpoint `cp`, and the
    /// c2sp.org/tlog-proof made of it. The checkpoint must be this ledger's, within the log, and
    /// its root the log's at its size (else ``ProofError``). Both are verified before they are
    /// returned: the proof against the checkpoint's root, the tlog-proof parsed back from its
    /// text, its note against `cp`'s log key's signature and its path against its checkpoint.
    public func proveInclusion(seq: Int64, checkpoint cp: TrustedCheckpoint, logKey: NoteVerifier) throws -> CheckpointInclusion {
        guard seq >= 1 else { throw LedgerError.usage("seq must be at least 1 (seq 1 is the genesis), got \(seq)") }
        try requireMatching(cp)
        guard seq <= cp.size else {
            throw LedgerError.usage("seq \(seq) is not in the checkpoint's tree of size \(cp.size): it holds seq 1...\(cp.size)")
        }
        let p = try inclusionProof(seq: seq, size: cp.size)
        try Merkle.verifyInclusion(leafHash: p.leafHash, index: UInt64(p.leafIndex), size: UInt64(cp.size), proof: p.proof, root: cp.root)
        let tlog: TLogProof
        let back: TLogProof
        do {
            tlog = try TLogProof(index: UInt64(p.leafIndex), inclusionProof: p.proof, signedCheckpoint: cp.note)
            back = try TLogProof(parsing: tlog.serialized)
        } catch { throw CheckpointError.malformed(error) }
        guard back == tlog, back.checkpoint == cp.checkpoint else { throw ProofRoundTripError() }
        do { _ = try back.signedCheckpoint.verify(using: [logKey]) } catch { throw CheckpointError.signature(error) }
        try Merkle.verifyInclusion(
            leafHash: p.leafHash, index: back.index, size: back.checkpoint.size, proof: back.inclusionProof, root: back.checkpoint.rootHash)
        return CheckpointInclusion(proof: p, checkpoint: cp, tlogProof: tlog)
    }

    /// The consistency proof from the tree of `from` entries to the tree of `to` entries
    /// (default: the head), verified against the stored tree's roots.
    public func proveConsistency(from: Int64, to: Int64? = nil) throws -> ConsistencyProof {
        let n = try to ?? store.head().seq
        guard from >= 1 else { throw LedgerError.usage("the first size must be at least 1, got \(from)") }
        try requireTree(size: n, what: "the second size")
        guard from <= n else { throw LedgerError.usage("the first size (\(from)) is larger than the second (\(n))") }
        return try consistencyProof(from: from, to: n)
    }

    /// The consistency proof from the tree of `from` entries to the trusted checkpoint's tree,
    /// whose root must be the log's at its size (else ``ProofError``); verified against the
    /// checkpoint's root.
    public func proveConsistency(from: Int64, checkpoint cp: TrustedCheckpoint) throws -> ConsistencyProof {
        guard from >= 1 else { throw LedgerError.usage("the first size must be at least 1, got \(from)") }
        try requireMatching(cp)
        guard from <= cp.size else {
            throw LedgerError.usage("the first size (\(from)) is larger than the checkpoint's size (\(cp.size))")
        }
        let p = try consistencyProof(from: from, to: cp.size)
        try Merkle.verifyConsistency(size1: UInt64(from), size2: UInt64(cp.size), proof: p.proof, root1: p.root1, root2: cp.root)
        return p
    }

    /// A tlog-proof that does not parse back to what was written (a defect: the CLI's internal error).
    struct ProofRoundTripError: Error, CustomStringConvertible {
        var description: String { "the tlog-proof does not read back as it was written" }
    }

    private func requireTree(size: Int64, what: String) throws {
        let head = try store.head().seq
        guard size >= 1, size <= head else {
            throw LedgerError.usage("\(what) \(size) is outside the log, which holds seq 1...\(head)")
        }
    }

    /// The checkpoint is this ledger's, within the log, and has the log's root at its size.
    private func requireMatching(_ cp: TrustedCheckpoint) throws {
        let origin = try store.origin()
        guard cp.origin == origin else { throw CheckpointError.origin(expected: origin, got: cp.origin) }
        let head = try store.head().seq
        guard cp.size >= 1 else { throw LedgerError.usage("the checkpoint is of the empty tree: it holds no entry to prove") }
        guard cp.size <= head else { throw ProofError.logTooShort(checkpointSize: cp.size, head: head) }
        let logRoot = try root(size: cp.size)
        guard logRoot == cp.root else { throw ProofError.rootMismatch(size: cp.size, log: logRoot, checkpoint: cp.root) }
    }
}
