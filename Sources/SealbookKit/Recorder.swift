public import SealbookCore
public import SealbookPostgres
public import SealbookRunbook
internal import Foundation

/// Why the recorder refused an event before it reached the database.
public enum RecordError: Error, Sendable, CustomStringConvertible {
    /// The event catalog refused it: unknown type, schema violation, role, card number.
    case refused(EventRefusal)
    /// No such session, or it is closed.
    case session(String)
    /// The runbook does not know an item, or cannot be found.
    case runbook(String)

    public var description: String {
        switch self {
        case .refused(let r): r.description
        case .session(let m): m
        case .runbook(let m): m
        }
    }
}

/// Records typed runbook events: every event goes through the catalog (schema, role of the
/// signing key, card-number guard) and then the store's append path.
public final class Recorder {
    public let store: LedgerStore
    public let catalog: EventCatalog
    private var rolesCache: [String: Set<Role>] = [:]

    public init(store: LedgerStore, catalog: EventCatalog = .builtIn) {
        self.store = store
        self.catalog = catalog
    }

    /// The roles the ledger grants `key` now (empty when unknown; the store refuses unknown keys).
    public func roles(of key: KeyFile) throws(StoreError) -> Set<Role> {
        if let r = rolesCache[key.keyID] { return r }
        let row = try store.keys().first { $0.keyID == key.keyID }
        let roles = Set((row?.roles ?? []).compactMap(Role.init(rawValue:)))
        rolesCache[key.keyID] = roles
        return roles
    }

    /// Checks an event against the catalog without appending it.
    public func check(type: String, data: JSONObject, key: KeyFile) throws -> Void {
        let roles = try roles(of: key)
        do { try catalog.check(type: type, data: data, signerRoles: roles) } catch { throw RecordError.refused(error) }
    }

    /// Checks and appends one event.
    @discardableResult
    public func record(
        stream: String, type: String, data: JSONObject, key: KeyFile, expectSeq: Int64? = nil, idem: String? = nil
    ) throws -> LedgerStore.AppendResult {
        try check(type: type, data: data, key: key)
        return try store.append(.init(stream: stream, type: type, data: data, idem: idem), key: key, expectSeq: expectSeq)
    }

    // MARK: - Sessions

    /// The stream of a session id.
    public static func sessionStream(_ id: String) -> String { "session/" + id }

    /// The stream of an incident id.
    public static func incidentStream(_ id: String) -> String { "incident/" + id }

    /// A new session id: the migration id and a random suffix, e.g. `2024_01_15_add_fee_index.3f9a1c2e`.
    public static func newSessionID(migrationID: String) -> String {
        let safe = String(migrationID.map { FormatV1.isValidStreamID(String($0)) || $0 == "_" ? $0 : "-" }.prefix(120))
        return safe + "." + Hex.encode(secureRandomBytes(4))
    }

    /// Reads a session's events and folds them.
    public func session(_ id: String) throws -> (state: SessionState, events: [SessionEvent]) {
        let stored = try store.events(inStream: Self.sessionStream(id))
        guard !stored.isEmpty else {
            throw RecordError.session("no session \(id): list them with sealbook session list")
        }
        let events = stored.map { SessionEvent(seq: $0.seq, body: $0.body, eventHash: $0.eventHash, recordedAt: $0.recordedAt) }
        let state = SessionState(events: events)
        guard state.opened else { throw RecordError.session("stream session/\(id) has no session.opened event") }
        return (state, events)
    }

    /// The runbook a session follows: the built-in one with that id, or `file` when given
    /// (its SHA-256 must be the one the session recorded).
    public func runbook(for state: SessionState, file: String?) throws -> Runbook {
        let rb: Runbook
        if let file {
            rb = try Runbook.load(path: file)
        } else if let id = state.runbookID, let b = Runbook.builtIn(id: id) {
            rb = b
        } else {
            throw RecordError.runbook("the session follows runbook \(state.runbookID ?? "?"), which is not built in: pass --runbook FILE")
        }
        if let sha = state.runbookSHA256, sha != rb.sha256 {
            throw RecordError.runbook(
                "the session recorded runbook \(state.runbookID ?? "?") with SHA-256 \(sha), but this runbook file has \(rb.sha256)")
        }
        return rb
    }

    /// The session in which `seq`-ordered events are still open (not closed), for commands that need one.
    public func openSession(_ id: String) throws -> (state: SessionState, events: [SessionEvent]) {
        let s = try session(id)
        if s.state.closed { throw RecordError.session("session \(id) is closed (outcome \(s.state.outcome ?? "?")); open a new one") }
        return s
    }
}
