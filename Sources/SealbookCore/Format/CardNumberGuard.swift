// PCI DSS v4.0.1 Requirement 3.5.1: a primary account number (PAN) must be unreadable wherever
// it is stored. The ledger is immutable, so a card number that got into an event could never be
// removed: the guard refuses any event that holds a probable card number — in its data, its
// stream id, its idempotency key, its actor, its type or its ledger id — before the event is
// signed or stored, and its message names where, never what.
//
// It runs in one place for every event Sealbook signs: `SignedEvent(signing:with:)` calls
// `CardNumberGuard.check(_:)` on the body (so the application append, the store's low-level
// append, key events and the genesis all pass through it), and the event catalog calls the same
// rule on `data` first so that no schema message can echo a number. The rule (docs/EVENTS.md §4):
//
// 1. Text is read as Unicode scalars. Format characters (zero-width space, joiners, soft hyphen,
//    BOM, …: general category Cf) and combining marks (Mn, Me) are skipped as if absent. A
//    *digit* is any decimal digit (general category Nd: ASCII, fullwidth, Arabic-Indic,
//    Devanagari, …) with its value. A *letter* is any other alphanumeric scalar. Everything else
//    (spaces of every kind, tabs, newlines, punctuation including `.` `,` `/` `_` `-`, symbols,
//    controls) is a *separator*.
// 2. A *group* is a maximal sequence of digits. Two groups are *joined* when only separators stand
//    between them, at most 3 of them; the gap is *tight* when it is exactly one ASCII space or
//    one ASCII dash, *loose* otherwise. A *chain* is a maximal sequence of joined groups.
// 3. A *candidate* is any run of consecutive whole groups of a chain with 13 to 19 digits in all.
//    It is a probable card number when its digits pass the Luhn check, and
//    a. when a gap inside it is loose, every group in it has 3 to 6 digits, as printed card
//       numbers are grouped (so dates and times such as "2024-01-15 22:41:07", version numbers
//       and lists of measurements such as "52428800, 1048576" are not joined into one), and
//    b. it is not *glued to an identifier*: an *identifier token* is a maximal run of ASCII
//       letters, digits, `-` and `_`; the candidate is glued when the token holding its first
//       digit has an ASCII letter before that digit, or the token holding its last digit has an
//       ASCII letter after it. That keeps SHA-256 hex digests, UUIDs, base64 keys and ids such as
//       "CHG-…" or "migration_…" from being refused: without it, about 1 random SHA-256 hex
//       string in 230 and 1 random UUID in 500 would hold a Luhn-valid run of 13-19 digits.
// 4. The elements of an array that are strings or integers, taken in order, are also read as
//    one text with a newline between elements (so a number split as ["4111","1111","1111","1111"]
//    is found); a nested array, object, boolean or null starts a new text.
// 5. An integer of 13 to 19 digits (sign ignored) that passes the Luhn check is a probable card
//    number too.
//
// Known limits (docs/EVENTS.md §4): a number written in an identifier with ASCII letters
// ("card4111111111111111", "id-4111111111111111") is not caught (3b), nor one split into groups
// of fewer than 3 or more than 6 digits by anything but single spaces or dashes (3a), nor one
// spelled out in words or encoded. Unrelated
// numbers joined by separators ("ports 5432, 5433, 5434, 5435") are refused when they happen to
// pass Luhn. The guard is a last line of defence, not a substitute for keeping card data out of
// migration tooling.

/// Finds probable payment card numbers in event bodies (PCI DSS 3.5.1); see the rule in this
/// file's header and in `docs/EVENTS.md` §4.
public enum CardNumberGuard {
    /// The fewest and most digits a card number has.
    public static let digitRange = 13...19
    /// The most separators between two groups that still join them.
    public static let maxGap = 3
    /// The digits each group has when a loose gap joins the groups of a candidate.
    public static let looseGroup = 3...6

    /// The path of the first value (in document order) that holds a probable card number, or nil.
    ///
    /// The path is written like schema violation paths (`data.note`, `data.items[2]`). When the
    /// card number is in a member *name*, the path names the object and the member's position,
    /// never the name: `data.evidence (the name of member 2)`. When it is split over an array's
    /// elements, the path names the array.
    public static func findProbableCardNumber(in value: JSONValue, path: String = "data") -> String? {
        switch value {
        case .null, .bool:
            return nil
        case .number(let n):
            return isProbableCardNumber(n) ? path : nil
        case .string(let s) where FormatV1.isValidKeyID(s) || DataKey.isValidID(s):
            // A key id or a data key id: hex digits of a hash, which may all be decimal (one
            // key in about 20,000 would otherwise pass for a card number and could not be enrolled).
            return nil
        case .string(let s):
            return containsProbableCardNumber(s) ? path : nil
        case .array(let elements):
            for (i, e) in elements.enumerated() {
                if let hit = findProbableCardNumber(in: e, path: "\(path)[\(i)]") { return hit }
            }
            return arrayJoinsCardNumber(elements) ? path : nil
        case .object(let o) where SealedValue(o) != nil:
            // A sealed value (docs/FORMAT.md §13): its text was guarded before it was sealed;
            // its base64 is ciphertext, which must not be read as digits.
            return nil
        case .object(let o):
            for (i, m) in o.members.enumerated() {
                if containsProbableCardNumber(m.key) { return "\(path) (the name of member \(i + 1))" }
                if let hit = findProbableCardNumber(in: m.value, path: memberPath(path, m.key)) { return hit }
            }
            return nil
        }
    }

    /// Every text member of a body that can hold one, then its data: `ledger`, `stream`, `type`,
    /// `actor`, `idem`, `data` (the refusal names the member, never the number). `time`,
    /// `streamPrev` and `key` have fixed grammars that cannot hold one.
    public static func check(_ body: EventBody) throws(BodyError) {
        let texts: [(String, String?)] = [
            ("ledger", body.ledger), ("stream", body.stream), ("type", body.type), ("actor", body.actor),
            ("idem", body.idem),
        ]
        for (path, text) in texts {
            if let text, containsProbableCardNumber(text) { throw BodyError(path: path, rule: rule, kind: .cardNumber) }
        }
        if let path = findProbableCardNumber(in: .object(body.data), path: "data") {
            throw BodyError(path: path, rule: rule, kind: .cardNumber)
        }
    }

    /// What a refusal says after the path.
    public static let rule = "looks like a payment card number (PCI DSS 3.5.1): not recorded"

    /// The refusal for a hit at `path`:
    /// `data.note: looks like a payment card number (PCI DSS 3.5.1): not recorded`.
    public static func message(at path: String) -> String { "\(path): \(rule)" }

    /// Whether `text` holds a probable card number (rules 1-3 of the file header).
    public static func containsProbableCardNumber(_ text: String) -> Bool {
        // Fast path: no decimal digit at all (most text); ASCII-only text without 13 ASCII
        // digits cannot hold 13 digits either.
        var asciiDigits = 0
        var ascii = true
        for b in text.utf8 {
            if b >= 0x80 {
                ascii = false
                break
            }
            if b >= 0x30 && b <= 0x39 { asciiDigits += 1 }
        }
        if ascii && asciiDigits < digitRange.lowerBound { return false }
        return scan(atoms(of: text))
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

    /// One scalar as the rule sees it (format characters and marks are dropped before).
    enum Atom: Equatable {
        case digit(UInt8)
        /// An ASCII letter: glues (rule 3b).
        case asciiLetter
        /// Any other letter or non-decimal number: ends a chain, glues nothing.
        case letter
        /// A separator; `tight` is an ASCII space or dash, `glue` a dash or underscore (3b).
        case separator(tight: Bool, glue: Bool)
    }

    static func atoms(of text: String) -> [Atom] {
        var out: [Atom] = []
        out.reserveCapacity(text.utf8.count)
        for s in text.unicodeScalars {
            let v = s.value
            if v < 0x80 {
                switch v {
                case 0x30...0x39: out.append(.digit(UInt8(v - 0x30)))
                case 0x41...0x5A, 0x61...0x7A: out.append(.asciiLetter)
                case 0x20: out.append(.separator(tight: true, glue: false))
                case 0x2D: out.append(.separator(tight: true, glue: true))
                case 0x5F: out.append(.separator(tight: false, glue: true))
                default: out.append(.separator(tight: false, glue: false))
                }
                continue
            }
            let p = s.properties
            switch p.generalCategory {
            case .format, .nonspacingMark, .enclosingMark:
                continue  // invisible: as if absent
            case .decimalNumber:
                if let n = p.numericValue, n >= 0, n <= 9 { out.append(.digit(UInt8(n))) } else { out.append(.letter) }
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .letterNumber,
                .otherNumber, .spacingMark:
                out.append(.letter)
            default:
                out.append(.separator(tight: false, glue: false))
            }
        }
        return out
    }

    /// A group: its digits and where it sits in the atoms.
    private struct Group {
        var digits: [UInt8]
        var start: Int
        var end: Int  // one past its last digit
        /// How it is joined to the group before it in its chain (nil: it starts a chain).
        var gapBeforeIsLoose: Bool?
    }

    static func scan(_ a: [Atom]) -> Bool {
        let glue = Glue(a)
        var chain: [Group] = []
        var i = 0
        while i < a.count {
            guard case .digit = a[i] else {
                i += 1
                continue
            }
            var g = Group(digits: [], start: i, end: i, gapBeforeIsLoose: nil)
            while i < a.count, case .digit(let d) = a[i] {
                if g.digits.count <= digitRange.upperBound { g.digits.append(d) }
                i += 1
            }
            g.end = i
            if let last = chain.last {
                // Joined when only 1...maxGap separators stand between the two groups.
                let gap = a[last.end..<g.start]
                var separators = 0
                var tight = false
                for atom in gap {
                    if case .separator(let t, _) = atom {
                        separators += 1
                        tight = t
                    } else {
                        separators = Int.max
                        break
                    }
                }
                if separators >= 1 && separators <= maxGap {
                    g.gapBeforeIsLoose = !(separators == 1 && tight)
                } else {
                    if check(chain: chain, in: a, glue: glue) { return true }
                    chain.removeAll(keepingCapacity: true)
                }
            }
            // A group too long for any candidate ends the chain on both sides.
            if g.digits.count > digitRange.upperBound {
                if check(chain: chain, in: a, glue: glue) { return true }
                chain.removeAll(keepingCapacity: true)
                continue
            }
            chain.append(g)
        }
        return check(chain: chain, in: a, glue: glue)
    }

    /// Rule 3 over every run of consecutive groups of one chain.
    private static func check(chain: [Group], in a: [Atom], glue: Glue) -> Bool {
        for first in chain.indices {
            var count = 0
            var loose = false
            var allCardGroups = true
            var digits: [UInt8] = []
            for last in first..<chain.count {
                let g = chain[last]
                count += g.digits.count
                if count > digitRange.upperBound { break }
                if last > first, chain[last].gapBeforeIsLoose == true { loose = true }
                if !looseGroup.contains(g.digits.count) { allCardGroups = false }
                digits.append(contentsOf: g.digits)
                guard digitRange.contains(count) else { continue }
                if loose && !allCardGroups { continue }
                if glue.letterBefore[chain[first].start] || glue.letterAfter[g.end - 1] { continue }
                if passesLuhn(digits) { return true }
            }
        }
        return false
    }

    /// Rule 3b: for each atom, whether its identifier token has an ASCII letter before it, or
    /// after it.
    private struct Glue {
        var letterBefore: [Bool]
        var letterAfter: [Bool]

        init(_ a: [Atom]) {
            func isTokenAtom(_ atom: Atom) -> Bool {
                switch atom {
                case .digit, .asciiLetter, .separator(_, true): true
                default: false
                }
            }
            letterBefore = [Bool](repeating: false, count: a.count)
            letterAfter = [Bool](repeating: false, count: a.count)
            var seen = false
            for i in a.indices {
                if !isTokenAtom(a[i]) {
                    seen = false
                    continue
                }
                letterBefore[i] = seen
                if a[i] == .asciiLetter { seen = true }
            }
            seen = false
            for i in a.indices.reversed() {
                if !isTokenAtom(a[i]) {
                    seen = false
                    continue
                }
                letterAfter[i] = seen
                if a[i] == .asciiLetter { seen = true }
            }
        }
    }

    /// Rule 4: each run of consecutive string or integer elements, read as one text.
    private static func arrayJoinsCardNumber(_ elements: [JSONValue]) -> Bool {
        var run: [String] = []
        func flush() -> Bool {
            defer { run.removeAll() }
            return run.count >= 2 && containsProbableCardNumber(run.joined(separator: "\n"))
        }
        for e in elements {
            switch e {
            case .string(let s) where FormatV1.isValidKeyID(s) || DataKey.isValidID(s): if flush() { return true }
            case .string(let s): run.append(s)
            case .number(let n) where n.integer != nil: run.append(String(n.integer!))
            default: if flush() { return true }
            }
        }
        return flush()
    }

    /// Rule 5: an integer of 13-19 digits passing Luhn. The ledger refuses non-integer numbers,
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
        return digitRange.contains(digits.count) && passesLuhn(digits)
    }

    /// `base.name` for a plain name, else `base["name"]` (JSON-quoted, cut at 40 characters),
    /// as schema violation paths are written.
    private static func memberPath(_ base: String, _ name: String) -> String {
        let plain =
            !name.isEmpty
            && name.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
            }
        if plain { return "\(base).\(name)" }
        let scalars = name.unicodeScalars
        var cut = name
        if scalars.count > 40 {
            var v = String.UnicodeScalarView()
            v.append(contentsOf: scalars.prefix(40))
            cut = String(v) + "…"
        }
        return "\(base)[\(JSONValue.string(cut).description)]"
    }
}
