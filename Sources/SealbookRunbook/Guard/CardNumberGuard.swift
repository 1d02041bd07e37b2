// PCI DSS v4.0.1 Requirement 3.5.1: a primary account number (PAN) must be unreadable wherever
// it is stored. The ledger is immutable, so a card number that got into an event could never be
// removed: the guard refuses any event whose data holds a probable card number, before the event
// is signed or stored, and its message names where, never what.
//
// The rule, deliberately simple so that anyone can predict it:
//
// 1. In every string value and every member name, take each maximal run of ASCII digits in which
//    consecutive digits may be separated by ONE space or ONE dash ("4111 1111 1111 1111",
//    "5500-0000-0000-0004", "378282246310005"). Two separators in a row, or any other character,
//    end the run.
// 2. The run is a probable card number when it has 13 to 19 digits and they pass the Luhn check.
//    A longer run (20 digits or more) is not a card number, and no shorter window inside it is
//    tried.
// 3. Except: a run glued to an identifier is not a card number: when the character just before
//    its first digit or just after its last digit is an ASCII letter or `_`, or is a dash that is
//    itself next to a letter, digit or `_`. That is what keeps hex digests ("…e3b0c442981…"),
//    UUIDs and ids like "CHG-1234…" from being refused: without it, about 1 random SHA-256 hex
//    string in 230 and 1 random UUID in 500 hold a Luhn-valid run of 13-19 digits.
// 4. An integer of 13 to 19 digits (sign ignored) that passes the Luhn check is a probable card
//    number too.
//
// Known limits (documented in docs/EVENTS.md): a card number written directly against letters
// ("card4111111111111111") is not caught (rule 3), nor one followed by more digits after a single
// space or dash ("4111 1111 1111 1111 12" is one run of 18 digits that fails Luhn), nor one
// written with non-ASCII digits. A run of unrelated numbers separated by single spaces
// ("12345 67890 12345") may be refused when it happens to pass Luhn: write such lists with commas.

public import SealbookCore

/// Finds probable payment card numbers in event data (PCI DSS 3.5.1); see the rule in this file's
/// header and in `docs/EVENTS.md`.
public enum CardNumberGuard {
    /// The path of the first value (in document order) that holds a probable card number, or nil.
    ///
    /// The path is written like schema violation paths (`data.note`, `data.items[2]`). When the
    /// card number is in a member *name*, the path names the object and the member's position,
    /// never the name: `data.evidence (the name of member 2)`.
    public static func findProbableCardNumber(in value: JSONValue, path: String = "data") -> String? {
        switch value {
        case .null, .bool:
            return nil
        case .number(let n):
            return isProbableCardNumber(n) ? path : nil
        case .string(let s):
            return containsProbableCardNumber(s) ? path : nil
        case .array(let elements):
            for (i, e) in elements.enumerated() {
                if let hit = findProbableCardNumber(in: e, path: DataPath.index(path, i)) { return hit }
            }
            return nil
        case .object(let o):
            for (i, m) in o.members.enumerated() {
                if containsProbableCardNumber(m.key) { return "\(path) (the name of member \(i + 1))" }
                if let hit = findProbableCardNumber(in: m.value, path: DataPath.member(path, m.key)) { return hit }
            }
            return nil
        }
    }

    /// The refusal for a hit at `path`:
    /// `data.note: looks like a payment card number (PCI DSS 3.5.1): not recorded`.
    public static func message(at path: String) -> String {
        "\(path): looks like a payment card number (PCI DSS 3.5.1): not recorded"
    }

    /// Whether `text` holds a probable card number (rules 1-3 of the file header).
    public static func containsProbableCardNumber(_ text: String) -> Bool {
        let u = Array(text.utf8)
        var digits: [UInt8] = []
        digits.reserveCapacity(20)
        var i = 0
        while i < u.count {
            guard isDigit(u[i]) else {
                i += 1
                continue
            }
            let start = i
            digits.removeAll(keepingCapacity: true)
            var count = 0
            var end = i  // one past the run's last digit
            var j = i
            while j < u.count {
                if isDigit(u[j]) {
                    count += 1
                    if count <= 19 { digits.append(u[j] - 0x30) }
                    j += 1
                    end = j
                } else if u[j] == 0x20 || u[j] == 0x2D, j + 1 < u.count, isDigit(u[j + 1]) {
                    j += 1  // a single separator between two digits
                } else {
                    break
                }
            }
            if (13...19).contains(count), !glued(u, before: start), !glued(u, after: end), passesLuhn(digits) {
                return true
            }
            i = end
        }
        return false
    }

    /// Whether the digits (values 0-9, most significant first) pass the Luhn (mod 10) check.
    public static func passesLuhn(_ digits: [UInt8]) -> Bool {
        guard !digits.isEmpty else { return false }
        var sum = 0
        for (k, d) in digits.reversed().enumerated() {
            var x = Int(d)
            if k % 2 == 1 {
                x *= 2
                if x > 9 { x -= 9 }
            }
            sum += x
        }
        return sum % 10 == 0
    }

    // MARK: - Implementation

    /// Rule 4: an integer of 13-19 digits passing Luhn. The ledger refuses non-integer numbers,
    /// but a number without an exact integer that still denotes one (`4111111111111111.0`) is
    /// checked as that integer.
    private static func isProbableCardNumber(_ n: JSONNumber) -> Bool {
        let magnitude: UInt64
        if let i = n.integer {
            magnitude = i.magnitude
        } else if n.value.isFinite, n.value == n.value.rounded(), n.value.magnitude < 1e19 {
            magnitude = UInt64(n.value.magnitude)
        } else {
            return false
        }
        let digits = Array(String(magnitude).utf8).map { $0 - 0x30 }
        return (13...19).contains(digits.count) && passesLuhn(digits)
    }

    @inline(__always)
    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    @inline(__always)
    private static func isWordByte(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
    }

    /// Rule 3, before the run starting at `start`.
    private static func glued(_ u: [UInt8], before start: Int) -> Bool {
        let p = start - 1
        guard p >= 0 else { return false }
        if isWordByte(u[p]) { return true }
        return u[p] == 0x2D && p - 1 >= 0 && (isWordByte(u[p - 1]) || isDigit(u[p - 1]))
    }

    /// Rule 3, after the run ending just before `end`.
    private static func glued(_ u: [UInt8], after end: Int) -> Bool {
        guard end < u.count else { return false }
        if isWordByte(u[end]) { return true }
        return u[end] == 0x2D && end + 1 < u.count && (isWordByte(u[end + 1]) || isDigit(u[end + 1]))
    }
}
