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

/// How the append path checks each new event's Ed25519 signature (schema version 3; docs/FORMAT.md
/// section 9.4 step 7b). `sealbook init` sets it, in the transaction that applies the schema, by
/// pointing `sealbook.verify_signature` at one of these, and records it in `sealbook.settings`.
public enum SignatureCheck: String, Sendable, Equatable {
    /// The `sealbook_ed25519` extension (`extension/sealbook_ed25519`, libsodium's
    /// `crypto_sign_verify_detached`): the database refuses an event whose signature does not
    /// verify (SB033). The default; init fails when the server does not have it.
    case `extension`
    /// The explicit fallback for servers that cannot load C extensions
    /// (`sealbook init --no-signature-extension`): the database checks only the lengths of the
    /// key and the signature, so no person may hold `sealbook_writer` and every write must come
    /// from a process that verifies first (README.md, "How the log stays append-only").
    case none

    /// The PostgreSQL extension that `.extension` loads.
    public static let extensionName = "sealbook_ed25519"
}

/// Where the folds of the tree (schema version 4, docs/FORMAT.md §12.1) run: `sealbook init`
/// points them at the `sealbook_ed25519` extension's C functions (libsodium) when the ledger checks
/// signatures with that extension and it has them (version 1.1 on), else at plpgsql. The stored
/// tree is byte for byte the same either way.
public enum TreeFold: String, Sendable, Equatable {
    /// `rfc6962_fold`, `rfc6962_leaf_fold`, `rfc6962_folds`, `rfc6962_leaf_folds` of the extension.
    case `extension`
    /// `sealbook.merkle_fold_sql` and friends (schema version 4).
    case plpgsql
}

/// The setting as `sealbook.settings` records it: the last value init wrote, and when.
public struct SignatureCheckSetting: Sendable, Equatable {
    /// `extension` or `none` (``SignatureCheck``).
    public let mode: SignatureCheck
    /// When init set it (RFC 3339, UTC).
    public let setAt: String
}

extension LedgerStore {
    /// Applies the schema files that are not yet recorded, in order, in one transaction under an
    /// advisory lock; checks that recorded ones are unchanged; then, in the same transaction,
    /// makes the append path check signatures as `signatureCheck` says (see ``SignatureCheck``).
    /// Returns the versions applied (empty when the schema was already current).
    ///
    /// With ``SignatureCheck/extension`` it loads the `sealbook_ed25519` extension
    /// (`CREATE EXTENSION IF NOT EXISTS … WITH SCHEMA sealbook`) and throws
    /// ``StoreError/signatureCheckUnavailable(_:)``, changing nothing, when the server does not
    /// have it or cannot load it.
    @discardableResult
    public func migrate(signatureCheck: SignatureCheck = .extension) throws(StoreError) -> [Int] {
        try migrate(signatureCheck: signatureCheck, extensionName: SignatureCheck.extensionName)
    }

    /// ``migrate(signatureCheck:)`` with another extension name (tests: one the server lacks),
    /// applying the versions up to `upTo` only (tests: a ledger as an older sealbook left it).
    @discardableResult
    package func migrate(signatureCheck: SignatureCheck, extensionName: String, upTo: Int = .max) throws(StoreError) -> [Int] {
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
                for m in SchemaMigration.all where m.version <= upTo {
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
                let extensionSchema = try Self.configureSignatureCheck(c, signatureCheck, extensionName: extensionName)
                try Self.configureTreeFold(c, extensionSchema: extensionSchema, extensionName: extensionName)
                if applied.contains(4) {
                    // Schema 4's tree over the entries the ledger already holds, built here rather
                    // than in the file so that it runs with the folds just configured (in C when
                    // the extension has them): docs/FORMAT.md §12.1.
                    try c.execute("SELECT sealbook.extend_tree(0, (SELECT seq FROM sealbook.head WHERE id))")
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

    /// Points `sealbook.verify_signature` at the extension's `ed25519_verify` or at the fallback,
    /// and records the mode in `sealbook.settings` when it changes. Inside ``migrate()``'s
    /// transaction: a failure leaves nothing behind. With the extension, creates it (its default
    /// version) or updates it to its default version when the server has an update path (a ledger
    /// made with 1.0 gets 1.1's tree folds); returns the schema it lives in (nil for the fallback).
    @discardableResult
    static func configureSignatureCheck(_ c: PGConnection, _ mode: SignatureCheck, extensionName: String) throws -> String? {
        // The wrapper's body, and whether it is STRICT. Either way PostgreSQL inlines it where
        // the append path calls it (a plain SQL expression), so the call itself costs nothing:
        // the extension's wrapper is strict like ed25519_verify; the fallback's is not, as a
        // strict SQL function that ignores an argument (msg) would not be inlined.
        let body: String
        let strict: Bool
        var extensionSchema: String? = nil
        switch mode {
        case .extension:
            let available =
                try c.query("SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = \(extensionName))").bool(0, 0)
                ?? false
            guard available else { throw StoreError.signatureCheckUnavailable(extensionMissing(extensionName, reason: nil)) }
            do {
                try c.execute("CREATE EXTENSION IF NOT EXISTS \(identifier: extensionName) WITH SCHEMA sealbook")
            } catch {
                throw StoreError.signatureCheckUnavailable(extensionMissing(extensionName, reason: error.message))
            }
            // Where it lives: sealbook, or wherever someone created it before.
            let found = try c.query(
                """
                SELECT n.nspname FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace
                WHERE x.extname = \(extensionName)
                """)
            guard found.rowCount == 1, let schema = found.string(0, 0) else {
                throw StoreError.signatureCheckUnavailable(extensionMissing(extensionName, reason: "not found in pg_extension"))
            }
            try updateExtension(c, extensionName)
            extensionSchema = schema
            body = "SELECT \(PGQuery.quoteIdentifier(schema)).ed25519_verify(pk, msg, sig)"
            strict = true
        case .none:
            body = "SELECT octet_length(pk) = 32 AND octet_length(sig) = 64"
            strict = false
        }
        let current = try c.query(
            """
            SELECT p.prosrc, l.lanname, p.proisstrict FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
            WHERE p.oid = 'sealbook.verify_signature(bytea, bytea, bytea)'::regprocedure
            """)
        if current.string(0, 0) != body || current.string(0, 1) != "sql" || current.bool(0, 2) != strict {
            // CREATE OR REPLACE keeps the owner (sealbook_owner) and the privileges (none for PUBLIC).
            try c.executeScript(
                unsafeSQL: """
                    CREATE OR REPLACE FUNCTION sealbook.verify_signature(pk bytea, msg bytea, sig bytea) RETURNS boolean
                    LANGUAGE sql IMMUTABLE \(strict ? "STRICT" : "CALLED ON NULL INPUT") PARALLEL SAFE
                    AS $fn$\(body)$fn$
                    """)
        }
        if mode == .extension {
            // A good signature passes and a bad one fails (RFC 8032 section 7.1, TEST 2), through
            // the function the append path calls: an extension that answers otherwise is unusable.
            let r = try c.query(
                """
                SELECT sealbook.verify_signature(k, m, s), sealbook.verify_signature(k, m || '\\x00'::bytea, s)
                FROM (SELECT decode('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', 'hex') AS k,
                             decode('72', 'hex') AS m,
                             decode('92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00', 'hex') AS s) AS t
                """)
            guard r.bool(0, 0) == true, r.bool(0, 1) == false else {
                throw StoreError.signatureCheckUnavailable(
                    extensionMissing(extensionName, reason: "its ed25519_verify does not give the RFC 8032 results"))
            }
        }
        let recorded = try c.query(
            "SELECT value FROM sealbook.settings WHERE name = 'signature_check' ORDER BY id DESC LIMIT 1")
        if recorded.rowCount == 0 || recorded.string(0, 0) != mode.rawValue {
            try c.execute("INSERT INTO sealbook.settings (name, value) VALUES ('signature_check', \(mode.rawValue))")
        }
        return extensionSchema
    }

    /// `ALTER EXTENSION … UPDATE` to the server's default version when the loaded one is older and
    /// the server has an update path (sealbook_ed25519 1.0 to 1.1 adds the tree folds and keeps
    /// `ed25519_verify`). Without a path (a server that only has 1.0) the extension stays as it is
    /// and the tree folds stay in plpgsql (``configureTreeFold(_:extensionSchema:extensionName:)``).
    static func updateExtension(_ c: PGConnection, _ name: String) throws {
        let r = try c.query(
            """
            SELECT x.extversion, a.default_version,
                   EXISTS (SELECT 1 FROM pg_extension_update_paths(x.extname) p
                           WHERE p.source = x.extversion AND p.target = a.default_version AND p.path IS NOT NULL)
            FROM pg_extension x JOIN pg_available_extensions a ON a.name = x.extname WHERE x.extname = \(name)
            """)
        guard r.rowCount == 1, r.string(0, 0) != r.string(0, 1), r.bool(0, 2) == true else { return }
        do {
            try c.execute("ALTER EXTENSION \(identifier: name) UPDATE")
        } catch {
            throw StoreError.signatureCheckUnavailable(extensionMissing(name, reason: "ALTER EXTENSION UPDATE: \(error.message)"))
        }
    }

    /// The folds of schema version 4's tree (docs/FORMAT.md §12.1): each of `sealbook.merkle_fold`,
    /// `merkle_leaf_fold`, `merkle_folds` and `merkle_leaf_folds`, and the C function of the
    /// extension it calls when the ledger checks signatures with the extension and the extension has
    /// it (sealbook_ed25519 1.1 on), else the plpgsql function of schema 4 (same name, `_sql`).
    package static let treeFolds: [(name: String, parameters: String, arguments: String, returns: String, cFunction: String)] = [
        ("merkle_fold", "p_hashes bytea[]", "p_hashes", "bytea", "rfc6962_fold"),
        ("merkle_leaf_fold", "p_leaves bytea[]", "p_leaves", "bytea", "rfc6962_leaf_fold"),
        ("merkle_folds", "p_hashes bytea[], p_width integer", "p_hashes, p_width", "bytea[]", "rfc6962_folds"),
        ("merkle_leaf_folds", "p_leaves bytea[], p_width integer", "p_leaves, p_width", "bytea[]", "rfc6962_leaf_folds"),
    ]

    /// `bytea[], integer` from `p_hashes bytea[], p_width integer` (what `to_regprocedure` takes).
    static func argumentTypes(_ parameters: String) -> String {
        parameters.components(separatedBy: ", ").map { p in p.firstIndex(of: " ").map { String(p[p.index(after: $0)...]) } ?? p }
            .joined(separator: ", ")
    }

    /// Points the tree's folds at the extension's C functions (`extensionSchema`, when they are
    /// there) or at the plpgsql ones; with C, checks that both give the same bytes. Nothing to do
    /// before schema version 4. Inside ``migrate()``'s transaction, after the signature check.
    static func configureTreeFold(_ c: PGConnection, extensionSchema: String?, extensionName: String) throws {
        guard try c.query("SELECT to_regprocedure('sealbook.merkle_fold_sql(bytea[])') IS NOT NULL").bool(0, 0) == true else {
            return
        }
        var useC = false
        if let schema = extensionSchema {
            let signatures = treeFolds.map { "\(PGQuery.quoteIdentifier(schema)).\($0.cFunction)(\(argumentTypes($0.parameters)))" }
            useC = try c.query("SELECT bool_and(to_regprocedure(s) IS NOT NULL) FROM unnest(\(signatures)::text[]) AS s").bool(0, 0) == true
        }
        for f in treeFolds {
            let target = useC ? "\(PGQuery.quoteIdentifier(extensionSchema!)).\(f.cFunction)" : "sealbook.\(f.name)_sql"
            let body = "SELECT \(target)(\(f.arguments))"
            let signature = "sealbook.\(f.name)(\(f.parameters))"
            let current = try c.query(
                "SELECT p.prosrc FROM pg_proc p WHERE p.oid = to_regprocedure(\("sealbook.\(f.name)(\(argumentTypes(f.parameters)))"))")
            guard current.rowCount == 1 else { throw StoreError.schemaMismatch("\(signature) is missing from schema version 4") }
            if current.string(0, 0) != body {
                // CREATE OR REPLACE keeps the owner (sealbook_owner) and the privileges.
                try c.executeScript(
                    unsafeSQL: """
                        CREATE OR REPLACE FUNCTION \(signature) RETURNS \(f.returns)
                        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
                        AS $fn$\(body)$fn$
                        """)
            }
        }
        if useC {
            // The C folds give the plpgsql ones' bytes, through the functions the tree calls.
            let r = try c.query(
                """
                SELECT sealbook.merkle_fold(a) = sealbook.merkle_fold_sql(a)
                       AND sealbook.merkle_leaf_fold(a) = sealbook.merkle_leaf_fold_sql(a)
                       AND sealbook.merkle_folds(a, 4) = sealbook.merkle_folds_sql(a, 4)
                       AND sealbook.merkle_leaf_folds(a, 2) = sealbook.merkle_leaf_folds_sql(a, 2)
                       AND sealbook.merkle_fold(a[1:1]) = a[1]
                FROM (SELECT ARRAY(SELECT sha256(int4send(g)) FROM generate_series(1, 16) AS g ORDER BY g) AS a) AS t
                """)
            guard r.bool(0, 0) == true else {
                throw StoreError.signatureCheckUnavailable(
                    extensionMissing(extensionName, reason: "its RFC 6962 folds do not give the results of schema 4's plpgsql folds"))
            }
        }
    }

    /// What to do when the extension is missing or cannot be loaded.
    static func extensionMissing(_ name: String, reason: String?) -> String {
        let why = reason.map { "cannot load the \(name) extension (\($0))" } ?? "does not have the \(name) extension"
        return """
            the PostgreSQL server \(why), with which the database itself refuses events whose signature does \
            not verify; nothing was changed. Install it on the database server as root: apt-get install \
            postgresql-server-dev-15 libsodium-dev gcc make, then make -C extension/sealbook_ed25519 \
            PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config install (scripts/setup.sh does both), and run sealbook \
            init again. Only on a server that cannot load C extensions (a managed service), run sealbook init \
            --no-signature-extension instead, after reading README.md ("How the log stays append-only"): then no \
            person may hold sealbook_writer, and every write must come from a process that verifies first
            """
    }

    /// How the append path checks signatures, as `sealbook init` last set it; nil for a schema
    /// older than version 3 (no check in the database) or before init.
    public func signatureCheck() throws(StoreError) -> SignatureCheckSetting? {
        try run { c in
            guard try c.query("SELECT to_regclass('sealbook.settings') IS NOT NULL").bool(0, 0) == true else { return nil }
            let r = try c.query(
                """
                SELECT value, to_char(set_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
                FROM sealbook.settings WHERE name = 'signature_check' ORDER BY id DESC LIMIT 1
                """)
            guard r.rowCount == 1, let mode = r.string(0, 0).flatMap(SignatureCheck.init(rawValue:)) else { return nil }
            return SignatureCheckSetting(mode: mode, setAt: r.string(0, 1) ?? "")
        }
    }

    /// Where the tree's folds run, as `sealbook init` last set them; nil before schema version 4.
    public func treeFold() throws(StoreError) -> TreeFold? {
        try run { c in
            let r = try c.query(
                "SELECT p.prosrc FROM pg_proc p WHERE p.oid = to_regprocedure('sealbook.merkle_leaf_folds(bytea[], integer)')")
            guard r.rowCount == 1, let body = r.string(0, 0) else { return nil }
            return body.contains(".rfc6962_") ? .extension : .plpgsql
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
