// libFuzzer target: the proof formats over arbitrary bytes: c2sp.org/tlog-proof (TLogProof,
// with the inclusion check against its checkpoint, Merkle.verifyInclusion) and Sealbook's
// evidence packages (EvidenceVerifier.verify(bytes:): header, checkpoint, entries and their
// inclusion proofs, docs/FORMAT.md §12.6, §12.7). Each parser refuses the other's input on its
// first line, so both run on every input.
//
// Besides "no crash, no hang": a parsed tlog-proof renders back to the same bytes. The leaf
// whose inclusion is checked is the proof's `extra` data when that is 32 bytes (the seed
// proofs carry the leaf hash there, so that the seeds verify), else 32 zero bytes.

import SealbookCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProof(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))

    if let proof = try? TLogProof(parsing: bytes) {
        precondition(Array(proof.serialized.utf8) == bytes, "a parsed tlog-proof renders back to other bytes")
        let leaf = proof.extra.flatMap { Digest32(bytes: $0) } ?? .zero
        _ = try? Merkle.verifyInclusion(
            leafHash: leaf, index: proof.index, size: proof.checkpoint.size, proof: proof.inclusionProof,
            root: proof.checkpoint.rootHash)
    }

    if let (_, report) = try? EvidenceVerifier.verify(bytes: bytes, trustRoot: nil, logKey: nil) {
        _ = report.failure?.description
    }
    return 0
}
