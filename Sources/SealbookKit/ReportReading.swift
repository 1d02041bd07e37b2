public import SealbookCore
public import SealbookPostgres
public import SealbookReports

extension Ledger {
    /// The events reports read (``LedgerSnapshot/isRelevant(stream:type:)``).
    static let reportSelection = EventSelection { s, t in LedgerSnapshot.isRelevant(stream: s, type: t) }

    /// What a report is computed from: one verified read of the log (online, or a bundle
    /// offline), its verified events and how verification went. A log that does not verify is
    /// refused (``LedgerError/unverified(_:)``) unless `allowUnverified`; the events that
    /// failed are then left out, and the report says UNVERIFIED and names them.
    ///
    /// With `since` (a trusted checkpoint of this database's log) and `prior` (what the report
    /// reads from before it, ``priorSelection(session:incident:)``), the read starts from the
    /// checkpoint: ``read(since:selection:prior:reportAll:progress:)``. `dataKeys` opens the
    /// sealed values of a bundle (a database read uses its own keys).
    public static func reportSnapshot(
        _ source: LogSource, store: LedgerStore?, trustRoot: Ed25519.PublicKey?, allowUnverified: Bool,
        since: TrustedCheckpoint? = nil, prior: PriorSelection? = nil, dataKeys: DataKeyRing? = nil,
        progress: (Int64, Int64) -> Void = { _, _ in }
    ) throws -> LedgerSnapshot {
        if let since, let prior, case .database = source, let store {
            let ledger = Ledger(store: store, trustRoot: trustRoot)
            let log = try ledger.read(
                since: since, selection: reportSelection, prior: prior, reportAll: allowUnverified, progress: progress)
            return try snapshot(of: log, allowUnverified: allowUnverified)
        }
        let log = try read(
            source, store: store, options: ReadOptions(
                trustRoot: trustRoot, reportAll: allowUnverified, selection: reportSelection, dataKeys: dataKeys),
            progress: progress)
        return try snapshot(of: log, allowUnverified: allowUnverified)
    }

    /// The report snapshot of a verified read (refused when it does not verify, unless
    /// `allowUnverified`).
    static func snapshot(of log: VerifiedLog, allowUnverified: Bool) throws -> LedgerSnapshot {
        guard log.isVerified || allowUnverified else { throw LedgerError.unverified(log.report) }
        let (seq, chain) = log.head
        return LedgerSnapshot(
            ledger: log.ledger, headSeq: seq, headChainHash: chain,
            verification: VerificationSummary(log.report, source: log.source), events: log.events)
    }
}

/// Keeps a report's snapshot current as the log grows (`report --follow`): the first
/// ``refresh()`` verifies the whole log (or, given a trusted checkpoint, the log since it, with
/// the entries before it that the report reads proven in its tree); each later one verifies only
/// the entries appended since, with the same verifier, and checks the head row and the key
/// table again.
public final class LogFollower {
    public let ledger: Ledger
    public let allowUnverified: Bool
    private let since: TrustedCheckpoint?
    private let prior: PriorSelection?
    private var verifier: Verifier?
    private let collector = EventCollector(Ledger.reportSelection)
    private var before: [VerifiedEvent] = []
    private var lastReport: VerificationReport?

    public init(ledger: Ledger, allowUnverified: Bool, since: TrustedCheckpoint? = nil, prior: PriorSelection? = nil) {
        self.ledger = ledger
        self.allowUnverified = allowUnverified
        self.since = prior == nil ? nil : since
        self.prior = prior
    }

    /// The `seq` verified so far (0 before the first refresh).
    public var verifiedSeq: Int64 { lastReport?.lastSeq ?? 0 }

    /// Verifies what was appended since the last call and returns the new snapshot, or nil
    /// when the log has not moved.
    public func refresh(progress: (Int64, Int64) -> Void = { _, _ in }) throws -> LedgerSnapshot? {
        if verifier == nil {
            switch try ledger.verifier(since: since, reportAll: allowUnverified) {
            case .failed(let report): throw LedgerError.unverified(report)
            case .resumed(var v):
                v.onVerified = collector.take
                verifier = v
            }
        }
        let before = verifier!.nextSeq
        let ring = try DataKeyRing.of(ledger.store)
        collector.reopen(with: ring)
        var report = try ledger.store.verify(continuing: &verifier!, progress: progress)
        if lastReport == nil, let since, let prior, report.isValid || allowUnverified {
            self.before = try ledger.priorEvents(since: since, prior: prior, report: &report).filter {
                LedgerSnapshot.isRelevant(stream: $0.body.stream, type: $0.body.type)
            }
        }
        self.before = self.before.map(ring.open)
        guard report.isValid || allowUnverified else { throw LedgerError.unverified(report) }
        if let last = lastReport, verifier!.nextSeq == before, last.failureCount == report.failureCount { return nil }
        lastReport = report
        let log = VerifiedLog(source: "database", report: report, events: self.before + collector.events)
        return try Ledger.snapshot(of: log, allowUnverified: allowUnverified)
    }
}
