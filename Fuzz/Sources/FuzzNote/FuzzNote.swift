// libFuzzer target: signed notes (c2sp.org/signed-note), checkpoints (c2sp.org/tlog-checkpoint),
// cosignatures (c2sp.org/tlog-cosignature) and verifier keys, over arbitrary bytes.
//
// Besides "no crash, no hang", the exactness the parsers promise: a parsed note renders back to
// the same bytes, a parsed checkpoint to the same text, a parsed vkey to the same string. A
// note that parses is verified against fixed keys: the signed-note examples' and the seed
// ledger's log key and witness (MakeSeeds), named by the checkpoint's origin when its text is
// one, so that signatures over mutated texts are checked, not only skipped as unknown.

import SealbookCore

private let exampleVerifiers: [NoteVerifier] = [
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop",
    "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
].map { try! NoteVerifier(vkey: $0) }

/// The keys MakeSeeds signs the seed ledger's checkpoints with (fixed seeds).
private let logKey = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 7, count: 32)).publicKey
private let witnessKey = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 8, count: 32)).publicKey
private let witness = try! NoteVerifier(name: "witness.example/w1", publicKey: witnessKey, type: .cosignatureV1)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNote(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))

    if let note = try? SignedNote(parsing: bytes) {
        precondition(Array(note.serialized.utf8) == bytes, "a parsed note renders back to other bytes")
        var verifiers = exampleVerifiers + [witness]
        if let checkpoint = try? Checkpoint(text: note.text) {
            precondition(checkpoint.text.utf8.elementsEqual(note.text.utf8), "a parsed checkpoint renders back to another text")
            if let log = try? NoteVerifier(name: checkpoint.origin, publicKey: logKey) { verifiers.append(log) }
            _ = LedgerCheckpointRules.chainBinding(checkpoint)
            _ = LedgerCheckpointRules.keysBinding(checkpoint)
        }
        if let verified = try? note.verify(using: verifiers) {
            precondition(!verified.isEmpty)
            for s in note.signatures { _ = s.cosignatureTimestamp }
        }
    }

    guard let text = String(validating: bytes, as: UTF8.self) else { return 0 }
    if let checkpoint = try? Checkpoint(text: text) {
        precondition(checkpoint.text.utf8.elementsEqual(text.utf8), "a parsed checkpoint renders back to another text")
        let again = try! Checkpoint(text: checkpoint.text)
        precondition(again == checkpoint)
    }
    if let verifier = try? NoteVerifier(vkey: text) {
        precondition(verifier.vkey.utf8.elementsEqual(text.utf8), "a parsed vkey renders back to another string")
    }
    return 0
}
