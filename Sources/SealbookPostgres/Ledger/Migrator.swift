internal import SealbookCore
internal import SealbookEmbedded

/// One schema migration file.
public struct SchemaMigration: Sendable {
    public let version: Int
    public let name: String
    /// The file's text without its final newline.
    public let sql: String
    /// SHA-256 (hex) of the file's bytes, recorded in `sealbook.schema_version`.
    public let sha256: String

    /// The migrations this binary carries: every `schemas/postgres/NNNN_name.sql`, built in at
    /// build time, in file name order; version NNNN.
    public static let all: [SchemaMigration] = EmbeddedFiles.files(in: "schemas/postgres").map { file in
        guard let version = version(ofFile: file.name) else {
            // The test suite loads every file; reaching this is a build defect.
            preconditionFailure("schemas/postgres/\(file.name) is not named NNNN_name.sql")
        }
        return SchemaMigration(
            version: version, name: file.name, sql: file.textWithoutFinalNewline, sha256: SHA256.hash(file.bytes).hex)
    }

    /// NNNN of a file named `NNNN_name.sql` (four digits, then `_`), or `nil`.
    static func version(ofFile name: String) -> Int? {
        let digits = name.prefix(4)
        guard digits.count == 4, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            name.dropFirst(4).hasPrefix("_"), name.hasSuffix(".sql"), name.count > "0000_.sql".count
        else { return nil }
        return Int(digits)
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
