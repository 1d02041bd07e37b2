import SealbookCore
import SealbookProjections
import SealbookRunbook
import Testing

/// Timing at the edges. Runbook windows are half-open, [from, to): at exactly 5 minutes the
/// immediate phase (and the immediate rollback window) is over. Response times and the GDPR
/// deadline are maxima: exactly 5 minutes after a level-2 escalation, or exactly 72 hours after
/// awareness, is in time; one millisecond later is not.
@Suite("Incident and window timing at the edges")
struct TimingTests {
    func incident(_ build: (inout IncidentScript) -> Void) -> [VerifiedEvent] {
        var b = LedgerBuilder()
        b.standardKeys()
        var i = IncidentScript(b)
        i.open(level: 2, session: nil)
        build(&i)
        return i.b.events
    }

    func declared(_ events: [VerifiedEvent]) -> Timestamp { events.first { $0.body.type == "incident.opened" }!.time }

    // MARK: Emergency phases

    @Test("immediate actions: 4:59.999 after the declaration is met, exactly 5:00.000 is missed")
    func immediatePhaseEdge() {
        let met = incident { $0.action("immediate", afterMs: 5 * minute - 1) }
        var r = evaluate(met, at: declared(met).adding(milliseconds: hour)).incident("INC-1")
        #expect(r.phases[0].id == "immediate-actions" && r.phases[0].status == .met)
        #expect(r.phases[0].firstActionAfterMs == 5 * minute - 1)
        #expect(r.control("runbook.incident.immediate-actions").status == .pass)

        let late = incident { $0.action("immediate", afterMs: 5 * minute) }
        r = evaluate(late, at: declared(late).adding(milliseconds: hour)).incident("INC-1")
        #expect(r.phases[0].status == .missed)
        #expect(r.control("runbook.incident.immediate-actions").status == .fail)
    }

    @Test("with no immediate action: pending at 4:59.999, missed at exactly 5:00.000")
    func immediatePhasePending() {
        let e = incident { _ in }
        let t = declared(e)
        #expect(evaluate(e, at: t.adding(milliseconds: 5 * minute - 1)).incident("INC-1").phases[0].status == .pending)
        #expect(evaluate(e, at: t.adding(milliseconds: 5 * minute)).incident("INC-1").phases[0].status == .missed)
        #expect(
            evaluate(e, at: t.adding(milliseconds: 5 * minute)).incident("INC-1").control(
                "runbook.incident.immediate-actions"
            ).status == .fail)
    }

    @Test("assessment by 15 minutes (half-open), recovery open-ended until the incident closes")
    func laterPhases() {
        let e = incident { i in
            i.action("assessment", afterMs: 15 * minute - 1)
            i.action("recovery", afterMs: 3 * hour)
        }
        let r = evaluate(e, at: declared(e).adding(milliseconds: 4 * hour)).incident("INC-1")
        #expect(r.phases.map(\.id) == ["immediate-actions", "assessment", "recovery"])
        #expect(r.phases.map(\.status) == [.missed, .met, .met])
        #expect(r.phases[2].windowEndMs == nil)
        let late = incident { $0.action("assessment", afterMs: 15 * minute) }
        #expect(
            evaluate(late, at: declared(late).adding(milliseconds: hour)).incident("INC-1").phases[1].status == .missed)
    }

    // MARK: Escalation

    @Test("level 2 (5 minutes): a response exactly at 5:00.000 is in time, 5:00.001 is late")
    func level2Edge() {
        let onTime = incident { $0.action("immediate", afterMs: 5 * minute) }
        var r = evaluate(onTime, at: declared(onTime).adding(milliseconds: hour)).incident("INC-1")
        #expect(r.escalations.count == 1)
        #expect(r.escalations[0].targetMs == 5 * minute && r.escalations[0].status == .met)
        #expect(r.control("runbook.incident.escalation").status == .pass)

        let late = incident { $0.action("immediate", afterMs: 5 * minute + 1) }
        r = evaluate(late, at: declared(late).adding(milliseconds: hour)).incident("INC-1")
        #expect(r.escalations[0].status == .missed)
        #expect(r.control("runbook.incident.escalation").status == .fail)

        let none = incident { _ in }
        #expect(
            evaluate(none, at: declared(none).adding(milliseconds: 5 * minute)).incident("INC-1").escalations[0].status
                == .pending)
        #expect(
            evaluate(none, at: declared(none).adding(milliseconds: 5 * minute + 1)).incident("INC-1").escalations[0]
                .status == .missed)
    }

    @Test("an escalation to level 3 (immediate, read as one minute) starts its own clock; level 1 has 15 minutes")
    func escalations() {
        let e = incident { i in
            i.action("immediate", afterMs: 2 * minute)
            i.escalate(to: 3, afterMs: 10 * minute)
            i.action("assessment", afterMs: 11 * minute)
        }
        var r = evaluate(e, at: declared(e).adding(milliseconds: hour)).incident("INC-1")
        #expect(r.level == 3)
        #expect(r.escalations.map(\.level) == [2, 3])
        #expect(r.escalations[1].targetMs == minute)
        #expect(r.escalations[1].status == .met)
        #expect(r.escalations[1].responseAfterMs == minute)

        let slow = incident { i in
            i.action("immediate", afterMs: 2 * minute)
            i.escalate(to: 3, afterMs: 10 * minute)
            i.action("assessment", afterMs: 11 * minute + 1)
        }
        r = evaluate(slow, at: declared(slow).adding(milliseconds: hour)).incident("INC-1")
        #expect(r.escalations.map(\.status) == [.met, .missed])

        var b = LedgerBuilder()
        b.standardKeys()
        var i = IncidentScript(b)
        i.open(level: 1, session: nil)
        i.action("immediate", afterMs: 15 * minute)
        #expect(
            evaluate(i.b.events, at: i.declaredAt.adding(milliseconds: hour)).incident("INC-1").escalations[0].status
                == .met)
    }

    // MARK: GDPR Art. 33

    @Test("notified exactly 72 hours after awareness: met; one millisecond later without reasons: late")
    func gdpr72Hours() {
        func run(after ms: Int64, reason: String? = nil) -> IncidentReport {
            let e = incident { i in
                i.assess(risk: "risk", awareAt: i.declaredAt)
                i.notifyAuthority(at: i.declaredAt.adding(milliseconds: ms), delayReason: reason)
            }
            return evaluate(e, at: declared(e).adding(milliseconds: 100 * hour)).incident("INC-1")
        }
        var r = run(after: 72 * hour)
        #expect(r.gdpr.status == "met")
        #expect(r.gdpr.notifiedAfterMs == 72 * hour)
        #expect(r.gdpr.deadline == r.gdpr.notifiedAt)
        #expect(r.control("gdpr.authority-notification").status == .pass)
        #expect(r.control("gdpr.authority-notification").exception == nil)

        r = run(after: 72 * hour + 1)
        #expect(r.gdpr.status == "late")
        #expect(r.control("gdpr.authority-notification").status == .fail)

        r = run(after: 72 * hour + 1, reason: "the scope of the breach was known only after the restore")
        #expect(r.gdpr.status == "late-with-reasons")
        let c = r.control("gdpr.authority-notification")
        #expect(c.status == .pass)
        #expect(c.exception?.kind == "late-notification-with-reasons")
    }

    @Test("not notified: pending up to exactly 72 hours, missed one millisecond after")
    func gdprPendingThenMissed() {
        let e = incident { $0.assess(risk: "high", awareAt: $0.declaredAt) }
        let t = declared(e)
        var r = evaluate(e, at: t.adding(milliseconds: 72 * hour)).incident("INC-1")
        #expect(r.gdpr.status == "pending")
        #expect(r.control("gdpr.authority-notification").status == .pending)
        r = evaluate(e, at: t.adding(milliseconds: 72 * hour + 1)).incident("INC-1")
        #expect(r.gdpr.status == "missed")
        #expect(r.control("gdpr.authority-notification").status == .fail)
    }

    @Test("a notification claimed 1 h after awareness but recorded 99 h after it is recorded-late: FAIL, never met")
    func gdprClaimedInTimeRecordedLate() {
        func notified(recordedAfter hours: Int64) -> [VerifiedEvent] {
            incident { i in
                i.assess(risk: "risk", awareAt: i.declaredAt)
                i.b.now = i.declaredAt.adding(milliseconds: hours * hour)
                i.notifyAuthority(at: i.declaredAt.adding(milliseconds: hour))
            }
        }
        let late = notified(recordedAfter: 99)
        var r = evaluate(late, at: declared(late).adding(milliseconds: 100 * hour)).incident("INC-1")
        #expect(r.gdpr.status == "recorded-late")
        #expect(r.gdpr.notificationRecordedAt == declared(late).adding(milliseconds: 99 * hour).rfc3339)
        let c = r.control("gdpr.authority-notification")
        #expect(c.status == .fail && c.exception?.kind == "recorded-late", "\(c.reasons)")
        // Recorded within the 72 hours, the same claim is met.
        let inTime = notified(recordedAfter: 71)
        r = evaluate(inTime, at: declared(inTime).adding(milliseconds: 100 * hour)).incident("INC-1")
        #expect(r.gdpr.status == "met" && r.control("gdpr.authority-notification").status == .pass)
    }

    @Test("risk none: no notification is required; the control is not applicable")
    func gdprNotRequired() {
        let e = incident {
            $0.assess(risk: "none", awareAt: $0.declaredAt, full: false, justification: "pseudonymised, key not affected")
        }
        let r = evaluate(e, at: declared(e).adding(milliseconds: 100 * hour)).incident("INC-1")
        #expect(r.gdpr.status == "not-required")
        #expect(r.control("gdpr.authority-notification").status == .notApplicable)
        #expect(r.control("gdpr.subject-communication").status == .notApplicable)
        #expect(r.control("gdpr.breach-assessment").status == .pass)
    }

    @Test("Art. 33(3) contents: every element must be in some notification (phased notifications add up)")
    func gdprContents() {
        // A first, partial notification (a stand-in: the event schema requires all four).
        let partial = incident { i in
            i.assess(risk: "risk", awareAt: i.declaredAt)
            i.add(
                "gdpr.authority.notified",
                [
                    "authority": "Example DPA", "notifiedAt": .string(i.declaredAt.adding(milliseconds: hour).rfc3339),
                    "contents": ["nature": "fee rows altered", "dpoContact": "DPO office"],
                ])
        }
        var r = evaluate(partial, at: declared(partial).adding(milliseconds: 2 * hour)).incident("INC-1")
        #expect(r.gdpr.nature && r.gdpr.contactPoint && !r.gdpr.consequences && !r.gdpr.measures)
        #expect(!r.gdpr.contentsComplete)
        #expect(r.control("gdpr.authority-notification").status == .fail)
        #expect(r.gdpr.categoriesRecorded && r.gdpr.approxSubjectsRecorded)

        var phased = partial
        var b = LedgerBuilder()
        b.events = phased
        b.seq = phased.last!.seq
        b.now = phased.last!.time.adding(milliseconds: hour)
        var i = IncidentScript(b)
        i.declaredAt = declared(partial)
        i.notifyAuthority(at: i.declaredAt.adding(milliseconds: 80 * hour))
        phased = i.b.events
        r = evaluate(phased, at: declared(phased).adding(milliseconds: 100 * hour)).incident("INC-1")
        #expect(r.gdpr.contentsComplete)
        #expect(r.gdpr.status == "met")  // timed by the first notification
        #expect(r.gdpr.notifications.count == 2)
    }

    // MARK: Rollback windows

    func rollbackSession(kind: String, afterMs: Int64, result: String? = "success", recordLagMs: Int64 = 0) -> (
        events: [VerifiedEvent], migrationAt: Timestamp
    ) {
        customSession(
            before: { $0.approve() },
            after: { s in
                let m = s.b.events.last!.time
                s.b.now = m.adding(milliseconds: afterMs)
                s.b.recordLagMs = recordLagMs
                s.add(
                    "rollback.started", ["kind": .string(kind), "method": "alembic-downgrade", "reason": "fees wrong"])
                if let result {
                    s.add(
                        "rollback.completed",
                        ["kind": .string(kind), "result": .string(result), "resultingRevision": "a1"])
                }
            }, finish: false)
    }

    @Test("an immediate rollback at 4:59.999 is in its window; at exactly 5:00.000 it is not, and a standard one is")
    func rollbackWindows() {
        func control(_ kind: String, _ ms: Int64, _ result: String? = "success") -> ControlResult {
            let s = rollbackSession(kind: kind, afterMs: ms, result: result)
            return evaluate(s.events, at: s.migrationAt.adding(milliseconds: hour)).session().control(
                "runbook.rollback.window")
        }
        #expect(control("immediate", 5 * minute - 1).status == .pass)
        let outside = control("immediate", 5 * minute)
        #expect(outside.status == .fail)
        #expect(outside.reasons.contains { $0.contains("outside") })
        #expect(control("standard", 5 * minute).status == .pass)
        #expect(control("standard", 5 * minute - 1).status == .fail)
        #expect(control("emergency", 2 * minute).status == .pass)
        #expect(control("immediate", minute, "failed").status == .fail)
        #expect(control("immediate", minute, nil).status == .pending)
    }

    @Test("a rollback shows in the success criteria")
    func rollbackAndSuccess() {
        let s = rollbackSession(kind: "immediate", afterMs: minute)
        let r = evaluate(s.events, at: s.migrationAt.adding(milliseconds: hour)).session()
        #expect(r.control("runbook.success.executed-without-errors").status == .fail)
        let failed = rollbackSession(kind: "immediate", afterMs: minute, result: "failed")
        #expect(
            evaluate(failed.events, at: failed.migrationAt.adding(milliseconds: hour)).session().control(
                "runbook.success.rollback-verified"
            ).status == .fail)
    }

    // MARK: Validation windows and freshness

    @Test("immediate validation: 29:59.999 after the migration counts, exactly 30:00.000 does not")
    func validationWindow() {
        func run(_ ms: Int64, asOf: Int64) -> ControlStatus {
            let s = customSession(
                before: { $0.approve() },
                after: { s in
                    s.b.now = s.b.events.last!.time.adding(milliseconds: ms)
                    s.validation("immediate", "validate-data")
                }, finish: false)
            return evaluate(s.events, at: s.migrationAt.adding(milliseconds: asOf)).session().control(
                "runbook.validation.immediate"
            ).status
        }
        #expect(run(30 * minute - 1, asOf: hour) == .pass)
        #expect(run(30 * minute, asOf: hour) == .fail)
        #expect(run(30 * minute, asOf: 30 * minute - 1) == .pending)
        #expect(run(30 * minute, asOf: 30 * minute) == .fail)
    }

    @Test(
        "backup freshness is kept apart from status: verified exactly 24 h before the start is current, 24 h + 1 ms expired"
    )
    func backupFreshness() {
        func run(ageMs: Int64) -> ControlResult {
            var b = LedgerBuilder()
            b.standardKeys()
            var s = SessionScript(b)
            s.open()
            s.prepare()
            let verified = s.b.events.last { $0.body.type == "backup.verified" }!.time
            s.b.now = verified.adding(milliseconds: ageMs)
            s.upgrade()
            return evaluate(s.b.events, at: s.b.now).session().control("sox.change.backup")
        }
        let fresh = run(ageMs: 24 * hour)
        #expect(fresh.status == .pass && fresh.freshness == .current)
        let stale = run(ageMs: 24 * hour + 1)
        #expect(stale.status == .pass && stale.freshness == .expired)
    }

    @Test("before the start, evidence ages up to as_of: due soon in the last 4 hours, expired after 24")
    func freshnessBeforeStart() {
        var b = LedgerBuilder()
        b.standardKeys()
        var s = SessionScript(b)
        s.open()
        s.prepare()
        let verified = s.b.events.last { $0.body.type == "backup.verified" }!.time
        func at(_ ms: Int64) -> ControlResult {
            evaluate(s.b.events, at: verified.adding(milliseconds: ms)).session().control(
                "runbook.pre.backup-verification")
        }
        #expect(at(20 * hour).freshness == .current)
        #expect(at(20 * hour + 1).freshness == .dueSoon)
        #expect(at(24 * hour).freshness == .dueSoon)
        #expect(at(24 * hour + 1).freshness == .expired)
        #expect(at(24 * hour + 1).status == .pass)
    }

    // MARK: Claimed in time, recorded late

    @Test("an immediate action and an escalation answer claimed at 4:00 but recorded at 6:00 are recorded-late: FAIL, never met")
    func incidentRecordedLate() {
        func run(lagMs: Int64) -> IncidentReport {
            let e = incident { i in
                i.b.recordLagMs = lagMs
                i.action("immediate", afterMs: 4 * minute)
                i.b.recordLagMs = 0
            }
            return evaluate(e, at: declared(e).adding(milliseconds: hour)).incident("INC-1")
        }
        let late = run(lagMs: 2 * minute)
        #expect(late.phases[0].status == .recordedLate)
        #expect(late.phases[0].firstActionAfterMs == 4 * minute && late.phases[0].firstActionRecordedAfterMs == 6 * minute)
        #expect(late.phases[0].firstAction?.recordedAt != late.phases[0].firstAction?.time)
        let phase = late.control("runbook.incident.immediate-actions")
        #expect(phase.status == .fail && phase.exception?.kind == "recorded-late", "\(phase.reasons)")
        #expect(late.escalations[0].status == .recordedLate && late.escalations[0].responseRecordedAfterMs == 6 * minute)
        let esc = late.control("runbook.incident.escalation")
        #expect(esc.status == .fail && esc.exception?.kind == "recorded-late", "\(esc.reasons)")
        // Recorded 30 s after its signed time, still inside both windows: met.
        let inTime = run(lagMs: 30_000)
        #expect(inTime.phases[0].status == .met && inTime.escalations[0].status == .met)
        #expect(inTime.control("runbook.incident.immediate-actions").status == .pass)
    }

    @Test("an immediate rollback claimed 4 minutes after the migration but recorded 6 minutes after it is recorded-late")
    func rollbackRecordedLate() {
        func control(lagMs: Int64) -> ControlResult {
            let s = rollbackSession(kind: "immediate", afterMs: 4 * minute, recordLagMs: lagMs)
            return evaluate(s.events, at: s.migrationAt.adding(milliseconds: hour)).session().control("runbook.rollback.window")
        }
        let late = control(lagMs: 2 * minute)
        #expect(late.status == .fail && late.exception?.kind == "recorded-late", "\(late.reasons)")
        #expect(late.reasons.contains { $0.contains("recorded") && $0.contains("outside") })
        #expect(control(lagMs: 59_000).status == .pass)
    }

    @Test("an immediate validation claimed 20 minutes after the migration but recorded 35 minutes after it is recorded-late")
    func validationRecordedLate() {
        func control(lagMs: Int64) -> ControlResult {
            let s = customSession(
                before: { $0.approve() },
                after: { s in
                    s.b.now = s.b.events.last!.time.adding(milliseconds: 20 * minute)
                    s.b.recordLagMs = lagMs
                    s.validation("immediate", "validate-data")
                    s.b.recordLagMs = 0
                }, finish: false)
            return evaluate(s.events, at: s.migrationAt.adding(milliseconds: hour)).session().control(
                "runbook.validation.immediate")
        }
        let late = control(lagMs: 15 * minute)
        #expect(late.status == .fail && late.exception?.kind == "recorded-late", "\(late.reasons)")
        #expect(control(lagMs: 9 * minute).status == .pass)
    }

    @Test("before its window opens a phase is not-yet-due, and a validation window that has not opened is pending as not yet due")
    func notYetDue() {
        let e = incident { _ in }
        let r = evaluate(e, at: declared(e).adding(milliseconds: minute)).incident("INC-1")
        #expect(r.phases.map(\.status) == [.pending, .notYetDue, .notYetDue], "\(r.phases.map(\.status))")
        let c = r.control("runbook.incident.assessment")
        #expect(c.status == .pending && c.reasons.contains { $0.contains("not yet due") }, "\(c.reasons)")
        // At 5 minutes the assessment window is open: pending, no longer "not yet due".
        let open = evaluate(e, at: declared(e).adding(milliseconds: 5 * minute)).incident("INC-1")
        #expect(open.phases[1].status == .pending)

        let s = customSession(before: { $0.approve() }, after: { _ in }, finish: false)
        let v = evaluate(s.events, at: s.migrationAt.adding(milliseconds: 10 * minute)).session().control(
            "runbook.validation.extended")
        #expect(v.status == .pending && v.reasons.contains { $0.contains("not yet due") }, "\(v.reasons)")
    }

    @Test("a breach assessment passes only with what Art. 33 asks: a justification for risk none, the Art. 33(3) contents for a risk")
    func breachAssessmentContents() {
        func status(_ build: @escaping (inout IncidentScript) -> Void) -> ControlStatus {
            let e = incident { i in
                build(&i)
                i.add("incident.closed", ["lessonsLearned": "x"])
            }
            return evaluate(e, at: declared(e).adding(milliseconds: 100 * hour)).incident("INC-1").control(
                "gdpr.breach-assessment"
            ).status
        }
        #expect(status { $0.assess(risk: "none", awareAt: $0.declaredAt, full: false) } == .fail, "risk none with no justification")
        #expect(status { $0.assess(risk: "none", awareAt: $0.declaredAt, full: false, justification: "pseudonymised only") } == .pass)
        #expect(status { $0.assess(risk: "risk", awareAt: $0.declaredAt, full: false) } == .fail, "a risk without the Art. 33(3) contents")
        #expect(status { $0.assess(risk: "high", awareAt: $0.declaredAt) } == .pass)
        // Only the latest assessment counts: a full early one does not cover a later unjustified "none".
        #expect(
            status {
                $0.assess(risk: "high", awareAt: $0.declaredAt)
                $0.assess(risk: "none", awareAt: $0.declaredAt, full: false)
            } == .fail)
        #expect(
            status {
                $0.assess(risk: "none", awareAt: $0.declaredAt, full: false)
                $0.assess(risk: "risk", awareAt: $0.declaredAt)
            } == .pass)
    }

    @Test("a phase is met by an action signed and recorded in its window, even when an earlier-signed one was recorded late")
    func phaseMetByOneInTime() {
        let e = incident { i in
            i.b.recordLagMs = 5 * minute
            i.action("immediate", afterMs: minute)  // signed at 1:00, recorded at 6:00
            i.b.recordLagMs = 0
            i.action("immediate", afterMs: 3 * minute)  // signed and recorded at 3:00
        }
        let r = evaluate(e, at: declared(e).adding(milliseconds: hour)).incident("INC-1")
        #expect(r.phases[0].status == .met && r.phases[0].firstActionAfterMs == 3 * minute, "\(r.phases[0])")
        #expect(r.control("runbook.incident.immediate-actions").status == .pass)
    }

    @Test("a failed result of the check a rule asks to pass is cited first, also when the control passes another way or fails for another reason")
    func failuresCitedFirst() {
        let s = customSession(
            before: { $0.approve() },
            after: { s in
                s.b.now = s.b.events.last!.time.adding(milliseconds: minute)
                s.validation("immediate", "validate-data", "fail")
                s.validation("post-rollback", "validate-data", "pass")
            }, finish: false)
        let failed = s.events.first { $0.body.data["result"]?.stringValue == "fail" }!
        let r = evaluate(s.events, at: s.migrationAt.adding(milliseconds: hour)).session()
        let immediate = r.control("runbook.validation.immediate")
        #expect(immediate.status == .fail && immediate.evidence.first?.seq == failed.seq, "\(immediate.evidence)")
        #expect(immediate.reasons.first?.hasPrefix("also on record: validation.recorded (phase=immediate, result=fail)") == true)
        // sox.change.data-integrity reaches its after-migration validation through the post-rollback
        // check; the failed immediate one is still its first evidence.
        let integrity = r.control("sox.change.data-integrity")
        #expect(integrity.evidence.first?.seq == failed.seq, "\(integrity.evidence)")
    }
}
