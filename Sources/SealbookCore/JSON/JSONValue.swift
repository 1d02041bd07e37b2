// The in-memory JSON model shared by the parser (JSONParser.swift) and the RFC 8785
// canonicalizer (JCS.swift).
//
// Strings are compared by their Unicode scalars (equivalently their UTF-8 bytes) everywhere in
// this file, never with Swift's `String ==`, which treats canonically equivalent strings ("é" as
// U+00E9 and "e" + U+0301) as equal. Two JSON names or values that canonicalize to different
// bytes must never compare equal here.

/// A JSON value (RFC 8259), as produced by ``JSONParser`` and consumed by ``JCS``.
///
/// Equality is exact: strings and member names compare by Unicode scalars (not by Swift's
/// canonical equivalence), numbers compare as ``JSONNumber`` does, arrays compare element by
/// element, and objects compare as ``JSONObject`` does (member order is not significant).
public enum JSONValue: Sendable, Equatable {
    /// The literal `null`.
    case null
    /// The literal `true` or `false`.
    case bool(Bool)
    /// A number.
    case number(JSONNumber)
    /// A string of Unicode scalars.
    case string(String)
    /// An array of values, in order.
    case array([JSONValue])
    /// An object: members in parse or insertion order, names unique.
    case object(JSONObject)

    /// Exact structural equality; strings compare by Unicode scalars.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a.jsonScalarsEqual(b)
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)): return a == b
        default: return false
        }
    }
}

/// A JSON number: the IEEE-754 double it denotes and, for integer literals that fit, the exact
/// integer.
///
/// Equality compares both stored properties, so the literal `1` (an integer) is not equal to the
/// literal `1.0` (not an integer literal) even though both canonicalize to `1`; `0` and `-0`
/// compare equal.
public struct JSONNumber: Sendable, Equatable {
    /// The IEEE-754 double the literal denotes, correctly rounded (what JCS serializes).
    public let value: Double
    /// The exact value when the literal was an integer literal (optional `-`, digits, no fraction,
    /// no exponent) that fits in `Int64`; `nil` otherwise.
    public let integer: Int64?

    /// An integer number: `integer = i`, `value = Double(i)` (correctly rounded).
    public init(_ i: Int64) {
        self.integer = i
        self.value = Double(i)
    }

    /// A non-integer-literal number: `integer = nil`, `value = d`. A non-finite `d` can be stored
    /// but ``JCS`` refuses to serialize it.
    public init(_ d: Double) {
        self.integer = nil
        self.value = d
    }

    /// The parser's initializer: both parts as already computed.
    init(value: Double, integer: Int64?) {
        self.value = value
        self.integer = integer
    }
}

/// A JSON object: its members in parse (or insertion) order, member names unique.
///
/// Names are compared by Unicode scalars. Equality ignores member order: two objects are equal
/// when they have the same names, each with an equal value. Uniqueness of names is an invariant
/// the initializers, the subscript and the parser keep; code that edits ``members`` directly
/// must keep it too (RFC 8785 output is undefined for duplicate names).
public struct JSONObject: Sendable, Equatable {
    /// The members, in parse or insertion order.
    public var members: [(key: String, value: JSONValue)]

    /// An object with the given members (default: none). The names must be unique.
    public init(_ members: [(key: String, value: JSONValue)] = []) {
        precondition(Self.namesAreUnique(members), "JSONObject: duplicate member name")
        self.members = members
    }

    /// The parser's initializer: names already checked for uniqueness.
    init(uncheckedMembers members: [(key: String, value: JSONValue)]) {
        self.members = members
    }

    /// The value of the member named `key`, or `nil` if there is none (linear lookup).
    /// Setting a value replaces the member's value in place or appends a new member;
    /// setting `nil` removes the member.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let i = index(of: key) else { return nil }
            return members[i].value
        }
        set {
            let i = index(of: key)
            switch (i, newValue) {
            case let (i?, v?): members[i].value = v
            case let (nil, v?): members.append((key: key, value: v))
            case let (i?, nil): members.remove(at: i)
            case (nil, nil): break
            }
        }
    }

    /// The member names, in order.
    public var keys: [String] { members.map(\.key) }

    /// The number of members.
    public var count: Int { members.count }

    /// Whether the object has no members.
    public var isEmpty: Bool { members.isEmpty }

    /// The position in ``members`` of the member named `key` (compared by Unicode scalars).
    public func index(of key: String) -> Int? {
        members.firstIndex { $0.key.jsonScalarsEqual(key) }
    }

    /// Order-insensitive equality: same names (by Unicode scalars), equal values.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        // Fast path: the same names in the same order.
        var sameOrder = true
        for (a, b) in zip(lhs.members, rhs.members) {
            guard a.key.jsonScalarsEqual(b.key) else { sameOrder = false; break }
            guard a.value == b.value else { return false }
        }
        if sameOrder { return true }
        for m in lhs.members {
            guard let i = rhs.index(of: m.key), rhs.members[i].value == m.value else { return false }
        }
        return true
    }

    static func namesAreUnique(_ members: [(key: String, value: JSONValue)]) -> Bool {
        if members.count < 2 { return true }
        for i in 1..<members.count {
            for j in 0..<i where members[i].key.jsonScalarsEqual(members[j].key) {
                return false
            }
        }
        return true
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// An object from a dictionary literal, keeping the literal's order. Names must be unique.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements.map { (key: $0.0, value: $0.1) })
    }
}

// MARK: - Convenience accessors

extension JSONValue {
    /// The string, if this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The object, if this is an object.
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The number, if this is a number.
    public var numberValue: JSONNumber? {
        if case .number(let n) = self { return n }
        return nil
    }

    /// The exact integer, if this is a number whose ``JSONNumber/integer`` is set (an integer
    /// literal that fits in `Int64`, or a number made with `JSONNumber.init(_: Int64)`).
    public var int64Value: Int64? {
        if case .number(let n) = self { return n.integer }
        return nil
    }

    /// The double value, if this is a number.
    public var doubleValue: Double? {
        if case .number(let n) = self { return n.value }
        return nil
    }

    /// The Boolean, if this is `true` or `false`.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// Whether this is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The value of the member named `key` if this is an object that has one; `nil` otherwise.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }
}

// MARK: - Literals

extension JSONValue: ExpressibleByNilLiteral {
    /// `nil` is JSON `null`.
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    /// `true` / `false`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    /// An integer number (``JSONNumber/integer`` is set).
    public init(integerLiteral value: Int64) { self = .number(JSONNumber(value)) }
}

extension JSONValue: ExpressibleByFloatLiteral {
    /// A non-integer number (``JSONNumber/integer`` is `nil`).
    public init(floatLiteral value: Double) { self = .number(JSONNumber(value)) }
}

extension JSONValue: ExpressibleByStringLiteral {
    /// A string.
    public init(stringLiteral value: String) { self = .string(value) }
}

extension JSONValue: ExpressibleByArrayLiteral {
    /// An array.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    /// An object whose members keep the literal's order. Names must be unique.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements.map { (key: $0.0, value: $0.1) }))
    }
}

extension JSONValue: CustomStringConvertible {
    /// The RFC 8785 canonical text of the value (a non-finite number shows as `NaN`,
    /// `Infinity` or `-Infinity`, which is not JSON).
    public var description: String {
        var out: [UInt8] = []
        try? JCS.emit(self, into: &out, lenient: true)  // lenient: never throws
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    /// Exact equality of Unicode scalars (equivalently of UTF-8 bytes), unlike `==`, which
    /// follows canonical equivalence.
    @inline(__always)
    func jsonScalarsEqual(_ other: String) -> Bool {
        let a = utf8, b = other.utf8
        guard a.count == b.count else { return false }
        let contiguous = a.withContiguousStorageIfAvailable { pa in
            b.withContiguousStorageIfAvailable { pb in pa.elementsEqual(pb) }
        }
        if let contiguous, let equal = contiguous { return equal }
        return a.elementsEqual(b)
    }
}
