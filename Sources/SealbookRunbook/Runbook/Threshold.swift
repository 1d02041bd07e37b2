/// A measurable condition on a checklist item, e.g. `disk_free_percent >= 20` for `disk-space`.
///
/// Values are decimal strings (the ledger allows no floating-point numbers in events) and are
/// compared exactly, digit by digit, never through `Double`: `"19.99" >= "20"` is false and
/// `"20.000" >= "20"` is true.
///
/// A decimal string is an optional `-`, an integer part without leading zeros (`0` alone is
/// fine), and an optional `.` followed by at least one digit: `-?(0|[1-9][0-9]*)(\.[0-9]+)?`.
/// No `+`, exponent, spaces, `.5` or `5.`.
public struct Threshold: Sendable, Equatable, CustomStringConvertible {
    /// How a measured value is compared with ``value``.
    public enum Operator: String, Sendable, Equatable, CaseIterable {
        case lessThan = "<"
        case lessThanOrEqual = "<="
        case greaterThan = ">"
        case greaterThanOrEqual = ">="
        case equal = "=="
    }

    /// What is measured, snake_case, e.g. `disk_free_percent`, `pool_used_percent`,
    /// `replication_lag_seconds`.
    public let metric: String
    /// The unit of the metric and of ``value``, e.g. `percent`, `seconds`, `count`.
    public let unit: String
    /// The comparison: the measured value `op` ``value`` must hold.
    public let op: Operator
    /// The limit, as a decimal string (e.g. `"20"`).
    public let value: String
    /// Why this limit, when it is not the runbook's own number (e.g. a default Sealbook chose).
    public let note: String?

    /// A threshold; `value` must be a decimal string (see the type's documentation).
    public init(metric: String, unit: String, op: Operator, value: String, note: String? = nil) {
        precondition(ExactDecimal(value) != nil, "Threshold value must be a decimal string: \(value)")
        self.metric = metric
        self.unit = unit
        self.op = op
        self.value = value
        self.note = note
    }

    /// Whether `measured op value` holds, compared exactly; `nil` when `measured` is not a
    /// decimal string (see the type's documentation).
    public func evaluate(_ measured: String) -> Bool? {
        guard let m = ExactDecimal(measured), let limit = ExactDecimal(value) else { return nil }
        switch op {
        case .lessThan: return m < limit
        case .lessThanOrEqual: return m <= limit
        case .greaterThan: return m > limit
        case .greaterThanOrEqual: return m >= limit
        case .equal: return m == limit
        }
    }

    /// The condition as people read it, e.g. `>= 20 percent`.
    public var description: String { "\(op.rawValue) \(value) \(unit)" }

    /// Whether `text` is a decimal string this type accepts.
    public static func isDecimal(_ text: String) -> Bool { ExactDecimal(text) != nil }
}

/// An exact decimal number parsed from a decimal string, normalized so that equal values compare
/// equal (`20`, `20.0` and `20.000`; `0` and `-0`).
struct ExactDecimal: Comparable {
    /// True for values below zero (never for zero).
    let negative: Bool
    /// Digits of the integer part (ASCII), without leading zeros; empty for 0.
    let integer: [UInt8]
    /// Digits of the fraction (ASCII), without trailing zeros; empty when it is all zeros.
    let fraction: [UInt8]

    init?(_ text: String) {
        var bytes = Array(text.utf8)[...]
        var negative = false
        if bytes.first == UInt8(ascii: "-") {
            negative = true
            bytes = bytes.dropFirst()
        }
        let isDigit = { (b: UInt8) in b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        let intPart = bytes.prefix(while: isDigit)
        guard !intPart.isEmpty else { return nil }
        if intPart.count > 1 && intPart.first == UInt8(ascii: "0") { return nil }
        bytes = bytes.dropFirst(intPart.count)
        var fracPart: ArraySlice<UInt8> = []
        if let dot = bytes.first {
            guard dot == UInt8(ascii: ".") else { return nil }
            bytes = bytes.dropFirst()
            fracPart = bytes.prefix(while: isDigit)
            guard !fracPart.isEmpty, fracPart.count == bytes.count else { return nil }
        }
        let integer = Array(intPart.drop(while: { $0 == UInt8(ascii: "0") }))
        var fraction = Array(fracPart)
        while fraction.last == UInt8(ascii: "0") { fraction.removeLast() }
        self.integer = integer
        self.fraction = fraction
        self.negative = negative && !(integer.isEmpty && fraction.isEmpty)
    }

    /// Compares absolute values.
    private static func magnitudeLess(_ a: ExactDecimal, _ b: ExactDecimal) -> Bool {
        if a.integer.count != b.integer.count { return a.integer.count < b.integer.count }
        if a.integer != b.integer { return a.integer.lexicographicallyPrecedes(b.integer) }
        // Trailing zeros are gone, so a proper prefix is the smaller fraction.
        return a.fraction.lexicographicallyPrecedes(b.fraction)
    }

    static func < (a: ExactDecimal, b: ExactDecimal) -> Bool {
        switch (a.negative, b.negative) {
        case (true, false): return true
        case (false, true): return false
        case (false, false): return magnitudeLess(a, b)
        case (true, true): return magnitudeLess(b, a)
        }
    }
}
