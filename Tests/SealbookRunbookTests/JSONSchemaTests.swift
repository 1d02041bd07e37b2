// The JSON Schema subset (Sources/SealbookRunbook/Schema/JSONSchema.swift): what it refuses at
// load time, and the path, rule and wording of each violation.

import SealbookCore
import SealbookRunbook
import Testing

private func schema(_ text: String) throws -> JSONSchema {
    try JSONSchema(text: text, source: "test.json")
}

private func loadError(_ text: String) -> SchemaError? {
    do {
        _ = try schema(text)
        return nil
    } catch let error as SchemaError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

private func messages(_ s: JSONSchema, _ value: JSONValue) -> [String] {
    s.validate(value).map(\.description)
}

@Suite("JSON Schema: loading")
struct JSONSchemaLoadTests {
    @Test(
        "an unknown keyword fails to load, at the top level and nested, naming where",
        arguments: [
            (#"{"type": "object", "requird": ["a"]}"#, "/requird", "unknown keyword \"requird\""),
            (
                #"{"properties": {"a": {"type": "string", "patern": "^a$"}}}"#, "/properties/a/patern",
                "unknown keyword \"patern\""
            ),
            (#"{"items": {"format": "date-time"}}"#, "/items/format", "unknown keyword \"format\""),
            (#"{"$defs": {"x": {"uniqueItems": true}}}"#, "/$defs/x/uniqueItems", "unknown keyword \"uniqueItems\""),
            (#"{"anyOf": [{"type": "string"}, {"not": {}}]}"#, "/anyOf/1/not", "unknown keyword \"not\""),
            (
                #"{"properties": {"a/b": {"exclusiveMinimum": 1}}}"#, "/properties/a~1b/exclusiveMinimum",
                "unknown keyword \"exclusiveMinimum\""
            ),
        ])
    func unknownKeyword(text: String, pointer: String, message: String) throws {
        let error = try #require(loadError(text))
        #expect(error.source == "test.json")
        #expect(error.pointer == pointer)
        #expect(error.message.hasPrefix(message))
        #expect(error.description.hasPrefix("test.json: #\(pointer): \(message)"))
    }

    @Test(
        "malformed keyword values and unsupported constructs fail to load",
        arguments: [
            (#"{"type": "text"}"#, "/type"),
            (#"{"type": []}"#, "/type"),
            (#"{"type": ["string", "string"]}"#, "/type/1"),
            (#"{"required": "a"}"#, "/required"),
            (#"{"required": ["a", "a"]}"#, "/required/1"),
            (#"{"properties": {"a": {}}, "required": ["b"], "additionalProperties": false}"#, "/required"),
            (#"{"additionalProperties": "no"}"#, "/additionalProperties"),
            (#"{"enum": []}"#, "/enum"),
            (#"{"pattern": "([a-z"}"#, "/pattern"),
            (#"{"minLength": -1}"#, "/minLength"),
            (#"{"maxItems": 1.5}"#, "/maxItems"),
            (#"{"minimum": 0.5}"#, "/minimum"),
            (#"{"minLength": 5, "maxLength": 2}"#, ""),
            (#"{"anyOf": []}"#, "/anyOf"),
            (#"{"items": true}"#, "/items"),
            (##"{"$ref": "#/definitions/x"}"##, "/$ref"),
            (#"{"$ref": "other.json#/$defs/x"}"#, "/$ref"),
            (##"{"$ref": "#/$defs/missing"}"##, "/$ref"),
            (
                ##"{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"anyOf": [{"$ref": "#/$defs/a"}]}}, "$ref": "#/$defs/a"}"##,
                "/$defs/a"
            ),
            (#"{"properties": {"a": {"x-sealbook-roles": ["admin"]}}}"#, "/properties/a/x-sealbook-roles"),
            (#"{"properties": {"a": {"$defs": {}}}}"#, "/properties/a/$defs"),
            (#"{"$schema": "http://json-schema.org/draft-07/schema#"}"#, "/$schema"),
            (#"{"x-sealbook-roles": []}"#, "/x-sealbook-roles"),
            (#"{"x-sealbook-roles": ["admin", "admin"]}"#, "/x-sealbook-roles/1"),
            (#"{"title": 1}"#, "/title"),
            (#"{"examples": {}}"#, "/examples"),
            (#"[]"#, ""),
            (#"{"type": "string",}"#, ""),
        ])
    func malformed(text: String, pointer: String) throws {
        let error = try #require(loadError(text), "\(text) should not load")
        #expect(error.pointer == pointer, "\(error)")
    }

    @Test("annotations are read: title, description, examples, roles")
    func annotations() throws {
        let s = try schema(
            #"""
            {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "urn:x", "title": "T",
             "description": "D", "x-sealbook-roles": ["operator"], "examples": [{"a": 1}], "type": "object"}
            """#)
        #expect(s.title == "T")
        #expect(s.schemaDescription == "D")
        #expect(s.roles == ["operator"])
        #expect(s.examples == [["a": 1]])
        #expect(s.source == "test.json")
    }

    @Test("$defs may refer to each other in any order, and recursion through a member is allowed")
    func refs() throws {
        let s = try schema(
            #"""
            {"$ref": "#/$defs/node",
             "$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/nodeOrNull"}},
                                "additionalProperties": false},
                       "nodeOrNull": {"anyOf": [{"$ref": "#/$defs/node"}, {"type": "null"}]}}}
            """#)
        #expect(s.validate(["next": ["next": ["next": nil]]]).isEmpty)
        #expect(messages(s, ["next": ["next": ["nxt": nil]]]) == ["data.next.next.nxt: member is not allowed"])
    }
}

@Suite("JSON Schema: violations")
struct JSONSchemaViolationTests {
    @Test("the messages of the brief, exactly")
    func briefMessages() throws {
        let s = try schema(
            #"""
            {"type": "object", "additionalProperties": false, "required": ["item"],
             "properties": {"item": {"type": "string"},
                            "threshold": {"type": "object", "properties": {"op": {"enum": ["<", "<=", ">", ">=", "=="]}}},
                            "argv": {"type": "array", "minItems": 1}}}
            """#)
        #expect(
            messages(s, ["threshold": ["op": "=>"], "argv": [], "extra": 1]) == [
                #"data: required member "item" is missing"#,
                #"data.threshold.op: must be one of "<", "<=", ">", ">=", "==" (got "=>")"#,
                "data.argv: must have at least 1 item",
                "data.extra: member is not allowed",
            ])
        #expect(s.validate(["item": "x"]).isEmpty)
        #expect(s.validate(["item": "x"], at: "body.data").isEmpty)
        #expect(messages(s, .object([:])).count == 1)
        #expect(s.validate(["x": 1], at: "payload").map(\.path) == ["payload", "payload.x"])
    }

    @Test("type: integer means an integer literal; number takes both; a wrong type stops the other checks")
    func types() throws {
        let int = try schema(#"{"type": "integer", "minimum": 10}"#)
        #expect(int.validate(12).isEmpty)
        #expect(
            messages(int, 12.0) == [
                #"data: must be an integer (got a non-integer number); write decimals as strings, e.g. "37.5""#
            ])
        #expect(messages(int, 3) == ["data: must be at least 10 (got 3)"])
        #expect(messages(int, "12") == ["data: must be an integer (got a string)"])
        let number = try schema(#"{"type": "number", "maximum": 10}"#)
        #expect(number.validate(2.5).isEmpty)
        #expect(number.validate(2).isEmpty)
        #expect(messages(number, 10.5) == ["data: must be at most 10 (got a non-integer number)"])
        let several = try schema(#"{"type": ["string", "integer", "null"]}"#)
        #expect(several.validate(nil).isEmpty)
        #expect(messages(several, true) == ["data: must be a string, an integer or null (got a boolean)"])
        #expect(messages(several, [1]) == ["data: must be a string, an integer or null (got an array)"])
        #expect(messages(several, ["a": 1]) == ["data: must be a string, an integer or null (got an object)"])
    }

    @Test("pattern is unanchored as in JSON Schema, and $ matches only at the very end")
    func pattern() throws {
        let anchored = try schema(#"{"pattern": "^[0-9a-f]{4}$"}"#)
        #expect(anchored.validate("beef").isEmpty)
        #expect(messages(anchored, "beef\n") == [#"data: must match the pattern ^[0-9a-f]{4}$ (got "beef\n")"#])
        #expect(!anchored.validate("beefy").isEmpty)
        let unanchored = try schema(#"{"pattern": "a"}"#)
        #expect(unanchored.validate("banana").isEmpty)
        // `$` inside a character class and an escaped `\$` keep their meaning.
        let dollar = try schema(#"{"pattern": "^[$]\\$$"}"#)
        #expect(dollar.validate("$$").isEmpty)
        #expect(!dollar.validate("$$\n").isEmpty)
        // Pattern keywords do not apply to other types.
        #expect(anchored.validate(5).isEmpty)
    }

    @Test("minLength and maxLength count Unicode scalars")
    func lengths() throws {
        let s = try schema(#"{"minLength": 2, "maxLength": 3}"#)
        #expect(s.validate("e\u{301}").isEmpty)  // e + combining acute: one character, two scalars
        #expect(messages(s, "🙂") == ["data: must be at least 2 characters long (got 1)"])
        #expect(s.validate("🙂🙂🙂").isEmpty)
        #expect(messages(s, "abcd") == ["data: must be at most 3 characters long (got 4)"])
    }

    @Test("const, enum of several types, items with index paths, maxItems")
    func constEnumItems() throws {
        let s = try schema(
            #"""
            {"properties": {"v": {"const": 1}, "e": {"enum": ["a", 1, null, true]},
                            "list": {"items": {"type": "string"}, "maxItems": 2}}}
            """#)
        #expect(s.validate(["v": 1, "e": nil, "list": ["x"]]).isEmpty)
        #expect(
            messages(s, ["v": 2, "e": false, "list": ["x", 2, "z"]]) == [
                "data.v: must be 1 (got 2)",
                #"data.e: must be one of "a", 1, null, true (got false)"#,
                "data.list: must have at most 2 items",
                "data.list[1]: must be a string (got an integer)",
            ])
    }

    @Test("additionalProperties as a schema; odd member names are quoted in paths")
    func additionalSchema() throws {
        let s = try schema(#"{"type": "object", "additionalProperties": {"type": "string"}}"#)
        #expect(s.validate(["a": "x", "b c": "y"]).isEmpty)
        #expect(
            messages(s, ["b c": 1, "d.e": 2, "ok_-9": 3]) == [
                #"data["b c"]: must be a string (got an integer)"#,
                #"data["d.e"]: must be a string (got an integer)"#,
                "data.ok_-9: must be a string (got an integer)",
            ])
    }

    @Test("anyOf and oneOf: the closest alternative explains the failure")
    func alternatives() throws {
        let nullable = try schema(#"{"anyOf": [{"type": "string", "pattern": "^[a-z]+$"}, {"type": "null"}]}"#)
        #expect(nullable.validate(nil).isEmpty)
        #expect(nullable.validate("abc").isEmpty)
        #expect(nullable.validate("ABC").map(\.rule) == ["pattern"])
        #expect(messages(nullable, 1) == ["data: must be a string or null (got an integer)"])
        let both = try schema(#"{"anyOf": [{"type": "string", "minLength": 5}, {"type": "string", "pattern": "^x"}]}"#)
        #expect(messages(both, "abc") == ["data: must match at least one of 2 alternatives (matched none)"])
        let one = try schema(
            #"{"oneOf": [{"type": "string"}, {"type": "string", "maxLength": 3}, {"type": "integer"}]}"#)
        #expect(one.validate("abcdef").isEmpty)
        #expect(one.validate(1).isEmpty)
        #expect(messages(one, "abc") == ["data: must match exactly one of 3 alternatives (matched 2)"])
        #expect(messages(one, true) == ["data: must be a string or an integer (got a boolean)"])
    }

    @Test("long or digit-heavy strings are never echoed; schema values are cut at 40 characters")
    func noEcho() throws {
        let s = try schema(#"{"enum": ["short", "a value in the schema that is longer than forty characters"]}"#)
        let long = String(repeating: "x", count: 41)
        #expect(
            messages(s, .string(long)) == [
                #"data: must be one of "short", "a value in the schema that is longer tha…""#
            ])
        #expect(
            messages(s, .string(String(repeating: "x", count: 40))).first?.hasSuffix(
                #" (got "\#(String(repeating: "x", count: 40))")"#) == true)
        #expect(
            messages(s, "tel 0123456789012") == [
                #"data: must be one of "short", "a value in the schema that is longer tha…""#
            ])
        #expect(messages(s, 1_234_567_890_123).first?.contains("1234567890123") == false)
        let keyed = try schema(#"{"required": ["a name that is much longer than forty characters, really"]}"#)
        #expect(
            messages(keyed, [:]) == [#"data: required member "a name that is much longer than forty ch…" is missing"#])
    }

    @Test("a validator is Sendable and can be used from many tasks at once")
    func concurrent() async throws {
        let s = try schema(#"{"type": "object", "properties": {"a": {"type": "string", "pattern": "^[a-z]+$"}}}"#)
        let counts = await withTaskGroup(of: Int.self) { group in
            for i in 0..<64 {
                group.addTask { s.validate(["a": i % 2 == 0 ? "abc" : "ABC"]).count }
            }
            return await group.reduce(0, +)
        }
        #expect(counts == 32)
    }
}

@Suite("JSON Schema: x-sealbook-sealed")
struct JSONSchemaSealedTests {
    @Test("x-sealbook-sealed is true beside type string, nothing else")
    func loading() throws {
        #expect(loadError(#"{"type": "string", "x-sealbook-sealed": true}"#) == nil)
        #expect(loadError(#"{"type": "string", "x-sealbook-sealed": false}"#)?.pointer == "/x-sealbook-sealed")
        #expect(loadError(#"{"type": "integer", "x-sealbook-sealed": true}"#)?.pointer == "/x-sealbook-sealed")
        #expect(loadError(#"{"x-sealbook-sealed": true}"#)?.pointer == "/x-sealbook-sealed")
    }

    @Test("sealing replaces exactly the marked strings, through properties, items, additionalProperties and $ref")
    func walk() throws {
        let s = try schema(
            #"""
            {"type": "object", "additionalProperties": false,
             "properties": {
               "reason": {"type": "string", "x-sealbook-sealed": true},
               "scope": {"type": "string"},
               "notes": {"type": "array", "items": {"$ref": "#/$defs/text"}},
               "evidence": {"type": "object", "additionalProperties": {"type": "string", "x-sealbook-sealed": true}},
               "nested": {"type": "object", "properties": {"why": {"$ref": "#/$defs/text"}}}
             },
             "$defs": {"text": {"type": "string", "x-sealbook-sealed": true}}}
            """#)
        #expect(s.hasSealedFields)
        #expect(try !schema(#"{"type": "object", "properties": {"a": {"type": "string"}}}"#).hasSealedFields)
        let value: JSONValue = [
            "reason": "r", "scope": "s", "notes": ["a", "b"], "evidence": ["host": "h"], "nested": ["why": "w"],
            "unknown": "u",
        ]
        var paths: [String] = []
        let sealed = s.sealing(value) { text, path in
            paths.append(path)
            return .string("<\(text)>")
        }
        #expect(
            sealed == [
                "reason": "<r>", "scope": "s", "notes": ["<a>", "<b>"], "evidence": ["host": "<h>"], "nested": ["why": "<w>"],
                "unknown": "u",
            ])
        #expect(paths == ["data.reason", "data.notes[0]", "data.notes[1]", "data.evidence.host", "data.nested.why"])
    }
}
