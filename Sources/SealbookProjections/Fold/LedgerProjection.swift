public import SealbookCore
internal import SealbookRunbook

/// Why a projection refused an input.
public enum ProjectionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Events must come in increasing `seq` (gaps are allowed: a reader may skip streams).
    case outOfOrder(seq: Int64, after: Int64)
    /// A snapshot that does not parse or does not have the expected shape.
    case invalidSnapshot(String)
    /// `as_of` is not an RFC 3339 time.
    case invalidAsOf(String)

    public var description: String {
        switch self {
        case .outOfOrder(let seq, let after):
            "event at seq \(seq) arrives after seq \(after): feed a projection in increasing seq order, once each"
        case .invalidSnapshot(let m): "not a projection snapshot: \(m)"
        case .invalidAsOf(let t):
            "as_of \"\(t.count > 40 ? String(t.prefix(40)) + "…" : t)\" is not an RFC 3339 time like 2026-11-24T18:30:00.000Z"
        }
    }
}

/// The whole ledger folded for compliance: every session (stream `session/…`), every incident
/// (grouped by `incidentId`, or by stream `incident/…`), and the history of every key.
///
/// A pure fold: ``apply(_:)`` takes verified events in `seq` order and reads no clock and no
/// database. Rebuild by applying from `seq` 1; catch up by keeping a ``snapshot()`` with its
/// position (``lastSeq``), restoring it with ``init(snapshot:)`` and applying the events after
/// it: the result is the same as a rebuild, byte for byte. ``evaluate(asOf:catalog:runbooks:)``
/// turns the fold into a ``ControlReport`` at an explicit time.
///
/// What the fold keeps is the events it will need again (sessions, incidents, keys), indexed;
/// the rules run over them when a report is asked for, so that a change to the control catalog
/// never needs a rebuild.
public struct LedgerProjection: Sendable {
    /// The `seq` of the last event applied (0 before any).
    public private(set) var lastSeq: Int64 = 0
    /// The chain hash at ``lastSeq``, when the events carried one.
    public private(set) var lastChainHash: Digest32?
    /// How many events were applied, kept or not.
    public private(set) var eventCount: Int64 = 0
    /// Every key seen, by key id.
    public private(set) var keys: [String: KeyHistory] = [:]

    /// The events kept, in `seq` order: key events, session events, incident events.
    private(set) var retained: [VerifiedEvent] = []
    /// Session stream → positions in ``retained``.
    private(set) var sessionIndex: [String: [Int]] = [:]
    /// Incident id → positions in ``retained``.
    private(set) var incidentIndex: [String: [Int]] = [:]

    /// An empty projection (position 0).
    public init() {}

    /// Folds `events` from the start.
    public init(events: some Sequence<VerifiedEvent>) throws(ProjectionError) {
        for e in events { try apply(e) }
    }

    /// The session streams seen, sorted.
    public var sessionStreams: [String] { sessionIndex.keys.sorted() }

    /// The incident ids seen, sorted.
    public var incidentIDs: [String] { incidentIndex.keys.sorted() }

    /// The events of one session stream, in order.
    public func sessionEvents(_ stream: String) -> [VerifiedEvent] {
        (sessionIndex[stream] ?? []).map { retained[$0] }
    }

    /// The events of one incident, in order.
    public func incidentEvents(_ id: String) -> [VerifiedEvent] { (incidentIndex[id] ?? []).map { retained[$0] } }

    /// Applies the next verified event. Its `seq` must be greater than ``lastSeq``.
    public mutating func apply(_ e: VerifiedEvent) throws(ProjectionError) {
        guard e.seq > lastSeq else { throw .outOfOrder(seq: e.seq, after: lastSeq) }
        lastSeq = e.seq
        lastChainHash = e.chainHash
        eventCount += 1
        index(e)
    }

    /// Files one event under the sessions, incidents or keys it belongs to (or nowhere).
    private mutating func index(_ e: VerifiedEvent) {
        let stream = e.body.stream
        var session: String?
        var incident: String?
        var isKeyEvent = false
        switch e.type {
        case FormatV1.genesisType:
            isKeyEvent = true
            for root in e.data["rootKeys"]?.arrayValue ?? [] {
                if let k = Self.keyEntry(root.objectValue, at: e.seq), keys[k.keyID] == nil { keys[k.keyID] = k }
            }
        case FormatV1.keyEnrolledType:
            isKeyEvent = true
            if let k = Self.keyEntry(e.data, at: e.seq), keys[k.keyID] == nil { keys[k.keyID] = k }
        case FormatV1.keyRevokedType:
            isKeyEvent = true
            if let id = e.data["key"]?.stringValue, keys[id] != nil, keys[id]?.revokedAt == nil {
                keys[id]?.revokedAt = e.seq
            }
        default:
            break
        }
        if StreamID.isSession(stream) { session = stream }
        if e.type.hasPrefix("incident.") || e.type.hasPrefix("gdpr."), let id = e.data["incidentId"]?.stringValue {
            incident = id
        } else if StreamID.isIncident(stream) {
            incident = StreamID.incidentID(stream) ?? stream
        }
        guard isKeyEvent || session != nil || incident != nil else { return }
        retained.append(e)
        let at = retained.count - 1
        if let session { sessionIndex[session, default: []].append(at) }
        if let incident { incidentIndex[incident, default: []].append(at) }
    }

    private static func keyEntry(_ o: JSONObject?, at seq: Int64) -> KeyHistory? {
        guard let o, let id = o["key"]?.stringValue, let actor = o["actor"]?.stringValue else { return nil }
        let roles = (o["roles"]?.arrayValue ?? []).compactMap(\.stringValue).sorted()
        return KeyHistory(keyID: id, actor: actor, roles: roles, enrolledAt: seq, revokedAt: nil)
    }

    // MARK: Snapshots

    /// The name written in every snapshot.
    public static let snapshotFormat = "sealbook.projection.snapshot/1"

    /// The fold as bytes to store beside its position: RFC 8785 canonical JSON of
    /// `{"format", "position": {"lastSeq", "lastChainHash", "eventCount"}, "events": [...]}`,
    /// where `events` are the kept events with their bodies. The same fold gives the same bytes.
    public func snapshot() -> [UInt8] {
        let events: [JSONValue] = retained.map { e in
            .object(
                JSONObject([
                    (key: "seq", value: .number(JSONNumber(e.seq))),
                    (key: "eventHash", value: .string(e.eventHash.hex)),
                    (key: "chainHash", value: .string(e.chainHash.hex)),
                    (key: "recordedAt", value: e.recordedAt.map(JSONValue.string) ?? .null),
                    (key: "body", value: e.body.json),
                ]))
        }
        let root: JSONValue = .object(
            JSONObject([
                (key: "format", value: .string(Self.snapshotFormat)),
                (
                    key: "position",
                    value: .object(
                        JSONObject([
                            (key: "lastSeq", value: .number(JSONNumber(lastSeq))),
                            (key: "lastChainHash", value: lastChainHash.map { .string($0.hex) } ?? .null),
                            (key: "eventCount", value: .number(JSONNumber(eventCount))),
                        ]))
                ),
                (key: "events", value: .array(events)),
            ]))
        return (try? JCS.canonicalize(root)) ?? []
    }

    /// Restores a fold from ``snapshot()`` bytes; apply the events after ``lastSeq`` to catch up.
    public init(snapshot bytes: [UInt8]) throws(ProjectionError) {
        let root: JSONValue
        do { root = try JSONParser.parse(bytes) } catch { throw .invalidSnapshot("\(error)") }
        guard root["format"]?.stringValue == Self.snapshotFormat else {
            throw .invalidSnapshot("format must be \"\(Self.snapshotFormat)\"")
        }
        guard let position = root["position"], let last = position["lastSeq"]?.int64Value,
            let count = position["eventCount"]?.int64Value, let events = root["events"]?.arrayValue
        else { throw .invalidSnapshot("position.lastSeq, position.eventCount and events are required") }
        var previous: Int64 = 0
        for (i, item) in events.enumerated() {
            guard let seq = item["seq"]?.int64Value, seq > previous, seq <= last,
                let hash = item["eventHash"]?.stringValue.flatMap({ Digest32(hex: $0) }), let bodyJSON = item["body"]
            else { throw .invalidSnapshot("events[\(i)] needs seq (increasing, at most lastSeq), eventHash and body") }
            let body: EventBody
            do { body = try EventBody(json: bodyJSON) } catch { throw .invalidSnapshot("events[\(i)].body: \(error)") }
            guard let chain = item["chainHash"]?.stringValue.flatMap({ Digest32(hex: $0) }) else {
                throw .invalidSnapshot("events[\(i)] needs chainHash")
            }
            index(
                VerifiedEvent(
                    seq: seq, body: body, eventHash: hash, chainHash: chain, recordedAt: item["recordedAt"]?.stringValue
                ))
            previous = seq
        }
        lastSeq = last
        lastChainHash = position["lastChainHash"]?.stringValue.flatMap { Digest32(hex: $0) }
        eventCount = count
    }

    // MARK: Replay

    /// The projection over the events with `seq` ≤ `seq` (a prefix of `events`, which must be in
    /// `seq` order): what the ledger showed at that position.
    public static func replay(_ events: some Sequence<VerifiedEvent>, through seq: Int64) throws(ProjectionError)
        -> LedgerProjection
    {
        var p = LedgerProjection()
        for e in events {
            guard e.seq <= seq else { break }
            try p.apply(e)
        }
        return p
    }
}
