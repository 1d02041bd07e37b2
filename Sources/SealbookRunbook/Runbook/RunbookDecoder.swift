internal import SealbookCore

// Turns a parsed runbook file into a `Runbook`, checking its structure on the way: required and
// unknown members, types, id and name formats, unique ids, known operators, decimal strings,
// durations and windows. Problems are collected (with their JSON paths) rather than thrown one by
// one, so a single load reports every mistake in the file.

/// A JSON object being read, with its path in the document.
struct ObjectNode {
    let object: JSONObject
    let path: String

    func path(_ key: String) -> String { RunbookDecoder.join(path, key) }
    subscript(key: String) -> JSONValue? { object[key] }
}

/// How a string member is checked.
enum StringRule {
    /// Any string that is not empty or only whitespace.
    case text
    /// Any string, even empty.
    case any
    /// A kebab-case id: `[a-z][a-z0-9]*(-[a-z0-9]+)*`.
    case kebab
    /// An environment variable or placeholder name: `[A-Z_][A-Z0-9_]*`.
    case upperSnake
    /// A metric or unit name: `[a-z][a-z0-9_]*`.
    case lowerSnake
    /// A version: a digit, then letters, digits, `.`, `+`, `-`.
    case version
    /// A calendar date `YYYY-MM-DD`.
    case date
    /// A decimal string, as `Threshold` accepts.
    case decimal

    var message: String {
        switch self {
        case .text: return "must not be empty"
        case .any: return ""
        case .kebab:
            return
                "must be a kebab-case id (lower-case letters and digits, words joined by single hyphens, starting with a letter), e.g. disk-space"
        case .upperSnake: return "must be an upper-case name ([A-Z_][A-Z0-9_]*), e.g. MIGRATION_TIMEOUT"
        case .lowerSnake: return "must be a snake_case name ([a-z][a-z0-9_]*), e.g. disk_free_percent"
        case .version: return "must be a version starting with a digit (letters, digits, '.', '+', '-'), e.g. 1.0"
        case .date: return "must be a date YYYY-MM-DD"
        case .decimal:
            return
                "must be a decimal string such as \"20\" or \"79.5\" (-?(0|[1-9][0-9]*)(.[0-9]+)?; no exponent, no leading zeros)"
        }
    }

    func accepts(_ s: String) -> Bool {
        let b = Array(s.utf8)
        func lower(_ c: UInt8) -> Bool { c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z") }
        func upper(_ c: UInt8) -> Bool { c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") }
        func digit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
        let underscore = UInt8(ascii: "_")
        let hyphen = UInt8(ascii: "-")
        switch self {
        case .any: return true
        case .text: return s.unicodeScalars.contains { !$0.properties.isWhitespace }
        case .kebab:
            guard let first = b.first, lower(first), b.last != hyphen else { return false }
            for (i, c) in b.enumerated() where !(lower(c) || digit(c)) {
                guard c == hyphen, b[i - 1] != hyphen else { return false }
            }
            return true
        case .upperSnake:
            guard let first = b.first, upper(first) || first == underscore else { return false }
            return b.allSatisfy { upper($0) || digit($0) || $0 == underscore }
        case .lowerSnake:
            guard let first = b.first, lower(first) else { return false }
            return b.allSatisfy { lower($0) || digit($0) || $0 == underscore }
        case .version:
            guard let first = b.first, digit(first) else { return false }
            return b.allSatisfy {
                lower($0) || upper($0) || digit($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "+")
                    || $0 == hyphen
            }
        case .date: return Timestamp.isValidDate(s)
        case .decimal: return Threshold.isDecimal(s)
        }
    }
}

struct RunbookDecoder {
    private(set) var problems: [RunbookError.Problem] = []
    /// Checklist item and success criterion ids seen so far, with where they were first seen.
    private var itemIDs: [String: String] = [:]
    /// Environment variables set anywhere (name, path), checked against `recordedEnvironment`.
    private var setVariables: [(name: String, path: String)] = []

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    mutating func fail(_ path: String, _ rule: String) {
        problems.append(RunbookError.Problem(path: path, rule: rule))
    }

    static func typeName(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    // MARK: Primitives

    /// `value` as an object that has every `required` member and no member outside `required`
    /// and `optional`.
    mutating func object(
        _ value: JSONValue, at path: String, required: [String], optional: [String] = []
    ) -> ObjectNode? {
        guard case .object(let o) = value else {
            fail(path, "must be an object, found \(Self.typeName(value))")
            return nil
        }
        let allowed = required + optional
        for key in o.keys where !allowed.contains(key) {
            fail(Self.join(path, key), "unknown member (allowed: \(allowed.joined(separator: ", ")))")
        }
        for key in required where o[key] == nil {
            fail(Self.join(path, key), "required member is missing")
        }
        return ObjectNode(object: o, path: path)
    }

    mutating func string(_ n: ObjectNode, _ key: String, _ rule: StringRule = .text) -> String? {
        guard let v = n[key] else { return nil }
        return string(v, at: n.path(key), rule)
    }

    mutating func string(_ v: JSONValue, at path: String, _ rule: StringRule) -> String? {
        guard case .string(let s) = v else {
            let expected = rule == .decimal ? "a decimal string such as \"20\"" : "a string"
            fail(path, "must be \(expected), found \(Self.typeName(v))")
            return nil
        }
        if s.unicodeScalars.contains("\u{0}") {
            fail(path, "must not contain U+0000")
            return nil
        }
        guard rule.accepts(s) else {
            fail(path, rule.message)
            return nil
        }
        return s
    }

    mutating func bool(_ n: ObjectNode, _ key: String) -> Bool? {
        guard let v = n[key] else { return nil }
        guard case .bool(let b) = v else {
            fail(n.path(key), "must be true or false, found \(Self.typeName(v))")
            return nil
        }
        return b
    }

    mutating func positiveInt(_ n: ObjectNode, _ key: String) -> Int? {
        guard let v = n[key] else { return nil }
        guard let i = v.int64Value, i >= 1, i <= Int64(Int32.max) else {
            fail(n.path(key), "must be an integer >= 1, found \(Self.typeName(v)) \(v)")
            return nil
        }
        return Int(i)
    }

    mutating func duration(_ n: ObjectNode, _ key: String) -> RunbookDuration? {
        guard let s = string(n, key) else { return nil }
        guard let d = RunbookDuration(iso: s) else {
            fail(
                n.path(key),
                "must be an ISO 8601 duration of days, hours, minutes and whole seconds, e.g. PT5M, PT4H, PT0S")
            return nil
        }
        return d
    }

    /// The elements of an array member with their paths; at least `minItems`.
    mutating func array(_ n: ObjectNode, _ key: String, minItems: Int = 1) -> [(value: JSONValue, path: String)]? {
        guard let v = n[key] else { return nil }
        let path = n.path(key)
        guard case .array(let a) = v else {
            fail(path, "must be an array, found \(Self.typeName(v))")
            return nil
        }
        if a.count < minItems {
            fail(path, "must have at least \(minItems) element\(minItems == 1 ? "" : "s")")
        }
        return a.enumerated().map { (value: $0.element, path: "\(path)[\($0.offset)]") }
    }

    mutating func strings(
        _ n: ObjectNode, _ key: String, _ rule: StringRule = .text, minItems: Int = 1, unique: Bool = false
    ) -> [String]? {
        guard let elements = array(n, key, minItems: minItems) else { return nil }
        var out: [String] = []
        var seen: [String: String] = [:]
        for (v, p) in elements {
            guard let s = string(v, at: p, rule) else { continue }
            if unique {
                if let first = seen[s] {
                    fail(p, "duplicate value \"\(s)\" (first at \(first))")
                    continue
                }
                seen[s] = p
            }
            out.append(s)
        }
        return out
    }

    /// The members of an object member whose names are kebab-case ids; at least `minMembers`.
    mutating func keyed(_ n: ObjectNode, _ key: String, minMembers: Int = 1) -> [(
        id: String, value: JSONValue, path: String
    )]? {
        guard let v = n[key] else { return nil }
        let path = n.path(key)
        guard case .object(let o) = v else {
            fail(path, "must be an object, found \(Self.typeName(v))")
            return nil
        }
        if o.count < minMembers {
            fail(path, "must have at least \(minMembers) member\(minMembers == 1 ? "" : "s")")
        }
        var out: [(id: String, value: JSONValue, path: String)] = []
        for (k, value) in o.members {
            let p = Self.join(path, k)
            guard StringRule.kebab.accepts(k) else {
                fail(p, "member name \(StringRule.kebab.message)")
                continue
            }
            out.append((id: k, value: value, path: p))
        }
        return out
    }

    /// An `environment` object: upper-case names to string values.
    mutating func environment(_ n: ObjectNode, _ key: String) -> [EnvironmentVariable] {
        guard let v = n[key] else { return [] }
        let path = n.path(key)
        guard case .object(let o) = v else {
            fail(path, "must be an object of NAME: \"value\", found \(Self.typeName(v))")
            return []
        }
        var out: [EnvironmentVariable] = []
        for (name, value) in o.members {
            let p = Self.join(path, name)
            guard StringRule.upperSnake.accepts(name) else {
                fail(p, "variable name \(StringRule.upperSnake.message)")
                continue
            }
            guard let s = string(value, at: p, .any) else { continue }
            setVariables.append((name: name, path: p))
            out.append(EnvironmentVariable(name: name, value: s))
        }
        return out
    }

    /// Reports ids that occur twice in one list.
    mutating func requireUnique(_ ids: [(id: String, path: String)], _ what: String) {
        var seen: [String: String] = [:]
        for (id, path) in ids {
            if let first = seen[id] {
                fail(path, "duplicate \(what) \"\(id)\" (first at \(first))")
            } else {
                seen[id] = path
            }
        }
    }

    /// Records an id that must be unique across the whole runbook (checklist items and success
    /// criteria).
    mutating func registerItemID(_ id: String, at path: String) {
        if let first = itemIDs[id] {
            fail(path, "duplicate item id \"\(id)\" (first at \(first)); item ids are unique across the whole runbook")
        } else {
            itemIDs[id] = path
        }
    }

    // MARK: Sections

    mutating func decode(_ root: JSONValue, sha256: String, source: String) -> Runbook? {
        let top = [
            "id", "version", "title", "owner", "approvedBy", "lastUpdated", "checklists", "steps",
        ]
        let optionalTop = [
            "$schema", "description", "placeholders", "recordedEnvironment", "passLedgerDatabaseURL", "readOnlyCommands", "rollback",
            "emergencyResponse", "postMigrationValidation", "compliance", "troubleshooting",
            "documentationRequirements", "successCriteria", "escalation", "resources", "legalNotice", "afterClose",
        ]
        guard case .object = root else {
            fail("", "a runbook must be a JSON object, found \(Self.typeName(root))")
            return nil
        }
        guard let n = object(root, at: "", required: top, optional: optionalTop) else { return nil }
        _ = string(n, "$schema", .text)
        let id = string(n, "id", .kebab)
        let version = string(n, "version", .version)
        let title = string(n, "title")
        let description = string(n, "description")
        let owner = string(n, "owner")
        let approvedBy = strings(n, "approvedBy")
        let lastUpdated = string(n, "lastUpdated", .date)
        let placeholders = placeholderList(n)
        let recorded = strings(n, "recordedEnvironment", .upperSnake, minItems: 0, unique: true) ?? []
        let passLedgerURL = bool(n, "passLedgerDatabaseURL") ?? false
        let readOnly = readOnlyCommandList(n)
        let checklists = checklistSection(n, "checklists")
        let steps = stepList(n)
        let rollback = rollbackSection(n)
        let emergency = emergencySection(n)
        let validation = validationSection(n)
        let compliance = checklistSection(n, "compliance")
        let troubleshooting = troubleshootingList(n)
        let documentation = documentationSection(n)
        let success = successList(n)
        let escalation = escalationList(n)
        let resources = resourceList(n)
        let notice = legalNotice(n)
        let afterClose = strings(n, "afterClose", .any, minItems: 0, unique: true) ?? []
        for (i, type) in afterClose.enumerated() where !Runbook.mayFollowClose(type) {
            fail(
                "afterClose[\(i)]",
                "\(type) may not be recorded after a session's close: only a type of the event catalog that changes nothing on the database (approvals, denials, documents, notifications)")
        }

        for (name, path) in setVariables where !recorded.contains(name) {
            fail(path, "variable \(name) is set here but not listed in recordedEnvironment")
        }

        guard problems.isEmpty else { return nil }
        var runbook = Runbook(
            id: id ?? "", version: version ?? "", title: title ?? "", description: description,
            owner: owner ?? "", approvedBy: approvedBy ?? [], lastUpdated: lastUpdated ?? "",
            sha256: sha256, source: source, placeholders: placeholders,
            recordedEnvironment: recorded, passLedgerDatabaseURL: passLedgerURL, readOnlyCommands: readOnly, checklists: checklists,
            steps: steps, rollback: rollback,
            emergencyResponse: emergency, postMigrationValidation: validation, compliance: compliance,
            troubleshooting: troubleshooting, documentationRequirements: documentation,
            successCriteria: success, escalation: escalation, resources: resources, legalNotice: notice)
        runbook.afterClose = afterClose
        return runbook
    }

    mutating func readOnlyCommandList(_ n: ObjectNode) -> [ReadOnlyCommand] {
        guard let elements = array(n, "readOnlyCommands", minItems: 0) else { return [] }
        var out: [ReadOnlyCommand] = []
        for (v, p) in elements {
            guard let o = object(v, at: p, required: ["argv", "why"]) else { continue }
            let argv = strings(o, "argv", .any) ?? []
            if let first = argv.first, !StringRule.text.accepts(first) {
                fail(o.path("argv") + "[0]", "the program name must not be empty")
            }
            out.append(ReadOnlyCommand(argv: argv, why: string(o, "why") ?? ""))
        }
        return out
    }

    mutating func placeholderList(_ n: ObjectNode) -> [Placeholder] {
        guard let elements = array(n, "placeholders", minItems: 0) else { return [] }
        var out: [Placeholder] = []
        var names: [(id: String, path: String)] = []
        for (v, p) in elements {
            guard let o = object(v, at: p, required: ["name", "description"]) else { continue }
            let name = string(o, "name", .upperSnake)
            let description = string(o, "description")
            if let name { names.append((name, o.path("name"))) }
            out.append(Placeholder(name: name ?? "", description: description ?? ""))
        }
        requireUnique(names, "placeholder")
        return out
    }

    mutating func checklistSection(_ n: ObjectNode, _ key: String) -> [Checklist] {
        guard let members = keyed(n, key) else { return [] }
        var out: [Checklist] = []
        for (checklistID, v, p) in members {
            guard let o = object(v, at: p, required: ["title", "items"], optional: ["description"]) else {
                continue
            }
            let title = string(o, "title")
            let description = string(o, "description")
            var items: [ChecklistItem] = []
            for (iv, ip) in array(o, "items") ?? [] {
                if let item = checklistItem(iv, at: ip, checklist: checklistID) { items.append(item) }
            }
            out.append(Checklist(id: checklistID, title: title ?? "", description: description, items: items))
        }
        return out
    }

    mutating func checklistItem(_ v: JSONValue, at path: String, checklist: String) -> ChecklistItem? {
        guard
            let o = object(
                v, at: path, required: ["id", "title", "description", "critical"],
                optional: ["threshold", "condition", "reference"])
        else { return nil }
        let id = string(o, "id", .kebab)
        if let id { registerItemID(id, at: o.path("id")) }
        let title = string(o, "title")
        let description = string(o, "description")
        let critical = bool(o, "critical")
        let condition = string(o, "condition")
        let reference = string(o, "reference")
        var threshold: Threshold?
        if let tv = o["threshold"] { threshold = self.threshold(tv, at: o.path("threshold")) }
        return ChecklistItem(
            id: id ?? "", checklist: checklist, title: title ?? "", description: description ?? "",
            isCritical: critical ?? false, threshold: threshold, condition: condition, reference: reference)
    }

    mutating func threshold(_ v: JSONValue, at path: String) -> Threshold? {
        guard
            let o = object(v, at: path, required: ["metric", "unit", "op", "value"], optional: ["note"])
        else { return nil }
        let metric = string(o, "metric", .lowerSnake)
        let unit = string(o, "unit", .lowerSnake)
        var op: Threshold.Operator?
        if let ov = o["op"] {
            let ops = Threshold.Operator.allCases.map(\.rawValue).joined(separator: ", ")
            if case .string(let s) = ov, let known = Threshold.Operator(rawValue: s) {
                op = known
            } else {
                fail(o.path("op"), "must be one of \(ops)")
            }
        }
        let value = string(o, "value", .decimal)
        let note = string(o, "note")
        guard let metric, let unit, let value, let op else { return nil }
        return Threshold(metric: metric, unit: unit, op: op, value: value, note: note)
    }

    /// A list of actions; with `requireArgv`, each must be a command.
    mutating func actions(_ n: ObjectNode, _ key: String, requireArgv: Bool) -> [RunbookAction] {
        guard let elements = array(n, key) else { return [] }
        var out: [RunbookAction] = []
        var ids: [(id: String, path: String)] = []
        for (v, p) in elements {
            let required = requireArgv ? ["id", "title", "argv"] : ["id", "title"]
            let optional = (requireArgv ? [] : ["argv"]) + ["environment", "condition"]
            guard let o = object(v, at: p, required: required, optional: optional) else { continue }
            let id = string(o, "id", .kebab)
            if let id { ids.append((id, o.path("id"))) }
            let title = string(o, "title")
            let condition = string(o, "condition")
            let environment = environment(o, "environment")
            var argv: [String]?
            if o["argv"] != nil {
                argv = strings(o, "argv", .any) ?? []
                if let first = argv?.first, !StringRule.text.accepts(first) {
                    fail(o.path("argv") + "[0]", "the program name must not be empty")
                }
            }
            out.append(
                RunbookAction(
                    id: id ?? "", title: title ?? "", argv: argv, environment: environment,
                    condition: condition))
        }
        requireUnique(ids, "action id")
        return out
    }

    mutating func stepList(_ n: ObjectNode) -> [ExecutionStep] {
        guard let elements = array(n, "steps") else { return [] }
        var out: [ExecutionStep] = []
        var ids: [(id: String, path: String)] = []
        for (index, (v, p)) in elements.enumerated() {
            guard
                let o = object(
                    v, at: p, required: ["id", "title", "commands"],
                    optional: ["description", "workingDirectory", "environment"])
            else { continue }
            let id = string(o, "id", .kebab)
            if let id { ids.append((id, o.path("id"))) }
            let step = ExecutionStep(
                number: index + 1, id: id ?? "", title: string(o, "title") ?? "",
                description: string(o, "description"), workingDirectory: string(o, "workingDirectory"),
                environment: environment(o, "environment"),
                commands: actions(o, "commands", requireArgv: true))
            out.append(step)
        }
        requireUnique(ids, "step id")
        return out
    }

    mutating func window(_ n: ObjectNode, _ key: String) -> TimeWindow? {
        guard let v = n[key] else { return nil }
        guard let o = object(v, at: n.path(key), required: ["anchor", "from"], optional: ["to"]) else {
            return nil
        }
        let anchor = string(o, "anchor", .kebab)
        let start = duration(o, "from")
        let end = duration(o, "to")
        if let start, let end, end <= start {
            fail(o.path("to"), "must be later than from (\(start.iso))")
            return nil
        }
        guard let anchor, let start else { return nil }
        return TimeWindow(anchor: anchor, start: start, end: end)
    }

    mutating func rollbackSection(_ n: ObjectNode) -> [RollbackPath] {
        guard let members = keyed(n, "rollback") else { return [] }
        var out: [RollbackPath] = []
        for (pathID, v, p) in members {
            guard
                let o = object(v, at: p, required: ["title", "trigger", "methods"], optional: ["window"])
            else { continue }
            let title = string(o, "title")
            let trigger = string(o, "trigger")
            let window = window(o, "window")
            var methods: [RollbackMethod] = []
            var ids: [(id: String, path: String)] = []
            for (mv, mp) in array(o, "methods") ?? [] {
                guard
                    let m = object(mv, at: mp, required: ["id", "title", "actions"], optional: ["condition"])
                else { continue }
                let id = string(m, "id", .kebab)
                if let id { ids.append((id, m.path("id"))) }
                methods.append(
                    RollbackMethod(
                        id: id ?? "", title: string(m, "title") ?? "", condition: string(m, "condition"),
                        actions: actions(m, "actions", requireArgv: false)))
            }
            requireUnique(ids, "method id")
            out.append(
                RollbackPath(id: pathID, title: title ?? "", trigger: trigger ?? "", window: window, methods: methods))
        }
        return out
    }

    mutating func emergencySection(_ n: ObjectNode) -> EmergencyResponse {
        guard let v = n["emergencyResponse"] else { return .none }
        guard
            let o = object(v, at: n.path("emergencyResponse"), required: ["phases"], optional: ["contacts"])
        else { return .none }
        var phases: [EmergencyPhase] = []
        var ids: [(id: String, path: String)] = []
        for (pv, pp) in array(o, "phases") ?? [] {
            guard let ph = object(pv, at: pp, required: ["id", "title", "window", "actions"]) else { continue }
            let id = string(ph, "id", .kebab)
            if let id { ids.append((id, ph.path("id"))) }
            let title = string(ph, "title")
            let window = window(ph, "window")
            let actions = actions(ph, "actions", requireArgv: false)
            if let window {
                phases.append(EmergencyPhase(id: id ?? "", title: title ?? "", window: window, actions: actions))
            }
        }
        requireUnique(ids, "phase id")
        var contacts: [Contact] = []
        var contactIDs: [(id: String, path: String)] = []
        for (cv, cp) in array(o, "contacts", minItems: 0) ?? [] {
            guard let c = object(cv, at: cp, required: ["id", "title", "channel", "address"]) else { continue }
            let id = string(c, "id", .kebab)
            if let id { contactIDs.append((id, c.path("id"))) }
            let title = string(c, "title")
            let address = string(c, "address")
            var channel: Contact.Channel?
            if let chv = c["channel"] {
                if case .string(let s) = chv, let known = Contact.Channel(rawValue: s) {
                    channel = known
                } else {
                    let all = Contact.Channel.allCases.map(\.rawValue).joined(separator: ", ")
                    fail(c.path("channel"), "must be one of \(all)")
                }
            }
            contacts.append(
                Contact(id: id ?? "", title: title ?? "", channel: channel ?? .email, address: address ?? ""))
        }
        requireUnique(contactIDs, "contact id")
        return EmergencyResponse(phases: phases, contacts: contacts)
    }

    mutating func validationSection(_ n: ObjectNode) -> [ValidationWindow] {
        guard let members = keyed(n, "postMigrationValidation") else { return [] }
        var out: [ValidationWindow] = []
        for (windowID, v, p) in members {
            guard let o = object(v, at: p, required: ["title", "window", "checks"]) else { continue }
            let title = string(o, "title")
            let window = window(o, "window")
            let checks = actions(o, "checks", requireArgv: false)
            if let window {
                out.append(ValidationWindow(id: windowID, title: title ?? "", window: window, checks: checks))
            }
        }
        return out
    }

    mutating func troubleshootingList(_ n: ObjectNode) -> [TroubleshootingCase] {
        guard let elements = array(n, "troubleshooting") else { return [] }
        var out: [TroubleshootingCase] = []
        var ids: [(id: String, path: String)] = []
        for (v, p) in elements {
            guard let o = object(v, at: p, required: ["id", "title", "symptoms", "actions"]) else { continue }
            let id = string(o, "id", .kebab)
            if let id { ids.append((id, o.path("id"))) }
            out.append(
                TroubleshootingCase(
                    id: id ?? "", title: string(o, "title") ?? "", symptoms: strings(o, "symptoms") ?? [],
                    actions: actions(o, "actions", requireArgv: false)))
        }
        requireUnique(ids, "troubleshooting case id")
        return out
    }

    mutating func documentationSection(_ n: ObjectNode) -> [DocumentationSet] {
        guard let members = keyed(n, "documentationRequirements") else { return [] }
        var out: [DocumentationSet] = []
        var kindIDs: [(id: String, path: String)] = []
        for (setID, v, p) in members {
            guard let o = object(v, at: p, required: ["title", "kinds"], optional: ["description"]) else {
                continue
            }
            var kinds: [DocumentationKind] = []
            for (kv, kp) in array(o, "kinds") ?? [] {
                guard let k = object(kv, at: kp, required: ["id", "title", "description"]) else { continue }
                let id = string(k, "id", .kebab)
                if let id { kindIDs.append((id, k.path("id"))) }
                kinds.append(
                    DocumentationKind(
                        id: id ?? "", set: setID, title: string(k, "title") ?? "",
                        description: string(k, "description") ?? ""))
            }
            out.append(
                DocumentationSet(
                    id: setID, title: string(o, "title") ?? "", description: string(o, "description"), kinds: kinds))
        }
        requireUnique(kindIDs, "documentation kind")
        return out
    }

    mutating func successList(_ n: ObjectNode) -> [SuccessCriterion] {
        guard let elements = array(n, "successCriteria") else { return [] }
        var out: [SuccessCriterion] = []
        for (v, p) in elements {
            guard let o = object(v, at: p, required: ["id", "title"], optional: ["description"]) else { continue }
            let id = string(o, "id", .kebab)
            if let id { registerItemID(id, at: o.path("id")) }
            out.append(
                SuccessCriterion(id: id ?? "", title: string(o, "title") ?? "", description: string(o, "description")))
        }
        return out
    }

    mutating func escalationList(_ n: ObjectNode) -> [EscalationLevel] {
        guard let elements = array(n, "escalation") else { return [] }
        var out: [EscalationLevel] = []
        var ids: [(id: String, path: String)] = []
        for (index, (v, p)) in elements.enumerated() {
            guard
                let o = object(
                    v, at: p, required: ["level", "id", "title", "who", "responseTime"], optional: ["procedures"])
            else { continue }
            let level = positiveInt(o, "level")
            if let level, level != index + 1 {
                fail(o.path("level"), "must be \(index + 1): levels are numbered 1, 2, 3, … in order")
            }
            let id = string(o, "id", .kebab)
            if let id { ids.append((id, o.path("id"))) }
            let title = string(o, "title")
            let who = strings(o, "who")
            let procedures = string(o, "procedures")
            guard let responseTime = duration(o, "responseTime") else { continue }
            out.append(
                EscalationLevel(
                    level: level ?? index + 1, id: id ?? "", title: title ?? "", who: who ?? [],
                    procedures: procedures, responseTime: responseTime))
        }
        requireUnique(ids, "escalation id")
        return out
    }

    mutating func resourceList(_ n: ObjectNode) -> [RunbookResource] {
        guard let elements = array(n, "resources", minItems: 0) else { return [] }
        var out: [RunbookResource] = []
        var ids: [(id: String, path: String)] = []
        for (v, p) in elements {
            guard let o = object(v, at: p, required: ["id", "title", "href"]) else { continue }
            let id = string(o, "id", .kebab)
            if let id { ids.append((id, o.path("id"))) }
            out.append(
                RunbookResource(id: id ?? "", title: string(o, "title") ?? "", href: string(o, "href") ?? ""))
        }
        requireUnique(ids, "resource id")
        return out
    }

    mutating func legalNotice(_ n: ObjectNode) -> LegalNotice? {
        guard let v = n["legalNotice"] else { return nil }
        guard
            let o = object(
                v, at: n.path("legalNotice"), required: ["text"], optional: ["frameworks", "deviationApprovedBy"])
        else { return nil }
        return LegalNotice(
            text: string(o, "text") ?? "", frameworks: strings(o, "frameworks", minItems: 0, unique: true) ?? [],
            deviationApprovedBy: string(o, "deviationApprovedBy"))
    }
}
