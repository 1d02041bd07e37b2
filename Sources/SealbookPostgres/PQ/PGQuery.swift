/// The wire format of a result (`resultFormat` of libpq's `PQexecParams`).
package enum PGFormat: Sendable {
    /// PostgreSQL's textual output, e.g. `42`, `t`, `\x00ff`.
    case text
    /// Each type's binary send format, e.g. big-endian integers, raw `bytea` bytes.
    case binary
}

/// One bound parameter of a ``PGQuery``: its bytes, their format, and the type OID sent with
/// them (the `paramValues`, `paramLengths`, `paramFormats` and `paramTypes` of `PQexecParams`).
package struct PGBind: Sendable, Equatable {
    /// The value of a parameter.
    package enum Value: Sendable, Equatable {
        /// SQL `NULL`.
        case null
        /// Text format: the server parses it with the input function of the inferred type.
        case text(String)
        /// Binary format: raw bytes for the receive function of ``PGBind/typeOID``.
        case binary([UInt8])
    }

    /// The value.
    package var value: Value
    /// The parameter's type OID; `0` lets the server infer it from the SQL. Binary values must
    /// name their type (`17` for `bytea`, `1001` for `bytea[]`).
    package var typeOID: UInt32

    /// A parameter; prefer the ``PGBindable`` conformances over building one by hand.
    package init(_ value: Value, typeOID: UInt32 = 0) {
        self.value = value
        self.typeOID = typeOID
    }

    /// SQL `NULL`, type inferred by the server.
    package static let null = PGBind(.null)

    /// OID of `bytea`.
    package static let byteaOID: UInt32 = 17
    /// OID of `bytea[]`.
    package static let byteaArrayOID: UInt32 = 1001
}

/// A Swift value that can be a statement parameter.
///
/// Conforming: `String`, `Int`, `Int64`, `Int32`, `Bool`, `[UInt8]` (`bytea`), `[String]`
/// (`text[]`), `[[UInt8]]` (`bytea[]`), and `Optional` of any of them (`nil` is SQL `NULL`).
package protocol PGBindable {
    /// The parameter this value binds as.
    var pgBind: PGBind { get }
}

extension String: PGBindable {
    /// Text format, type inferred by the server (so it binds to `text`, `varchar`, `jsonb`, …).
    package var pgBind: PGBind { PGBind(.text(self)) }
}

extension Int: PGBindable {
    /// Decimal text, type inferred by the server.
    package var pgBind: PGBind { PGBind(.text(String(self))) }
}

extension Int64: PGBindable {
    /// Decimal text, type inferred by the server.
    package var pgBind: PGBind { PGBind(.text(String(self))) }
}

extension Int32: PGBindable {
    /// Decimal text, type inferred by the server.
    package var pgBind: PGBind { PGBind(.text(String(self))) }
}

extension Bool: PGBindable {
    /// `true` / `false` as text, type inferred by the server.
    package var pgBind: PGBind { PGBind(.text(self ? "true" : "false")) }
}

/// An element type of a bindable array: `[UInt8]` binds as `bytea`, `[String]` as `text[]`,
/// `[[UInt8]]` as `bytea[]`. (Swift allows one conditional conformance of `Array` to
/// ``PGBindable``, so the element type decides.)
package protocol PGArrayElement {
    /// The parameter an array of this element binds as.
    static func pgBind(array: [Self]) -> PGBind
}

extension Array: PGBindable where Element: PGArrayElement {
    /// See ``PGArrayElement``.
    package var pgBind: PGBind { Element.pgBind(array: self) }
}

extension UInt8: PGArrayElement {
    /// `[UInt8]` is `bytea` in binary format (OID 17): the bytes go over the wire as they are,
    /// no escaping.
    package static func pgBind(array: [UInt8]) -> PGBind {
        PGBind(.binary(array), typeOID: PGBind.byteaOID)
    }
}

extension String: PGArrayElement {
    /// `[String]` is a `text[]` literal in text format, type inferred by the server (write
    /// `\(tags)::text[]` where the context does not say). Every element is double-quoted with
    /// `\` and `"` backslash-escaped, so commas, braces, quotes, spaces and the word `NULL`
    /// stay data.
    package static func pgBind(array: [String]) -> PGBind {
        var literal = "{"
        for (index, element) in array.enumerated() {
            if index > 0 { literal += "," }
            literal += "\""
            for scalar in element.unicodeScalars {
                if scalar == "\\" || scalar == "\"" { literal += "\\" }
                literal.unicodeScalars.append(scalar)
            }
            literal += "\""
        }
        return PGBind(.text(literal + "}"))
    }
}

extension Array: PGArrayElement where Element == UInt8 {
    /// `[[UInt8]]` is `bytea[]` in PostgreSQL's binary array format (OID 1001, what
    /// `array_recv` reads): one dimension, lower bound 1, no NULLs, element type 17, each
    /// element a 4-byte big-endian length followed by its raw bytes. No hex, no escaping. The
    /// empty array is sent with zero dimensions.
    package static func pgBind(array: [[UInt8]]) -> PGBind {
        var out: [UInt8] = []
        func put(_ v: Int32) { Swift.withUnsafeBytes(of: v.bigEndian) { out.append(contentsOf: $0) } }
        put(array.isEmpty ? 0 : 1)  // ndim
        put(0)  // flags: no NULL elements
        put(Int32(bitPattern: PGBind.byteaOID))  // element type
        if !array.isEmpty {
            precondition(array.count <= Int32.max, "too many bytea[] elements for the wire format")
            put(Int32(array.count))  // dimension size
            put(1)  // lower bound
            for element in array {
                precondition(element.count <= Int32.max, "bytea element too large for the wire format")
                put(Int32(element.count))
                out.append(contentsOf: element)
            }
        }
        return PGBind(.binary(out), typeOID: PGBind.byteaArrayOID)
    }
}

extension Optional: PGBindable where Wrapped: PGBindable {
    /// `nil` is SQL `NULL` (type left to the server, or `bytea` for `[UInt8]?`).
    package var pgBind: PGBind {
        switch self {
        case .some(let value): value.pgBind
        case .none: PGBind(.null, typeOID: Wrapped.self == [UInt8].self ? PGBind.byteaOID : 0)
        }
    }
}

/// A SQL statement with its parameters, written by string interpolation.
///
/// Like postgres-nio's `PostgresQuery`, every interpolated value becomes a placeholder
/// (`$1`, `$2`, …) with a bound parameter, never SQL text:
///
/// ```swift
/// let q: PGQuery = "SELECT id FROM events WHERE stream = \(stream) AND seq > \(after)"
/// // q.sql == "SELECT id FROM events WHERE stream = $1 AND seq > $2"
/// ```
///
/// Identifiers (schema or table names) can be interpolated as `\(identifier: name)`, which
/// quotes them safely. Dynamically built SQL needs the visibly unsafe
/// ``init(unsafeSQL:binds:)``. Do not write `$n` placeholders in the literal parts of an
/// interpolated query: they would collide with the generated ones.
package struct PGQuery: ExpressibleByStringInterpolation, Sendable, Equatable, CustomStringConvertible {
    /// The SQL text, with `$n` placeholders.
    package var sql: String
    /// The parameters, `binds[0]` for `$1`.
    package var binds: [PGBind]

    /// SQL built by the caller, with explicit parameters for its `$n` placeholders. Nothing in
    /// `unsafeSQL` is escaped: never build it from untrusted text.
    package init(unsafeSQL: String, binds: [PGBind] = []) {
        self.sql = unsafeSQL
        self.binds = binds
    }

    /// A query without parameters.
    package init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    /// A query from an interpolated literal.
    package init(stringInterpolation: StringInterpolation) {
        self.init(unsafeSQL: stringInterpolation.sql, binds: stringInterpolation.binds)
    }

    /// The SQL text only, never the parameter values (safe to log).
    package var description: String { sql }

    /// Builds ``PGQuery/sql`` and ``PGQuery/binds`` from an interpolated literal.
    package struct StringInterpolation: StringInterpolationProtocol {
        package var sql = ""
        package var binds: [PGBind] = []

        package init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + 3 * interpolationCount)
            binds.reserveCapacity(interpolationCount)
        }

        package mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        /// A value: appended as the next `$n`, bound as a parameter.
        package mutating func appendInterpolation(_ value: some PGBindable) {
            binds.append(value.pgBind)
            sql += "$\(binds.count)"
        }

        /// An optional value: `nil` binds SQL `NULL`. (A separate overload, so that passing an
        /// optional is not flagged as an accidental interpolation of an optional.)
        package mutating func appendInterpolation<Value: PGBindable>(_ value: Value?) {
            binds.append(value.pgBind)
            sql += "$\(binds.count)"
        }

        /// An explicit parameter: appended as the next `$n`.
        package mutating func appendInterpolation(bind: PGBind) {
            binds.append(bind)
            sql += "$\(binds.count)"
        }

        /// An identifier (schema, table, column, channel name), double-quoted with `"` doubled,
        /// so it is always read as one identifier, case preserved.
        package mutating func appendInterpolation(identifier: String) {
            sql += PGQuery.quoteIdentifier(identifier)
        }

        /// SQL text pasted as is. Nothing is escaped: never pass untrusted text.
        package mutating func appendInterpolation(unsafeSQL: String) {
            sql += unsafeSQL
        }
    }

    /// `name` as a quoted SQL identifier: `"` + name with `"` doubled + `"`.
    package static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacing("\"", with: "\"\"") + "\""
    }
}
