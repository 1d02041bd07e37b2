internal import Foundation

/// How a scenario came out.
public enum ScenarioStatus: String, Sendable {
    /// Measured, and the target is reached.
    case reached
    /// Measured, and the target is missed.
    case missed
    /// The feature it measures does not exist yet; nothing was measured.
    case notImplemented = "not-implemented"
    /// The Python peer could not be installed or run: no ratio.
    case peerUnavailable = "peer-unavailable"
    /// `--skip-peer`: the figure was measured but there is no peer to compare with.
    case peerSkipped = "peer-skipped"
    /// The scenario failed to run (the error is in `error`).
    case error
}

/// A target: `ratio op value` (e.g. ratio ≥ 0.8), plus an optional absolute bound; or, with
/// `onFigure`, `figure op value` (an absolute bound such as "< 1 s on a 1M-event log", where the
/// ratio to a baseline of the same run is shown beside it but does not decide).
struct Target: Sendable {
    enum Op: String, Sendable { case atLeast = ">=", atMost = "<=", below = "<" }
    let op: Op
    let value: Double
    let text: String
    /// The bound applies to the figure itself, not to the ratio.
    var onFigure = false

    func holds(_ x: Double) -> Bool {
        switch op {
        case .atLeast: x >= value
        case .atMost: x <= value
        case .below: x < value
        }
    }

    var json: BenchJSON {
        .object([(onFigure ? "figure" : "ratio", .string(op.rawValue)), ("value", .double(value)), ("text", .string(text))])
    }
}

/// One row of the result: a figure, what it is compared with, and whether the target holds.
struct ScenarioResult: Sendable {
    let id: Int
    let key: String
    let title: String
    var status: ScenarioStatus
    /// The scenario's figure (a rate, a size in bytes, a latency in ms).
    var figure: Double?
    var unit: String
    /// What the figure is compared with, and its value.
    var baselineLabel: String
    var baseline: Double?
    /// figure / baseline (or as the target defines it).
    var ratio: Double?
    let target: Target
    /// Other conditions of the target (e.g. an absolute bound), with whether each held.
    var conditions: [(String, Bool)] = []
    var details: [(String, BenchJSON)] = []
    var note: String?

    init(id: Int, key: String, title: String, unit: String, baselineLabel: String, target: Target) {
        self.id = id
        self.key = key
        self.title = title
        self.status = .error
        self.unit = unit
        self.baselineLabel = baselineLabel
        self.target = target
    }

    /// A scenario whose feature does not exist yet: no figure at all.
    static func notImplemented(id: Int, key: String, title: String, target: Target, note: String) -> ScenarioResult {
        var r = ScenarioResult(id: id, key: key, title: title, unit: "", baselineLabel: "", target: target)
        r.status = .notImplemented
        r.note = note
        return r
    }

    /// Sets figure, baseline and ratio, and the status from the target and the extra conditions.
    mutating func settle(figure: Double, baseline: Double?, ratio: Double? = nil, conditions: [(String, Bool)] = []) {
        self.figure = figure
        self.baseline = baseline
        self.conditions = conditions
        let r = ratio ?? baseline.flatMap { $0 > 0 ? figure / $0 : nil }
        self.ratio = r
        if target.onFigure {
            status = target.holds(figure) && conditions.allSatisfy(\.1) ? .reached : .missed
        } else if let r {
            status = target.holds(r) && conditions.allSatisfy(\.1) ? .reached : .missed
        }
    }

    mutating func fail(_ error: any Error) {
        status = .error
        note = "\(error)"
    }

    var json: BenchJSON {
        var m: [(String, BenchJSON)] = [
            ("id", .int(Int64(id))), ("key", .string(key)), ("title", .string(title)), ("status", .string(status.rawValue)),
        ]
        if status == .notImplemented {
            m += [("target", target.json), ("note", .str(note))]
            return .object(m)
        }
        m += [
            ("figure", .num(figure, unit == "ms" ? 3 : 1)), ("unit", .string(unit)),
            ("baseline", .object([("label", .string(baselineLabel)), ("value", .num(baseline, unit == "ms" ? 3 : 1))])),
            ("ratio", .num(ratio, 4)), ("target", target.json),
        ]
        if !conditions.isEmpty {
            m.append(("conditions", .object(conditions.map { ($0.0, .bool($0.1)) })))
        }
        m.append(("details", .object(details)))
        if let note { m.append(("note", .string(note))) }
        return .object(m)
    }
}

/// The whole run, as written to `reports/benchmarks/` and printed.
struct BenchReport: Sendable {
    var header: [(String, BenchJSON)] = []
    var baselines: [(String, BenchJSON)] = []
    var logBuild: BenchJSON = .null
    var scenarios: [ScenarioResult] = []
    var trailer: [(String, BenchJSON)] = []

    var json: BenchJSON {
        let counts = Dictionary(grouping: scenarios, by: \.status).mapValues(\.count)
        let summary: BenchJSON = .object(
            [ScenarioStatus.reached, .missed, .notImplemented, .peerUnavailable, .peerSkipped, .error].map {
                ($0.rawValue, .int(Int64(counts[$0] ?? 0)))
            })
        return .object(
            header + [("baselines", .object(baselines)), ("logBuild", logBuild), ("scenarios", .array(scenarios.map(\.json)))]
                + [("summary", summary)] + trailer)
    }

    /// The table for people.
    var table: String {
        func fmt(_ x: Double?, _ unit: String) -> String {
            guard let x, x.isFinite else { return "—" }
            switch unit {
            case "events/s": return formatRate(x)
            case "bytes": return String(format: "%.1f MB", x / 1_048_576)
            case "ms": return String(format: "%.2f ms", x)
            default: return String(format: "%.2f %@", x, unit)
            }
        }
        var rows: [[String]] = [["#", "scenario", "figure", "baseline", "ratio", "target", "reached?"]]
        for s in scenarios {
            let reached: String =
                switch s.status {
                case .reached: "yes"
                case .missed: "NO"
                case .notImplemented: "not measured" + (s.note.map { ": \($0)" } ?? "")
                case .peerUnavailable: "no peer (unavailable)"
                case .peerSkipped: "no peer (--skip-peer)"
                case .error: "error: " + (s.note ?? "")
                }
            if s.status == .notImplemented {
                rows.append([String(s.id), s.title, "—", "—", "—", s.target.text, reached])
                continue
            }
            rows.append([
                String(s.id), s.title, fmt(s.figure, s.unit), "\(fmt(s.baseline, s.unit)) \(s.baselineLabel)",
                s.ratio.map { String(format: "%.3f", $0) } ?? "—", s.target.text, reached,
            ])
        }
        var widths = [Int](repeating: 0, count: rows[0].count)
        for r in rows { for (i, c) in r.enumerated() where i < rows[0].count - 1 { widths[i] = max(widths[i], c.count) } }
        var out = ""
        for (n, r) in rows.enumerated() {
            var line = ""
            for (i, c) in r.enumerated() {
                line += i == r.count - 1 ? c : c.padding(toLength: widths[i] + 2, withPad: " ", startingAt: 0)
            }
            out += line + "\n"
            if n == 0 { out += String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1) + 8) + "\n" }
        }
        return out
    }
}
