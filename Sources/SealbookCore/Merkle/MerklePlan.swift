extension Merkle {
    /// The complete nodes a root or a proof needs, so that a store can fetch them all in one
    /// query, and how to assemble the answer from them.
    ///
    /// Each value of the answer (the root, or one element of an inclusion or consistency proof)
    /// is the hash of a subtree of RFC 6962's tree. When that subtree is complete it is one
    /// stored node; when it lies on the right edge of a tree whose size is not a power of two it
    /// is not stored, and its hash is the right-to-left fold of the at most 63 complete nodes
    /// that tile it (largest first), as transparency-dev/merkle's compact ranges and
    /// c2sp.org/tlog-tiles do. Altogether a plan names O(log N) nodes, each once.
    ///
    /// Use with a SQL store:
    /// ```swift
    /// let plan = try Merkle.inclusionPlan(leafIndex: seq - 1, size: treeSize)
    /// // SELECT level, idx, hash FROM nodes WHERE (level, idx) IN (…plan.nodeIDs…)  -- one query
    /// let proof = try plan.hashes(from: fetched)   // [NodeID: Digest32] -> [Digest32]
    /// ```
    /// To answer several questions with one query (say a checkpoint's root and a proof), fetch
    /// the union of their ``nodeIDs`` and call ``hashes(from:)`` on each plan.
    public struct Plan: Sendable, Hashable {
        /// One entry per value of the answer, in answer order: the complete nodes, left to
        /// right, whose right-to-left fold (``Merkle/nodeHash(_:_:)``) is that value. A root plan
        /// has one entry (none for the empty tree); a proof plan one per proof element.
        public let elements: [[NodeID]]

        init(elements: [[NodeID]]) { self.elements = elements }

        /// Every node the plan needs, each once, in answer order: what to fetch.
        public var nodeIDs: [NodeID] { elements.flatMap { $0 } }

        /// The answer's values from fetched node hashes: each element folded right to left.
        /// Throws ``MerkleError/missingNode(_:)`` naming a node that `nodes` lacks.
        public func hashes(from nodes: [NodeID: Digest32]) throws(MerkleError) -> [Digest32] {
            var out: [Digest32] = []
            out.reserveCapacity(elements.count)
            for element in elements {
                // Every element holds at least one node; fold from the right.
                var i = element.endIndex - 1
                guard var folded = nodes[element[i]] else { throw .missingNode(element[i]) }
                while i > element.startIndex {
                    i -= 1
                    guard let left = nodes[element[i]] else { throw .missingNode(element[i]) }
                    folded = Merkle.nodeHash(left, folded)
                }
                out.append(folded)
            }
            return out
        }
    }

    /// The nodes whose fold is the root of the tree of `size` leaves: the complete subtrees of
    /// `[0, size)`, one per set bit of `size` (none for the empty tree, whose root is
    /// ``emptyRoot``). These are also the state of a ``MerkleAccumulator`` at that size.
    public static func rootPlan(size: UInt64) throws(MerkleError) -> Plan {
        guard size <= maxTreeSize else { throw .sizeTooLarge(size) }
        return Plan(elements: size == 0 ? [] : [completeNodes(from: 0, to: size)])
    }

    /// The nodes of the inclusion proof (RFC 6962 §2.1.1 `PATH`, RFC 9162 §2.1.3.1) for the leaf
    /// at `leafIndex` in the tree of `size` leaves: one element per sibling on the way up, from
    /// the leaf's sibling to the root's child.
    public static func inclusionPlan(leafIndex: UInt64, size: UInt64) throws(MerkleError) -> Plan {
        guard size <= maxTreeSize else { throw .sizeTooLarge(size) }
        guard leafIndex < size else { throw .indexOutOfRange(index: leafIndex, size: size) }
        return Plan(elements: path(level: 0, index: leafIndex, size: size))
    }

    /// The nodes of the consistency proof (RFC 6962 §2.1.2 `PROOF`/`SUBPROOF`, RFC 9162
    /// §2.1.4.1) from the tree of `size1` leaves to the tree of `size2` leaves,
    /// `0 < size1 ≤ size2`. It is empty when the sizes are equal.
    ///
    /// The proof is the inclusion path, in the larger tree, of the last complete subtree of
    /// the smaller tree (level `L` = trailing zero bits of `size1`, index `(size1−1)/2^L`),
    /// preceded by that subtree's own hash unless it is the whole smaller tree (`size1` a power
    /// of two), because the verifier already holds that as `root1`.
    public static func consistencyPlan(from size1: UInt64, to size2: UInt64) throws(MerkleError) -> Plan {
        guard size2 <= maxTreeSize else { throw .sizeTooLarge(size2) }
        guard size1 > 0, size1 <= size2 else { throw .invalidSizes(size1: size1, size2: size2) }
        if size1 == size2 { return Plan(elements: []) }
        let level = size1.trailingZeroBitCount
        let index = (size1 - 1) >> level
        var elements = index == 0 ? [] : [[NodeID(level: UInt8(level), index: index)]]
        elements += path(level: level, index: index, size: size2)
        return Plan(elements: elements)
    }

    /// Siblings of node `(level, index)` up to the root of the tree of `size` leaves; each one a
    /// complete node, or the complete nodes tiling a right-edge subtree cut off at `size`. A
    /// level where the node has no sibling inside the tree (a right edge) contributes nothing.
    private static func path(level: Int, index: UInt64, size: UInt64) -> [[NodeID]] {
        var elements: [[NodeID]] = []
        var level = level
        var index = index
        // Up to the root: the node at (level, index) covers the whole tree once index is 0 and
        // 2^level ≥ size (level ≤ 63 here, as size < 2^63).
        while !(index == 0 && (UInt64(1) << level) >= size) {
            let sibling = index ^ 1
            let start = sibling << level
            if start < size {
                let end = min(start + (UInt64(1) << level), size)
                elements.append(completeNodes(from: start, to: end))
            }
            index >>= 1
            level += 1
        }
        return elements
    }
}

/// Where the plan-based functions fetch complete-subtree hashes: a database table, a file of
/// tiles, an in-memory ``MerkleTree``.
public protocol MerkleNodeSource {
    /// The hashes of `ids` (complete nodes), in one round trip. A node that the source does not
    /// hold is left out of the result, which makes the caller throw
    /// ``MerkleError/missingNode(_:)``; errors of the source itself are passed through.
    func merkleNodes(_ ids: [Merkle.NodeID]) throws -> [Merkle.NodeID: Digest32]
}

extension Merkle {
    /// The root of the tree of `size` leaves, from one fetch of ``rootPlan(size:)``'s nodes
    /// (none for the empty tree).
    public static func root(size: UInt64, source: some MerkleNodeSource) throws -> Digest32 {
        let plan = try rootPlan(size: size)
        if plan.elements.isEmpty { return emptyRoot }
        return try plan.hashes(from: source.merkleNodes(plan.nodeIDs))[0]
    }

    /// The inclusion proof for `leafIndex` in the tree of `size` leaves, from one fetch (none
    /// when the proof is empty).
    public static func inclusionProof(leafIndex: UInt64, size: UInt64, source: some MerkleNodeSource) throws -> [Digest32] {
        let plan = try inclusionPlan(leafIndex: leafIndex, size: size)
        if plan.elements.isEmpty { return [] }
        return try plan.hashes(from: source.merkleNodes(plan.nodeIDs))
    }

    /// The consistency proof from `size1` to `size2` leaves, from one fetch (none when the
    /// sizes are equal).
    public static func consistencyProof(from size1: UInt64, to size2: UInt64, source: some MerkleNodeSource) throws -> [Digest32] {
        let plan = try consistencyPlan(from: size1, to: size2)
        if plan.elements.isEmpty { return [] }
        return try plan.hashes(from: source.merkleNodes(plan.nodeIDs))
    }
}
