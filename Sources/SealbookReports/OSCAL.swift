internal import SealbookCore
internal import SealbookProjections
internal import SealbookRunbook

/// A report as an OSCAL assessment-results document (OSCAL 1.2.2; schema
/// `schemas/reports/oscal_assessment-results_schema.json`; mapping in docs/REPORTS.md):
///
/// - one `result` per subject: a session, or an incident; a compliance report has one per
///   session of its population and per incident of its period;
/// - one `finding` per control that applies (`target.type` `objective-id`, `target-id` the
///   control id; pass → satisfied, fail → not-satisfied/fail, pending → not-satisfied/other
///   with the prop `ledger-status` `pending`); not-applicable controls are listed in
///   `reviewed-controls` and excluded;
/// - one `observation` per event cited as evidence, with the event as `relevant-evidence`
///   (`urn:sealbook:ledger:<ledger>:seq:<n>`, its eventHash in a prop);
/// - one `risk` per incident, linked from the incident's findings;
/// - `import-ap` points to a back-matter resource describing the control catalog and its
///   SHA-256 (Sealbook has no separate assessment plan: its plan is the catalog).
///
/// Every UUID is derived from SHA-256 (``uuid(_:)``), so the same inputs give the same bytes:
/// results, findings, observations and risks stay the same for the same subject across
/// positions, as OSCAL asks; the document's UUID is derived from its whole content.
enum OSCAL {
    static let version = "1.2.2"
    /// The namespace of Sealbook's props.
    static let ns = "urn:sealbook:oscal"

    /// A UUID with the version-5 and RFC 4122 variant bits set, from the first 16 bytes of
    /// SHA-256 over `sealbook.oscal.uuid/1` and `parts`, each after a newline. (Real UUIDv5 uses
    /// SHA-1 over a namespace UUID; OSCAL only requires the version and variant bits.)
    static func uuid(_ parts: String...) -> String { uuid(parts) }

    static func uuid(_ parts: [String]) -> String {
        var input = Array("sealbook.oscal.uuid/1".utf8)
        for p in parts {
            input.append(0x0A)
            input += Array(p.utf8)
        }
        var b = Array(SHA256.hash(input).bytes.prefix(16))
        b[6] = (b[6] & 0x0F) | 0x50
        b[8] = (b[8] & 0x3F) | 0x80
        let h = Array(Hex.encode(b))
        return String(h[0..<8]) + "-" + String(h[8..<12]) + "-" + String(h[12..<16]) + "-" + String(h[16..<20]) + "-"
            + String(h[20..<32])
    }

    /// A prop, or nil when the value is empty (OSCAL strings may not be empty or padded).
    static func prop(_ name: String, _ value: String?, cls: String? = nil) -> JSONValue? {
        guard let v = value?.oneLine.trimmingWhitespace, !v.isEmpty else { return nil }
        var m: [(String, JSONValue)] = [("name", .string(name)), ("ns", .string(ns)), ("value", .string(v))]
        if let cls { m.append(("class", .string(cls))) }
        return JB.obj(m)
    }

    static func time(_ s: String?, fallback: Timestamp) -> String {
        (s.flatMap { Timestamp(rfc3339: $0) } ?? fallback).rfc3339
    }

    // MARK: Document

    static func document(_ r: Report) -> JSONValue {
        let h = r.header
        let ledger = h.ledger
        var results: [JSONValue] = []
        var subjectsProps: [JSONValue?] = []
        switch r.content {
        case .session(let s):
            results.append(sessionResult(s.report, events: s.timeline, controls: s.report.controls, r))
            for i in s.incidents { results.append(incidentResult(i, controls: i.controls, r)) }
        case .incident(let i):
            results.append(incidentResult(i.report, controls: i.report.controls, r))
        case .compliance(let c):
            for p in c.population {
                let events = r.events.values.filter { $0.body.stream == p.session.stream }.sorted { $0.seq < $1.seq }
                results.append(sessionResult(p.session, events: events, controls: p.controls, r))
            }
            for i in c.incidents where !i.controls.isEmpty { results.append(incidentResult(i.report, controls: i.controls, r)) }
            subjectsProps = [
                prop("population-size", String(c.population.count)), prop("population-sha256", c.populationSHA256),
                prop("period-from", c.from.rfc3339), prop("period-to", c.to.rfc3339),
                prop("framework", c.selection.rawValue),
            ]
            if results.isEmpty {
                results.append(
                    JB.obj([
                        ("uuid", .string(uuid("result", ledger, "compliance", c.from.rfc3339, c.to.rfc3339))),
                        ("title", .string("No change in the period")),
                        (
                            "description",
                            .string(
                                "No session was opened from \(c.from.rfc3339) (inclusive) to \(c.to.rfc3339) (exclusive) in ledger \(ledger) at seq \(h.seq)."
                            )
                        ),
                        ("start", .string(c.from.rfc3339)), ("end", .string(c.to.rfc3339)),
                        ("reviewed-controls", JB.obj([("control-selections", .array([JB.obj([("include-all", JB.obj([]))])]))])),
                    ]))
            }
        }
        let catalogUUID = uuid("control-catalog", h.catalogSHA256)
        var resources: [JSONValue] = [
            JB.obj([
                ("uuid", .string(catalogUUID)), ("title", .string("Assessment plan: the Sealbook control catalog")),
                (
                    "description",
                    .string(
                        "The controls evaluated (schemas/controls: \(h.catalogFiles.joined(separator: ", "))). Its SHA-256 is taken over each file name, a newline, the file's text and a newline, in name order (docs/REPORTS.md)."
                    )
                ),
                (
                    "rlinks",
                    .array([
                        JB.obj([
                            ("href", .string("urn:sealbook:control-catalog:sha256:\(h.catalogSHA256)")),
                            ("hashes", .array([JB.obj([("algorithm", "SHA-256"), ("value", .string(h.catalogSHA256))])])),
                        ])
                    ])
                ),
            ]),
            JB.obj([
                ("uuid", .string(uuid("ledger", ledger))), ("title", .string("Signed ledger \(ledger), read up to seq \(h.seq)")),
                (
                    "description",
                    .string(
                        "The Ed25519-signed, hash-chained event log the results were computed from. \(h.verification.sentence). Head: seq \(h.seq), chainHash \(h.chainHash.hex)."
                    )
                ),
                ("props", .array([prop("head-seq", String(h.seq)), prop("head-chain-hash", h.chainHash.hex)].compactMap { $0 })),
                ("rlinks", .array([JB.obj([("href", .string("urn:sealbook:ledger:\(ledger)"))])])),
            ]),
        ]
        for u in h.runbooks {
            resources.append(
                JB.obj([
                    ("uuid", .string(uuid("runbook", u.reference.id, u.reference.sha256))),
                    ("title", .string("Runbook \(u.reference.id) \(u.reference.version)")),
                    (
                        "description",
                        .string(
                            u.known
                                ? "The runbook the sessions followed, as evaluated."
                                : "The runbook the session names; this binary does not know it, so its runbook rules were not evaluated."
                        )
                    ),
                    (
                        "rlinks",
                        .array([
                            JB.obj([
                                ("href", .string("urn:sealbook:runbook:\(u.reference.id):\(u.reference.version)")),
                                ("hashes", .array([JB.obj([("algorithm", "SHA-256"), ("value", .string(u.reference.sha256))])])),
                            ])
                        ])
                    ),
                ]))
        }
        var metaProps: [JSONValue?] = [
            prop("report-kind", h.kind.rawValue), prop("ledger-id", ledger), prop("ledger-head-seq", String(h.seq)),
            prop("ledger-head-chain-hash", h.chainHash.hex), prop("as-of", h.asOf.rfc3339),
            prop("control-catalog-sha256", h.catalogSHA256),
            prop("verification", h.verification.verified ? "verified" : "unverified"),
            prop("verification-source", h.verification.source),
            prop("root-pinned", h.verification.rootPinned ? "yes" : "no"),
        ]
        metaProps += h.runbooks.map { prop("runbook-sha256", $0.reference.sha256, cls: token($0.reference.id)) }
        metaProps += subjectsProps
        var remarks = h.verification.sentence + "."
        if !h.verification.verified {
            remarks = "UNVERIFIED LOG: " + remarks + " Failures: " + h.verification.failures.joined(separator: "; ")
        }
        let metadata = JB.obj([
            ("title", .string(((h.verification.verified ? "" : "[UNVERIFIED LOG] ") + h.title).oneLine)),
            ("last-modified", .string(h.asOf.rfc3339)),
            ("version", .string("seq-\(h.seq)-\(h.chainHash.hex.prefix(16))")), ("oscal-version", .string(version)),
            ("props", .array(metaProps.compactMap { $0 })), ("remarks", .string(remarks)),
        ])
        func doc(_ id: String) -> JSONValue {
            JB.obj([
                (
                    "assessment-results",
                    JB.obj([
                        ("uuid", .string(id)), ("metadata", metadata),
                        (
                            "import-ap",
                            JB.obj([
                                ("href", .string("#" + catalogUUID)),
                                (
                                    "remarks",
                                    .string(
                                        "Placeholder: Sealbook publishes no separate OSCAL assessment plan. The plan is its control catalog, described by the back-matter resource this points to, evaluated over the signed ledger."
                                    )
                                ),
                            ])
                        ),
                        ("results", .array(results)), ("back-matter", JB.obj([("resources", .array(resources))])),
                    ])
                )
            ])
        }
        let content = (try? JCS.canonicalize(doc(""))) ?? []
        return doc(uuid("document", SHA256.hash(content).hex))
    }

    /// A token (OSCAL `TokenDatatype`) made from `s`: other characters become `-`.
    static func token(_ s: String) -> String {
        var out = ""
        for (i, c) in s.enumerated() {
            if c.isLetter || c == "_" || (i > 0 && (c.isNumber || c == "." || c == "-")) {
                out.append(c)
            } else {
                out.append(i == 0 ? "_" : "-")
            }
        }
        return out.isEmpty ? "_" : out
    }

    // MARK: Results

    static func summaryText(_ controls: [ControlResult]) -> String {
        let c = { (s: ControlStatus) in controls.filter { $0.status == s }.count }
        return "\(c(.pass)) pass, \(c(.fail)) fail, \(c(.pending)) pending, \(c(.notApplicable)) not applicable"
    }

    static func sessionResult(_ s: SessionReport, events: [VerifiedEvent], controls: [ControlResult], _ r: Report) -> JSONValue
    {
        let h = r.header
        let subject = "session:" + s.sessionID
        let start = time(s.state.openedAt ?? events.first?.body.time, fallback: h.asOf)
        let end = time(events.last?.body.time, fallback: h.asOf)
        let description =
            "Controls of session \(s.sessionID) (migration \(s.migrationID ?? "?"), \(s.environment ?? "unknown environment")"
            + (s.changeTicket.map { ", ticket \($0)" } ?? "")
            + "), evaluated as of \(h.asOf.rfc3339) from ledger \(h.ledger) at seq \(h.seq): "
            + summaryText(controls) + "."
        let props: [JSONValue?] = [
            prop("subject", s.stream), prop("migration-id", s.migrationID), prop("environment", s.environment),
            prop("change-ticket", s.changeTicket), prop("outcome", s.state.outcome ?? "open"),
            prop("emergency-change", s.state.override != nil ? "yes" : "no"),
        ]
        return result(
            subject: subject, title: "Session \(s.sessionID)".oneLine, description: description, start: start, end: end,
            props: props.compactMap { $0 }, controls: controls, risk: nil, r)
    }

    static func incidentResult(_ i: IncidentReport, controls: [ControlResult], _ r: Report) -> JSONValue {
        let h = r.header
        let subject = "incident:" + i.incidentID
        let start = time(i.declared?.time ?? i.timeline.first?.time, fallback: h.asOf)
        let end = time(i.timeline.last?.time, fallback: h.asOf)
        let riskUUID = uuid("risk", h.ledger, i.incidentID)
        let status: String = i.status == "closed" ? "closed" : i.status == "resolved" ? "remediating" : "open"
        var statement = "Root cause: \(i.rootCause ?? "not recorded yet")."
        if let res = i.resolution { statement += " Resolution: \(res)." }
        if let l = i.lessonsLearned { statement += " Lessons learned: \(l)." }
        let risk = JB.obj([
            ("uuid", .string(riskUUID)),
            ("title", .string(("Incident \(i.incidentID)" + (i.title.map { ": \($0)" } ?? "")).oneLine)),
            (
                "description",
                .string(
                    "Level \(i.level.map(String.init) ?? "?") incident"
                        + (i.declared.map { " declared at \($0.time) (seq \($0.ref.seq))" } ?? "")
                        + (i.trigger.map { "; trigger: \($0)" } ?? "") + (i.sessionStream.map { "; session \($0)" } ?? "") + ".")
            ),
            ("statement", .string(statement)),
            (
                "props",
                .array(
                    [
                        prop("incident-status", i.status), prop("level", i.level.map(String.init)),
                        prop("gdpr-notification", i.gdpr.status),
                    ].compactMap { $0 })
            ),
            ("status", .string(status)),
        ])
        let description =
            "Controls of incident \(i.incidentID), evaluated as of \(h.asOf.rfc3339) from ledger \(h.ledger) at seq \(h.seq): "
            + summaryText(controls) + "."
        let props: [JSONValue?] = [
            prop("subject", StreamID.incident(i.incidentID)), prop("incident-status", i.status), prop("session", i.sessionStream),
        ]
        return result(
            subject: subject, title: "Incident \(i.incidentID)".oneLine, description: description, start: start, end: end,
            props: props.compactMap { $0 }, controls: controls, risk: (riskUUID, risk), r)
    }

    static func result(
        subject: String, title: String, description: String, start: String, end: String, props: [JSONValue],
        controls: [ControlResult], risk: (uuid: String, value: JSONValue)?, _ r: Report
    ) -> JSONValue {
        let h = r.header
        let ledger = h.ledger
        let applicable = controls.filter { $0.status != .notApplicable }
        // Observations: each cited event once, in seq order.
        var seen = Set<Int64>()
        let cited = applicable.flatMap(Views.refs).sorted().filter { seen.insert($0.seq).inserted }
        var observationUUID: [Int64: String] = [:]
        let observations: [JSONValue] = cited.map { ref in
            let id = uuid("observation", ledger, subject, String(ref.seq), ref.eventHash.hex)
            observationUUID[ref.seq] = id
            let e = r.events[ref.seq]
            let what =
                e.map {
                    "\($0.body.type) by \($0.body.actor) at \($0.body.time) in stream \($0.body.stream): \(EventText.summary($0))"
                } ?? "an event"
            return JB.obj([
                ("uuid", .string(id)), ("title", .string("Event seq \(ref.seq)" + (e.map { ": \($0.body.type)" } ?? ""))),
                ("description", .string("Signed ledger event at seq \(ref.seq), \(what). eventHash \(ref.eventHash.hex).")),
                ("methods", ["TEST"]), ("types", ["control-objective"]),
                ("collected", .string(time(e?.body.time, fallback: h.asOf))),
                (
                    "relevant-evidence",
                    .array([
                        JB.obj([
                            ("href", .string("urn:sealbook:ledger:\(ledger):seq:\(ref.seq)")),
                            (
                                "description",
                                .string(
                                    "The signed event at seq \(ref.seq) of ledger \(ledger); find it by seq and check its eventHash."
                                )
                            ),
                            (
                                "props",
                                .array([prop("seq", String(ref.seq)), prop("event-hash", ref.eventHash.hex)].compactMap { $0 })
                            ),
                        ])
                    ])
                ),
            ])
        }
        let findings: [JSONValue] = applicable.map { c in
            let state = c.status == .pass ? "satisfied" : "not-satisfied"
            let reason = c.status == .pass ? "pass" : c.status == .fail ? "fail" : "other"
            var status: [(String, JSONValue)] = [("state", .string(state)), ("reason", .string(reason))]
            if c.status == .pending {
                status.append(
                    (
                        "remarks",
                        .string("Pending as of \(h.asOf.rfc3339): its window is still open or its evidence is not recorded yet.")
                    ))
            }
            var m: [(String, JSONValue)] = [
                ("uuid", .string(uuid("finding", ledger, subject, c.id))), ("title", .string("\(c.id): \(c.title)".oneLine)),
                (
                    "description",
                    .string(
                        "\(Views.statusLabel(c.status)) as of \(h.asOf.rfc3339)."
                            + (c.reasons.isEmpty ? "" : " " + c.reasons.joined(separator: " ")))
                ),
                (
                    "props",
                    .array(
                        [
                            prop("ledger-status", c.status.rawValue), prop("freshness", c.freshness?.rawValue),
                            prop("framework", c.framework), prop("exception", c.exception?.kind),
                        ].compactMap { $0 } + c.references.compactMap { prop("framework-reference", $0) })
                ),
                (
                    "target",
                    JB.obj([("type", "objective-id"), ("target-id", .string(c.id)), ("status", JB.obj(status))])
                ),
            ]
            let related = Views.refs(c).compactMap { observationUUID[$0.seq] }.reduce(into: [String]()) {
                if !$0.contains($1) { $0.append($1) }
            }
            if !related.isEmpty {
                m.append(("related-observations", .array(related.map { JB.obj([("observation-uuid", .string($0))]) })))
            }
            if let risk { m.append(("related-risks", .array([JB.obj([("risk-uuid", .string(risk.uuid))])]))) }
            if let e = c.exception { m.append(("remarks", .string("\(e.kind): \(e.note)"))) }
            return JB.obj(m)
        }
        var selection: [(String, JSONValue)]
        if controls.isEmpty {
            selection = [
                ("include-all", JB.obj([])), ("remarks", "No control of the selected frameworks applies to this subject."),
            ]
        } else {
            selection = [("include-controls", .array(controls.map { JB.obj([("control-id", .string($0.id))]) }))]
            let na = controls.filter { $0.status == .notApplicable }
            if !na.isEmpty {
                selection.append(("exclude-controls", .array(na.map { JB.obj([("control-id", .string($0.id))]) })))
            }
        }
        var m: [(String, JSONValue)] = [
            ("uuid", .string(uuid("result", ledger, subject))), ("title", .string(title)), ("description", .string(description)),
            ("start", .string(start)), ("end", .string(max(start, end))),
            (
                "reviewed-controls",
                JB.obj([
                    (
                        "description",
                        "The controls of the Sealbook catalog evaluated for this subject; those that do not apply are excluded."
                    ),
                    ("control-selections", .array([JB.obj(selection)])),
                ])
            ),
        ]
        if !props.isEmpty { m.insert(("props", .array(props)), at: 5) }
        if !observations.isEmpty { m.append(("observations", .array(observations))) }
        if let risk { m.append(("risks", .array([risk.value]))) }
        if !findings.isEmpty { m.append(("findings", .array(findings))) }
        return JB.obj(m)
    }
}

extension String {
    /// Line breaks and tabs as spaces (OSCAL titles and props are single lines).
    var oneLine: String { String(map { $0 == "\n" || $0 == "\r" || $0 == "\t" ? " " : $0 }) }

    var trimmingWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
