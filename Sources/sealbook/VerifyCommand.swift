import ArgumentParser
import Foundation
import SealbookCore
import SealbookKit
import SealbookPostgres
import SealbookRunbook

struct Verify: SealbookCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify the signed event chain, in the database or offline in a bundle, from seq 1 or since a checkpoint.",
        discussion: """
            Checks every entry: canonical body, signature, key enrolled and not revoked, actor, \
            stream position, eventHash, chainHash, gapless seq, and the genesis against the \
            pinned root; in the database also every stored column derived from the body, the \
            head row and the key table. Prints the entry count and the head (last seq and \
            chainHash). Exit 0 when everything verifies, 1 when something does not.

            --checkpoint FILE --log-vkey VKEY: also checks the signed checkpoint (and, with \
            --witness-vkey, a quorum of witness cosignatures) and that the log's tree at its size \
            has its root: a log that lost its tail, or whose history was rewritten and \
            re-chained, fails there.

            --since FILE (or --since last: the checkpoint this machine last verified, kept under \
            $SEALBOOK_HOME/checkpoints) verifies only the entries after that trusted checkpoint, \
            and that the log extends it: O(new entries + log N).

            After a verification that passes, the latest checkpoint stored in the database that \
            checks out against the verified entries is kept as this machine's last verified one.

            A bundle that carries a checkpoint (sealbook export writes the latest one that fits) \
            is checked against it too: signed by a key with role log in the bundle's own key \
            history (or by --log-vkey), and the bundle's tree at its size has its root.

            --evidence FILE verifies an evidence package (sealbook export --session) offline: \
            each event and key event against the package's checkpoint by its inclusion proof, the \
            keys stream the checkpoint binds, and the session's stream links and signatures. It \
            stops at the first failure.

            Examples:
              sealbook verify --trust-root 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=
              sealbook verify --checkpoint cp-0412.txt --log-vkey "$LOG_VKEY" --witness-vkey "$W1" --quorum 1
              sealbook verify --since last
              sealbook verify --bundle ledger.bundle --trust-root 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo= --all --json
              sealbook verify --evidence 2024_01_15_add_fee_index.evidence --trust-root 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=
            """)

    @Option(name: .customLong("trust-root"), help: ArgumentHelp("The root public key (base64), pinned out of band.", valueName: "pubkey"))
    var trustRoot: String?
    @Flag(help: "Report every failing entry, not only the first.") var all = false
    @Option(help: ArgumentHelp("Verify this bundle file offline; no database is used.", valueName: "file")) var bundle: String?
    @Option(help: ArgumentHelp("Verify this evidence package offline; no database is used.", valueName: "file")) var evidence: String?
    @OptionGroup var anchor: CheckpointOptions
    @Option(
        help: ArgumentHelp(
            "Verify only what came after this trusted checkpoint file, or `last` for the one this machine last verified.",
            valueName: "file|last"))
    var since: String?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if bundle != nil && database.databaseURL != nil {
            throw ValidationError("--bundle verifies offline; do not combine it with --database-url")
        }
        if evidence != nil && (bundle != nil || database.databaseURL != nil || since != nil || anchor.checkpoint != nil) {
            throw ValidationError(
                "--evidence verifies one package offline against the checkpoint it carries; do not combine it with --bundle, --database-url, --since or --checkpoint")
        }
        if since != nil && (anchor.checkpoint != nil || bundle != nil) {
            throw ValidationError("--since verifies the database from a checkpoint; do not combine it with --checkpoint or --bundle")
        }
        try anchor.validate(needsCheckpoint: false)
        if let since, since != "last" && anchor.logVkey == nil {
            throw ValidationError("--since FILE needs --log-vkey to check the checkpoint's signature (or use --since last)")
        }
    }

    func perform(_ out: Output) throws {
        let root = try parseTrustRoot(trustRoot ?? ProcessInfo.processInfo.environment["SEALBOOK_TRUST_ROOT"])
        if let evidence { return try verifyEvidence(evidence, root: root, out: out) }
        let progress = out.progress("verifying")
        var report: VerificationReport
        var source = "database"
        var anchoredBy: TrustedCheckpoint?
        var since: TrustedCheckpoint?
        var carried: CarriedCheckpoint?
        if let bundle {
            let cp = try anchor.trusted()
            let v = try BundleVerifier.verifyBundle(
                path: bundle, options: VerifyOptions(trustRoot: root, reportAll: all), keepRootsAt: cp.map { [$0.size] } ?? [],
                logKey: try anchor.logVerifier(), progress: progress.update)
            report = v.report
            carried = v.checkpoint
            if let cp {
                report = Ledger.judge(report, against: cp)
                anchoredBy = cp
            }
            source = "bundle \(bundle)"
        } else {
            let ledger = Ledger(store: try database.open(out), trustRoot: root)
            let local = LocalCheckpoints(directory: localCheckpointDirectory())
            let run: AnchoredRun
            if let cp = try anchor.trusted() {
                run = try ledger.verify(against: cp, reportAll: all, progress: progress.update)
                anchoredBy = cp
            } else if let file = self.since {
                let cp: TrustedCheckpoint
                if file == "last" {
                    guard let kept = try local.load(origin: try ledger.origin()) else {
                        throw CLIError(
                            .usage,
                            "this machine has verified no checkpoint of this ledger yet: run sealbook verify once (or give --since FILE --log-vkey VKEY)")
                    }
                    cp = kept
                    out.note("verifying since the checkpoint this machine last verified: size \(cp.size), root \(Base64.encode(cp.root.bytes))")
                } else {
                    cp = try anchor.trusted(file: file)!
                }
                since = cp
                run = try ledger.verify(since: cp, reportAll: all, progress: progress.update)
            } else {
                run = try ledger.verify(since: nil, reportAll: all, progress: progress.update)
            }
            report = run.report
            if report.isValid, let latest = try ledger.latestVerifiedCheckpoint(after: run) {
                try local.save(latest.checkpoint, logKey: latest.logKey)
            }
        }
        progress.done()
        print(report: report, source: source, pinned: root, anchoredBy: anchoredBy, since: since, carried: carried, out: out)
        if !report.isValid { throw ExitCode(Exit.verificationFailed.rawValue) }
    }

    func print(
        report r: VerificationReport, source: String, pinned: Ed25519.PublicKey?, anchoredBy: TrustedCheckpoint?,
        since: TrustedCheckpoint?, carried: CarriedCheckpoint?, out: Output
    ) {
        if r.isValid {
            if let since {
                out.line("OK: \(r.entries) entries after the checkpoint at seq \(since.size) verified, and the log extends it (\(source))")
            } else {
                out.line("OK: \(r.entries) entries of ledger \(r.ledger ?? "?") verified (\(source))")
            }
            out.line("head: seq \(r.lastSeq) chainHash \(r.lastChainHash.hex)")
            if let anchoredBy {
                out.line("checkpoint: size \(anchoredBy.size) matches the log's tree (root \(Base64.encode(anchoredBy.root.bytes)))"
                    + (anchoredBy.witnesses.isEmpty ? "" : ", cosigned by \(anchoredBy.witnesses.map(\.name).joined(separator: ", "))"))
            }
            if let carried, carried.anchored, let size = carried.size, let root = carried.root {
                out.line(
                    "anchored by checkpoint at size \(size) (root \(Base64.encode(root.bytes))), signed by \(carried.signedBy.joined(separator: ", "))")
            }
        } else {
            let genesisFailed = r.failures.first.map { $0.seq == 1 || $0.reason == .genesisMissing } ?? false
            let stop =
                !r.stoppedEarly ? "" : genesisFailed ? "; nothing after a missing or invalid genesis can be checked" : "; stopped at the first, use --all for every one"
            out.line("FAILED: \(r.failureCount) entr\(r.failureCount == 1 ? "y does" : "ies do") not verify (\(source))\(stop)")
            for f in r.failures { out.line("  \(f)") }
            if r.failureCount > r.failures.count { out.line("  … and \(r.failureCount - r.failures.count) more") }
            if let carried, !carried.checked {
                out.line("checkpoint: the bundle carries one\(carried.size.map { " at size \($0)" } ?? ""); not checked, as the bundle does not verify")
            }
        }
        if r.rootPinned {
            out.line("root: pinned, genesis signed by \(pinned!.keyID)")
        } else if pinned == nil {
            out.line("WARNING: the root was not pinned; anyone could have made this log. Pass --trust-root <root public key> to check the genesis.")
        }
        out.result(
            .obj([
                ("ok", .bool(r.isValid)), ("source", .string(source)), ("ledger", r.ledger.map(JSONValue.string) ?? .null),
                ("entries", .int(r.entries)), ("lastSeq", .int(r.lastSeq)), ("chainHash", .string(r.lastChainHash.hex)),
                ("rootPinned", .bool(r.rootPinned)), ("rootKeys", .array(r.rootKeys.map { .string($0) })),
                ("since", since.map { .int($0.size) } ?? .null),
                (
                    "checkpoint",
                    anchoredBy.map { cp in
                        .obj([
                            ("size", .int(cp.size)), ("root", .string(Base64.encode(cp.root.bytes))),
                            ("witnesses", .array(cp.witnesses.map { .string($0.vkey) })),
                        ])
                    } ?? .null
                ),
                ("bundleCheckpoint", carried.map(carriedJSON) ?? .null),
                ("failureCount", .int(Int64(r.failureCount))), ("stoppedEarly", .bool(r.stoppedEarly)),
                (
                    "failures",
                    .array(
                        r.failures.map { f in
                            .obj([
                                ("seq", .int(f.seq)), ("line", f.line.map { .int(Int64($0)) } ?? .null),
                                ("stream", f.stream.map(JSONValue.string) ?? .null), ("reason", .string(f.reason.rawValue)),
                                ("detail", .string(f.detail)),
                            ])
                        })
                ),
            ]))
    }
}

extension Verify {
    /// `verify --evidence FILE`: one package, offline, up to its first failure.
    func verifyEvidence(_ path: String, root: Ed25519.PublicKey?, out: Output) throws {
        let header: EvidenceHeader
        let r: EvidenceReport
        do { (header, r) = try Ledger.verifyEvidence(path: path, trustRoot: root, logKey: try anchor.logVerifier()) } catch let e as EvidenceError {
            switch e {
            case .unreadable, .empty: throw CLIError(.inputUnreadable, e.description)
            case .malformedHeader: throw CLIError(.verificationFailed, e.description)
            }
        }
        let source = "evidence \(path)"
        if let f = r.failure {
            out.line("FAILED: the evidence package does not verify (\(source)); a package is judged up to its first failure")
            out.line("  \(f)")
        } else {
            let first = r.lastEvent.map { "up to seq \($0.seq), streamSeq \($0.streamSeq)" } ?? ""
            out.line("OK: \(r.events) events of stream \(header.stream) in ledger \(r.ledger ?? "?") verified, \(first) (\(source))")
            if let c = r.checkpoint, let size = c.size, let cpRoot = c.root {
                out.line(
                    "anchored by checkpoint at size \(size) (root \(Base64.encode(cpRoot.bytes))), signed by \(c.signedBy.joined(separator: ", "));"
                        + " each entry's inclusion proof leads to its root")
            }
            out.line("a package cannot show that the stream has no events after seq \(r.checkpoint?.size ?? 0) or that none was left out after its last one (docs/FORMAT.md §12.7)")
        }
        if r.rootPinned {
            out.line("root: pinned, genesis signed by \(root!.keyID)")
        } else if root == nil {
            out.line("WARNING: the root was not pinned; anyone could have made this package. Pass --trust-root <root public key> to check the genesis.")
        }
        out.result(
            .obj([
                ("ok", .bool(r.isValid)), ("source", .string(source)), ("ledger", r.ledger.map(JSONValue.string) ?? .null),
                ("stream", .string(header.stream)), ("entries", .int(r.entries)), ("events", .int(r.events)),
                (
                    "lastEvent",
                    r.lastEvent.map { .obj([("seq", .int($0.seq)), ("streamSeq", .int($0.streamSeq))]) } ?? .null
                ),
                ("checkpoint", r.checkpoint.map(carriedJSON) ?? .null),
                ("rootPinned", .bool(r.rootPinned)), ("rootKeys", .array(r.rootKeys.map { .string($0) })),
                ("failureCount", .int(r.failure == nil ? 0 : 1)),
                (
                    "failures",
                    .array(
                        (r.failure.map { [$0] } ?? []).map { f in
                            .obj([
                                ("seq", .int(f.seq)), ("line", f.line.map { .int(Int64($0)) } ?? .null),
                                ("stream", f.stream.map(JSONValue.string) ?? .null), ("reason", .string(f.reason.rawValue)),
                                ("detail", .string(f.detail)),
                            ])
                        })
                ),
            ]))
        if !r.isValid { throw ExitCode(Exit.verificationFailed.rawValue) }
    }
}

/// A checkpoint carried by a bundle or an evidence package, in `--json` output.
func carriedJSON(_ c: CarriedCheckpoint) -> JSONValue {
    .obj([
        ("size", c.size.map { .int($0) } ?? .null), ("root", c.root.map { .string(Base64.encode($0.bytes)) } ?? .null),
        ("checked", .bool(c.checked)), ("anchored", .bool(c.anchored)), ("signedBy", .array(c.signedBy.map { .string($0) })),
    ])
}

/// `--checkpoint FILE --log-vkey VKEY [--witness-vkey VKEY …] [--quorum K]`: a checkpoint and
/// the keys to trust it by.
struct CheckpointOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A signed checkpoint to check the log against.", valueName: "file")) var checkpoint: String?
    @Option(
        name: .customLong("log-vkey"),
        help: ArgumentHelp("The log's verifier key, as sealbook keys vkey prints it (default: $SEALBOOK_LOG_VKEY).", valueName: "vkey"))
    var logVkeyOption: String?
    @Option(
        name: .customLong("witness-vkey"),
        help: ArgumentHelp("A witness's verifier key whose cosignature counts (repeat).", valueName: "vkey"))
    var witnessVkeys: [String] = []
    @Option(help: ArgumentHelp("Cosignatures needed from the witnesses given (default: all of them).", valueName: "k"))
    var quorum: Int?

    var logVkey: String? { logVkeyOption ?? ProcessInfo.processInfo.environment["SEALBOOK_LOG_VKEY"] }

    func validate(needsCheckpoint: Bool) throws {
        if needsCheckpoint && checkpoint == nil { throw ValidationError("give the checkpoint: --checkpoint FILE") }
        if checkpoint != nil && logVkey == nil {
            throw ValidationError("--checkpoint needs --log-vkey (the log's verifier key, from sealbook keys vkey)")
        }
        if let quorum, quorum < 0 || quorum > witnessVkeys.count {
            throw ValidationError("--quorum must be between 0 and the number of --witness-vkey given (\(witnessVkeys.count))")
        }
    }

    /// The verifier key of `--log-vkey` (or `$SEALBOOK_LOG_VKEY`), nil when none was given.
    func logVerifier() throws -> NoteVerifier? {
        guard let text = logVkey else { return nil }
        let v: NoteVerifier
        do { v = try NoteVerifier(vkey: text) } catch {
            throw CLIError(.usage, "--log-vkey is not a verifier key <name>+<hex id>+<base64 key>: \(error)")
        }
        // A witness's cosigning key (type 0x04) would take a cosignature for the log's signature.
        guard v.type == .ed25519 else { throw CLIError(.usage, "--log-vkey must be a log key (signature type 0x01), not a witness's cosigning key") }
        return v
    }

    /// The checkpoint of `--checkpoint` (or `file`), checked: nil when none was given.
    func trusted(file: String? = nil) throws -> TrustedCheckpoint? {
        guard let path = file ?? checkpoint else { return nil }
        return try loadTrustedCheckpoint(path, logVkey: logVkey, witnessVkeys: witnessVkeys, quorum: quorum)
    }
}

/// Reads the checkpoint at `path` and checks it: a signature under the log vkey, and
/// cosignatures by `quorum` (default: all) of the witnesses.
func loadTrustedCheckpoint(_ path: String, logVkey: String?, witnessVkeys: [String] = [], quorum: Int? = nil) throws
    -> TrustedCheckpoint
{
    guard let vkeyText = logVkey else { throw CLIError(.usage, "--log-vkey is needed to check \(path)") }
    let logKey: NoteVerifier
    do { logKey = try NoteVerifier(vkey: vkeyText) } catch {
        throw CLIError(.usage, "--log-vkey is not a verifier key <name>+<hex id>+<base64 key>: \(error)")
    }
    var witnesses: [NoteVerifier] = []
    for w in witnessVkeys {
        do { witnesses.append(try NoteVerifier(vkey: w)) } catch {
            throw CLIError(.usage, "--witness-vkey \(w.prefix(40)) is not a verifier key: \(error)")
        }
    }
    let text = try readCheckpointFile(path)
    return try TrustedCheckpoint(text: text, logKey: logKey, witnesses: witnesses, quorum: quorum ?? witnesses.count)
}

/// Reads a checkpoint (or proof) file: a regular file of at most 1 MiB, UTF-8.
func readCheckpointFile(_ path: String) throws -> String {
    let data = try InputFile.read(path, what: "checkpoint file", limit: SignedNote.maxBytes)
    guard let text = String(validating: data, as: UTF8.self) else { throw CLIError(.malformedJSON, "\(path) is not UTF-8 text") }
    return text
}

/// Where this machine keeps the checkpoints it verified: `$SEALBOOK_HOME/checkpoints`, else
/// `./.sealbook/checkpoints`.
func localCheckpointDirectory() -> String {
    EmbeddedCluster.defaultHome().appendingPathComponent("checkpoints").path
}

struct Export: SealbookCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the log (or its first entries) to a bundle, or one session to an evidence package, for offline verification.",
        discussion: """
            The bundle is JSON Lines: a header, then one line per entry (docs/FORMAT.md §6). Its \
            header carries the latest stored checkpoint whose size is at most the bundle's last \
            seq, with its cosignatures, which sealbook verify --bundle then checks.

            --session ID writes an evidence package instead (docs/FORMAT.md §12.6): the session's \
            events, the genesis and every key event up to the checkpoint, each with its RFC 6962 \
            inclusion proof, and the latest stored checkpoint, which must cover the session's last \
            event (sign one first with sealbook checkpoint). It verifies offline without the rest \
            of the log: sealbook verify --evidence FILE.

            An existing file is replaced only with --force, and never a directory or a symlink.

            Examples:
              sealbook export --out ledger.bundle
              sealbook export --out q3.bundle --to 1200
              sealbook export --session 2024_01_15_add_fee_index/01HZX3 --out fee-index.evidence
            """)
    @Option(help: ArgumentHelp("The bundle (or evidence package) file to write.", valueName: "file")) var out: String
    @Option(help: ArgumentHelp("Last seq to include (default: the head).", valueName: "seq")) var to: Int64?
    @Option(help: ArgumentHelp("Write an evidence package of this session instead of a bundle.", valueName: "id")) var session: String?
    @Option(
        name: .customLong("data-keys"),
        help: ArgumentHelp(
            "Also write the data keys that open the bundle's sealed fields to this file (mode 0600; it holds the means to read personal data: keep it apart, and delete it when an erasure asks).",
            valueName: "file"))
    var dataKeys: String?
    @Flag(help: "Replace an existing file.") var force = false
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if session != nil && to != nil {
            throw ValidationError("--session exports the whole session up to the checkpoint that covers it; do not combine it with --to")
        }
        if let session, !FormatV1.isValidStreamID(StreamID.session(session)) {
            throw ValidationError("--session \(session.prefix(80)) is not a session id")
        }
    }

    func perform(_ o: Output) throws {
        if let to, to < 1 { throw CLIError(.usage, "--to must be a seq of 1 or more (the genesis is seq 1)") }
        if let session {
            guard dataKeys == nil else { throw CLIError(.usage, "--data-keys goes with a bundle, not with --session") }
            return try exportEvidence(session, o)
        }
        if let dataKeys, !force, FileManager.default.fileExists(atPath: dataKeys) {
            throw CLIError(.outputExists, "\(dataKeys) exists; pass --force to replace it (a regular file only)")
        }
        let store = try database.open(o)
        let progress = o.progress("exporting")
        let header = try store.export(to: out, upTo: to, overwrite: force, progress: progress.update)
        progress.done()
        o.line("wrote \(out): ledger \(header.ledger), seq 1...\(header.to)")
        var size: Int64? = nil
        if let note = header.checkpoint, let text = try? SignedNote(parsing: note), let cp = try? Checkpoint(text: text.text) {
            size = Int64(cp.size)
            o.line("it carries the checkpoint at size \(cp.size) (root \(Base64.encode(cp.rootHash.bytes)))")
        } else {
            o.line("it carries no checkpoint: none of size ≤ \(header.to) is stored (sign one with sealbook checkpoint --key LOGKEY)")
        }
        o.line("verify it offline: sealbook verify --bundle \(out) --trust-root <root public key>")
        var keyCount: Int? = nil
        if let dataKeys {
            let keys = try store.hasDataKeyTable() ? try store.dataKeys() : []
            try FileOutput.writeAtomically(
                DataKeysFile.bytes(ledger: header.ledger, keys: keys), to: dataKeys, mode: 0o600, replace: force)
            keyCount = keys.count
            o.line("wrote \(dataKeys): \(keys.count) data key\(keys.count == 1 ? "" : "s") (mode 0600); reports from the bundle open its sealed fields with --data-keys \(dataKeys)")
        }
        o.result(
            .obj([
                ("ok", true), ("file", .string(out)), ("ledger", .string(header.ledger)), ("from", .int(1)), ("to", .int(header.to)),
                ("checkpoint", size.map { .int($0) } ?? .null), ("dataKeys", keyCount.map { .int(Int64($0)) } ?? .null),
            ]))
    }

    func exportEvidence(_ session: String, _ o: Output) throws {
        let ledger = try database.ledger(o)
        let stream = StreamID.session(session)
        let r: EvidenceExport
        do { r = try ledger.exportEvidence(stream: stream, to: out, overwrite: force) } catch let e as EvidenceExportError {
            switch e {
            case .noSuchStream, .noCoveringCheckpoint: throw CLIError(.usage, e.description)
            case .doesNotVerify: throw CLIError(.verificationFailed, e.description)
            case .output(let f):
                switch f {
                case .exists, .notARegularFile: throw CLIError(.outputExists, e.description)
                case .cannotWrite: throw CLIError(.inputUnreadable, e.description)
                }
            }
        }
        o.line(
            "wrote \(out): evidence for session \(session) (\(r.events) events, \(r.entries - r.events) genesis and key entries), ledger \(r.header.ledger)")
        o.line("anchored by the checkpoint at size \(r.checkpointSize) (root \(Base64.encode(r.checkpointRoot.bytes)))")
        o.line("verify it offline: sealbook verify --evidence \(out) --trust-root <root public key>")
        o.result(
            .obj([
                ("ok", true), ("file", .string(out)), ("ledger", .string(r.header.ledger)), ("session", .string(session)),
                ("stream", .string(stream)), ("entries", .int(Int64(r.entries))), ("events", .int(Int64(r.events))),
                ("to", .int(r.header.to)), ("checkpoint", .obj([("size", .int(r.checkpointSize)), ("root", .string(Base64.encode(r.checkpointRoot.bytes)))])),
            ]))
    }
}

struct DB: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Manage the embedded local PostgreSQL cluster (./.sealbook, or $SEALBOOK_HOME).",
        discussion: """
            With no --database-url, SEALBOOK_DATABASE_URL or PG* variable, sealbook uses a private \
            cluster under ./.sealbook/pg (listening on 127.0.0.1 only, password in \
            .sealbook/pg/password, mode 0600), started on demand. As root, the server runs as the \
            postgres user.

            Example:
              sealbook db status
            """,
        subcommands: [Start.self, Stop.self, Status.self])

    struct Start: SealbookCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the embedded cluster (create it on first use).",
            discussion: """
                Example:
                  sealbook db start --json
                """)
        @OptionGroup var output: OutputOptions
        func perform(_ o: Output) throws {
            let c = EmbeddedCluster(home: EmbeddedCluster.defaultHome())
            _ = try c.start(log: { o.note($0) })
            let s = try c.status()
            o.line("embedded cluster running: \(describe(s)) in \(c.home.path)")
            o.result(statusJSON(c, s))
        }
    }

    struct Stop: SealbookCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop the embedded cluster.",
            discussion: """
                Example:
                  sealbook db stop
                """)
        @OptionGroup var output: OutputOptions
        func perform(_ o: Output) throws {
            let c = EmbeddedCluster(home: EmbeddedCluster.defaultHome())
            try c.stop()
            let s = try c.status()
            o.line("embedded cluster: \(describe(s))")
            o.result(statusJSON(c, s))
        }
    }

    struct Status: SealbookCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show whether the embedded cluster exists and runs.",
            discussion: """
                Example:
                  SEALBOOK_HOME=/srv/sealbook sealbook db status --json
                """)
        @OptionGroup var output: OutputOptions
        func perform(_ o: Output) throws {
            let c = EmbeddedCluster(home: EmbeddedCluster.defaultHome())
            let s = try c.status()
            o.line("embedded cluster in \(c.home.path): \(describe(s))")
            o.result(statusJSON(c, s))
        }
    }
}

private func describe(_ s: EmbeddedCluster.Status) -> String {
    switch s {
    case .notInitialized: "not created yet"
    case .stopped: "stopped"
    case .running(let port): "running on 127.0.0.1:\(port)"
    }
}

private func statusJSON(_ c: EmbeddedCluster, _ s: EmbeddedCluster.Status) -> JSONValue {
    var members: [(String, JSONValue)] = [("ok", true), ("home", .string(c.home.path))]
    switch s {
    case .notInitialized: members.append(("status", "not-initialized"))
    case .stopped: members.append(("status", "stopped"))
    case .running(let port): members += [("status", "running"), ("port", .int(Int64(port)))]
    }
    return .obj(members)
}
