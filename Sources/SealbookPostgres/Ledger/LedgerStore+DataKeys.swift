public import SealbookCore

/// The data keys of sealed fields (schema version 5, docs/FORMAT.md §13): kept outside the
/// chain in `sealbook.data_keys`, added through `sealbook.add_data_key`, deleted only by the
/// append of the `data.erased` that names them.
extension LedgerStore {
    /// A data key as the table holds it.
    public struct StoredDataKey: Sendable {
        public let id: String
        public let stream: String
        /// When the row was written (RFC 3339 UTC, milliseconds).
        public let createdAt: String
        /// The key, or nil when the stored bytes are not what `id` commits to (the table's check
        /// makes that impossible unless it was disabled).
        public let key: DataKey?
    }

    /// Whether the schema has the data key table (version 5 on; an older ledger has no sealed
    /// values until `sealbook init` upgrades it).
    public func hasDataKeyTable() throws(StoreError) -> Bool {
        try run { c in try c.query("SELECT to_regclass('sealbook.data_keys') IS NOT NULL").bool(0, 0) ?? false }
    }

    /// The newest data key of `stream`, if any.
    public func dataKey(forStream stream: String) throws(StoreError) -> DataKey? {
        try run { c in
            let r = try c.query(
                "SELECT key_id, data_key FROM sealbook.data_keys WHERE stream = \(stream) ORDER BY created_at DESC, key_id LIMIT 1",
                resultFormat: .binary)
            guard r.rowCount == 1, let id = r.string(0, 0), let bytes = r.bytes(0, 1) else { return nil }
            guard let key = DataKey(id: id, bytes: bytes) else {
                throw StoreError.database("data key \(id) of stream \(stream) is not the key its id commits to")
            }
            return key
        }
    }

    /// Stores a new data key for `stream` (``DataKey/generate()``).
    public func addDataKey(_ key: DataKey, stream: String) throws(StoreError) {
        try run { c in
            _ = try c.query("SELECT sealbook.add_data_key(\(key.id), \(stream), \(key.bytes))")
        }
    }

    /// Every data key the table holds (all streams, or one), oldest first.
    public func dataKeys(stream: String? = nil) throws(StoreError) -> [StoredDataKey] {
        try run { c in
            let r = try c.query(
                """
                SELECT key_id, stream, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), data_key
                FROM sealbook.data_keys WHERE \(stream)::text IS NULL OR stream = \(stream)::text
                ORDER BY created_at, key_id
                """, resultFormat: .binary)
            return (0..<r.rowCount).map { i in
                let id = r.string(i, 0) ?? ""
                return StoredDataKey(
                    id: id, stream: r.string(i, 1) ?? "", createdAt: r.string(i, 2) ?? "",
                    key: r.bytes(i, 3).flatMap { DataKey(id: id, bytes: $0) })
            }
        }
    }

    /// The data keys the log's `data.erased` events name, with the `seq` of each erasure (the
    /// stored rows of stream `privacy`; a verified read checks them against their bodies).
    public func erasures() throws(StoreError) -> [String: Int64] {
        try run { c in
            let r = try c.query(
                """
                SELECT body_json->'data'->>'dataKey', seq FROM sealbook.events
                WHERE stream = 'privacy' AND type = 'data.erased' ORDER BY stream_seq
                """, resultFormat: .binary)
            var out: [String: Int64] = [:]
            for i in 0..<r.rowCount { if let k = r.string(i, 0), let s = r.int64(i, 1), out[k] == nil { out[k] = s } }
            return out
        }
    }

    /// Rewrites `sealbook.data_keys` (`VACUUM FULL`) so that the bytes of erased keys leave the
    /// table's files, not only its visible rows. Needs the table's owner (or a superuser);
    /// returns false, changing nothing, when this login may not.
    public func compactDataKeys() throws(StoreError) -> Bool {
        try run { c in
            let may = try c.query(
                "SELECT pg_has_role(current_user, 'sealbook_owner', 'USAGE') OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
            ).bool(0, 0) ?? false
            guard may else { return false }
            try c.execute("VACUUM (FULL) sealbook.data_keys")
            return true
        }
    }
}
