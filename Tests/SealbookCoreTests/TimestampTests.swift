// The one calendar and RFC 3339 parser (Sources/SealbookCore/Time/Timestamp.swift), at its
// edges: leap years (1900, 2000, 2100, 0000), leap seconds, offsets, fraction digits and fields
// out of range. The format's own stricter form is tested in FormatTests (isValidTime).

import Testing

@testable import SealbookCore

@Suite("RFC 3339 times and the calendar")
struct TimestampTests {
    @Test("parses the ledger's form and writes it back")
    func roundTrip() {
        for s in [
            "1970-01-01T00:00:00.000Z", "2026-11-24T18:30:00.123Z", "2024-02-29T23:59:59.999Z",
            "0000-01-01T00:00:00.000Z", "0001-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z",
            "1969-12-31T23:59:59.999Z", "2000-02-29T00:00:00.000Z", "0000-02-29T12:00:00.000Z",
        ] {
            #expect(Timestamp(rfc3339: s)?.rfc3339 == s)
            #expect(Timestamp.isCanonical(s), "\(s)")
        }
        #expect(Timestamp(rfc3339: "1970-01-01T00:00:00.000Z")?.milliseconds == 0)
        #expect(Timestamp(rfc3339: "1969-12-31T23:59:59.999Z")?.milliseconds == -1)
        #expect(Timestamp(rfc3339: "2001-09-09T01:46:40.000Z")?.milliseconds == 1_000_000_000_000)
        // date -u -d 0000-01-01 +%s → -62167219200
        #expect(Timestamp(rfc3339: "0000-01-01T00:00:00.000Z")?.milliseconds == -62_167_219_200_000)
        // date -u -d 9999-12-31T23:59:59 +%s → 253402300799
        #expect(Timestamp(rfc3339: "9999-12-31T23:59:59.999Z")?.milliseconds == 253_402_300_799_999)
    }

    @Test("offsets and shorter fractions are normalised to UTC milliseconds")
    func offsets() {
        #expect(Timestamp(rfc3339: "2026-03-02T12:00:00+02:00")?.rfc3339 == "2026-03-02T10:00:00.000Z")
        #expect(Timestamp(rfc3339: "2026-03-01T23:30:00.5-01:00")?.rfc3339 == "2026-03-02T00:30:00.500Z")
        #expect(Timestamp(rfc3339: "2026-03-02T10:00:00Z")?.rfc3339 == "2026-03-02T10:00:00.000Z")
        #expect(Timestamp(rfc3339: "2026-03-02T10:00:00.05Z")?.milliseconds == Timestamp(rfc3339: "2026-03-02T10:00:00.050Z")?.milliseconds)
        // -00:00 (RFC 3339 §4.3: offset unknown) is the same instant as Z.
        #expect(Timestamp(rfc3339: "2026-03-02T10:00:00-00:00")?.rfc3339 == "2026-03-02T10:00:00.000Z")
        // Offsets carry across days, months, leap days and years.
        #expect(Timestamp(rfc3339: "2025-01-01T00:30:00+01:00")?.rfc3339 == "2024-12-31T23:30:00.000Z")
        #expect(Timestamp(rfc3339: "2024-02-28T23:00:00-01:00")?.rfc3339 == "2024-02-29T00:00:00.000Z")
        #expect(Timestamp(rfc3339: "2023-02-28T23:00:00-01:00")?.rfc3339 == "2023-03-01T00:00:00.000Z")
        #expect(Timestamp(rfc3339: "2026-03-02T00:00:00+23:59")?.rfc3339 == "2026-03-01T00:01:00.000Z")
        #expect(Timestamp(rfc3339: "2026-03-02T00:00:00-23:59")?.rfc3339 == "2026-03-02T23:59:00.000Z")
    }

    @Test("lower-case t and z, and a space for T, are read (RFC 3339 §5.6) but are not the format's form")
    func separators() {
        for s in ["2026-03-02t10:00:00.000Z", "2026-03-02T10:00:00.000z", "2026-03-02 10:00:00.000Z"] {
            #expect(Timestamp(rfc3339: s)?.rfc3339 == "2026-03-02T10:00:00.000Z", "\(s)")
            #expect(!Timestamp.isCanonical(s), "\(s)")
        }
        #expect(!Timestamp.isCanonical("2026-03-02T10:00:00.000+00:00"))
        #expect(!Timestamp.isCanonical("2026-03-02T10:00:00.00Z"))
    }

    @Test(
        "refuses what is not an RFC 3339 time, a leap second and more than millisecond precision",
        arguments: [
            "", "2026-03-02", "2026-03-02T10:00:00", "2026-03-02T10:00Z", "2026-03-02T10:00:00.Z",
            // leap seconds, also on a day that had one (2016-12-31) and with offsets and fractions
            "2026-03-02T10:00:60.000Z", "2016-12-31T23:59:60Z", "2016-12-31T23:59:60.999Z", "2017-01-01T00:59:60+01:00",
            // more than three fraction digits, even zeros
            "2026-03-02T10:00:00.1234Z", "2026-03-02T10:00:00.0000Z", "2026-03-02T10:00:00.123456+00:00",
            // fields out of range
            "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-01-00T00:00:00Z", "2026-01-32T00:00:00Z",
            "2026-04-31T00:00:00Z", "2026-03-02T24:00:00Z", "2026-03-02T10:60:00Z", "2026-03-02T10:00:61Z",
            "2026-03-02T10:00:00+24:00", "2026-03-02T10:00:00+02:60", "2026-03-02T10:00:00+0200",
            "2026-03-02T10:00:00+02", "2026-03-02T10:00:00 +02:00",
            // February 29th outside leap years: 1900 and 2100 (divisible by 100, not by 400), 2026
            "1900-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2026-02-29T10:00:00.000Z", "2024-02-30T00:00:00Z",
            // shape
            "2026-3-02T10:00:00Z", "+2026-03-02T10:00:00Z", "12026-03-02T10:00:00Z", "2026-03-02T10:00:00.000Z ",
            " 2026-03-02T10:00:00.000Z", "2026-03-02T10:00:00,5Z", "2026-03-02X10:00:00Z", "2026/03/02T10:00:00Z",
            "2026-03-02T10:00:00.000ZZ", "2026-03-02T1０:00:00Z", "2026-03-02T10:00:00.000Z\n",
        ])
    func refused(_ s: String) {
        #expect(Timestamp(rfc3339: s) == nil)
        #expect(!Timestamp.isCanonical(s))
    }

    @Test("February 29th exists in 2000, 2024, 1600 and 0000, not in 1900, 2100, 2023")
    func leapYears() {
        for y in ["0000", "1600", "2000", "2024", "2400"] {
            #expect(Timestamp(date: "\(y)-02-29") != nil, "\(y)")
            #expect(Timestamp.isCanonical("\(y)-02-29T00:00:00.000Z"), "\(y)")
        }
        for y in ["1700", "1800", "1900", "2023", "2100", "2200"] {
            #expect(Timestamp(date: "\(y)-02-29") == nil, "\(y)")
            #expect(Timestamp(date: "\(y)-02-28") != nil, "\(y)")
            #expect(!Timestamp.isCanonical("\(y)-02-29T00:00:00.000Z"), "\(y)")
        }
        // The day after February 28th.
        #expect(Timestamp(date: "1900-02-28")!.adding(milliseconds: 86_400_000).rfc3339 == "1900-03-01T00:00:00.000Z")
        #expect(Timestamp(date: "2000-02-28")!.adding(milliseconds: 86_400_000).rfc3339 == "2000-02-29T00:00:00.000Z")
        #expect(Timestamp(date: "2100-02-28")!.adding(milliseconds: 86_400_000).rfc3339 == "2100-03-01T00:00:00.000Z")
    }

    @Test("dates: YYYY-MM-DD only, at midnight UTC")
    func dates() {
        #expect(Timestamp(date: "1970-01-01")?.milliseconds == 0)
        #expect(Timestamp(date: "2026-03-02")?.rfc3339 == "2026-03-02T00:00:00.000Z")
        for bad in ["", "2026-3-02", "2026-03-2", "2026-03-02T00:00:00Z", "2026-13-01", "2026-04-31", "20260302", "2026-03-0x"] {
            #expect(Timestamp(date: bad) == nil, "\(bad)")
            #expect(!Timestamp.isValidDate(bad), "\(bad)")
        }
        #expect(Timestamp.isValidDate("2024-02-29"))
    }

    @Test("the calendar counts every day from 0000-01-01 to 2400-12-31 once, in order")
    func everyDay() {
        var expected = Timestamp.daysFromCivil(year: 0, month: 1, day: 1)
        #expect(expected == -719_528)
        var problems = 0
        for year in 0...2400 {
            for month in 1...12 {
                for day in 1...Timestamp.daysIn(month: month, year: year) {
                    let days = Timestamp.daysFromCivil(year: year, month: month, day: day)
                    let back = Timestamp.civilFromDays(days)
                    if days != expected || back != (year, month, day) { problems += 1 }
                    expected += 1
                }
            }
        }
        #expect(problems == 0)
        #expect(Timestamp.daysFromCivil(year: 2401, month: 1, day: 1) == expected)
        // 146,097 days in every 400 years.
        #expect(Timestamp.daysFromCivil(year: 2000, month: 1, day: 1) - Timestamp.daysFromCivil(year: 1600, month: 1, day: 1) == 146_097)
    }

    @Test("the format's times are exactly the canonical ones this parser writes back unchanged")
    func canonicalIsRoundTrip() {
        for s in FormatIdentifierTests.timeOK {
            #expect(Timestamp(rfc3339: s)?.rfc3339 == s, "\(s)")
        }
        for s in FormatIdentifierTests.timeBad where Timestamp(rfc3339: s) != nil {
            #expect(Timestamp(rfc3339: s)?.rfc3339 != s, "\(s) is read, but is not the format's form")
        }
    }

    @Test("arithmetic crosses days, months, leap years and the epoch")
    func arithmetic() {
        let t = Timestamp(rfc3339: "2024-02-28T23:00:00.000Z")!
        #expect(t.adding(milliseconds: 3_600_000).rfc3339 == "2024-02-29T00:00:00.000Z")
        #expect(t.adding(milliseconds: 72 * 3_600_000).rfc3339 == "2024-03-02T23:00:00.000Z")
        #expect(Timestamp(rfc3339: "2024-03-02T23:00:00.000Z")!.milliseconds(since: t) == 72 * 3_600_000)
        #expect(Timestamp(milliseconds: -86_400_000).rfc3339 == "1969-12-31T00:00:00.000Z")
        #expect(Timestamp(milliseconds: -1).description == "1969-12-31T23:59:59.999Z")
        #expect(Timestamp(rfc3339: "2026-03-02T10:00:00Z")! < Timestamp(rfc3339: "2026-03-02T10:00:00.001Z")!)
        #expect(formatTimestamp(millisecondsSince1970: 1_709_210_096_789) == "2024-02-29T12:34:56.789Z")
    }
}
