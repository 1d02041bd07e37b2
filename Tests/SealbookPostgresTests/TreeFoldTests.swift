import Foundation
import SealbookCore
import SealbookTestSupport
import Testing

@testable import SealbookPostgres

// The folds of schema version 4's tree (docs/FORMAT.md §12.1): the sealbook_ed25519 extension's C
// functions (1.1, libsodium) and schema 4's plpgsql ones give the same bytes and the same errors,
// and equal SealbookCore's Merkle tree; `sealbook init` points the tree at C when it can, keeps
// plpgsql for --no-signature-extension, and upgrades a ledger made with the extension's 1.0.
// Runs against the server of SEALBOOK_TEST_DATABASE_URL with the extension scripts/setup.sh
// installs.

/// A database with the schema applied by init's migration (no genesis needed for the folds).
private func migratedDatabase(_ mode: SignatureCheck = .extension) throws -> (TestDatabase, PGConnection) {
    let db = try TestDatabase.create()
    try LedgerStore(conninfo: db.url).migrate(signatureCheck: mode)
    return (db, try PGConnection(conninfo: db.url))
}

/// `n` pseudo-random 32-byte hashes.
private func hashes(_ n: Int, seed: Int) -> [Digest32] {
    (0..<n).map { SHA256.hash(Array("leaf \(seed) \($0)".utf8)) }
}

/// The Swift reference: the RFC 6962 root of `hashes` taken as the tree's leaf hashes.
private func swiftFold(_ hashes: [Digest32]) -> Digest32 { MerkleTree(leafHashes: hashes).root }

/// The SQLSTATE and message of `sql`'s failure, or nil when it succeeds.
private func failure(_ c: PGConnection, _ sql: String) -> (state: String?, message: String)? {
    do {
        _ = try c.query(PGQuery(unsafeSQL: sql))
        return nil
    } catch {
        return (error.sqlState, error.message)
    }
}

private func byteaArray(_ hashes: [Digest32]) -> String {
    "ARRAY[" + hashes.map { "'\\x\($0.hex)'::bytea" }.joined(separator: ",") + "]::bytea[]"
}

@Suite("The tree's folds: C (sealbook_ed25519 1.1) and plpgsql, byte for byte")
struct TreeFoldTests {
    @Test("C fold = plpgsql fold = SealbookCore's Merkle tree, for 2^0 … 2^12 hashes and leaves, and in runs of every width")
    func foldsAgree() throws {
        let (db, c) = try migratedDatabase()
        defer { db.drop() }
        #expect(try LedgerStore(conninfo: db.url).treeFold() == .extension)
        for k in 0...12 {
            let n = 1 << k
            let h = hashes(n, seed: k)
            let r = try c.query(
                PGQuery(
                    unsafeSQL: """
                        SELECT sealbook.rfc6962_fold(a), sealbook.merkle_fold_sql(a), sealbook.merkle_fold(a),
                               sealbook.rfc6962_leaf_fold(a), sealbook.merkle_leaf_fold_sql(a), sealbook.merkle_leaf_fold(a)
                        FROM (SELECT \(byteaArray(h)) AS a) AS t
                        """), resultFormat: .binary)
            let fold = k == 0 ? h[0] : swiftFold(h)
            let leafFold = MerkleTree(leafHashes: h.map(Merkle.leafHash)).root
            for col in 0..<3 { #expect(r.bytes(0, col) == fold.bytes, "fold of \(n), column \(col)") }
            for col in 3..<6 { #expect(r.bytes(0, col) == leafFold.bytes, "leaf fold of \(n), column \(col)") }
        }
        // Runs: every power-of-two width up to 512 over 1,024 hashes, C against plpgsql against Swift.
        let h = hashes(1024, seed: 99)
        for k in 0...9 {
            let w = 1 << k
            let r = try c.query(
                PGQuery(
                    unsafeSQL: """
                        SELECT sealbook.rfc6962_folds(a, \(w)) = sealbook.merkle_folds_sql(a, \(w)),
                               sealbook.rfc6962_leaf_folds(a, \(w)) = sealbook.merkle_leaf_folds_sql(a, \(w)),
                               encode((sealbook.rfc6962_folds(a, \(w)))[2], 'hex'), encode((sealbook.rfc6962_leaf_folds(a, \(w)))[2], 'hex'),
                               cardinality(sealbook.merkle_leaf_folds(a, \(w)))
                        FROM (SELECT \(byteaArray(h)) AS a) AS t
                        """))
            #expect(r.bool(0, 0) == true && r.bool(0, 1) == true, "width \(w)")
            let second = Array(h[w..<(2 * w)])
            #expect(r.string(0, 2) == (w == 1 ? second[0] : swiftFold(second)).hex, "fold run 2 of width \(w)")
            #expect(r.string(0, 3) == MerkleTree(leafHashes: second.map(Merkle.leafHash)).root.hex, "leaf fold run 2 of width \(w)")
            #expect(r.int64(0, 4) == Int64(1024 / w))
        }
    }

    @Test("odd inputs: elements of any length, NULL elements, arrays not based at 1 — C and plpgsql give the same")
    func oddInputsAgree() throws {
        let (db, c) = try migratedDatabase()
        defer { db.drop() }
        let cases = [
            "ARRAY['\\x'::bytea, '\\x01'::bytea, '\\x0203'::bytea, decode(repeat('ab', 100), 'hex')]",
            "ARRAY['\\x00'::bytea]", "ARRAY[''::bytea, ''::bytea]",
            "ARRAY[sha256('a'), NULL, sha256('c'), sha256('d')]::bytea[]", "ARRAY[NULL]::bytea[]",
            "'[0:3]={\"\\\\x01\",\"\\\\x02\",\"\\\\x03\",\"\\\\x04\"}'::bytea[]",
            "'[5:6]={\"\\\\x01\",\"\\\\x02\"}'::bytea[]",
        ]
        for a in cases {
            let r = try c.query(
                PGQuery(
                    unsafeSQL: """
                        SELECT sealbook.rfc6962_fold(a) IS NOT DISTINCT FROM sealbook.merkle_fold_sql(a),
                               sealbook.rfc6962_leaf_fold(a) IS NOT DISTINCT FROM sealbook.merkle_leaf_fold_sql(a),
                               sealbook.rfc6962_folds(a, 1) IS NOT DISTINCT FROM sealbook.merkle_folds_sql(a, 1),
                               sealbook.rfc6962_leaf_folds(a, 1) IS NOT DISTINCT FROM sealbook.merkle_leaf_folds_sql(a, 1),
                               sealbook.rfc6962_folds(a, cardinality(a)) IS NOT DISTINCT FROM sealbook.merkle_folds_sql(a, cardinality(a)),
                               sealbook.rfc6962_fold(a) IS NULL
                        FROM (SELECT \(a) AS a) AS t
                        """))
            for col in 0..<5 { #expect(r.bool(0, col) == true, "\(a), column \(col)") }
            #expect(r.bool(0, 5) == a.contains("NULL"), "\(a): NULL exactly when an element is NULL")
        }
    }

    @Test("a count that is not a power of two, a bad width, two dimensions: SB060 with the same message from C and plpgsql")
    func badInput() throws {
        let (db, c) = try migratedDatabase()
        defer { db.drop() }
        for n in [0, 3, 5, 6, 7, 12, 255, 257] {
            let a = n == 0 ? "ARRAY[]::bytea[]" : byteaArray(hashes(n, seed: n))
            for (cf, sqlf) in [("rfc6962_fold", "merkle_fold_sql"), ("rfc6962_leaf_fold", "merkle_leaf_fold_sql")] {
                let fromC = failure(c, "SELECT sealbook.\(cf)(\(a))")
                let fromSQL = failure(c, "SELECT sealbook.\(sqlf)(\(a))")
                #expect(fromC?.state == "SB060" && fromSQL?.state == "SB060", "\(cf) of \(n)")
                #expect(fromC?.message == fromSQL?.message, "\(cf) of \(n): \(fromC?.message ?? "-") / \(fromSQL?.message ?? "-")")
                #expect(fromC?.message.contains("\(n) hashes, not a power of two") == true, "\(fromC?.message ?? "-")")
            }
        }
        let eight = byteaArray(hashes(8, seed: 8))
        for (a, w) in [(eight, 3), (eight, 0), (eight, -2), (eight, 16), (byteaArray(hashes(12, seed: 12)), 8), ("ARRAY[]::bytea[]", 1)] {
            for (cf, sqlf) in [("rfc6962_folds", "merkle_folds_sql"), ("rfc6962_leaf_folds", "merkle_leaf_folds_sql")] {
                let fromC = failure(c, "SELECT sealbook.\(cf)(\(a), \(w))")
                let fromSQL = failure(c, "SELECT sealbook.\(sqlf)(\(a), \(w))")
                #expect(fromC?.state == "SB060" && fromSQL?.state == "SB060", "\(cf) width \(w)")
                #expect(fromC?.message == fromSQL?.message, "\(cf) width \(w): \(fromC?.message ?? "-") / \(fromSQL?.message ?? "-")")
            }
        }
        let twoD = "'{{\"\\\\x01\",\"\\\\x02\"},{\"\\\\x03\",\"\\\\x04\"}}'::bytea[]"
        for (cf, sqlf) in [("rfc6962_fold", "merkle_fold_sql"), ("rfc6962_leaf_fold", "merkle_leaf_fold_sql")] {
            let fromC = failure(c, "SELECT sealbook.\(cf)(\(twoD))")
            let fromSQL = failure(c, "SELECT sealbook.\(sqlf)(\(twoD))")
            #expect(fromC?.state == "SB060" && fromC?.message == fromSQL?.message, "\(cf) of two dimensions")
        }
        // Through the wrappers the tree calls.
        #expect(failure(c, "SELECT sealbook.merkle_fold(\(byteaArray(hashes(3, seed: 3))))")?.state == "SB060")
        #expect(failure(c, "SELECT sealbook.merkle_leaf_folds(\(eight), 3)")?.state == "SB060")
    }

    @Test("the stored tree is the same built in C, in plpgsql, or by appends; and equals SealbookCore's tree")
    func storedTreeIdentical() throws {
        let l = try TestLedger()
        defer { l.db.drop() }
        var left = 1_400
        while left > 0 {
            let k = min(left, 200)
            _ = try l.store.appendBatch(
                (0..<k).map { LedgerStore.NewEvent(stream: "s\($0 % 5)", type: "custom.note", data: JSONObject()) }, key: l.operatorKey)
            left -= k
        }
        let n = try l.store.head().seq
        #expect(try l.store.treeFold() == .extension)
        let all = "SELECT string_agg(level || ':' || idx || ':' || encode(hash, 'hex'), ',' ORDER BY level, idx) FROM sealbook.tree_nodes"
        let byAppends = try l.db.superuserQuery(all)
        let reference = MerkleTree(leafHashes: try l.store.eventHashes(1...n).map(Merkle.leafHash))
        let level8 = try l.store.storedNodes(level: 8, inRanges: [0...Int64(n / 256)])
        #expect(level8.count == Int(n / 256))
        for (i, h) in level8 {
            let leaves = try l.store.eventHashes((i * 256 + 1)...((i + 1) * 256)).map(Merkle.leafHash)
            #expect(h == MerkleTree(leafHashes: leaves).root, "level-8 node \(i)")
        }
        #expect(try l.store.treeRoot(size: n) == reference.root)
        // Rebuilt from nothing by the migration's statement, in C then in plpgsql.
        for fold in ["rfc6962_", "merkle_"] {
            let c = try PGConnection(conninfo: l.db.url)
            try c.execute("BEGIN")
            if fold == "merkle_" {
                for f in LedgerStore.treeFolds {
                    try c.executeScript(
                        unsafeSQL: "CREATE OR REPLACE FUNCTION sealbook.\(f.name)(\(f.parameters)) RETURNS \(f.returns) LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$SELECT sealbook.\(f.name)_sql(\(f.arguments))$fn$")
                }
            }
            try c.executeScript(
                unsafeSQL: """
                    ALTER TABLE sealbook.tree_nodes DISABLE TRIGGER tree_nodes_no_truncate; TRUNCATE sealbook.tree_nodes;
                    SELECT sealbook.extend_tree(0, \(n));
                    """)
            let rebuilt = try c.query(PGQuery(unsafeSQL: all)).string(0, 0)
            #expect(rebuilt == byAppends[0], "rebuilt with \(fold)")
            try c.execute("ROLLBACK")
        }
        for size in [1, 255, 256, 257, 511, 512, 513, 1024, n - 1, n] as [Int64] {
            #expect(try l.store.treeRoot(size: size) == (try reference.root(size: UInt64(size))), "root at \(size)")
        }
    }

    @Test("--no-signature-extension keeps the plpgsql folds; init with the extension moves the same tree to C")
    func fallbackStaysPlpgsql() throws {
        let l = try TestLedger(ledger: "fallback-tree", signatureCheck: .none)
        defer { l.db.drop() }
        #expect(try l.store.signatureCheck()?.mode == SignatureCheck.none)
        #expect(try l.store.treeFold() == .plpgsql)
        let bodies = try l.db.superuserQuery(
            "SELECT string_agg(p.prosrc, ' ') FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'sealbook' AND p.proname IN ('merkle_fold', 'merkle_leaf_fold', 'merkle_folds', 'merkle_leaf_folds')")
        #expect(bodies[0]?.contains("rfc6962") == false, "\(bodies)")
        _ = try l.store.appendBatch(
            (0..<600).map { LedgerStore.NewEvent(stream: "f\($0 % 3)", type: "custom.note", data: JSONObject()) }, key: l.operatorKey)
        let n = try l.store.head().seq
        let reference = MerkleTree(leafHashes: try l.store.eventHashes(1...n).map(Merkle.leafHash))
        #expect(try l.store.treeRoot(size: n) == reference.root)
        #expect(try l.db.superuserQuery("SELECT count(*) FROM sealbook.tree_nodes") == ["\(n / 256)"])
        // Moving the ledger to the extension points the folds at C; the tree stays as it was.
        _ = try l.store.initialize(ledger: "fallback-tree", root: l.root)
        #expect(try l.store.treeFold() == .extension)
        _ = try l.store.appendBatch(
            (0..<300).map { LedgerStore.NewEvent(stream: "f\($0 % 3)", type: "custom.note", data: JSONObject()) }, key: l.operatorKey)
        let m = try l.store.head().seq
        let grown = MerkleTree(leafHashes: try l.store.eventHashes(1...m).map(Merkle.leafHash))
        #expect(try l.store.treeRoot(size: m) == grown.root)
        #expect(try l.store.treeRoot(size: n) == reference.root)
        // And back: init --no-signature-extension points them at plpgsql again.
        _ = try l.store.initialize(ledger: "fallback-tree", root: l.root, signatureCheck: .none)
        #expect(try l.store.treeFold() == .plpgsql)
        #expect(try l.store.treeRoot(size: m) == grown.root)
    }

    @Test("a ledger made before (schema 3, sealbook_ed25519 1.0) upgrades with init: extension 1.1, the tree built in C, appends go on")
    func upgradeFromExtensionOnePointZero() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let store = try LedgerStore(conninfo: db.url)
        try store.migrate(signatureCheck: .extension, extensionName: SignatureCheck.extensionName, upTo: 3)
        // As an older sealbook left it: the extension at 1.0 (only ed25519_verify).
        try db.superuserExecute(
            """
            DROP EXTENSION sealbook_ed25519;
            CREATE EXTENSION sealbook_ed25519 WITH SCHEMA sealbook VERSION '1.0';
            """)
        #expect(try db.superuserQuery("SELECT extversion FROM pg_extension WHERE extname = 'sealbook_ed25519'") == ["1.0"])
        let root = KeyFile(actor: "root@fingood", privateKey: Ed25519.PrivateKey())
        let descriptor = KeyDescriptor(keyID: root.keyID, publicKey: root.privateKey.publicKey, actor: root.actor, roles: ["admin"])
        let genesis = try EventBody(
            ledger: "old", stream: FormatV1.ledgerStream, streamSeq: 1, streamPrev: .zero, type: FormatV1.genesisType,
            time: FormatV1.now(), actor: root.actor, key: root.keyID,
            data: JSONObject([(key: "rootKeys", value: .array([.object(descriptor.json)]))]))
        _ = try store.appendSigned([try SignedEvent(signing: genesis, with: root.privateKey)])
        _ = try store.appendBatch(
            (1...799).map { LedgerStore.NewEvent(stream: "s", type: "custom.note", data: JSONObject([(key: "i", value: .number(JSONNumber(Int64($0))))])) },
            key: root)
        #expect(try store.initialize(ledger: "old", root: root) == .alreadyInitialized(head: 800))
        #expect(try store.schemaVersions() == [1, 2, 3, 4, 5])
        #expect(try db.superuserQuery("SELECT extversion FROM pg_extension WHERE extname = 'sealbook_ed25519'") == ["1.1"])
        #expect(try store.treeFold() == .extension)
        #expect(try db.superuserQuery("SELECT string_agg(idx::text, ',' ORDER BY idx) FROM sealbook.tree_nodes WHERE level = 8") == ["0,1,2"])
        _ = try store.appendBatch((0..<300).map { _ in LedgerStore.NewEvent(stream: "s", type: "custom.note", data: JSONObject()) }, key: root)
        let tree = MerkleTree(leafHashes: try store.eventHashes(1...1100).map(Merkle.leafHash))
        #expect(try store.treeRoot(size: 1100) == tree.root)
        #expect(try store.treeRoot(size: 800) == (try tree.root(size: 800)))
        #expect(try store.verify(options: VerifyOptions(trustRoot: root.privateKey.publicKey)).isValid)
        // A second init changes nothing.
        let functions = "SELECT string_agg(p.prosrc, ' ' ORDER BY p.proname) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'sealbook' AND p.proname LIKE 'merkle%'"
        let before = try db.superuserQuery(functions)
        _ = try store.initialize(ledger: "old", root: root)
        #expect(try db.superuserQuery(functions) == before)
    }
}
