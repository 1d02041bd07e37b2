import SealbookCore
import SealbookProjections
import SealbookRunbook
import Testing

/// What the report says about a session and an incident, beyond the control statuses.
@Suite("Report contents: session state, checklists and incident reports")
struct ReportTests {
    @Test("a session's state, checklists and position")
    func sessionState() {
        let (events, migrationAt) = goodSession()
        let report = evaluate(events, at: migrationAt.adding(milliseconds: 6 * hour))
        #expect(report.lastSeq == events.last!.seq && report.lastChainHash == events.last!.chainHash)
        #expect(report.eventCount == Int64(events.count))
        let s = report.session()
        #expect(
            s.sessionID == "m1.0001" && s.migrationID == "m1" && s.environment == "production"
                && s.changeTicket == "CHG-2031")
        #expect(s.runbookKnown && s.runbook == Runbook.builtIn.reference)
        #expect(s.state.requester == "alice@fingood" && s.state.executors == ["alice@fingood"])
        #expect(s.state.outcome == "success" && s.state.alembicCurrent == "b2")
        #expect(s.state.migrationStarted != nil && s.state.migrationCompleted != nil && s.state.closed != nil)
        #expect(s.checklists.map(\.id) == ["critical", "environmental", "documentation", "sox", "pci", "gdpr"])
        #expect(s.checklists.flatMap(\.lines).allSatisfy { $0.status == "pass" && $0.evidence != nil })
        #expect(
            s.checklists.first { $0.id == "environmental" }!.lines.filter { !$0.critical }.map(\.item) == [
                "replication-lag", "monitoring-systems",
            ])
    }

    @Test("an unknown runbook: controls still run, checklists are not shown")
    func unknownRunbook() throws {
        let (events, migrationAt) = goodSession()
        let report = try LedgerProjection(events: events).evaluate(at: migrationAt, runbooks: [])
        let s = report.session()
        #expect(!s.runbookKnown && s.checklists.isEmpty)
        #expect(s.control("sox.change.approval").status == .pass)
    }

    @Test("an incident report: timeline, phases, escalations, GDPR, root cause and actions")
    func incidentReport() {
        let (events, declaredAt) = goodIncident()
        let r = evaluate(events, at: declaredAt.adding(milliseconds: 4 * 24 * hour)).incident("INC-1")
        #expect(r.status == "closed" && r.level == 2 && r.sessionStream == "session/m1.0001")
        #expect(r.title == "fee rows lost" && r.trigger == "validate-data failed")
        #expect(r.rootCause == "rounding in revision b2" && r.resolution == "rolled back to a1")
        #expect(r.lessonsLearned == "test with production-size data")
        #expect(r.phases.map(\.status) == [.met, .met, .met])
        #expect(r.phases.map(\.firstActionAfterMs) == [minute, 8 * minute, 20 * minute])
        #expect(r.escalations.count == 1 && r.escalations[0].responseAfterMs == minute)
        #expect(r.gdpr.status == "met" && r.gdpr.risk == "high" && r.gdpr.contentsComplete)
        #expect(r.gdpr.notifiedAfterMs == 24 * hour - 10 * minute)
        #expect(
            r.actions.map(\.summary) == [
                "immediate: stopped all writes", "assessment: scope: fee table only",
                "recovery: restored the session backup",
            ])
        // The timeline holds the incident's events and the linked session's execution events.
        #expect(r.timeline.contains { $0.type == "migration.applied" && $0.stream == "session/m1.0001" })
        #expect(
            r.timeline.first { $0.type == "incident.opened" }?.summary
                == "level 2: fee rows lost (trigger: validate-data failed)")
        #expect(r.timeline.map(\.ref.seq) == r.timeline.map(\.ref.seq).sorted())
        #expect(r.evidence.count == events.filter { $0.body.stream == "incident/INC-1" }.count)
    }

    @Test("an incident report shows the session's rollbacks against their windows")
    func incidentRollbacks() {
        var (s, migrationAt) = goodSessionScript(close: false)
        s.b.now = migrationAt.adding(milliseconds: 7 * minute)
        s.add("rollback.started", ["kind": "standard", "method": "restore-session-backup", "reason": "integrity"])
        s.add("rollback.completed", ["kind": "standard", "result": "success", "resultingRevision": "a1"])
        var i = IncidentScript(s.b)
        i.open(level: 2, at: migrationAt.adding(milliseconds: 6 * minute))
        let r = evaluate(i.b.events, at: migrationAt.adding(milliseconds: hour)).incident("INC-1")
        #expect(r.rollbacks.count == 1)
        let rb = r.rollbacks[0]
        #expect(rb.kind == "standard" && rb.afterMs == 7 * minute && rb.withinWindow == true && rb.result == "success")
        #expect(rb.measuredFrom == "migration-completed" && rb.window == "PT5M.. after migration-completed")
    }

    @Test("the JSON names the format, as_of, position, rule set and a summary")
    func jsonShape() throws {
        let (events, migrationAt) = goodSession()
        let report = evaluate(events, at: migrationAt)
        let json = try JSONParser.parse(report.canonicalJSON())
        #expect(json["format"]?.stringValue == ControlReport.format)
        #expect(json["asOf"]?.stringValue == migrationAt.rfc3339)
        #expect(json["position"]?["lastSeq"]?.int64Value == events.last!.seq)
        #expect(json["ruleSet"]?["sha256"]?.stringValue == ControlCatalog.builtIn.sha256)
        let control = json["sessions"]?.arrayValue?.first?["controls"]?.arrayValue?.first
        for member in [
            "id", "title", "framework", "references", "covers", "status", "freshness", "evidence", "reasons",
            "exception",
        ] {
            #expect(control?[member] != nil, "\(member)")
        }
        let evidence = control?["evidence"]?.arrayValue?.first
        #expect(evidence?["seq"]?.int64Value != nil && evidence?["eventHash"]?.stringValue?.count == 64)
    }
}

@Suite("Which runbook an incident follows")
struct IncidentRunbookTests {
    @Test(
        "an incident of a session whose runbook is unknown is not timed; one of an unseen session uses the default runbook"
    )
    func incidentRunbook() throws {
        var (s, migrationAt) = goodSessionScript(close: false)
        var i = IncidentScript(s.b)
        i.open(level: 2, at: migrationAt.adding(milliseconds: hour))
        i.action("immediate", afterMs: minute)
        s.b = i.b
        let all = try LedgerProjection(events: s.b.events)
        let unknown = all.evaluate(at: i.declaredAt.adding(milliseconds: hour), runbooks: [])
        #expect(unknown.incident("INC-1").phases.isEmpty)
        #expect(unknown.incident("INC-1").control("runbook.incident.immediate-actions").status == .pending)
        // Only the incident's own stream folded: its session is unseen, the default runbook applies.
        let only = try LedgerProjection(events: s.b.events.filter { $0.body.stream.hasPrefix("incident/") })
        let r = only.evaluate(at: i.declaredAt.adding(milliseconds: hour)).incident("INC-1")
        #expect(r.phases.first?.status == .met)
    }
}
