// Sealbook's one calendar and RFC 3339 parser: the format's event times (FormatV1.isValidTime),
// the times that projections and reports compare, and every time given on the command line.
// No clock, no Foundation dates, no time zone database: the same text gives the same instant on
// every machine. The rules are in docs/FORMAT.md §1.2.

/// An instant with millisecond precision on the UTC timescale of the format, where every day has
/// 86,400 seconds (as in POSIX time): milliseconds since 1970-01-01T00:00:00.000Z.
///
/// ``init(rfc3339:)`` reads RFC 3339 `date-time` (§5.6): `YYYY-MM-DD`, then `T` (or `t`, or a
/// space), `HH:MM:SS`, optionally `.` and 1 to 3 fraction digits, then `Z` (or `z`) or an offset
/// `±HH:MM`. Dates are real dates of the proleptic Gregorian calendar from year 0000 to 9999
/// (a year is a leap year when divisible by 4 and not by 100, or by 400; 0000 is one); hour
/// 00–23, minute 00–59, second 00–59, offset hours 00–23 and minutes 00–59. Refused:
/// - second `60`: the timescale gives a leap second no number of its own (RFC 3339 allows `:60`
///   only for a real leap second, and nothing here can tell which those are);
/// - more than 3 fraction digits: a finer time is refused rather than rounded or truncated.
///
/// ``rfc3339`` writes the canonical form of the format, `2026-11-24T18:30:00.123Z` (UTC, three
/// fraction digits), which ``isCanonical(_:)`` recognises.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00.000Z (negative before).
    public let milliseconds: Int64

    /// The instant `milliseconds` after the Unix epoch.
    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    /// Parses an RFC 3339 time (see the type's description); `nil` when `text` is not one.
    public init?(rfc3339 text: String) {
        guard let parsed = Self.parse(text) else { return nil }
        self.milliseconds = parsed.milliseconds
    }

    /// Midnight UTC at the start of a `YYYY-MM-DD` date (RFC 3339 `full-date`, same calendar
    /// rules); `nil` when `text` is not one.
    public init?(date text: String) {
        let days: Int? = Self.withBytes(text) { u in
            guard u.count == 10, let (year, month, day) = Self.date(u) else { return nil }
            return Self.daysFromCivil(year: year, month: month, day: day)
        }
        guard let days else { return nil }
        self.milliseconds = Int64(days) * 86_400_000
    }

    /// Whether `text` is a time of the format (docs/FORMAT.md §1.2): exactly
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, upper-case `T` and `Z`, three fraction digits, the fields in
    /// range as for ``init(rfc3339:)``.
    public static func isCanonical(_ text: String) -> Bool {
        guard text.utf8.count == 24 else { return false }
        return parse(text)?.canonical ?? false
    }

    /// Whether `text` is a `YYYY-MM-DD` date (see ``init(date:)``).
    public static func isValidDate(_ text: String) -> Bool { Timestamp(date: text) != nil }

    /// The canonical form: UTC, three fraction digits, `Z`, e.g. `2026-11-24T18:30:00.123Z`
    /// (years 0000 to 9999; others are written with as many digits as they need).
    public var rfc3339: String {
        let ms = Int(((milliseconds % 1_000) + 1_000) % 1_000)
        let totalSeconds = (milliseconds - Int64(ms)) / 1_000
        let secondsOfDay = Int(((totalSeconds % 86_400) + 86_400) % 86_400)
        let days = Int((totalSeconds - Int64(secondsOfDay)) / 86_400)
        let (y, m, d) = Self.civilFromDays(days)
        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secondsOfDay / 3_600, 2)):"
            + "\(pad(secondsOfDay / 60 % 60, 2)):\(pad(secondsOfDay % 60, 2)).\(pad(ms, 3))Z"
    }

    public var description: String { rfc3339 }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.milliseconds < b.milliseconds }

    /// This instant moved by `milliseconds` (negative moves back).
    public func adding(milliseconds delta: Int64) -> Timestamp { Timestamp(milliseconds: milliseconds + delta) }

    /// Milliseconds from `earlier` to this instant (negative when `earlier` is later).
    public func milliseconds(since earlier: Timestamp) -> Int64 { milliseconds - earlier.milliseconds }

    // MARK: Parsing

    private static func withBytes<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let r = text.utf8.withContiguousStorageIfAvailable(body) { return r }
        return Array(text.utf8).withUnsafeBufferPointer(body)
    }

    /// The instant, and whether the text has the format's canonical shape.
    static func parse(_ text: String) -> (milliseconds: Int64, canonical: Bool)? {
        withBytes(text) { parse($0) }
    }

    /// `n` ASCII digits at `at` as a number, or `nil`.
    @inline(__always)
    private static func number(_ u: UnsafeBufferPointer<UInt8>, _ at: Int, _ n: Int) -> Int? {
        guard at + n <= u.count else { return nil }
        var v = 0
        for i in at..<(at + n) {
            let d = u[i] &- 0x30
            guard d <= 9 else { return nil }
            v = v * 10 + Int(d)
        }
        return v
    }

    /// `YYYY-MM-DD` at the start of `u`, checked against the calendar.
    private static func date(_ u: UnsafeBufferPointer<UInt8>) -> (Int, Int, Int)? {
        guard let year = number(u, 0, 4), u.count > 4, u[4] == 0x2d, let month = number(u, 5, 2), u.count > 7,
            u[7] == 0x2d, let day = number(u, 8, 2), (1...12).contains(month), day >= 1,
            day <= daysIn(month: month, year: year)
        else { return nil }
        return (year, month, day)
    }

    private static func parse(_ u: UnsafeBufferPointer<UInt8>) -> (milliseconds: Int64, canonical: Bool)? {
        guard u.count >= 20, let (year, month, day) = date(u) else { return nil }
        let separator = u[10]
        guard separator == 0x54 || separator == 0x74 || separator == 0x20, let hour = number(u, 11, 2), u[13] == 0x3a,
            let minute = number(u, 14, 2), u[16] == 0x3a, let second = number(u, 17, 2), hour < 24, minute < 60,
            second < 60
        else { return nil }
        var i = 19
        var millis = 0
        var fractionDigits = 0
        if u[i] == 0x2e {
            i += 1
            while i < u.count, u[i] &- 0x30 <= 9 {
                guard fractionDigits < 3 else { return nil }
                millis = millis * 10 + Int(u[i] - 0x30)
                fractionDigits += 1
                i += 1
            }
            guard fractionDigits > 0 else { return nil }
            for _ in fractionDigits..<3 { millis *= 10 }
        }
        guard i < u.count else { return nil }
        var offsetMinutes = 0
        let zone = u[i]
        if zone == 0x5a || zone == 0x7a {
            i += 1
        } else if zone == 0x2b || zone == 0x2d {
            guard let oh = number(u, i + 1, 2), i + 3 < u.count, u[i + 3] == 0x3a, let om = number(u, i + 4, 2), oh < 24,
                om < 60
            else { return nil }
            offsetMinutes = (zone == 0x2b ? 1 : -1) * (oh * 60 + om)
            i += 6
        } else {
            return nil
        }
        guard i == u.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3_600 + minute * 60 + second) - Int64(offsetMinutes * 60)
        let canonical = u.count == 24 && separator == 0x54 && fractionDigits == 3 && zone == 0x5a
        return (seconds * 1_000 + Int64(millis), canonical)
    }

    // MARK: Calendar (proleptic Gregorian; Howard Hinnant's days-from-civil algorithm)

    /// Divisible by 4 and not by 100, or by 400 (year 0 is a leap year).
    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysIn(month: Int, year: Int) -> Int {
        [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    }

    /// Days from 1970-01-01 to the given date.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01.
    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
