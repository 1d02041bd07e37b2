// RFC 8785 (JCS) tests: the external vectors from cyberphone/json-canonicalization (see
// shared/vectors/SOURCES.md), ECMAScript number formatting against an independent reference,
// UTF-16 member ordering, string escaping and round trips.

import Foundation
import SealbookCore
import Testing

// MARK: - Locating the vectors

/// The external JCS vectors: `$SEALBOOK_VECTORS/jcs` when that variable is set (it may also
/// name the `jcs` folder itself), otherwise `<repo>/../shared/vectors/jcs`.
enum JCSVectorFiles {
    static let directory: URL = {
        if let env = ProcessInfo.processInfo.environment["SEALBOOK_VECTORS"], !env.isEmpty {
            let root = URL(fileURLWithPath: env)
            let jcs = root.appendingPathComponent("jcs")
            return FileManager.default.fileExists(atPath: jcs.path) ? jcs : root
        }
        // <repo>/Tests/SealbookCoreTests/JCSTests.swift -> <repo> -> <repo>/.. -> shared/vectors/jcs
        let repo = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repo.deletingLastPathComponent()
            .appendingPathComponent("shared").appendingPathComponent("vectors").appendingPathComponent("jcs")
    }()

    static func url(_ relative: String) -> URL { directory.appendingPathComponent(relative) }

    static func bytes(_ relative: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: url(relative))) }

    /// Base names (without `.json`) of `input/*.json`; empty when the vectors are missing (the
    /// `vectorsArePresent` test then fails).
    static func inputNames() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url("input").path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// The lines of `es6_number_samples.csv`.
    static func es6Samples() -> [JCSNumberSample] {
        guard let text = try? String(contentsOf: url("es6_number_samples.csv"), encoding: .utf8) else { return [] }
        return text.split(whereSeparator: \.isNewline).compactMap { line in
            let parts = line.split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count == 2 else { return nil }
            return JCSNumberSample(hex: String(parts[0]), expected: String(parts[1]))
        }
    }
}

/// One `hex-ieee,expected` line.
struct JCSNumberSample: Sendable, CustomTestStringConvertible {
    let hex: String
    let expected: String
    var testDescription: String { "\(hex) -> \(expected)" }
    var double: Double? { UInt64(hex, radix: 16).map(Double.init(bitPattern:)) }
}

func jcsHexBytes(_ text: String) -> [UInt8]? {
    var out: [UInt8] = []
    for token in text.split(whereSeparator: { $0 == " " || $0.isNewline }) {
        guard let b = UInt8(token, radix: 16) else { return nil }
        out.append(b)
    }
    return out
}

func jcsString(_ v: JSONValue) throws -> String { try JCS.canonicalString(v) }

/// SplitMix64: a small deterministic generator for the property tests.
struct JCSRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

// MARK: - External vectors

@Suite("JCS: cyberphone/json-canonicalization vectors")
struct JCSVectorTests {
    @Test func vectorsArePresent() throws {
        let dir = JCSVectorFiles.directory
        #expect(FileManager.default.fileExists(atPath: dir.path), "JCS vectors not found at \(dir.path); set SEALBOOK_VECTORS")
        #expect(JCSVectorFiles.inputNames().count >= 6)
        #expect(JCSVectorFiles.es6Samples().count >= 7)
    }

    @Test("input canonicalizes to output and outhex", arguments: JCSVectorFiles.inputNames())
    func inputCanonicalizesToOutput(name: String) throws {
        let input = try JCSVectorFiles.bytes("input/\(name).json")
        let expected = try JCSVectorFiles.bytes("output/\(name).json")
        let hexText = try String(contentsOf: JCSVectorFiles.url("outhex/\(name).txt"), encoding: .utf8)
        let expectedFromHex = try #require(jcsHexBytes(hexText))

        let canonical = try JCS.canonicalize(JSONParser.parse(input))
        #expect(canonical == expected, "\(name): got \(String(decoding: canonical, as: UTF8.self))")
        #expect(canonical == expectedFromHex)
        #expect(expected.last != 0x0A)  // no trailing newline in the expected bytes

        // The expected output is itself canonical: parsing and canonicalizing it is the identity.
        #expect(try JCS.canonicalize(JSONParser.parse(expected)) == expected)
        // The String overload and the buffer overload agree.
        let viaString = try JSONParser.parse(String(decoding: input, as: UTF8.self))
        #expect(try JCS.canonicalize(viaString) == expected)
    }

    @Test("es6_number_samples.csv", arguments: JCSVectorFiles.es6Samples())
    func es6NumberSample(sample: JCSNumberSample) throws {
        let d = try #require(sample.double, "bad hex \(sample.hex)")
        #expect(try JCS.formatNumber(d) == sample.expected)
        #expect(try jcsString(.number(JSONNumber(d))) == sample.expected)
    }

    // es6_numgen_expected_hashes.json holds hashes of the first N lines of the upstream generated
    // number file, but the generator itself (its static value table, its serial and its
    // SHA-256-chained random sequences) is not part of shared/vectors, so that check is not
    // reproducible from the vectors alone and is not implemented. The property tests below
    // compare formatNumber against an independent reference instead.
}

// MARK: - ECMAScript number formatting

/// An independent ES6 Number::toString for tests: the shortest round-trip digits are found by
/// asking C's printf (`%.{p-1}e`, correctly rounded by glibc) for p = 1...17 significant digits;
/// at a power of two the nearest p-digit decimal can miss the (asymmetric) rounding interval
/// while its neighbour hits it, so the neighbours are tried too. Laid out with String operations.
func jcsReferenceES6(_ d: Double) -> String {
    if d == 0 { return "0" }
    if d < 0 { return "-" + jcsReferenceES6(-d) }
    for p in 1...17 {
        let text = String(format: "%.\(p - 1)e", d)  // "d.ddde+XX"
        let parts = text.split(separator: "e")
        let nearest = UInt64(parts[0].replacingOccurrences(of: ".", with: ""))!
        let scale = Int(parts[1])! - (p - 1)  // value = digits × 10^scale
        let hits = [nearest, nearest + 1, nearest - 1].filter { $0 > 0 && Double("\($0)e\(scale)") == d }
        guard let best = hits.first else { continue }
        if hits.count > 1 && best != nearest { return "? ambiguous" }
        var digits = String(best)
        let n = digits.count + scale
        while digits.count > 1 && digits.hasSuffix("0") { digits.removeLast() }
        let k = digits.count
        if k <= n && n <= 21 { return digits + String(repeating: "0", count: n - k) }
        if 0 < n && n <= 21 { return String(digits.prefix(n)) + "." + String(digits.dropFirst(n)) }
        if -6 < n && n <= 0 { return "0." + String(repeating: "0", count: -n) + digits }
        let mantissa = k == 1 ? digits : String(digits.prefix(1)) + "." + String(digits.dropFirst())
        return mantissa + "e" + (n - 1 < 0 ? "-" : "+") + String(abs(n - 1))
    }
    return "? none"
}

struct JCSNumberCase: Sendable, CustomTestStringConvertible {
    let bits: UInt64
    let expected: String
    init(_ d: Double, _ expected: String) { bits = d.bitPattern; self.expected = expected }
    init(bits: UInt64, _ expected: String) { self.bits = bits; self.expected = expected }
    var double: Double { Double(bitPattern: bits) }
    var testDescription: String { "\(double) -> \(expected)" }
}

@Suite("JCS: ECMAScript number formatting")
struct JCSNumberTests {
    static let cases: [JCSNumberCase] = [
        // Named in the brief.
        .init(-0.0, "0"), .init(0.0, "0"), .init(1e21, "1e+21"), .init(1e20, "100000000000000000000"),
        .init(1e-7, "1e-7"), .init(0.000001, "0.000001"), .init(123e-20, "1.23e-18"),
        .init(1.2345678901234568e+20, "123456789012345680000"),
        .init(9007199254740992, "9007199254740992"),
        // The values.json vector's numbers.
        .init(333333333.33333329, "333333333.3333333"), .init(1e30, "1e+30"), .init(4.50, "4.5"),
        .init(2e-3, "0.002"), .init(1e-27, "1e-27"),
        // Boundaries of the ES6 layout cases.
        .init(100, "100"), .init(1.5, "1.5"), .init(-1.5, "-1.5"), .init(0.1, "0.1"),
        .init(0.1 + 0.2, "0.30000000000000004"), .init(123456.789, "123456.789"),
        .init(0.0000015, "0.0000015"), .init(1.5e-7, "1.5e-7"), .init(-1e-7, "-1e-7"),
        .init(1.5e21, "1.5e+21"), .init(1e22, "1e+22"), .init(1e23, "1e+23"),
        .init(9.999999999999999e20, "999999999999999900000"), .init(0x1p63, "9223372036854776000"),
        .init(1e16, "10000000000000000"), .init(12345678901234567168, "12345678901234567000"),
        .init(Double.greatestFiniteMagnitude, "1.7976931348623157e+308"),
        .init(-Double.greatestFiniteMagnitude, "-1.7976931348623157e+308"),
        .init(Double.leastNormalMagnitude, "2.2250738585072014e-308"),
        .init(Double.leastNonzeroMagnitude, "5e-324"), .init(-Double.leastNonzeroMagnitude, "-5e-324"),
        // RFC 8785 Appendix B.
        .init(bits: 0x4340_0000_0000_0000, "9007199254740992"),
        .init(bits: 0xC340_0000_0000_0000, "-9007199254740992"),
        .init(bits: 0x4430_0000_0000_0000, "295147905179352830000"),
        .init(bits: 0x44B5_2D02_C7E1_4AF5, "9.999999999999997e+22"),
        .init(bits: 0x44B5_2D02_C7E1_4AF6, "1e+23"),
        .init(bits: 0x44B5_2D02_C7E1_4AF7, "1.0000000000000001e+23"),
        .init(bits: 0x444B_1AE4_D6E2_EF4E, "999999999999999700000"),
        .init(bits: 0x444B_1AE4_D6E2_EF4F, "999999999999999900000"),
        .init(bits: 0x444B_1AE4_D6E2_EF50, "1e+21"),
        .init(bits: 0x3EB0_C6F7_A0B5_ED8C, "9.999999999999997e-7"),
        .init(bits: 0x3EB0_C6F7_A0B5_ED8D, "0.000001"),
        .init(bits: 0x41B3_DE43_5555_5553, "333333333.3333332"),
        .init(bits: 0x41B3_DE43_5555_5554, "333333333.33333325"),
        .init(bits: 0x41B3_DE43_5555_5555, "333333333.3333333"),
        .init(bits: 0x41B3_DE43_5555_5556, "333333333.3333334"),
        .init(bits: 0x41B3_DE43_5555_5557, "333333333.33333343"),
        .init(bits: 0xBECB_F647_612F_3696, "-0.0000033333333333333333"),
        .init(bits: 0x4314_3FF3_C1CB_0959, "1424953923781206.2"),
    ]

    @Test(arguments: cases)
    func formats(_ c: JCSNumberCase) throws {
        #expect(try JCS.formatNumber(c.double) == c.expected)
        #expect(jcsReferenceES6(c.double) == c.expected)  // the reference agrees with the table
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity, .signalingNaN])
    func nonFiniteIsRefused(_ d: Double) {
        #expect(throws: JCSError.nonFiniteNumber) { try JCS.formatNumber(d) }
        #expect(throws: JCSError.nonFiniteNumber) { try JCS.canonicalize(.number(JSONNumber(d))) }
        #expect(throws: JCSError.nonFiniteNumber) { try JCS.canonicalize(["a": [1, .number(JSONNumber(d))]]) }
    }

    @Test func randomBitPatternsMatchReference() throws {
        var rng = JCSRandom(seed: 0x5EA1_B00C)
        var checked = 0
        while checked < 20_000 {
            let d = Double(bitPattern: rng.next())
            guard d.isFinite else { continue }
            let s = try JCS.formatNumber(d)
            #expect(s == jcsReferenceES6(d), "bits \(String(d.bitPattern, radix: 16))")
            #expect(Double(s) == d || (d == 0 && s == "0"))
            checked += 1
        }
    }

    @Test func randomShortDecimalsMatchReference() throws {
        // Values with few significant digits across the whole layout range, including every
        // switch point between the fixed and exponential forms.
        var rng = JCSRandom(seed: 42)
        for _ in 0..<20_000 {
            let mantissa = Int.random(in: 1...999_999, using: &rng)
            let exponent = Int.random(in: -30...30, using: &rng)
            let d = Double("\(mantissa)e\(exponent)")! * (Bool.random(using: &rng) ? 1 : -1)
            let s = try JCS.formatNumber(d)
            #expect(s == jcsReferenceES6(d), "\(mantissa)e\(exponent)")
            #expect(Double(s) == d)
        }
        for e in -330...310 {
            for m in [1.0, 1.5, 9.999999999999999] {
                guard let d = Double("\(m)e\(e)"), d.isFinite, d != 0 else { continue }
                #expect(try JCS.formatNumber(d) == jcsReferenceES6(d), "\(m)e\(e)")
            }
        }
    }

    @Test func subnormalsAndNeighboursOfPowersOfTwo() throws {
        var values: [Double] = []
        for i in UInt64(1)...2000 { values.append(Double(bitPattern: i)) }
        for e in -1074...1023 {
            let p = Double(sign: .plus, exponent: e, significand: 1)
            values += [p, p.nextUp, p.nextDown]
        }
        for d in values where d.isFinite && d != 0 {
            #expect(try JCS.formatNumber(d) == jcsReferenceES6(d), "bits \(String(d.bitPattern, radix: 16))")
        }
    }

    /// The integer fast path in `canonicalize` (integer literals of magnitude <= 2^53) prints
    /// exactly what the ES6 path prints for the same double.
    @Test func integerFastPathAgreesWithES6Path() throws {
        var ints: [Int64] = [0, 1, -1, 9, 10, 99, 100, 1 << 53, -(1 << 53), (1 << 53) - 1, -((1 << 53) - 1)]
        var p: Int64 = 1
        for _ in 0..<16 {
            p *= 10
            ints += [p, p - 1, p + 1, -p]
        }
        var rng = JCSRandom(seed: 7)
        for _ in 0..<100_000 { ints.append(Int64.random(in: -(1 << 53)...(1 << 53), using: &rng)) }
        for bits in 0..<54 { ints.append(Int64.random(in: 0...(Int64(1) << bits), using: &rng)) }
        var checked = 0
        for i in ints where i.magnitude <= 1 << 53 {
            let fast = try jcsString(.number(JSONNumber(i)))
            #expect(fast == String(i))
            #expect(fast == (try JCS.formatNumber(Double(i))), "\(i)")
            checked += 1
        }
        #expect(checked > 100_000)
    }

    @Test func integersBeyond2to53UseTheDouble() throws {
        // 2^53 + 1 is not a double: the literal keeps its exact integer but JCS prints the double.
        let n = try #require(JSONParser.parse("9007199254740993").numberValue)
        #expect(n.integer == 9_007_199_254_740_993)
        #expect(n.value == 9_007_199_254_740_992)
        #expect(try jcsString(.number(n)) == "9007199254740992")
        #expect(try jcsString(JSONParser.parse("9007199254740992")) == "9007199254740992")
        #expect(try jcsString(JSONParser.parse("-9007199254740993")) == "-9007199254740992")
        #expect(try jcsString(JSONParser.parse("9223372036854775807")) == "9223372036854776000")
        #expect(try jcsString(JSONParser.parse("-9223372036854775808")) == "-9223372036854776000")
        #expect(try jcsString(.number(JSONNumber(Int64.max))) == "9223372036854776000")
        #expect(try jcsString(.number(JSONNumber((1 << 53) + 1))) == "9007199254740992")
    }

    @Test func literalsFromTheBrief() throws {
        let cases: [(String, String)] = [
            ("-0", "0"), ("-0.0", "0"), ("0e10", "0"), ("1e21", "1e+21"), ("1E21", "1e+21"), ("1e-7", "1e-7"),
            ("0.000001", "0.000001"), ("123e-20", "1.23e-18"), ("56.0", "56"), ("1.0e2", "100"),
            ("100e-2", "1"), ("5e-324", "5e-324"), ("1e-400", "0"), ("123456789012345678901", "123456789012345680000"),
            ("0.1000000000000000055511151231257827", "0.1"),
        ]
        for (literal, expected) in cases {
            #expect(try jcsString(JSONParser.parse(literal)) == expected, "\(literal)")
        }
    }
}

// MARK: - Member order

@Suite("JCS: member order by UTF-16 code units")
struct JCSOrderTests {
    static let tricky: [String] = [
        "", "a", "ab", "b", "A", "1", "10", "\u{7F}", "\u{80}", "é", "e\u{301}", "\u{800}",
        "\u{D7FF}", "\u{E000}", "\u{FB33}", "\u{FFFD}", "\u{FFFF}", "\u{10000}", "\u{1F600}",
        "\u{1F602}", "\u{10FFFF}", "\u{FFFD}a", "\u{1F600}a", "a\u{FFFD}", "a\u{1F600}", "€", "\n", "\r",
    ]

    static func utf16Precedes(_ a: String, _ b: String) -> Bool {
        Array(a.utf16).lexicographicallyPrecedes(Array(b.utf16))
    }

    @Test func supplementarySortsBeforeHighBMP() throws {
        // U+1F600 is D83D DE00 in UTF-16, so it sorts before U+FFFD; by scalars (and UTF-8) it
        // would sort after.
        #expect(JCS.namePrecedes("\u{1F600}", "\u{FFFD}"))
        #expect(!JCS.namePrecedes("\u{FFFD}", "\u{1F600}"))
        #expect("\u{FFFD}".unicodeScalars.first!.value < "\u{1F600}".unicodeScalars.first!.value)
        let object: JSONValue = ["\u{FFFD}": 1, "\u{1F600}": 2, "\u{E000}": 3, "z": 4]
        #expect(try jcsString(object) == "{\"z\":4,\"\u{1F600}\":2,\"\u{E000}\":3,\"\u{FFFD}\":1}")
    }

    @Test func namePrecedesMatchesUTF16OnTrickyPairs() {
        for a in Self.tricky {
            for b in Self.tricky {
                #expect(JCS.namePrecedes(a, b) == Self.utf16Precedes(a, b), "\(Array(a.unicodeScalars)) vs \(Array(b.unicodeScalars))")
            }
        }
    }

    @Test func namePrecedesMatchesUTF16OnRandomStrings() {
        var rng = JCSRandom(seed: 99)
        let ranges: [ClosedRange<UInt32>] = [0x20...0x7F, 0x80...0x7FF, 0x800...0xD7FF, 0xE000...0xFFFF, 0x10000...0x10FFFF]
        func randomString() -> String {
            var s = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                let r = ranges.randomElement(using: &rng)!
                // Narrow ranges often, so that strings share prefixes.
                let v = Bool.random(using: &rng) ? r.lowerBound + UInt32.random(in: 0...2, using: &rng) : UInt32.random(in: r, using: &rng)
                s.append(Unicode.Scalar(v)!)
            }
            return String(s)
        }
        for _ in 0..<20_000 {
            let a = randomString(), b = randomString()
            #expect(JCS.namePrecedes(a, b) == Self.utf16Precedes(a, b))
        }
    }

    @Test func objectsAreSortedRecursivelyAndArraysKeepOrder() throws {
        let value = try JSONParser.parse(#"{"b":[3,{"z":1,"y":2},1],"a":{"d":null,"c":true},"":0}"#)
        #expect(try jcsString(value) == #"{"":0,"a":{"c":true,"d":null},"b":[3,{"y":2,"z":1},1]}"#)
    }

    @Test func canonicallyEquivalentNamesStayDistinct() throws {
        // "é" (U+00E9) and "e" + U+0301 are different names; JCS does not normalize.
        let value = try JSONParser.parse("{\"e\u{301}\":2,\"\u{E9}\":1}")
        #expect(value.objectValue?.count == 2)
        #expect(try JCS.canonicalize(value) == Array("{\"e\u{301}\":2,\"\u{E9}\":1}".utf8))
    }
}

// MARK: - Strings

@Suite("JCS: string escaping")
struct JCSStringTests {
    @Test func controlCharactersAndSpecials() throws {
        var expected = "\""
        let short: [UInt8: String] = [0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"]
        for b in UInt8(0)..<0x20 {
            expected += short[b] ?? "\\u00" + String(format: "%02x", b)
        }
        expected += "\\\"\\\\/\u{7F}\u{80}\u{2028}\u{2029}\u{FEFF}\u{1F600}\""
        var s = String.UnicodeScalarView()
        for v in UInt32(0)..<0x20 { s.append(Unicode.Scalar(v)!) }
        s.append(contentsOf: "\"\\/\u{7F}\u{80}\u{2028}\u{2029}\u{FEFF}\u{1F600}".unicodeScalars)
        #expect(try jcsString(.string(String(s))) == expected)
        // And it parses back to the same string.
        #expect(try JSONParser.parse(expected) == .string(String(s)))
    }

    @Test func escapedInputIsUnescapedMinimally() throws {
        let value = try JSONParser.parse(#""\u0041\u00e9\u20AC\ud83d\ude02\/\u001f\u007f""#)
        #expect(try jcsString(value) == "\"A\u{E9}\u{20AC}\u{1F602}/\\u001f\u{7F}\"")
    }

    @Test func literalsAndEmptyContainers() throws {
        #expect(try jcsString([nil, true, false, [], [:], ""]) == #"[null,true,false,[],{},""]"#)
        #expect(try jcsString(JSONParser.parse(" \t\r\n[ { } , [ ] ] \n")) == "[{},[]]")
    }
}

// MARK: - Round trips and API

@Suite("JCS: round trips and API")
struct JCSRoundTripTests {
    static func randomValue(_ rng: inout JCSRandom, depth: Int = 0) -> JSONValue {
        let pick = depth > 4 ? Int.random(in: 0...4, using: &rng) : Int.random(in: 0...6, using: &rng)
        switch pick {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .number(JSONNumber(Int64.random(in: -(1 << 53)...(1 << 53), using: &rng)))
        case 3:
            let d = Double(bitPattern: rng.next())
            return d.isFinite ? .number(JSONNumber(d)) : .number(JSONNumber(Int64(0)))
        case 4: return .string(randomString(&rng))
        case 5: return .array((0..<Int.random(in: 0...4, using: &rng)).map { _ in randomValue(&rng, depth: depth + 1) })
        default:
            var o = JSONObject()
            for _ in 0..<Int.random(in: 0...5, using: &rng) { o[randomString(&rng)] = randomValue(&rng, depth: depth + 1) }
            return .object(o)
        }
    }

    static func randomString(_ rng: inout JCSRandom) -> String {
        let alphabet: [Unicode.Scalar] = ["a", "b", "\"", "\\", "\n", "\u{0}", "\u{1F}", "\u{7F}", "é", "\u{FFFD}", "\u{1F600}", "\u{2028}"]
        var s = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...6, using: &rng) { s.append(alphabet.randomElement(using: &rng)!) }
        return String(s)
    }

    @Test func canonicalizeParseCanonicalizeIsStable() throws {
        var rng = JCSRandom(seed: 2024)
        var buffer: [UInt8] = []
        for _ in 0..<3_000 {
            let value = Self.randomValue(&rng)
            let bytes = try JCS.canonicalize(value)
            let reparsed = try JSONParser.parse(bytes)
            #expect(try JCS.canonicalize(reparsed) == bytes)
            buffer.removeAll(keepingCapacity: true)
            try JCS.canonicalize(value, into: &buffer)
            #expect(buffer == bytes)
        }
    }

    @Test func integerOnlyValuesRoundTripExactly() throws {
        let value: JSONValue = ["v": 1, "n": [-9_007_199_254_740_991, 0, 9_007_199_254_740_991], "s": "x", "o": ["t": true, "z": nil]]
        let reparsed = try JSONParser.parse(JCS.canonicalize(value))
        #expect(reparsed == value)
        #expect(reparsed["n"]?.arrayValue?.last?.int64Value == 9_007_199_254_740_991)
    }

    @Test func canonicalStringAndDescription() throws {
        let value: JSONValue = ["b": 1.5, "a": "\u{1F600}"]
        #expect(try JCS.canonicalString(value) == "{\"a\":\"\u{1F600}\",\"b\":1.5}")
        #expect(value.description == "{\"a\":\"\u{1F600}\",\"b\":1.5}")
        #expect(JSONValue.array([.number(JSONNumber(Double.nan))]).description == "[NaN]")
    }
}
