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
