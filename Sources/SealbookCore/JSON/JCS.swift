// RFC 8785, the JSON Canonicalization Scheme (JCS).
//
// - Objects: members sorted by the UTF-16 code units of their names (§3.2.3), no whitespace.
// - Strings (§3.2.2.2): '"' and '\' escaped as \" and \\; U+0008, U+0009, U+000A, U+000C, U+000D
//   as \b \t \n \f \r; every other code point below U+0020 as \u00xx (lowercase hex); everything
//   else (including U+007F, U+2028, U+2029 and all non-ASCII) as its literal UTF-8.
// - Numbers (§3.2.2.3): the double the number denotes, serialized by ECMAScript's
//   Number.prototype.toString (ECMA-262 Number::toString). The shortest round-trip digits come
//   from Swift's `Double.description`, and the ECMAScript layout rules are applied to them here.
// - Literals: null, true, false.

/// Why a value cannot be canonicalized.
public enum JCSError: Error, Sendable, Equatable {
    /// A number is NaN or infinite; JSON (and so RFC 8785) has no representation for it.
    case nonFiniteNumber
}

/// RFC 8785 JSON Canonicalization Scheme: canonical UTF-8 bytes of a ``JSONValue``.
public enum JCS {
    /// RFC 8785 canonical UTF-8 bytes of `value`. Throws only for a non-finite number (which
    /// cannot come out of ``JSONParser``).
    public static func canonicalize(_ value: JSONValue) throws(JCSError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        try emit(value, into: &out, lenient: false)
        return out
    }

    /// Appends the RFC 8785 canonical UTF-8 bytes of `value` to `output`, so that a caller can
    /// reuse one buffer across many values. On error `output` may hold a partial encoding.
    public static func canonicalize(_ value: JSONValue, into output: inout [UInt8]) throws(JCSError) {
        try emit(value, into: &output, lenient: false)
    }

    /// The RFC 8785 canonical text of `value`, as a `String`.
    public static func canonicalString(_ value: JSONValue) throws(JCSError) -> String {
        String(decoding: try canonicalize(value), as: UTF8.self)
    }

    /// ECMAScript `Number.prototype.toString` for a finite double (RFC 8785 §3.2.2.3):
    /// `1e+21`, `1e-7`, `0.000001`, `-0` → `0`, `5e-324`, `123456789012345680000`, `4.5`.
    /// Throws ``JCSError/nonFiniteNumber`` for NaN and the infinities.
    public static func formatNumber(_ d: Double) throws(JCSError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        try appendNumber(d, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether member name `a` sorts before `b` in RFC 8785 order: lexicographic comparison of
    /// their UTF-16 code units (not of Unicode scalars or UTF-8 bytes).
    public static func namePrecedes(_ a: String, _ b: String) -> Bool {
        let contiguous = a.utf8.withContiguousStorageIfAvailable { pa in
            b.utf8.withContiguousStorageIfAvailable { pb in utf16Precedes(pa, pb) }
        }
        if let contiguous, let result = contiguous { return result }
        return utf16Precedes(Array(a.utf8), Array(b.utf8))
    }

    /// `namePrecedes` on UTF-8 bytes. UTF-8 byte order equals scalar order, which equals UTF-16
    /// order except in one case: a supplementary scalar (UTF-16 lead unit D800-DBFF, UTF-8 lead
    /// byte F0-F4) against a scalar in U+E000...U+FFFF (UTF-8 lead byte EE or EF). Two strings
    /// first differ either inside scalars that have the same UTF-8 lead byte (same length, where
    /// every order agrees) or at the lead bytes of two scalars, which is where that case is caught.
    @inline(__always)
    private static func utf16Precedes<C: RandomAccessCollection<UInt8>>(_ a: C, _ b: C) -> Bool where C.Index == Int {
        let n = Swift.min(a.count, b.count)
        var i = 0
        while i < n {
            let x = a[a.startIndex + i], y = b[b.startIndex + i]
            if x != y {
                if x >= 0xEE && y >= 0xEE && (x >= 0xF0) != (y >= 0xF0) { return x >= 0xF0 }
                return x < y
            }
            i += 1
        }
        return a.count < b.count
    }

    // MARK: - Implementation

    /// Writes `value`; with `lenient`, non-finite numbers are written as NaN / Infinity /
    /// -Infinity instead of throwing (for `description` only; that output is not JSON).
    static func emit(_ value: JSONValue, into out: inout [UInt8], lenient: Bool) throws(JCSError) {
        switch value {
        case .null:
            out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])  // null
        case .bool(let b):
            if b { out.append(contentsOf: [0x74, 0x72, 0x75, 0x65]) } else { out.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65]) }
        case .number(let n):
            if let i = n.integer, i.magnitude <= 1 << 53 {
                // Every integer of magnitude <= 2^53 is a double whose ES6 form is its digits.
                appendInteger(i, into: &out)
            } else if n.value.isFinite || !lenient {
                try appendNumber(n.value, into: &out)
            } else {
                let text: String = n.value.isNaN ? "NaN" : (n.value < 0 ? "-Infinity" : "Infinity")
                out.append(contentsOf: text.utf8)
            }
        case .string(let s):
            appendString(s, into: &out)
        case .array(let elements):
            out.append(0x5B)  // [
            var first = true
            for e in elements {
                if !first { out.append(0x2C) }  // ,
                first = false
                try emit(e, into: &out, lenient: lenient)
            }
            out.append(0x5D)  // ]
        case .object(let object):
            out.append(0x7B)  // {
            let members = object.members
            if isSorted(members) {
                try emitMembers(members, into: &out, lenient: lenient)
            } else {
                let sorted = members.sorted { namePrecedes($0.key, $1.key) }
                try emitMembers(sorted, into: &out, lenient: lenient)
            }
            out.append(0x7D)  // }
        }
    }

    private static func isSorted(_ members: [(key: String, value: JSONValue)]) -> Bool {
        if members.count < 2 { return true }
        for i in 1..<members.count where !namePrecedes(members[i - 1].key, members[i].key) {
            return false
        }
        return true
    }

    private static func emitMembers(
        _ members: [(key: String, value: JSONValue)], into out: inout [UInt8], lenient: Bool
    ) throws(JCSError) {
        var first = true
        for m in members {
            if !first { out.append(0x2C) }  // ,
            first = false
            appendString(m.key, into: &out)
            out.append(0x3A)  // :
            try emit(m.value, into: &out, lenient: lenient)
        }
    }

    /// `s` as a canonical JSON string literal (with the quotes), for messages.
    static func quote(_ s: String) -> String {
        var out: [UInt8] = []
        appendString(s, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `s` as a JSON string literal escaped as RFC 8785 §3.2.2.2 requires.
    static func appendString(_ s: String, into out: inout [UInt8]) {
        out.append(0x22)
        let utf8 = s.utf8
        let done: Void? = utf8.withContiguousStorageIfAvailable { appendEscaped($0, into: &out) }
        if done == nil { Array(utf8).withUnsafeBufferPointer { appendEscaped($0, into: &out) } }
        out.append(0x22)
    }

    /// Appends UTF-8 `bytes` with the RFC 8785 escapes, copying unescaped runs in bulk.
    private static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        var runStart = 0
        for i in 0..<bytes.count {
            let b = bytes[i]
            guard b < 0x20 || b == 0x22 || b == 0x5C else { continue }
            if runStart < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
            runStart = i + 1
            out.append(0x5C)  // backslash
            switch b {
            case 0x22: out.append(0x22)  // \"
            case 0x5C: out.append(0x5C)  // \\
            case 0x08: out.append(0x62)  // \b
            case 0x09: out.append(0x74)  // \t
            case 0x0A: out.append(0x6E)  // \n
            case 0x0C: out.append(0x66)  // \f
            case 0x0D: out.append(0x72)  // \r
            default:  // \u00xx
                out.append(contentsOf: [0x75, 0x30, 0x30, hexDigits[Int(b >> 4)], hexDigits[Int(b & 0xF)]])
            }
        }
        if runStart < bytes.count {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        }
    }

    /// Appends the decimal digits of `i` (with '-' when negative).
    static func appendInteger(_ i: Int64, into out: inout [UInt8]) {
        if i < 0 { out.append(0x2D) }
        var m = i.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buf in
            var p = 20
            repeat {
                p -= 1
                buf[p] = 0x30 + UInt8(m % 10)
                m /= 10
            } while m != 0
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[p..<20]))
        }
    }

    /// Appends ECMAScript Number::toString(d) (ECMA-262, as RFC 8785 §3.2.2.3 requires).
    static func appendNumber(_ d: Double, into out: inout [UInt8]) throws(JCSError) {
        guard d.isFinite else { throw .nonFiniteNumber }
        if d == 0 {  // +0 and -0 both print "0"
            out.append(0x30)
            return
        }
        // Swift prints the shortest digit string that round-trips (the one closest to the exact
        // value when several are that short), as "[-]ddd.ddd" or "[-]d[.ddd]e[+-]xx".
        var text = d.description
        text.withUTF8 { s in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { digits in
                layOut(description: s, digits: digits, into: &out)
            }
        }
    }

    /// Lays out the digits of a Swift `Double.description` by ECMA-262 Number::toString: with
    /// the decimal digits s1...sk (k as small as possible) and n such that the value is
    /// 0.s1...sk × 10^n.
    private static func layOut(
        description s: UnsafeBufferPointer<UInt8>, digits: UnsafeMutableBufferPointer<UInt8>,
        into out: inout [UInt8]
    ) {
        var i = 0
        if s[0] == 0x2D {  // '-'
            out.append(0x2D)
            i = 1
        }
        var count = 0  // digits collected
        var pointAt = -1  // number of digits before '.'
        var exponent = 0
        while i < s.count {
            let b = s[i]
            i += 1
            if b >= 0x30 && b <= 0x39 {
                if count < digits.count { digits[count] = b; count += 1 }
            } else if b == 0x2E {  // '.'
                pointAt = count
            } else if b == 0x65 || b == 0x45 {  // 'e'
                var negative = false
                if i < s.count && (s[i] == 0x2B || s[i] == 0x2D) {
                    negative = s[i] == 0x2D
                    i += 1
                }
                while i < s.count {
                    exponent = exponent * 10 + Int(s[i] - 0x30)
                    i += 1
                }
                if negative { exponent = -exponent }
            }
        }
        if pointAt < 0 { pointAt = count }
        // value = 0.d1 d2 ... dcount × 10^(pointAt + exponent); strip zeros at both ends.
        var n = pointAt + exponent
        var first = 0
        while first < count && digits[first] == 0x30 {
            first += 1
            n -= 1
        }
        var last = count
        while last > first && digits[last - 1] == 0x30 { last -= 1 }
        let k = last - first
        let sig = UnsafeBufferPointer(rebasing: digits[first..<last])

        if k <= n && n <= 21 {
            // Step 6: the k digits followed by n - k zeros.
            out.append(contentsOf: sig)
            for _ in 0..<(n - k) { out.append(0x30) }
        } else if 0 < n && n <= 21 {
            // Step 7: the first n digits, '.', the remaining k - n digits.
            out.append(contentsOf: UnsafeBufferPointer(rebasing: sig[0..<n]))
            out.append(0x2E)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: sig[n..<k]))
        } else if -6 < n && n <= 0 {
            // Step 8: "0.", -n zeros, the k digits.
            out.append(0x30)
            out.append(0x2E)
            for _ in 0..<(-n) { out.append(0x30) }
            out.append(contentsOf: sig)
        } else {
            // Steps 9-10: exponential form d[.ddd]e±(n-1).
            out.append(sig[0])
            if k > 1 {
                out.append(0x2E)
                out.append(contentsOf: UnsafeBufferPointer(rebasing: sig[1..<k]))
            }
            out.append(0x65)  // e
            let e = n - 1
            out.append(e < 0 ? 0x2D : 0x2B)
            appendInteger(Int64(e.magnitude), into: &out)
        }
    }
}
