internal import CLibPQ

/// The rows of one successful statement; owns its `PGresult*` and frees it with `PQclear` in
/// `deinit`.
///
/// Rows and columns are zero-based. An index out of range is a programmer error and traps.
/// The typed accessors return `nil` for SQL `NULL` and also when the value cannot be read as
/// the asked type (use ``isNull(_:_:)`` to tell the two apart).
package final class PGResult {
    /// The owned libpq result; never escapes this object.
    private let handle: OpaquePointer

    /// Takes ownership of `handle`, which must be a successful result.
    init(owning handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        PQclear(handle)
    }

    /// Number of rows (`PQntuples`).
    package var rowCount: Int { Int(PQntuples(handle)) }

    /// Number of columns (`PQnfields`).
    package var columnCount: Int { Int(PQnfields(handle)) }

    /// The command tag, e.g. `INSERT 0 1`, `SELECT 3`, `CREATE TABLE` (`PQcmdStatus`).
    package var commandTag: String { String(cString: PQcmdStatus(handle)) }

    /// Rows affected by `INSERT`, `UPDATE`, `DELETE`, `MERGE`, `SELECT`, `MOVE`, `FETCH` or
    /// `COPY`; `nil` for other commands (`PQcmdTuples`).
    package var affectedRowCount: Int? { Int(String(cString: PQcmdTuples(handle))) }

    /// The name of column `col` (`PQfname`).
    package func columnName(_ col: Int) -> String {
        checkColumn(col)
        return String(cString: PQfname(handle, Int32(col)))
    }

    /// The index of the column called `name`, or `nil` (`PQfnumber`). As in SQL, an unquoted
    /// name is matched case-insensitively; write `"\"MixedCase\""` for an exact match.
    package func columnIndex(_ name: String) -> Int? {
        let index = Int(PQfnumber(handle, name))
        return index >= 0 ? index : nil
    }

    /// The type OID of column `col` (`PQftype`), e.g. 17 for `bytea`.
    package func columnTypeOID(_ col: Int) -> UInt32 {
        checkColumn(col)
        return PQftype(handle, Int32(col))
    }

    /// The format column `col` came back in (`PQfformat`).
    package func columnFormat(_ col: Int) -> PGFormat {
        checkColumn(col)
        return PQfformat(handle, Int32(col)) == 1 ? .binary : .text
    }

    /// Whether the value is SQL `NULL` (`PQgetisnull`).
    package func isNull(_ row: Int, _ col: Int) -> Bool {
        checkCell(row, col)
        return PQgetisnull(handle, Int32(row), Int32(col)) == 1
    }

    /// A zero-copy view of the value as the server sent it (`PQgetvalue`, `PQgetlength`):
    /// raw bytes in binary format, the textual form in text format (for `bytea` that is the
    /// `\x…` hex text, not the bytes). `nil` for SQL `NULL`. The buffer is valid only inside
    /// `body`.
    package func withUnsafeBytes<R>(_ row: Int, _ col: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        guard !isNull(row, col) else { return nil }
        let length = Int(PQgetlength(handle, Int32(row), Int32(col)))
        guard let value = PQgetvalue(handle, Int32(row), Int32(col)) else { return nil }
        return try body(UnsafeRawBufferPointer(start: UnsafeRawPointer(value), count: length))
    }

    /// The value as a string (`PQgetvalue`). In either format a text-like column is its UTF-8
    /// bytes; in text format any column reads as its textual form. Invalid UTF-8 is repaired
    /// with U+FFFD.
    package func string(_ row: Int, _ col: Int) -> String? {
        withUnsafeBytes(row, col) { String(decoding: $0, as: UTF8.self) }
    }

    /// An `int2`, `int4` or `int8` (`PQgetvalue`): decimal text in text format, big-endian
    /// 2, 4 or 8 bytes in binary format (checked against `PQftype`). In text format any value
    /// that reads as a decimal `Int64` is accepted (e.g. a `numeric` `42`).
    package func int64(_ row: Int, _ col: Int) -> Int64? {
        if columnFormat(col) == .text {
            return string(row, col).flatMap { Int64($0) }
        }
        let oid = PQftype(handle, Int32(col))
        return withUnsafeBytes(row, col) { raw -> Int64? in
            switch (oid, raw.count) {
            case (21, 2): Int64(Int16(bigEndian: raw.loadUnaligned(as: Int16.self)))
            case (23, 4): Int64(Int32(bigEndian: raw.loadUnaligned(as: Int32.self)))
            case (20, 8): Int64(bigEndian: raw.loadUnaligned(as: Int64.self))
            default: nil
            }
        } ?? nil
    }

    /// A `boolean` (`PQgetvalue`): `t`/`f` in text format, one byte 1/0 in binary format.
    package func bool(_ row: Int, _ col: Int) -> Bool? {
        if columnFormat(col) == .text {
            switch string(row, col) {
            case "t": return true
            case "f": return false
            default: return nil
            }
        }
        guard PQftype(handle, Int32(col)) == 16 else { return nil }
        return withUnsafeBytes(row, col) { raw -> Bool? in
            raw.count == 1 ? raw[0] != 0 : nil
        } ?? nil
    }

    /// A `bytea` as bytes. Binary format: the raw bytes (of any column type). Text format: a
    /// `bytea` column's `\x…` hex (or legacy escape) form is decoded with `PQunescapeBytea`;
    /// any other column gives the bytes of its textual form.
    package func bytes(_ row: Int, _ col: Int) -> [UInt8]? {
        guard columnFormat(col) == .text, PQftype(handle, Int32(col)) == PGBind.byteaOID else {
            return withUnsafeBytes(row, col) { Array($0) }
        }
        guard !isNull(row, col), let text = PQgetvalue(handle, Int32(row), Int32(col)) else { return nil }
        var length = 0
        let decoded = text.withMemoryRebound(to: UInt8.self, capacity: 1) { PQunescapeBytea($0, &length) }
        guard let decoded else { return nil }
        defer { PQfreemem(decoded) }
        return Array(UnsafeBufferPointer(start: decoded, count: length))
    }

    private func checkColumn(_ col: Int) {
        precondition(col >= 0 && col < columnCount, "PGResult: column \(col) out of range 0..<\(columnCount)")
    }

    private func checkCell(_ row: Int, _ col: Int) {
        precondition(row >= 0 && row < rowCount, "PGResult: row \(row) out of range 0..<\(rowCount)")
        checkColumn(col)
    }
}

// Safe: libpq documents a PGresult as read-only once made, so it may be read from several
// threads at once; this class never mutates it, keeps no other state, and frees it exactly
// once, in deinit.
extension PGResult: @unchecked Sendable {}
