/// Following the log as it grows: the append functions send `NOTIFY sealbook_append` (payload:
/// the new head's `seq`) when their transaction commits.
extension LedgerStore {
    /// The channel `append_event` and `append_events` notify on commit.
    public static let appendChannel = "sealbook_append"

    /// Starts listening for appends on this store's connection (`LISTEN sealbook_append`).
    /// Call before reading the state to follow, so that no append falls between the two.
    public func listenForAppends() throws(StoreError) {
        try run { c in try c.listen(channel: Self.appendChannel) }
    }

    /// Waits up to `timeout` for appends committed since the last call; returns the highest
    /// `seq` announced, or nil when none arrived in time. Returns early (nil) when interrupted
    /// by a signal, so that a caller polling a stop flag with short timeouts stays responsive.
    public func waitForAppends(timeout: Duration) throws(StoreError) -> Int64? {
        let received = try run { c in try c.notifications(timeout: timeout) }
        let seqs = received.filter { $0.channel == Self.appendChannel }.compactMap { Int64($0.payload) }
        if let highest = seqs.max() { return highest }
        // A notification without a number still means the log moved.
        return received.contains { $0.channel == Self.appendChannel } ? 0 : nil
    }
}
