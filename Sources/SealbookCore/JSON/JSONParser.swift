// A strict RFC 8259 JSON parser over raw UTF-8 bytes.
//
// Strict means: exactly one JSON text, optional whitespace (space, tab, LF, CR) around it and
// nothing else; no byte order mark; well-formed UTF-8 only (RFC 3629: no overlong forms, no
// encoded surrogates, nothing above U+10FFFF); no lone surrogate escapes; no raw control
// characters in strings; no duplicate member names (compared as decoded Unicode scalars); the
// RFC 8259 number grammar only (no leading zeros, '+', '.5', '1.', NaN, Infinity); numbers must
// be finite as doubles; nesting no deeper than `maxDepth`.

/// Why and where a JSON text was refused.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset into the input of the offending byte (for an unterminated string, of its
    /// opening quote; for a duplicate member, of the second name's opening quote).
    public let offset: Int
    /// What is wrong, e.g. `duplicate member "a" in object`, `invalid UTF-8: overlong encoding`,
    /// `unterminated string`, `lone surrogate \ud800`, `nesting deeper than 64`.
    public let message: String

    /// An error at `offset` with `message`.
    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    /// `invalid JSON at byte <offset>: <message>`.
    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

/// Strict RFC 8259 parsing into ``JSONValue``.
public enum JSONParser {
    /// Strict RFC 8259 parse of exactly one JSON text (surrounding whitespace allowed, nothing
    /// else). Uses the bytes in place when the collection has contiguous storage, otherwise
    /// copies them into an array first.
    public static func parse(
        _ bytes: some Collection<UInt8>, maxDepth: Int = 64
    ) throws(JSONParseError) -> JSONValue {
        let inPlace = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONParseError) -> JSONValue in
                try parse(UnsafeRawBufferPointer(buffer), maxDepth: maxDepth)
            }
        }
        if let inPlace { return try inPlace.get() }
        let copy = Array(bytes)
        return try copy.withUnsafeBytes { buffer in
            Result { () throws(JSONParseError) -> JSONValue in
                try parse(buffer, maxDepth: maxDepth)
            }
        }.get()
    }

    /// Strict RFC 8259 parse of the UTF-8 encoding of `text` (see the byte overload). Byte
    /// offsets in errors are offsets into `text.utf8`.
    public static func parse(_ text: String, maxDepth: Int = 64) throws(JSONParseError) -> JSONValue {
        var text = text
        return try text.withUTF8 { buffer in
            Result { () throws(JSONParseError) -> JSONValue in
                try parse(UnsafeRawBufferPointer(buffer), maxDepth: maxDepth)
            }
        }.get()
    }

    /// Strict RFC 8259 parse of exactly one JSON text in `buffer` (the fast path; the other
    /// overloads end here). `maxDepth` bounds the nesting of arrays and objects: a top-level
    /// array is depth 1. Keep it modest; the parser recurses once per level.
    public static func parse(
        _ buffer: UnsafeRawBufferPointer, maxDepth: Int = 64
    ) throws(JSONParseError) -> JSONValue {
        guard let base = buffer.baseAddress, buffer.count > 0 else {
            throw JSONParseError(offset: 0, message: "unexpected end of input")
        }
        var parser = Parser(
            base: base.assumingMemoryBound(to: UInt8.self), end: buffer.count, maxDepth: maxDepth)
        return try parser.parseDocument()
    }
}

// MARK: - Implementation

private enum ASCII {
    static let tab: UInt8 = 0x09, lf: UInt8 = 0x0A, cr: UInt8 = 0x0D, space: UInt8 = 0x20
    static let quote: UInt8 = 0x22, plus: UInt8 = 0x2B, comma: UInt8 = 0x2C, minus: UInt8 = 0x2D
    static let dot: UInt8 = 0x2E, slash: UInt8 = 0x2F, zero: UInt8 = 0x30, nine: UInt8 = 0x39
    static let colon: UInt8 = 0x3A, upperE: UInt8 = 0x45, lowerE: UInt8 = 0x65
    static let openBracket: UInt8 = 0x5B, backslash: UInt8 = 0x5C, closeBracket: UInt8 = 0x5D
    static let openBrace: UInt8 = 0x7B, closeBrace: UInt8 = 0x7D
}

/// Exact powers of ten representable as doubles (10^0 ... 10^22), for the Clinger fast path.
private let exactPowersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
]

/// A member name hashed and compared by its UTF-8 bytes (exact scalars), unlike `String`'s
/// own `Hashable`, which follows canonical equivalence.
private struct ExactKey: Hashable {
    let string: String
    static func == (a: ExactKey, b: ExactKey) -> Bool { a.string.jsonScalarsEqual(b.string) }
    func hash(into hasher: inout Hasher) {
        var s = string
        s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

private struct Parser {
    let base: UnsafePointer<UInt8>
    let end: Int
    let maxDepth: Int
    var pos = 0
    var depth = 0
    /// Reused buffer for decoding strings that contain escapes.
    var scratch: [UInt8] = []

    init(base: UnsafePointer<UInt8>, end: Int, maxDepth: Int) {
        self.base = base
        self.end = end
        self.maxDepth = maxDepth
    }

    // MARK: Document and errors

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        if end >= 3 && base[0] == 0xEF && base[1] == 0xBB && base[2] == 0xBF {
            throw fail(at: 0, "byte order mark (U+FEFF) is not allowed")
        }
        let value = try parseValue()
        skipWhitespace()
        if pos < end { throw fail(at: pos, "unexpected data after JSON value: \(describeByte(at: pos))") }
        return value
    }

    func fail(at offset: Int, _ message: String) -> JSONParseError {
        JSONParseError(offset: offset, message: message)
    }

    func describeByte(at i: Int) -> String {
        let b = base[i]
        if b >= 0x21 && b < 0x7F { return "character '\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x\(hex2(b))"
    }

    func hex2(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: [digits[Int(b >> 4)], digits[Int(b & 15)]], as: UTF8.self)
    }

    func unexpected(at i: Int, expecting: String) -> JSONParseError {
        if i >= end { return fail(at: end, "unexpected end of input, expected \(expecting)") }
        return fail(at: i, "unexpected \(describeByte(at: i)), expected \(expecting)")
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while pos < end {
            let b = base[pos]
            guard b == ASCII.space || b == ASCII.lf || b == ASCII.cr || b == ASCII.tab else { return }
            pos += 1
        }
    }

    func startsWith(_ literal: StaticString, at i: Int) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard end - i >= n else { return false }
        let p = literal.utf8Start
        for j in 0..<n where base[i + j] != p[j] { return false }
        return true
    }

    // MARK: Values

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard pos < end else { throw fail(at: end, "unexpected end of input, expected a value") }
        switch base[pos] {
        case ASCII.openBrace: return try parseObject()
        case ASCII.openBracket: return try parseArray()
        case ASCII.quote: return .string(try parseString())
        case ASCII.minus, ASCII.zero...ASCII.nine: return .number(try parseNumber())
        case UInt8(ascii: "t"): return try parseLiteral("true", .bool(true))
        case UInt8(ascii: "f"): return try parseLiteral("false", .bool(false))
        case UInt8(ascii: "n"): return try parseLiteral("null", .null)
        case ASCII.plus: throw fail(at: pos, "a number must not start with '+'")
        case ASCII.dot: throw fail(at: pos, "a number must have a digit before '.'")
        case UInt8(ascii: "N"), UInt8(ascii: "I"):
            if startsWith("NaN", at: pos) || startsWith("Infinity", at: pos) {
                throw fail(at: pos, "NaN and Infinity are not JSON numbers")
            }
            throw unexpected(at: pos, expecting: "a value")
        default:
            throw unexpected(at: pos, expecting: "a value")
        }
    }

    mutating func parseLiteral(_ literal: StaticString, _ value: JSONValue) throws(JSONParseError) -> JSONValue {
        guard startsWith(literal, at: pos) else {
            throw fail(at: pos, "invalid literal, expected '\(literal)'")
        }
        pos += literal.utf8CodeUnitCount
        return value
    }

    mutating func enterContainer() throws(JSONParseError) {
        depth += 1
        if depth > maxDepth { throw fail(at: pos, "nesting deeper than \(maxDepth)") }
    }

    mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        pos += 1  // '['
        var elements: [JSONValue] = []
        skipWhitespace()
        if pos < end && base[pos] == ASCII.closeBracket {
            pos += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            elements.append(try parseValue())
            skipWhitespace()
            guard pos < end else { throw fail(at: end, "unexpected end of input, unterminated array") }
            let b = base[pos]
            if b == ASCII.comma {
                pos += 1
                skipWhitespace()
                if pos < end && base[pos] == ASCII.closeBracket {
                    throw fail(at: pos, "trailing comma in array")
                }
            } else if b == ASCII.closeBracket {
                pos += 1
                break
            } else {
                throw unexpected(at: pos, expecting: "',' or ']' in array")
            }
        }
        depth -= 1
        return .array(elements)
    }

    mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        pos += 1  // '{'
        var members: [(key: String, value: JSONValue)] = []
        var index: Set<ExactKey>? = nil  // built once the object gets large
        var ascending = true  // names so far in strictly increasing RFC 8785 order
        skipWhitespace()
        if pos < end && base[pos] == ASCII.closeBrace {
            pos += 1
            depth -= 1
            return .object(JSONObject(uncheckedMembers: members))
        }
        while true {
            guard pos < end else { throw fail(at: end, "unexpected end of input, unterminated object") }
            guard base[pos] == ASCII.quote else {
                if base[pos] == ASCII.closeBrace && !members.isEmpty {
                    throw fail(at: pos, "trailing comma in object")
                }
                throw unexpected(at: pos, expecting: "a string as member name")
            }
            let keyOffset = pos
            let key = try parseString()
            // A name above the previous one of an ascending run (canonical input) is new.
            if ascending, let last = members.last?.key, !JCS.namePrecedes(last, key) { ascending = false }
            if !ascending && isDuplicate(key, in: members, index: &index) {
                throw fail(at: keyOffset, "duplicate member \(JCS.quote(key)) in object")
            }
            skipWhitespace()
            guard pos < end && base[pos] == ASCII.colon else {
                throw unexpected(at: pos, expecting: "':' after member name")
            }
            pos += 1
            let value = try parseValue()
            members.append((key: key, value: value))
            skipWhitespace()
            guard pos < end else { throw fail(at: end, "unexpected end of input, unterminated object") }
            let b = base[pos]
            if b == ASCII.comma {
                pos += 1
                skipWhitespace()
            } else if b == ASCII.closeBrace {
                pos += 1
                break
            } else {
                throw unexpected(at: pos, expecting: "',' or '}' in object")
            }
        }
        depth -= 1
        return .object(JSONObject(uncheckedMembers: members))
    }

    /// Whether `key` is already a member name; inserts it into `index` when one is kept.
    func isDuplicate(
        _ key: String, in members: [(key: String, value: JSONValue)], index: inout Set<ExactKey>?
    ) -> Bool {
        if index == nil {
            if members.count < 16 {
                for m in members where m.key.jsonScalarsEqual(key) { return true }
                return false
            }
            index = Set(members.map { ExactKey(string: $0.key) })
        }
        return !index!.insert(ExactKey(string: key)).inserted
    }

    // MARK: Strings

    /// Parses a string starting at the opening quote at `pos`; leaves `pos` after the closing one.
    mutating func parseString() throws(JSONParseError) -> String {
        let open = pos
        pos += 1
        let start = pos
        // Fast path: no escapes; the bytes are used as they are once validated.
        while pos < end {
            let b = base[pos]
            if b == ASCII.quote {
                let s = String(decoding: UnsafeBufferPointer(start: base + start, count: pos - start), as: UTF8.self)
                pos += 1
                return s
            }
            if b == ASCII.backslash { return try parseEscapedString(open: open, start: start) }
            if b < 0x20 { throw controlCharacter(b, at: pos) }
            if b < 0x80 { pos += 1 } else { pos += try validateUTF8Sequence(at: pos) }
        }
        throw fail(at: open, "unterminated string")
    }

    func controlCharacter(_ b: UInt8, at i: Int) -> JSONParseError {
        fail(at: i, "unescaped control character U+00\(hex2(b).uppercased()) in string")
    }

    /// The slow path: the string has escapes; decode into `scratch`.
    mutating func parseEscapedString(open: Int, start: Int) throws(JSONParseError) -> String {
        scratch.removeAll(keepingCapacity: true)
        var runStart = start
        while pos < end {
            let b = base[pos]
            if b == ASCII.quote {
                scratch.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: pos - runStart))
                pos += 1
                return String(decoding: scratch, as: UTF8.self)
            }
            if b == ASCII.backslash {
                scratch.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: pos - runStart))
                try parseEscape(open: open)
                runStart = pos
                continue
            }
            if b < 0x20 { throw controlCharacter(b, at: pos) }
            if b < 0x80 { pos += 1 } else { pos += try validateUTF8Sequence(at: pos) }
        }
        throw fail(at: open, "unterminated string")
    }

    /// Decodes one escape at `pos` (the backslash) into `scratch`.
    mutating func parseEscape(open: Int) throws(JSONParseError) {
        let escapeStart = pos
        guard pos + 1 < end else { throw fail(at: open, "unterminated string") }
        let c = base[pos + 1]
        pos += 2
        switch c {
        case ASCII.quote: scratch.append(ASCII.quote)
        case ASCII.backslash: scratch.append(ASCII.backslash)
        case ASCII.slash: scratch.append(ASCII.slash)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(ASCII.lf)
        case UInt8(ascii: "r"): scratch.append(ASCII.cr)
        case UInt8(ascii: "t"): scratch.append(ASCII.tab)
        case UInt8(ascii: "u"):
            let unit = try parseHex4(escapeStart: escapeStart)
            var scalar = UInt32(unit)
            if (0xDC00...0xDFFF).contains(unit) {
                throw fail(at: escapeStart, "lone surrogate \\u\(hex4(unit))")
            }
            if (0xD800...0xDBFF).contains(unit) {
                let lowStart = pos
                guard pos + 1 < end, base[pos] == ASCII.backslash, base[pos + 1] == UInt8(ascii: "u") else {
                    throw fail(at: escapeStart, "lone surrogate \\u\(hex4(unit))")
                }
                pos += 2
                let low = try parseHex4(escapeStart: lowStart)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw fail(at: escapeStart, "lone surrogate \\u\(hex4(unit))")
                }
                scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            }
            appendUTF8(scalar)
        default:
            let what = c >= 0x21 && c < 0x7F ? "\\\(Character(Unicode.Scalar(c)))" : "\\ followed by byte 0x\(hex2(c))"
            throw fail(at: escapeStart, "invalid escape \(what) in string")
        }
    }

    func hex4(_ u: UInt16) -> String {
        hex2(UInt8(u >> 8)) + hex2(UInt8(u & 0xFF))
    }

    /// Reads the 4 hex digits of a `\u` escape at `pos`.
    mutating func parseHex4(escapeStart: Int) throws(JSONParseError) -> UInt16 {
        guard end - pos >= 4 else {
            throw fail(at: escapeStart, "invalid \\u escape: expected 4 hex digits")
        }
        var v: UInt16 = 0
        for i in 0..<4 {
            let b = base[pos + i]
            let d: UInt8
            switch b {
            case ASCII.zero...ASCII.nine: d = b - ASCII.zero
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = b - UInt8(ascii: "A") + 10
            default: throw fail(at: escapeStart, "invalid \\u escape: expected 4 hex digits")
            }
            v = v << 4 | UInt16(d)
        }
        pos += 4
        return v
    }

    mutating func appendUTF8(_ s: UInt32) {
        switch s {
        case 0..<0x80:
            scratch.append(UInt8(s))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | s >> 6))
            scratch.append(UInt8(0x80 | s & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | s >> 12))
            scratch.append(UInt8(0x80 | (s >> 6) & 0x3F))
            scratch.append(UInt8(0x80 | s & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | s >> 18))
            scratch.append(UInt8(0x80 | (s >> 12) & 0x3F))
            scratch.append(UInt8(0x80 | (s >> 6) & 0x3F))
            scratch.append(UInt8(0x80 | s & 0x3F))
        }
    }

    /// Validates the multi-byte UTF-8 sequence whose lead byte (>= 0x80) is at `i` against the
    /// RFC 3629 table of well-formed sequences; returns its length.
    func validateUTF8Sequence(at i: Int) throws(JSONParseError) -> Int {
        let lead = base[i]
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF  // allowed range of the second byte
        switch lead {
        case 0x80...0xBF: throw fail(at: i, "invalid UTF-8: unexpected continuation byte 0x\(hex2(lead))")
        case 0xC0, 0xC1: throw fail(at: i, "invalid UTF-8: overlong encoding")
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE, 0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        case 0xF5...0xF7: throw fail(at: i, "invalid UTF-8: code point above U+10FFFF")
        default: throw fail(at: i, "invalid UTF-8: byte 0x\(hex2(lead)) never occurs in UTF-8")
        }
        guard end - i >= length else { throw fail(at: i, "invalid UTF-8: truncated sequence") }
        let second = base[i + 1]
        guard second >= low && second <= high else {
            if second < 0x80 || second > 0xBF { throw fail(at: i, "invalid UTF-8: truncated sequence") }
            switch lead {
            case 0xE0, 0xF0: throw fail(at: i, "invalid UTF-8: overlong encoding")
            case 0xED: throw fail(at: i, "invalid UTF-8: encoded surrogate")
            default: throw fail(at: i, "invalid UTF-8: code point above U+10FFFF")
            }
        }
        for j in 2..<length where base[i + j] & 0xC0 != 0x80 {
            throw fail(at: i, "invalid UTF-8: truncated sequence")
        }
        return length
    }

    // MARK: Numbers

    /// Parses a number at `pos` by the RFC 8259 grammar
    /// `[ "-" ] ( "0" / [1-9] *DIGIT ) [ "." 1*DIGIT ] [ ( "e" / "E" ) [ "-" / "+" ] 1*DIGIT ]`.
    mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let start = pos
        var negative = false
        if base[pos] == ASCII.minus {
            negative = true
            pos += 1
            if pos < end && (startsWith("Infinity", at: pos) || startsWith("NaN", at: pos)) {
                throw fail(at: start, "NaN and Infinity are not JSON numbers")
            }
        }
        // Every digit goes into `mantissa` while it fits; `overflow` sends us to the slow path.
        var mantissa: UInt64 = 0
        var overflow = false
        @inline(__always) func accumulate(_ b: UInt8) {
            let d = UInt64(b &- ASCII.zero)
            if mantissa <= (UInt64.max - 9) / 10 { mantissa = mantissa &* 10 &+ d } else { overflow = true }
        }
        @inline(__always) func isDigit(_ i: Int) -> Bool { i < end && base[i] &- ASCII.zero < 10 }

        // Integer part.
        guard isDigit(pos) else {
            if pos < end && base[pos] == ASCII.dot { throw fail(at: pos, "a number must have a digit before '.'") }
            throw unexpected(at: pos, expecting: "a digit after '-'")
        }
        if base[pos] == ASCII.zero {
            pos += 1
            if isDigit(pos) { throw fail(at: start, "leading zero in number") }
        } else {
            while isDigit(pos) { accumulate(base[pos]); pos += 1 }
        }
        // Fraction.
        var fractionDigits = 0
        var isIntegerLiteral = true
        if pos < end && base[pos] == ASCII.dot {
            isIntegerLiteral = false
            pos += 1
            guard isDigit(pos) else { throw unexpected(at: pos, expecting: "a digit after '.' in number") }
            while isDigit(pos) {
                accumulate(base[pos])
                if !overflow { fractionDigits += 1 }
                pos += 1
            }
        }
        // Exponent.
        var exponent = 0
        if pos < end && (base[pos] == ASCII.lowerE || base[pos] == ASCII.upperE) {
            isIntegerLiteral = false
            pos += 1
            var exponentNegative = false
            if pos < end && (base[pos] == ASCII.plus || base[pos] == ASCII.minus) {
                exponentNegative = base[pos] == ASCII.minus
                pos += 1
            }
            guard isDigit(pos) else { throw unexpected(at: pos, expecting: "a digit in exponent") }
            while isDigit(pos) {
                if exponent < 1_000_000 { exponent = exponent * 10 + Int(base[pos] - ASCII.zero) }
                pos += 1
            }
            if exponentNegative { exponent = -exponent }
        }

        if isIntegerLiteral && !overflow {
            // Int64 range: [-2^63, 2^63 - 1].
            let limit: UInt64 = negative ? 1 << 63 : UInt64(Int64.max)
            if mantissa <= limit {
                let i = negative ? Int64(truncatingIfNeeded: 0 &- mantissa) : Int64(mantissa)
                let value = mantissa == 0 && negative ? -0.0 : Double(i)  // Int64 -> Double rounds correctly
                return JSONNumber(value: value, integer: i)
            }
            let magnitude = Double(mantissa)  // UInt64 -> Double rounds correctly
            return JSONNumber(value: negative ? -magnitude : magnitude, integer: nil)
        }
        if mantissa == 0 && !overflow {
            return JSONNumber(value: negative ? -0.0 : 0.0, integer: nil)
        }
        // Clinger's fast path: an exact mantissa and an exact power of ten give a correctly
        // rounded result with a single rounding.
        let decimalExponent = exponent - fractionDigits
        if !overflow && mantissa <= 1 << 53 && decimalExponent >= -22 && decimalExponent <= 22 {
            var v = Double(mantissa)
            if decimalExponent >= 0 { v *= exactPowersOfTen[decimalExponent] } else { v /= exactPowersOfTen[-decimalExponent] }
            return JSONNumber(value: negative ? -v : v, integer: nil)
        }
        // Slow path: the standard library's correctly rounded conversion of the literal.
        let literal = String(decoding: UnsafeBufferPointer(start: base + start, count: pos - start), as: UTF8.self)
        guard let v = Double(literal) else { throw fail(at: start, "invalid number") }
        guard v.isFinite else { throw fail(at: start, "number out of range") }
        return JSONNumber(value: v, integer: nil)
    }
}
