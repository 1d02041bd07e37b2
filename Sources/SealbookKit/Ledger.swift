public import SealbookCore
public import SealbookPostgres
public import SealbookRunbook
internal import Foundation

/// One ledger, as the application uses it (docs/ARCHITECTURE.md): the one place that appends
/// through the catalog and the runbook's rules, and that reads the log back only through a
/// verified read. The CLI, and the HTTP API to come, parse and print around these calls.
///
/// Not for use from several threads at once (it owns a ``LedgerStore`` connection).
public final class Ledger {
    public let store: LedgerStore
    public let catalog: EventCatalog
    /// The root public key reads are checked against (``ReadOptions/trustRoot``).
    public var trustRoot: Ed25519.PublicKey?

    public init(store: LedgerStore, catalog: EventCatalog = .builtIn, trustRoot: Ed25519.PublicKey? = nil) {
        self.store = store
        self.catalog = catalog
        self.trustRoot = trustRoot
    }

    // MARK: - Appending

    /// The one application-layer append: the catalog's checks (card-number guard, type, the
    /// role of the signing key, the type's schema; docs/EVENTS.md), then the store's append
    /// path, where the database checks the format, the key, the signature, the stream position
    /// and the claimed time. `roles` are the signing key's roles when the caller read them from
    /// a verified log; otherwise the store's key table is asked.
    @discardableResult
    public func append(
        _ event: LedgerStore.NewEvent, key: KeyFile, expectSeq: Int64? = nil, roles: Set<Role>? = nil
    ) throws -> LedgerStore.AppendResult {
        let held = try roles ?? tableRoles(of: key)
        do { try catalog.check(type: event.type, data: event.data, signerRoles: held) } catch { throw LedgerError.refused(error) }
        // A closed session takes nothing more, through any path, but what its runbook counts
        // after the close (docs/CONTROLS.md §3.1, docs/RUNBOOK.md "After the close").
        if let id = StreamID.sessionID(event.stream), let closed = try store.firstSeq(ofType: "session.closed", in: event.stream) {
            try session(id).admit(event.type, closedAt: closed)
        }
        // Free text is sealed after the checks (which see the text) and before signing; the
        // idempotency key is fixed first, so that a retry seals to the same bytes.
        var event = event
        let idem = event.idem ?? LedgerStore.newIdem()
        event.idem = idem
        event.data = try seal(event.data, type: event.type, stream: event.stream, idem: idem)
        return try store.append(event, key: key, expectSeq: expectSeq)
    }

    /// Erases a data key (GDPR Art. 17 by crypto-shredding, docs/FORMAT.md §13): appends a
    /// `data.erased` to stream `privacy`, signed by a key with role `privacy-officer`, and the
    /// database deletes the key in the same transaction. Then rewrites the key table so that
    /// the key's bytes leave its files too, when this login owns the table
    /// (``ErasureResult/compacted``).
    public func erase(dataKey: String, reason: String, signer: KeyFile) throws -> ErasureResult {
        guard DataKey.isValidID(dataKey) else {
            throw LedgerError.usage("--data-key must be a data key id, dk: and 32 lowercase hex digits (sealbook data-keys lists them)")
        }
        guard let stored = try store.dataKeys().first(where: { $0.id == dataKey }) else {
            if let seq = try store.erasures()[dataKey] {
                throw LedgerError.noDataKey("data key \(dataKey) was erased already, at seq \(seq)")
            }
            throw LedgerError.noDataKey("no data key \(dataKey) in this ledger (sealbook data-keys lists them)")
        }
        let data = JSONObject([
            (key: "dataKey", value: .string(dataKey)), (key: "stream", value: .string(stored.stream)),
            (key: "reason", value: .string(reason)),
        ])
        let result = try append(.init(stream: FormatV1.privacyStream, type: FormatV1.dataErasedType, data: data), key: signer)
        let compacted = (try? store.compactDataKeys()) ?? false
        return ErasureResult(append: result, dataKey: dataKey, stream: stored.stream, compacted: compacted)
    }

    /// What ``erase(dataKey:reason:signer:)`` did.
    public struct ErasureResult: Sendable {
        public let append: LedgerStore.AppendResult
        public let dataKey: String
        /// The stream whose sealed fields the key opened.
        public let stream: String
        /// Whether `sealbook.data_keys` was rewritten (`VACUUM FULL`) after the erasure.
        public let compacted: Bool
    }

    /// The roles the key table grants `key` now (empty when unknown: the database refuses
    /// unknown keys). The key table is protected like the log and checked by `verify`.
    private func tableRoles(of key: KeyFile) throws -> Set<Role> {
        let row = try store.keys().first { $0.keyID == key.keyID }
        return Set((row?.roles ?? []).compactMap(Role.init(rawValue:)))
    }

    /// Enrols `publicKey` for `actor` with `roles` (`key.enrolled`, signed by an admin key).
    /// Refuses a public key that is not fit to enrol (small order or non-canonical:
    /// ``LedgerError/usage(_:)``) and an actor id that is not pseudonymous (``ActorPolicy``,
    /// ``KeyFileError``), before anything is signed.
    @discardableResult
    public func enroll(publicKey: Ed25519.PublicKey, actor: String, roles: [Role], signer: KeyFile) throws
        -> LedgerStore.AppendResult
    {
        guard publicKey.isFitToEnrol else {
            throw LedgerError.usage(
                "--public-key is not fit to enrol: it is not the canonical encoding of a point of prime order (a small-order or non-canonical Ed25519 key, which no key generator makes)")
        }
        try ActorPolicy.check(actor)
        let d = KeyDescriptor(keyID: publicKey.keyID, publicKey: publicKey, actor: actor, roles: roles.map(\.rawValue))
        return try store.append(.init(stream: FormatV1.keysStream, type: FormatV1.keyEnrolledType, data: d.json), key: signer)
    }

    /// Revokes `keyID` (`key.revoked`, signed by an admin key).
    @discardableResult
    public func revoke(keyID: String, reason: String, signer: KeyFile) throws -> LedgerStore.AppendResult {
        let data = JSONObject([(key: "key", value: .string(keyID)), (key: "reason", value: .string(reason))])
        return try store.append(.init(stream: FormatV1.keysStream, type: FormatV1.keyRevokedType, data: data), key: signer)
    }

    // MARK: - Verified views

    /// A verified read of the database keeping the events of `streams` (and the key history);
    /// refuses a log that does not verify: a decision must not rest on it.
    func verifiedRead(streams: Set<String>) throws -> VerifiedLog {
        let log = try read(ReadOptions(trustRoot: trustRoot, selection: .streams(streams)))
        guard log.isVerified else { throw LedgerError.unverified(log.report) }
        return log
    }

    /// Session `id`, from a verified read of the whole log.
    public func session(_ id: String) throws -> SessionView {
        let stream = StreamID.session(id)
        let log = try verifiedRead(streams: [stream])
        let events = log.events.filter { $0.body.stream == stream }
        let state = SessionState(events: events)
        guard state.opened else { throw LedgerError.noSession(id) }
        let view = SessionView(id: id, stream: stream, state: state, events: events, log: log)
        // A closed session's state takes in what its runbook counts after the close.
        guard state.closed, !state.afterClose.isEmpty, let late = try? view.runbook().afterClose, !late.isEmpty else {
            return view
        }
        return SessionView(
            id: id, stream: stream, state: SessionState(events: events, countedAfterClose: Set(late)), events: events, log: log)
    }

    /// Session `id`, which must still be open.
    public func openSession(_ id: String) throws -> SessionView {
        let s = try session(id)
        if s.state.closed { throw s.closedError() }
        return s
    }

    /// Every session of the verified log, in the order they were opened.
    public func sessions() throws -> [SessionView] {
        let log = try read(ReadOptions(trustRoot: trustRoot, selection: EventSelection { s, _ in StreamID.isSession(s) }))
        guard log.isVerified else { throw LedgerError.unverified(log.report) }
        var order: [String] = []
        var byStream: [String: [VerifiedEvent]] = [:]
        for e in log.events {
            if byStream[e.body.stream] == nil { order.append(e.body.stream) }
            byStream[e.body.stream, default: []].append(e)
        }
        return order.compactMap { stream in
            let events = byStream[stream]!
            let state = SessionState(events: events)
            guard state.opened, let id = StreamID.sessionID(stream) else { return nil }
            return SessionView(id: id, stream: stream, state: state, events: events, log: log)
        }
    }

    // MARK: - Recording runbook events

    /// Opens a session for `runbook` (`session.opened`); returns its new id and the append.
    public func openSession(
        runbook: Runbook, migrationID: String, environment: Environment, from: String?, to: String, changeTicket: String?,
        description: String?, key: KeyFile
    ) throws -> (id: String, result: LedgerStore.AppendResult) {
        let id = Self.newSessionID(migrationID: migrationID)
        let event = RunbookEvent.sessionOpened(
            runbook: runbook.reference, migrationID: migrationID, environment: environment, from: from, to: to,
            changeTicket: changeTicket, description: description)
        let r = try append(.init(stream: StreamID.session(id), type: event.type, data: event.data), key: key, expectSeq: 0)
        return (id, r)
    }

    /// Records `event` in the open session `session` (read and verified just before).
    @discardableResult
    public func record(_ event: RunbookEvent, in session: SessionView, key: KeyFile) throws -> LedgerStore.AppendResult {
        try record(type: event.type, data: event.data, in: session, key: key)
    }

    /// Records an event given by its type and data in the open session `session`.
    @discardableResult
    public func record(type: String, data: JSONObject, in session: SessionView, key: KeyFile) throws
        -> LedgerStore.AppendResult
    {
        try session.admit(type)
        return try append(
            .init(stream: session.stream, type: type, data: data), key: key, roles: session.log.roles(of: key.keyID))
    }

    /// A new session id: the migration id and a random suffix, e.g. `2024_01_15_add_fee_index.3f9a1c2e`.
    public static func newSessionID(migrationID: String) -> String {
        let safe = String(migrationID.map { FormatV1.isValidStreamID(String($0)) || $0 == "_" ? $0 : "-" }.prefix(120))
        return safe + "." + Hex.encode(secureRandomBytes(4))
    }

    /// Records checklist item `item` of the session's runbook: a measured `value` that breaks
    /// the item's threshold is recorded as `fail`, whatever `status` says (the result says so).
    public func recordCheck(
        item: String, status: ItemStatus, value: String?, unit: String?, evidence: JSONObject?, in session: SessionView,
        runbook rb: Runbook, key: KeyFile
    ) throws -> CheckRecorded {
        guard let it = rb.item(item) else {
            let known = rb.allChecklistItems.map(\.id).joined(separator: ", ")
            throw LedgerError.invalidInput("runbook \(rb.id) has no checklist item \"\(item)\"; its items: \(known)")
        }
        var final = status
        var overridden: JSONValue? = nil
        var reason: String? = nil
        var thresholdJSON: JSONValue? = nil
        if let t = it.threshold {
            // A threshold is met only by a measurement: `pass` without the value proves nothing.
            if value == nil && status == .pass {
                throw LedgerError.invalidInput(
                    "checklist item \(item) has the threshold \(t.description): recording it as pass needs the measured value (--value V), which is checked against it")
            }
            thresholdJSON = object([("op", .string(t.op.rawValue)), ("value", .string(t.value)), ("unit", .string(t.unit))])
            if let value {
                guard let ok = t.evaluate(value) else {
                    throw LedgerError.invalidInput(
                        "--value \"\(value)\" is not a decimal number (item \(item) has threshold \(t.description))")
                }
                if !ok && status != .fail {
                    final = .fail
                    let why = "measured \(value) \(unit ?? t.unit) breaks the threshold \(t.description)"
                    overridden = object([("requested", .string(status.rawValue)), ("reason", .string(why))])
                    reason = why
                }
            }
        }
        let data = members([
            ("item", .string(item)), ("status", .string(final.rawValue)), ("value", string(value)),
            ("unit", string(unit ?? (value != nil ? it.threshold?.unit : nil))), ("threshold", thresholdJSON),
            ("evidence", evidence.map(JSONValue.object)), ("statusOverridden", overridden),
        ])
        let r = try record(type: "checklist.item.recorded", data: data, in: session, key: key)
        return CheckRecorded(result: r, requested: status, status: final, overriddenBecause: reason)
    }

    /// What ``recordCheck(item:status:value:unit:evidence:in:runbook:key:)`` recorded.
    public struct CheckRecorded: Sendable {
        public let result: LedgerStore.AppendResult
        /// The status asked for, and the status recorded.
        public let requested: ItemStatus
        public let status: ItemStatus
        /// Why the status was recorded as `fail` although another was asked for.
        public let overriddenBecause: String?

        /// The event recorded, with a note when the status was changed to `fail`.
        public var recorded: RecordedEvent {
            RecordedEvent(
                type: "checklist.item.recorded", result: result,
                note: overriddenBecause.map { "recorded as FAIL, not \(requested.rawValue): \($0)" })
        }
    }

    /// Opens an incident (`incident.opened` in `incident/<id>`); returns its id.
    public func openIncident(
        id: String?, level: Int64, title: String, trigger: String, session: String?, key: KeyFile, now: () -> String = FormatV1.now
    ) throws -> (id: String, result: LedgerStore.AppendResult) {
        guard (1...3).contains(level) else { throw LedgerError.usage("--level must be 1, 2 or 3") }
        let iid = id ?? "INC-" + now().prefix(10).replacingOccurrences(of: "-", with: "") + "-" + Hex.encode(secureRandomBytes(3))
        guard FormatV1.isValidStreamID(StreamID.incident(iid)) else { throw LedgerError.usage("--id: use letters, digits and ._-") }
        let event = RunbookEvent.incidentOpened(
            incidentID: iid, level: level, title: title, trigger: trigger, sessionStream: session.map(StreamID.session))
        let r = try append(.init(stream: StreamID.incident(iid), type: event.type, data: event.data), key: key, expectSeq: 0)
        return (iid, r)
    }

    /// Records `event` in incident `id`'s stream; the incident must exist in the verified log.
    @discardableResult
    public func record(_ event: RunbookEvent, inIncident id: String, key: KeyFile) throws -> LedgerStore.AppendResult {
        let stream = StreamID.incident(id)
        let log = try verifiedRead(streams: [stream])
        guard log.events.contains(where: { $0.body.stream == stream && $0.body.type == "incident.opened" }) else {
            throw LedgerError.noIncident(id)
        }
        return try append(.init(stream: stream, type: event.type, data: event.data), key: key, roles: log.roles(of: key.keyID))
    }
}

/// One event the application recorded, as it was recorded (for a caller to report).
public struct RecordedEvent: Sendable {
    public let type: String
    public let result: LedgerStore.AppendResult
    /// A few words on what it means (e.g. "emergency change: the gate was overridden").
    public let note: String?

    public init(type: String, result: LedgerStore.AppendResult, note: String? = nil) {
        self.type = type
        self.result = result
        self.note = note
    }
}

/// One session as a verified read found it.
public struct SessionView: Sendable {
    /// The session id (without `session/`).
    public let id: String
    /// Its stream, `session/<id>`.
    public let stream: String
    /// The session folded from its verified events.
    public let state: SessionState
    /// Its verified events, in order.
    public let events: [VerifiedEvent]
    /// The verified read it comes from (the key history, the position).
    public let log: VerifiedLog

    /// Whether an event of `type` may still be recorded: always while the session is open;
    /// after its close only a type its runbook lists in `afterClose` (then reports mark it as
    /// recorded after the close). Throws ``LedgerError/sessionClosed(_:outcome:)`` otherwise.
    public func admit(_ type: String, closedAt: Int64? = nil) throws {
        guard state.closed else { return }
        guard !((try? runbook())?.afterClose ?? []).contains(type) else { return }
        throw closedError(closedAt: closedAt)
    }

    /// That the session is closed, and what its runbook still takes after the close.
    func closedError(closedAt: Int64? = nil) -> LedgerError {
        let late = (try? runbook())?.afterClose ?? []
        var why = "outcome \(state.outcome ?? "?")" + (closedAt.map { ", closed at seq \($0)" } ?? "")
        why += late.isEmpty ? "" : "; after the close its runbook takes only \(late.joined(separator: ", "))"
        return LedgerError.sessionClosed(id, outcome: why)
    }

    /// The runbook the session follows: the built-in one with the id it recorded, or `file`
    /// (whose SHA-256 must be the one the session recorded).
    public func runbook(file: String? = nil) throws -> Runbook {
        let rb: Runbook
        if let file {
            rb = try Runbook.load(path: file)
        } else if let id = state.runbookID, let b = Runbook.builtIn(id: id) {
            rb = b
        } else {
            throw LedgerError.runbook(
                "the session follows runbook \(state.runbookID ?? "?"), which is not built in: pass --runbook FILE")
        }
        if let sha = state.runbookSHA256, sha != rb.sha256 {
            throw LedgerError.runbook(
                "the session recorded runbook \(state.runbookID ?? "?") with SHA-256 \(sha), but this runbook file has \(rb.sha256)")
        }
        return rb
    }

    /// The production gate for `executor` about to run a change: approvals count only when
    /// signed by a key that held the `approver` role at their position in the verified log.
    public func gate(executor: String, runbook: Runbook) -> GateDecision {
        PolicyGate.evaluate(state: state, runbook: runbook, executor: executor) { key, seq in
            log.report.keys[key].map { $0.isValid(at: seq) && $0.roles.contains(.approver) } ?? false
        }
    }
}

extension VerifiedLog {
    /// The roles `keyID` holds at the end of the verified log (empty when unknown or revoked).
    public func roles(of keyID: String) -> Set<Role> {
        guard let k = report.keys[keyID], k.revokedAt == nil else { return [] }
        return k.roles
    }
}
