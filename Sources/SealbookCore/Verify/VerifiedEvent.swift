/// An event that passed every check of the ``Verifier``: its body is canonical and well formed,
/// its signature verifies under a key that was enrolled and not revoked at its position, its
/// stream links hold, its recorded hashes and chain position are the ones the log computes, and
/// (read from the database) every stored column derived from the body says what the body says.
///
/// This is the one event type of the pipeline from the verifier to the projections, the gate
/// and the reports (docs/ARCHITECTURE.md, "The verified path"). Only the verifier makes them
/// (the initializer is `package`): a Swift caller cannot hand a projection a row nobody checked.
///
/// Immutable, and a class: a projection, its evaluation and its reports put the same events in
/// many lists (per session, per type, per control's evidence), and each of those then holds a
/// reference instead of a copy of every body's strings and data.
public final class VerifiedEvent: Sendable {
    /// The global position in the log (1, 2, 3, …).
    public let seq: Int64
    /// The signed body.
    public let body: EventBody
    /// `SHA-256(bodyBytes || sig)`: with ``seq``, how reports cite the event.
    public let eventHash: Digest32
    /// The chain hash at ``seq``, as the verifier computed it.
    public let chainHash: Digest32
    /// When the database server recorded the event (RFC 3339 UTC, milliseconds): the time the
    /// server witnessed, beside the ``body``'s claimed `time`. Nil when the source does not
    /// carry it (a bundle).
    public let recordedAt: String?
    /// The body's `data` as readers see it: each sealed value (docs/FORMAT.md §13) opened to
    /// its text, or replaced by a placeholder that says why it cannot be (erased, key not
    /// available). The same as `body.data` when nothing was sealed or nobody opened it.
    /// Decisions and reports read this; the signed bytes stay in ``body``.
    public let data: JSONObject

    package init(
        seq: Int64, body: EventBody, eventHash: Digest32, chainHash: Digest32, recordedAt: String? = nil,
        data: JSONObject? = nil
    ) {
        self.seq = seq
        self.body = body
        self.eventHash = eventHash
        self.chainHash = chainHash
        self.recordedAt = recordedAt
        self.data = data ?? body.data
    }

    /// The same verified event with its sealed values opened (``data``).
    package func opened(_ data: JSONObject) -> VerifiedEvent {
        VerifiedEvent(seq: seq, body: body, eventHash: eventHash, chainHash: chainHash, recordedAt: recordedAt, data: data)
    }

    /// When the event was on record: ``recordedAt`` when the source carries it, else the
    /// signed `time` (which the append path holds to the server's clock within the ledger's
    /// maximum skew). What a timeliness control takes as proof (docs/CONTROLS.md §5).
    public var witnessedTime: String { recordedAt ?? body.time }

    /// The event's stream.
    public var stream: String { body.stream }
    /// The event's type.
    public var type: String { body.type }
}
