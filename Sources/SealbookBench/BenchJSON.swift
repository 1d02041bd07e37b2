internal import Foundation
internal import SealbookCore

/// The benchmark's JSON: members keep their order, doubles are written as they are (finite) or
/// `null`, and the document is pretty-printed for a committed result file.
public indirect enum BenchJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([BenchJSON])
    case object([(String, BenchJSON)])

    public static func == (a: BenchJSON, b: BenchJSON) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case let (.bool(x), .bool(y)): x == y
        case let (.int(x), .int(y)): x == y
        case let (.double(x), .double(y)): x == y
        case let (.string(x), .string(y)): x == y
        case let (.array(x), .array(y)): x == y
        case let (.object(x), .object(y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// A number or null, rounded to `digits` decimals.
    static func num(_ x: Double?, _ digits: Int = 1) -> BenchJSON {
        guard let x, x.isFinite else { return .null }
        return .double(rounded(x, digits))
    }

    /// Milliseconds, three decimals.
    static func ms(_ x: Double?) -> BenchJSON { num(x, 3) }

    static func str(_ s: String?) -> BenchJSON { s.map(BenchJSON.string) ?? .null }

    /// The member `key` of an object.
    public subscript(key: String) -> BenchJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// A new object with `key` set (replaced in place, or appended).
    func setting(_ key: String, _ value: BenchJSON) -> BenchJSON {
        guard case .object(var members) = self else { return self }
        if let i = members.firstIndex(where: { $0.0 == key }) { members[i].1 = value } else { members.append((key, value)) }
        return .object(members)
    }

    /// Indented text with a final newline.
    public var pretty: String {
        var out = ""
        write(&out, indent: 0)
        out += "\n"
        return out
    }

    /// One line, no spaces.
    public var compact: String {
        var out = ""
        write(&out, indent: nil)
        return out
    }

    private func write(_ out: inout String, indent: Int?) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if !d.isFinite {
                out += "null"
            } else if d == d.rounded(), abs(d) < 1e15 {
                out += String(Int64(d))
            } else {
                out += "\(d)"
            }
        case .string(let s): Self.writeString(s, &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            let scalarOnly = items.allSatisfy { if case .array = $0 { false } else if case .object = $0 { false } else { true } }
            if indent == nil || scalarOnly {
                out += "["
                for (i, v) in items.enumerated() {
                    if i > 0 { out += indent == nil ? "," : ", " }
                    v.write(&out, indent: nil)
                }
                out += "]"
                return
            }
            out += "[\n"
            for (i, v) in items.enumerated() {
                out += String(repeating: "  ", count: indent! + 1)
                v.write(&out, indent: indent! + 1)
                out += i == items.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: "  ", count: indent!) + "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            guard let indent else {
                out += "{"
                for (i, (k, v)) in members.enumerated() {
                    if i > 0 { out += "," }
                    Self.writeString(k, &out)
                    out += ":"
                    v.write(&out, indent: nil)
                }
                out += "}"
                return
            }
            out += "{\n"
            for (i, (k, v)) in members.enumerated() {
                out += String(repeating: "  ", count: indent + 1)
                Self.writeString(k, &out)
                out += ": "
                v.write(&out, indent: indent + 1)
                out += i == members.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: "  ", count: indent) + "}"
        }
    }

    private static func writeString(_ s: String, _ out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    out += String(format: "\\u%04x", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}

/// Reads JSON text (the peer's output) into ``BenchJSON`` with the project's strict parser.
func parseBenchJSON(_ text: String) -> BenchJSON? {
    guard let v = try? JSONParser.parse(text) else { return nil }
    return BenchJSON(v)
}

extension BenchJSON {
    init(_ v: JSONValue) {
        switch v {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .number(let n): self = n.integer.map(BenchJSON.int) ?? .double(n.value)
        case .string(let s): self = .string(s)
        case .array(let a): self = .array(a.map(BenchJSON.init))
        case .object(let o): self = .object(o.members.map { ($0.key, BenchJSON($0.value)) })
        }
    }

    var doubleValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    var stringValue: String? { if case .string(let s) = self { s } else { nil } }
}
