import SealbookCore
import SealbookProjections
import SealbookRunbook
import Testing

/// Every control's pass, fail and pending paths. Three whole sessions drive most of them (a
/// compliant one, one that ran with no paperwork, and one just opened or just migrated); the
/// few controls those cannot reach have their own tests below and in the other suites.
@Suite("Control paths: pass, fail and pending for every control")
struct ControlPathTests {
    static let sessionControls = ControlCatalog.builtIn.controls.filter { $0.scope == .session }.map(\.id)
    static let incidentControls = ControlCatalog.builtIn.controls.filter { $0.scope == .incident }.map(\.id)

    /// Controls that a compliant session without rollback or override does not exercise.
    static let notApplicableWhenGood: Set<String> = ["runbook.rollback.window", "sox.change.emergency"]

    @Test("a compliant production session passes every applicable control", arguments: sessionControls)
    func passPath(_ id: String) {
        let (events, migrationAt) = goodSession()
        let r = evaluate(events, at: migrationAt.adding(milliseconds: 6 * hour)).session().control(id)
        let expected: ControlStatus = Self.notApplicableWhenGood.contains(id) ? .notApplicable : .pass
        #expect(r.status == expected, "\(id): \(r.reasons)")
        if expected == .pass {
            #expect(!r.evidence.isEmpty || r.reasons.contains { $0.contains("no ") }, "\(id) cites no evidence")
            #expect(r.freshness == .current)
        } else {
            #expect(r.freshness == nil)
        }
    }

    @Test("a session that ran the migration with none of the records fails them", arguments: sessionControls)
    func failPath(_ id: String) {
        let events = bareClosedSession()
        let r = evaluate(events, at: events.last!.time.adding(milliseconds: 24 * hour)).session().control(id)
        let expected: ControlStatus =
            switch id {
            case _ where Self.notApplicableWhenGood.contains(id): .notApplicable
            default: .fail
            }
        #expect(r.status == expected, "\(id): \(r.reasons)")
        if expected == .fail { #expect(!r.reasons.isEmpty) }
    }

    @Test("a session just opened: everything due before or after the migration is pending", arguments: sessionControls)
    func pendingBeforeMigration(_ id: String) {
        let events = openedOnlySession()
        let r = evaluate(events, at: events.last!.time.adding(milliseconds: minute)).session().control(id)
        let expected: ControlStatus =
            id.hasPrefix("runbook.success.") || Self.notApplicableWhenGood.contains(id) ? .notApplicable : .pending
        #expect(r.status == expected, "\(id): \(r.reasons)")
        if expected == .notApplicable { #expect(r.freshness == nil) } else { #expect(r.freshness == .missing) }
    }

    @Test(
        "a session one minute after its migration: the success criteria are pending",
        arguments: sessionControls.filter { $0.hasPrefix("runbook.success.") })
    func pendingSuccessCriteria(_ id: String) {
        let (events, migrationAt) = runningSession()
        let r = evaluate(events, at: migrationAt.adding(milliseconds: minute)).session().control(id)
        #expect(r.status == .pending, "\(id): \(r.reasons)")
    }

    @Test("the same running session: controls due after the migration are pending, those due before it pass")
    func runningSessionSplit() {
        let (events, migrationAt) = runningSession()
        let s = evaluate(events, at: migrationAt.adding(milliseconds: minute)).session()
        for id in [
            "runbook.validation.immediate", "runbook.validation.extended", "runbook.validation.long-term",
            "pci.card-data", "sox.audit-trail", "sox.change.closure", "runbook.doc.execution-log",
        ] {
            #expect(s.control(id).status == .pending, "\(id): \(s.control(id).reasons)")
        }
        for id in [
            "sox.change.approval", "sox.change.backup", "sox.change.testing", "runbook.pre.disk-space",
            "runbook.doc.purpose", "sox.change.segregation",
        ] {
            #expect(s.control(id).status == .pass, "\(id): \(s.control(id).reasons)")
        }
    }

    @Test("a change without a ticket fails the request control once it runs, and is pending until then")
    func changeRequest() {
        let opened = openedOnlySession()
        #expect(evaluate(opened, at: opened.last!.time).session().control("sox.change.request").status == .pending)
        let bare = bareClosedSession()
        #expect(evaluate(bare, at: bare.last!.time).session().control("sox.change.request").status == .fail)
    }

    @Test("a staging session: the production controls do not apply, the success criteria do")
    func staging() {
        var b = LedgerBuilder()
        b.standardKeys()
        var s = SessionScript(b)
        s.open(environment: "staging")
        s.b.at(minutes: 30)
        s.upgrade()
        let report = evaluate(s.b.events, at: s.b.now).session()
        for c in report.controls where !c.id.hasPrefix("runbook.success.") {
            #expect(c.status == .notApplicable, "\(c.id)")
        }
        #expect(report.control("runbook.success.executed-without-errors").status == .pending)
    }

    // MARK: Incidents

    @Test("an incident handled by the runbook and GDPR passes every incident control", arguments: incidentControls)
    func incidentPass(_ id: String) {
        let (events, declaredAt) = goodIncident()
        let r = evaluate(events, at: declaredAt.adding(milliseconds: 4 * 24 * hour)).incident("INC-1").control(id)
        #expect(r.status == .pass, "\(id): \(r.reasons)")
    }

    @Test("an incident opened and closed with nothing in between fails its controls", arguments: incidentControls)
    func incidentFail(_ id: String) {
        var b = LedgerBuilder()
        b.standardKeys()
        var i = IncidentScript(b)
        i.open(level: 2, session: nil)
        i.add("incident.closed", [:])
        let r = evaluate(i.b.events, at: i.declaredAt.adding(milliseconds: 4 * 24 * hour)).incident("INC-1").control(id)
        // The GDPR notification controls apply only to an assessed breach: their fail paths are
        // in IncidentTimingTests.
        let expected: ControlStatus =
            ["gdpr.authority-notification", "gdpr.subject-communication"].contains(id) ? .notApplicable : .fail
        #expect(r.status == expected, "\(id): \(r.reasons)")
    }

    @Test("an incident one minute old: its controls are pending", arguments: incidentControls)
    func incidentPending(_ id: String) {
        var b = LedgerBuilder()
        b.standardKeys()
        var i = IncidentScript(b)
        i.open(level: 2, session: nil)
        i.assess(risk: "high", awareAt: i.declaredAt)
        let r = evaluate(i.b.events, at: i.declaredAt.adding(milliseconds: minute)).incident("INC-1").control(id)
        // The assessment is recorded (so the notification controls apply); that control passes.
        let expected: ControlStatus = id == "gdpr.breach-assessment" ? .pass : .pending
        #expect(r.status == expected, "\(id): \(r.reasons)")
    }

    @Test("a high-risk breach closed without telling the data subjects fails the Art. 34 control")
    func subjectCommunicationFails() {
        var i = IncidentScript(LedgerBuilder())
        i.open(session: nil)
        i.assess(risk: "high", awareAt: i.declaredAt)
        i.notifyAuthority(at: i.declaredAt.adding(milliseconds: hour))
        i.add("incident.closed", [:])
        let r = evaluate(i.b.events, at: i.declaredAt.adding(milliseconds: 2 * hour)).incident("INC-1")
        #expect(r.control("gdpr.subject-communication").status == .fail)
        #expect(r.control("gdpr.authority-notification").status == .pass)
    }

    @Test("the breach assessment control is pending while the incident is open and unassessed")
    func breachAssessmentPending() {
        var i = IncidentScript(LedgerBuilder())
        i.open(session: nil)
        let r = evaluate(i.b.events, at: i.declaredAt.adding(milliseconds: minute)).incident("INC-1")
        #expect(r.control("gdpr.breach-assessment").status == .pending)
        #expect(r.control("gdpr.authority-notification").status == .notApplicable)
    }
}
