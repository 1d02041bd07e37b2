internal import Dispatch
internal import Foundation
internal import SealbookCore
internal import SealbookPostgres

/// The benchmark's single events (scenarios 4–7, the raw baselines and the libsodium sample
/// messages): `checklist.item.recorded` bodies of about 400 bytes, signed by a few enrolled
/// pipeline keys, spread over many streams. The big log is runbook sessions
/// (``RunbookWorkload``), signed by the keys of every role.
enum Workload {
    static let ledger = "bench"
    static let type = "checklist.item.recorded"
    private static let items = [
        "replication-lag", "disk-free", "connections-used", "long-running-queries", "locks-waiting", "backup-age",
        "wal-archive-lag", "cache-hit-ratio",
    ]
    private static let units = ["ms", "GB", "count", "s", "count", "h", "MB", "pct"]

    /// The event data of event number `i` (values vary, the shape does not).
    static func data(_ i: Int) -> JSONObject {
        let k = i % items.count
        let value = "\(i % 977).\(i % 10)"
        return JSONObject([
            (key: "item", value: .string(items[k])),
            (key: "status", value: .string(i % 53 == 0 ? "fail" : "pass")),
            (key: "value", value: .string(value)),
            (key: "unit", value: .string(units[k])),
            (
                key: "threshold",
                value: .object(
                    JSONObject([
                        (key: "op", value: "<="), (key: "value", value: "1000"), (key: "unit", value: .string(units[k])),
                    ]))
            ),
            (key: "evidence", value: .object(JSONObject([(key: "host", value: .string("db-primary-\(i % 3)"))]))),
        ])
    }

    static func newEvent(_ i: Int, stream: String) -> LedgerStore.NewEvent {
        LedgerStore.NewEvent(stream: stream, type: type, data: data(i))
    }

    /// The keys of a bench ledger: the root (admin), `writers` pipeline keys, and the
    /// operators, approvers and incident commanders who sign the runbook sessions.
    struct Keys: Sendable {
        let root: KeyFile
        let writers: [KeyFile]
        let operators: [KeyFile]
        let approvers: [KeyFile]
        let commanders: [KeyFile]
        /// The log key (role `log`): signs checkpoints (scenarios 13–17 enrol it).
        let log: KeyFile

        static func make(writers: Int) -> Keys {
            func keys(_ n: Int, _ name: String) -> [KeyFile] {
                (1...n).map { KeyFile(actor: "\(name)-\($0)@bench", privateKey: Ed25519.PrivateKey()) }
            }
            return Keys(
                root: KeyFile(actor: "root@bench", privateKey: Ed25519.PrivateKey()), writers: keys(writers, "pipeline"),
                operators: keys(3, "dba"), approvers: keys(2, "approver"), commanders: keys(1, "ic"),
                log: KeyFile(actor: "log@bench", privateKey: Ed25519.PrivateKey()))
        }

        /// The runbook keys with their role (the writers are the pipeline).
        var runbookRoles: [(KeyFile, String)] {
            operators.map { ($0, "operator") } + approvers.map { ($0, "approver") }
                + commanders.map { ($0, "incident-commander") }
        }
    }

    /// Initializes a ledger in the (empty) database at `url` and enrols the writer keys, and
    /// with `runbook` the operators, approvers and incident commanders too.
    ///
    /// A `runbook` ledger is recorded with the widest clock skew there is: its sessions carry
    /// signed times that follow the runbook's windows from ``RunbookWorkload/start`` on (the
    /// projections and reports read them), not the clock of the run. Every other bench ledger
    /// signs with the current time and keeps the default skew. `signatureCheck` is init's
    /// choice (``SignatureCheck``; scenarios 10 and 11 compare the two).
    static func setUpLedger(url: String, keys: Keys, runbook: Bool = false, signatureCheck: SignatureCheck = .extension) throws {
        let store = try LedgerStore(conninfo: url)
        _ = try store.initialize(
            ledger: ledger, root: keys.root, maxClockSkewSeconds: runbook ? ClockSkew.allowedSeconds.upperBound : nil,
            signatureCheck: signatureCheck)
        let enrol = keys.writers.map { ($0, "pipeline") } + (runbook ? keys.runbookRoles : [])
        for (k, role) in enrol {
            let d = KeyDescriptor(keyID: k.keyID, publicKey: k.privateKey.publicKey, actor: k.actor, roles: [role])
            _ = try store.append(.init(stream: FormatV1.keysStream, type: FormatV1.keyEnrolledType, data: d.json), key: keys.root)
        }
    }

    /// Event `i` signed at the given stream position (no database involved).
    static func sign(_ i: Int, stream: String, position: (seq: Int64, hash: Digest32), key: KeyFile) throws -> SignedEvent {
        let body = try EventBody(
            ledger: ledger, stream: stream, streamSeq: position.seq + 1, streamPrev: position.hash, type: type,
            time: FormatV1.now(), actor: key.actor, key: key.keyID, data: data(i))
        return try SignedEvent(signing: body, with: key.privateKey)
    }

    /// The first `count` events of a runbook log with `slots` slots, signed (the libsodium
    /// sample messages: the messages the verification scenarios check).
    static func runbookSample(count: Int, slots: Int = 4, keys: Keys) throws -> [SignedEvent] {
        var positions = [LogBuilder.SlotPosition](repeating: LogBuilder.SlotPosition(), count: slots)
        return try (0..<count).map { i in try LogBuilder.sign(i, slots: slots, position: &positions[i % slots], keys: keys) }
    }

    /// `count` events chained per stream over `streams` streams, signed in one go (for the raw
    /// baselines).
    static func signedSample(count: Int, streams: Int, keys: Keys) throws -> [SignedEvent] {
        var positions = [(seq: Int64, hash: Digest32)](repeating: (0, .zero), count: streams)
        var out: [SignedEvent] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            let s = i % streams
            let e = try sign(i, stream: "bench/\(s)", position: positions[s], key: keys.writers[s % keys.writers.count])
            positions[s] = (e.body.streamSeq, e.eventHash)
            out.append(e)
        }
        return out
    }
}

/// Grows a bench ledger of runbook sessions (``RunbookWorkload``) to a given number of events
/// quickly, with exactly what production writes: events are built and signed in parallel with
/// real keys of the signer's role (`SignedEvent(signing:with:)`), chained per stream
/// (`streamPrev`), and appended through `LedgerStore.appendSigned` in batches — the append
/// function assigns `seq` and `chainHash` as it does for every writer. `streams` sessions run
/// side by side (slots); each slot runs its sessions one after the other.
final class LogBuilder: Sendable {
    let url: String
    let keys: Workload.Keys
    let streams: Int
    let batch: Int
    /// Per slot: the last streamSeq and eventHash of its current session's stream and of that
    /// session's incident stream. Only the signing thread touches it while a `grow` runs;
    /// `grow` returns after that thread has finished.
    private let positions: Locked<[SlotPosition]>
    private let generated = Locked(0)

    struct SlotPosition: Sendable {
        var session: (seq: Int64, hash: Digest32) = (0, .zero)
        var incident: (seq: Int64, hash: Digest32) = (0, .zero)
    }

    init(url: String, keys: Workload.Keys, streams: Int = 1000, batch: Int = 1000) {
        self.url = url
        self.keys = keys
        self.streams = streams
        self.batch = batch
        self.positions = Locked([SlotPosition](repeating: SlotPosition(), count: streams))
    }

    /// Event `i` of the log signed, with the slot's positions moved on.
    static func sign(_ i: Int, slots: Int, position: inout SlotPosition, keys: Workload.Keys) throws -> SignedEvent {
        let s = i % slots, k = i / slots
        let j = k / RunbookWorkload.sessionLength, o = k % RunbookWorkload.sessionLength
        if o == 0 { position = SlotPosition() }
        let plan = RunbookWorkload.Plan(number: j * slots + s)
        let step = RunbookWorkload.layouts[plan.variant]![o]
        let e = try RunbookWorkload.sign(plan, step, position: step.incident ? position.incident : position.session, keys: keys)
        if step.incident { position.incident = (e.body.streamSeq, e.eventHash) } else { position.session = (e.body.streamSeq, e.eventHash) }
        return e
    }

    /// Bench events appended so far (not counting the genesis and key events).
    var count: Int { generated.withLock { $0 } }

    struct Growth: Sendable {
        let events: Int
        let seconds: Double
        let bodyBytes: Int
        var rate: Double { Double(events) / seconds }
    }

    /// Appends bench events until `total` of them are in the log. A signing thread stays a chunk
    /// ahead of the appends.
    func grow(to total: Int, batch: Int? = nil, progress: (Int, Int) -> Void = { _, _ in }) throws -> Growth {
        let first = count
        guard total > first else { return Growth(events: 0, seconds: 0, bodyBytes: 0) }
        let batch = batch ?? self.batch
        let chunk = max(batch, 10 * streams)
        let queue = BoundedQueue<Result<[SignedEvent], BenchError>?>(capacity: 2)
        let streams = self.streams, keys = self.keys, positions = self.positions
        let workers = Machine.cores
        let producer = DispatchGroup()
        let cancelled = Locked(false)
        producer.enter()
        let thread = Thread {
            defer { producer.leave() }
            var pos = positions.withLock { $0 }
            var a = first
            while a < total, !cancelled.withLock({ $0 }) {
                let lo = a, b = min(a + chunk, total)
                let out = UnsafeMutablePointer<SignedEvent?>.allocate(capacity: b - a)
                out.initialize(repeating: nil, count: b - a)
                let failure = Locked<String?>(nil)
                pos.withUnsafeMutableBufferPointer { pbuf in
                    let slots = SharedSlots(base: out), pslots = SharedSlots(base: pbuf.baseAddress!)
                    DispatchQueue.concurrentPerform(iterations: workers) { w in
                        var s = w
                        while s < streams {
                            // Events of stream s in [a, b): s, s + streams, s + 2·streams, …
                            var i = lo + ((s - lo % streams) + streams) % streams
                            while i < b {
                                do {
                                    let e = try LogBuilder.sign(i, slots: streams, position: &pslots.base[s], keys: keys)
                                    slots.base[i - lo] = e
                                } catch {
                                    failure.withLock { $0 = "cannot build event \(i): \(error)" }
                                    return
                                }
                                i += streams
                            }
                            s += workers
                        }
                    }
                }
                if let f = failure.withLock({ $0 }) {
                    out.deinitialize(count: b - a)
                    out.deallocate()
                    queue.put(.failure(BenchError(f)))
                    queue.put(nil)
                    return
                }
                let events = (0..<(b - a)).map { out[$0]! }
                out.deinitialize(count: b - a)
                out.deallocate()
                queue.put(.success(events))
                a = b
            }
            positions.withLock { $0 = pos }
            queue.put(nil)
        }
        thread.stackSize = 4 << 20
        let start = monotonicSeconds()
        thread.start()
        let store = try LedgerStore(conninfo: url)
        var done = first
        var bytes = 0
        var firstError: (any Error)? = nil
        while let item = queue.take() {
            guard firstError == nil else {
                cancelled.withLock { $0 = true }
                continue  // drain so that the producer can finish
            }
            switch item {
            case .failure(let e): firstError = e
            case .success(let events):
                var i = 0
                while i < events.count {
                    let part = Array(events[i..<min(i + batch, events.count)])
                    do { _ = try store.appendSigned(part) } catch {
                        firstError = error
                        break
                    }
                    for e in part { bytes += e.bodyBytes.count }
                    i += part.count
                    done += part.count
                    generated.withLock { $0 = done }
                    progress(done, total)
                }
            }
        }
        producer.wait()
        if let firstError { throw firstError }
        let seconds = monotonicSeconds() - start
        return Growth(events: done - first, seconds: seconds, bodyBytes: bytes / max(1, done - first))
    }
}
