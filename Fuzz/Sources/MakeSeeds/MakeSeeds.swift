// Writes the seeds of the fuzz corpus that need real signatures: a small ledger (genesis, a log
// key and an operator enrolled, a session's events) exported as a bundle that carries a
// witnessed checkpoint, the checkpoint note, its text and vkeys, tlog-proofs against it and an
// evidence package of the session. Deterministic: fixed key seeds and times, so running it
// again writes the same bytes. Each file is verified before it is written.
//
//   swift run --package-path Fuzz --scratch-path Fuzz/.build-seeds MakeSeeds Fuzz/Corpus
//
// Not a fuzz target, and not built by scripts/fuzz.sh (it has a main; the fuzz targets link
// libFuzzer's).

import Foundation
import SealbookCore

struct Key {
    let actor: String
    let key: Ed25519.PrivateKey
    var id: String { key.publicKey.keyID }
    init(_ actor: String, seed: UInt8) {
        self.actor = actor
        self.key = try! Ed25519.PrivateKey(seed: [UInt8](repeating: seed, count: 32))
    }
    func descriptor(_ roles: [String]) -> JSONObject {
        KeyDescriptor(keyID: id, publicKey: key.publicKey, actor: actor, roles: roles).json
    }
}

// The fuzz targets know these seeds: FuzzBundle pins the root, FuzzNote verifies with the
// log key and the witness.
let root = Key("root@fuzz", seed: 1)
let alice = Key("alice@fuzz", seed: 2)
let logKey = Key("log@fuzz", seed: 7)
let witnessKey = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 8, count: 32))

let ledgerID = "fuzzledger"
let session = "session/2026_02_01_fuzz"

struct Entry {
    let seq: Int64
    let event: SignedEvent
    let chainHash: Digest32
}

/// The ledger as a writer builds it: entries, the chain, stream positions.
struct Ledger {
    var entries: [Entry] = []
    var positions: [String: (Int64, Digest32)] = [:]

    mutating func append(_ type: String, _ stream: String, _ signer: Key, _ data: JSONObject) throws {
        let seq = Int64(entries.count + 1)
        let pos = positions[stream] ?? (0, .zero)
        let body = try EventBody(
            ledger: ledgerID, stream: stream, streamSeq: pos.0 + 1, streamPrev: pos.1, type: type,
            time: formatTimestamp(millisecondsSince1970: 1_769_904_000_000 + seq * 1_000), actor: signer.actor, key: signer.id,
            data: data)
        let event = try SignedEvent(signing: body, with: signer.key)
        let chain = FormatV1.chainHash(seq: seq, previous: entries.last?.chainHash ?? .zero, eventHash: event.eventHash)
        entries.append(Entry(seq: seq, event: event, chainHash: chain))
        positions[stream] = (pos.0 + 1, event.eventHash)
    }
}

func write(_ bytes: [UInt8], _ dir: String, _ name: String) throws {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name))
    print("wrote \(dir)/\(name) (\(bytes.count) bytes)")
}

func lines(_ ls: [[UInt8]]) -> [UInt8] { ls.flatMap { $0 + [0x0A] } }

@main
struct MakeSeeds {
    static func main() throws {
        let args = CommandLine.arguments
        guard args.count == 2 else {
            print("usage: MakeSeeds CORPUS-DIR")
            exit(64)
        }
        let out = args[1]

        var ledger = Ledger()
        try ledger.append(FormatV1.genesisType, FormatV1.ledgerStream, root, ["rootKeys": .array([.object(root.descriptor(["admin"]))])])
        try ledger.append(FormatV1.keyEnrolledType, FormatV1.keysStream, root, logKey.descriptor(["log"]))
        try ledger.append(FormatV1.keyEnrolledType, FormatV1.keysStream, root, alice.descriptor(["operator"]))
        try ledger.append("custom.note", session, alice, ["text": "backup verified", "sizeBytes": 52_428_800])
        try ledger.append("custom.note", session, alice, ["text": "migration applied", "rows": .array([1, 2, 3])])
        try ledger.append("custom.note", "session/other", alice, ["text": "not in the evidence package"])

        let entries = ledger.entries
        // The checkpoint at size 5, as `sealbook checkpoint` writes it (FORMAT.md §12.2).
        let size: Int64 = 5
        let genesis = entries[0]
        let origin = LedgerCheckpointRules.origin(genesisBody: genesis.event.body, eventHash: genesis.event.eventHash)
        let tree = MerkleTree(leafHashes: entries.map { Merkle.leafHash($0.event.eventHash) })
        let rootHash = try tree.root(size: UInt64(size))
        let keys = ledger.positions[FormatV1.keysStream]!
        let checkpoint = try Checkpoint(
            origin: origin, size: UInt64(size), rootHash: rootHash,
            extensionLines: [
                LedgerCheckpointRules.chainPrefix + entries[Int(size) - 1].chainHash.hex,
                LedgerCheckpointRules.keysPrefix + "\(keys.0) \(keys.1.hex)",
            ])
        let signer = try NoteSigner(name: origin, privateKey: logKey.key)
        var note = try SignedNote(text: checkpoint.text, signatures: [try signer.signature(for: checkpoint.text)])
        let cosigner = try Cosigner(name: "witness.example/w1", privateKey: witnessKey)
        try note.add(try cosigner.cosignature(for: checkpoint, timestamp: 1_769_904_100))
        _ = try note.verify(using: [signer.verifier, cosigner.verifier])

        // The bundle: every entry, the checkpoint in the header.
        let header = BundleHeader(
            ledger: ledgerID, to: Int64(entries.count), exportedAt: "2026-02-01T00:10:00.000Z", checkpoint: note.serialized)
        let bundle = lines(
            [header.line]
                + entries.map {
                    bundleEntryLine(
                        seq: $0.seq, bodyBytes: $0.event.bodyBytes, signature: $0.event.signature, eventHash: $0.event.eventHash,
                        chainHash: $0.chainHash)
                })
        let bundlePath = NSTemporaryDirectory() + "/sealbook-makeseeds-\(getpid()).bundle"
        try Data(bundle).write(to: URL(fileURLWithPath: bundlePath))
        defer { try? FileManager.default.removeItem(atPath: bundlePath) }
        let verified = try BundleVerifier.verifyBundle(path: bundlePath, options: VerifyOptions(trustRoot: root.key.publicKey))
        guard verified.report.isValid, verified.checkpoint?.anchored == true else {
            fatalError("the seed bundle does not verify: \(verified.report.failures)")
        }
        try write(bundle, out + "/bundle", "checkpointed.bundle")

        // The note, its text, the vkeys.
        try write(Array(note.serialized.utf8), out + "/note", "checkpoint.note")
        try write(Array(checkpoint.text.utf8), out + "/note", "checkpoint.txt")
        try write(Array(signer.verifier.vkey.utf8), out + "/note", "log.vkey")
        try write(Array(cosigner.verifier.vkey.utf8), out + "/note", "witness.vkey")

        // tlog-proofs: of seq 4 with its leaf hash as the extra data (FuzzProof checks that
        // leaf), and of seq 1 without extra data.
        for (seq, withExtra) in [(Int64(4), true), (1, false)] {
            let leaf = Merkle.leafHash(entries[Int(seq) - 1].event.eventHash)
            let path = try tree.inclusionProof(leafIndex: UInt64(seq - 1), size: UInt64(size))
            try Merkle.verifyInclusion(leafHash: leaf, index: UInt64(seq - 1), size: UInt64(size), proof: path, root: rootHash)
            let proof = try TLogProof(
                index: UInt64(seq - 1), inclusionProof: path, signedCheckpoint: note, extra: withExtra ? leaf.bytes : nil)
            try write(Array(proof.serialized.utf8), out + "/proof", "seq\(seq).tlog-proof")
        }

        // The evidence package of the session: the genesis, the keys stream and the session's
        // events up to the checkpoint, each with its inclusion proof.
        let evidenceHeader = EvidenceHeader(
            ledger: ledgerID, stream: session, to: 5, checkpoint: note.serialized, exportedAt: "2026-02-01T00:10:00.000Z")
        var evidence = [evidenceHeader.line]
        for e in entries.prefix(Int(size)) where e.seq == 1 || e.event.body.stream == FormatV1.keysStream || e.event.body.stream == session {
            let path = try tree.inclusionProof(leafIndex: UInt64(e.seq - 1), size: UInt64(size))
            evidence.append(
                evidenceEntryLine(
                    seq: e.seq, bodyBytes: e.event.bodyBytes, signature: e.event.signature, eventHash: e.event.eventHash, proof: path))
        }
        let evidenceBytes = lines(evidence)
        let (_, report) = try EvidenceVerifier.verify(bytes: evidenceBytes, trustRoot: root.key.publicKey, logKey: nil)
        guard report.isValid, report.checkpoint?.anchored == true else {
            fatalError("the seed evidence package does not verify: \(String(describing: report.failure))")
        }
        try write(evidenceBytes, out + "/proof", "session.evidence")
    }
}
