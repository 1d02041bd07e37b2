/// The RFC 6962 Merkle tree over the log (RFC 6962 §2.1, as kept in RFC 9162 §2.1): hashing,
/// complete-subtree addressing, the nodes a root or proof needs, and proof verification.
///
/// In Sealbook, leaf `i` (0-based) is the event at `seq = i + 1`, and its leaf data is that
/// event's 32-byte `eventHash`: the leaf hash is `SHA-256(0x00 || eventHash)`.
///
/// Tree sizes and leaf indexes are `UInt64` and at most ``maxTreeSize`` (2^63 − 1, the largest
/// tree size a c2sp.org/tlog-checkpoint may carry and the largest `seq` of the log).
public enum Merkle {
    /// The largest tree size: 2^63 − 1.
    public static let maxTreeSize = UInt64(Int64.max)

    /// Root of the empty tree: `SHA-256("")` (RFC 6962 §2.1).
    public static let emptyRoot: Digest32 = SHA256.hash([UInt8]())

    private static let leafPrefix: UInt8 = 0x00
    private static let nodePrefix: UInt8 = 0x01

    /// Leaf hash of arbitrary leaf data: `SHA-256(0x00 || data)` (RFC 6962 §2.1).
    public static func leafHash(data: some Sequence<UInt8>) -> Digest32 {
        var h = SHA256()
        withUnsafeBytes(of: leafPrefix) { h.update($0) }
        h.update(data)
        return h.finalize()
    }

    /// Leaf hash of 32 bytes of leaf data, in Sealbook an event's `eventHash`:
    /// `SHA-256(0x00 || eventHash)`. Allocates nothing.
    @inline(__always)
    public static func leafHash(_ eventHash: Digest32) -> Digest32 {
        var h = SHA256()
        withUnsafeBytes(of: leafPrefix) { h.update($0) }
        eventHash.withUnsafeBytes { h.update($0) }
        return h.finalize()
    }

    /// Interior node hash: `SHA-256(0x01 || left || right)` (RFC 6962 §2.1). Allocates nothing.
    @inline(__always)
    public static func nodeHash(_ left: Digest32, _ right: Digest32) -> Digest32 {
        var h = SHA256()
        withUnsafeBytes(of: nodePrefix) { h.update($0) }
        left.withUnsafeBytes { h.update($0) }
        right.withUnsafeBytes { h.update($0) }
        return h.finalize()
    }

    /// `SHA-256(0x01 || left || right)` over children of any length (RFC 6962's `HashChildren`).
    static func nodeHash(rawLeft left: some Sequence<UInt8>, rawRight right: some Sequence<UInt8>) -> Digest32 {
        var h = SHA256()
        withUnsafeBytes(of: nodePrefix) { h.update($0) }
        h.update(left)
        h.update(right)
        return h.finalize()
    }

    /// Folds hashes right to left: `H(h[0], H(h[1], … H(h[n-2], h[n-1])))`. This is the hash of
    /// the subtree made of the consecutive complete subtrees `h` (left to right, each smaller than
    /// the one before), as RFC 6962's `MTH` splits a range: the largest power of two first.
    static func foldRight(_ hashes: some BidirectionalCollection<Digest32>) -> Digest32? {
        guard var acc = hashes.last else { return nil }
        var i = hashes.index(before: hashes.endIndex)
        while i != hashes.startIndex {
            hashes.formIndex(before: &i)
            acc = nodeHash(hashes[i], acc)
        }
        return acc
    }
}

// MARK: - Complete subtrees

extension Merkle {
    /// A complete (perfect) subtree: at `level` L and `index` i it covers the `2^L` leaves
    /// `[i·2^L, (i+1)·2^L)`. Level 0 is a leaf: its hash is the leaf hash. A node exists in a
    /// tree of size N once `(i+1)·2^L ≤ N`, and its hash never changes after that; a store keeps
    /// exactly these nodes (see ``nodesCompleted(byAppendingLeafAt:)``).
    public struct NodeID: Sendable, Hashable, Comparable, CustomStringConvertible {
        /// Height above the leaves: 0…62.
        public let level: UInt8
        /// Position among the nodes of that level, from 0.
        public let index: UInt64

        /// The node at `level`, `index`. `level` must be at most 62 and the node must fit in a
        /// tree of ``Merkle/maxTreeSize`` leaves (a programmer error otherwise).
        public init(level: UInt8, index: UInt64) {
            precondition(level < 63 && index < (UInt64(1) << (63 - UInt64(level))), "no such node: level \(level), index \(index)")
            self.level = level
            self.index = index
        }

        /// The leaves it covers: `index·2^level ..< (index+1)·2^level`.
        public var leaves: Range<UInt64> { (index << level)..<((index + 1) << level) }

        /// Level first, then index.
        public static func < (a: NodeID, b: NodeID) -> Bool { (a.level, a.index) < (b.level, b.index) }

        /// `level/index`, e.g. `3/5`.
        public var description: String { "\(level)/\(index)" }
    }

    /// The complete nodes that come into existence when the leaf at `leafIndex` is appended
    /// (the tree grows from `leafIndex` to `leafIndex + 1` leaves), lowest first: the leaf
    /// itself `(0, n)`, then `(L, (n+1)/2^L − 1)` for every level `L` in `1...k`, where `k` is
    /// the number of trailing zero bits of `n + 1`.
    ///
    /// The rule: node `(L, i)` is complete once the tree holds its last leaf `(i+1)·2^L − 1`, so
    /// appending leaf `n` completes, at each level `L ≥ 1`, the node whose last leaf is `n`, which
    /// exists exactly when `2^L` divides `n + 1`, that is when the low `L` bits of `n + 1` are
    /// zero. For example leaf 0 completes only `(0,0)`; leaf 1 completes `(0,1)` and `(1,0)`;
    /// leaf 7 completes `(0,7)`, `(1,3)`, `(2,1)` and `(3,0)`. An append path stores exactly
    /// these nodes, and over a whole log it stores each complete node once; every node's
    /// children are stored before it. ``MerkleAccumulator/append(_:completed:)`` computes their
    /// hashes.
    public static func nodesCompleted(byAppendingLeafAt leafIndex: UInt64) -> [NodeID] {
        precondition(leafIndex < maxTreeSize, "leaf index \(leafIndex) is beyond the largest tree")
        let next = leafIndex + 1
        let k = next.trailingZeroBitCount
        var ids = [NodeID(level: 0, index: leafIndex)]
        if k > 0 {
            for level in 1...k { ids.append(NodeID(level: UInt8(level), index: (next >> level) - 1)) }
        }
        return ids
    }

    /// The complete nodes that make up the leaf range `[start, end)`, left to right, largest
    /// first (RFC 6962's `MTH` split). `start` must be a multiple of the largest power of two
    /// not above `end - start` (true of every range a root or a proof element covers).
    static func completeNodes(from start: UInt64, to end: UInt64) -> [NodeID] {
        var ids: [NodeID] = []
        var position = start
        var remaining = end - start
        while remaining != 0 {
            let level = UInt64(63 - remaining.leadingZeroBitCount)
            ids.append(NodeID(level: UInt8(level), index: position >> level))
            position += UInt64(1) << level
            remaining -= UInt64(1) << level
        }
        return ids
    }
}
