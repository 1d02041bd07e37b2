internal import SealbookCore
internal import SealbookProjections

/// Words for people about events, hashes and durations, shared by the renderers and replay.
enum EventText {
    /// The first 12 hex digits of a hash, enough to find it; reports also list it in full.
    static func short(_ d: Digest32) -> String { String(d.hex.prefix(12)) }

    /// `#17 3fa9c1d2e4b5`: how a Markdown or HTML report cites one event.
    static func cite(_ r: EvidenceRef) -> String { "#\(r.seq) \(short(r.eventHash))" }

    /// `4 min 12.5 s`, `72 h`, `0 s`; negative durations get a minus sign.
    static func duration(ms: Int64) -> String {
        if ms == 0 { return "0 s" }
        let sign = ms < 0 ? "-" : ""
        let a = ms.magnitude
        let h = a / 3_600_000
        let m = a / 60_000 % 60
        let s = a / 1_000 % 60
        let f = a % 1_000
        var parts: [String] = []
        if h > 0 { parts.append("\(h) h") }
        if m > 0 { parts.append("\(m) min") }
        if s > 0 || f > 0 {
            if f > 0 {
                var frac = String(f)
                frac = String(repeating: "0", count: 3 - frac.count) + frac
                while frac.hasSuffix("0") { frac.removeLast() }
                parts.append("\(s).\(frac) s")
            } else {
                parts.append("\(s) s")
            }
        }
        return sign + parts.joined(separator: " ")
    }

    /// A few words from an event's data, at most 200 characters, never a whole payload.
    static func summary(_ e: VerifiedEvent) -> String {
        let d = e.data
        func s(_ k: String) -> String { d[k]?.stringValue ?? "?" }
        func o(_ k: String) -> String? { d[k]?.stringValue }
        func i(_ k: String) -> String { d[k]?.int64Value.map(String.init) ?? "?" }
        let text: String
        switch e.body.type {
        case "ledger.genesis": text = "genesis of ledger \(e.body.ledger)"
        case "key.enrolled":
            let roles = (d["roles"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
            text = "key of \(s("actor")) enrolled (\(roles))"
        case "key.revoked": text = "key revoked: \(s("reason"))"
        case "session.opened":
            let a = d["alembic"]
            text =
                "\(s("environment")) session for migration \(s("migrationId")), \(a?["from"]?.stringValue ?? "(empty)") → \(a?["to"]?.stringValue ?? "?")"
                + (o("changeTicket").map { ", ticket \($0)" } ?? "")
        case "session.closed": text = "closed: \(s("outcome"))" + (o("summary").map { " — \($0)" } ?? "")
        case "documentation.recorded": text = "document \(s("kind"))" + (o("title").map { ": \($0)" } ?? "")
        case "checklist.item.recorded":
            var t = "\(s("item")): \(s("status"))"
            if let v = o("value") { t += " (\(v)\(o("unit").map { " \($0)" } ?? ""))" }
            text = t
        case "approval.granted": text = "approved (\(s("scope")))" + (o("comment").map { ": \($0)" } ?? "")
        case "approval.denied": text = "denied (\(s("scope"))): \(s("reason"))"
        case "notification.sent": text = "\(s("audience")) via \(s("channel")): \(s("subject"))"
        case "backup.created": text = "backup \(s("backupId")) by \(s("method"))"
        case "backup.verified": text = "backup \(s("backupId")) verified: \(s("result"))"
        case "command.started": text = "$ " + (d["argv"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: " ")
        case "command.finished":
            text =
                "\(s("commandId")) \(s("outcome"))" + (d["exitCode"]?.int64Value.map { ", exit \($0)" } ?? "")
                + (d["durationMs"]?.int64Value.map { ", \(duration(ms: $0))" } ?? "")
        case "migration.applied", "migration.rolled-back":
            text = "\(o("fromRevision") ?? "(empty)") → \(o("toRevision") ?? "(empty)")"
        case "validation.recorded": text = "\(s("phase")) \(s("check")): \(s("result"))"
        case "rollback.started": text = "\(s("kind")) rollback by \(s("method")): \(s("reason"))"
        case "rollback.completed": text = "\(s("kind")) rollback \(s("result"))"
        case "traffic.stopped": text = "\(s("scope")) stopped: \(s("reason"))"
        case "traffic.resumed": text = "\(s("scope")) resumed"
        case "monitoring.observation": text = "\(s("metric")) = \(s("value")) \(s("unit"))"
        case "override.recorded": text = "gate \(s("gate")) overridden: \(s("justification"))"
        case "incident.opened": text = "incident \(s("incidentId")) level \(i("level")): \(s("title"))"
        case "incident.escalated": text = "level \(i("fromLevel")) → \(i("toLevel")): \(s("reason"))"
        case "incident.action.recorded": text = "\(s("phase")): \(s("action"))"
        case "incident.resolved": text = "resolved: \(s("resolution"))"
        case "incident.closed": text = "closed"
        case "gdpr.breach.assessed": text = "breach risk \(s("risk")), aware at \(s("awareAt"))"
        case "gdpr.authority.notified": text = "\(s("authority")) notified at \(s("notifiedAt"))"
        default: text = e.body.type
        }
        return text.count > 200 ? String(text.prefix(199)) + "…" : text
    }
}
