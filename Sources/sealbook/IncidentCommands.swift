import ArgumentParser
import Foundation
import SealbookCore
import SealbookKit
import SealbookPostgres
import SealbookRunbook

/// A command that records one event in an incident's stream (`incident/<id>`).
protocol IncidentEventCommand: SealbookCommand {
    var incident: String { get }
    var key: KeyOption { get }
    var database: DatabaseOptions { get }
    func event() throws -> (String, JSONObject)
}

extension IncidentEventCommand {
    func perform(_ out: Output) throws {
        let ctx = try RunbookContext(out: out, database: database, key: key)
        let stream = Recorder.incidentStream(incident)
        guard try ctx.recorder.store.streamPosition(stream).seq > 0 else {
            throw CLIError(.invalidEvent, "no incident \(incident): open one with sealbook incident open")
        }
        let (type, d) = try event()
        try ctx.record(stream, type, d)
    }
}

struct Incident: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open, escalate, act on, resolve and close incidents (one stream per incident: incident/<id>).",
        discussion: """
            Escalation levels (runbook): 1 standard issues (response 15 min), 2 data integrity
            (5 min), 3 system failure (immediate). Phases: immediate (0-5 min), assessment
            (5-15 min), recovery (15+ min).
            """,
        subcommands: [Open.self, Escalate.self, Action.self, Resolve.self, Close.self])

    struct Open: SealbookCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open an incident at an escalation level; prints its id.",
            discussion: """
                Example:
                  sealbook incident open --level 2 --title "balance split lost cents" --trigger "data validation failed" --session $SEALBOOK_SESSION
                """)
        @Option(help: ArgumentHelp("Escalation level 1, 2 or 3.", valueName: "n")) var level: Int64
        @Option(help: ArgumentHelp("Title.", valueName: "text")) var title: String
        @Option(help: ArgumentHelp("What triggered it.", valueName: "text")) var trigger: String
        @Option(help: ArgumentHelp("The session it arose in (default: $SEALBOOK_SESSION, if set).", valueName: "id")) var session: String?
        @Option(help: ArgumentHelp("Incident id (default: generated).", valueName: "id")) var id: String?
        @OptionGroup var key: KeyOption
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func perform(_ out: Output) throws {
            guard (1...3).contains(level) else { throw CLIError(.usage, "--level must be 1, 2 or 3") }
            let ctx = try RunbookContext(out: out, database: database, key: key)
            let iid = id ?? "INC-" + FormatV1.now().prefix(10).replacingOccurrences(of: "-", with: "") + "-" + Hex.encode(secureRandomBytes(3))
            guard FormatV1.isValidStreamID("incident/" + iid) else { throw CLIError(.usage, "--id: use letters, digits and ._-") }
            let s = session ?? ProcessInfo.processInfo.environment["SEALBOOK_SESSION"]
            try ctx.record(
                Recorder.incidentStream(iid), "incident.opened",
                data([
                    ("incidentId", .string(iid)), ("level", .int(level)), ("title", .string(title)), ("trigger", .string(trigger)),
                    ("sessionStream", s.map { .string(Recorder.sessionStream($0)) }),
                ]), extra: [("incident", .string(iid))])
            out.line("incident \(iid)")
        }
    }

    struct Escalate: IncidentEventCommand {
        static let configuration = CommandConfiguration(
            abstract: "Escalate an incident to a higher level.",
            discussion: """
                Example:
                  sealbook incident escalate INC-20240115-1a2b3c --to 3 --reason "rollback failed"
                """)
        @Argument(help: ArgumentHelp("Incident id.", valueName: "id")) var incident: String
        @Option(help: ArgumentHelp("Current level.", valueName: "n")) var from: Int64?
        @Option(help: ArgumentHelp("New level.", valueName: "n")) var to: Int64
        @Option(help: ArgumentHelp("Why.", valueName: "text")) var reason: String
        @OptionGroup var key: KeyOption
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func event() throws -> (String, JSONObject) {
            (
                "incident.escalated",
                data([("incidentId", .string(incident)), ("fromLevel", .int(from ?? max(1, to - 1))), ("toLevel", .int(to)), ("reason", .string(reason))])
            )
        }
    }

    struct Action: IncidentEventCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record an action in an emergency-response phase.",
            discussion: """
                Example:
                  sealbook incident action INC-20240115-1a2b3c --phase immediate --action "stopped all database writes"
                """)
        @Argument(help: ArgumentHelp("Incident id.", valueName: "id")) var incident: String
        @Option(help: ArgumentHelp("immediate, assessment or recovery.", valueName: "phase")) var phase: String
        @Option(help: ArgumentHelp("What was done.", valueName: "text")) var action: String
        @Option(help: ArgumentHelp("Details.", valueName: "text")) var details: String?
        @OptionGroup var key: KeyOption
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func event() throws -> (String, JSONObject) {
            (
                "incident.action.recorded",
                data([("incidentId", .string(incident)), ("phase", .string(phase)), ("action", .string(action)), ("details", details.json)])
            )
        }
    }

    struct Resolve: IncidentEventCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record the root cause and resolution.",
            discussion: """
                Example:
                  sealbook incident resolve INC-20240115-1a2b3c --root-cause "rounding in 0003" --resolution "rolled back to 0002"
                """)
        @Argument(help: ArgumentHelp("Incident id.", valueName: "id")) var incident: String
        @Option(name: .customLong("root-cause"), help: ArgumentHelp("Root cause.", valueName: "text")) var rootCause: String
        @Option(help: ArgumentHelp("Resolution.", valueName: "text")) var resolution: String
        @OptionGroup var key: KeyOption
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func event() throws -> (String, JSONObject) {
            ("incident.resolved", data([("incidentId", .string(incident)), ("rootCause", .string(rootCause)), ("resolution", .string(resolution))]))
        }
    }

    struct Close: IncidentEventCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close an incident.",
            discussion: """
                Example:
                  sealbook incident close INC-20240115-1a2b3c --lessons "test data migrations on a production-size copy"
                """)
        @Argument(help: ArgumentHelp("Incident id.", valueName: "id")) var incident: String
        @Option(help: ArgumentHelp("Lessons learned.", valueName: "text")) var lessons: String?
        @OptionGroup var key: KeyOption
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func event() throws -> (String, JSONObject) {
            ("incident.closed", data([("incidentId", .string(incident)), ("lessonsLearned", lessons.json)]))
        }
    }
}

struct GDPR: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gdpr",
        abstract: "GDPR Art. 33: record the breach assessment and the supervisory authority's notification.",
        subcommands: [Assess.self, Notify.self])

    struct Assess: IncidentEventCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record the breach risk assessment, with the time of awareness (the 72-hour clock starts there).",
            discussion: """
                Example:
                  sealbook gdpr assess --incident INC-20240115-1a2b3c --aware-at 2024-01-15T22:41:00.000Z --risk none
                """)
        @Option(help: ArgumentHelp("Incident id.", valueName: "id")) var incident: String
        @Option(name: .customLong("aware-at"), help: ArgumentHelp("When the controller became aware (RFC 3339 UTC ms).", valueName: "time"))
        var awareAt: String
        @Option(help: ArgumentHelp("none, risk or high.", valueName: "level")) var risk: String
        @Option(name: .customLong("category"), help: ArgumentHelp("Category of personal data (repeat).", valueName: "text")) var categories: [String] = []
        @Option(name: .customLong("approx-subjects"), help: ArgumentHelp("Approximate number of data subjects.", valueName: "n")) var approxSubjects: Int64?
        @Option(help: ArgumentHelp("Likely consequences.", valueName: "text")) var consequences: String?
        @Option(help: ArgumentHelp("Measures taken or proposed.", valueName: "text")) var measures: String?
        @OptionGroup var key: KeyOption
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func event() throws -> (String, JSONObject) {
            (
                "gdpr.breach.assessed",
                data([
                    ("incidentId", .string(incident)), ("awareAt", .string(awareAt)), ("risk", .string(risk)),
                    ("categories", categories.isEmpty ? nil : .array(categories.map(JSONValue.string))),
                    ("approxSubjects", approxSubjects.map { .int($0) }), ("likelyConsequences", consequences.json),
                    ("measures", measures.json),
                ])
            )
        }
    }

    struct Notify: IncidentEventCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record the notification of the supervisory authority with the Art. 33(3) contents.",
            discussion: """
                Example:
                  sealbook gdpr notify --incident INC-20240115-1a2b3c --authority "CNIL" --nature "…" \\
                    --dpo-contact "dpo@fingood.example" --consequences "…" --measures "…"
                """)
        @Option(help: ArgumentHelp("Incident id.", valueName: "id")) var incident: String
        @Option(help: ArgumentHelp("The supervisory authority.", valueName: "name")) var authority: String
        @Option(name: .customLong("notified-at"), help: ArgumentHelp("When (default: now).", valueName: "time")) var notifiedAt: String?
        @Option(help: ArgumentHelp("Nature of the breach.", valueName: "text")) var nature: String
        @Option(name: .customLong("dpo-contact"), help: ArgumentHelp("DPO contact point.", valueName: "text")) var dpoContact: String
        @Option(help: ArgumentHelp("Likely consequences.", valueName: "text")) var consequences: String
        @Option(help: ArgumentHelp("Measures taken or proposed.", valueName: "text")) var measures: String
        @Option(name: .customLong("delay-reason"), help: ArgumentHelp("Reasons for a delay beyond 72 hours.", valueName: "text")) var delayReason: String?
        @OptionGroup var key: KeyOption
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func event() throws -> (String, JSONObject) {
            (
                "gdpr.authority.notified",
                data([
                    ("incidentId", .string(incident)), ("authority", .string(authority)), ("notifiedAt", .string(notifiedAt ?? FormatV1.now())),
                    (
                        "contents",
                        .obj([("nature", .string(nature)), ("dpoContact", .string(dpoContact)), ("consequences", .string(consequences)), ("measures", .string(measures))])
                    ),
                    ("delayReason", delayReason.json),
                ])
            )
        }
    }
}
