internal import SealbookCore

/// One schema migration file.
public struct SchemaMigration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String
    /// SHA-256 (hex) of the file's bytes, recorded in `sealbook.schema_version`.
    public var sha256: String { SHA256.hash(Array((sql + "\n").utf8)).hex }

    /// The migrations this binary carries (generated from `schemas/postgres/`).
    public static let all: [SchemaMigration] = embeddedPostgresMigrations.map {
        SchemaMigration(version: $0.version, name: $0.name, sql: $0.sql)
    }
}

extension LedgerStore {
    /// Applies the schema files that are not yet recorded, in order, each in its own
    /// transaction under an advisory lock; checks that recorded ones are unchanged.
    /// Returns the versions applied (empty when the schema was already current).
    @discardableResult
    public func migrate() throws(StoreError) -> [Int] {
        do {
            return try connection.transaction { c in
                _ = try c.query("SELECT pg_advisory_xact_lock(\(Int64(0x5EA1B00C)))")
                let exists = try c.query("SELECT to_regclass('sealbook.schema_version') IS NOT NULL").bool(0, 0) ?? false
                var recorded: [Int: String] = [:]
                if exists {
                    let r = try c.query("SELECT version, sha256 FROM sealbook.schema_version")
                    for i in 0..<r.rowCount { recorded[Int(r.int64(i, 0)!)] = r.string(i, 1)! }
                }
                let known = Set(SchemaMigration.all.map(\.version))
                if let newer = recorded.keys.filter({ !known.contains($0) }).max() {
                    throw StoreError.schemaMismatch(
                        "the database has ledger schema version \(newer), newer than this sealbook knows; upgrade sealbook")
                }
                var applied: [Int] = []
                for m in SchemaMigration.all {
                    if let sha = recorded[m.version] {
                        guard sha == m.sha256 else {
                            throw StoreError.schemaMismatch(
                                "schema migration \(m.name) was applied with SHA-256 \(sha) but this sealbook carries \(m.sha256)")
                        }
                        continue
                    }
                    try c.executeScript(unsafeSQL: m.sql)
                    try c.execute(
                        "INSERT INTO sealbook.schema_version (version, name, sha256) VALUES (\(m.version), \(m.name), \(m.sha256))")
                    applied.append(m.version)
                }
                return applied
            }
        } catch let e as StoreError {
            throw e
        } catch let e as PGError {
            throw StoreError(e)
        } catch {
            throw .database("\(error)")
        }
    }

    /// The schema versions recorded in the database (empty when there is no schema).
    public func schemaVersions() throws(StoreError) -> [Int] {
        try run { c in
            guard try c.query("SELECT to_regclass('sealbook.schema_version') IS NOT NULL").bool(0, 0) == true else { return [] }
            let r = try c.query("SELECT version FROM sealbook.schema_version ORDER BY version")
            return (0..<r.rowCount).map { Int(r.int64($0, 0)!) }
        }
    }
}
