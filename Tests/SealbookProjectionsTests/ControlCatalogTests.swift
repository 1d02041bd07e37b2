import Foundation
import SealbookCore
import SealbookProjections
import SealbookRunbook
import Testing

@Suite("Control catalog: data, coverage and the rule language")
struct ControlCatalogTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test("the built-in catalog loads and is what load(directory:) reads from schemas/controls")
    func builtInIsTheDirectory() throws {
        let disk = try ControlCatalog.load(directory: Self.repo + "/schemas/controls")
        let builtIn = ControlCatalog.builtIn
        #expect(
            builtIn.files == ["controls/gdpr.json", "controls/pci.json", "controls/runbook.json", "controls/sox.json"])
        #expect(disk.files == builtIn.files)
        #expect(disk.sha256 == builtIn.sha256)
        #expect(disk.controls == builtIn.controls)
    }

    @Test("every control has a unique id, a title, references and a framework")
    func wellFormed() {
        let c = ControlCatalog.builtIn.controls
        #expect(Set(c.map(\.id)).count == c.count)
        #expect(c.count == 71)
        for x in c {
            #expect(
                !x.title.isEmpty && !x.references.isEmpty
                    && ["SOX", "PCI DSS", "GDPR", "Runbook"].contains(x.framework), "\(x.id)")
            #expect(
                x.id.hasPrefix(
                    ["SOX": "sox.", "PCI DSS": "pci.", "GDPR": "gdpr.", "Runbook": "runbook."][x.framework]!), "\(x.id)"
            )
        }
    }

    /// The runbook lines, computed from the runbook model, that the catalog must cover.
    static let runbook = Runbook.builtIn
    static let lines: [String] =
        runbook.compliance.flatMap(\.items).map { "item:" + $0.id }
        + runbook.checklists.flatMap(\.items).map { "item:" + $0.id }
        + runbook.documentationKinds.map { "document:" + $0.id } + runbook.successCriteria.map { "criterion:" + $0.id }

    @Test("the runbook has 12 compliance lines, 17 pre-migration lines, 11 documentation kinds and 7 success criteria")
    func lineCounts() {
        #expect(Self.runbook.compliance.flatMap(\.items).count == 12)
        #expect(Self.runbook.checklists.flatMap(\.items).count == 17)
        #expect(Self.runbook.documentationKinds.count == 11)
        #expect(Self.runbook.successCriteria.count == 7)
        #expect(Self.lines.count == 47)
    }

    @Test("every line of the runbook is covered by some control", arguments: lines)
    func covered(_ line: String) {
        #expect(!(ControlCatalog.builtIn.coverage[line] ?? []).isEmpty, "\(line) is covered by no control")
    }

    @Test("every covers entry names a real runbook line")
    func noStrayCovers() {
        let known = Set(Self.lines)
        for (line, ids) in ControlCatalog.builtIn.coverage {
            #expect(known.contains(line), "\(ids) cover \(line), which the runbook does not have")
        }
    }

    // MARK: The rule language refuses what it does not know

    func load(_ controls: String, file: String = "controls/t.json") -> ControlCatalogError? {
        let text = #"{"framework": "Test", "title": "t", "controls": ["# + controls + "]}"
        do {
            _ = try ControlCatalog(files: [file: text])
            return nil
        } catch {
            return error
        }
    }

    func control(_ rule: String, extra: String = "") -> String {
        #"{"id": "t.one", "title": "T", "references": ["R"], "rule": "# + rule + "\(extra)}"
    }

    @Test("a minimal control loads")
    func minimal() {
        #expect(load(control(#"{"kind": "event-exists", "type": "session.opened"}"#)) == nil)
    }

    @Test(
        "unknown kinds, members, anchors, durations and conditions are refused at load time",
        arguments: [
            (#"{"kind": "event-happened", "type": "x.y"}"#, "unknown rule kind \"event-happened\""),
            (#"{"kind": "event-exists", "type": "x.y", "colour": "red"}"#, "rule.colour: unknown member"),
            (#"{"kind": "event-exists", "type": "x.y", "before": "lunch"}"#, "unknown anchor \"lunch\""),
            (
                #"{"kind": "event-exists", "type": "x.y", "within": {"anchor": "migration-completed", "from": "PT5M", "to": "PT1M"}}"#,
                "must be after from"
            ),
            (
                #"{"kind": "event-exists", "type": "x.y", "within": {"anchor": "migration-completed", "from": "P1M"}}"#,
                "ISO 8601 duration"
            ),
            (
                #"{"kind": "incident-phase", "phase": "assessment", "actionPhase": "assessment"}"#,
                "a rule for incident controls"
            ),
            (#"{"kind": "all", "rules": []}"#, "non-empty array of rules"),
            (#"{"kind": "control", "id": "t.nothing"}"#, "unknown control \"t.nothing\""),
            (#"{"kind": "control", "id": "t.one"}"#, "reference cycle"),
            (#"{"kind": "event-exists", "type": "x.y", "where": {"a..b": 1}}"#, "member path"),
            (#"{"kind": "checklist-item", "item": "x", "status": ["ok"]}"#, "not a checklist status"),
        ])
    func refused(_ rule: String, _ message: String) {
        let error = load(control(rule))
        #expect(error != nil)
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "loaded")")
    }

    @Test("unknown control members, conditions and covers are refused, every problem at once")
    func refusedControlMembers() {
        let error = load(
            #"{"id": "T.Bad", "title": "T", "references": ["R"], "colour": 1, "covers": ["line:x"], "appliesWhen": [{"weekday": ["monday"]}], "rule": {"kind": "nope"}}"#
        )
        let text = error?.description ?? ""
        for part in [
            "controls[0].id", "controls[0].colour", "controls[0].covers[0]", "unknown condition", "unknown rule kind",
        ] {
            #expect(text.contains(part), "\(part) not in: \(text)")
        }
        #expect(error?.problems.count == 5)
    }

    @Test("duplicate ids are refused")
    func duplicate() {
        let one = control(#"{"kind": "event-exists", "type": "x.y"}"#)
        #expect(load(one + ", " + one)?.description.contains("duplicate control id") == true)
    }
}
