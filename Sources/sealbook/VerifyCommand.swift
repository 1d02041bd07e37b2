import ArgumentParser
import Foundation
import SealbookCore
import SealbookPostgres

struct Verify: SealbookCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify the signed event chain, in the database or offline in a bundle.",
        discussion: """
            Checks every entry: canonical body, signature, key enrolled and not revoked, actor,
            stream position, eventHash, chainHash, gapless seq, and the genesis against the
            pinned root. Prints the entry count and the head (last seq and chainHash) an auditor
            writes down. Exit 0 when everything verifies, 1 when something does not.

            Examples:
              sealbook verify --trust-root 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=
              sealbook verify --bundle ledger.bundle --trust-root 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo= --all --json
            """)

    @Option(name: .customLong("trust-root"), help: ArgumentHelp("The root public key (base64), pinned out of band.", valueName: "pubkey"))
    var trustRoot: String?
    @Flag(help: "Report every failing entry, not only the first.") var all = false
    @Option(help: ArgumentHelp("Verify this bundle file offline; no database is used.", valueName: "file")) var bundle: String?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func perform(_ out: Output) throws {
        let root = try parseTrustRoot(trustRoot ?? ProcessInfo.processInfo.environment["SEALBOOK_TRUST_ROOT"])
        let options = VerifyOptions(trustRoot: root, reportAll: all)
        let progress = out.progress("verifying")
        let report: VerificationReport
        var source = "database"
        if let bundle {
            if database.databaseURL != nil { throw CLIError(.usage, "--bundle verifies offline; do not combine it with --database-url") }
            let (_, r) = try BundleVerifier.verify(path: bundle, options: options, progress: progress.update)
            report = r
            source = "bundle \(bundle)"
        } else {
            let store = try database.open(out)
            report = try store.verify(options: options, progress: progress.update)
        }
        progress.done()
        print(report: report, source: source, pinned: root, out: out)
        if !report.isValid { throw ExitCode(Exit.verificationFailed.rawValue) }
    }

    func print(report r: VerificationReport, source: String, pinned: Ed25519.PublicKey?, out: Output) {
        if r.isValid {
            out.line("OK: \(r.entries) entries of ledger \(r.ledger ?? "?") verified (\(source))")
            out.line("head: seq \(r.lastSeq) chainHash \(r.lastChainHash.hex)")
        } else {
            let genesisFailed = r.failures.first.map { $0.seq == 1 || $0.reason == .genesisMissing } ?? false
            let stop =
                !r.stoppedEarly ? "" : genesisFailed ? "; nothing after a missing or invalid genesis can be checked" : "; stopped at the first, use --all for every one"
            out.line("FAILED: \(r.failureCount) entr\(r.failureCount == 1 ? "y does" : "ies do") not verify (\(source))\(stop)")
            for f in r.failures { out.line("  \(f)") }
            if r.failureCount > r.failures.count { out.line("  … and \(r.failureCount - r.failures.count) more") }
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

struct Export: SealbookCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the log (or its first entries) to a bundle file for offline verification.",
        discussion: """
            The bundle is JSON Lines: a header, then one line per entry (docs/FORMAT.md).

            Example:
              sealbook export --out ledger.bundle
              sealbook export --out q3.bundle --to 1200
            """)
    @Option(help: ArgumentHelp("The bundle file to write.", valueName: "file")) var out: String
    @Option(help: ArgumentHelp("Last seq to include (default: the head).", valueName: "seq")) var to: Int64?
    @Flag(help: "Replace an existing file.") var force = false
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func perform(_ o: Output) throws {
        let store = try database.open(o)
        let progress = o.progress("exporting")
        let header = try store.export(to: out, upTo: to, overwrite: force, progress: progress.update)
        progress.done()
        o.line("wrote \(out): ledger \(header.ledger), seq 1...\(header.to)")
        o.line("verify it offline: sealbook verify --bundle \(out) --trust-root <root public key>")
        o.result(.obj([("ok", true), ("file", .string(out)), ("ledger", .string(header.ledger)), ("from", .int(1)), ("to", .int(header.to))]))
    }
}

struct DB: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Manage the embedded local PostgreSQL cluster (./.sealbook, or $SEALBOOK_HOME).",
        discussion: """
            With no --database-url, SEALBOOK_DATABASE_URL or PG* variable, sealbook uses a private
            cluster under ./.sealbook/pg (listening on 127.0.0.1 only, password in
            .sealbook/pg/password, mode 0600), started on demand. As root, the server runs as the
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
