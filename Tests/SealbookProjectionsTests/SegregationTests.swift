import SealbookCore
import SealbookProjections
import SealbookRunbook
import Testing

/// Segregation of duties and approver authority: an approval counts only from a key that held
/// the approver role when it signed, was not revoked before the change ran, and belongs to
/// neither the requester nor an executor; an emergency override shows as such until a
/// retrospective approval.
@Suite("Segregation of duties and emergency overrides")
struct SegregationTests {
    func report(_ s: (events: [VerifiedEvent], migrationAt: Timestamp), hours: Int64 = 6) -> SessionReport {
        evaluate(s.events, at: s.migrationAt.adding(milliseconds: hours * hour)).session()
    }

    @Test("bob's approval counts; the approval control passes and cites it")
    func independentApproval() {
        let r = report(customSession(before: { $0.approve() }))
        let c = r.control("sox.change.approval")
        #expect(c.status == .pass)
        #expect(c.exception == nil)
        #expect(r.control("sox.change.segregation").status == .pass)
        #expect(c.evidence.count == 1)
    }

    @Test("self-approval: the requester approving with an approver key of her own does not count")
    func selfApproval() {
        var approverKey = ""
        let s = customSession(
            keys: { b in
                approverKey = b.enroll("alice@fingood", ["approver"], label: "alice@fingood#approver")
                b.keyOf["alice@fingood"] = LedgerBuilder.keyID("alice@fingood")
            },
            before: { $0.approve("alice@fingood", key: approverKey) })
        let r = report(s)
        let c = r.control("sox.change.approval")
        #expect(c.status == .fail)
        #expect(c.reasons.contains { $0.contains("self-approval") })
        let sod = r.control("sox.change.segregation")
        #expect(sod.status == .fail)
        #expect(sod.evidence.count == 1)
        #expect(r.control("pci.6.5.4.role-separation").status == .fail)
    }

    @Test(
        "approval by an executor: dave approves and also runs a command; a second, independent approval still fails SoD"
    )
    func executorApproval() {
        // In this stand-in ledger dave's command is signed with his approver key; the actor is
        // what makes him an executor (another key of his would count the same).
        let s = customSession(
            before: { s in
                s.approve("dave@fingood")
                s.command(["python", "migrations/safety/safety_cli.py", "check"], actor: "dave@fingood")
            })
        var r = report(s)
        #expect(r.control("sox.change.approval").status == .fail)
        #expect(r.control("sox.change.approval").reasons.contains { $0.contains("also executed the change") })
        #expect(r.control("sox.change.segregation").status == .fail)

        let both = customSession(
            before: { s in
                s.approve("dave@fingood")
                s.approve("bob@fingood")
                s.command(["python", "migrations/safety/safety_cli.py", "check"], actor: "dave@fingood")
            })
        r = report(both)
        #expect(r.control("sox.change.approval").status == .pass)
        #expect(r.control("sox.change.segregation").status == .fail)
    }

    @Test("a key without the approver role at the time does not approve")
    func notApproverAtThatTime() {
        // eve's only key is an operator key.
        var s = customSession(
            keys: { b in b.enroll("eve@fingood", ["operator"]) }, before: { $0.approve("eve@fingood") })
        var c = report(s).control("sox.change.approval")
        #expect(c.status == .fail)
        #expect(c.reasons.contains { $0.contains("did not hold the approver role") })

        // A key that the log enrols only after the approval (a verifier refuses such an entry; the
        // projection does not count it either).
        let later = LedgerBuilder.keyID("eve@fingood#later")
        s = customSession(
            before: { s in
                s.approve("eve@fingood", key: later)
                s.b.keyOf["eve@fingood"] = later
                s.b.add(
                    "keys", "key.enrolled", actor: "root@fingood",
                    LedgerBuilder.keyData(later, "eve@fingood", ["approver"]))
            })
        c = report(s).control("sox.change.approval")
        #expect(c.status == .fail)
        #expect(c.reasons.contains { $0.contains("was enrolled only at seq") })

        // A key the projection never saw enrolled.
        s = customSession(before: { $0.approve("zed@fingood", key: LedgerBuilder.keyID("zed")) })
        #expect(report(s).control("sox.change.approval").reasons.contains { $0.contains("not in the key history") })
    }

    @Test(
        "a revoked approver: revoked before the change ran, the approval no longer counts; revoked after, it still does"
    )
    func revokedApprover() {
        let bobKey = LedgerBuilder.keyID("bob@fingood")
        let before = customSession(before: { s in
            s.approve()
            s.b.revoke(bobKey)
        })
        let c = report(before).control("sox.change.approval")
        #expect(c.status == .fail)
        #expect(c.reasons.contains { $0.contains("revoked at seq") && $0.contains("before the change ran") })

        let after = customSession(before: { $0.approve() }, after: { s in s.b.revoke(bobKey) })
        #expect(report(after).control("sox.change.approval").status == .pass)

        // Signed after the revocation (a verifier refuses it; the projection does not count it).
        let signedAfter = customSession(before: { s in
            s.b.revoke(bobKey)
            s.approve()
        })
        #expect(
            report(signedAfter).control("sox.change.approval").reasons.contains { $0.contains("was revoked at seq") })
    }

    @Test("an approval pinned to another revision, or withdrawn by a denial, does not count")
    func pinnedAndWithdrawn() {
        let other = customSession(before: { $0.approve(revision: "c3") })
        #expect(
            report(other).control("sox.change.approval").reasons.contains {
                $0.contains("approves migration m1 at revision c3")
            })
        let withdrawn = customSession(before: { s in
            s.approve()
            s.add(
                "approval.denied", actor: "bob@fingood",
                ["scope": "migration", "reason": "the rollback test was on the wrong revision"])
        })
        let c = report(withdrawn).control("sox.change.approval")
        #expect(c.status == .fail)
        #expect(c.reasons.contains { $0.contains("withdrawn by approval.denied") })
    }

    @Test("an approval recorded after the migration started is not a prior approval")
    func lateApproval() {
        let s = customSession(before: { _ in }, after: { $0.approve() })
        #expect(report(s).control("sox.change.approval").status == .fail)
    }

    func overrideSession(retro: ((inout SessionScript) -> Void)? = nil, skipItem: Bool = true) -> (
        events: [VerifiedEvent], migrationAt: Timestamp
    ) {
        customSession(
            prepare: true,
            before: { s in
                if skipItem {
                    // The rollback test is recorded as failed; the operator overrides the gate.
                    s.item("rollback-tested", "fail")
                }
                s.add(
                    "override.recorded",
                    [
                        "gate": "production-change",
                        "justification": "P1 outage on settlements, CAB to approve retroactively",
                        "missing": ["no approval", "rollback-tested failed"],
                    ])
            },
            after: { s in retro?(&s) })
    }

    @Test("an emergency override: pending with the override shown, until a retrospective approval settles it")
    func overrideUntilRetrospective() {
        let open = report(overrideSession(), hours: 6)
        let c = open.control("sox.change.approval")
        #expect(c.status == .pending)
        #expect(c.exception?.kind == "emergency-override")
        #expect(c.exception?.settledBy == nil)
        #expect(open.control("sox.change.emergency").status == .pending)
        // An overridable control that failed shows the override beside its failure.
        let rb = open.control("runbook.pre.rollback-tested")
        #expect(rb.status == .fail)
        #expect(rb.exception?.kind == "emergency-override")
        // A control that refers to the approval control carries its exception; a failing
        // control that is not overridable does not get one.
        #expect(open.control("sox.change.approval-record").exception?.kind == "emergency-override")
        #expect(open.control("runbook.success.rollback-verified").status == .fail)
        #expect(open.control("runbook.success.rollback-verified").exception == nil)

        let settled = report(overrideSession(retro: { $0.approve(scope: "retrospective") }), hours: 6)
        let s = settled.control("sox.change.approval")
        #expect(s.status == .pass)
        #expect(s.exception?.kind == "emergency-override")
        #expect(s.exception?.settledBy != nil)
        #expect(settled.control("sox.change.emergency").status == .pass)
        #expect(settled.control("runbook.pre.rollback-tested").exception?.settledBy != nil)
    }

    @Test("the retrospective approval is due within two days of the override; an executor's does not count")
    func retrospectiveDeadline() {
        let s = overrideSession()
        let ov = s.events.first { $0.body.type == "override.recorded" }!
        let atDeadline = evaluate(s.events, at: ov.time.adding(milliseconds: 48 * hour)).session()
        #expect(atDeadline.control("sox.change.approval").status == .pending)
        let past = evaluate(s.events, at: ov.time.adding(milliseconds: 48 * hour + 1)).session()
        #expect(past.control("sox.change.approval").status == .fail)
        #expect(past.control("sox.change.approval").exception?.kind == "emergency-override")
        #expect(past.control("sox.change.emergency").status == .fail)

        var aliceApprover = ""
        let byExecutor = customSession(
            keys: { b in
                aliceApprover = b.enroll("alice@fingood", ["approver"], label: "alice@fingood#approver")
                b.keyOf["alice@fingood"] = LedgerBuilder.keyID("alice@fingood")
            },
            before: { s in
                s.add(
                    "override.recorded",
                    [
                        "gate": "production-change", "justification": "P1 outage on settlements",
                        "missing": ["no approval"],
                    ])
            },
            after: { s in s.approve("alice@fingood", scope: "retrospective", key: aliceApprover) })
        let r = report(byExecutor)
        #expect(r.control("sox.change.approval").status == .pending)
        #expect(r.control("sox.change.segregation").status == .fail)
    }
}
