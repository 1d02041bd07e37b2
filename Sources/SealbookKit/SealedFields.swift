public import SealbookCore
public import SealbookPostgres
internal import SealbookRunbook

/// What a read needs to open sealed values (docs/FORMAT.md §13): the data keys it holds and the
/// erasures the log records. Built from the database before a verified read (or from a data
/// keys file beside a bundle); every verified event then carries its ``VerifiedEvent/data``
/// opened: the text, or a placeholder that says why not.
public struct DataKeyRing: Sendable {
    /// The keys by id.
    public private(set) var keys: [String: DataKey]
    /// The `seq` of the `data.erased` of each erased key.
    public private(set) var erasedAt: [String: Int64]

    public init(keys: [DataKey] = [], erasedAt: [String: Int64] = [:]) {
        self.keys = Dictionary(keys.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.erasedAt = erasedAt
    }

    /// Nothing to open with: every sealed value reads as not available.
    public static let empty = DataKeyRing()

    public var isEmpty: Bool { keys.isEmpty && erasedAt.isEmpty }

    /// This ring with `erasures` (data key → seq) added; a key known erased is dropped.
    public func adding(erasures: [String: Int64]) -> DataKeyRing {
        var r = self
        for (k, seq) in erasures {
            r.erasedAt[k] = min(seq, r.erasedAt[k] ?? seq)
            r.keys[k] = nil
        }
        return r
    }

    /// The ring of the ledger's database: every key of `sealbook.data_keys` and every erasure.
    public static func of(_ store: LedgerStore) throws -> DataKeyRing {
        guard try store.hasDataKeyTable() else { return .empty }
        return DataKeyRing(keys: try store.dataKeys().compactMap(\.key), erasedAt: try store.erasures())
    }

    /// What a reader sees in place of a sealed value that cannot be opened.
    public static func erasedText(at seq: Int64) -> String { "[erased at seq \(seq)]" }
    public static func unavailableText(_ key: String) -> String { "[sealed: data key \(key) not available]" }
    public static func unopenableText(_ key: String) -> String { "[sealed: does not open with data key \(key)]" }

    /// The text of `value`, sealed in `ledger` and `stream`; or the placeholder.
    public func open(_ value: SealedValue, ledger: String, stream: String) -> String {
        if let key = keys[value.dataKey] {
            return value.open(with: key, ledger: ledger, stream: stream) ?? Self.unopenableText(value.dataKey)
        }
        if let seq = erasedAt[value.dataKey] { return Self.erasedText(at: seq) }
        return Self.unavailableText(value.dataKey)
    }

    /// `event` with its sealed values opened (the same event when it has none).
    public func open(_ event: VerifiedEvent) -> VerifiedEvent {
        let data = JSONValue.object(event.body.data)
        guard data.containsSealed else { return event }
        let opened = data.replacingSealed { .string(open($0, ledger: event.body.ledger, stream: event.body.stream)) }
        return event.opened(opened.objectValue ?? event.body.data)
    }
}

extension Ledger {
    /// `data` of an event of `type` for `stream`, with every member the catalog marks
    /// `x-sealbook-sealed` sealed under the stream's data key (made and stored on first use).
    /// `idem` is the event's idempotency key: the same event sealed again gives the same bytes.
    func seal(_ data: JSONObject, type: String, stream: String, idem: String) throws -> JSONObject {
        guard let schema = catalog.schema(for: type), schema.hasSealedFields else { return data }
        var key: DataKey? = nil
        let ledger = try store.ledgerID()
        let sealed = try schema.sealing(.object(data)) { text, path in
            if key == nil {
                key = try store.dataKey(forStream: stream)
                if key == nil {
                    let fresh = DataKey.generate()
                    try store.addDataKey(fresh, stream: stream)
                    key = fresh
                }
            }
            return SealedValue.seal(text, key: key!, ledger: ledger, stream: stream, idem: idem, path: path).json
        }
        return sealed.objectValue ?? data
    }
}

/// A data keys file (docs/FORMAT.md §13.5): the keys a bundle's sealed values open with, kept
/// apart from the bundle so that the proof and the personal data can be held (and deleted)
/// separately. One JSON object:
/// `{"sealbook":"data-keys/1","ledger":"<id>","exportedAt":"<time>","keys":[{"dataKey","stream","key"}, …]}`.
public enum DataKeysFile {
    public static let format = "data-keys/1"
    /// The most a reader takes of a data keys file.
    public static let maxBytes = 16 << 20

    /// The file's bytes for `keys` of `ledger`.
    public static func bytes(ledger: String, keys: [LedgerStore.StoredDataKey], exportedAt: String = FormatV1.now()) -> [UInt8] {
        let entries: [JSONValue] = keys.compactMap { k in
            guard let key = k.key else { return nil }
            return .object(
                JSONObject([
                    (key: "dataKey", value: .string(k.id)), (key: "stream", value: .string(k.stream)),
                    (key: "key", value: .string(Base64.encode(key.bytes))),
                ]))
        }
        let doc = JSONObject([
            (key: "sealbook", value: .string(format)), (key: "ledger", value: .string(ledger)),
            (key: "exportedAt", value: .string(exportedAt)), (key: "keys", value: .array(entries)),
        ])
        return Array((JSONValue.object(doc).description + "\n").utf8)
    }

    /// The keys of a data keys file for `ledger`; throws ``LedgerError/usage(_:)`` naming what is
    /// wrong (not JSON, another format or ledger, a key that is not what its id commits to).
    public static func ring(parsing bytes: [UInt8], ledger: String?) throws -> DataKeyRing {
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch { throw LedgerError.usage("the data keys file is not JSON: \(error)") }
        guard value["sealbook"]?.stringValue == format, let entries = value["keys"]?.arrayValue else {
            throw LedgerError.usage("the data keys file is not \(format): it needs \"sealbook\": \"\(format)\" and \"keys\"")
        }
        if let ledger, let theirs = value["ledger"]?.stringValue, theirs != ledger {
            throw LedgerError.usage("the data keys file is for ledger \(theirs), not \(ledger)")
        }
        var keys: [DataKey] = []
        for (i, e) in entries.enumerated() {
            guard let id = e["dataKey"]?.stringValue, let raw = e["key"]?.stringValue.flatMap(Base64.decode),
                let key = DataKey(id: id, bytes: raw)
            else { throw LedgerError.usage("the data keys file: keys[\(i)] is not a data key that its id commits to") }
            keys.append(key)
        }
        return DataKeyRing(keys: keys)
    }
}
