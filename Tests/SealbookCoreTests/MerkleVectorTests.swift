// The Merkle tree against external RFC 6962 vectors (read in place from the vector folder, see
// Ed25519VectorTests.swift): transparency-dev/merkle's inclusion and consistency probes, its
// 8-leaf reference tree (roots, node hashes, hasher vectors, proof tables), and every proof
// for sizes ≤ 8 derived from RFC 6962's PATH and SUBPROOF.

import Foundation
@testable import SealbookCore
import Testing

// MARK: - Reading the vectors

/// One transparency-dev/merkle probe file (`testdata/inclusion/**` or `testdata/consistency/**`):
/// hashes in base64, `"proof": null` for an empty proof. Indexes are 0-based.
struct MerkleProbe: Decodable, Sendable, CustomTestStringConvertible {
    var path = ""
    let leafIdx: UInt64?
    let treeSize: UInt64?
    let root: Data?
    let leafHash: Data?
    let size1: UInt64?
    let size2: UInt64?
    let root1: Data?
    let root2: Data?
    let proof: [Data]?
    let desc: String
    let wantErr: Bool

    enum CodingKeys: String, CodingKey {
        case leafIdx, treeSize, root, leafHash, size1, size2, root1, root2, proof, desc, wantErr
    }

    var testDescription: String { path }
    var isInclusion: Bool { path.hasPrefix("inclusion/") }
    var proofBytes: [[UInt8]] { (proof ?? []).map { [UInt8]($0) } }

    /// Every hash in the probe is 32 bytes long.
    var allHashesAre32Bytes: Bool {
        ([root, leafHash, root1, root2].compactMap { $0 } + (proof ?? [])).allSatisfy { $0.count == 32 }
    }

    static let directory = "rfc6962/transparency-dev/testdata"

    /// Every probe file, by path under `testdata/`, sorted.
    static let all: [MerkleProbe] = {
        let base = SealbookVectors.url(directory)
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { return [] }
        var probes: [MerkleProbe] = []
        for case let url as URL in walker where url.pathExtension == "json" {
            let relative = String(url.standardizedFileURL.path.dropFirst(base.standardizedFileURL.path.count + 1))
            guard let data = try? Data(contentsOf: url), var probe = try? JSONDecoder().decode(MerkleProbe.self, from: data) else {
                // A file that does not decode is kept as a failing case.
                probes.append(MerkleProbe.undecodable(relative))
                continue
            }
            probe.path = relative
            probes.append(probe)
        }
        return probes.sorted { $0.path < $1.path }
    }()

    static func undecodable(_ path: String) -> MerkleProbe {
        var p = MerkleProbe(
            leafIdx: nil, treeSize: nil, root: nil, leafHash: nil, size1: nil, size2: nil, root1: nil, root2: nil, proof: nil,
            desc: "UNDECODABLE", wantErr: false)
        p.path = path
        return p
    }

    init(
        leafIdx: UInt64?, treeSize: UInt64?, root: Data?, leafHash: Data?, size1: UInt64?, size2: UInt64?, root1: Data?,
        root2: Data?, proof: [Data]?, desc: String, wantErr: Bool
    ) {
        (self.leafIdx, self.treeSize, self.root, self.leafHash) = (leafIdx, treeSize, root, leafHash)
        (self.size1, self.size2, self.root1, self.root2) = (size1, size2, root1, root2)
        (self.proof, self.desc, self.wantErr) = (proof, desc, wantErr)
    }

    /// Runs the library's verification of the probe.
    func verify() throws(MerkleError) {
        if isInclusion {
            try Merkle.verifyInclusion(
                leafHash: [UInt8](leafHash ?? Data()), index: leafIdx ?? 0, size: treeSize ?? 0, proof: proofBytes,
                root: [UInt8](root ?? Data()))
        } else {
            try Merkle.verifyConsistency(
                size1: size1 ?? 0, size2: size2 ?? 0, proof: proofBytes, root1: [UInt8](root1 ?? Data()),
                root2: [UInt8](root2 ?? Data()))
        }
    }
}

/// `reference_tree_8_leaves.json`: the tree transparency-dev/merkle's tests use.
struct ReferenceTreeFile: Decodable {
    struct HasherVector: Decodable {
        let desc: String
        let leaf: String?
        let left: String?
        let right: String?
        let want: String
    }
    let leaves: [String]
    let nodeHashesByLevel: [[String]]
    let rootBySize: [String: String]
    let hasherVectors: [HasherVector]
    let inclusionProofs: [InclusionVector]
    let consistencyProofs: [ConsistencyVector]

    static let file = SealbookVectors.decode(ReferenceTreeFile.self, "rfc6962/reference_tree_8_leaves.json")

    /// The 8-leaf tree built by the library from the file's leaf data.
    static var tree: MerkleTree? {
        file.map { MerkleTree(leafHashes: $0.leaves.map { Merkle.leafHash(data: edHexBytes($0)) }) }
    }
}

struct InclusionVector: Decodable, Sendable, CustomTestStringConvertible {
    let leafIndex: UInt64
    let treeSize: UInt64
    let leafHash: String
    let root: String
    let proof: [String]
    var testDescription: String { "leaf \(leafIndex) of \(treeSize)" }
}

struct ConsistencyVector: Decodable, Sendable, CustomTestStringConvertible {
    let size1: UInt64
    let size2: UInt64
    let root1: String
    let root2: String
    let proof: [String]
    var testDescription: String { "\(size1) -> \(size2)" }
}

struct DerivedProofsFile: Decodable {
    let inclusionProofs: [InclusionVector]
    let consistencyProofs: [ConsistencyVector]
    static let file = SealbookVectors.decode(DerivedProofsFile.self, "rfc6962/derived_all_proofs_8_leaves.json")
}

func digest(hex: String) -> Digest32 { Digest32(bytes: edHexBytes(hex))! }

// MARK: - transparency-dev probes

@Suite("Merkle: transparency-dev/merkle probes (testdata/inclusion, testdata/consistency)")
struct MerkleProbeTests {
    /// The one probe where this library is stricter than transparency-dev's Go verifier: its
    /// roots are 12 bytes, which Go compares without a length check when the sizes are equal.
    /// A hash that is not 32 bytes is always an error here.
    static let stricterThanUpstream = "consistency/additional/sizes-are-equal-one-and-proof-is-empty.json"

    @Test("98 inclusion and 98 consistency probes are present and decode")
    func present() {
        let all = MerkleProbe.all
        #expect(all.filter(\.isInclusion).count == 98, "probes not found under \(SealbookVectors.url(MerkleProbe.directory).path)")
        #expect(all.filter { $0.path.hasPrefix("consistency/") }.count == 98)
        #expect(all.allSatisfy { $0.desc != "UNDECODABLE" })
        #expect(all.contains { $0.path == Self.stricterThanUpstream })
        // Edge cases: 0-byte hashes, and equal sizes of zero, must fail.
        #expect(all.contains { $0.path == "inclusion/single-entry/empty-root-and-leaf.json" && $0.wantErr })
        #expect(all.contains { $0.path == "consistency/additional/sizes-are-equal-zero-and-proof-is-empty.json" && $0.wantErr })
    }

    @Test("each probe: wantErr ⇔ verification throws; hashes not 32 bytes always throw", arguments: MerkleProbe.all)
    func probe(_ p: MerkleProbe) {
        #expect(p.desc != "UNDECODABLE")
        let outcome: MerkleError?
        do {
            try p.verify()
            outcome = nil
        } catch {
            outcome = error
        }
        if !p.allHashesAre32Bytes {
            guard case .invalidHashLength = outcome else {
                Issue.record("a hash is not 32 bytes, yet: \(outcome.map(String.init(describing:)) ?? "verified")")
                return
            }
            #expect(p.wantErr || p.path == Self.stricterThanUpstream)
        } else if p.wantErr {
            #expect(outcome != nil, "\(p.desc): verified")
        } else {
            #expect(outcome == nil, "\(p.desc): \(outcome.map(String.init(describing:)) ?? "")")
        }
    }

    @Test("the happy paths also come out of the in-memory reference tree byte for byte")
    func happyPathsReproduced() throws {
        let tree = try #require(ReferenceTreeFile.tree)
        var reproduced: [String] = []
        for p in MerkleProbe.all where !p.wantErr && p.allHashesAre32Bytes {
            // Only the probes over this tree (one single-entry probe uses a leaf of its own).
            if p.isInclusion {
                let (index, size) = (try #require(p.leafIdx), try #require(p.treeSize))
                guard size <= 8, tree.node(Merkle.NodeID(level: 0, index: index))?.bytes == p.leafHash.map({ [UInt8]($0) }) else { continue }
                #expect(try tree.root(size: size).bytes == p.root.map { [UInt8]($0) }, "\(p.path)")
                #expect(try tree.inclusionProof(leafIndex: index, size: size).map(\.bytes) == p.proofBytes, "\(p.path)")
            } else {
                let (s1, s2) = (try #require(p.size1), try #require(p.size2))
                guard s2 <= 8, try tree.root(size: s1).bytes == p.root1.map({ [UInt8]($0) }) else { continue }
                #expect(try tree.root(size: s2).bytes == p.root2.map { [UInt8]($0) }, "\(p.path)")
                #expect(try tree.consistencyProof(from: s1, to: s2).map(\.bytes) == p.proofBytes, "\(p.path)")
            }
            reproduced.append(p.path)
        }
        // inclusion/0…4 and consistency/0…4 happy paths.
        #expect(reproduced.count == 10, "\(reproduced)")
    }
}

// MARK: - The 8-leaf reference tree

@Suite("Merkle: transparency-dev's 8-leaf reference tree")
struct MerkleReferenceTreeTests {
    @Test("the file is present: 8 leaves, 4 levels, roots for sizes 0…8")
    func present() throws {
        let f = try #require(ReferenceTreeFile.file, "reference_tree_8_leaves.json not found under \(SealbookVectors.directory.path)")
        #expect(f.leaves.count == 8)
        #expect(f.nodeHashesByLevel.map(\.count) == [8, 4, 2, 1])
        #expect(f.rootBySize.count == 9)
        #expect(f.hasherVectors.count == 4)
        #expect(f.inclusionProofs.count == 4)
        #expect(f.consistencyProofs.count == 5)
    }

    @Test("hasher vectors: empty root, leaf hashes, HashChildren")
    func hasher() throws {
        let f = try #require(ReferenceTreeFile.file)
        var checked = 0
        for v in f.hasherVectors {
            if let left = v.left, let right = v.right {
                #expect(Merkle.nodeHash(rawLeft: edHexBytes(left), rawRight: edHexBytes(right)).hex == v.want, "\(v.desc)")
            } else if let leaf = v.leaf {
                #expect(Merkle.leafHash(data: edHexBytes(leaf)).hex == v.want, "\(v.desc)")
            } else {
                #expect(Merkle.emptyRoot.hex == v.want, "\(v.desc)")
            }
            checked += 1
        }
        #expect(checked == 4)
        // nodeHash over Digest32 is the same function.
        let a = digest(hex: f.nodeHashesByLevel[0][0]), b = digest(hex: f.nodeHashesByLevel[0][1])
        #expect(Merkle.nodeHash(a, b) == Merkle.nodeHash(rawLeft: a.bytes, rawRight: b.bytes))
    }

    @Test("every node hash and every root for sizes 0…8, from the tree, the accumulator and the plans")
    func nodesAndRoots() throws {
        let f = try #require(ReferenceTreeFile.file)
        let tree = try #require(ReferenceTreeFile.tree)
        for (level, hashes) in f.nodeHashesByLevel.enumerated() {
            for (index, hex) in hashes.enumerated() {
                #expect(tree.node(Merkle.NodeID(level: UInt8(level), index: UInt64(index)))?.hex == hex, "node \(level)/\(index)")
            }
        }
        var acc = MerkleAccumulator()
        for size in 0...8 {
            let want = try #require(f.rootBySize[String(size)])
            #expect(try tree.root(size: UInt64(size)).hex == want, "size \(size)")
            #expect(acc.root.hex == want, "size \(size), accumulator")
            #expect(try Merkle.root(size: UInt64(size), source: tree).hex == want)
            if size < 8 { acc.append(digest(hex: f.nodeHashesByLevel[0][size])) }
        }
    }

    @Test("the upstream inclusion table verifies and is reproduced", arguments: ReferenceTreeFile.file?.inclusionProofs ?? [])
    func inclusion(_ v: InclusionVector) throws {
        try checkInclusion(v)
    }

    @Test("the upstream consistency table verifies and is reproduced", arguments: ReferenceTreeFile.file?.consistencyProofs ?? [])
    func consistency(_ v: ConsistencyVector) throws {
        try checkConsistency(v)
    }
}

@Suite("Merkle: every proof for sizes ≤ 8 (derived from RFC 6962 PATH and SUBPROOF)")
struct MerkleDerivedProofTests {
    @Test("36 inclusion and 36 consistency proofs are present")
    func present() throws {
        let f = try #require(DerivedProofsFile.file, "derived_all_proofs_8_leaves.json not found under \(SealbookVectors.directory.path)")
        #expect(f.inclusionProofs.count == 36)
        #expect(f.consistencyProofs.count == 36)
    }

    @Test("inclusion proofs verify and are reproduced", arguments: DerivedProofsFile.file?.inclusionProofs ?? [])
    func inclusion(_ v: InclusionVector) throws {
        try checkInclusion(v)
    }

    @Test("consistency proofs verify and are reproduced", arguments: DerivedProofsFile.file?.consistencyProofs ?? [])
    func consistency(_ v: ConsistencyVector) throws {
        try checkConsistency(v)
    }
}

/// Verifies an inclusion vector, checks the tree and the plans give the same proof and root,
/// and that the proof fails for the neighbouring leaf hash.
func checkInclusion(_ v: InclusionVector) throws {
    let tree = try #require(ReferenceTreeFile.tree)
    let proof = v.proof.map(digest(hex:))
    let leaf = digest(hex: v.leafHash), root = digest(hex: v.root)
    try Merkle.verifyInclusion(leafHash: leaf, index: v.leafIndex, size: v.treeSize, proof: proof, root: root)
    #expect(tree.node(Merkle.NodeID(level: 0, index: v.leafIndex)) == leaf)
    #expect(try tree.root(size: v.treeSize) == root)
    #expect(try tree.inclusionProof(leafIndex: v.leafIndex, size: v.treeSize) == proof)
    #expect(try Merkle.inclusionProof(leafIndex: v.leafIndex, size: v.treeSize, source: tree) == proof)
    #expect(throws: MerkleError.self) {
        try Merkle.verifyInclusion(leafHash: flipped(leaf), index: v.leafIndex, size: v.treeSize, proof: proof, root: root)
    }
}

/// Verifies a consistency vector, checks the tree and the plans give the same proof, and that
/// the proof fails against a changed second root.
func checkConsistency(_ v: ConsistencyVector) throws {
    let tree = try #require(ReferenceTreeFile.tree)
    let proof = v.proof.map(digest(hex:))
    let r1 = digest(hex: v.root1), r2 = digest(hex: v.root2)
    try Merkle.verifyConsistency(size1: v.size1, size2: v.size2, proof: proof, root1: r1, root2: r2)
    #expect(try tree.root(size: v.size1) == r1)
    #expect(try tree.root(size: v.size2) == r2)
    #expect(try tree.consistencyProof(from: v.size1, to: v.size2) == proof)
    #expect(try Merkle.consistencyProof(from: v.size1, to: v.size2, source: tree) == proof)
    #expect(throws: MerkleError.self) {
        try Merkle.verifyConsistency(size1: v.size1, size2: v.size2, proof: proof, root1: r1, root2: flipped(r2))
    }
}
