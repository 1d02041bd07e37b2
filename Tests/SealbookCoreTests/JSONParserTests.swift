// Strict RFC 8259 parser tests: every rejection the parser promises, with the problem named in
// the message, plus numbers, strings, overloads and the JSONValue model.

import Foundation
import SealbookCore
import Testing

/// One input the parser must refuse.
struct JSONRejectCase: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let message: String  // expected substring of the error message
    let offset: Int?

    init(_ name: String, _ text: String, _ message: String, at offset: Int? = nil) {
        self.init(name, Array(text.utf8), message, at: offset)
    }

    init(_ name: String, _ bytes: [UInt8], _ message: String, at offset: Int? = nil) {
        self.name = name
        self.bytes = bytes
        self.message = message
        self.offset = offset
    }

    var testDescription: String { name }
}

/// `"` + bytes + `"`: a string literal holding raw bytes.
private func quoted(_ bytes: [UInt8]) -> [UInt8] { [0x22] + bytes + [0x22] }

@Suite("JSONParser: strict RFC 8259")
struct JSONParserTests {
    static let rejections: [JSONRejectCase] = [
        // Duplicates (compared after decoding escapes).
        .init("duplicate member", #"{"a":1,"a":2}"#, #"duplicate member "a" in object"#, at: 7),
        .init("duplicate via escape", #"{"a":1,"\u0061":2}"#, #"duplicate member "a" in object"#, at: 7),
        .init("duplicate nested", #"{"x":{"b":1,"c":2,"b":3}}"#, #"duplicate member "b" in object"#, at: 18),
        .init("duplicate in a large object",
              "{" + (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + ",\"k17\":0}", #"duplicate member "k17""#),
        .init("duplicate with escaped name", #"{"a\nb":1,"a\u000ab":2}"#, #"duplicate member "a\nb" in object"#),
        // UTF-8.
        .init("overlong 2-byte", quoted([0xC0, 0xAF]), "invalid UTF-8: overlong", at: 1),
        .init("overlong C1", quoted([0xC1, 0xBF]), "invalid UTF-8: overlong", at: 1),
        .init("overlong 3-byte", quoted([0xE0, 0x80, 0xAF]), "invalid UTF-8: overlong", at: 1),
        .init("overlong 4-byte", quoted([0xF0, 0x80, 0x80, 0xAF]), "invalid UTF-8: overlong", at: 1),
        .init("encoded high surrogate", quoted([0xED, 0xA0, 0x80]), "invalid UTF-8: encoded surrogate", at: 1),
        .init("encoded low surrogate", quoted([0xED, 0xBF, 0xBF]), "invalid UTF-8: encoded surrogate", at: 1),
        .init("above U+10FFFF (F4 90)", quoted([0xF4, 0x90, 0x80, 0x80]), "invalid UTF-8: code point above U+10FFFF", at: 1),
        .init("above U+10FFFF (F5)", quoted([0xF5, 0x80, 0x80, 0x80]), "invalid UTF-8: code point above U+10FFFF", at: 1),
        .init("byte FF", quoted([0x61, 0xFF]), "invalid UTF-8", at: 2),
        .init("lone continuation byte", quoted([0x80]), "invalid UTF-8: unexpected continuation byte", at: 1),
        .init("truncated sequence", quoted([0xE2, 0x82]), "invalid UTF-8: truncated sequence", at: 1),
        .init("truncated before ASCII", quoted([0xE2, 0x41, 0x41]), "invalid UTF-8: truncated sequence", at: 1),
        .init("truncated at end of input", [0x22, 0xF0, 0x9F], "invalid UTF-8: truncated sequence", at: 1),
        .init("invalid UTF-8 in a name", [0x7B, 0x22, 0xC0, 0x80, 0x22, 0x3A, 0x31, 0x7D], "invalid UTF-8", at: 2),
        .init("invalid UTF-8 after an escape", quoted([0x5C, 0x6E, 0xED, 0xA0, 0x80]), "invalid UTF-8: encoded surrogate", at: 3),
        .init("non-ASCII outside a string", [0x5B, 0xC3, 0xA9, 0x5D], "unexpected byte 0xc3", at: 1),
        // Surrogate escapes.
        .init("lone high surrogate", #""\ud800""#, #"lone surrogate \ud800"#, at: 1),
        .init("high surrogate then text", #""\uD800x""#, #"lone surrogate \ud800"#, at: 1),
        .init("high surrogate then non-surrogate escape", #""\ud800\u0041""#, #"lone surrogate \ud800"#, at: 1),
        .init("two high surrogates", #""\ud800\udbff""#, #"lone surrogate \ud800"#, at: 1),
        .init("high surrogate then other escape", #""\ud800\n""#, #"lone surrogate \ud800"#, at: 1),
        .init("lone low surrogate", #""a\udc00""#, #"lone surrogate \udc00"#, at: 2),
        .init("reversed pair", #""\ude00\ud83d""#, #"lone surrogate \ude00"#, at: 1),
        // Control characters.
        .init("raw newline in string", "\"a\nb\"", "unescaped control character U+000A", at: 2),
        .init("raw NUL in string", quoted([0x00]), "unescaped control character U+0000", at: 1),
        .init("raw 0x1F in string", quoted([0x1F]), "unescaped control character U+001F", at: 1),
        .init("raw tab in escaped string", "\"\\n\t\"", "unescaped control character U+0009", at: 3),
        // Escapes.
        .init("invalid escape", #""\x""#, #"invalid escape \x"#, at: 1),
        .init("single-quote escape", #""\'""#, #"invalid escape \'"#, at: 1),
        .init("short \\u", #""\u12""#, "invalid \\u escape: expected 4 hex digits", at: 1),
        .init("bad hex", #""\u12G4""#, "invalid \\u escape: expected 4 hex digits", at: 1),
        .init("unterminated string", #"["abc"#, "unterminated string", at: 1),
        .init("unterminated escaped string", #""ab\n"#, "unterminated string", at: 0),
        .init("backslash at end", #""ab\"#, "unterminated string", at: 0),
        // Numbers.
        .init("leading zero", "01", "leading zero in number", at: 0),
        .init("leading zero negative", "-01", "leading zero in number", at: 0),
        .init("double zero", "[00]", "leading zero in number", at: 1),
        .init("plus sign", "+1", "must not start with '+'", at: 0),
        .init("leading dot", ".5", "digit before '.'", at: 0),
        .init("negative leading dot", "-.5", "digit before '.'", at: 1),
        .init("trailing dot", "1.", "digit after '.'", at: 2),
        .init("dot before exponent", "1.e5", "digit after '.'", at: 2),
        .init("empty exponent", "1e", "digit in exponent", at: 2),
        .init("signed empty exponent", "1e+", "digit in exponent", at: 3),
        .init("minus alone", "-", "digit after '-'", at: 1),
        .init("minus letter", "-a", "digit after '-'", at: 1),
        .init("NaN", "NaN", "NaN and Infinity are not JSON numbers", at: 0),
        .init("Infinity", "[Infinity]", "NaN and Infinity are not JSON numbers", at: 1),
        .init("-Infinity", "-Infinity", "NaN and Infinity are not JSON numbers", at: 0),
        .init("hex number", "0x10", "unexpected data after JSON value", at: 1),
        .init("out of range", "1e400", "number out of range", at: 0),
        .init("out of range negative", "[-1.5e309]", "number out of range", at: 1),
        .init("out of range long", "1" + String(repeating: "0", count: 400), "number out of range", at: 0),
        // Structure.
        .init("trailing comma in array", "[1,2,]", "trailing comma in array", at: 5),
        .init("trailing comma in object", #"{"a":1,}"#, "trailing comma in object", at: 7),
        .init("trailing comma with space", "[1 , ]", "trailing comma in array", at: 5),
        .init("leading comma", "[,1]", "expected a value", at: 1),
        .init("missing comma", "[1 2]", "expected ',' or ']' in array", at: 3),
        .init("missing colon", #"{"a" 1}"#, "expected ':' after member name", at: 5),
        .init("non-string name", "{a:1}", "expected a string as member name", at: 1),
        .init("single quotes", "['a']", "unexpected character '''", at: 1),
        .init("unterminated array", "[1,2", "unterminated array", at: 4),
        .init("unterminated object", #"{"a":1"#, "unterminated object", at: 6),
        .init("bad literal", "tru", "invalid literal, expected 'true'", at: 0),
        .init("capitalized literal", "True", "unexpected character 'T'", at: 0),
        .init("BOM", [0xEF, 0xBB, 0xBF, 0x7B, 0x7D], "byte order mark", at: 0),
        .init("trailing garbage", "{} x", "unexpected data after JSON value: character 'x'", at: 3),
        .init("two values", "1 2", "unexpected data after JSON value", at: 2),
        .init("extra bracket", "[]]", "unexpected data after JSON value", at: 2),
        .init("literal with suffix", "nulls", "unexpected data after JSON value", at: 4),
        .init("trailing NUL", [0x31, 0x00], "unexpected data after JSON value: byte 0x00", at: 1),
        .init("empty input", "", "unexpected end of input", at: 0),
        .init("whitespace only", " \n\t ", "unexpected end of input", at: 4),
        .init("form feed is not whitespace", "\u{0C}1", "unexpected byte 0x0c", at: 0),
        .init("NBSP is not whitespace", "\u{A0}1", "unexpected byte 0xc2", at: 0),
        .init("comment", "[1] // c", "unexpected data after JSON value", at: 4),
        // Depth.
        .init("65 nested arrays", String(repeating: "[", count: 65) + String(repeating: "]", count: 65), "nesting deeper than 64", at: 64),
        .init("65 nested objects", String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65), "nesting deeper than 64", at: 320),
        .init("deep unterminated", String(repeating: "[", count: 100_000), "nesting deeper than 64", at: 64),
    ]

    @Test(arguments: rejections)
    func rejects(_ c: JSONRejectCase) {
        do {
            let value = try JSONParser.parse(c.bytes)
            Issue.record("accepted \(value)")
        } catch {
            #expect(error.message.contains(c.message), "message was: \(error.message)")
            if let offset = c.offset { #expect(error.offset == offset, "\(error)") }
            #expect(error.description == "invalid JSON at byte \(error.offset): \(error.message)")
        }
    }

    @Test func errorDescriptionFormat() {
        #expect(throws: JSONParseError(offset: 7, message: #"duplicate member "a" in object"#)) {
            try JSONParser.parse(#"{"a":1,"a":2}"#)
        }
        let e = JSONParseError(offset: 17, message: "unterminated string")
        #expect(e.description == "invalid JSON at byte 17: unterminated string")
    }

    @Test func depthLimit() throws {
        let depth64 = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(try JCS.canonicalString(JSONParser.parse(depth64)) == depth64)
        #expect(throws: JSONParseError(offset: 3, message: "nesting deeper than 3")) {
            try JSONParser.parse("[[[[]]]]", maxDepth: 3)
        }
        #expect(try JSONParser.parse(#"{"a":[{"b":1}]}"#, maxDepth: 3)["a"] != nil)
        #expect(throws: JSONParseError.self) { try JSONParser.parse("[]", maxDepth: 0) }
        #expect(try JSONParser.parse("1", maxDepth: 0) == 1)  // scalars have no depth
        // Siblings do not add up.
        let wide = "[" + Array(repeating: String(repeating: "[", count: 63) + String(repeating: "]", count: 63), count: 50).joined(separator: ",") + "]"
        #expect(try JSONParser.parse(wide).arrayValue?.count == 50)
    }
}

@Suite("JSONParser: accepted input")
struct JSONParserAcceptTests {
    @Test func numbers() throws {
        func number(_ s: String) throws -> JSONNumber { try #require(JSONParser.parse(s).numberValue) }

        #expect(try number("0") == JSONNumber(Int64(0)))
        let negativeZero = try number("-0")
        #expect(negativeZero.integer == 0)
        #expect(negativeZero.value == 0 && negativeZero.value.sign == .minus)
        #expect(try number("-0.0").integer == nil)
        #expect(try number("-0.0").value.sign == .minus)

        let twoTo53 = try number("9007199254740992")
        #expect(twoTo53.integer == 1 << 53 && twoTo53.value == 0x1p53)
        let twoTo53Plus1 = try number("9007199254740993")
        #expect(twoTo53Plus1.integer == (1 << 53) + 1 && twoTo53Plus1.value == 0x1p53)
        #expect(try number("-9007199254740993").integer == -(1 << 53) - 1)

        #expect(try number("9223372036854775807").integer == Int64.max)
        #expect(try number("-9223372036854775808").integer == Int64.min)
        let tooBig = try number("9223372036854775808")
        #expect(tooBig.integer == nil && tooBig.value == 0x1p63)
        let wayTooBig = try number("-123456789012345678901234567890")
        #expect(wayTooBig.integer == nil && wayTooBig.value == -123456789012345678901234567890.0)

        #expect(try number("1.0").integer == nil)
        #expect(try number("1.0").value == 1)
        #expect(try number("1e2") == JSONNumber(100.0))
        #expect(try number("1E+2").value == 100)
        #expect(try number("123e-20").value == 123e-20)
        #expect(try number("-1.5e-7").value == -1.5e-7)
        #expect(try number("1e-400").value == 0)
        #expect(try number("4.9e-324").value == .leastNonzeroMagnitude)
        #expect(try number("1.7976931348623157e308").value == .greatestFiniteMagnitude)
        #expect(try number("0.1000000000000000055511151231257827021181583404541015625").value == 0.1)
        #expect(try number("2.2250738585072011e-308").value == Double("2.2250738585072011e-308"))
    }

    /// The Clinger fast path and the Int64/UInt64 paths agree with the standard library's
    /// correctly rounded conversion.
    @Test func numbersMatchStandardLibrary() throws {
        var rng = JCSRandom(seed: 314)
        for _ in 0..<50_000 {
            let intDigits = String(UInt64.random(in: 0...UInt64.max, using: &rng)).prefix(Int.random(in: 1...20, using: &rng))
            var literal = (Bool.random(using: &rng) ? "-" : "") + (intDigits.first == "0" ? "0" : String(intDigits))
            if Bool.random(using: &rng) {
                literal += "." + String(UInt64.random(in: 0...UInt64.max, using: &rng)).prefix(Int.random(in: 1...20, using: &rng))
            }
            if Bool.random(using: &rng) {
                literal += "e" + String(Int.random(in: -40...40, using: &rng))
            }
            let parsed = try #require(JSONParser.parse(literal).numberValue, "\(literal)")
            #expect(parsed.value.bitPattern == Double(literal)!.bitPattern, "\(literal)")
        }
    }

    @Test func strings() throws {
        #expect(try JSONParser.parse(#""""#) == "")
        #expect(try JSONParser.parse(#""\"\\\/\b\f\n\r\t""#) == "\"\\/\u{8}\u{C}\n\r\t")
        #expect(try JSONParser.parse(#""\u0000""#) == "\u{0}")
        #expect(try JSONParser.parse(#""\ud83d\ude00 \uD83D\uDE00""#) == "\u{1F600} \u{1F600}")
        #expect(try JSONParser.parse(#""\uffff\uFFFD\u00e9""#) == "\u{FFFF}\u{FFFD}\u{E9}")
        #expect(try JSONParser.parse("\"\u{7F}\u{10FFFF}\u{2028}\u{E9}\"") == "\u{7F}\u{10FFFF}\u{2028}\u{E9}")
        // Every well-formed UTF-8 boundary.
        for scalar: UInt32 in [0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFD, 0xFFFF, 0x10000, 0x10FFFF] {
            let s = String(Unicode.Scalar(scalar)!)
            #expect(try JSONParser.parse("\"" + s + "\"") == .string(s))
        }
        // Unnormalized text is kept as it is.
        let nfd = try JSONParser.parse("\"e\u{301}\"")
        #expect(nfd.stringValue.map { Array($0.unicodeScalars) } == ["e", "\u{301}"])
        #expect(nfd != .string("\u{E9}"))  // exact scalars, unlike String ==
    }

    @Test func structureAndOrder() throws {
        let value = try JSONParser.parse(#" {"b": [1, 2.5, "x", true, false, null], "a": {"c": {}}, "": []} "#)
        let object = try #require(value.objectValue)
        #expect(object.keys == ["b", "a", ""])
        #expect(value["b"]?.arrayValue?.count == 6)
        #expect(value["b"]?.arrayValue?[0].int64Value == 1)
        #expect(value["b"]?.arrayValue?[1].int64Value == nil)
        #expect(value["b"]?.arrayValue?[1].doubleValue == 2.5)
        #expect(value["b"]?.arrayValue?[2].stringValue == "x")
        #expect(value["b"]?.arrayValue?[3].boolValue == true)
        #expect(value["b"]?.arrayValue?[5].isNull == true)
        #expect(value["a"]?["c"]?.objectValue?.isEmpty == true)
        #expect(value["missing"] == nil)
        #expect(JSONValue.array([])["b"] == nil)
        #expect(value == ["b": [1, 2.5, "x", true, false, nil], "a": ["c": [:]], "": []])
    }

    @Test func overloadsAgree() throws {
        let text = #"{"k":[1,"\u00e9",{"z":null}]}"#
        let bytes = Array(text.utf8)
        let expected = try JSONParser.parse(text)
        #expect(try JSONParser.parse(bytes) == expected)
        #expect(try JSONParser.parse(bytes[...]) == expected)
        #expect(try JSONParser.parse(Data(bytes)) == expected)
        #expect(try JSONParser.parse(bytes.lazy.map { $0 }) == expected)  // not contiguous: copied
        #expect(try bytes.withUnsafeBytes { try JSONParser.parse($0) } == expected)
        // Offsets are byte offsets even when the input starts inside a larger buffer.
        let padded = Array("xx[1,]".utf8)
        #expect(throws: JSONParseError(offset: 3, message: "trailing comma in array")) {
            try JSONParser.parse(padded[2...])
        }
    }

    @Test func jsonObjectModel() {
        var o = JSONObject()
        o["b"] = 1
        o["a"] = 2
        o["b"] = 3
        #expect(o.keys == ["b", "a"])
        #expect(o["b"] == 3)
        o["b"] = nil
        #expect(o.keys == ["a"])
        o["\u{E9}"] = 4
        o["e\u{301}"] = 5
        #expect(o.count == 3)
        #expect(o["\u{E9}"] == 4 && o["e\u{301}"] == 5)
        // Order-insensitive equality.
        #expect(JSONObject([("x", 1), ("y", 2)]) == JSONObject([("y", 2), ("x", 1)]))
        #expect(JSONObject([("x", 1), ("y", 2)]) != JSONObject([("x", 1), ("y", 3)]))
        #expect(JSONObject([("x", 1)]) != JSONObject([("x", 1), ("y", 2)]))
        let literal: JSONObject = ["z": 1, "a": 2]
        #expect(literal.keys == ["z", "a"])
        // Numbers: integer literals and doubles are distinct even when the value is the same.
        #expect(JSONNumber(Int64(1)) != JSONNumber(1.0))
        #expect(JSONNumber(Int64(5)).value == 5 && JSONNumber(Int64(5)).integer == 5)
        #expect(JSONNumber(2.5).integer == nil)
        let v: JSONValue = 7
        #expect(v.int64Value == 7)
    }
}
