public import SealbookCore
public import SealbookPostgres

/// Why an evidence package was not written (docs/FORMAT.md §12.6). Nothing is written in any
/// of these cases.
public enum EvidenceExportError: Error, Sendable, CustomStringConvertible {
    /// The log holds no event of the stream.
    case noSuchStream(String)
    /// No stored checkpoint covers the stream's last event.
    case noCoveringCheckpoint(stream: String, lastSeq: Int64, latest: Int64?)
    /// The package built from the database does not verify against its own checkpoint: the
    /// stored tree, checkpoint or rows are not what the log says.
    case doesNotVerify(VerificationFailure)
    /// The file could not be written (or exists, or is not a regular file).
    case output(FileOutputError)

    public var description: String {
        switch self {
        case .noSuchStream(let s): "the log holds no event of stream \(s)"
        case .noCoveringCheckpoint(let stream, let last, let latest):
            "no stored checkpoint covers the last event of \(stream) (seq \(last))"
                + (latest.map { "; the latest covers seq 1...\($0)" } ?? "; none is stored yet")
                + ": sign one first with sealbook checkpoint --key LOGKEY, then export again"
        case .doesNotVerify(let f):
            "the package built from the database does not verify against its checkpoint (\(f)); run sealbook verify"
        case .output(let e): e.description
        }
    }
}

/// What ``Ledger/exportEvidence(stream:to:overwrite:now:)`` wrote.
public struct EvidenceExport: Sendable {
    public let header: EvidenceHeader
    /// Entry lines: the genesis, the key events up to the checkpoint, the stream's events.
    public let entries: Int
    /// The stream's events.
    public let events: Int
    public let checkpointSize: Int64
    public let checkpointRoot: Digest32
}

extension Ledger {
    /// Writes an evidence package of `stream` to `path` (docs/FORMAT.md §12.6): the genesis, the
    /// whole `keys` stream up to the checkpoint, every event of `stream`, each with its RFC 6962
    /// inclusion proof against the latest stored checkpoint (which must cover the stream's last
    /// event), and that checkpoint with its cosignatures. The package is verified (§12.7, with
    /// this ledger's pinned root when it has one) before it is written, atomically; an existing
    /// file is replaced only with `overwrite`, and never a directory or a symlink.
    public func exportEvidence(
        stream: String, to path: String, overwrite: Bool = false, now: () -> String = FormatV1.now
    ) throws -> EvidenceExport {
        let ledgerID = try store.ledgerID()
        let head = try store.head().seq
        let events = try store.rows(inStream: stream, upTo: head)
        guard let last = events.last else { throw EvidenceExportError.noSuchStream(stream) }
        let stored = try store.latestCheckpoint()
        guard let stored, stored.size >= last.seq else {
            throw EvidenceExportError.noCoveringCheckpoint(stream: stream, lastSeq: last.seq, latest: stored?.size)
        }
        let size = stored.size
        let rows = (try store.rows(inStream: FormatV1.ledgerStream, upTo: size) + store.rows(inStream: FormatV1.keysStream, upTo: size) + events)
            .sorted { $0.seq < $1.seq }
        // Every proof from one fetch of the stored tree.
        let plans = try rows.map { row throws(MerkleError) in try Merkle.inclusionPlan(leafIndex: UInt64(row.seq - 1), size: UInt64(size)) }
        let nodes = try StoreNodes(store: store).merkleNodes(Array(Set(plans.flatMap(\.nodeIDs))))
        let header = EvidenceHeader(
            ledger: ledgerID, stream: stream, to: rows.last?.seq ?? last.seq, checkpoint: stored.note, exportedAt: now())
        var bytes = header.line
        bytes.append(0x0A)
        for (row, plan) in zip(rows, plans) {
            bytes += evidenceEntryLine(
                seq: row.seq, bodyBytes: row.body, signature: row.signature,
                eventHash: Digest32(bytes: row.eventHash) ?? .zero, proof: try plan.hashes(from: nodes))
            bytes.append(0x0A)
        }
        let (_, report) = try EvidenceVerifier.verify(bytes: bytes, trustRoot: trustRoot, logKey: nil)
        if let failure = report.failure { throw EvidenceExportError.doesNotVerify(failure) }
        do { try FileOutput.writeAtomically(bytes, to: path, replace: overwrite) } catch { throw EvidenceExportError.output(error) }
        return EvidenceExport(
            header: header, entries: rows.count, events: events.count, checkpointSize: size, checkpointRoot: stored.root)
    }

    /// Verifies an evidence package offline (docs/FORMAT.md §12.7): the entries it holds against
    /// its checkpoint, whose signature is checked with `logKey` when given, else with the log
    /// keys of the package's own verified key history.
    public static func verifyEvidence(path: String, trustRoot: Ed25519.PublicKey?, logKey: NoteVerifier?) throws -> (
        EvidenceHeader, EvidenceReport
    ) {
        try EvidenceVerifier.verify(path: path, trustRoot: trustRoot, logKey: logKey)
    }
}
