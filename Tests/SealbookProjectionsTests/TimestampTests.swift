import SealbookProjections
import Testing

@Suite("RFC 3339 times without a clock")
struct TimestampTests {
    @Test("parses the ledger's form and writes it back")
    func roundTrip() {
        for s in [
            "1970-01-01T00:00:00.000Z", "2026-11-24T18:30:00.123Z", "2024-02-29T23:59:59.999Z",
            "0001-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z",
        ] {
            #expect(Timestamp(rfc3339: s)?.rfc3339 == s)
        }
        #expect(Timestamp(rfc3339: "1970-01-01T00:00:00.000Z")?.milliseconds == 0)
        #expect(Timestamp(rfc3339: "1969-12-31T23:59:59.999Z")?.milliseconds == -1)
        #expect(Timestamp(rfc3339: "2001-09-09T01:46:40.000Z")?.milliseconds == 1_000_000_000_000)
    }

    @Test("offsets and shorter fractions are normalised to UTC milliseconds")
    func offsets() {
        #expect(Timestamp(rfc3339: "2026-03-02T12:00:00+02:00")?.rfc3339 == "2026-03-02T10:00:00.000Z")
        #expect(Timestamp(rfc3339: "2026-03-01T23:30:00.5-01:00")?.rfc3339 == "2026-03-02T00:30:00.500Z")
        #expect(Timestamp(rfc3339: "2026-03-02T10:00:00Z")?.rfc3339 == "2026-03-02T10:00:00.000Z")
    }

    @Test(
        "refuses what is not an RFC 3339 time",
        arguments: [
            "", "2026-03-02", "2026-03-02T10:00:00", "2026-03-02T10:00:60.000Z", "2026-02-29T10:00:00.000Z",
            "2026-13-01T00:00:00Z",
            "2026-03-02T10:00:00.1234Z", "2026-03-02t10:00:00Z", "2026-03-02T10:00:00z", "2026-03-02T10:00:00.Z",
            "2026-03-02T10:00:00+0200",
            "0000-01-01T00:00:00Z", "2026-03-02T24:00:00Z", "2026-03-02T10:00:00.000Z ",
        ])
    func refused(_ s: String) {
        #expect(Timestamp(rfc3339: s) == nil)
    }

    @Test("arithmetic crosses days, months, leap years and the epoch")
    func arithmetic() {
        let t = Timestamp(rfc3339: "2024-02-28T23:00:00.000Z")!
        #expect(t.adding(milliseconds: 3_600_000).rfc3339 == "2024-02-29T00:00:00.000Z")
        #expect(t.adding(milliseconds: 72 * 3_600_000).rfc3339 == "2024-03-02T23:00:00.000Z")
        #expect(Timestamp(rfc3339: "2024-03-02T23:00:00.000Z")!.milliseconds(since: t) == 72 * 3_600_000)
        #expect(Timestamp(milliseconds: -86_400_000).rfc3339 == "1969-12-31T00:00:00.000Z")
    }
}
