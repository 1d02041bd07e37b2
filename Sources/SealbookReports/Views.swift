internal import SealbookCore
internal import SealbookProjections
internal import SealbookRunbook

// The contexts the Markdown and HTML templates render. Every value is already a string, a
// Bool, an array or a dictionary: templates decide layout only. Every dictionary carries all
// of its keys (an absent key would be looked up in the enclosing context by Mustache).

typealias View = [String: Any]

enum Views {
    static let frameworkOrder = ["SOX", "PCI DSS", "GDPR", "Runbook"]

    static func context(_ r: Report) -> View {
        var v: View = ["header": header(r.header)]
        let cited: [EvidenceRef]
        switch r.content {
        case .session(let s):
            v["session"] = session(s)
            v["summary"] = counts(s.report.controls)
            v["frameworks"] = frameworks(s.report.controls)
            v["checklists"] = s.report.checklists.map(checklist)
            v["hasChecklists"] = !s.report.checklists.isEmpty
            v["timeline"] = s.timeline.map { timelineRow($0) }
            v["incidents"] = s.incidents.map(incidentRow)
            v["hasIncidents"] = !s.incidents.isEmpty
            cited =
                s.report.controls.flatMap(refs) + s.report.checklists.flatMap { $0.lines.compactMap(\.evidence) }
                + [
                    s.report.state.opened, s.report.state.closed, s.report.state.override, s.report.state.migrationStarted,
                    s.report.state.migrationCompleted,
                ].compactMap { $0 }
        case .incident(let i):
            v["incident"] = incident(i.report)
            v["summary"] = counts(i.report.controls)
            v["frameworks"] = frameworks(i.report.controls)
            v["timeline"] = i.report.timeline.map(timelineRow)
            v["phases"] = i.report.phases.map(phase)
            v["hasPhases"] = !i.report.phases.isEmpty
            v["escalations"] = i.report.escalations.map(escalation)
            v["hasEscalations"] = !i.report.escalations.isEmpty
            v["rollbacks"] = i.report.rollbacks.map(rollback)
            v["hasRollbacks"] = !i.report.rollbacks.isEmpty
            v["gdpr"] = gdpr(i.report.gdpr)
            v["actions"] = i.report.actions.map(timelineRow)
            v["hasActions"] = !i.report.actions.isEmpty
            cited = i.report.evidence + i.report.controls.flatMap(refs)
        case .compliance(let c):
            v.merge(compliance(c)) { a, _ in a }
            cited = c.exceptions.flatMap { refs($0.control) } + c.population.compactMap(\.session.state.opened)
        }
        v["evidenceIndex"] = evidenceIndex(cited, events: r.events)
        return v
    }

    // MARK: Header

    static func header(_ h: ReportHeader) -> View {
        let v = h.verification
        return [
            "title": h.title, "kind": h.kind.rawValue, "ledger": h.ledger, "seq": String(h.seq), "chainHash": h.chainHash.hex,
            "asOf": h.asOf.rfc3339, "verified": v.verified, "unverified": !v.verified, "verificationSentence": v.sentence,
            "source": v.source, "entries": String(v.entries), "rootPinned": v.rootPinned, "rootNotPinned": !v.rootPinned,
            "failures": v.failures.map { ["text": $0] as View }, "hasFailures": !v.failures.isEmpty,
            "failureCount": String(v.failureCount), "moreFailures": v.failureCount > v.failures.count,
            "moreFailuresCount": String(max(0, v.failureCount - v.failures.count)),
            "verifiedSeq": String(v.lastSeq), "verifiedChainHash": v.lastChainHash.hex,
            "catalogSHA256": h.catalogSHA256, "catalogFiles": h.catalogFiles.joined(separator: ", "),
            "runbooks": h.runbooks.map { u in
                [
                    "id": u.reference.id, "version": u.reference.version, "sha256": u.reference.sha256,
                    "knownText": u.known
                        ? "the exact runbook used for the evaluation" : "NOT known to this binary: runbook rules not evaluated",
                    "known": u.known, "hasNote": u.note != nil, "note": u.note ?? "",
                ] as View
            },
            "hasRunbooks": !h.runbooks.isEmpty,
            "parameters": h.parameters.map { ["name": $0.name, "value": $0.value] as View },
            "format": Report.jsonFormat,
        ]
    }

    // MARK: Controls

    static func refs(_ c: ControlResult) -> [EvidenceRef] {
        c.evidence + (c.exception.map { $0.events + [$0.settledBy].compactMap { $0 } } ?? [])
    }

    static func statusLabel(_ s: ControlStatus) -> String {
        switch s {
        case .pass: "PASS"
        case .fail: "FAIL"
        case .pending: "PENDING"
        case .notApplicable: "N/A"
        }
    }

    static func citeList(_ refs: [EvidenceRef]) -> String {
        refs.isEmpty ? "—" : refs.map(EventText.cite).joined(separator: ", ")
    }

    static func control(_ c: ControlResult) -> View {
        [
            "id": c.id, "title": c.title, "framework": c.framework, "status": c.status.rawValue,
            "statusLabel": statusLabel(c.status), "freshness": c.freshness?.rawValue ?? "—",
            // Freshness is coloured only beside a pass: a fail, pending or n/a row never gets a
            // green badge that would make it look fine.
            "freshnessClass": c.status == .pass ? (c.freshness?.rawValue ?? "none") : "none",
            "evidence": c.evidence.map { ["cite": EventText.cite($0), "seq": String($0.seq), "hash": $0.eventHash.hex] as View },
            "hasEvidence": !c.evidence.isEmpty, "evidenceText": citeList(c.evidence),
            "reasons": c.reasons.map { ["text": $0] as View },
            "reasonsText": c.reasons.isEmpty ? "—" : c.reasons.joined(separator: "; "),
            "hasException": c.exception != nil, "exceptionKind": c.exception?.kind ?? "",
            "exceptionText": c.exception.map { e in
                "\(e.kind): \(e.note) (events \(citeList(e.events))"
                    + (e.settledBy.map { "; settled by \(EventText.cite($0))" } ?? "; not settled") + ")"
            } ?? "",
            "references": c.references.joined(separator: ", "),
        ]
    }

    static func counts(_ results: [ControlResult]) -> View {
        [
            "pass": String(results.filter { $0.status == .pass }.count),
            "fail": String(results.filter { $0.status == .fail }.count),
            "pending": String(results.filter { $0.status == .pending }.count),
            "notApplicable": String(results.filter { $0.status == .notApplicable }.count), "total": String(results.count),
        ]
    }

    /// Controls grouped by framework: SOX, PCI DSS, GDPR, Runbook, then any other, each in the
    /// order given.
    static func frameworks(_ results: [ControlResult]) -> [View] {
        let names =
            frameworkOrder.filter { n in results.contains { $0.framework == n } }
            + results.map(\.framework).filter { !frameworkOrder.contains($0) }.reduce(into: [String]()) {
                if !$0.contains($1) { $0.append($1) }
            }
        return names.map { n in
            let rs = results.filter { $0.framework == n }
            return ["name": n, "controls": rs.map(control), "counts": counts(rs)] as View
        }
    }

    // MARK: Sessions

    static func orDash(_ s: String?) -> String { (s?.isEmpty ?? true) ? "—" : s! }

    static func session(_ s: SessionContent) -> View {
        let r = s.report
        let st = r.state
        return [
            "id": r.sessionID, "stream": r.stream, "migrationId": orDash(r.migrationID), "environment": orDash(r.environment),
            "changeTicket": orDash(r.changeTicket),
            "runbook": r.runbook.map { "\($0.id) \($0.version) (sha256 \($0.sha256))" } ?? "— (the session names no runbook)",
            "runbookKnown": r.runbookKnown,
            "openedAt": orDash(st.openedAt), "requester": orDash(st.requester), "outcome": st.outcome ?? "open (not closed)",
            "alembicFrom": orDash(st.alembicFrom), "alembicTo": orDash(st.alembicTo), "alembicCurrent": orDash(st.alembicCurrent),
            "approvedRevisions": revisionList(st.approvedRevisions), "appliedRevisions": revisionList(st.appliedRevisions),
            "revisionsDiffer": !st.appliedRevisions.allSatisfy { st.approvedRevisions.contains($0) },
            "executors": st.executors.isEmpty ? "—" : st.executors.joined(separator: ", "), "eventCount": String(st.eventCount),
            "lastSeq": String(st.lastSeq), "emergency": st.override != nil,
            "overrideCite": st.override.map(EventText.cite) ?? "—", "openedCite": st.opened.map(EventText.cite) ?? "—",
            "closedCite": st.closed.map(EventText.cite) ?? "—",
            "migrationStartedCite": st.migrationStarted.map(EventText.cite) ?? "—",
            "migrationCompletedCite": st.migrationCompleted.map(EventText.cite) ?? "—",
            "hasAfterClose": !st.afterClose.isEmpty,
            "afterClose": st.afterClose.map {
                "\($0.type) by \($0.actor), signed \($0.time)" + ($0.recordedAt.map { ", recorded \($0)" } ?? "")
                    + " (\(EventText.cite($0.ref))): " + ($0.counted ? "counted (the runbook allows it after the close)" : "not counted")
            }
            .joined(separator: "; "),
        ]
    }

    static func checklist(_ c: ChecklistView) -> View {
        [
            "id": c.id, "title": c.title, "stage": c.stage,
            "lines": c.lines.map { l in
                [
                    "item": l.item, "title": l.title, "critical": l.critical, "criticalText": l.critical ? "critical" : "",
                    "status": l.status, "statusClass": l.status == "n/a" ? "na" : l.status,
                    "value": l.value.map { v in l.unit.map { "\(v) \($0)" } ?? v } ?? "—",
                    "evidence": l.evidence.map(EventText.cite) ?? "—",
                ] as View
            },
        ]
    }

    static func timelineRow(_ e: VerifiedEvent) -> View {
        [
            "seq": String(e.seq), "time": e.body.time, "type": e.body.type, "actor": e.body.actor, "stream": e.body.stream,
            "summary": EventText.summary(e), "hash": EventText.short(e.eventHash),
        ]
    }

    static func timelineRow(_ t: TimelineEntry) -> View {
        [
            "seq": String(t.ref.seq), "time": t.time, "type": t.type, "actor": t.actor, "stream": t.stream, "summary": t.summary,
            "hash": EventText.short(t.ref.eventHash),
        ]
    }

    static func incidentRow(_ i: IncidentReport) -> View {
        [
            "id": i.incidentID, "title": orDash(i.title), "level": i.level.map(String.init) ?? "—", "status": i.status,
            "declared": i.declared?.time ?? "—", "gdprStatus": i.gdpr.status, "summary": counts(i.controls),
        ]
    }

    // MARK: Incidents

    static func timing(_ s: TimingStatus) -> String { s.rawValue }

    /// Revisions as a report lists them: comma-separated, `none` when there are none.
    static func revisionList(_ revisions: [String]) -> String {
        revisions.isEmpty ? "none" : revisions.joined(separator: ", ")
    }

    /// A timed event: its signed time and citation, and its recording time when that differs.
    static func timed(_ t: TimedRef) -> String {
        "\(t.time) (\(EventText.cite(t.ref)))" + (t.recordedAt == t.time ? "" : ", recorded \(t.recordedAt)")
    }

    /// An interval by the signed times, and by the recording times when that differs.
    static func interval(_ claimed: Int64?, recorded: Int64?) -> String {
        guard let claimed else { return "—" }
        guard let recorded, recorded != claimed else { return EventText.duration(ms: claimed) }
        return "\(EventText.duration(ms: claimed)) (recorded \(EventText.duration(ms: recorded)))"
    }

    static func incident(_ i: IncidentReport) -> View {
        [
            "id": i.incidentID, "title": orDash(i.title), "trigger": orDash(i.trigger), "level": i.level.map(String.init) ?? "—",
            "status": i.status, "sessionStream": orDash(i.sessionStream), "declaredTime": i.declared?.time ?? "—",
            "declaredCite": i.declared.map { EventText.cite($0.ref) } ?? "—", "rootCause": orDash(i.rootCause),
            "resolution": orDash(i.resolution), "lessonsLearned": orDash(i.lessonsLearned),
            "evidenceCount": String(i.evidence.count),
        ]
    }

    static func phase(_ p: PhaseResult) -> View {
        [
            "id": p.id, "title": p.title, "actionPhase": p.actionPhase,
            "window":
                "\(EventText.duration(ms: p.windowStartMs)) to \(p.windowEndMs.map { EventText.duration(ms: $0) } ?? "open end")",
            "status": timing(p.status), "firstAction": p.firstAction.map(timed) ?? "—",
            "after": interval(p.firstActionAfterMs, recorded: p.firstActionRecordedAfterMs), "actions": String(p.actions.count),
        ]
    }

    static func escalation(_ e: EscalationResult) -> View {
        [
            "level": String(e.level), "levelTitle": orDash(e.levelTitle),
            "raised": timed(e.raised),
            "target": e.targetMs.map { EventText.duration(ms: $0) } ?? "—",
            "response": e.response.map(timed) ?? "—",
            "after": interval(e.responseAfterMs, recorded: e.responseRecordedAfterMs), "status": timing(e.status),
        ]
    }

    static func rollback(_ r: RollbackResult) -> View {
        [
            "kind": r.kind, "method": orDash(r.method), "started": timed(r.started),
            "measuredFrom": orDash(r.measuredFrom), "after": interval(r.afterMs, recorded: r.recordedAfterMs),
            "window": orDash(r.window),
            "within": r.recordedLate ? "claimed yes, recorded NO" : r.withinWindow.map { $0 ? "yes" : "NO" } ?? "—",
            "withinClass": r.recordedLate ? "recorded-late" : r.withinWindow.map { $0 ? "met" : "missed" } ?? "not-evaluated",
            "completed": r.completed.map(timed) ?? "—", "result": orDash(r.result),
        ]
    }

    static func gdpr(_ g: GDPRNotificationResult) -> View {
        let yes = { (b: Bool) in b ? "recorded" : "MISSING" }
        return [
            "status": g.status, "assessed": g.assessment != nil, "assessment": g.assessment.map(EventText.cite) ?? "—",
            "risk": orDash(g.risk), "awareAt": orDash(g.awareAt), "deadline": orDash(g.deadline),
            "notifiedAt": orDash(g.notifiedAt), "authority": orDash(g.authority),
            "after": g.notifiedAfterMs.map { EventText.duration(ms: $0) } ?? "—", "delayReason": orDash(g.delayReason),
            "notifications": citeList(g.notifications), "notified": !g.notifications.isEmpty,
            "contents": [
                ["name": "(a) nature of the breach", "value": yes(g.nature)],
                ["name": "(a) categories of data", "value": yes(g.categoriesRecorded)],
                ["name": "(a) approximate number of data subjects", "value": yes(g.approxSubjectsRecorded)],
                ["name": "(b) DPO or contact point", "value": yes(g.contactPoint)],
                ["name": "(c) likely consequences", "value": yes(g.consequences)],
                ["name": "(d) measures taken or proposed", "value": yes(g.measures)],
            ] as [View],
        ]
    }

    // MARK: Compliance

    static func compliance(_ c: ComplianceContent) -> View {
        let all = c.population.flatMap(\.controls) + c.incidents.flatMap(\.controls)
        var totals = counts(all)
        totals["population"] = String(c.population.count)
        totals["incidents"] = String(c.incidents.count)
        totals["exceptions"] = String(c.exceptions.count)
        totals["causes"] = String(c.causes.count)
        return [
            "causes": c.causes.map { k in
                let shown = k.subjects.prefix(10).map { "\($0.kind) \($0.id)" }.joined(separator: ", ")
                return [
                    "severity": k.severity.rawValue, "cause": k.cause, "kinds": k.kinds.joined(separator: ", "),
                    "subjectCount": String(k.subjects.count),
                    "subjects": shown + (k.subjects.count > 10 ? " and \(k.subjects.count - 10) more" : ""),
                    "controls": k.controls.joined(separator: ", "), "exceptions": String(k.exceptions),
                ] as View
            },
            "hasCauses": !c.causes.isEmpty,
            "period": ["from": c.from.rfc3339, "to": c.to.rfc3339, "framework": c.selection.label] as View,
            "summary": totals, "populationSHA256": c.populationSHA256,
            "matrix": c.frameworks.map { f in
                [
                    "name": f.framework,
                    "controls": f.controls.map { t in
                        [
                            "id": t.id, "title": t.title, "references": t.references.joined(separator: ", "),
                            "pass": String(t.pass),
                            "fail": String(t.fail), "pending": String(t.pending), "notApplicable": String(t.notApplicable),
                            "failClass": t.fail > 0 ? "fail" : t.pending > 0 ? "pending" : t.pass > 0 ? "pass" : "na",
                        ] as View
                    },
                    "pass": String(f.pass), "fail": String(f.fail), "pending": String(f.pending),
                    "notApplicable": String(f.notApplicable),
                ] as View
            },
            "population": c.population.enumerated().map { n, p in
                let s = p.session
                let k = counts(p.controls)
                return [
                    "n": String(n + 1), "sessionId": s.sessionID, "migrationId": orDash(s.migrationID),
                    "environment": orDash(s.environment), "changeTicket": orDash(s.changeTicket),
                    "start": p.start.rfc3339
                        + (p.periodFlag == "recorded-outside-period"
                            ? " (recorded \(p.recorded.rfc3339), outside the period)"
                            : p.periodFlag == "signed-outside-period"
                                ? " (signed outside the period; recorded \(p.recorded.rfc3339), in it)" : ""),
                    "requester": orDash(s.state.requester), "outcome": s.state.outcome ?? "open",
                    "revisions": "\(s.state.alembicFrom ?? "(empty)") → \(s.state.alembicTo ?? "?"); approved "
                        + "\(revisionList(s.state.approvedRevisions)); applied \(revisionList(s.state.appliedRevisions))",
                    "emergency": s.state.override != nil,
                    "emergencyText": s.state.override.map { "yes, \(EventText.cite($0))" } ?? "no",
                    "incidents": p.incidents.isEmpty ? "—" : p.incidents.joined(separator: ", "), "pass": k["pass"]!,
                    "fail": k["fail"]!, "pending": k["pending"]!, "notApplicable": k["notApplicable"]!,
                    "exceptions": String(p.exceptionCount),
                    "openedCite": (s.state.opened ?? p.first.map { EvidenceRef(seq: $0.seq, eventHash: $0.eventHash) }).map(
                        EventText.cite) ?? "—",
                ] as View
            },
            "hasPopulation": !c.population.isEmpty,
            "exceptions": c.exceptions.map { e in
                var v = control(e.control)
                v["subjectKind"] = e.subjectKind
                v["subject"] = e.subject
                v["exceptionClass"] = e.kind
                v["kindLabel"] = e.kind
                return v
            },
            "hasExceptions": !c.exceptions.isEmpty,
            "periodIncidents": c.incidents.map { i in
                var v = incidentRow(i.report)
                v["start"] = i.start?.rfc3339 ?? "—"
                v["sessionStream"] = orDash(i.report.sessionStream)
                v["summary"] = counts(i.controls)
                return v
            },
            "hasPeriodIncidents": !c.incidents.isEmpty,
        ]
    }

    // MARK: Evidence

    /// Every cited event once, in `seq` order, with its full hash.
    static func evidenceIndex(_ refs: [EvidenceRef], events: [Int64: VerifiedEvent]) -> [View] {
        var seen = Set<Int64>()
        return refs.sorted().filter { seen.insert($0.seq).inserted }.map { r in
            let e = events[r.seq]
            return [
                "seq": String(r.seq), "hash": r.eventHash.hex, "time": e?.body.time ?? "—", "type": e?.body.type ?? "—",
                "actor": e?.body.actor ?? "—", "stream": e?.body.stream ?? "—",
            ] as View
        }
    }
}
