/// An RFC 6962 tree held in memory: every complete node, so that it answers any root,
/// inclusion proof or consistency proof for any size up to its own. For tests, evidence
/// packages and offline tools; a ledger-sized tree lives in the database instead.
///
/// It stores each complete node once (about 2N hashes for N leaves) and answers through the
/// same plans as a database store (``Merkle/rootPlan(size:)``, …).
public struct MerkleTree: Sendable, Hashable, MerkleNodeSource {
    /// `levels[L][i]` is the hash of complete node `(L, i)`.
    private var levels: [[Digest32]] = []

    /// An empty tree.
    public init() {}

    /// A tree of these leaf hashes, in order.
    public init(leafHashes: some Sequence<Digest32>) {
        for leaf in leafHashes { append(leaf) }
    }

    /// Number of leaves.
    public var size: UInt64 { UInt64(levels.first?.count ?? 0) }

    /// The root at the current size.
    public var root: Digest32 {
        // Cannot fail: every node of the plan for the tree's own size is stored.
        try! root(size: size)
    }

    /// Appends a leaf hash (``Merkle/leafHash(_:)`` of the event hash), and stores the nodes it
    /// completes (``Merkle/nodesCompleted(byAppendingLeafAt:)``), each from its two children.
    public mutating func append(_ leafHash: Digest32) {
        if levels.isEmpty { levels.append([]) }
        precondition(size < Merkle.maxTreeSize, "the tree is full")
        levels[0].append(leafHash)
        var count = levels[0].count
        var level = 0
        // A node completes at level L+1 each time level L reaches an even count.
        while count & 1 == 0 {
            let hash = Merkle.nodeHash(levels[level][count - 2], levels[level][count - 1])
            level += 1
            if level == levels.count { levels.append([]) }
            levels[level].append(hash)
            count = levels[level].count
        }
    }

    /// The hash of a complete node, or nil if it is not complete at the current size.
    public func node(_ id: Merkle.NodeID) -> Digest32? {
        let level = Int(id.level)
        guard level < levels.count, id.index < UInt64(levels[level].count) else { return nil }
        return levels[level][Int(id.index)]
    }

    /// The root of the tree's first `size` leaves. Throws ``MerkleError/missingNode(_:)`` when
    /// `size` is past the tree's own size.
    public func root(size: UInt64) throws(MerkleError) -> Digest32 {
        let plan = try Merkle.rootPlan(size: size)
        return try plan.hashes(from: lookup(plan)).first ?? Merkle.emptyRoot
    }

    /// The inclusion proof of `leafIndex` in the tree's first `size` leaves.
    public func inclusionProof(leafIndex: UInt64, size: UInt64) throws(MerkleError) -> [Digest32] {
        let plan = try Merkle.inclusionPlan(leafIndex: leafIndex, size: size)
        return try plan.hashes(from: lookup(plan))
    }

    /// The consistency proof from the first `size1` leaves to the first `size2` leaves.
    public func consistencyProof(from size1: UInt64, to size2: UInt64) throws(MerkleError) -> [Digest32] {
        let plan = try Merkle.consistencyPlan(from: size1, to: size2)
        return try plan.hashes(from: lookup(plan))
    }

    /// The complete nodes among `ids` (``MerkleNodeSource``).
    public func merkleNodes(_ ids: [Merkle.NodeID]) -> [Merkle.NodeID: Digest32] {
        var out: [Merkle.NodeID: Digest32] = [:]
        out.reserveCapacity(ids.count)
        for id in ids { out[id] = node(id) }
        return out
    }

    private func lookup(_ plan: Merkle.Plan) -> [Merkle.NodeID: Digest32] { merkleNodes(plan.nodeIDs) }
}
