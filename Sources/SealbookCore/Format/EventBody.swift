/// A format-v1 event body (`docs/FORMAT.md` §2). Building one checks every rule
/// that the format puts on a body; a value that exists is valid.
public struct EventBody: Sendable, Equatable {
    public var ledger: String
    public var stream: String
    public var streamSeq: Int64
    public var streamPrev: Digest32
    public var type: String
    public var time: String
    public var actor: String
    public var key: String
    public var data: JSONObject
    public var idem: String?

    /// Builds a body and checks it against the format's rules.
    public init(
        ledger: String, stream: String, streamSeq: Int64, streamPrev: Digest32, type: String,
        time: String, actor: String, key: String, data: JSONObject, idem: String? = nil
    ) throws(BodyError) {
        self.ledger = ledger
        self.stream = stream
        self.streamSeq = streamSeq
        self.streamPrev = streamPrev
        self.type = type
        self.time = time
        self.actor = actor
        self.key = key
        self.data = data
        self.idem = idem
        try validate()
    }

    /// The members a v1 body may hold.
    public static let memberNames: Set<String> = [
        "v", "ledger", "stream", "streamSeq", "streamPrev", "type", "time", "actor", "key", "data", "idem",
    ]

    /// Decodes and checks a parsed body.
    public init(json: JSONValue) throws(BodyError) {
        guard case .object(let o) = json else { throw BodyError(path: "", rule: "a body must be a JSON object") }
        for k in o.keys where !Self.memberNames.contains(k) {
            throw BodyError(path: k, rule: "unknown member (format v1 allows only \(Self.memberNames.sorted().joined(separator: ", ")))")
        }
        func str(_ k: String) throws(BodyError) -> String {
            guard let v = o[k] else { throw BodyError(path: k, rule: "required member is missing") }
            guard case .string(let s) = v else { throw BodyError(path: k, rule: "must be a string") }
            return s
        }
        guard let v = o["v"] else { throw BodyError(path: "v", rule: "required member is missing") }
        guard v.int64Value == FormatV1.version else { throw BodyError(path: "v", rule: "must be the integer 1") }
        guard let seqValue = o["streamSeq"] else { throw BodyError(path: "streamSeq", rule: "required member is missing") }
        guard let seq = seqValue.int64Value else { throw BodyError(path: "streamSeq", rule: "must be an integer") }
        let prevText = try str("streamPrev")
        guard let prev = Digest32(hex: prevText) else {
            throw BodyError(path: "streamPrev", rule: "must be 64 lowercase hex digits")
        }
        guard let dataValue = o["data"] else { throw BodyError(path: "data", rule: "required member is missing") }
        guard case .object(let data) = dataValue else { throw BodyError(path: "data", rule: "must be a JSON object") }
        var idem: String? = nil
        if let i = o["idem"] {
            guard case .string(let s) = i else { throw BodyError(path: "idem", rule: "must be a string") }
            idem = s
        }
        try self.init(
            ledger: str("ledger"), stream: str("stream"), streamSeq: seq, streamPrev: prev, type: str("type"),
            time: str("time"), actor: str("actor"), key: str("key"), data: data, idem: idem)
        // The value rules need no second walk of the whole body: `validate()` (run by the
        // initializer above) checked `data`, and every other member was checked by type here.
    }

    /// Checks the member rules (not the size, which needs the canonical bytes).
    public func validate() throws(BodyError) {
        guard FormatV1.isValidLedgerID(ledger) else {
            throw BodyError(path: "ledger", rule: "must match [a-z0-9][a-z0-9._-]{0,62}")
        }
        guard FormatV1.isValidStreamID(stream) else {
            throw BodyError(path: "stream", rule: "must be 1-200 characters of [A-Za-z0-9._~:/@+-], starting with a letter or digit")
        }
        guard streamSeq >= 1, streamSeq <= FormatV1.maxSafeInteger else {
            throw BodyError(path: "streamSeq", rule: "must be an integer from 1 to 2^53-1")
        }
        if streamSeq == 1 && streamPrev != .zero {
            throw BodyError(path: "streamPrev", rule: "must be 64 zeros when streamSeq is 1")
        }
        guard FormatV1.isValidType(type) else {
            throw BodyError(path: "type", rule: "must be lowercase dotted segments of [a-z][a-z0-9_-]*, at most 100 characters")
        }
        guard FormatV1.isValidTime(time) else {
            throw BodyError(path: "time", rule: "must be RFC 3339 UTC with milliseconds, like 2026-11-24T18:30:00.123Z")
        }
        guard FormatV1.isValidActor(actor) else {
            throw BodyError(path: "actor", rule: "must be a pseudonymous id like alice@fingood ([a-z0-9][a-z0-9._-]* with an optional @org)")
        }
        guard FormatV1.isValidKeyID(key) else {
            throw BodyError(path: "key", rule: "must be a key id: ed25519: followed by 16 lowercase hex digits")
        }
        if let idem, !FormatV1.isValidIdem(idem) {
            throw BodyError(path: "idem", rule: "must be 1-200 characters with no control characters")
        }
        try BodyRules.check(.object(data), path: "data", depth: 2)
    }

    /// The body as a JSON object (members in the format's order; canonicalization sorts them).
    public var json: JSONValue {
        var o = JSONObject()
        o["v"] = .number(JSONNumber(FormatV1.version))
        o["ledger"] = .string(ledger)
        o["stream"] = .string(stream)
        o["streamSeq"] = .number(JSONNumber(streamSeq))
        o["streamPrev"] = .string(streamPrev.hex)
        o["type"] = .string(type)
        o["time"] = .string(time)
        o["actor"] = .string(actor)
        o["key"] = .string(key)
        o["data"] = .object(data)
        if let idem { o["idem"] = .string(idem) }
        return .object(o)
    }

    /// `bodyBytes = JCS(body)`; throws when the result is over ``FormatV1/maxBodyBytes``.
    public func canonicalBytes() throws(BodyError) -> [UInt8] {
        let bytes: [UInt8]
        do { bytes = try JCS.canonicalize(json) } catch { throw BodyError(path: "", rule: "holds a non-finite number") }
        guard bytes.count <= FormatV1.maxBodyBytes else {
            throw BodyError(
                path: "", rule: "is \(bytes.count) bytes in canonical form, over the limit of \(FormatV1.maxBodyBytes)",
                kind: .tooLarge)
        }
        return bytes
    }
}

/// A body that breaks a format rule: which member (a JSON-pointer-like path) and which rule.
public struct BodyError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case invalid, tooLarge
        /// A probable payment card number (``CardNumberGuard``); the path names where, the
        /// message never holds the number.
        case cardNumber
    }
    /// Member path, like `data.items[2].amount`; empty for the body itself.
    public let path: String
    /// The rule that was broken.
    public let rule: String
    public let kind: Kind

    public init(path: String, rule: String, kind: Kind = .invalid) {
        self.path = path
        self.rule = rule
        self.kind = kind
    }

    public var description: String { path.isEmpty ? "body \(rule)" : "\(path): \(rule)" }
}

/// Rules on every value inside a body: integers only, in [-(2^53-1), 2^53-1]; no U+0000 in
/// strings or member names (PostgreSQL's jsonb cannot hold it).
public enum BodyRules {
    /// Walks `value`; throws at the first value that breaks a rule, naming its path. `depth` is
    /// the nesting level of `value` inside the body (the body itself is 1).
    public static func check(_ value: JSONValue, path: String = "", depth: Int = 1) throws(BodyError) {
        // Most values break no rule: look without building paths, and walk again naming the path
        // only when something is wrong (the verifier runs this for every entry).
        guard !isClean(value, depth: depth) else { return }
        try checkNamingPath(value, path: path, depth: depth)
    }

    private static func isClean(_ value: JSONValue, depth: Int) -> Bool {
        switch value {
        case .null, .bool:
            return true
        case .number(let n):
            guard let i = n.integer else { return false }
            return i >= -FormatV1.maxSafeInteger && i <= FormatV1.maxSafeInteger
        case .string(let s):
            return !s.utf8.contains(0)
        case .array(let items):
            return depth <= FormatV1.maxDepth && items.allSatisfy { isClean($0, depth: depth + 1) }
        case .object(let o):
            return depth <= FormatV1.maxDepth && o.members.allSatisfy { !$0.key.utf8.contains(0) && isClean($0.value, depth: depth + 1) }
        }
    }

    private static func checkNamingPath(_ value: JSONValue, path: String, depth: Int) throws(BodyError) {
        if depth > FormatV1.maxDepth, value.arrayValue != nil || value.objectValue != nil {
            throw BodyError(path: path, rule: "nesting deeper than \(FormatV1.maxDepth) levels (the body is level 1, data level 2)")
        }
        switch value {
        case .null, .bool:
            return
        case .number(let n):
            guard let i = n.integer else {
                throw BodyError(
                    path: path,
                    rule: "numbers must be integers (write decimals, money and measurements as strings)")
            }
            guard i >= -FormatV1.maxSafeInteger, i <= FormatV1.maxSafeInteger else {
                throw BodyError(path: path, rule: "integer is outside [-(2^53-1), 2^53-1]")
            }
        case .string(let s):
            if s.utf8.contains(0) { throw BodyError(path: path, rule: "strings must not contain U+0000") }
        case .array(let items):
            for (i, item) in items.enumerated() { try checkNamingPath(item, path: "\(path)[\(i)]", depth: depth + 1) }
        case .object(let o):
            for (k, v) in o.members {
                if k.utf8.contains(0) { throw BodyError(path: path, rule: "member names must not contain U+0000") }
                try checkNamingPath(v, path: path.isEmpty ? k : "\(path).\(k)", depth: depth + 1)
            }
        }
    }
}
