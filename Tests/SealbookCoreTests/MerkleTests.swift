// The Merkle tree against a brute-force reference written here from RFC 6962 §2.1's recursive
// definitions (MTH, PATH, SUBPROOF/PROOF): for every size 1…64, the root, every inclusion proof
// and every consistency proof from the plan + fetch path, the in-memory tree and the
// accumulator equal the reference and verify, and tampered proofs, wrong indexes and wrong sizes
// do not. The reference shares nothing with the library but SHA-256 (checked against FIPS
// vectors in Ed25519VectorTests.swift).

import SealbookCore
import Testing

// MARK: - The reference (RFC 6962 §2.1)

/// RFC 6962 §2.1 transcribed: `D` is the list of leaf data, hashes are byte arrays.
enum RFC6962Reference {
    static func sha256(_ bytes: [UInt8]) -> [UInt8] { SHA256.hash(bytes).bytes }

    /// The leaf data of test leaf `i`: 32 bytes, like an event hash.
    static func data(_ i: Int) -> [UInt8] { sha256(Array("sealbook test leaf \(i)".utf8)) }

    /// The first 64 leaves.
    static let leaves: [[UInt8]] = (0..<64).map(data)

    /// The largest power of two smaller than `n` (n > 1).
    static func split(_ n: Int) -> Int {
        var k = 1
        while k * 2 < n { k *= 2 }
        return k
    }

    /// MTH(D[n]).
    static func mth(_ d: ArraySlice<[UInt8]>) -> [UInt8] {
        switch d.count {
        case 0: return sha256([])
        case 1: return sha256([0x00] + d[d.startIndex])
        default:
            let k = split(d.count)
            let mid = d.startIndex + k
            return sha256([0x01] + mth(d[..<mid]) + mth(d[mid...]))
        }
    }

    /// PATH(m, D[n]), each element with whether it is a left sibling (hashed on the left).
    static func path(_ m: Int, _ d: ArraySlice<[UInt8]>) -> [(hash: [UInt8], left: Bool)] {
        guard d.count > 1 else { return [] }
        let k = split(d.count)
        let mid = d.startIndex + k
        if m < k { return path(m, d[..<mid]) + [(mth(d[mid...]), false)] }
        return path(m - k, d[mid...]) + [(mth(d[..<mid]), true)]
    }

    /// PROOF(m, D[n]) = SUBPROOF(m, D[n], true).
    static func proof(_ m: Int, _ d: ArraySlice<[UInt8]>) -> [[UInt8]] { subproof(m, d, true) }

    static func subproof(_ m: Int, _ d: ArraySlice<[UInt8]>, _ b: Bool) -> [[UInt8]] {
        let n = d.count
        if m == n { return b ? [] : [mth(d)] }
        let k = split(n)
        let mid = d.startIndex + k
        if m <= k { return subproof(m, d[..<mid], b) + [mth(d[mid...])] }
        return subproof(m - k, d[mid...], false) + [mth(d[..<mid])]
    }

    /// The audit path's sides only (true: a left sibling): PATH's recursion without hashing.
    static func shape(_ m: Int, _ n: Int) -> [Bool] {
        guard n > 1 else { return [] }
        let k = split(n)
        return m < k ? shape(m, k) + [false] : shape(m - k, n - k) + [true]
    }

    private static let roots: [Digest32] = (0...64).map { Digest32(bytes: mth(leaves[0..<$0]))! }
    private static let leafHashes: [Digest32] = (0..<64).map { Digest32(bytes: mth(leaves[$0..<($0 + 1)]))! }

    static func root(_ n: Int) -> Digest32 { roots[n] }
    static func leafHash(_ i: Int) -> Digest32 { leafHashes[i] }
    static func inclusion(_ m: Int, _ n: Int) -> [Digest32] { path(m, leaves[0..<n]).map { Digest32(bytes: $0.hash)! } }
    static func inclusionShape(_ m: Int, _ n: Int) -> [Bool] { path(m, leaves[0..<n]).map(\.left) }
    static func consistency(_ m: Int, _ n: Int) -> [Digest32] { proof(m, leaves[0..<n]).map { Digest32(bytes: $0)! } }
}

/// A node store that answers only for nodes complete in a tree of `size` leaves, hashing them
/// with the reference `MTH`, and records every fetch.
final class ReferenceNodeStore: MerkleNodeSource {
    let size: UInt64
    private(set) var fetches: [[Merkle.NodeID]] = []

    init(size: Int) { self.size = UInt64(size) }

    func merkleNodes(_ ids: [Merkle.NodeID]) throws -> [Merkle.NodeID: Digest32] {
        fetches.append(ids)
        var out: [Merkle.NodeID: Digest32] = [:]
        for id in ids where id.leaves.upperBound <= size {
            let r = Int(id.leaves.lowerBound)..<Int(id.leaves.upperBound)
            out[id] = Digest32(bytes: RFC6962Reference.mth(RFC6962Reference.leaves[r]))!
        }
        return out
    }
}

/// Bits needed for `n` (for the O(log N) bounds).
func bitWidth(_ n: Int) -> Int { Int.bitWidth - n.leadingZeroBitCount }

/// One bit flipped in a hash.
func flipped(_ d: Digest32, byte: Int = 7, bit: Int = 3) -> Digest32 {
    var b = d.bytes
    b[byte] ^= UInt8(1 << bit)
    return Digest32(bytes: b)!
}

/// The in-memory tree of all 64 test leaves, built once.
let referenceTree64 = MerkleTree(leafHashes: (0..<64).map { Merkle.leafHash(Digest32(bytes: RFC6962Reference.data($0))!) })

// MARK: - Hashing and the node rule

@Suite("Merkle: hashing and the node-completion rule")
struct MerkleHashingTests {
    @Test("leaf and node hashes are SHA-256 with the 0x00 / 0x01 prefixes; the empty root is SHA-256(\"\")")
    func prefixes() {
        let d = Digest32(bytes: RFC6962Reference.data(0))!
        #expect(Merkle.leafHash(d) == SHA256.hash([0x00] + d.bytes))
        #expect(Merkle.leafHash(data: d.bytes) == Merkle.leafHash(d))
        #expect(Merkle.leafHash(data: [UInt8]()) == SHA256.hash([0x00]))
        let e = Digest32(bytes: RFC6962Reference.data(1))!
        #expect(Merkle.nodeHash(d, e) == SHA256.hash([0x01] + d.bytes + e.bytes))
        #expect(Merkle.nodeHash(d, e) != Merkle.nodeHash(e, d))
        #expect(Merkle.emptyRoot.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("appending leaf n completes (0, n) and (L, (n+1)/2^L - 1) for L in 1...trailingZeros(n+1), and no other node")
    func completionRule() {
        for n in UInt64(0)..<1100 {
            // Brute force: every node whose last leaf is n.
            var expected: [Merkle.NodeID] = []
            for level in UInt8(0)..<12 {
                let width = UInt64(1) << level
                if (n + 1) % width == 0 { expected.append(Merkle.NodeID(level: level, index: (n + 1) / width - 1)) }
            }
            #expect(Merkle.nodesCompleted(byAppendingLeafAt: n) == expected, "leaf \(n)")
        }
        // The examples the documentation gives.
        #expect(Merkle.nodesCompleted(byAppendingLeafAt: 0) == [Merkle.NodeID(level: 0, index: 0)])
        #expect(
            Merkle.nodesCompleted(byAppendingLeafAt: 7).map(\.description) == ["0/7", "1/3", "2/1", "3/0"])
        // Over a whole log every complete node is completed exactly once.
        var seen: Set<Merkle.NodeID> = []
        for n in UInt64(0)..<64 {
            for id in Merkle.nodesCompleted(byAppendingLeafAt: n) { #expect(seen.insert(id).inserted) }
        }
        #expect(seen.count == 127)
        #expect(seen.allSatisfy { $0.leaves.upperBound <= 64 })
    }

    @Test("NodeID covers [index·2^level, (index+1)·2^level)")
    func nodeLeaves() {
        #expect(Merkle.NodeID(level: 0, index: 5).leaves == 5..<6)
        #expect(Merkle.NodeID(level: 3, index: 2).leaves == 16..<24)
        #expect(Merkle.NodeID(level: 62, index: 1).leaves == (UInt64(1) << 62)..<(UInt64(1) << 63))
        #expect(Merkle.NodeID(level: 1, index: 0) < Merkle.NodeID(level: 1, index: 1))
        #expect(Merkle.NodeID(level: 0, index: 9) < Merkle.NodeID(level: 1, index: 0))
    }
}

// MARK: - Roots

@Suite("Merkle: roots for every size 0…64 against the RFC 6962 reference")
struct MerkleRootTests {
    @Test("plan + fetch, in-memory tree and accumulator give MTH(D[n])", arguments: 0...64)
    func root(_ n: Int) throws {
        let expected = RFC6962Reference.root(n)
        let store = ReferenceNodeStore(size: n)
        #expect(try Merkle.root(size: UInt64(n), source: store) == expected)
        #expect(store.fetches.count == (n == 0 ? 0 : 1), "one fetch")
        let plan = try Merkle.rootPlan(size: UInt64(n))
        #expect(plan.nodeIDs.count == n.nonzeroBitCount)
        #expect(try referenceTree64.root(size: UInt64(n)) == expected)
        let tree = MerkleTree(leafHashes: (0..<n).map(RFC6962Reference.leafHash))
        #expect(tree.size == UInt64(n))
        #expect(tree.root == expected)
        var acc = MerkleAccumulator()
        for i in 0..<n { acc.append(RFC6962Reference.leafHash(i)) }
        #expect(acc.size == UInt64(n))
        #expect(acc.root == expected)
        #expect(acc.frontier.count == n.nonzeroBitCount)
    }

    @Test("the empty tree's root is SHA-256 of nothing, everywhere")
    func emptyTree() throws {
        #expect(RFC6962Reference.root(0) == Merkle.emptyRoot)
        #expect(MerkleTree().root == Merkle.emptyRoot)
        #expect(MerkleAccumulator().root == Merkle.emptyRoot)
        #expect(try Merkle.rootPlan(size: 0).elements.isEmpty)
    }

    @Test("sizes over 2^63-1 are refused")
    func tooLarge() throws {
        let big = UInt64(Int64.max) + 1
        #expect(throws: MerkleError.sizeTooLarge(big)) { try Merkle.rootPlan(size: big) }
        #expect(throws: MerkleError.sizeTooLarge(big)) { try Merkle.inclusionPlan(leafIndex: 0, size: big) }
        #expect(throws: MerkleError.sizeTooLarge(big)) { try Merkle.consistencyPlan(from: 1, to: big) }
        #expect(throws: MerkleError.sizeTooLarge(big)) {
            try Merkle.verifyInclusion(leafHash: Merkle.emptyRoot, index: 0, size: big, proof: [], root: Merkle.emptyRoot)
        }
        #expect(throws: MerkleError.sizeTooLarge(big)) { try MerkleAccumulator(size: big, frontier: []) }
        // The largest size plans fine: 63 nodes for the root, O(log N) for proofs.
        #expect(try Merkle.rootPlan(size: Merkle.maxTreeSize).nodeIDs.count == 63)
        #expect(try Merkle.inclusionPlan(leafIndex: Merkle.maxTreeSize - 1, size: Merkle.maxTreeSize).nodeIDs.count <= 126)
        #expect(try Merkle.consistencyPlan(from: 12345, to: Merkle.maxTreeSize).nodeIDs.count <= 127)
    }
}

// MARK: - Inclusion proofs

@Suite("Merkle: every inclusion proof for sizes 1…64 against RFC 6962 PATH")
struct MerkleInclusionTests {
    @Test("plan + fetch and the in-memory tree give PATH(m, D[n]) for every m < n; it verifies", arguments: 1...64)
    func allInclusionProofs(_ n: Int) throws {
        let root = RFC6962Reference.root(n)
        for m in 0..<n {
            let expected = RFC6962Reference.inclusion(m, n)
            let store = ReferenceNodeStore(size: n)
            let fromPlan = try Merkle.inclusionProof(leafIndex: UInt64(m), size: UInt64(n), source: store)
            #expect(fromPlan == expected, "m=\(m) n=\(n) via plan")
            #expect(store.fetches.count == (expected.isEmpty ? 0 : 1), "one fetch")
            let ids = try Merkle.inclusionPlan(leafIndex: UInt64(m), size: UInt64(n)).nodeIDs
            #expect(Set(ids).count == ids.count, "each node once")
            #expect(ids.count <= 2 * bitWidth(n), "O(log N) nodes: \(ids.count)")
            #expect(try referenceTree64.inclusionProof(leafIndex: UInt64(m), size: UInt64(n)) == expected, "m=\(m) n=\(n) via tree")
            try Merkle.verifyInclusion(leafHash: RFC6962Reference.leafHash(m), index: UInt64(m), size: UInt64(n), proof: expected, root: root)
        }
    }

    @Test("a flipped bit in any element, the leaf or the root fails with rootMismatch", arguments: 1...64)
    func tampering(_ n: Int) {
        let root = RFC6962Reference.root(n)
        for m in 0..<n {
            let leaf = RFC6962Reference.leafHash(m)
            let proof = RFC6962Reference.inclusion(m, n)
            for i in proof.indices {
                var bad = proof
                bad[i] = flipped(bad[i], byte: i % 32, bit: i % 8)
                do {
                    try Merkle.verifyInclusion(leafHash: leaf, index: UInt64(m), size: UInt64(n), proof: bad, root: root)
                    Issue.record("m=\(m) n=\(n): a proof with element \(i) changed verifies")
                } catch {
                    guard case .rootMismatch(.root, _, root) = error else {
                        Issue.record("m=\(m) n=\(n) element \(i): \(error)")
                        continue
                    }
                }
            }
            #expect(throws: MerkleError.self) {
                try Merkle.verifyInclusion(leafHash: flipped(leaf), index: UInt64(m), size: UInt64(n), proof: proof, root: root)
            }
            #expect(throws: MerkleError.self) {
                try Merkle.verifyInclusion(leafHash: leaf, index: UInt64(m), size: UInt64(n), proof: proof, root: flipped(root))
            }
            // One element too many or too few.
            #expect(throws: MerkleError.wrongProofLength(expected: proof.count, got: proof.count + 1)) {
                try Merkle.verifyInclusion(leafHash: leaf, index: UInt64(m), size: UInt64(n), proof: proof + [root], root: root)
            }
            if !proof.isEmpty {
                #expect(throws: MerkleError.wrongProofLength(expected: proof.count, got: proof.count - 1)) {
                    try Merkle.verifyInclusion(leafHash: leaf, index: UInt64(m), size: UInt64(n), proof: Array(proof.dropLast()), root: root)
                }
            }
        }
    }

    /// RFC 6962's root does not commit to the tree size by itself (a checkpoint signs the size
    /// with it): a proof also verifies for another size, or another index, exactly when the
    /// audit path has the same shape there (same length, same left/right sides), because the
    /// verifier then computes the same hashes. Checked exactly, both ways, against the
    /// reference's shapes; and with the real root of the other size it never verifies.
    @Test("wrong sizes and wrong indexes fail unless PATH has the same shape there", arguments: 1...64)
    func wrongSizeAndIndex(_ n: Int) {
        let root = RFC6962Reference.root(n)
        for m in 0..<n {
            let leaf = RFC6962Reference.leafHash(m)
            let proof = RFC6962Reference.inclusion(m, n)
            let shape = RFC6962Reference.inclusionShape(m, n)
            #expect(shape == RFC6962Reference.shape(m, n))
            for other in 1...64 where other != n {
                func verify(_ r: Digest32) -> Bool {
                    (try? Merkle.verifyInclusion(leafHash: leaf, index: UInt64(m), size: UInt64(other), proof: proof, root: r)) != nil
                }
                let sameShape = m < other && RFC6962Reference.shape(m, other) == shape
                if verify(root) != sameShape { Issue.record("m=\(m) n=\(n) as size \(other): same shape \(sameShape)") }
                if verify(RFC6962Reference.root(other)) { Issue.record("m=\(m) n=\(n) verifies as size \(other) with its root") }
            }
            for other in 0..<(n + 2) where other != m {
                let sameShape = other < n && RFC6962Reference.shape(other, n) == shape
                let ok = (try? Merkle.verifyInclusion(leafHash: leaf, index: UInt64(other), size: UInt64(n), proof: proof, root: root)) != nil
                if ok != sameShape { Issue.record("m=\(m) n=\(n) as index \(other): same shape \(sameShape)") }
            }
        }
    }

    @Test("index ≥ size is refused before anything else")
    func indexOutOfRange() {
        let r = RFC6962Reference.root(4)
        #expect(throws: MerkleError.indexOutOfRange(index: 4, size: 4)) {
            try Merkle.verifyInclusion(leafHash: r, index: 4, size: 4, proof: [r, r], root: r)
        }
        #expect(throws: MerkleError.indexOutOfRange(index: 0, size: 0)) {
            try Merkle.verifyInclusion(leafHash: r, index: 0, size: 0, proof: [], root: Merkle.emptyRoot)
        }
        #expect(throws: MerkleError.indexOutOfRange(index: 9, size: 3)) { try Merkle.inclusionPlan(leafIndex: 9, size: 3) }
        #expect(throws: MerkleError.indexOutOfRange(index: 3, size: 3)) {
            try referenceTree64.inclusionProof(leafIndex: 3, size: 3)
        }
    }

    @Test("raw hashes: any hash that is not 32 bytes is named")
    func rawLengths() throws {
        let leaf = RFC6962Reference.leafHash(2).bytes
        let proof = RFC6962Reference.inclusion(2, 5).map(\.bytes)
        let root = RFC6962Reference.root(5).bytes
        try Merkle.verifyInclusion(leafHash: leaf, index: 2, size: 5, proof: proof, root: root)
        #expect(throws: MerkleError.invalidHashLength(.leafHash, count: 31)) {
            try Merkle.verifyInclusion(leafHash: Array(leaf.dropLast()), index: 2, size: 5, proof: proof, root: root)
        }
        #expect(throws: MerkleError.invalidHashLength(.proof(1), count: 33)) {
            var p = proof
            p[1].append(0)
            try Merkle.verifyInclusion(leafHash: leaf, index: 2, size: 5, proof: p, root: root)
        }
        #expect(throws: MerkleError.invalidHashLength(.root, count: 0)) {
            try Merkle.verifyInclusion(leafHash: leaf, index: 2, size: 5, proof: proof, root: [])
        }
        // The error says what was computed and what was expected.
        #expect(throws: MerkleError.rootMismatch(.root, computed: RFC6962Reference.root(5), expected: Merkle.emptyRoot)) {
            try Merkle.verifyInclusion(leafHash: leaf, index: 2, size: 5, proof: proof, root: Merkle.emptyRoot.bytes)
        }
    }
}

// MARK: - Consistency proofs

@Suite("Merkle: every consistency proof for sizes 1…64 against RFC 6962 PROOF")
struct MerkleConsistencyTests {
    @Test("plan + fetch and the in-memory tree give PROOF(m, D[n]) for every m ≤ n; it verifies", arguments: 1...64)
    func allConsistencyProofs(_ n: Int) throws {
        let root2 = RFC6962Reference.root(n)
        for m in 1...n {
            let expected = RFC6962Reference.consistency(m, n)
            let store = ReferenceNodeStore(size: n)
            let fromPlan = try Merkle.consistencyProof(from: UInt64(m), to: UInt64(n), source: store)
            #expect(fromPlan == expected, "m=\(m) n=\(n) via plan")
            #expect(store.fetches.count == (m == n ? 0 : 1), "one fetch")
            let ids = try Merkle.consistencyPlan(from: UInt64(m), to: UInt64(n)).nodeIDs
            #expect(Set(ids).count == ids.count, "each node once")
            #expect(ids.count <= 2 * bitWidth(n) + 1, "O(log N) nodes: \(ids.count)")
            #expect(try referenceTree64.consistencyProof(from: UInt64(m), to: UInt64(n)) == expected, "m=\(m) n=\(n) via tree")
            try Merkle.verifyConsistency(size1: UInt64(m), size2: UInt64(n), proof: expected, root1: RFC6962Reference.root(m), root2: root2)
        }
    }

    @Test("a flipped bit in any element or either root fails; other sizes with their real roots fail", arguments: 1...64)
    func tampering(_ n: Int) {
        let root2 = RFC6962Reference.root(n)
        for m in 1...n {
            let root1 = RFC6962Reference.root(m)
            let proof = RFC6962Reference.consistency(m, n)
            func verifies(_ s1: Int, _ s2: Int, _ p: [Digest32], _ r1: Digest32, _ r2: Digest32) -> Bool {
                (try? Merkle.verifyConsistency(size1: UInt64(s1), size2: UInt64(s2), proof: p, root1: r1, root2: r2)) != nil
            }
            for i in proof.indices {
                var bad = proof
                bad[i] = flipped(bad[i], byte: (i * 5) % 32, bit: i % 8)
                if verifies(m, n, bad, root1, root2) { Issue.record("m=\(m) n=\(n): verifies with element \(i) changed") }
            }
            #expect(!verifies(m, n, proof, flipped(root1), root2))
            #expect(!verifies(m, n, proof, root1, flipped(root2)))
            if m != n { #expect(!verifies(m, n, proof, root2, root1), "swapped roots") }
            for other in 1...n where other != m && verifies(other, n, proof, RFC6962Reference.root(other), root2) {
                Issue.record("m=\(m) n=\(n): verifies as size1 \(other)")
            }
            for other in m...64 where other != n && verifies(m, other, proof, root1, RFC6962Reference.root(other)) {
                Issue.record("m=\(m) n=\(n): verifies as size2 \(other)")
            }
            #expect(throws: MerkleError.wrongProofLength(expected: proof.count, got: proof.count + 1)) {
                try Merkle.verifyConsistency(size1: UInt64(m), size2: UInt64(n), proof: proof + [root1], root1: root1, root2: root2)
            }
        }
    }

    @Test("the error names the root that differs")
    func whichRoot() {
        let proof = RFC6962Reference.consistency(3, 7)
        let r3 = RFC6962Reference.root(3)
        let r7 = RFC6962Reference.root(7)
        #expect(throws: MerkleError.rootMismatch(.root1, computed: r3, expected: r7)) {
            try Merkle.verifyConsistency(size1: 3, size2: 7, proof: proof, root1: r7, root2: r7)
        }
        #expect(throws: MerkleError.rootMismatch(.root2, computed: r7, expected: r3)) {
            try Merkle.verifyConsistency(size1: 3, size2: 7, proof: proof, root1: r3, root2: r3)
        }
        // Equal sizes: empty proof and equal roots.
        #expect(throws: MerkleError.rootMismatch(.root2, computed: r3, expected: r7)) {
            try Merkle.verifyConsistency(size1: 3, size2: 3, proof: [], root1: r3, root2: r7)
        }
        #expect(throws: MerkleError.wrongProofLength(expected: 0, got: 1)) {
            try Merkle.verifyConsistency(size1: 3, size2: 3, proof: [r3], root1: r3, root2: r3)
        }
    }

    @Test("size1 > size2 and size1 == 0 are invalid sizes, for plans and verification")
    func invalidSizes() {
        let r = RFC6962Reference.root(2)
        for (s1, s2) in [(UInt64(3), UInt64(2)), (0, 0), (0, 5), (1, 0)] {
            #expect(throws: MerkleError.invalidSizes(size1: s1, size2: s2)) {
                try Merkle.verifyConsistency(size1: s1, size2: s2, proof: [], root1: r, root2: r)
            }
            #expect(throws: MerkleError.invalidSizes(size1: s1, size2: s2)) { try Merkle.consistencyPlan(from: s1, to: s2) }
        }
        #expect(throws: MerkleError.invalidHashLength(.root2, count: 12)) {
            try Merkle.verifyConsistency(size1: 1, size2: 1, proof: [], root1: r.bytes, root2: Array(repeating: 1, count: 12))
        }
    }
}

// MARK: - The accumulator and the in-memory tree

@Suite("Merkle: accumulator and in-memory tree")
struct MerkleAccumulatorTests {
    @Test("append reports exactly the completed nodes, children first, with the reference hashes")
    func emittedNodes() {
        var acc = MerkleAccumulator()
        var stored: [Merkle.NodeID: Digest32] = [:]
        for n in 0..<64 {
            var reported: [Merkle.NodeID] = []
            acc.append(RFC6962Reference.leafHash(n)) { (id: Merkle.NodeID, hash: Digest32) throws(Never) in
                reported.append(id)
                // Children are stored before their parent.
                if id.level > 0 {
                    let left = Merkle.NodeID(level: id.level - 1, index: id.index * 2)
                    let right = Merkle.NodeID(level: id.level - 1, index: id.index * 2 + 1)
                    #expect(stored[left] != nil && stored[right] != nil)
                }
                stored[id] = hash
            }
            #expect(reported == Merkle.nodesCompleted(byAppendingLeafAt: UInt64(n)), "leaf \(n)")
        }
        #expect(stored.count == 127)
        // Every node equals MTH over its leaves, and equals the in-memory tree's node.
        for (id, hash) in stored {
            let r = Int(id.leaves.lowerBound)..<Int(id.leaves.upperBound)
            #expect(hash == Digest32(bytes: RFC6962Reference.mth(RFC6962Reference.leaves[r])), "\(id)")
            #expect(referenceTree64.node(id) == hash)
        }
        #expect(referenceTree64.node(Merkle.NodeID(level: 0, index: 64)) == nil)
        #expect(referenceTree64.node(Merkle.NodeID(level: 7, index: 0)) == nil)
    }

    @Test("resumes from the frontier a store keeps (the root plan's nodes) at every size", arguments: 0...63)
    func resume(_ size: Int) throws {
        let plan = try Merkle.rootPlan(size: UInt64(size))
        let nodes = try ReferenceNodeStore(size: size).merkleNodes(plan.nodeIDs)
        let frontier = try plan.nodeIDs.map { try #require(nodes[$0]) }
        var acc = try MerkleAccumulator(size: UInt64(size), frontier: frontier)
        #expect(acc.root == RFC6962Reference.root(size))
        #expect(acc.frontier == frontier)
        var fresh = MerkleAccumulator()
        for i in 0..<size { fresh.append(RFC6962Reference.leafHash(i)) }
        #expect(fresh.frontier == frontier, "the frontier is the root plan's nodes")
        for i in size..<64 { acc.append(RFC6962Reference.leafHash(i)) }
        #expect(acc.root == RFC6962Reference.root(64))
        for i in size..<64 { fresh.append(RFC6962Reference.leafHash(i)) }
        #expect(acc == fresh)
    }

    @Test("a frontier with the wrong number of hashes is refused")
    func badFrontier() {
        #expect(throws: MerkleError.invalidFrontier(size: 6, expected: 2, got: 1)) {
            try MerkleAccumulator(size: 6, frontier: [Merkle.emptyRoot])
        }
        #expect(throws: MerkleError.invalidFrontier(size: 0, expected: 0, got: 1)) {
            try MerkleAccumulator(size: 0, frontier: [Merkle.emptyRoot])
        }
    }

    struct StoreFailed: Error, Equatable {}

    @Test("an error from the node callback is rethrown after the append has completed")
    func callbackError() {
        var acc = MerkleAccumulator()
        for i in 0..<3 { acc.append(RFC6962Reference.leafHash(i)) }
        var calls = 0
        // Leaf 3 completes (0,3), (1,1), (2,0); fail on the first.
        #expect(throws: StoreFailed()) {
            try acc.append(RFC6962Reference.leafHash(3)) { (_: Merkle.NodeID, _: Digest32) throws(StoreFailed) in
                calls += 1
                throw StoreFailed()
            }
        }
        #expect(calls == 1)
        #expect(acc.size == 4)
        #expect(acc.root == RFC6962Reference.root(4))
        #expect(acc.frontier.count == 1)
    }

    @Test("the tree answers only up to its size: a larger size is a missing node")
    func beyondTree() {
        let tree = MerkleTree(leafHashes: (0..<5).map(RFC6962Reference.leafHash))
        #expect(throws: MerkleError.missingNode(Merkle.NodeID(level: 3, index: 0))) { try tree.root(size: 8) }
        // Folding right to left, the first node found missing is the rightmost.
        #expect(throws: MerkleError.missingNode(Merkle.NodeID(level: 0, index: 6))) { try tree.root(size: 7) }
        #expect(throws: MerkleError.self) { try tree.inclusionProof(leafIndex: 0, size: 6) }
        #expect(throws: MerkleError.self) { try tree.consistencyProof(from: 2, to: 9) }
        #expect(throws: MerkleError.missingNode(Merkle.NodeID(level: 0, index: 0))) {
            try Merkle.rootPlan(size: 1).hashes(from: [:])
        }
    }

    /// Not a timing test: a larger tree, streamed, must give the same root as the in-memory tree
    /// and as folding the root plan; the accumulator's state stays at one hash per set bit.
    @Test("2^16 + 3 leaves: accumulator, tree and plan agree")
    func largerTree() throws {
        let count = (1 << 16) + 3
        var acc = MerkleAccumulator()
        var tree = MerkleTree()
        var maxFrontier = 0
        var leaf = Merkle.emptyRoot
        for _ in 0..<count {
            leaf = Merkle.leafHash(leaf)  // a chain of distinct leaf hashes
            acc.append(leaf)
            tree.append(leaf)
            maxFrontier = max(maxFrontier, acc.frontier.count)
        }
        #expect(acc.root == tree.root)
        #expect(try Merkle.root(size: UInt64(count), source: tree) == acc.root)
        #expect(acc.frontier.count == 3)
        #expect(maxFrontier == 16)
        let proof = try tree.inclusionProof(leafIndex: 40_000, size: UInt64(count))
        #expect(proof.count == 17)
        let c = try tree.consistencyProof(from: 40_000, to: UInt64(count))
        let old = try tree.root(size: 40_000)
        try Merkle.verifyConsistency(size1: 40_000, size2: UInt64(count), proof: c, root1: old, root2: acc.root)
    }
}
