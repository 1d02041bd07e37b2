internal import CSodium
internal import Foundation
internal import SealbookCore
internal import SealbookPostgres

/// Scenario 22: building the RFC 6962 tree of an existing ledger, as the migration to schema
/// version 4 does (`sealbook init` runs `SELECT sealbook.extend_tree(0, <head>)` right after
/// applying the file, with the folds it has just configured), against libsodium computing the
/// same tree in memory from the same event hashes.
///
/// The ledger is the big log of scenarios 1-3, 7 and 8 (its database is still there when this
/// runs): in a transaction that is rolled back, a superuser empties `sealbook.tree_nodes`
/// (TRUNCATE, the table's guard switched off for that transaction only) and runs the migration's
/// statement; the nodes it stores must be the ones the appends stored, byte for byte. The same is
/// done with the folds pointed at plpgsql (the fallback of `--no-signature-extension`, and the
/// only implementation before sealbook_ed25519 1.1) over a prefix of the log, for the per-leaf
/// cost of the old path. Rounds alternate raw, C and plpgsql, so all three see the same load.
enum TreeBuildBench {
    struct Result: Sendable {
        let entries: Int64
        /// Leaves the build folds: the entries of complete level-8 nodes ((entries >> 8) << 8).
        let builtLeaves: Int64
        let nodes: Int64
        let plpgsqlLeaves: Int64
        var raw: [Double] = []
        var build: [Double] = []
        var plpgsql: [Double] = []
        let fold: TreeFold?
    }

    /// A digest of the stored nodes of levels 8, 16, … that cover only leaves below `leaves`.
    static func digest(_ c: PGConnection, upTo leaves: Int64) throws -> (count: Int64, digest: [UInt8]) {
        let r = try c.query(
            """
            SELECT count(*), sha256(coalesce(string_agg(int2send(level) || int8send(idx) || hash, ''::bytea ORDER BY level, idx), ''::bytea))
            FROM sealbook.tree_nodes WHERE (idx + 1) << level <= \(leaves)
            """, resultFormat: .binary)
        return (r.int64(0, 0) ?? -1, r.bytes(0, 1) ?? [])
    }

    /// In a transaction that is rolled back: the tree emptied, then `extend_tree(0, leaves)` timed
    /// (the migration's statement), its nodes compared with the stored ones; with `plpgsql`, the
    /// four folds pointed at the plpgsql functions first (in the same transaction).
    static func rebuild(_ c: PGConnection, leaves: Int64, plpgsql: Bool, expect: (count: Int64, digest: [UInt8])) throws -> Double {
        try c.execute("BEGIN")
        defer { _ = try? c.execute("ROLLBACK") }
        if plpgsql {
            for f in LedgerStore.treeFolds {
                try c.executeScript(
                    unsafeSQL: """
                        CREATE OR REPLACE FUNCTION sealbook.\(f.name)(\(f.parameters)) RETURNS \(f.returns)
                        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
                        AS $fn$SELECT sealbook.\(f.name)_sql(\(f.arguments))$fn$
                        """)
            }
        }
        try c.executeScript(
            unsafeSQL: """
                ALTER TABLE sealbook.tree_nodes DISABLE TRIGGER tree_nodes_no_truncate;
                TRUNCATE sealbook.tree_nodes;
                ALTER TABLE sealbook.tree_nodes ENABLE ALWAYS TRIGGER tree_nodes_no_truncate;
                """)
        let (_, seconds) = try timed { try c.execute("SELECT sealbook.extend_tree(0, \(leaves))") }
        let got = try digest(c, upTo: leaves)
        guard got.count == expect.count, got.digest == expect.digest else {
            throw BenchError(
                "the tree built by extend_tree(0, \(leaves))\(plpgsql ? " in plpgsql" : "") differs from the stored one (\(got.count) nodes, \(expect.count) stored)"
            )
        }
        return seconds
    }

    /// The RFC 6962 root of `count` leaves whose data (32 bytes each) is `data`, in memory with
    /// libsodium's crypto_hash_sha256 and nothing else: `count` leaf hashes, then each level's
    /// pairs (an odd last node goes up as it is), `count − 1` node hashes; 2N − 1 calls in all.
    static func rawRoot(_ data: [UInt8], count: Int) -> (root: [UInt8], seconds: Double) {
        var level = [UInt8](repeating: 0, count: count * 32)
        var buffer = [UInt8](repeating: 0, count: 65)
        let start = monotonicSeconds()
        data.withUnsafeBufferPointer { d in
            level.withUnsafeMutableBufferPointer { h in
                buffer.withUnsafeMutableBufferPointer { b in
                    let hp = h.baseAddress!, bp = b.baseAddress!, dp = d.baseAddress!
                    bp[0] = 0x00
                    for i in 0..<count {
                        (bp + 1).update(from: dp + i * 32, count: 32)
                        crypto_hash_sha256(hp + i * 32, bp, 33)
                    }
                    var n = count
                    bp[0] = 0x01
                    while n > 1 {
                        var k = 0
                        var i = 0
                        while i + 1 < n {
                            (bp + 1).update(from: hp + i * 32, count: 64)
                            crypto_hash_sha256(hp + k * 32, bp, 65)
                            k += 1
                            i += 2
                        }
                        if n & 1 == 1 {
                            (hp + k * 32).update(from: hp + (n - 1) * 32, count: 32)
                            k += 1
                        }
                        n = k
                    }
                }
            }
        }
        let seconds = monotonicSeconds() - start
        return (Array(level.prefix(32)), seconds)
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// `rounds` alternating rounds on the ledger at `url` (a superuser URL).
    static func measure(url: String, rounds: Int, plpgsqlLeaves: Int64, log: (String) -> Void) throws -> Result {
        let c = try PGConnection(conninfo: url)
        guard let entries = try c.query("SELECT seq FROM sealbook.head WHERE id").int64(0, 0), entries >= 256 else {
            throw BenchError("the ledger has fewer than 256 entries: no stored node to build")
        }
        let built = (entries >> 8) << 8
        let prefix = min(built, max(256, (plpgsqlLeaves >> 8) << 8))
        let fold = try LedgerStore(conninfo: url).treeFold()
        let whole = try digest(c, upTo: built)
        let part = try digest(c, upTo: prefix)
        let r = try c.query("SELECT event_hash FROM sealbook.events WHERE seq <= \(entries) ORDER BY seq", resultFormat: .binary)
        guard Int64(r.rowCount) == entries else { throw BenchError("read \(r.rowCount) event hashes for \(entries) entries") }
        var data = [UInt8]()
        data.reserveCapacity(Int(entries) * 32)
        for i in 0..<r.rowCount {
            guard let h = r.bytes(i, 0), h.count == 32 else { throw BenchError("the event hash of seq \(i + 1) is not 32 bytes") }
            data += h
        }
        guard let root = try c.query("SELECT sealbook.tree_root(\(entries))", resultFormat: .binary).bytes(0, 0) else {
            throw BenchError("sealbook.tree_root gave nothing")
        }
        var result = Result(entries: entries, builtLeaves: built, nodes: whole.count, plpgsqlLeaves: prefix, fold: fold)
        for round in 1...rounds {
            let raw = rawRoot(data, count: Int(entries))
            guard raw.root == root else { throw BenchError("the in-memory root differs from sealbook.tree_root(\(entries))") }
            result.raw.append(raw.seconds)
            result.build.append(try rebuild(c, leaves: built, plpgsql: false, expect: whole))
            result.plpgsql.append(try rebuild(c, leaves: prefix, plpgsql: true, expect: part))
            log(
                String(
                    format: "scenario 22 (round %d/%d): raw %.3f µs/leaf, extend_tree %.3f µs/leaf, plpgsql %.3f µs/leaf", round, rounds,
                    result.raw.last! / Double(entries) * 1e6, result.build.last! / Double(built) * 1e6,
                    result.plpgsql.last! / Double(prefix) * 1e6))
        }
        return result
    }
}

extension Runner {
    /// Scenario 22: the migration's build of the tree against raw libsodium SHA-256.
    func treeBuildScenario(keys: Workload.Keys) -> ScenarioResult {
        var s = ScenarioResult(
            id: 22, key: "tree-build-migration",
            title: "Build the tree of an existing \(grouped(Int64(sizes.events)))-event ledger, as the migration to schema 4 does",
            unit: "leaves/s", baselineLabel: "libsodium computing the same tree in memory (2N − 1 SHA-256), alternating rounds",
            target: Target(op: .atLeast, value: 0.5, text: "≥ 0.50 × raw libsodium SHA-256 speed"))
        do {
            let url = BenchServer.url(server.adminURL, database: server.prefix + "_log")
            // Three rounds once the log is big enough to measure (also with --quick --events N).
            let rounds = sizes.events >= 50_000 ? 3 : 1
            log("scenario 22: the tree of the big log rebuilt as the migration builds it, against libsodium in memory, \(rounds) rounds")
            let t = try TreeBuildBench.measure(url: url, rounds: rounds, plpgsqlLeaves: 131_072, log: log)
            let raw = TreeBuildBench.median(t.raw), build = TreeBuildBench.median(t.build), old = TreeBuildBench.median(t.plpgsql)
            let rawRate = Double(t.entries) / raw, buildRate = Double(t.builtLeaves) / build, oldRate = Double(t.plpgsqlLeaves) / old
            s.details = [
                ("entries", .int(t.entries)), ("builtLeaves", .int(t.builtLeaves)), ("storedNodes", .int(t.nodes)),
                ("treeFold", .str(t.fold?.rawValue)), ("rounds", .int(Int64(rounds))),
                ("rawSeconds", .num(raw, 4)), ("buildSeconds", .num(build, 4)),
                ("rawMicrosecondsPerLeaf", .num(raw / Double(t.entries) * 1e6, 3)),
                ("buildMicrosecondsPerLeaf", .num(build / Double(t.builtLeaves) * 1e6, 3)),
                ("plpgsqlLeaves", .int(t.plpgsqlLeaves)), ("plpgsqlSeconds", .num(old, 4)),
                ("plpgsqlMicrosecondsPerLeaf", .num(old / Double(t.plpgsqlLeaves) * 1e6, 3)),
                ("plpgsqlRatioToRaw", .num(oldRate / rawRate, 4)), ("speedUpOverPlpgsql", .num(buildRate / oldRate, 2)),
                ("rawRunsSeconds", .array(t.raw.map { .num($0, 4) })), ("buildRunsSeconds", .array(t.build.map { .num($0, 4) })),
                ("plpgsqlRunsSeconds", .array(t.plpgsql.map { .num($0, 4) })),
                (
                    "how",
                    .string(
                        "on the big log (scenarios 1-3): in a transaction rolled back afterwards, a superuser TRUNCATEs sealbook.tree_nodes and times SELECT sealbook.extend_tree(0, <entries>), the statement sealbook init runs after applying schema 4, with the folds init configured (treeFold: the sealbook_ed25519 C functions, libsodium crypto_hash_sha256); the nodes built must equal the stored ones byte for byte. Baseline: the same event hashes, read once into memory, folded into the RFC 6962 root by crypto_hash_sha256 calls alone (N leaf hashes, N − 1 node hashes; its root must equal sealbook.tree_root). plpgsql: the same rebuild over the first plpgsqlLeaves leaves with the folds pointed at schema 4's plpgsql functions (the fallback, and the only path before sealbook_ed25519 1.1). Rates per leaf; medians of alternating rounds"
                    )
                ),
            ]
            s.settle(figure: buildRate, baseline: rawRate, conditions: [("foldsInC", t.fold == .extension)])
            log(
                String(
                    format: "scenario 22: extend_tree %.3f µs/leaf, raw libsodium %.3f µs/leaf (ratio %.3f), plpgsql %.3f µs/leaf",
                    build / Double(t.builtLeaves) * 1e6, raw / Double(t.entries) * 1e6, buildRate / rawRate,
                    old / Double(t.plpgsqlLeaves) * 1e6))
        } catch {
            s.fail(error)
            log("scenario 22: \(error)")
        }
        return s
    }
}
