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
    public static func reportSnapshot(
        _ source: LogSource, store: LedgerStore?, trustRoot: Ed25519.PublicKey?, allowUnverified: Bool,
        progress: (Int64, Int64) -> Void = { _, _ in }
    ) throws -> LedgerSnapshot {
        let log = try read(
            source, store: store, options: ReadOptions(trustRoot: trustRoot, reportAll: allowUnverified, selection: reportSelection),
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
/// ``refresh()`` verifies the whole log; each later one verifies only the entries appended
/// since, with the same verifier, and checks the head row and the key table again.
public final class LogFollower {
    public let ledger: Ledger
    public let allowUnverified: Bool
    private var verifier: Verifier
    private let collector = EventCollector(Ledger.reportSelection)
    private var lastReport: VerificationReport?

    public init(ledger: Ledger, allowUnverified: Bool) {
        self.ledger = ledger
        self.allowUnverified = allowUnverified
        var v = Verifier(options: VerifyOptions(trustRoot: ledger.trustRoot, reportAll: allowUnverified))
        v.onVerified = collector.take
        verifier = v
    }

    /// The `seq` verified so far (0 before the first refresh).
    public var verifiedSeq: Int64 { lastReport?.lastSeq ?? 0 }

    /// Verifies what was appended since the last call and returns the new snapshot, or nil
    /// when the log has not moved.
    public func refresh(progress: (Int64, Int64) -> Void = { _, _ in }) throws -> LedgerSnapshot? {
        let before = verifier.nextSeq
        let report = try ledger.store.verify(continuing: &verifier, progress: progress)
        guard report.isValid || allowUnverified else { throw LedgerError.unverified(report) }
        if let last = lastReport, verifier.nextSeq == before, last.failureCount == report.failureCount { return nil }
        lastReport = report
        let log = VerifiedLog(source: "database", report: report, events: collector.events)
        return try Ledger.snapshot(of: log, allowUnverified: allowUnverified)
    }
}
