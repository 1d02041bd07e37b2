public import SealbookCore
internal import SealbookProjections
internal import SealbookRunbook

/// Small builders for JSON values.
enum JB {
    static func obj(_ members: [(String, JSONValue)]) -> JSONValue {
        .object(JSONObject(members.map { (key: $0.0, value: $0.1) }))
    }
    static func int(_ i: Int64) -> JSONValue { .number(JSONNumber(i)) }
    static func int(_ i: Int) -> JSONValue { .number(JSONNumber(Int64(i))) }
    static func str(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
    static func strings(_ a: [String]) -> JSONValue { .array(a.map(JSONValue.string)) }
    static func ref(_ r: EvidenceRef?) -> JSONValue {
        guard let r else { return .null }
        return obj([("seq", int(r.seq)), ("eventHash", .string(r.eventHash.hex))])
    }
    static func counts(pass: Int, fail: Int, pending: Int, notApplicable: Int) -> JSONValue {
        obj([("pass", int(pass)), ("fail", int(fail)), ("pending", int(pending)), ("notApplicable", int(notApplicable))])
    }
    static func counts(_ results: [ControlResult]) -> JSONValue {
        counts(
            pass: results.filter { $0.status == .pass }.count, fail: results.filter { $0.status == .fail }.count,
            pending: results.filter { $0.status == .pending }.count,
            notApplicable: results.filter { $0.status == .notApplicable }.count)
    }
}

extension Report {
    /// The name of the JSON shape, written in every JSON report.
    public static let jsonFormat = "sealbook.report/1"

    /// The report as JSON: the header members (`format`, `kind`, `title`, `ledger`, `position`,
    /// `asOf`, `verification`, `controlCatalog`, `runbooks`, `parameters`) and the kind's
    /// content. Described by `schemas/reports/report.schema.json`.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("format", .string(Self.jsonFormat)), ("kind", .string(kind.rawValue)), ("title", .string(header.title)),
            ("ledger", .string(header.ledger)),
            ("position", JB.obj([("seq", JB.int(header.seq)), ("chainHash", .string(header.chainHash.hex))])),
            ("asOf", .string(header.asOf.rfc3339)), ("verification", header.verification.json),
            (
                "controlCatalog",
                JB.obj([("sha256", .string(header.catalogSHA256)), ("files", JB.strings(header.catalogFiles))])
            ),
            ("runbooks", .array(header.runbooks.map(\.json))),
            ("parameters", JB.obj(header.parameters.map { ($0.name, JSONValue.string($0.value)) })),
        ]
        switch content {
        case .session(let s):
            members += [("session", s.json), ("incidents", .array(s.incidentsJSON))]
        case .incident(let i):
            members += [("incident", i.json)]
        case .compliance(let c):
            members += c.jsonMembers
        }
        return JB.obj(members)
    }

    /// RFC 8785 canonical bytes of ``json``.
    public func canonicalJSON() -> [UInt8] { (try? JCS.canonicalize(json)) ?? [] }
}

extension VerificationSummary {
    var json: JSONValue {
        JB.obj([
            ("status", .string(verified ? "verified" : "unverified")), ("source", .string(source)),
            ("entries", JB.int(entries)), ("lastSeq", JB.int(lastSeq)), ("lastChainHash", .string(lastChainHash.hex)),
            ("rootPinned", .bool(rootPinned)), ("failureCount", JB.int(failureCount)), ("failures", JB.strings(failures)),
        ] + (since.map { [("since", JB.int($0))] } ?? []))
    }
}

extension RunbookUse {
    var json: JSONValue {
        JB.obj([
            ("id", .string(reference.id)), ("version", .string(reference.version)), ("sha256", .string(reference.sha256)),
            ("known", .bool(known)), ("note", JB.str(note)),
        ])
    }
}

extension ComplianceContent {
    var populationJSON: JSONValue {
        .array(
            population.map { p in
                let s = p.session
                return JB.obj([
                    ("sessionId", .string(s.sessionID)), ("stream", .string(s.stream)), ("migrationId", JB.str(s.migrationID)),
                    ("environment", JB.str(s.environment)), ("changeTicket", JB.str(s.changeTicket)),
                    ("start", .string(p.start.rfc3339)), ("recordedAt", .string(p.recorded.rfc3339)),
                    ("periodFlag", JB.str(p.periodFlag)),
                    ("opened", JB.ref(s.state.opened ?? p.first.map { EvidenceRef(seq: $0.seq, eventHash: $0.eventHash) })),
                    ("requester", JB.str(s.state.requester)), ("outcome", JB.str(s.state.outcome)),
                    ("alembicFrom", JB.str(s.state.alembicFrom)), ("alembicTo", JB.str(s.state.alembicTo)),
                    ("alembicCurrent", JB.str(s.state.alembicCurrent)), ("emergency", .bool(s.state.override != nil)),
                    ("override", JB.ref(s.state.override)), ("closed", JB.ref(s.state.closed)),
                    ("incidents", JB.strings(p.incidents)),
                    (
                        "runbook",
                        s.runbook.map {
                            JB.obj([
                                ("id", .string($0.id)), ("version", .string($0.version)), ("sha256", .string($0.sha256)),
                                ("known", .bool(s.runbookKnown)),
                            ])
                        } ?? .null
                    ),
                    ("summary", JB.counts(p.controls)), ("exceptions", JB.int(p.exceptionCount)),
                ])
            })
    }

    /// SHA-256 of the canonical population: a short name for the list auditors sample from.
    var populationSHA256: String { SHA256.hash((try? JCS.canonicalize(populationJSON)) ?? []).hex }

    var jsonMembers: [(String, JSONValue)] {
        let all = population.flatMap(\.controls) + incidents.flatMap(\.controls)
        return [
            ("population", populationJSON), ("populationSHA256", .string(populationSHA256)),
            (
                "frameworks",
                .array(
                    frameworks.map { f in
                        JB.obj([
                            ("framework", .string(f.framework)),
                            (
                                "controls",
                                .array(
                                    f.controls.map { t in
                                        JB.obj([
                                            ("id", .string(t.id)), ("title", .string(t.title)),
                                            ("references", JB.strings(t.references)),
                                            (
                                                "counts",
                                                JB.counts(
                                                    pass: t.pass, fail: t.fail, pending: t.pending, notApplicable: t.notApplicable
                                                )
                                            ),
                                        ])
                                    })
                            ),
                            (
                                "summary",
                                JB.counts(pass: f.pass, fail: f.fail, pending: f.pending, notApplicable: f.notApplicable)
                            ),
                        ])
                    })
            ),
            (
                "exceptions",
                .array(
                    exceptions.map { e in
                        JB.obj([
                            ("subject", .string(e.subjectKind)), ("id", .string(e.subject)), ("kind", .string(e.kind)),
                            ("control", e.json),
                        ])
                    })
            ),
            (
                "exceptionCauses",
                .array(
                    causes.map { k in
                        JB.obj([
                            ("cause", .string(k.cause)), ("severity", .string(k.severity.rawValue)),
                            ("kinds", JB.strings(k.kinds)),
                            ("subjects", .array(k.subjects.map { JB.obj([("subject", .string($0.kind)), ("id", .string($0.id))]) })),
                            ("controls", JB.strings(k.controls)), ("exceptions", JB.int(k.exceptions)),
                        ])
                    })
            ),
            (
                "periodIncidents",
                .array(
                    incidents.map { i in
                        let r = i.report
                        return JB.obj([
                            ("incidentId", .string(r.incidentID)), ("title", JB.str(r.title)),
                            ("level", r.level.map { JB.int($0) } ?? .null), ("status", .string(r.status)),
                            ("start", JB.str(i.start?.rfc3339)), ("declared", JB.ref(r.declared?.ref)),
                            ("sessionStream", JB.str(r.sessionStream)), ("gdprStatus", .string(r.gdpr.status)),
                            ("summary", JB.counts(i.controls)),
                        ])
                    })
            ),
            (
                "summary",
                JB.obj([
                    ("population", JB.int(population.count)), ("incidents", JB.int(incidents.count)),
                    ("exceptions", JB.int(exceptions.count)), ("controls", JB.counts(all)),
                ])
            ),
        ]
    }
}
