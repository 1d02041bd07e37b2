/// A streaming RFC 6962 tree: append leaf hashes one at a time and read the root at the
/// current size, keeping only O(log N) hashes (a "compact range" over `[0, size)`).
///
/// Use it to check a bundle or a full scan of the log against a checkpoint without storing the
/// tree, and to build a store's nodes in one pass: ``append(_:completed:)`` hands over every
/// complete node as it forms, children before parents. Each leaf costs one leaf hash (done by the
/// caller, ``Merkle/leafHash(_:)``) and on average one node hash, and appending allocates
/// nothing.
///
/// The state is the ``frontier``: the hashes of the complete subtrees of `[0, size)`, largest
/// first, which are exactly the nodes of ``Merkle/rootPlan(size:)``. An append path over a store
/// fetches those, rebuilds the accumulator with ``init(size:frontier:)``, appends, and stores
/// what ``append(_:completed:)`` reports.
public struct MerkleAccumulator: Sendable, Hashable {
    /// Number of leaves appended.
    public private(set) var size: UInt64
    /// Hashes of the complete subtrees of `[0, size)`, left to right (largest first): one per
    /// set bit of ``size``.
    public private(set) var frontier: [Digest32]

    /// An empty tree.
    public init() {
        size = 0
        frontier = []
        frontier.reserveCapacity(63)
    }

    /// Resumes a tree of `size` leaves from its frontier (the hashes of
    /// ``Merkle/rootPlan(size:)``'s nodes, in that order). Throws
    /// ``MerkleError/invalidFrontier(size:expected:got:)`` if `frontier` does not have one hash
    /// per set bit of `size`.
    public init(size: UInt64, frontier: [Digest32]) throws(MerkleError) {
        guard size <= Merkle.maxTreeSize else { throw .sizeTooLarge(size) }
        guard frontier.count == size.nonzeroBitCount else {
            throw .invalidFrontier(size: size, expected: size.nonzeroBitCount, got: frontier.count)
        }
        self.size = size
        self.frontier = frontier
        self.frontier.reserveCapacity(63)
    }

    /// The root of the tree of ``size`` leaves (``Merkle/emptyRoot`` when empty).
    public var root: Digest32 { Merkle.foldRight(frontier) ?? Merkle.emptyRoot }

    /// Appends the leaf whose hash is `leafHash` (``Merkle/leafHash(_:)`` of the event hash).
    @inline(__always)
    public mutating func append(_ leafHash: Digest32) {
        append(leafHash) { (_: Merkle.NodeID, _: Digest32) throws(Never) in }
    }

    /// Appends a leaf and calls `completed` with every node that becomes complete, lowest
    /// first: the leaf itself at level 0, then its completed ancestors
    /// (``Merkle/nodesCompleted(byAppendingLeafAt:)``). If `completed` throws, the append still
    /// happens in full, the nodes after the failing one are not reported, and the error is
    /// rethrown.
    @inline(__always)
    public mutating func append<E: Error>(
        _ leafHash: Digest32, completed: (Merkle.NodeID, Digest32) throws(E) -> Void
    ) throws(E) {
        precondition(size < Merkle.maxTreeSize, "the tree is full")
        var index = size
        size += 1
        var hash = leafHash
        var level: UInt8 = 0
        frontier.append(hash)
        var failure: E? = nil
        do { try completed(Merkle.NodeID(level: 0, index: index), hash) } catch { failure = error }
        // Each trailing one bit of the old size merges the two rightmost subtrees.
        while index & 1 == 1 {
            let last = frontier.count - 1
            hash = Merkle.nodeHash(frontier[last - 1], hash)
            frontier[last - 1] = hash
            frontier.removeLast()
            index >>= 1
            level += 1
            if failure == nil {
                do { try completed(Merkle.NodeID(level: level, index: index), hash) } catch { failure = error }
            }
        }
        if let failure { throw failure }
    }
}
