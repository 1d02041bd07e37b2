/// A length of time written as an ISO 8601 duration, restricted to days, hours, minutes and
/// whole seconds so that every value has one exact length: `P[nD][T[nH][nM][nS]]`, e.g. `PT5M`,
/// `PT4H`, `PT0S`, `P1DT12H`. Years, months, weeks and fractions are refused.
public struct RunbookDuration: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The text as written in the runbook, e.g. `PT15M`.
    public let iso: String
    /// The length in seconds.
    public let seconds: Int

    /// Parses an ISO 8601 duration of the restricted form; `nil` if `iso` is not one.
    public init?(iso: String) {
        var bytes = Array(iso.utf8)[...]
        guard bytes.first == UInt8(ascii: "P") else { return nil }
        bytes = bytes.dropFirst()
        var total = 0
        var components = 0
        var inTime = false
        var timeComponents = 0
        // Designators must come in this order: D, then (after T) H, M, S.
        var allowed: [UInt8] = [UInt8(ascii: "D")]
        while let b = bytes.first {
            if b == UInt8(ascii: "T") {
                guard !inTime else { return nil }
                inTime = true
                allowed = [UInt8(ascii: "H"), UInt8(ascii: "M"), UInt8(ascii: "S")]
                bytes = bytes.dropFirst()
                continue
            }
            let digits = bytes.prefix(while: { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
            guard !digits.isEmpty, digits.count <= 9 else { return nil }
            bytes = bytes.dropFirst(digits.count)
            guard let designator = bytes.first, let slot = allowed.firstIndex(of: designator) else {
                return nil
            }
            bytes = bytes.dropFirst()
            allowed.removeFirst(slot + 1)
            let n = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            switch designator {
            case UInt8(ascii: "D"): total += n * 86_400
            case UInt8(ascii: "H"): total += n * 3_600
            case UInt8(ascii: "M"): total += n * 60
            default: total += n
            }
            components += 1
            if inTime { timeComponents += 1 }
        }
        guard components > 0, !inTime || timeComponents > 0 else { return nil }
        self.iso = iso
        self.seconds = total
    }

    /// Equal lengths are equal, however they are written (`PT60M` == `PT1H`).
    public static func == (a: RunbookDuration, b: RunbookDuration) -> Bool { a.seconds == b.seconds }
    public func hash(into hasher: inout Hasher) { hasher.combine(seconds) }
    public static func < (a: RunbookDuration, b: RunbookDuration) -> Bool { a.seconds < b.seconds }

    /// The ISO text, e.g. `PT15M`.
    public var description: String { iso }

    /// For people: `immediately` for zero, otherwise e.g. `15 min`, `4 h`, `1 d 2 h 30 s`.
    public var humanReadable: String {
        if seconds == 0 { return "immediately" }
        var parts: [String] = []
        var rest = seconds
        for (size, name) in [(86_400, "d"), (3_600, "h"), (60, "min"), (1, "s")] where rest >= size {
            parts.append("\(rest / size) \(name)")
            rest %= size
        }
        return parts.joined(separator: " ")
    }
}

/// A span of time measured from an event the runbook names (its ``anchor``), e.g. "0 to 5
/// minutes after the migration completed". The span is half-open, `[start, end)`: at exactly
/// 5 minutes the immediate rollback window is over and the standard one has begun. A window
/// without an end is open-ended ("15+ minutes").
public struct TimeWindow: Sendable, Equatable, CustomStringConvertible {
    /// What the times are measured from, kebab-case, e.g. `migration-completed`,
    /// `incident-declared`.
    public let anchor: String
    /// Where the window starts (inclusive).
    public let start: RunbookDuration
    /// Where it ends (exclusive); `nil` for an open-ended window.
    public let end: RunbookDuration?

    /// A window; `end`, when given, must be after `start`.
    public init(anchor: String, start: RunbookDuration, end: RunbookDuration?) {
        precondition(end.map { $0 > start } ?? true, "TimeWindow: end must be after start")
        self.anchor = anchor
        self.start = start
        self.end = end
    }

    /// Whether a moment `seconds` after the anchor falls in the window.
    public func contains(secondsAfterAnchor seconds: Int) -> Bool {
        seconds >= start.seconds && end.map { seconds < $0.seconds } ?? true
    }

    /// E.g. `PT5M..<PT15M after incident-declared` or `PT15M.. after incident-declared`.
    public var description: String {
        "\(start.iso)..\(end.map { "<\($0.iso)" } ?? "") after \(anchor)"
    }
}
