import Foundation
import SealbookCore
import SealbookKit
import SealbookPostgres
import SealbookTestSupport
import Testing

@Suite("Evidence packages from the database's tree")
struct EvidenceTests {
    @Test("a package's proofs, read from the stored tree across tile edges, are the in-memory RFC 6962 tree's, and verify")
    func proofsMatchReference() throws {
        let l = try AnchoredLedger(notes: 700)
        defer { l.t.db.drop() }
        let cp = try l.ledger.signCheckpoint(key: l.logKey)
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.file("a.evidence")
        let r = try l.ledger.exportEvidence(stream: "a", to: path)
        #expect(r.checkpointSize == cp.checkpoint.size && r.events == 238)
        let reference = try l.referenceTree()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var checked = 0
        for line in text.split(separator: "\n").dropFirst() {
            let e = try JSONParser.parse(String(line))
            let seq = e["seq"]!.int64Value!
            let proof = e["proof"]!.arrayValue!.map { Digest32(bytes: Base64.decode($0.stringValue!)!)! }
            #expect(proof == (try reference.inclusionProof(leafIndex: UInt64(seq - 1), size: UInt64(cp.checkpoint.size))), "seq \(seq)")
            checked += 1
        }
        #expect(checked == r.entries && cp.checkpoint.size > 512)
        let (header, report) = try Ledger.verifyEvidence(path: path, trustRoot: l.t.root.privateKey.publicKey, logKey: nil)
        #expect(report.isValid, "\(String(describing: report.failure))")
        #expect(header.stream == "a" && report.events == 238 && report.rootPinned && report.checkpoint?.anchored == true)
        // The same package with the log key given, and with another key given.
        #expect(try Ledger.verifyEvidence(path: path, trustRoot: nil, logKey: try l.vkey()).1.isValid)
        let stranger = try NoteVerifier(name: try l.ledger.origin(), publicKey: Ed25519.PrivateKey().publicKey)
        #expect(try Ledger.verifyEvidence(path: path, trustRoot: nil, logKey: stranger).1.failure?.reason == .checkpointMismatch)
    }

    @Test("a package is not written when the stored tree does not match the checkpoint")
    func corruptTreeIsNotExported() throws {
        let l = try AnchoredLedger(notes: 300)
        defer { l.t.db.drop() }
        _ = try l.ledger.signCheckpoint(key: l.logKey)
        try l.t.db.superuserExecute(
            "ALTER TABLE sealbook.tree_nodes DISABLE TRIGGER USER; UPDATE sealbook.tree_nodes SET hash = sha256(hash) WHERE level = 8 AND idx = 0")
        let dir = try TempDir()
        defer { dir.cleanup() }
        #expect(throws: EvidenceExportError.self) { try l.ledger.exportEvidence(stream: "b", to: dir.file("b.evidence")) }
        #expect(!FileManager.default.fileExists(atPath: dir.file("b.evidence")))
    }
}
