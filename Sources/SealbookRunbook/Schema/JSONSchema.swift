// A JSON Schema (draft 2020-12) validator for the keywords Sealbook's schemas use, and no more.
//
// Supported: type, properties, required, additionalProperties, items, minItems, maxItems, enum,
// const, pattern, minLength, maxLength, minimum, maximum, $defs, $ref ("#/$defs/<name>" only),
// anyOf, oneOf; the annotations title, description, examples, $schema, $id; and Sealbook's
// x-sealbook-roles and x-sealbook-sealed (a free-text string an append seals: docs/EVENTS.md;
// only beside `"type": "string"`, and found by ``JSONSchema/sealing(_:_:)`` only through
// properties, items, additionalProperties and $ref, never inside anyOf / oneOf). Any other keyword is refused when the schema is loaded, so that a typo
// ("requird") fails loudly instead of silently validating nothing.
//
// Deliberate restrictions, all checked at load time:
// - $schema, $id, $defs and x-sealbook-roles only at the top level of a schema;
// - `type: "integer"` means a number written as an integer literal (``JSONNumber/integer`` set):
//   `1.0` is not an integer here, because the ledger refuses every non-integer literal;
// - minimum and maximum are integers; minLength and maxLength count Unicode scalars;
// - pattern is an ECMA-262-style regular expression run by NSRegularExpression, unanchored as in
//   JSON Schema (write ^ and $), except that `$` matches only at the very end of the string
//   (ICU's `$` also matches before a final line break; ECMA-262's does not);
// - a `required` member must be listed in `properties` when `additionalProperties` is false
//   (otherwise no value could ever match);
// - a chain of $ref / anyOf / oneOf that comes back to itself without descending into a member
//   or an item is refused (validation would never end).

internal import Foundation
public import SealbookCore

/// Why a schema could not be loaded: which file, where in it (a JSON Pointer), and what is wrong.
public struct SchemaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The schema's name as given to ``JSONSchema/init(json:source:)``, e.g. `events/session.opened.json`.
    public let source: String
    /// JSON Pointer into the schema (RFC 6901), empty for the schema itself: `/properties/item`.
    public let pointer: String
    /// What is wrong, e.g. `unknown keyword "requird"`.
    public let message: String

    public init(source: String, pointer: String, message: String) {
        self.source = source
        self.pointer = pointer
        self.message = message
    }

    /// `events/x.json: #/properties/item: unknown keyword "requird"`.
    public var description: String { "\(source): #\(pointer): \(message)" }
}

/// One way in which a value does not fit a schema.
public struct SchemaViolation: Sendable, Equatable, CustomStringConvertible {
    /// Where in the value, e.g. `data.threshold.op`, `data.argv[0]`, `data` for the value itself.
    public let path: String
    /// The schema keyword that was broken: `type`, `required`, `additionalProperties`, `enum`,
    /// `const`, `pattern`, `minLength`, `maxLength`, `minimum`, `maximum`, `minItems`,
    /// `maxItems`, `anyOf` or `oneOf`.
    public let rule: String
    /// The rule in words, without the path: `must be one of "pass", "fail", "n/a"`.
    public let message: String

    public init(path: String, rule: String, message: String) {
        self.path = path
        self.rule = rule
        self.message = message
    }

    /// `<path>: <message>`, e.g. `data: required member "item" is missing`.
    public var description: String { "\(path): \(message)" }
}

/// A loaded, checked JSON Schema that validates ``JSONValue``s (see the file header for the
/// supported keywords).
public struct JSONSchema: Sendable {
    /// The name the schema was loaded under, used in error messages.
    public let source: String
    /// The top-level `title`, if any.
    public let title: String?
    /// The top-level `description`, if any.
    public let schemaDescription: String?
    /// The top-level `examples` (empty when there are none).
    public let examples: [JSONValue]
    /// The top-level `x-sealbook-roles` as written (not checked against ``Role``; see
    /// ``EventCatalog``), or `nil` when absent.
    public let roles: [String]?

    /// The top-level `$id`, if any.
    let id: String?

    /// The compiled schema nodes; `nodes[0]` is the top level.
    let nodes: [Node]

    /// Loads and checks a schema. Throws for an unknown keyword, a keyword whose value has the
    /// wrong shape, a pattern that does not compile, or a `$ref` that does not resolve.
    public init(json: JSONValue, source: String) throws(SchemaError) {
        var compiler = Compiler(source: source)
        try compiler.compileDocument(json)
        self.source = source
        self.nodes = compiler.nodes
        let root = json.objectValue ?? JSONObject()
        self.id = root["$id"]?.stringValue
        self.title = root["title"]?.stringValue
        self.schemaDescription = root["description"]?.stringValue
        self.examples = root["examples"]?.arrayValue ?? []
        self.roles = root["x-sealbook-roles"]?.arrayValue?.compactMap(\.stringValue)
    }

    /// Parses `text` as strict JSON and loads it as a schema (see ``init(json:source:)``).
    public init(text: String, source: String) throws(SchemaError) {
        let json: JSONValue
        do { json = try JSONParser.parse(text) } catch {
            throw SchemaError(source: source, pointer: "", message: "not valid JSON: \(error)")
        }
        try self.init(json: json, source: source)
    }

    /// Every way in which `value` does not fit, in a stable order (empty when it fits). `path`
    /// names the value in messages; an event's payload is `data`.
    public func validate(_ value: JSONValue, at path: String = "data") -> [SchemaViolation] {
        var out: [SchemaViolation] = []
        validate(value, node: 0, path: path, into: &out)
        return out
    }

    /// Whether any member of a value of this schema is sealed (`x-sealbook-sealed`).
    public var hasSealedFields: Bool { nodes.contains(where: \.sealed) }

    /// `value` with every string the schema marks `x-sealbook-sealed` replaced by
    /// `seal(text, path)` (path as in violations: `data.reason`, `data.evidence.location`). The
    /// walk follows `properties`, `items`, a schema-valued `additionalProperties` and `$ref`,
    /// as validation does; a marked member that holds no string is left as it is.
    public func sealing(_ value: JSONValue, at path: String = "data", _ seal: (String, String) throws -> JSONValue)
        rethrows -> JSONValue
    {
        try sealing(value, node: 0, path: path, seal)
    }

    private func sealing(_ v: JSONValue, node index: Int, path: String, _ seal: (String, String) throws -> JSONValue)
        rethrows -> JSONValue
    {
        let n = nodes[index]
        if let r = n.ref { return try sealing(v, node: r, path: path, seal) }
        switch v {
        case .string(let s) where n.sealed:
            return try seal(s, path)
        case .array(let a):
            guard let item = n.items else { return v }
            return .array(try a.enumerated().map { try sealing($1, node: item, path: DataPath.index(path, $0), seal) })
        case .object(let o):
            var out = JSONObject()
            for (name, value) in o.members {
                let at = DataPath.member(path, name)
                if let p = n.properties.first(where: { $0.name.unicodeScalars.elementsEqual(name.unicodeScalars) }) {
                    out.members.append((key: name, value: try sealing(value, node: p.node, path: at, seal)))
                } else if case .schema(let s) = n.additional {
                    out.members.append((key: name, value: try sealing(value, node: s, path: at, seal)))
                } else {
                    out.members.append((key: name, value: value))
                }
            }
            return .object(out)
        default:
            return v
        }
    }

    /// Whether the top level requires an object and forbids members it does not list.
    var isClosedObject: Bool {
        nodes[0].types == [.object] && nodes[0].additional == .forbidden
    }
}

// MARK: - Compiled form

extension JSONSchema {
    /// A JSON type name of the `type` keyword.
    enum Kind: String, Sendable, CaseIterable {
        case null, boolean, object, array, number, string, integer

        /// `a string`, `an integer`, `null`, ...
        var phrase: String {
            switch self {
            case .null: "null"
            case .boolean: "a boolean"
            case .object: "an object"
            case .array: "an array"
            case .number: "a number"
            case .string: "a string"
            case .integer: "an integer"
            }
        }

        func admits(_ v: JSONValue) -> Bool {
            switch (self, v) {
            case (.null, .null), (.boolean, .bool), (.object, .object), (.array, .array),
                (.number, .number), (.string, .string):
                true
            case (.integer, .number(let n)): n.integer != nil
            default: false
            }
        }
    }

    enum Additional: Sendable, Equatable {
        case allowed, forbidden
        case schema(Int)
    }

    /// A compiled `pattern`.
    struct Pattern: @unchecked Sendable {
        // @unchecked: NSRegularExpression is immutable once built, and Foundation documents it
        // as safe to use from several threads at once.
        let source: String
        let regex: NSRegularExpression

        func matches(_ s: String) -> Bool {
            regex.firstMatch(in: s, options: [], range: NSRange(location: 0, length: s.utf16.count)) != nil
        }
    }

    /// One schema object, its keywords compiled; children are indices into ``JSONSchema/nodes``.
    struct Node: Sendable {
        var pointer = ""
        var ref: Int?
        var types: [Kind]?
        var enumValues: [JSONValue]?
        var constValue: JSONValue?
        var minLength: Int?
        var maxLength: Int?
        var pattern: Pattern?
        var minimum: Int64?
        var maximum: Int64?
        var minItems: Int?
        var maxItems: Int?
        var items: Int?
        var properties: [(name: String, node: Int)] = []
        var required: [String] = []
        var additional: Additional = .allowed
        var anyOf: [Int]?
        var oneOf: [Int]?
        /// `x-sealbook-sealed: true`: a free-text string that an append seals (docs/EVENTS.md).
        var sealed = false
    }
}

// MARK: - Loading

/// The draft this validator implements; the only value `$schema` may have.
private let draft202012 = "https://json-schema.org/draft/2020-12/schema"

private let anywhereKeywords: Set<String> = [
    "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
    "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum", "$ref", "oneOf",
    "anyOf", "title", "description", "examples", "x-sealbook-sealed",
]
private let topLevelKeywords: Set<String> = ["$schema", "$id", "$defs", "x-sealbook-roles"]

private struct Compiler {
    let source: String
    var nodes: [JSONSchema.Node] = []
    var definitions: [String: Int] = [:]
    var pendingRefs: [(node: Int, name: String, pointer: String)] = []

    init(source: String) { self.source = source }

    func fail(_ pointer: String, _ message: String) -> SchemaError {
        SchemaError(source: source, pointer: pointer, message: message)
    }

    mutating func compileDocument(_ json: JSONValue) throws(SchemaError) {
        guard case .object(let root) = json else { throw fail("", "a schema must be a JSON object") }
        nodes.append(JSONSchema.Node())  // index 0: the top level, filled in below
        if let defs = root["$defs"] {
            guard case .object(let o) = defs else { throw fail("/$defs", "must be an object of schemas") }
            for (name, def) in o.members {
                definitions[name] = try compile(def, pointer: "/$defs/\(escape(name))")
            }
        }
        nodes[0] = try node(root, pointer: "", index: 0)
        for r in pendingRefs {
            guard let target = definitions[r.name] else {
                throw fail(r.pointer, "$ref \"#/$defs/\(r.name)\" names no entry of $defs")
            }
            nodes[r.node].ref = target
        }
        try checkForLoops()
    }

    /// Compiles a subschema and returns its index.
    mutating func compile(_ json: JSONValue, pointer: String) throws(SchemaError) -> Int {
        guard case .object(let o) = json else { throw fail(pointer, "a schema must be a JSON object") }
        let index = nodes.count
        nodes.append(JSONSchema.Node())
        let compiled = try node(o, pointer: pointer, index: index)
        nodes[index] = compiled
        return index
    }

    /// Compiles the keywords of the schema object that will sit at `nodes[index]` (0: the top
    /// level).
    mutating func node(_ o: JSONObject, pointer: String, index: Int) throws(SchemaError) -> JSONSchema.Node {
        let topLevel = index == 0
        var n = JSONSchema.Node()
        n.pointer = pointer
        for (keyword, value) in o.members {
            let at = "\(pointer)/\(escape(keyword))"
            if topLevelKeywords.contains(keyword) {
                guard topLevel else { throw fail(at, "\(keyword) is allowed only at the top level of a schema") }
            } else if !anywhereKeywords.contains(keyword) {
                throw fail(at, "unknown keyword \"\(keyword)\" (supported: \(supportedList))")
            }
            switch keyword {
            case "$schema":
                guard value.stringValue == draft202012 else { throw fail(at, "must be \"\(draft202012)\"") }
            case "$id", "title", "description":
                guard value.stringValue != nil else { throw fail(at, "must be a string") }
            case "$defs":
                break  // compiled first, by compileDocument
            case "examples":
                guard value.arrayValue != nil else { throw fail(at, "must be an array") }
            case "x-sealbook-sealed":
                guard value == .bool(true), o["type"] == .string("string") else {
                    throw fail(at, "must be true, on a schema with \"type\": \"string\"")
                }
                n.sealed = true
            case "x-sealbook-roles":
                guard case .array(let a) = value, !a.isEmpty else {
                    throw fail(at, "must be a non-empty array of role names")
                }
                var seen = Set<String>()
                for (i, r) in a.enumerated() {
                    guard case .string(let s) = r, !s.isEmpty else { throw fail("\(at)/\(i)", "must be a role name") }
                    guard seen.insert(s).inserted else { throw fail("\(at)/\(i)", "role \"\(s)\" is listed twice") }
                }
            case "type":
                n.types = try types(value, at: at)
            case "enum":
                guard case .array(let a) = value, !a.isEmpty else { throw fail(at, "must be a non-empty array") }
                n.enumValues = a
            case "const":
                n.constValue = value
            case "pattern":
                guard case .string(let p) = value else { throw fail(at, "must be a string") }
                do {
                    n.pattern = .init(source: p, regex: try NSRegularExpression(pattern: Self.icuPattern(p)))
                } catch {
                    throw fail(at, "is not a valid regular expression")
                }
            case "minLength": n.minLength = try count(value, at: at)
            case "maxLength": n.maxLength = try count(value, at: at)
            case "minItems": n.minItems = try count(value, at: at)
            case "maxItems": n.maxItems = try count(value, at: at)
            case "minimum", "maximum":
                guard let i = value.int64Value else { throw fail(at, "must be an integer") }
                if keyword == "minimum" { n.minimum = i } else { n.maximum = i }
            case "items":
                n.items = try compile(value, pointer: at)
            case "properties":
                guard case .object(let props) = value else { throw fail(at, "must be an object of schemas") }
                for (name, sub) in props.members {
                    n.properties.append((name, try compile(sub, pointer: "\(at)/\(escape(name))")))
                }
            case "required":
                guard case .array(let a) = value else { throw fail(at, "must be an array of member names") }
                for (i, r) in a.enumerated() {
                    guard case .string(let s) = r else { throw fail("\(at)/\(i)", "must be a member name") }
                    guard !n.required.contains(s) else { throw fail("\(at)/\(i)", "\"\(s)\" is listed twice") }
                    n.required.append(s)
                }
            case "additionalProperties":
                switch value {
                case .bool(let b): n.additional = b ? .allowed : .forbidden
                case .object: n.additional = .schema(try compile(value, pointer: at))
                default: throw fail(at, "must be a boolean or a schema")
                }
            case "anyOf", "oneOf":
                guard case .array(let a) = value, !a.isEmpty else {
                    throw fail(at, "must be a non-empty array of schemas")
                }
                var subs: [Int] = []
                for (i, s) in a.enumerated() { subs.append(try compile(s, pointer: "\(at)/\(i)")) }
                if keyword == "anyOf" { n.anyOf = subs } else { n.oneOf = subs }
            case "$ref":
                let prefix = "#/$defs/"
                guard case .string(let r) = value, r.hasPrefix(prefix), r.count > prefix.count,
                    !r.dropFirst(prefix.count).contains("/")
                else { throw fail(at, "must be \"#/$defs/<name>\" (no other references are supported)") }
                let name = unescape(String(r.dropFirst(prefix.count)))
                // Resolved once every definition is compiled.
                pendingRefs.append((node: index, name: name, pointer: at))
            default:
                preconditionFailure("keyword \(keyword) is listed as supported but not handled")
            }
        }
        if n.additional == .forbidden {
            let listed = Set(n.properties.map(\.name))
            for name in n.required where !listed.contains(name) {
                throw fail(
                    "\(pointer)/required",
                    "\"\(name)\" is required but not listed in properties, and additionalProperties is false")
            }
        }
        if let lo = n.minLength, let hi = n.maxLength, lo > hi {
            throw fail(pointer, "minLength is greater than maxLength")
        }
        if let lo = n.minItems, let hi = n.maxItems, lo > hi {
            throw fail(pointer, "minItems is greater than maxItems")
        }
        if let lo = n.minimum, let hi = n.maximum, lo > hi { throw fail(pointer, "minimum is greater than maximum") }
        return n
    }

    func types(_ value: JSONValue, at: String) throws(SchemaError) -> [JSONSchema.Kind] {
        func kind(_ v: JSONValue, _ at: String) throws(SchemaError) -> JSONSchema.Kind {
            guard case .string(let s) = v, let k = JSONSchema.Kind(rawValue: s) else {
                throw fail(
                    at, "must name a JSON type: \(JSONSchema.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return k
        }
        switch value {
        case .string: return [try kind(value, at)]
        case .array(let a) where !a.isEmpty:
            var out: [JSONSchema.Kind] = []
            for (i, v) in a.enumerated() {
                let k = try kind(v, "\(at)/\(i)")
                guard !out.contains(k) else { throw fail("\(at)/\(i)", "\"\(k.rawValue)\" is listed twice") }
                out.append(k)
            }
            return out
        default: throw fail(at, "must be a type name or a non-empty array of type names")
        }
    }

    func count(_ value: JSONValue, at: String) throws(SchemaError) -> Int {
        guard let i = value.int64Value, i >= 0, i <= Int64(Int32.max) else {
            throw fail(at, "must be a non-negative integer")
        }
        return Int(i)
    }

    /// Refuses a cycle of $ref / anyOf / oneOf edges: such a schema would validate a value
    /// against itself forever without ever looking inside it.
    func checkForLoops() throws(SchemaError) {
        var state = [UInt8](repeating: 0, count: nodes.count)  // 0 new, 1 on the path, 2 done
        func visit(_ i: Int) throws(SchemaError) {
            if state[i] == 2 { return }
            if state[i] == 1 {
                throw fail(
                    nodes[i].pointer, "$ref / anyOf / oneOf loop back to this schema without descending into the value")
            }
            state[i] = 1
            var next: [Int] = []
            if let r = nodes[i].ref { next.append(r) }
            next += nodes[i].anyOf ?? []
            next += nodes[i].oneOf ?? []
            for j in next { try visit(j) }
            state[i] = 2
        }
        for i in nodes.indices { try visit(i) }
    }

    /// JSON Schema patterns follow ECMA-262, where `$` (without the multiline flag) matches only
    /// at the end of the input; ICU's `$` also matches before a final line terminator. Rewrites
    /// every unescaped `$` outside a character class as `\z`.
    static func icuPattern(_ p: String) -> String {
        var out = ""
        var inClass = false
        var escaped = false
        for ch in p {
            if escaped {
                out.append(ch)
                escaped = false
            } else if ch == "\\" {
                out.append(ch)
                escaped = true
            } else if inClass {
                if ch == "]" { inClass = false }
                out.append(ch)
            } else if ch == "[" {
                inClass = true
                out.append(ch)
            } else if ch == "$" {
                out += "\\z"
            } else {
                out.append(ch)
            }
        }
        return out
    }

    private var supportedList: String {
        (anywhereKeywords.union(topLevelKeywords)).sorted().joined(separator: ", ")
    }

    func escape(_ name: String) -> String {
        name.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    func unescape(_ name: String) -> String {
        name.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
    }
}

// MARK: - Validating

extension JSONSchema {
    fileprivate func validate(_ v: JSONValue, node index: Int, path: String, into out: inout [SchemaViolation]) {
        let n = nodes[index]
        if let r = n.ref { validate(v, node: r, path: path, into: &out) }

        if let types = n.types, !types.contains(where: { $0.admits(v) }) {
            out.append(typeViolation(expected: types, got: v, path: path))
            return
        }
        if let c = n.constValue, c != v {
            out.append(.init(path: path, rule: "const", message: "must be \(Quote.schemaValue(c))\(Quote.got(v))"))
        }
        if let e = n.enumValues, !e.contains(v) {
            let choices = e.map(Quote.schemaValue).joined(separator: ", ")
            let message = e.count == 1 ? "must be \(choices)" : "must be one of \(choices)"
            out.append(.init(path: path, rule: "enum", message: message + Quote.got(v)))
        }

        switch v {
        case .string(let s):
            let length = s.unicodeScalars.count
            if let lo = n.minLength, length < lo {
                let message = lo == 1 ? "must not be empty" : "must be at least \(lo) characters long (got \(length))"
                out.append(.init(path: path, rule: "minLength", message: message))
            }
            if let hi = n.maxLength, length > hi {
                out.append(
                    .init(
                        path: path, rule: "maxLength", message: "must be at most \(hi) characters long (got \(length))")
                )
            }
            if let p = n.pattern, !p.matches(s) {
                out.append(
                    .init(path: path, rule: "pattern", message: "must match the pattern \(p.source)\(Quote.got(v))"))
            }
        case .number(let num):
            if let lo = n.minimum, num.value < Double(lo) {
                out.append(.init(path: path, rule: "minimum", message: "must be at least \(lo)\(Quote.got(v))"))
            }
            if let hi = n.maximum, num.value > Double(hi) {
                out.append(.init(path: path, rule: "maximum", message: "must be at most \(hi)\(Quote.got(v))"))
            }
        case .array(let elements):
            if let lo = n.minItems, elements.count < lo {
                out.append(
                    .init(path: path, rule: "minItems", message: "must have at least \(lo) item\(lo == 1 ? "" : "s")"))
            }
            if let hi = n.maxItems, elements.count > hi {
                out.append(
                    .init(path: path, rule: "maxItems", message: "must have at most \(hi) item\(hi == 1 ? "" : "s")"))
            }
            if let item = n.items {
                for (i, e) in elements.enumerated() {
                    validate(e, node: item, path: DataPath.index(path, i), into: &out)
                }
            }
        case .object(let o):
            for name in n.required where o.index(of: name) == nil {
                out.append(
                    .init(path: path, rule: "required", message: "required member \(Quote.name(name)) is missing"))
            }
            for (name, value) in o.members {
                let memberPath = DataPath.member(path, name)
                if let p = n.properties.first(where: { $0.name.unicodeScalars.elementsEqual(name.unicodeScalars) }) {
                    validate(value, node: p.node, path: memberPath, into: &out)
                    continue
                }
                switch n.additional {
                case .allowed: break
                case .forbidden:
                    out.append(.init(path: memberPath, rule: "additionalProperties", message: "member is not allowed"))
                case .schema(let s): validate(value, node: s, path: memberPath, into: &out)
                }
            }
        case .null, .bool:
            break
        }

        if let alternatives = n.anyOf {
            let results = alternatives.map { alternative in
                var r: [SchemaViolation] = []
                validate(v, node: alternative, path: path, into: &r)
                return r
            }
            if !results.contains(where: \.isEmpty) {
                out += explain(results, alternatives: alternatives, got: v, path: path, rule: "anyOf")
            }
        }
        if let alternatives = n.oneOf {
            let results = alternatives.map { alternative in
                var r: [SchemaViolation] = []
                validate(v, node: alternative, path: path, into: &r)
                return r
            }
            let matched = results.filter(\.isEmpty).count
            if matched == 0 {
                out += explain(results, alternatives: alternatives, got: v, path: path, rule: "oneOf")
            } else if matched > 1 {
                out.append(
                    .init(
                        path: path, rule: "oneOf",
                        message: "must match exactly one of \(alternatives.count) alternatives (matched \(matched))"))
            }
        }
    }

    /// The violations to report when no alternative of anyOf / oneOf matched: those of the one
    /// alternative whose type fits when there is exactly one (`data.from: must match the pattern
    /// …` for a nullable revision), one type violation when no alternative's type fits, and a
    /// summary otherwise.
    private func explain(
        _ results: [[SchemaViolation]], alternatives: [Int], got v: JSONValue, path: String, rule: String
    ) -> [SchemaViolation] {
        func typeFailed(_ r: [SchemaViolation]) -> Bool { r.contains { $0.rule == "type" && $0.path == path } }
        let fitting = results.filter { !typeFailed($0) }
        if fitting.count == 1 { return fitting[0] }
        if fitting.isEmpty {
            var kinds: [Kind] = []
            for a in alternatives {
                for k in expectedKinds(a) ?? [] where !kinds.contains(k) { kinds.append(k) }
            }
            if !kinds.isEmpty { return [typeViolation(expected: kinds, got: v, path: path, rule: rule)] }
        }
        let quantifier = rule == "oneOf" ? "exactly one" : "at least one"
        return [
            .init(
                path: path, rule: rule,
                message: "must match \(quantifier) of \(alternatives.count) alternatives (matched none)")
        ]
    }

    /// The types a node admits, following `$ref`, or nil when it does not constrain the type.
    private func expectedKinds(_ index: Int) -> [Kind]? {
        if let t = nodes[index].types { return t }
        if let r = nodes[index].ref { return expectedKinds(r) }
        return nil
    }

    private func typeViolation(expected: [Kind], got v: JSONValue, path: String, rule: String = "type")
        -> SchemaViolation
    {
        let phrases = expected.map(\.phrase)
        let list =
            phrases.count == 1
            ? phrases[0] : phrases.dropLast().joined(separator: ", ") + " or " + phrases[phrases.count - 1]
        var message = "must be \(list) (got \(Quote.kind(of: v)))"
        if case .number(let n) = v, n.integer == nil, expected.contains(.integer) || expected.contains(.string) {
            message += "; write decimals as strings, e.g. \"37.5\""
        }
        return SchemaViolation(path: path, rule: rule, message: message)
    }
}

// MARK: - Paths and quoting

/// How a value's location is written in messages: `data.threshold.op`, `data.argv[0]`, and
/// `data["odd name"]` for a member name that is not made of letters, digits, `_` and `-`.
enum DataPath {
    static func member(_ base: String, _ name: String) -> String {
        let plain =
            !name.isEmpty
            && name.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
                    || b == 0x2D
            }
        return plain ? "\(base).\(name)" : "\(base)[\(Quote.name(name))]"
    }

    static func index(_ base: String, _ i: Int) -> String { "\(base)[\(i)]" }
}

/// Rendering of values in messages. A string from the data is shown only when it is at most 40
/// characters long and holds fewer than 13 ASCII digits (so that no message can carry a card
/// number, even if a caller validates before running ``CardNumberGuard``).
enum Quote {
    static let maxEcho = 40

    /// A member name, JSON-quoted, cut at 40 characters.
    static func name(_ s: String) -> String { JSONValue.string(cut(s)).description }

    /// A value from a schema (enum, const), strings cut at 40 characters.
    static func schemaValue(_ v: JSONValue) -> String {
        if case .string(let s) = v { return JSONValue.string(cut(s)).description }
        return v.description
    }

    /// ` (got "x")` for a short, safe string or a number; empty otherwise.
    static func got(_ v: JSONValue) -> String {
        switch v {
        case .string(let s):
            guard s.unicodeScalars.count <= maxEcho, s.utf8.filter({ $0 >= 0x30 && $0 <= 0x39 }).count < 13 else {
                return ""
            }
            return " (got \(v.description))"
        case .number(let n):
            guard n.integer != nil else { return " (got a non-integer number)" }
            let text = v.description
            return text.utf8.filter({ $0 >= 0x30 && $0 <= 0x39 }).count < 13 ? " (got \(text))" : ""
        case .bool, .null:
            return " (got \(v.description))"
        case .array, .object:
            return " (got \(kind(of: v)))"
        }
    }

    /// `a string`, `an integer`, `a non-integer number`, ...
    static func kind(of v: JSONValue) -> String {
        switch v {
        case .null: "null"
        case .bool: "a boolean"
        case .number(let n): n.integer != nil ? "an integer" : "a non-integer number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    private static func cut(_ s: String) -> String {
        let scalars = s.unicodeScalars
        guard scalars.count > maxEcho else { return s }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars.prefix(maxEcho))
        return String(out) + "…"
    }
}
