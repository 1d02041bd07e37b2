internal import Foundation
public import SealbookCore
internal import SealbookEmbedded
internal import SealbookRunbook

/// Why a control catalog does not load: every problem found, one per line, each with its file,
/// the JSON path and the rule broken.
public struct ControlCatalogError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One problem.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public let file: String
        public let path: String
        public let message: String

        public var description: String { "\(file): \(path.isEmpty ? "" : path + ": ")\(message)" }
    }

    public let problems: [Problem]

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// A compliance control: what it checks, in our own words; where the requirement comes from;
/// which runbook lines it covers; when it applies; and the rule that decides it.
public struct Control: Sendable, Equatable {
    /// Dotted id, e.g. `sox.change.approval`.
    public let id: String
    /// A short title in our own words.
    public let title: String
    /// What the control checks, in our own words.
    public let description: String?
    /// The file's framework, e.g. `SOX`, `PCI DSS`, `GDPR`, `Runbook`.
    public let framework: String
    /// Framework references, e.g. `COBIT 2019 BAI06.01`, `PCI DSS v4.0.1 6.5.1`, `GDPR Art. 33(1)`.
    public let references: [String]
    /// The runbook lines it covers: `item:<checklist item id>`, `document:<documentation kind
    /// id>`, `criterion:<success criterion id>`.
    public let covers: [String]
    /// Evaluated per session or per incident.
    public let scope: ControlScope
    /// Whether a failure is shown with the session's emergency override, when there is one.
    public let overridable: Bool
    /// How much an exception of this control weighs (docs/CONTROLS.md §3): a missing approval
    /// is not a missing document.
    public let severity: ControlSeverity
    /// The control's JSON as written in its file (for reports that publish the rule logic).
    public let source: JSONValue

    let appliesWhen: [Condition]
    let rule: Rule
    let freshness: FreshnessPolicy?

    public static func == (a: Control, b: Control) -> Bool {
        a.id == b.id && a.source == b.source && a.framework == b.framework
    }
}

/// How much a control's exception weighs: `high` (the change was not authorised or not
/// separated, personal or card data at risk, a deadline not proven), `medium` (the default: a
/// procedure step not shown) or `low` (a document or a notice missing).
public enum ControlSeverity: String, Sendable, Comparable, CaseIterable {
    case high, medium, low

    /// `high` sorts first.
    public static func < (a: ControlSeverity, b: ControlSeverity) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The controls of `schemas/controls/*.json`, loaded and checked.
public struct ControlCatalog: Sendable {
    /// The catalog built into the binary: `schemas/controls/*.json`, built in at build time.
    public static let builtIn: ControlCatalog = {
        do {
            return try ControlCatalog(
                files: Dictionary(
                    uniqueKeysWithValues: EmbeddedFiles.files(in: "schemas/controls").map {
                        ("controls/" + $0.name, $0.textWithoutFinalNewline)
                    }))
        } catch {
            // The test suite loads the embedded files; reaching this is a build defect.
            preconditionFailure("the control catalog built into sealbook does not load:\n\(error)")
        }
    }()

    /// Every control, by file name and then file order.
    public let controls: [Control]
    /// The files it was read from (keys of the `files` given), sorted.
    public let files: [String]
    /// Lower-case hex SHA-256 over the files (each name, a newline, its text, a newline, in
    /// name order): the rule set version a report states, so that a reader can re-perform it.
    public let sha256: String

    private let byID: [String: Int]

    /// The control with this id.
    public func control(_ id: String) -> Control? { byID[id].map { controls[$0] } }

    /// Loads `*.json` files under `directory` (e.g. `schemas/controls`).
    public static func load(directory: String) throws(ControlCatalogError) -> ControlCatalog {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter {
            $0.hasSuffix(".json")
        }
        guard !names.isEmpty else {
            throw ControlCatalogError(problems: [
                .init(file: directory, path: "", message: "no *.json control files here")
            ])
        }
        var files: [String: String] = [:]
        for n in names {
            guard let data = FileManager.default.contents(atPath: directory + "/" + n) else {
                throw ControlCatalogError(problems: [.init(file: n, path: "", message: "cannot be read")])
            }
            var text = String(decoding: data, as: UTF8.self)
            if text.hasSuffix("\n") { text.removeLast() }
            files["controls/" + n] = text
        }
        return try ControlCatalog(files: files)
    }

    /// Builds a catalog from file texts, keyed by name (e.g. `controls/sox.json`). Refuses unknown
    /// members, unknown rule kinds, anchors and conditions, bad durations, duplicate ids,
    /// references to unknown controls and reference cycles, all reported together.
    public init(files: [String: String]) throws(ControlCatalogError) {
        var problems: [ControlCatalogError.Problem] = []
        var controls: [Control] = []
        let names = files.keys.sorted()
        var digestInput: [UInt8] = []
        for name in names {
            let text = files[name]!
            digestInput += Array(name.utf8) + [0x0a] + Array(text.utf8) + [0x0a]
            let root: JSONValue
            do { root = try JSONParser.parse(Array(text.utf8)) } catch {
                problems.append(.init(file: name, path: "", message: "not strict JSON: \(error)"))
                continue
            }
            let (found, p) = Self.parseFile(root, file: name)
            controls += found
            problems += p
        }
        var byID: [String: Int] = [:]
        for (i, c) in controls.enumerated() {
            if byID[c.id] != nil {
                problems.append(.init(file: c.framework, path: c.id, message: "duplicate control id"))
            } else {
                byID[c.id] = i
            }
        }
        // References: known, same scope, no cycles.
        for c in controls {
            for r in c.rule.controlReferences {
                guard let j = byID[r] else {
                    problems.append(.init(file: c.framework, path: c.id, message: "refers to unknown control \"\(r)\""))
                    continue
                }
                if controls[j].scope != c.scope {
                    problems.append(
                        .init(
                            file: c.framework, path: c.id,
                            message: "refers to \(r), a \(controls[j].scope.rawValue) control"))
                }
            }
        }
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        func visit(_ id: String, _ trail: [String]) -> Bool {
            if state[id] == 2 { return true }
            if state[id] == 1 {
                problems.append(
                    .init(
                        file: "controls", path: id,
                        message: "reference cycle: \((trail + [id]).joined(separator: " → "))"))
                return false
            }
            state[id] = 1
            for r in byID[id].map({ controls[$0].rule.controlReferences }) ?? [] where byID[r] != nil {
                if !visit(r, trail + [id]) { return false }
            }
            state[id] = 2
            return true
        }
        for c in controls where state[c.id] == nil { _ = visit(c.id, []) }
        guard problems.isEmpty else { throw ControlCatalogError(problems: problems) }
        self.controls = controls
        self.files = names
        self.byID = byID
        self.sha256 = SHA256.hash(digestInput).hex
    }

    private static func idPattern(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2, s.utf8.count <= 100 else { return false }
        return parts.allSatisfy { p in
            guard let f = p.utf8.first, (0x61...0x7a).contains(f) || (0x30...0x39).contains(f) else { return false }
            return p.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2d }
        }
    }

    private static func parseFile(_ root: JSONValue, file: String) -> ([Control], [ControlCatalogError.Problem]) {
        var top = RuleParser(file: file, scope: .session)
        guard let o = root.objectValue else {
            top.fail("", "a control file is an object {\"framework\", \"title\", \"controls\"}")
            return ([], top.problems)
        }
        top.only(o, ["$comment", "framework", "title", "description", "controls"], at: "")
        let framework = top.string(o, "framework", at: "")
        _ = top.string(o, "title", at: "")
        var problems = top.problems
        guard let list = o["controls"]?.arrayValue, !list.isEmpty else {
            problems.append(.init(file: file, path: "controls", message: "must be a non-empty array of controls"))
            return ([], problems)
        }
        var out: [Control] = []
        for (i, item) in list.enumerated() {
            let path = "controls[\(i)]"
            guard let c = item.objectValue else {
                problems.append(.init(file: file, path: path, message: "a control must be an object"))
                continue
            }
            var scope = ControlScope.session
            if let s = c["scope"] {
                if let v = s.stringValue.flatMap(ControlScope.init(rawValue:)) {
                    scope = v
                } else {
                    problems.append(.init(file: file, path: "\(path).scope", message: "must be session or incident"))
                }
            }
            var p = RuleParser(file: file, scope: scope)
            p.only(
                c,
                [
                    "id", "title", "description", "references", "covers", "scope", "appliesWhen", "rule", "freshness",
                    "overridable", "severity",
                ],
                at: path)
            let id = p.string(c, "id", at: path)
            if let id, !idPattern(id) {
                p.fail("\(path).id", "must be dotted lower-case segments of [a-z0-9-], e.g. sox.change.approval")
            }
            let title = p.string(c, "title", at: path)
            let description = p.string(c, "description", at: path, required: false)
            let references = p.strings(c, "references", at: path)
            var covers: [String] = []
            if let cv = c["covers"] {
                if let a = cv.arrayValue {
                    for (j, x) in a.enumerated() {
                        guard let s = x.stringValue, let colon = s.firstIndex(of: ":"),
                            ["item", "document", "criterion"].contains(String(s[..<colon])),
                            s.index(after: colon) < s.endIndex
                        else {
                            p.fail("\(path).covers[\(j)]", "must be item:<id>, document:<id> or criterion:<id>")
                            continue
                        }
                        covers.append(s)
                    }
                } else {
                    p.fail("\(path).covers", "must be an array")
                }
            }
            let applies = c["appliesWhen"].map { p.conditions($0, at: "\(path).appliesWhen") } ?? []
            let rule = c["rule"].flatMap { p.rule($0, at: "\(path).rule") }
            if c["rule"] == nil { p.fail("\(path).rule", "required member is missing") }
            let freshness = c["freshness"].flatMap { p.freshness($0, at: "\(path).freshness") }
            var overridable = false
            if let ov = c["overridable"] {
                if let b = ov.boolValue {
                    overridable = b
                } else {
                    p.fail("\(path).overridable", "must be true or false")
                }
            }
            var severity = ControlSeverity.medium
            if let sv = c["severity"] {
                if let v = sv.stringValue.flatMap(ControlSeverity.init(rawValue:)) {
                    severity = v
                } else {
                    p.fail("\(path).severity", "must be high, medium or low")
                }
            }
            problems += p.problems
            guard p.problems.isEmpty, let id, let title, let references, let rule, let framework else { continue }
            out.append(
                Control(
                    id: id, title: title, description: description, framework: framework, references: references,
                    covers: covers, scope: scope, overridable: overridable, severity: severity, source: item,
                    appliesWhen: applies,
                    rule: rule,
                    freshness: freshness))
        }
        return (out, problems)
    }

    /// For each runbook line (`item:…`, `document:…`, `criterion:…`), the controls covering it.
    public var coverage: [String: [String]] {
        var out: [String: [String]] = [:]
        for c in controls { for line in c.covers { out[line, default: []].append(c.id) } }
        return out
    }
}
