// Time arithmetic for projections, on RFC 3339 strings only: no clock, no Foundation dates, no
// time zone database. Every time a projection compares is a whole number of milliseconds since
// 1970-01-01T00:00:00.000Z, so the same strings always give the same answer on every machine.

/// An instant with millisecond precision, read from an RFC 3339 string.
///
/// Accepted: `YYYY-MM-DDTHH:MM:SS[.f{1,3}](Z|±HH:MM)`, upper-case `T` and `Z`, seconds 00–59
/// (a leap second is refused), real calendar dates from year 0001 to 9999. Event times in the
/// ledger are always the canonical form `2026-11-24T18:30:00.123Z` (UTC, three digits);
/// ``rfc3339`` writes that form back.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00.000Z (negative before).
    public let milliseconds: Int64

    /// The instant `milliseconds` after the Unix epoch.
    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    /// Parses an RFC 3339 time (see the type's description); `nil` when `text` is not one.
    public init?(rfc3339 text: String) {
        let u = Array(text.utf8)
        guard u.count >= 20 else { return nil }
        func digit(_ i: Int) -> Int? {
            guard i < u.count, u[i] >= 0x30, u[i] <= 0x39 else { return nil }
            return Int(u[i] - 0x30)
        }
        func number(_ at: Int, _ count: Int) -> Int? {
            var n = 0
            for i in at..<(at + count) {
                guard let d = digit(i) else { return nil }
                n = n * 10 + d
            }
            return n
        }
        guard let year = number(0, 4), u[4] == 0x2d, let month = number(5, 2), u[7] == 0x2d, let day = number(8, 2),
            u[10] == 0x54, let hour = number(11, 2), u[13] == 0x3a, let minute = number(14, 2), u[16] == 0x3a,
            let second = number(17, 2)
        else { return nil }
        guard year >= 1, (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year), hour < 24,
            minute < 60, second < 60
        else { return nil }
        var i = 19
        var millis = 0
        if i < u.count, u[i] == 0x2e {
            i += 1
            var digits = 0
            while let d = digit(i) {
                guard digits < 3 else { return nil }
                millis = millis * 10 + d
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<3 { millis *= 10 }
        }
        guard i < u.count else { return nil }
        var offsetMinutes = 0
        if u[i] == 0x5a {
            i += 1
        } else if u[i] == 0x2b || u[i] == 0x2d {
            let sign = u[i] == 0x2b ? 1 : -1
            guard let oh = number(i + 1, 2), i + 3 < u.count, u[i + 3] == 0x3a, let om = number(i + 4, 2), oh < 24,
                om < 60
            else { return nil }
            offsetMinutes = sign * (oh * 60 + om)
            i += 6
        } else {
            return nil
        }
        guard i == u.count else { return nil }
        let days = Self.daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3_600 + minute * 60 + second) - Int64(offsetMinutes * 60)
        self.milliseconds = seconds * 1_000 + Int64(millis)
    }

    /// The canonical form: UTC, three fraction digits, `Z`, e.g. `2026-11-24T18:30:00.123Z`.
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

    // MARK: Calendar (proleptic Gregorian; Howard Hinnant's days-from-civil algorithm)

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

/// Durations in reports: whole milliseconds, and an ISO 8601 text for people.
enum DurationText {
    /// `PT5M`, `PT72H`, `PT4M59.999S`, `-PT1S`, `PT0S`: hours, minutes and seconds only (no days,
    /// so that 72 hours reads as `PT72H`).
    static func iso(milliseconds ms: Int64) -> String {
        if ms == 0 { return "PT0S" }
        let sign = ms < 0 ? "-" : ""
        let a = ms.magnitude
        let h = a / 3_600_000
        let m = a / 60_000 % 60
        let s = a / 1_000 % 60
        let f = a % 1_000
        var out = sign + "PT"
        if h > 0 { out += "\(h)H" }
        if m > 0 { out += "\(m)M" }
        if s > 0 || f > 0 {
            out += "\(s)"
            if f > 0 {
                let frac = String(f)
                out += "." + String(repeating: "0", count: 3 - frac.count) + frac
                while out.hasSuffix("0") { out.removeLast() }
            }
            out += "S"
        }
        return out
    }
}
