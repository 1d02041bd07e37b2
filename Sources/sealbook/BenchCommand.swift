import ArgumentParser
import Foundation
import SealbookBench
import SealbookCore
import SealbookPostgres

struct Bench: SealbookCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure verification, memory and appends against the real PostgreSQL log, with their baselines.",
        discussion: """
            Runs every scenario of docs/PERFORMANCE.md in its own databases (CREATE DATABASE \
            bench_<random>_…, dropped afterwards) on the server of --database-url, which must be a \
            superuser URL; without one, the embedded local cluster. Baselines are measured in the \
            same run: raw libsodium sign/verify (1 core and all cores), raw PostgreSQL INSERTs, \
            and the Python eventsourcing library as a peer (scripts/bench-peer, installed into \
            .bench-venv/ on first use; --skip-peer leaves it out).

            Prints a table (or, with --json, one JSON object) and writes the JSON to \
            <out>/<date>-<quick|full>.json. --quick uses tiny sizes to prove that everything \
            runs (CI); the default sizes (1,000,000 events) take several minutes.

            Exit 0 when every scenario ran, whether or not its target was reached; 70 when a \
            scenario could not run.

            Examples:
              sealbook bench --quick
              sealbook bench --database-url postgresql://postgres@127.0.0.1:5432/postgres
            """)

    @Flag(help: "Tiny sizes: every scenario runs in well under a minute (CI).") var quick = false
    @Option(help: ArgumentHelp("Folder for the JSON result.", valueName: "dir")) var out = "reports/benchmarks"
    @Option(help: ArgumentHelp("Events in the big log (default 1,000,000; 2,000 with --quick).", valueName: "n"))
    var events: Int?
    @Flag(name: .customLong("skip-peer"), help: "Do not install or run the Python eventsourcing peer.") var skipPeer = false
    @Flag(help: "Progress lines on stderr even when it is not a terminal (never with --json).") var progress = false
    @Flag(
        name: .customLong("keep-databases"),
        help: "Leave the bench_<random>_… databases on the server, to profile or inspect them (drop them yourself).")
    var keepDatabases = false
    @Option(
        help: ArgumentHelp(
            "Run only these scenarios, by number, comma-separated (e.g. 13,14,15,16,17 on a 1,000,000-event log); their baselines still run.",
            valueName: "list"))
    var scenarios: String?
    // Scenario 8 runs each of its passes as `sealbook bench --rebuild-pass read|rebuild` in a
    // child process of its own, on the log database given by --database-url.
    @Option(name: .customLong("rebuild-pass"), help: ArgumentHelp(visibility: .private)) var rebuildPass: String?
    @Option(name: .customLong("up-to"), help: ArgumentHelp(visibility: .private)) var upTo: Int64?
    @Option(name: .customLong("as-of"), help: ArgumentHelp(visibility: .private)) var asOf: String?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func perform(_ o: Output) throws {
        if let rebuildPass {
            guard let upTo, let asOf, database.databaseURL != nil else {
                throw CLIError(.usage, "--rebuild-pass needs --up-to, --as-of and --database-url")
            }
            let url = try database.location.conninfo(log: { o.note($0) })
            do {
                print(try SealbookBench.Bench.rebuildPass(rebuildPass, url: url, upTo: upTo, asOf: asOf).compact)
            } catch {
                throw CLIError(.databaseError, "bench --rebuild-pass \(rebuildPass): \(error)")
            }
            return
        }
        if let events, events < 10 { throw CLIError(.usage, "--events must be at least 10") }
        let adminURL = try database.location.conninfo(log: { o.note($0) })
        let binary =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        let showProgress = !output.json && (o.isTerminal || progress)
        var options = BenchOptions(
            quick: quick, adminURL: adminURL, events: events, skipPeer: skipPeer, binary: binary, keepDatabases: keepDatabases)
        if let scenarios {
            let ids = scenarios.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !ids.isEmpty, ids.allSatisfy({ $0.map { (1...22).contains($0) } ?? false }) else {
                throw CLIError(.usage, "--scenarios must list scenario numbers 1-22, comma-separated (docs/PERFORMANCE.md)")
            }
            options.only = Set(ids.compactMap { $0 })
        }
        let outcome = SealbookBench.Bench.run(options) { line in
            if showProgress { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }
        let path: String
        do { path = try SealbookBench.Bench.write(outcome.json, directory: out, quick: quick) } catch {
            throw CLIError(.inputUnreadable, "cannot write the result to \(out): \(error.localizedDescription)")
        }
        if output.json {
            print(outcome.json.setting(file: path).compact)
        } else {
            print(outcome.table, terminator: "")
            if quick { print("(--quick: tiny sizes that prove every scenario runs; the figures mean nothing)") }
            print("wrote \(path)")
        }
        if outcome.errors > 0 {
            if !output.json {
                FileHandle.standardError.write(Data("sealbook: error: \(outcome.errors) scenario(s) could not run; see the table\n".utf8))
            }
            throw ExitCode(Exit.databaseError.rawValue)
        }
    }
}

extension BenchJSON {
    /// The document with `"file": path` added (for the copy printed on stdout).
    fileprivate func setting(file: String) -> BenchJSON {
        guard case .object(let members) = self else { return self }
        return .object(members + [("file", .string(file))])
    }
}
