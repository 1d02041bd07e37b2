public import SealbookCore
public import SealbookPostgres
internal import Foundation

/// Where a verified read takes the log from.
public enum LogSource: Sendable {
    /// The ledger database, online (every stored column is checked against the signed body).
    case database
    /// A bundle file, offline: nothing but the file and the pinned root.
    case bundle(path: String)
}

/// Which verified events a read keeps for its caller (every entry is verified either way).
public struct EventSelection: Sendable {
    let keeps: @Sendable (_ stream: String, _ type: String) -> Bool

    /// Keeps the events for which `keep(stream, type)` is true.
    public init(_ keep: @escaping @Sendable (_ stream: String, _ type: String) -> Bool) { keeps = keep }

    /// Every event.
    public static let all = EventSelection { _, _ in true }
    /// None: the read only verifies.
    public static let none = EventSelection { _, _ in false }

    /// The genesis, the key events, and the events of `streams`.
    public static func streams(_ streams: Set<String>) -> EventSelection {
        EventSelection { s, _ in s == FormatV1.ledgerStream || s == FormatV1.keysStream || streams.contains(s) }
    }
}

/// How a read verifies.
public struct ReadOptions: Sendable {
    /// The root public key pinned out of band; nil: the verification says it was not pinned.
    public var trustRoot: Ed25519.PublicKey?
    /// Go on past failures, excluding every event that fails (and naming it); the caller
    /// decides what an unverified log may still be used for (``VerifiedLog/isVerified``).
    public var reportAll: Bool
    /// Which verified events to keep.
    public var selection: EventSelection
    /// Tree sizes whose root to keep (bundles; ``VerificationReport/treeRoots``).
    public var keepRootsAt: Set<Int64>
    /// The data keys that open sealed values (docs/FORMAT.md §13). Nil: from the database, its
    /// own keys and erasures; from a bundle, none (every sealed value reads as not available).
    public var dataKeys: DataKeyRing?

    public init(
        trustRoot: Ed25519.PublicKey? = nil, reportAll: Bool = false, selection: EventSelection = .all,
        keepRootsAt: Set<Int64> = [], dataKeys: DataKeyRing? = nil
    ) {
        self.trustRoot = trustRoot
        self.reportAll = reportAll
        self.selection = selection
        self.keepRootsAt = keepRootsAt
        self.dataKeys = dataKeys
    }
}

/// The outcome of one verified read: how verification went, and the verified events kept, in
/// `seq` order. Every event in ``events`` passed every check of the ``Verifier`` in the same
/// pass that produced ``report``; an event that failed is not in it, and is named in
/// ``report``'s failures.
public struct VerifiedLog: Sendable {
    /// `database` or `bundle`: what reports print as the verification's source.
    public let source: String
    /// The bundle file read, for a bundle.
    public let bundlePath: String?
    public let report: VerificationReport
    /// The verified events selected, in `seq` order.
    public let events: [VerifiedEvent]

    public init(source: String, bundlePath: String? = nil, report: VerificationReport, events: [VerifiedEvent]) {
        self.source = source
        self.bundlePath = bundlePath
        self.report = report
        self.events = events
    }

    /// True when every entry verified.
    public var isVerified: Bool { report.isValid }
    /// The ledger id, from the genesis.
    public var ledger: String? { report.ledger }
    /// The position the read reached: the last `seq` and the chain hash computed there.
    public var head: (seq: Int64, chainHash: Digest32) { (report.lastSeq, report.lastChainHash) }

    /// The failures that concern `stream` (events the verifier excluded from it).
    public func failures(inStream stream: String) -> [VerificationFailure] {
        report.failures.filter { $0.stream == stream }
    }
}

/// Collects verified events as the verifier hands them over.
// @unchecked Sendable: the verifier calls `onVerified` on the thread that feeds it, in `seq`
// order, and the collector is read only after the feeding has returned.
final class EventCollector: @unchecked Sendable {
    private(set) var events: [VerifiedEvent] = []
    let selection: EventSelection
    let each: (@Sendable (VerifiedEvent) -> Void)?
    private(set) var ring: DataKeyRing
    /// The `data.erased` events verified so far: data key → seq.
    private(set) var erasures: [String: Int64] = [:]

    init(_ selection: EventSelection, ring: DataKeyRing = .empty, each: (@Sendable (VerifiedEvent) -> Void)? = nil) {
        self.selection = selection
        self.ring = ring
        self.each = each
    }

    func take(_ verified: VerifiedEvent) {
        // Sealed values are opened after verification, from the signed ciphertext: a key that
        // is not the one the value names, or ciphertext that does not authenticate, opens nothing.
        let e = ring.open(verified)
        if e.body.type == FormatV1.dataErasedType, e.body.stream == FormatV1.privacyStream,
            let key = e.body.data["dataKey"]?.stringValue
        {
            erasures[key] = erasures[key] ?? e.seq
        }
        each?(e)
        if selection.keeps(e.body.stream, e.body.type) { events.append(e) }
    }

    /// Opens the events kept so far again with `ring` (a follower whose ledger gained keys or
    /// erasures since), and the events still to come.
    func reopen(with ring: DataKeyRing) {
        guard ring.keys.keys.sorted() != self.ring.keys.keys.sorted() || ring.erasedAt != self.ring.erasedAt else { return }
        self.ring = ring
        events = events.map(ring.open)
    }
}

extension Ledger {
    /// Reads the log once and verifies it: from the database, or from a bundle (then `store`
    /// is not used and may be nil). The one way the application reads events: the gate, the
    /// session views, reports, replay, reconciliation and `--follow` all read through it.
    /// `each`, when given, receives every verified event in `seq` order as it is verified (to
    /// fold a large log without keeping it); the events ``ReadOptions/selection`` keeps are
    /// returned.
    public static func read(
        _ source: LogSource, store: LedgerStore?, options: ReadOptions,
        each: (@Sendable (VerifiedEvent) -> Void)? = nil, progress: (Int64, Int64) -> Void = { _, _ in }
    ) throws -> VerifiedLog {
        let verifyOptions = VerifyOptions(trustRoot: options.trustRoot, reportAll: options.reportAll)
        switch source {
        case .database:
            guard let store else { throw LedgerError.usage("a database read needs a store") }
            let collector = EventCollector(options.selection, ring: try options.dataKeys ?? .of(store), each: each)
            let report = try store.verify(options: verifyOptions, onVerified: collector.take, progress: progress)
            return VerifiedLog(source: "database", report: report, events: collector.events)
        case .bundle(let path):
            let collector = EventCollector(options.selection, ring: options.dataKeys ?? .empty, each: each)
            let (_, report) = try BundleVerifier.verify(
                path: path, options: verifyOptions, onVerified: collector.take, keepRootsAt: options.keepRootsAt,
                progress: progress)
            // A bundle's erasures come after the values they erased: open those again, now
            // that the placeholder can name the erasure.
            if !collector.erasures.isEmpty {
                collector.reopen(with: collector.ring.adding(erasures: collector.erasures))
            }
            return VerifiedLog(source: "bundle", bundlePath: path, report: report, events: collector.events)
        }
    }

    /// ``read(_:store:options:progress:)`` from this ledger's database.
    public func read(_ options: ReadOptions, progress: (Int64, Int64) -> Void = { _, _ in }) throws -> VerifiedLog {
        try Self.read(.database, store: store, options: options, progress: progress)
    }
}
