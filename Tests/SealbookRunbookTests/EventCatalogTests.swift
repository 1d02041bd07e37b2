// The event catalog (schemas/events/*.json): every type's examples validate, mechanical and
// handwritten invalid variants are refused naming the member, roles are enforced, unknown types
// are refused and custom.* types are free-form.

import Foundation
import SealbookCore
import Testing

@testable import SealbookRunbook

/// The repository's `schemas/events` folder, found from this file's path.
private let eventsFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("schemas/events")

private let catalog = EventCatalog.builtIn

/// The parsed text of a type's schema, for reading `required` and `examples` in tests.
private func schemaJSON(_ type: String) throws -> JSONObject {
    let text = try #require(embeddedDataFiles["events/\(type).json"])
    return try #require(try JSONParser.parse(text).objectValue)
}

private func examples(_ type: String) throws -> [JSONObject] {
    let schema = try #require(catalog.schema(for: type))
    return try schema.examples.map { try #require($0.objectValue) }
}

/// A role that may sign `type` (the alphabetically first).
private func allowedRole(_ type: String) throws -> Role {
    try #require(catalog.allowedRoles(for: type)?.sorted().first)
}

// MARK: - The catalog itself

@Suite("Event catalog: contents")
struct EventCatalogContentsTests {
    static let expectedTypes: [String] = [
        "approval.denied", "approval.granted", "backup.created", "backup.verified", "checklist.item.recorded",
        "command.finished", "command.started", "data.erased", "documentation.recorded", "gate.refused", "gdpr.authority.notified",
        "gdpr.breach.assessed", "incident.action.recorded", "incident.closed", "incident.escalated",
        "incident.opened", "incident.resolved", "key.enrolled", "key.revoked", "migration.applied",
        "migration.rolled-back", "monitoring.observation", "notification.sent", "override.recorded",
        "rollback.completed", "rollback.started", "session.closed", "session.opened", "traffic.resumed",
        "traffic.stopped", "validation.recorded",
    ]

    @Test("the built-in catalog has exactly the documented types, and not ledger.genesis")
    func types() {
        #expect(catalog.types == Self.expectedTypes)
        #expect(catalog.schema(for: "ledger.genesis") == nil)
    }

    @Test("docs/EVENTS.md has a row for every type with its members and roles", arguments: catalog.types)
    func documented(type: String) throws {
        let doc = try String(
            contentsOf: eventsFolder.deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("docs/EVENTS.md"),
            encoding: .utf8)
        let row = try #require(
            doc.split(separator: "\n").first { $0.hasPrefix("| `\(type)` |") }, "docs/EVENTS.md has no row for \(type)")
        let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        let roles = Set(try #require(cells.last).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        #expect(roles == Set(try #require(catalog.allowedRoles(for: type)).map(\.rawValue)))
        let schema = try schemaJSON(type)
        let required = Set((schema["required"]?.arrayValue ?? []).compactMap(\.stringValue))
        for name in try #require(schema["properties"]?.objectValue).keys {
            let mark = required.contains(name) ? "`\(name)`:" : "`\(name)`?:"
            #expect(row.contains(mark), "docs/EVENTS.md, \(type): \(mark)")
        }
    }

    @Test(
        "the roles of each type",
        arguments: [
            ("session.opened", [Role.operator, .pipeline]),
            ("documentation.recorded", [.operator, .pipeline, .approver, .incidentCommander]),
            ("approval.granted", [.approver]),
            ("approval.denied", [.approver]),
            ("notification.sent", [.operator, .pipeline, .incidentCommander]),
            ("rollback.started", [.operator, .pipeline, .incidentCommander]),
            ("incident.opened", [.operator, .incidentCommander]),
            ("incident.resolved", [.incidentCommander]),
            ("gdpr.authority.notified", [.incidentCommander]),
            ("override.recorded", [.operator, .incidentCommander]),
            ("gate.refused", [.operator, .pipeline, .incidentCommander]),
            ("key.enrolled", [.admin]),
            ("key.revoked", [.admin]),
            ("data.erased", [.privacyOfficer]),
        ])
    func roles(type: String, roles: [Role]) {
        #expect(catalog.allowedRoles(for: type) == Set(roles))
    }

    @Test(
        "every type has a title, a description, roles, at least one example, and $id naming it",
        arguments: catalog.types)
    func annotations(type: String) throws {
        let schema = try #require(catalog.schema(for: type))
        #expect(!(schema.title ?? "").isEmpty)
        #expect(!(schema.schemaDescription ?? "").isEmpty)
        #expect(!(catalog.allowedRoles(for: type) ?? []).isEmpty)
        #expect(!schema.examples.isEmpty)
        #expect(try schemaJSON(type)["$id"] == .string("urn:sealbook:event:\(type)"))
    }

    @Test("a catalog refuses a schema with an unknown role, a missing role list, an open object or a wrong $id")
    func badCatalogFiles() {
        func load(_ type: String, _ text: String) -> SchemaError? {
            do {
                _ = try EventCatalog(files: ["events/\(type).json": text])
                return nil
            } catch { return error }
        }
        let closed = #""type": "object", "additionalProperties": false"#
        #expect(
            load("a.b", #"{\#(closed), "x-sealbook-roles": ["root"]}"#)?.message.contains("unknown role \"root\"")
                == true)
        #expect(load("a.b", #"{\#(closed)}"#)?.message.contains("x-sealbook-roles is missing") == true)
        #expect(
            load("a.b", #"{"type": "object", "x-sealbook-roles": ["admin"]}"#)?.message.contains("additionalProperties")
                == true)
        #expect(
            load("a.b", #"{\#(closed), "$id": "urn:sealbook:event:c.d", "x-sealbook-roles": ["admin"]}"#)?.pointer
                == "/$id")
        #expect(load("custom.x", #"{\#(closed), "x-sealbook-roles": ["admin"]}"#) != nil)
        #expect(load("ledger.genesis", #"{\#(closed), "x-sealbook-roles": ["admin"]}"#) != nil)
        #expect(load("Bad.Type", #"{\#(closed), "x-sealbook-roles": ["admin"]}"#) != nil)
        #expect(
            load("a.b", #"{\#(closed), "x-sealbook-roles": ["admin"], "requird": []}"#)?.description
                == #"events/a.b.json: #/requird: unknown keyword "requird" (supported: $defs, $id, $ref, $schema, additionalProperties, anyOf, const, description, enum, examples, items, maxItems, maxLength, maximum, minItems, minLength, minimum, oneOf, pattern, properties, required, title, type, x-sealbook-roles, x-sealbook-sealed)"#
        )
        #expect(load("a.b", #"{\#(closed), "x-sealbook-roles": ["admin"]}"#) == nil)
    }
}

// MARK: - Examples and invalid variants

@Suite("Event catalog: examples validate, invalid variants are refused")
struct EventCatalogValidationTests {
    @Test("every example validates and passes check() from an allowed role", arguments: catalog.types)
    func examplesValidate(type: String) throws {
        let schema = try #require(catalog.schema(for: type))
        for (i, example) in try examples(type).enumerated() {
            let violations = schema.validate(.object(example))
            #expect(violations.isEmpty, "example \(i) of \(type): \(violations)")
            for role in try #require(catalog.allowedRoles(for: type)) {
                #expect(throws: Never.self) { try catalog.check(type: type, data: example, signerRoles: [role]) }
            }
        }
    }

    @Test("dropping each required member is refused with \"required member … is missing\"", arguments: catalog.types)
    func dropRequired(type: String) throws {
        let required = try #require(try schemaJSON(type)["required"]?.arrayValue).compactMap(\.stringValue)
        #expect(!required.isEmpty)
        let role = try allowedRole(type)
        for example in try examples(type) {
            for name in required {
                var data = example
                data[name] = nil
                let error = #expect(throws: EventRefusal.self) {
                    try catalog.check(type: type, data: data, signerRoles: [role])
                }
                guard case .schema(let violations)? = error else {
                    Issue.record("expected a schema refusal, got \(String(describing: error))")
                    continue
                }
                #expect(
                    violations == [
                        SchemaViolation(
                            path: "data", rule: "required", message: "required member \"\(name)\" is missing")
                    ])
                #expect(
                    error?.description == "data does not fit the schema: data: required member \"\(name)\" is missing")
            }
        }
    }

    @Test("an unknown member is refused with \"member is not allowed\"", arguments: catalog.types)
    func unknownMember(type: String) throws {
        let role = try allowedRole(type)
        for example in try examples(type) {
            var data = example
            data["extra"] = "x"
            let error = #expect(throws: EventRefusal.self) {
                try catalog.check(type: type, data: data, signerRoles: [role])
            }
            #expect(
                error
                    == .schema([
                        SchemaViolation(
                            path: "data.extra", rule: "additionalProperties", message: "member is not allowed")
                    ]))
            #expect(error?.description == "data does not fit the schema: data.extra: member is not allowed")
        }
    }

    @Test("handwritten invalid variants are refused naming the member and the rule", arguments: Mutation.all)
    func handwritten(m: Mutation) throws {
        var data = try #require(try examples(m.type).first)
        data.set(m.at, to: m.value)
        let schema = try #require(catalog.schema(for: m.type))
        let violations = schema.validate(.object(data))
        #expect(violations.count == 1, "\(violations)")
        let v = try #require(violations.first)
        #expect(v.path == m.path)
        #expect(v.rule == m.rule)
        if let message = m.message { #expect(v.description == message) }
        // The same through check(), from an allowed role.
        let error = #expect(throws: EventRefusal.self) {
            try catalog.check(type: m.type, data: data, signerRoles: [try allowedRole(m.type)])
        }
        #expect(error == .schema(violations))
    }

    @Test("every type has at least one handwritten invalid variant")
    func everyTypeHasAHandwrittenVariant() {
        #expect(Set(Mutation.all.map(\.type)) == Set(catalog.types))
    }

    @Test("every violation is reported, not only the first")
    func allViolations() throws {
        let data: JSONObject = ["item": "Disk Space", "status": "ok", "value": 37.5, "extra": true]
        let error = #expect(throws: EventRefusal.self) {
            try catalog.check(type: "checklist.item.recorded", data: data, signerRoles: [.operator])
        }
        guard case .schema(let violations)? = error else {
            Issue.record("\(String(describing: error))")
            return
        }
        #expect(violations.map(\.path) == ["data.item", "data.status", "data.value", "data.extra"])
        #expect(violations.map(\.rule) == ["pattern", "enum", "type", "additionalProperties"])
        #expect(
            error?.description.hasPrefix("data does not fit the schema (4 problems): data.item: must match the pattern")
                == true)
    }
}

/// One handwritten change to a type's first example and the single violation it must cause.
struct Mutation: Sendable, CustomTestStringConvertible {
    let type: String
    /// Member names from `data` down to the member to change.
    let at: [String]
    /// The new value; nil removes the member.
    let value: JSONValue?
    let path: String
    let rule: String
    /// The exact violation text, when the test pins it.
    let message: String?

    init(_ type: String, _ at: [String], _ value: JSONValue?, _ path: String, _ rule: String, _ message: String? = nil)
    {
        self.type = type
        self.at = at
        self.value = value
        self.path = path
        self.rule = rule
        self.message = message
    }

    var testDescription: String { "\(type): \(path) (\(rule))" }

    static let all: [Mutation] = [
        .init(
            "session.opened", ["environment"], "prod", "data.environment", "enum",
            #"data.environment: must be one of "production", "staging", "development", "test" (got "prod")"#),
        .init(
            "session.opened", ["runbook", "sha256"], "ABC", "data.runbook.sha256", "pattern",
            #"data.runbook.sha256: must match the pattern ^[0-9a-f]{64}$ (got "ABC")"#),
        .init("session.opened", ["runbook", "version"], nil, "data.runbook", "required"),
        .init(
            "session.opened", ["alembic", "from"], 5, "data.alembic.from", "anyOf",
            "data.alembic.from: must be a string or null (got an integer)"),
        .init("session.opened", ["alembic", "from"], "bad rev!", "data.alembic.from", "pattern"),
        .init("session.closed", ["outcome"], "done", "data.outcome", "enum"),
        .init("session.closed", ["alembicCurrent"], "x y", "data.alembicCurrent", "pattern"),
        .init(
            "documentation.recorded", ["sizeBytes"], 12.5, "data.sizeBytes", "type",
            #"data.sizeBytes: must be an integer (got a non-integer number); write decimals as strings, e.g. "37.5""#),
        .init(
            "documentation.recorded", ["sha256"], "3A7BD3E2360A3D29EEA436FCFB7E44C735D117C42D1C1835420B6B9942DD4F1B",
            "data.sha256", "pattern", "data.sha256: must match the pattern ^[0-9a-f]{64}$"),
        .init("documentation.recorded", ["kind"], "Risk Assessment", "data.kind", "pattern"),
        .init(
            "checklist.item.recorded", ["status"], "ok", "data.status", "enum",
            #"data.status: must be one of "pass", "fail", "n/a" (got "ok")"#),
        .init(
            "checklist.item.recorded", ["threshold", "op"], "=>", "data.threshold.op", "enum",
            #"data.threshold.op: must be one of "<", "<=", ">", ">=", "==" (got "=>")"#),
        .init("checklist.item.recorded", ["value"], 37.5, "data.value", "type"),
        .init("checklist.item.recorded", ["value"], "37,5", "data.value", "pattern"),
        .init(
            "checklist.item.recorded", ["evidence", "host"], 1, "data.evidence.host", "type",
            "data.evidence.host: must be a string (got an integer)"),
        .init(
            "checklist.item.recorded", ["statusOverridden"], ["requested": "maybe", "reason": "r"],
            "data.statusOverridden.requested", "enum"),
        .init("approval.granted", ["scope"], "Migration!", "data.scope", "pattern"),
        .init(
            "approval.granted", ["approves", "revision"], nil, "data.approves", "required",
            #"data.approves: required member "revision" is missing"#),
        .init("approval.denied", ["reason"], "", "data.reason", "minLength", "data.reason: must not be empty"),
        .init("notification.sent", ["audience"], "alice@example.com", "data.audience", "pattern"),
        .init(
            "backup.created", ["sizeBytes"], -1, "data.sizeBytes", "minimum",
            "data.sizeBytes: must be at least 0 (got -1)"),
        .init("backup.created", ["sha256"], "e3b0c442", "data.sha256", "pattern"),
        .init(
            "backup.verified", ["restoreTested"], "yes", "data.restoreTested", "type",
            "data.restoreTested: must be a boolean (got a string)"),
        .init("backup.verified", ["result"], "ok", "data.result", "enum"),
        .init("command.started", ["argv"], [], "data.argv", "minItems", "data.argv: must have at least 1 item"),
        .init("command.started", ["argv"], [1], "data.argv[0]", "type"),
        .init("command.started", ["alembic", "action"], "stamp", "data.alembic.action", "enum"),
        .init("command.started", ["environment", "PGPORT"], 5432, "data.environment.PGPORT", "type"),
        .init("command.finished", ["outcome"], "ok", "data.outcome", "enum"),
        .init("command.finished", ["durationMs"], 1.5, "data.durationMs", "type"),
        .init("command.finished", ["stdout", "sizeBytes"], nil, "data.stdout", "required"),
        .init("command.finished", ["exitCode"], "0", "data.exitCode", "type"),
        .init("command.finished", ["signal"], 0, "data.signal", "minimum"),
        .init(
            "migration.applied", ["toRevision"], .null, "data.toRevision", "type",
            "data.toRevision: must be a string (got null)"),
        .init("migration.applied", ["fromRevision"], 3, "data.fromRevision", "anyOf"),
        .init("migration.rolled-back", ["fromRevision"], .null, "data.fromRevision", "type"),
        .init("migration.rolled-back", ["toRevision"], "a b", "data.toRevision", "pattern"),
        .init("validation.recorded", ["phase"], "post", "data.phase", "enum"),
        .init("validation.recorded", ["result"], "passed", "data.result", "enum"),
        .init("rollback.started", ["method"], "restore", "data.method", "enum"),
        .init("rollback.started", ["reason"], nil, "data", "required"),
        .init("rollback.completed", ["kind"], "fast", "data.kind", "enum"),
        .init("traffic.stopped", ["scope"], "all", "data.scope", "enum"),
        .init("traffic.resumed", ["scope"], "reads", "data.scope", "enum"),
        .init("incident.opened", ["level"], 4, "data.level", "enum", "data.level: must be one of 1, 2, 3 (got 4)"),
        .init(
            "incident.opened", ["level"], 2.0, "data.level", "enum",
            "data.level: must be one of 1, 2, 3 (got a non-integer number)"),
        .init("incident.opened", ["sessionStream"], "has space", "data.sessionStream", "pattern"),
        .init(
            "incident.escalated", ["toLevel"], 5, "data.toLevel", "maximum", "data.toLevel: must be at most 3 (got 5)"),
        .init("incident.escalated", ["fromLevel"], 1.5, "data.fromLevel", "type"),
        .init("incident.action.recorded", ["phase"], "triage", "data.phase", "enum"),
        .init("incident.resolved", ["rootCause"], "", "data.rootCause", "minLength"),
        .init("incident.closed", ["incidentId"], "#7", "data.incidentId", "pattern"),
        .init("gdpr.breach.assessed", ["awareAt"], "2024-01-15T22:41:07Z", "data.awareAt", "pattern"),
        .init("gdpr.breach.assessed", ["risk"], "low", "data.risk", "enum"),
        .init("gdpr.breach.assessed", ["approxSubjects"], 12.5, "data.approxSubjects", "type"),
        .init("gdpr.breach.assessed", ["categories"], ["customers", ""], "data.categories[1]", "minLength"),
        .init(
            "gdpr.authority.notified", ["contents", "dpoContact"], nil, "data.contents", "required",
            #"data.contents: required member "dpoContact" is missing"#),
        .init("gdpr.authority.notified", ["notifiedAt"], "2024-01-16 10:15", "data.notifiedAt", "pattern"),
        .init(
            "monitoring.observation", ["value"], 0.12, "data.value", "type",
            #"data.value: must be a string (got a non-integer number); write decimals as strings, e.g. "37.5""#),
        .init("monitoring.observation", ["value"], "1e3", "data.value", "pattern"),
        .init(
            "override.recorded", ["justification"], "because", "data.justification", "minLength",
            "data.justification: must be at least 10 characters long (got 7)"),
        .init("override.recorded", ["missing"], [], "data.missing", "minItems"),
        .init("gate.refused", ["missing"], [], "data.missing", "minItems"),
        .init("gate.refused", ["gate"], "Production Change", "data.gate", "pattern"),
        .init("approval.granted", ["supersedes"], ["denialSeq": 0, "reason": "x"], "data.supersedes.denialSeq", "minimum"),
        .init("key.enrolled", ["roles"], ["root"], "data.roles[0]", "enum"),
        .init("key.enrolled", ["publicKey"], "AAAA", "data.publicKey", "pattern"),
        .init("key.revoked", ["key"], "ed25519:XYZ", "data.key", "pattern"),
        .init("data.erased", ["dataKey"], "dk:ABC", "data.dataKey", "pattern"),
    ]
}

extension JSONObject {
    /// Sets (or, with nil, removes) the member at `path`, creating no intermediate objects.
    mutating func set(_ path: [String], to value: JSONValue?) {
        guard let first = path.first else { return }
        if path.count == 1 {
            self[first] = value
            return
        }
        var inner = self[first]?.objectValue ?? JSONObject()
        inner.set(Array(path.dropFirst()), to: value)
        self[first] = .object(inner)
    }
}

// MARK: - Roles, unknown types, custom types

@Suite("Event catalog: roles, unknown and custom types")
struct EventCatalogCheckTests {
    static let approval: JSONObject = ["scope": "migration"]

    @Test("approval.granted from an operator key is refused; from an approver key it is accepted")
    func approvalRoles() throws {
        let error = #expect(throws: EventRefusal.self) {
            try catalog.check(type: "approval.granted", data: Self.approval, signerRoles: [.operator])
        }
        #expect(error == .roleNotAllowed(type: "approval.granted", allowed: [.approver], held: [.operator]))
        #expect(
            error?.description
                == #"event type "approval.granted" may be signed only by a key with role approver; this key holds role operator"#
        )
        try catalog.check(type: "approval.granted", data: Self.approval, signerRoles: [.approver])
        try catalog.check(type: "approval.granted", data: Self.approval, signerRoles: [.operator, .approver])
    }

    @Test("key.enrolled from an operator key is refused; from an admin key it is accepted")
    func enrolmentRoles() throws {
        let data = try #require(try examples("key.enrolled").first)
        let error = #expect(throws: EventRefusal.self) {
            try catalog.check(type: "key.enrolled", data: data, signerRoles: [.operator, .pipeline])
        }
        #expect(error == .roleNotAllowed(type: "key.enrolled", allowed: [.admin], held: [.operator, .pipeline]))
        #expect(error?.description.hasSuffix("this key holds roles operator, pipeline") == true)
        try catalog.check(type: "key.enrolled", data: data, signerRoles: [.admin])
    }

    @Test("a key with no role is refused for a catalog type, naming every allowed role")
    func noRole() {
        let error = #expect(throws: EventRefusal.self) {
            try catalog.check(type: "traffic.resumed", data: ["scope": "writes"], signerRoles: [])
        }
        #expect(
            error?.description
                == #"event type "traffic.resumed" may be signed only by a key with one of the roles incident-commander, operator, pipeline; this key holds no role"#
        )
    }

    @Test("the role check comes before the schema check")
    func roleBeforeSchema() {
        let error = #expect(throws: EventRefusal.self) {
            try catalog.check(type: "approval.granted", data: ["bogus": 1], signerRoles: [.auditor])
        }
        #expect(error == .roleNotAllowed(type: "approval.granted", allowed: [.approver], held: [.auditor]))
    }

    @Test("custom.* types are accepted from any role, without a schema", arguments: Role.allCases)
    func customFromAnyRole(role: Role) throws {
        try catalog.check(type: "custom.x", data: ["anything": ["goes": [1, 2, true, nil]]], signerRoles: [role])
        try catalog.check(type: "custom.fingood.fee-audit", data: [:], signerRoles: [role])
        #expect(catalog.schema(for: "custom.x") == nil)
        #expect(catalog.allowedRoles(for: "custom.x") == nil)
    }

    @Test("a type that is neither in the catalog nor under custom. is refused, pointing to custom.")
    func unknownType() {
        let error = #expect(throws: EventRefusal.self) {
            try catalog.check(type: "fee.adjusted", data: [:], signerRoles: Set(Role.allCases))
        }
        #expect(error == .unknownType("fee.adjusted"))
        #expect(error?.description.contains(#"use a type under "custom.", e.g. "custom.fee.adjusted""#) == true)
        let genesis = #expect(throws: EventRefusal.self) {
            try catalog.check(type: "ledger.genesis", data: [:], signerRoles: [.admin])
        }
        #expect(genesis == .unknownType("ledger.genesis"))
        #expect(genesis?.description.contains("sealbook init") == true)
    }

    @Test("the card-number guard runs for every type, custom included, and first of all checks")
    func cardNumberForEveryType() throws {
        let custom = #expect(throws: EventRefusal.self) {
            try catalog.check(
                type: "custom.note", data: ["note": "paid with 4111 1111 1111 1111"], signerRoles: [.operator])
        }
        #expect(custom == .cardNumber(path: "data.note"))
        #expect(custom?.description == "data.note: looks like a payment card number (PCI DSS 3.5.1): not recorded")

        var approval = Self.approval
        approval["comment"] = "card 5500-0000-0000-0004"
        let typed = #expect(throws: EventRefusal.self) {
            try catalog.check(type: "approval.granted", data: approval, signerRoles: [.approver])
        }
        #expect(typed == .cardNumber(path: "data.comment"))
        // Before the unknown-type, role and schema checks, so no message can echo it.
        for (type, roles) in [("nope.nope", Set<Role>([.admin])), ("approval.granted", [.operator])] {
            let error = #expect(throws: EventRefusal.self) {
                try catalog.check(type: type, data: ["4111111111111111": 1], signerRoles: roles)
            }
            #expect(error == .cardNumber(path: "data (the name of member 1)"))
            #expect(error?.description.contains("4111") == false)
        }
    }
}
