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
    func event() throws -> RunbookEvent
}

extension IncidentEventCommand {
    func perform(_ out: Output) throws {
        let ctx = try RunbookContext(out: out, database: database, key: key)
        let event = try event()
        ctx.report(RecordedEvent(type: event.type, result: try ctx.ledger.record(event, inIncident: incident, key: ctx.key)))
    }
}

struct Incident: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open, escalate, act on, resolve and close incidents (one stream per incident: incident/<id>).",
        discussion: """
            Escalation levels (runbook): 1 standard issues (response 15 min), 2 data integrity \
            (5 min), 3 system failure (immediate). Phases: immediate (0-5 min), assessment \
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

        func validate() throws {
            guard (1...3).contains(level) else { throw ValidationError("--level must be 1, 2 or 3") }
        }

        func perform(_ out: Output) throws {
            let ctx = try RunbookContext(out: out, database: database, key: key)
            let (iid, r) = try ctx.ledger.openIncident(
                id: id, level: level, title: title, trigger: trigger,
                session: session ?? ProcessInfo.processInfo.environment["SEALBOOK_SESSION"], key: ctx.key)
            ctx.report(RecordedEvent(type: "incident.opened", result: r), extra: [("incident", .string(iid))])
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

        func event() throws -> RunbookEvent {
            .incidentEscalated(incidentID: incident, fromLevel: from ?? max(1, to - 1), toLevel: to, reason: reason)
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
        @Option(help: ArgumentHelp("The emergency-response phase.", valueName: "phase")) var phase: IncidentPhase
        @Option(help: ArgumentHelp("What was done.", valueName: "text")) var action: String
        @Option(help: ArgumentHelp("Details.", valueName: "text")) var details: String?
        @OptionGroup var key: KeyOption
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func event() throws -> RunbookEvent {
            .incidentAction(incidentID: incident, phase: phase, action: action, details: details)
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

        func event() throws -> RunbookEvent {
            .incidentResolved(incidentID: incident, rootCause: rootCause, resolution: resolution)
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

        func event() throws -> RunbookEvent { .incidentClosed(incidentID: incident, lessonsLearned: lessons) }
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
                  sealbook gdpr assess --incident INC-20240115-1a2b3c --aware-at 2024-01-15T22:41:00.000Z --risk none \\
                    --justification "pseudonymous references only; the mapping table was not touched"
                """)
        @Option(help: ArgumentHelp("Incident id.", valueName: "id")) var incident: String
        @Option(name: .customLong("aware-at"), help: ArgumentHelp("When the controller became aware (RFC 3339 UTC ms).", valueName: "time"))
        var awareAt: String
        @Option(help: ArgumentHelp("The risk to the rights and freedoms of data subjects.", valueName: "level")) var risk: BreachRisk
        @Option(name: .customLong("category"), help: ArgumentHelp("Category of personal data (repeat).", valueName: "text")) var categories: [String] = []
        @Option(name: .customLong("approx-subjects"), help: ArgumentHelp("Approximate number of data subjects.", valueName: "n")) var approxSubjects: Int64?
        @Option(help: ArgumentHelp("Likely consequences.", valueName: "text")) var consequences: String?
        @Option(help: ArgumentHelp("Measures taken or proposed.", valueName: "text")) var measures: String?
        @Option(
            help: ArgumentHelp(
                "Why the breach is unlikely to result in a risk (what a --risk none assessment must give, Art. 33(1)).",
                valueName: "text"))
        var justification: String?
        @OptionGroup var key: KeyOption
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func event() throws -> RunbookEvent {
            .breachAssessed(
                incidentID: incident, awareAt: awareAt, risk: risk, categories: categories, approxSubjects: approxSubjects,
                likelyConsequences: consequences, measures: measures, justification: justification)
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

        func event() throws -> RunbookEvent {
            .authorityNotified(
                incidentID: incident, authority: authority, notifiedAt: notifiedAt ?? FormatV1.now(), nature: nature,
                dpoContact: dpoContact, consequences: consequences, measures: measures, delayReason: delayReason)
        }
    }
}
