public import SealbookCore
internal import SealbookPostgres

/// The database's tree as a ``MerkleNodeSource``: each node folded by `sealbook.tree_node` from
/// the stored nodes, all of a plan's nodes in one round trip.
struct StoreNodes: MerkleNodeSource {
    let store: LedgerStore

    func merkleNodes(_ ids: [Merkle.NodeID]) throws -> [Merkle.NodeID: Digest32] {
        let hashes = try store.treeNodes(ids.map { (Int($0.level), Int64($0.index)) })
        return Dictionary(zip(ids, hashes), uniquingKeysWith: { a, _ in a })
    }
}

/// An RFC 6962 inclusion proof of one entry (docs/FORMAT.md §12.3).
public struct InclusionProof: Sendable, Equatable {
    /// The entry's `seq`; its leaf index is `seq - 1`.
    public let seq: Int64
    public let treeSize: Int64
    /// `SHA-256(0x00 || eventHash)`.
    public let leafHash: Digest32
    public let eventHash: Digest32
    public let root: Digest32
    public let proof: [Digest32]

    public var leafIndex: Int64 { seq - 1 }

    /// Checks the proof against `root` (throws a ``MerkleError`` when it does not hold).
    public func verify() throws(MerkleError) {
        try Merkle.verifyInclusion(
            leafHash: leafHash, index: UInt64(leafIndex), size: UInt64(treeSize), proof: proof, root: root)
    }
}

/// An RFC 6962 consistency proof between two sizes of the log (docs/FORMAT.md §12.3).
public struct ConsistencyProof: Sendable, Equatable {
    public let size1: Int64
    public let size2: Int64
    public let root1: Digest32
    public let root2: Digest32
    public let proof: [Digest32]

    /// Checks the proof (throws a ``MerkleError`` when it does not hold).
    public func verify() throws(MerkleError) {
        try Merkle.verifyConsistency(
            size1: UInt64(size1), size2: UInt64(size2), proof: proof, root1: root1, root2: root2)
    }
}

extension Ledger {
    /// The RFC 6962 root of the first `size` entries, from the stored tree.
    public func root(size: Int64) throws -> Digest32 {
        try requireSize(size)
        return try Merkle.root(size: UInt64(size), source: StoreNodes(store: store))
    }

    /// The inclusion proof of entry `seq` in the tree of `size` entries (`seq` ≤ `size`).
    public func inclusionProof(seq: Int64, size: Int64) throws -> InclusionProof {
        try requireSize(size)
        guard seq >= 1, seq <= size else {
            throw LedgerError.usage("seq \(seq) is not in the tree of size \(size) (1...\(size))")
        }
        let inclusion = try Merkle.inclusionPlan(leafIndex: UInt64(seq - 1), size: UInt64(size))
        let root = try Merkle.rootPlan(size: UInt64(size))
        let nodes = try StoreNodes(store: store).merkleNodes(Array(Set(inclusion.nodeIDs + root.nodeIDs)))
        guard let eventHash = try store.eventHashes(seq...seq).first else {
            throw LedgerError.usage("the log has no entry at seq \(seq)")
        }
        let proof = InclusionProof(
            seq: seq, treeSize: size, leafHash: Merkle.leafHash(eventHash), eventHash: eventHash,
            root: try root.hashes(from: nodes)[0], proof: try inclusion.hashes(from: nodes))
        try proof.verify()
        return proof
    }

    /// The consistency proof from the tree of `from` entries to the tree of `to` entries.
    public func consistencyProof(from: Int64, to: Int64) throws -> ConsistencyProof {
        try requireSize(to)
        guard from >= 1, from <= to else {
            throw LedgerError.usage("a consistency proof needs 1 ≤ --from (\(from)) ≤ --to (\(to))")
        }
        let plan = try Merkle.consistencyPlan(from: UInt64(from), to: UInt64(to))
        let r1 = try Merkle.rootPlan(size: UInt64(from)), r2 = try Merkle.rootPlan(size: UInt64(to))
        let nodes = try StoreNodes(store: store).merkleNodes(Array(Set(plan.nodeIDs + r1.nodeIDs + r2.nodeIDs)))
        let proof = ConsistencyProof(
            size1: from, size2: to, root1: try r1.hashes(from: nodes)[0], root2: try r2.hashes(from: nodes)[0],
            proof: try plan.hashes(from: nodes))
        try proof.verify()
        return proof
    }

    /// The ledger's checkpoint origin (docs/FORMAT.md §12.2).
    public func origin() throws -> String { try store.origin() }

    private func requireSize(_ size: Int64) throws {
        let head = try store.head().seq
        guard size >= 1, size <= head else {
            throw LedgerError.usage("size \(size) is outside the log, which holds 1...\(head)")
        }
    }
}
