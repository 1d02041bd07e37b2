/// Why a Merkle proof does not verify, or why a tree question cannot be answered.
public enum MerkleError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Which input a hash error is about.
    public enum Field: Sendable, Hashable, CustomStringConvertible {
        case leafHash
        /// The root of an inclusion proof's tree.
        case root
        /// The root of a consistency proof's first (smaller) tree.
        case root1
        /// The root of a consistency proof's second (larger) tree.
        case root2
        /// The proof element at this 0-based position.
        case proof(Int)

        public var description: String {
            switch self {
            case .leafHash: "leaf hash"
            case .root: "root"
            case .root1: "first root"
            case .root2: "second root"
            case .proof(let i): "proof element \(i)"
            }
        }
    }

    /// A leaf index at or past the tree size.
    case indexOutOfRange(index: UInt64, size: UInt64)
    /// Sizes a consistency proof cannot exist for: `size1 > size2`, or `size1 == 0` (RFC 9162
    /// §2.1.4 defines proofs for `0 < size1 ≤ size2`).
    case invalidSizes(size1: UInt64, size2: UInt64)
    /// A tree size above ``Merkle/maxTreeSize``.
    case sizeTooLarge(UInt64)
    /// A proof with the wrong number of hashes for its index and sizes.
    case wrongProofLength(expected: Int, got: Int)
    /// The proof leads to another root than the one given.
    case rootMismatch(Field, computed: Digest32, expected: Digest32)
    /// A hash that is not 32 bytes long.
    case invalidHashLength(Field, count: Int)
    /// A node source did not return a node the plan needs.
    case missingNode(Merkle.NodeID)
    /// ``MerkleAccumulator/init(size:frontier:)`` got a frontier with the wrong number of hashes.
    case invalidFrontier(size: UInt64, expected: Int, got: Int)

    public var description: String {
        switch self {
        case .indexOutOfRange(let index, let size): "leaf index \(index) is not in a tree of size \(size)"
        case .invalidSizes(let size1, let size2):
            "no consistency proof exists from size \(size1) to size \(size2) (sizes must satisfy 0 < size1 <= size2)"
        case .sizeTooLarge(let size): "tree size \(size) is over the limit of \(Merkle.maxTreeSize)"
        case .wrongProofLength(let expected, let got): "proof has \(got) hashes, expected \(expected)"
        case .rootMismatch(let field, let computed, let expected):
            "the proof gives \(field) \(computed.hex), expected \(expected.hex)"
        case .invalidHashLength(let field, let count): "\(field) is \(count) bytes, a hash must be 32"
        case .missingNode(let id): "node \(id) (level/index) is not available"
        case .invalidFrontier(let size, let expected, let got):
            "a tree of size \(size) has \(expected) frontier hashes, got \(got)"
        }
    }
}

extension Merkle {
    /// Verifies that `leafHash` is the leaf at `index` of the tree of `size` leaves whose root is
    /// `root`, by RFC 9162 §2.1.3.2 (the RFC 6962 audit path). Returns normally when it is;
    /// throws ``MerkleError/indexOutOfRange(index:size:)``,
    /// ``MerkleError/wrongProofLength(expected:got:)`` or
    /// ``MerkleError/rootMismatch(_:computed:expected:)`` (with ``MerkleError/Field/root``)
    /// otherwise.
    public static func verifyInclusion(
        leafHash: Digest32, index: UInt64, size: UInt64, proof: [Digest32], root: Digest32
    ) throws(MerkleError) {
        let computed = try rootFromInclusionProof(leafHash: leafHash, index: index, size: size, proof: proof)
        guard computed == root else { throw .rootMismatch(.root, computed: computed, expected: root) }
    }

    /// The same verification over raw hashes (as decoded from a proof file): every hash must be
    /// 32 bytes, else ``MerkleError/invalidHashLength(_:count:)`` names the first that is not.
    public static func verifyInclusion(
        leafHash: [UInt8], index: UInt64, size: UInt64, proof: [[UInt8]], root: [UInt8]
    ) throws(MerkleError) {
        let leaf = try digest(leafHash, .leafHash)
        let path = try digests(proof)
        let r = try digest(root, .root)
        try verifyInclusion(leafHash: leaf, index: index, size: size, proof: path, root: r)
    }

    /// Verifies that the tree of `size2` leaves with root `root2` extends the tree of `size1`
    /// leaves with root `root1`, by RFC 9162 §2.1.4.2. Needs `0 < size1 ≤ size2`; equal sizes
    /// need an empty proof and equal roots. Throws ``MerkleError/invalidSizes(size1:size2:)``,
    /// ``MerkleError/wrongProofLength(expected:got:)`` or
    /// ``MerkleError/rootMismatch(_:computed:expected:)`` (``MerkleError/Field/root1`` or
    /// ``MerkleError/Field/root2``).
    ///
    /// The empty tree is a prefix of every tree and has no proof: a caller that accepts an old
    /// size of 0 (c2sp.org/tlog-witness does) checks that case itself (empty proof; the old
    /// root, if any, is ``emptyRoot``).
    public static func verifyConsistency(
        size1: UInt64, size2: UInt64, proof: [Digest32], root1: Digest32, root2: Digest32
    ) throws(MerkleError) {
        guard size2 <= maxTreeSize else { throw .sizeTooLarge(size2) }
        guard size1 > 0, size1 <= size2 else { throw .invalidSizes(size1: size1, size2: size2) }
        let expected = consistencyProofLength(size1: size1, size2: size2)
        guard proof.count == expected else { throw .wrongProofLength(expected: expected, got: proof.count) }
        if size1 == size2 {
            guard root1 == root2 else { throw .rootMismatch(.root2, computed: root1, expected: root2) }
            return
        }
        // RFC 9162 §2.1.4.2. Step 2: when size1 is a power of two the path starts with root1.
        let startsWithRoot1 = size1 & (size1 - 1) == 0
        var fn = size1 - 1
        var sn = size2 - 1
        // Step 4.
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        // Step 5.
        var fr = startsWithRoot1 ? root1 : proof[0]
        var sr = fr
        // Step 6.
        for c in proof[(startsWithRoot1 ? 0 : 1)...] {
            // 6a (sn == 0 here) cannot happen: the length was checked.
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        // Step 7.
        assert(sn == 0, "a proof of the checked length ends at the root")
        guard fr == root1 else { throw .rootMismatch(.root1, computed: fr, expected: root1) }
        guard sr == root2 else { throw .rootMismatch(.root2, computed: sr, expected: root2) }
    }

    /// The same verification over raw hashes: every hash must be 32 bytes, else
    /// ``MerkleError/invalidHashLength(_:count:)`` names the first that is not (roots first).
    public static func verifyConsistency(
        size1: UInt64, size2: UInt64, proof: [[UInt8]], root1: [UInt8], root2: [UInt8]
    ) throws(MerkleError) {
        let r1 = try digest(root1, .root1)
        let r2 = try digest(root2, .root2)
        let path = try digests(proof)
        try verifyConsistency(size1: size1, size2: size2, proof: path, root1: r1, root2: r2)
    }

    /// The root that an inclusion proof leads to (RFC 9162 §2.1.3.2, steps 1–4).
    static func rootFromInclusionProof(
        leafHash: Digest32, index: UInt64, size: UInt64, proof: [Digest32]
    ) throws(MerkleError) -> Digest32 {
        guard size <= maxTreeSize else { throw .sizeTooLarge(size) }
        guard index < size else { throw .indexOutOfRange(index: index, size: size) }
        let expected = inclusionProofLength(index: index, size: size)
        guard proof.count == expected else { throw .wrongProofLength(expected: expected, got: proof.count) }
        var fn = index
        var sn = size - 1
        var r = leafHash
        for p in proof {
            // 4a (sn == 0 here) cannot happen: the length was checked.
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        assert(sn == 0, "a proof of the checked length ends at the root")
        return r
    }

    /// Hashes in the inclusion proof of `index` in a tree of `size` leaves (`index < size`):
    /// the levels below the point where the paths to `index` and to `size − 1` part (every one
    /// has a sibling), plus one per left sibling above it (the set bits of `index` there).
    static func inclusionProofLength(index: UInt64, size: UInt64) -> Int {
        let inner = 64 - (index ^ (size - 1)).leadingZeroBitCount
        return inner + (index >> inner).nonzeroBitCount
    }

    /// Hashes in the consistency proof from `size1` to `size2` (`0 < size1 ≤ size2`).
    static func consistencyProofLength(size1: UInt64, size2: UInt64) -> Int {
        if size1 == size2 { return 0 }
        let level = size1.trailingZeroBitCount
        let head = size1 & (size1 - 1) == 0 ? 0 : 1
        return head + inclusionProofLength(index: (size1 - 1) >> level, size: ((size2 - 1) >> level) + 1)
    }

    private static func digest(_ bytes: [UInt8], _ field: MerkleError.Field) throws(MerkleError) -> Digest32 {
        guard let d = Digest32(bytes: bytes) else { throw .invalidHashLength(field, count: bytes.count) }
        return d
    }

    private static func digests(_ proof: [[UInt8]]) throws(MerkleError) -> [Digest32] {
        var out: [Digest32] = []
        out.reserveCapacity(proof.count)
        for (i, p) in proof.enumerated() { out.append(try digest(p, .proof(i))) }
        return out
    }
}
