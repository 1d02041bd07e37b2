/// Every failure of the libpq layer, as one Swift error.
///
/// Modelled on postgres-nio's `PSQLError`: the server's diagnostic fields are kept separately
/// (libpq's `PQresultErrorField` with `PG_DIAG_SQLSTATE`, `PG_DIAG_MESSAGE_PRIMARY`,
/// `PG_DIAG_MESSAGE_DETAIL`, `PG_DIAG_MESSAGE_HINT` and `PG_DIAG_CONSTRAINT_NAME`), and the two
/// textual forms differ on purpose:
///
/// - ``description`` is short and meant for logs: the kind, the SQLSTATE and the primary
///   message. It never contains the SQL parameters (where the server quotes a bound text value
///   back in its primary message, as in `invalid input syntax for type integer: "…"`, the value
///   is replaced by `$n`), nor the detail, which often quotes row data.
/// - ``debugDescription`` adds the detail and the hint.
///
/// No field ever holds a password from the connection string: connection errors are scrubbed
/// of the password before the error is made (see ``PGConnection/init(conninfo:)``).
package struct PGError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong, broadly; match on it in a `catch`.
    package enum Kind: Sendable, Equatable {
        /// `PQconnectdbParams` did not give a usable connection (bad host, port, credentials,
        /// malformed connection string, …).
        case connectionFailed
        /// The server refused or failed a statement; ``PGError/sqlState`` says why.
        case queryFailed
        /// The connection broke (`PQstatus` is `CONNECTION_BAD` after a statement). The
        /// ``PGConnection`` is unusable from then on; open a new one.
        case connectionLost
        /// The server answered something this wrapper cannot handle (`PGRES_BAD_RESPONSE`, or
        /// a `COPY` result: the COPY is aborted and the connection stays usable).
        case protocolError
    }

    /// What went wrong, broadly.
    package let kind: Kind
    /// The five-character SQLSTATE (`PG_DIAG_SQLSTATE`), when the server sent one, e.g. `23505`.
    package let sqlState: String?
    /// The primary, human-readable message (`PG_DIAG_MESSAGE_PRIMARY`, or libpq's own message).
    package let message: String
    /// The optional detail (`PG_DIAG_MESSAGE_DETAIL`); may quote row data, so it is left out of
    /// ``description``.
    package let detail: String?
    /// The optional hint (`PG_DIAG_MESSAGE_HINT`): what to do about it.
    package let hint: String?
    /// The name of the violated constraint (`PG_DIAG_CONSTRAINT_NAME`), if any.
    package let constraint: String?

    /// ``message`` with bound text parameters removed: what ``description`` prints.
    private let logSafeMessage: String

    /// Makes an error from its parts. `boundTexts` are the text parameters of the failed
    /// statement: where the primary message quotes one of them (`"value"`), ``description``
    /// shows `"$n"` instead. They are not stored.
    package init(
        kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil,
        hint: String? = nil, constraint: String? = nil, boundTexts: [String?] = []
    ) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
        var safe = message
        for (index, value) in boundTexts.enumerated() {
            guard let value, !value.isEmpty else { continue }
            safe = Redaction.replacingAll(in: safe, "\"" + value + "\"", with: "\"$\(index + 1)\"")
        }
        self.logSafeMessage = safe
    }

    /// `PGError.queryFailed [23505]: duplicate key value violates unique constraint "t_pkey"`
    package var description: String {
        var text = "PGError.\(kind)"
        if let sqlState { text += " [\(sqlState)]" }
        return text + ": " + logSafeMessage
    }

    /// ``description`` followed by the detail and the hint, one per line.
    package var debugDescription: String {
        var text = description
        if let detail { text += "\nDETAIL: " + detail }
        if let hint { text += "\nHINT: " + hint }
        if let constraint { text += "\nCONSTRAINT: " + constraint }
        return text
    }

    /// SQLSTATE `23505`: a `UNIQUE` or primary-key constraint refused the row.
    package var isUniqueViolation: Bool { sqlState == "23505" }
    /// SQLSTATE `40001`: a `SERIALIZABLE` transaction lost a conflict; retry it.
    package var isSerializationFailure: Bool { sqlState == "40001" }
    /// SQLSTATE `40P01`: the server broke a deadlock by failing this transaction; retry it.
    package var isDeadlock: Bool { sqlState == "40P01" }
    /// SQLSTATE `42501`: the role lacks a privilege (e.g. an append-only table refused `UPDATE`).
    package var isInsufficientPrivilege: Bool { sqlState == "42501" }
    /// SQLSTATE `42P01`: the table does not exist (e.g. the schema has not been migrated).
    package var isUndefinedTable: Bool { sqlState == "42P01" }
}

/// Byte-level helpers to keep secrets out of error text.
enum Redaction {
    /// Replaces every occurrence of `target` in `text`, comparing UTF-8 bytes (not Characters,
    /// so a secret is found even where it does not start on a grapheme boundary).
    static func replacingAll(in text: String, _ target: String, with replacement: String) -> String {
        let haystack = Array(text.utf8)
        let needle = Array(target.utf8)
        guard !needle.isEmpty, haystack.count >= needle.count else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(haystack.count)
        var i = 0
        var changed = false
        while i < haystack.count {
            if i + needle.count <= haystack.count, haystack[i..<(i + needle.count)].elementsEqual(needle) {
                out.append(contentsOf: replacement.utf8)
                i += needle.count
                changed = true
            } else {
                out.append(haystack[i])
                i += 1
            }
        }
        return changed ? String(decoding: out, as: UTF8.self) : text
    }

    /// Replaces every secret (longest first) by `<redacted>`.
    static func scrub(_ text: String, secrets: [String]) -> String {
        var text = text
        for secret in secrets.sorted(by: { $0.utf8.count > $1.utf8.count }) {
            text = replacingAll(in: text, secret, with: "<redacted>")
        }
        return text
    }

    /// Decodes `%XX` escapes as libpq does for URI components; invalid escapes are kept as is.
    static func percentDecoded(_ text: Substring) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var i = 0
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count, let hi = hex(bytes[i + 1]), let lo = hex(bytes[i + 2]) {
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Every spelling of a password that `conninfo` may carry, found without trusting it to be
    /// well-formed (libpq quotes a malformed URI whole in its error message):
    /// - URI userinfo: everything after the first `:` up to the last `@`, raw and decoded;
    /// - URI query `password=` values, raw and decoded;
    /// - `password = value` / `password='quoted value'` in key=value strings, raw and unescaped.
    static func passwordCandidates(in conninfo: String) -> [String] {
        var found: [String] = []
        func add(_ s: some StringProtocol) {
            if !s.isEmpty { found.append(String(s)) }
        }
        for scheme in ["postgresql://", "postgres://"] where conninfo.hasPrefix(scheme) {
            let rest = conninfo.dropFirst(scheme.count)
            if let at = rest.lastIndex(of: "@") {
                let userinfo = rest[..<at]
                if let colon = userinfo.firstIndex(of: ":") {
                    let raw = userinfo[userinfo.index(after: colon)...]
                    add(raw)
                    add(percentDecoded(raw))
                }
            }
            if let question = rest.firstIndex(of: "?") {
                for pair in rest[rest.index(after: question)...].split(separator: "&") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    if parts.count == 2, percentDecoded(parts[0]) == "password" {
                        add(parts[1])
                        add(percentDecoded(parts[1]))
                    }
                }
            }
        }
        // key=value form (also catches `password=` anywhere else, harmlessly).
        var search = conninfo[...]
        while let range = search.firstRange(of: "password") {
            var i = range.upperBound
            search = conninfo[range.upperBound...]
            while i < conninfo.endIndex, conninfo[i] == " " || conninfo[i] == "\t" || conninfo[i] == "\n" { i = conninfo.index(after: i) }
            guard i < conninfo.endIndex, conninfo[i] == "=" else { continue }
            i = conninfo.index(after: i)
            while i < conninfo.endIndex, conninfo[i] == " " || conninfo[i] == "\t" || conninfo[i] == "\n" { i = conninfo.index(after: i) }
            guard i < conninfo.endIndex else { continue }
            if conninfo[i] == "'" {
                var j = conninfo.index(after: i)
                var unescaped = ""
                while j < conninfo.endIndex, conninfo[j] != "'" {
                    if conninfo[j] == "\\", conninfo.index(after: j) < conninfo.endIndex {
                        j = conninfo.index(after: j)
                    }
                    unescaped.append(conninfo[j])
                    j = conninfo.index(after: j)
                }
                add(conninfo[conninfo.index(after: i)..<j])
                add(unescaped)
            } else {
                var j = i
                while j < conninfo.endIndex, !conninfo[j].isWhitespace { j = conninfo.index(after: j) }
                let raw = conninfo[i..<j]
                add(raw)
                add(raw.replacing("\\", with: ""))
                // A percent-encoded value inside a URI query string (`&password=p%40ss&...`).
                add(percentDecoded(raw.split(separator: "&", maxSplits: 1).first ?? raw))
                add(raw.split(separator: "&", maxSplits: 1).first ?? raw)
            }
        }
        return found
    }
}
