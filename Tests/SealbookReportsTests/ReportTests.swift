import Foundation
import SealbookCore
import SealbookProjections
import SealbookReports
import SealbookRunbook
import Testing

let demo = DemoLedger.demo()
let renderer = ReportRenderer()

/// Every report of the demonstration, by the name of its golden files.
func demoReports(_ snapshot: LedgerSnapshot = demo.snapshot()) throws -> [(name: String, report: Report)] {
    [
        ("session-success", try Report.session(DemoLedger.sessionA, snapshot: snapshot)),
        ("session-rolled-back", try Report.session(DemoLedger.sessionB, snapshot: snapshot)),
        ("session-gate-refused", try Report.session(DemoLedger.sessionC, snapshot: snapshot)),
        ("incident", try Report.incident(DemoLedger.incident, snapshot: snapshot)),
        ("compliance-all", try Report.compliance(framework: .all, from: "2026-03-01", to: "2026-03-31", snapshot: snapshot)),
        ("compliance-sox", try Report.compliance(framework: .sox, from: "2026-03-02", to: "2026-03-02", snapshot: snapshot)),
    ]
}

func fileName(_ name: String, _ f: ReportFormat) -> String {
    switch f {
    case .md: "\(name).md"
    case .html: "\(name).html"
    case .json: "\(name).json"
    case .oscal: "\(name).oscal.json"
    }
}

@Suite("Reports: Markdown, HTML, JSON and OSCAL from a ledger snapshot")
struct ReportTests {
    @Test("the same log position and as-of give byte-identical output in every format, also from a rebuilt projection")
    func byteIdentical() throws {
        let first = try demoReports()
        // A second snapshot of the same events: a fresh fold.
        let l = demo
        let again = LedgerSnapshot(
            ledger: l.ledger, headSeq: l.head.seq, headChainHash: l.head.chainHash, verification: l.snapshot().verification,
            events: l.entries)
        let second = try demoReports(again)
        for (a, b) in zip(first, second) {
            for f in ReportFormat.allCases {
                let x = try renderer.render(a.report, as: f)
                #expect(x == (try renderer.render(a.report, as: f)), "\(a.name) \(f) differs between two renders")
                #expect(x == (try renderer.render(b.report, as: f)), "\(a.name) \(f) differs from a rebuilt projection")
            }
        }
    }

    @Test("golden reports of the demonstration's sessions, incident and period")
    func golden() throws {
        let formats: [String: [ReportFormat]] = [
            "session-success": [.md, .json], "session-rolled-back": ReportFormat.allCases, "session-gate-refused": [.md, .json],
            "incident": ReportFormat.allCases, "compliance-all": [.md, .html, .json], "compliance-sox": [.md],
        ]
        for (name, report) in try demoReports() {
            for f in formats[name] ?? [] { try checkGolden(fileName(name, f), try renderer.render(report, as: f)) }
        }
    }

    @Test("an event in a session's stream after its close is shown with who and when, and changes no control")
    func afterClose() throws {
        var late = DemoLedger.demo()
        let asOf = "2026-03-02T14:00:00.000Z"
        let before = try Report.session(DemoLedger.sessionC, snapshot: late.snapshot(), asOf: asOf)
        late.add(
            "session/\(DemoLedger.sessionC)", "checklist.item.recorded", "dba-alice@fingood",
            JSONObject([(key: "item", value: .string("backup-verification")), (key: "status", value: .string("pass"))]))
        let after = try Report.session(DemoLedger.sessionC, snapshot: late.snapshot(), asOf: asOf)
        let md = String(decoding: try renderer.render(after, as: .md), as: UTF8.self)
        #expect(md.contains("| Recorded after the close | checklist.item.recorded by dba-alice@fingood, signed "))
        #expect(md.contains("not counted |"))
        let html = String(decoding: try renderer.render(after, as: .html), as: UTF8.self)
        #expect(html.contains("<th>Recorded after the close</th>") && html.contains("not counted"))
        #expect(!String(decoding: try renderer.render(before, as: .md), as: UTF8.self).contains("Recorded after the close"))
        let controls = { (r: Report) throws -> JSONValue? in
            try JSONParser.parse(String(decoding: try renderer.render(r, as: .json), as: UTF8.self))["session"]?["controls"]
        }
        #expect(try controls(after) == controls(before))
    }

    @Test("in HTML, a control that is not a pass never carries a green freshness badge")
    func freshnessOnlyBesidePass() throws {
        let report = try Report.session(DemoLedger.sessionB, snapshot: demo.snapshot())
        let html = String(decoding: try renderer.render(report, as: .html), as: UTF8.self)
        let rows = html.components(separatedBy: "<tr>").filter { $0.contains("badge s-fail") || $0.contains("badge s-pending") }
        #expect(!rows.isEmpty, "the rolled-back session has failing controls")
        for row in rows { #expect(!row.contains("badge s-current"), "\(row.prefix(200))") }
        #expect(html.contains("badge s-pass") && html.contains("badge s-current"), "passes keep their freshness colour")
    }

    @Test("every report states its position, as-of, verification, catalog and runbook versions")
    func header() throws {
        let snapshot = demo.snapshot()
        let head = demo.head
        for (name, report) in try demoReports() {
            let md = String(decoding: try renderer.render(report, as: .md), as: UTF8.self)
            #expect(md.contains("seq \(head.seq), chainHash `\(head.chainHash.hex)`"), "\(name)")
            #expect(md.contains("| As of | \(snapshot.defaultAsOf) |"), "\(name)")
            #expect(md.contains("| Verification | verified: \(head.seq) entries"), "\(name)")
            #expect(md.contains(ControlCatalog.builtIn.sha256), "\(name)")
            #expect(md.contains(Runbook.builtIn.sha256), "\(name) names the runbook's SHA-256")
            let json = try JSONParser.parse(try renderer.render(report, as: .json))
            #expect(json["position"]?["seq"]?.int64Value == head.seq)
            #expect(json["position"]?["chainHash"]?.stringValue == head.chainHash.hex)
            #expect(json["asOf"]?.stringValue == snapshot.defaultAsOf)
            #expect(json["verification"]?["status"] == "verified")
        }
        // The default as-of is the latest signed time read, never the clock.
        #expect(snapshot.defaultAsOf == Timestamp(rfc3339: demo.entries.last!.body.time)!.rfc3339)
    }

    @Test("JSON reports fit schemas/reports/report.schema.json, and a broken one does not")
    func jsonSchema() throws {
        let text = try String(contentsOfFile: repoPath("schemas/reports/report.schema.json"), encoding: .utf8)
        let schema = try JSONSchema(text: text, source: "reports/report.schema.json")
        var reports = try demoReports()
        reports.append(("unverified", try Report.session(DemoLedger.sessionB, snapshot: demo.snapshot(verified: false))))
        for (name, report) in reports {
            let v = schema.validate(report.json, at: "report")
            #expect(v.isEmpty, "\(name): \(v.prefix(5))")
        }
        var o = try #require(try Report.incident(DemoLedger.incident, snapshot: demo.snapshot()).json.objectValue)
        o["position"] = ["seq": 1]
        o["extra"] = true
        let v = schema.validate(.object(o), at: "report")
        #expect(!v.isEmpty)
    }

    @Test(
        "OSCAL output is valid against the official schema (tools/check_oscal.py), and so is JSON against report.schema.json",
        .enabled(if: onCI || pythonJSONSchemaAvailable, "python3 with jsonschema is not installed (Debian: python3-jsonschema)"))
    func oscalOfficialSchema() throws {
        try #require(pythonJSONSchemaAvailable, "python3 with jsonschema (Debian: python3-jsonschema) is needed; scripts/setup.sh installs it")
        let dir = try Scratch()
        defer { dir.remove() }
        var oscal: [String] = []
        var json: [String] = []
        var reports = try demoReports()
        reports.append(("unverified", try Report.session(DemoLedger.sessionB, snapshot: demo.snapshot(verified: false))))
        reports.append(
            (
                "empty-period",
                try Report.compliance(framework: .pci, from: "2025-01-01", to: "2025-02-01", snapshot: demo.snapshot())
            ))
        for (name, report) in reports {
            oscal.append(try dir.write(name + ".oscal.json", try renderer.render(report, as: .oscal)))
            json.append(try dir.write(name + ".json", try renderer.render(report, as: .json)))
        }
        let r = try runProgram(["python3", repoPath("tools/check_oscal.py"), "--self-test"] + oscal)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("refused as it must be: a finding state 'pending'"), "\(r.stdout)")
        let s = try runProgram(
            ["python3", repoPath("tools/check_oscal.py"), "--schema", repoPath("schemas/reports/report.schema.json")] + json)
        #expect(s.status == 0, "\(s.stdout)\(s.stderr)")
    }

    @Test("OSCAL: findings per control, observations citing evidence by seq and eventHash, stable v5-shaped UUIDs")
    func oscalShape() throws {
        let report = try Report.session(DemoLedger.sessionB, snapshot: demo.snapshot())
        let doc = try JSONParser.parse(try renderer.render(report, as: .oscal))
        let ar = doc["assessment-results"]!
        #expect(ar["metadata"]?["last-modified"]?.stringValue == report.asOf)
        #expect(ar["metadata"]?["oscal-version"] == "1.2.2")
        let results = ar["results"]!.arrayValue!
        #expect(results.count == 2, "the session and its incident")
        let findings = results[0]["findings"]!.arrayValue!
        let approval = findings.first { $0["target"]?["target-id"] == "sox.change.approval" }!
        #expect(approval["target"]?["status"]?["state"] == "satisfied")
        let integrity = findings.first { $0["target"]?["target-id"] == "runbook.success.data-validation-passed" }
        #expect(integrity?["target"]?["status"]?["state"] == "not-satisfied")
        let obs = results[0]["observations"]!.arrayValue!
        let ev = obs[0]["relevant-evidence"]!.arrayValue![0]
        #expect(ev["href"]!.stringValue!.hasPrefix("urn:sealbook:ledger:fingood-demo:seq:"))
        #expect(ev["props"]!.arrayValue!.contains { $0["name"] == "event-hash" })
        // Every uuid has the version-5 and variant bits, and a re-render gives the same ones;
        // a later position changes the document uuid but not the finding uuids.
        var uuids: [String] = []
        func collect(_ v: JSONValue) {
            switch v {
            case .object(let o):
                if let u = o["uuid"]?.stringValue { uuids.append(u) }
                for (_, x) in o.members { collect(x) }
            case .array(let a): a.forEach(collect)
            default: break
            }
        }
        collect(doc)
        for u in uuids {
            let c = Array(u)
            #expect(c.count == 36 && c[14] == "5" && "89ab".contains(c[19]), "\(u)")
        }
        #expect(Set(uuids).count == uuids.count, "uuids are unique")
        var more = demo
        more.add("session/other.1", "custom.note", DemoLedger.alice, ["text": "later"])
        let later = try Report.session(DemoLedger.sessionB, snapshot: more.snapshot())
        let doc2 = try JSONParser.parse(try renderer.render(later, as: .oscal))
        #expect(doc2["assessment-results"]?["uuid"] != ar["uuid"])
        #expect(doc2["assessment-results"]?["results"]?.arrayValue?.first?["uuid"] == results[0]["uuid"])
    }

    @Test("a report of an unverified log says UNVERIFIED at its top in every format")
    func unverified() throws {
        let report = try Report.session(DemoLedger.sessionA, snapshot: demo.snapshot(verified: false))
        #expect(!report.verified)
        let md = String(decoding: try renderer.render(report, as: .md), as: UTF8.self)
        #expect(md.hasPrefix("> **UNVERIFIED LOG — NOT EVIDENCE.**"))
        #expect(md.contains("bad-signature"))
        let html = String(decoding: try renderer.render(report, as: .html), as: UTF8.self)
        let banner = html.range(of: "UNVERIFIED LOG — NOT EVIDENCE.")
        let title = html.range(of: "<h1>")
        #expect(banner != nil && title != nil && banner!.lowerBound < title!.lowerBound)
        let json = try JSONParser.parse(try renderer.render(report, as: .json))
        #expect(json["verification"]?["status"] == "unverified")
        let oscal = try JSONParser.parse(try renderer.render(report, as: .oscal))
        #expect(oscal["assessment-results"]?["metadata"]?["title"]?.stringValue?.hasPrefix("[UNVERIFIED LOG]") == true)
    }

    @Test("every value is escaped: HTML cannot be injected, Markdown cannot leave its cell")
    func escaping() throws {
        var l = DemoLedger()
        l.keys()
        l.at("2026-03-02T10:00:00.000Z")
        let hostile = "<script>alert(1)</script> | **bold** [x](http://e.vil) & \"q\" 'a'\nnext line"
        l.add(
            "session/h.1", "session.opened", DemoLedger.alice,
            [
                "runbook": l.runbook.reference.json, "migrationId": "m1", "environment": "production",
                "alembic": ["from": "a1", "to": "b2"], "changeTicket": .string(hostile),
            ])
        l.add(
            "incident/I-1", "incident.opened", DemoLedger.carol,
            ["incidentId": "I-1", "level": 1, "title": .string(hostile), "trigger": "x", "sessionStream": "session/h.1"])
        let s = l.snapshot()
        for report in [try Report.session("h.1", snapshot: s), try Report.incident("I-1", snapshot: s)] {
            let html = String(decoding: try renderer.render(report, as: .html), as: UTF8.self)
            #expect(!html.contains("<script"), "raw <script> in HTML")
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(html.contains("&quot;q&quot; &#39;a&#39;"))
            #expect(!html.contains("src="))
            let md = String(decoding: try renderer.render(report, as: .md), as: UTF8.self)
            #expect(
                md.contains(
                    "\\<script\\>alert(1)\\</script\\> \\| \\*\\*bold\\*\\* \\[x\\](http://e.vil) \\& \"q\" 'a' next line"),
                "\(md.prefix(3000))")
            // The report still fits its schema and OSCAL's single-line titles.
            let oscal = try JSONParser.parse(try renderer.render(report, as: .oscal))
            let resultTitle = oscal["assessment-results"]?["results"]?.arrayValue?.first?["title"]?.stringValue ?? ""
            #expect(!resultTitle.contains("\n"))
        }
    }

    @Test("HTML is one self-contained file: inline CSS, a print stylesheet, no script, no network resource")
    func htmlSelfContained() throws {
        for (name, report) in try demoReports() {
            let html = String(decoding: try renderer.render(report, as: .html), as: UTF8.self)
            #expect(html.hasPrefix("<!DOCTYPE html>"), "\(name)")
            #expect(html.contains("@media print") && html.contains("<style>"), "\(name)")
            for banned in ["<script", "<link", "<img", "src=", "url(", "@import", "http://", "https://"] {
                #expect(!html.contains(banned), "\(name) contains \(banned)")
            }
            #expect(html.contains("default-src 'none'"), "\(name): the CSP forbids every load")
        }
    }

    @Test(
        "the HTML report opens in a real headless browser (Debian's chromium) without errors",
        .enabled(if: onCI || chromiumPath != nil, "chromium is not installed (apt-get install -y chromium)"))
    func chromium() throws {
        let browser = try #require(chromiumPath, "chromium is not installed; scripts/setup.sh installs it")
        let dir = try Scratch()
        defer { dir.remove() }
        let keep = ProcessInfo.processInfo.environment["SEALBOOK_REPORT_SCREENSHOTS"]
        for (name, report) in try demoReports() where name != "compliance-sox" {
            let html = try dir.write(name + ".html", try renderer.render(report, as: .html))
            let common = [
                browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                "--user-data-dir=" + dir.file("profile-" + name), "--enable-logging=stderr", "--v=0",
            ]
            let dom = try runProgram(common + ["--dump-dom", "file://" + html])
            #expect(dom.status == 0, "\(name): chromium exited \(dom.status): \(dom.stderr.suffix(2000))")
            #expect(
                dom.stdout.contains("<h1>\(report.title)</h1>") || dom.stdout.contains(report.title),
                "\(name): the DOM lacks the title")
            #expect(dom.stdout.contains("Evidence index"), "\(name)")
            for bad in ["Uncaught", "ERROR:CONSOLE", "Refused to", "Content Security Policy"] {
                #expect(!dom.stderr.contains(bad), "\(name): chromium reported \(bad):\n\(dom.stderr.suffix(3000))")
            }
            let shot = (keep ?? dir.path) + "/\(name).png"
            let png = try runProgram(
                common + ["--hide-scrollbars", "--window-size=1280,1800", "--screenshot=" + shot, "file://" + html])
            #expect(png.status == 0, "\(name): \(png.stderr.suffix(1000))")
            let size = ((try? FileManager.default.attributesOfItem(atPath: shot))?[.size] as? Int) ?? 0
            #expect(size > 10_000, "\(name): the screenshot is missing or blank")
            if name == "session-rolled-back" {
                // Printable: the print stylesheet lays it out on A4 pages.
                let pdf = dir.file(name + ".pdf")
                let print = try runProgram(common + ["--no-pdf-header-footer", "--print-to-pdf=" + pdf, "file://" + html])
                #expect(print.status == 0, "\(name): \(print.stderr.suffix(1000))")
                let bytes = FileManager.default.contents(atPath: pdf) ?? Data()
                #expect(bytes.starts(with: Array("%PDF".utf8)) && bytes.count > 10_000, "\(name): no PDF printed")
            }
        }
    }

    @Test("compliance: a session signed in January but recorded in December is in December's population, flagged, and in January's, flagged the other way")
    func periodByRecordingTime() throws {
        var l = DemoLedger(start: "2026-01-15T09:00:00.000Z")
        l.keys()
        let lag = Timestamp(rfc3339: "2026-12-03T09:00:00.000Z")!.milliseconds(since: l.now)
        l.recordLagMs = lag
        l.open("late.000001", migration: "0009_backdated", from: "0008", to: "0009", ticket: "CHG-9")
        func population(_ from: String, _ to: String) throws -> [JSONValue] {
            let r = try JSONParser.parse(
                try renderer.render(try Report.compliance(framework: .all, from: from, to: to, snapshot: l.snapshot()), as: .json))
            return r["population"]?.arrayValue ?? []
        }
        let december = try population("2026-12-01", "2026-12-31")
        #expect(december.count == 1 && december.first?["periodFlag"] == "signed-outside-period", "\(december)")
        #expect(december.first?["recordedAt"]?.stringValue?.hasPrefix("2026-12-03") == true)
        #expect(december.first?["start"]?.stringValue?.hasPrefix("2026-01-15") == true)
        // An incident signed in January and recorded in December is in December's incidents too.
        l.add(
            "incident/INC-LATE", "incident.opened", DemoLedger.carol,
            ["incidentId": "INC-LATE", "level": 2, "title": "backdated", "trigger": "none"])
        let decemberIncidents = try JSONParser.parse(
            try renderer.render(
                try Report.compliance(framework: .all, from: "2026-12-01", to: "2026-12-31", snapshot: l.snapshot()), as: .json)
        )["periodIncidents"]?.arrayValue ?? []
        #expect(decemberIncidents.map { $0["incidentId"] } == ["INC-LATE"])
        let january = try population("2026-01-01", "2026-01-31")
        #expect(january.count == 1 && january.first?["periodFlag"] == "recorded-outside-period")
        #expect(try population("2026-06-01", "2026-06-30").isEmpty)
        let md = String(
            decoding: try renderer.render(
                try Report.compliance(framework: .all, from: "2026-12-01", to: "2026-12-31", snapshot: l.snapshot()), as: .md),
            as: UTF8.self)
        #expect(md.contains("signed outside the period; recorded 2026-12-03"))
        // Recorded as signed, the flag is gone.
        var honest = DemoLedger(start: "2026-12-02T09:00:00.000Z")
        honest.keys()
        honest.recordLagMs = 40
        honest.open("ok.000001", migration: "0009_ok", from: "0008", to: "0009", ticket: "CHG-9")
        let r = try JSONParser.parse(
            try renderer.render(
                try Report.compliance(framework: .all, from: "2026-12-01", to: "2026-12-31", snapshot: honest.snapshot()), as: .json))
        #expect(r["population"]?.arrayValue?.first?["periodFlag"] == .null)
    }

    @Test("compliance: exceptions are grouped by cause with a severity; 40 changes missing the same records give the causes of one, not 40 times the lines")
    func exceptionCauses() throws {
        func causes(_ sessions: Int) throws -> (causes: [JSONValue], exceptions: [JSONValue]) {
            var l = DemoLedger(start: "2026-12-02T09:00:00.000Z")
            l.keys()
            for i in 0..<sessions {
                l.open(String(format: "m%03d.000001", i), migration: "0009_x", from: "0008", to: "0009", ticket: "CHG-\(i)")
                l.prepare(String(format: "m%03d.000001", i), migration: "0009_x", revision: "0009", approve: false, items: false)
            }
            let r = try JSONParser.parse(
                try renderer.render(
                    try Report.compliance(framework: .all, from: "2026-12-01", to: "2026-12-31", snapshot: l.snapshot()),
                    as: .json))
            return (r["exceptionCauses"]?.arrayValue ?? [], r["exceptions"]?.arrayValue ?? [])
        }
        let one = try causes(1)
        let many = try causes(40)
        #expect(!one.causes.isEmpty && one.causes.count < one.exceptions.count, "one cause per missing record, not per control")
        #expect(many.exceptions.count == 40 * one.exceptions.count)
        #expect(many.causes.count == one.causes.count, "the same causes, each touching 40 changes")
        #expect(many.causes.allSatisfy { $0["subjects"]?.arrayValue?.count == 40 })
        // Every exception's control is under some cause; severities run high, medium, low.
        let cited = Set(many.causes.flatMap { $0["controls"]!.arrayValue!.map { $0.stringValue! } })
        #expect(many.exceptions.allSatisfy { cited.contains($0["control"]!["id"]!.stringValue!) })
        let rank = ["high": 0, "medium": 1, "low": 2]
        let order = many.causes.map { rank[$0["severity"]!.stringValue!]! }
        #expect(order == order.sorted() && order.first == 0, "\(order)")
        // A missing approval is high, a missing document low.
        let approval = many.causes.first { $0["controls"]!.arrayValue!.contains("sox.change.approval") }
        #expect(approval?["severity"] == "high", "\(String(describing: approval))")
        #expect(
            many.causes.contains {
                $0["severity"] == "low" && $0["controls"]!.arrayValue!.allSatisfy { $0.stringValue!.hasPrefix("runbook.doc.") || $0 == "runbook.success.documentation-complete" || $0 == "sox.change.approval-record" || $0.stringValue!.hasPrefix("runbook.pre.") }
            })
        // Cause texts name no seq and no control-id prefix.
        #expect(many.causes.allSatisfy { c in
            let t = c["cause"]!.stringValue!
            return t.range(of: #"seq [0-9]"#, options: .regularExpression) == nil
                && t.range(of: #"^[a-z0-9-]+\.[a-z0-9.-]+: "#, options: .regularExpression) == nil
        })
    }

    @Test("a session report shows declared, approved and applied revisions side by side, and flags an upgrade past the approval")
    func revisionsSideBySide() throws {
        var l = DemoLedger(start: "2026-12-02T09:00:00.000Z")
        l.keys()
        let id = "past.000001"
        l.open(id, migration: "0010_add_limits", from: "0009", to: "0010_add_limits", ticket: "CHG-10")
        l.prepare(id, migration: "0010_add_limits", revision: "0010_add_limits")
        l.command(id, "c1", ["alembic", "upgrade", "head"], step: "migration-execution")
        l.add("session/" + id, "migration.applied", DemoLedger.alice, ["fromRevision": "0009", "toRevision": "0010_add_limits", "commandId": "c1"])
        l.add("session/" + id, "migration.applied", DemoLedger.alice, ["fromRevision": "0010_add_limits", "toRevision": "0011_drop_fees", "commandId": "c1"])
        let report = try Report.session(id, snapshot: l.snapshot())
        let state = try JSONParser.parse(report.canonicalJSON())["session"]!["state"]!
        #expect(state["approvedRevisions"] == ["0010_add_limits"] && state["appliedRevisions"] == ["0010_add_limits", "0011_drop_fees"])
        let md = String(decoding: try renderer.render(report, as: .md), as: UTF8.self)
        #expect(md.contains("| Revisions | declared 0010_add_limits; approved 0010_add_limits; applied 0010_add_limits, 0011_drop_fees (**applied beyond the approval**) |"), "\(md.prefix(1500))")
    }

    @Test("compliance: the population is every session opened in the period; exceptions list every fail, pending and deviation")
    func compliance() throws {
        let s = demo.snapshot()
        let all = try JSONParser.parse(
            try renderer.render(
                try Report.compliance(framework: .all, from: "2026-03-02", to: "2026-03-02", snapshot: s), as: .json))
        let population = all["population"]!.arrayValue!
        #expect(
            population.map { $0["sessionId"]!.stringValue! } == [DemoLedger.sessionA, DemoLedger.sessionB, DemoLedger.sessionC])
        #expect(population[1]["incidents"] == [.string(DemoLedger.incident)])
        #expect(population.map { $0["outcome"]!.stringValue! } == ["success", "rolled-back", "aborted"])
        #expect(all["periodIncidents"]?.arrayValue?.count == 1)
        let exceptions = all["exceptions"]!.arrayValue!
        #expect(exceptions.contains { $0["id"] == .string(DemoLedger.sessionB) && $0["kind"] == "fail" })
        #expect(
            exceptions.allSatisfy {
                ["fail", "pending", "deviation", "evidence-expired", "evidence-missing"].contains($0["kind"]!.stringValue!)
            })
        // A period that ends before 11:00 holds only session A; the --to time is exclusive.
        let morning = try JSONParser.parse(
            try renderer.render(
                try Report.compliance(framework: .sox, from: "2026-03-02T00:00:00Z", to: "2026-03-02T11:00:00Z", snapshot: s),
                as: .json))
        #expect(morning["population"]?.arrayValue?.count == 1)
        #expect(morning["periodIncidents"]?.arrayValue?.isEmpty == true)
        #expect(morning["frameworks"]?.arrayValue?.map { $0["framework"]!.stringValue! } == ["SOX"])
        let exact = try JSONParser.parse(
            try renderer.render(
                try Report.compliance(
                    framework: .sox, from: "2026-03-02T00:00:00Z", to: "2026-03-02T11:00:00.001Z", snapshot: s), as: .json))
        #expect(exact["population"]?.arrayValue?.count == 2)
        #expect(all["populationSHA256"]?.stringValue?.count == 64)
        #expect(throws: ReportError.self) {
            try Report.compliance(framework: .all, from: "2026-03-05", to: "2026-03-01", snapshot: s)
        }
        #expect(throws: ReportError.self) {
            try Report.compliance(framework: .all, from: "yesterday", to: "2026-03-01", snapshot: s)
        }
    }

    @Test("as-of is explicit: a later as-of ages pending windows into failures; the default is the last signed time")
    func asOf() throws {
        // The log up to just before session A's extended validation: its later windows are open.
        let extended = demo.entries.first {
            $0.body.stream == "session/" + DemoLedger.sessionA && $0.body.data["phase"]?.stringValue == "extended"
        }!
        let s = demo.snapshot(through: extended.seq - 1)
        let now = try Report.session(DemoLedger.sessionA, snapshot: s)
        let later = try Report.session(DemoLedger.sessionA, snapshot: s, asOf: "2026-03-09T00:00:00Z")
        #expect(now.asOf == s.defaultAsOf)
        #expect(later.asOf == "2026-03-09T00:00:00.000Z")
        let a = try JSONParser.parse(now.canonicalJSON())["session"]!["controls"]!.arrayValue!
        let b = try JSONParser.parse(later.canonicalJSON())["session"]!["controls"]!.arrayValue!
        let extendedNow = a.first { $0["id"] == "runbook.validation.extended" }?["status"]
        let extendedLater = b.first { $0["id"] == "runbook.validation.extended" }?["status"]
        #expect(extendedNow == "pending" && extendedLater == "fail")
        #expect(throws: ReportError.self) { try Report.session(DemoLedger.sessionA, snapshot: s, asOf: "noon") }
    }

    @Test("unknown sessions and incidents are refused, naming the ones there are")
    func unknown() throws {
        let s = demo.snapshot()
        #expect(throws: ReportError.unknownSession("nope", known: s.sessionIDs)) { try Report.session("nope", snapshot: s) }
        do {
            _ = try Report.incident("INC-404", snapshot: s)
            Issue.record("no error")
        } catch {
            #expect(error.description.contains(DemoLedger.incident))
        }
        // session/<id> works as well as <id>.
        #expect(
            try Report.session("session/" + DemoLedger.sessionA, snapshot: s).title == "Session report: \(DemoLedger.sessionA)")
    }

    @Test("a snapshot drops what reports do not read and what lies after its head")
    func snapshotScope() throws {
        var l = demo
        l.add("deploys/web", "custom.note", DemoLedger.alice, ["text": "unrelated"])
        let through = demo.head.seq
        let s = l.snapshot(through: through)
        #expect(s.eventCount == demo.snapshot().eventCount)
        let a = try renderer.render(try Report.session(DemoLedger.sessionB, snapshot: s), as: .json)
        let b = try renderer.render(try Report.session(DemoLedger.sessionB, snapshot: demo.snapshot()), as: .json)
        #expect(a == b)
        #expect(LedgerSnapshot.isRelevant(stream: "deploys/web", type: "incident.opened"))
        #expect(!LedgerSnapshot.isRelevant(stream: "deploys/web", type: "custom.note"))
    }

    @Test("templates: the built-in ones are reports/*.mustache, escape every value, and a template directory replaces them")
    func templates() throws {
        let dir = repoPath("reports")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".mustache") }.sorted()
        for (name, text) in ReportTemplates.builtIn.texts {
            #expect(!text.contains("{{{") && !text.contains("{{&"), "\(name).mustache has an unescaped value")
            #expect(!text.hasSuffix("\n"), "\(name): templates are taken without their final newline")
        }
        #expect(Set(ReportTemplates.builtIn.texts.keys) == Set(files.map { String($0.dropLast(".mustache".count)) }))

        let custom = try Scratch()
        defer { custom.remove() }
        _ = try custom.write(
            "session.md.mustache",
            Array("{{% CONTENT_TYPE: MARKDOWN}}\nSESSION {{session.id}} at seq {{header.seq}}: {{header.title}}\n".utf8))
        let t = try ReportTemplates.load(directory: custom.path)
        let out = String(
            decoding: try ReportRenderer(templates: t).render(
                try Report.session(DemoLedger.sessionA, snapshot: demo.snapshot()), as: .md), as: UTF8.self)
        #expect(out == "SESSION \(DemoLedger.sessionA) at seq \(demo.head.seq): Session report: \(DemoLedger.sessionA)\n")
        _ = try custom.write("incident.md.mustache", Array("{{#unclosed}}".utf8))
        #expect(throws: ReportError.self) { try ReportTemplates.load(directory: custom.path) }
    }
}
