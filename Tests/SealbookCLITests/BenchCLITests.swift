import Foundation
import SealbookCore
import SealbookTestSupport
import Testing

@Suite("sealbook bench")
struct BenchCLITests {
    /// Runs `sealbook bench --quick --json` through the built binary against the test server
    /// (a superuser URL: the bench creates and drops its own databases there). Checks the shape
    /// of the result, never a timing: every scenario has a status, measured ones have numeric
    /// figures and ratios; 8 rebuilt real projections (sessions, incidents, controls) beside its
    /// read-and-decode baseline, and 9 rendered every report in every format.
    @Test("bench --quick --json runs every scenario and writes its JSON")
    func quickRun() throws {
        let server = try TestDatabase.serverURL()
        let dir = try TempDir()
        defer { dir.cleanup() }
        // The peer needs network access to install (pip); when it cannot, the run must say
        // "peer-unavailable" rather than fail, which this test accepts.
        let r = try runSealbook(["bench", "--quick", "--json", "--database-url", server, "--out", dir.path])
        #expect(r.status == 0, "stderr: \(r.stderr)\nstdout: \(r.stdout.prefix(2000))")
        let doc = try JSONParser.parse(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(doc["mode"]?.stringValue == "quick")
        #expect(doc["machine"]?["cores"]?.int64Value != nil)
        #expect(doc["versions"]?["libsodium"]?.stringValue != nil)
        #expect(doc["versions"]?["postgresql"]?.stringValue != nil)
        #expect(doc["baselines"]?["libsodium"]?["verifyPerSecAllCores"]?.doubleValue != nil)
        #expect(doc["baselines"]?["postgresRawInsert"]?["onePerTransaction"]?["eventsPerSec"]?.doubleValue != nil)
        #expect(doc["logBuild"]?["eventsPerSec"]?.doubleValue != nil)

        let scenarios = try #require(doc["scenarios"]?.arrayValue)
        #expect(scenarios.compactMap { $0["id"]?.int64Value } == Array(1...22))
        let measuredStatuses: Set<String> = ["reached", "missed"]
        let peerStatuses: Set<String> = ["peer-unavailable", "peer-skipped"]
        for s in scenarios {
            let id = s["id"]?.int64Value ?? 0
            let status = try #require(s["status"]?.stringValue, "scenario \(id) has no status")
            switch id {
            case 4, 5, 6:
                // Compared with the peer: a number when it ran, else said why.
                #expect(measuredStatuses.contains(status) || peerStatuses.contains(status), "scenario \(id): \(status)")
                #expect(s["figure"]?.doubleValue != nil, "scenario \(id) figure")
                if measuredStatuses.contains(status) {
                    #expect(s["ratio"]?.doubleValue != nil, "scenario \(id) ratio")
                    #expect(s["baseline"]?["value"]?.doubleValue != nil)
                } else {
                    #expect(s["ratio"] == JSONValue.null, "scenario \(id): no peer, no ratio")
                }
            default:
                #expect(measuredStatuses.contains(status), "scenario \(id): \(status) \(s["note"]?.stringValue ?? "")")
                #expect(s["figure"]?.doubleValue != nil, "scenario \(id) figure")
                #expect(s["ratio"]?.doubleValue != nil, "scenario \(id) ratio")
                #expect(s["target"]?["value"]?.doubleValue != nil)
            }
        }
        // Scenario 6 checked the chain its writers built.
        let s6 = scenarios.first { $0["id"]?.int64Value == 6 }
        #expect(s6?["details"]?["chain"]?["verified"] == JSONValue.bool(true))

        // Scenario 8: both passes read the whole log, and the rebuild made real projections.
        let s8 = try #require(scenarios.first { $0["id"]?.int64Value == 8 }?["details"])
        let entries = try #require(s8["entries"]?.int64Value)
        for pass in ["readDecode", "rebuild"] {
            let runs = try #require(s8[pass]?.arrayValue, "scenario 8 \(pass)")
            #expect(!runs.isEmpty)
            for r in runs {
                #expect(r["events"]?.int64Value == entries, "scenario 8 \(pass) read every entry")
                #expect(r["eventsPerSec"]?.doubleValue != nil)
            }
        }
        #expect(s8["rebuild"]?.arrayValue?.first?["evaluateSeconds"]?.doubleValue != nil)
        let built = try #require(s8["built"])
        #expect((built["sessions"]?.int64Value ?? 0) > 0)
        #expect((built["incidents"]?.int64Value ?? 0) > 0)
        #expect((built["controlsEvaluated"]?.int64Value ?? 0) > 0)
        #expect((built["checklistLines"]?.int64Value ?? 0) > 0)
        #expect(s8["ratioPerRound"]?.arrayValue?.first?.doubleValue != nil)

        // Scenario 9: three kinds of report in four formats, each timed from the read to the
        // bytes and through the CLI.
        let s9 = try #require(scenarios.first { $0["id"]?.int64Value == 9 }?["details"])
        let reports = try #require(s9["reports"]?.arrayValue)
        #expect(reports.count == 12)
        #expect(Set(reports.compactMap { $0["kind"]?.stringValue }) == ["session", "compliance", "incident"])
        #expect(Set(reports.compactMap { $0["format"]?.stringValue }) == ["md", "html", "json", "oscal"])
        for r in reports {
            let what = "\(r["kind"]?.stringValue ?? "?") \(r["format"]?.stringValue ?? "?")"
            for k in ["totalMs", "readMs", "buildMs", "renderMs"] {
                #expect(r[k]?.doubleValue != nil, "scenario 9 \(what): \(k)")
            }
            #expect((r["bytes"]?.int64Value ?? 0) > 0, "scenario 9 \(what) wrote bytes")
        }
        // Each kind also went through the CLI once.
        #expect(Set(reports.filter { $0["cliMs"]?.doubleValue != nil }.compactMap { $0["kind"]?.stringValue }) == ["session", "compliance", "incident"])
        #expect(s9["verifySeconds"]?.doubleValue != nil)

        // Scenario 12: replay of two sessions, each walked to its end as --json and --step.
        let s12 = try #require(scenarios.first { $0["id"]?.int64Value == 12 }?["details"])
        for size in ["small", "large"] {
            let run = try #require(s12[size])
            #expect((run["frames"]?.int64Value ?? 0) == run["events"]?.int64Value, "scenario 12 \(size): one frame per event")
            for k in ["firstFrameMs", "jsonWalkMs", "stepWalkMs", "cliFirstFrameMs", "cliJsonMs"] {
                #expect(run[k]?.doubleValue != nil, "scenario 12 \(size): \(k)")
            }
            #expect((run["jsonBytes"]?.int64Value ?? 0) > 0)
        }
        #expect(s12["jsonWalkRatio"]?.doubleValue != nil && s12["stepWalkRatio"]?.doubleValue != nil)

        // Scenarios 13–17: checkpoints, proofs, verify and report since a checkpoint, on the big
        // log and on a small one, each through the CLI and the API; the figure is an absolute
        // time judged against the issue's bound.
        for id in Int64(13)...17 {
            let s = try #require(scenarios.first { $0["id"]?.int64Value == id })
            #expect(s["target"]?["figure"]?.stringValue == "<", "scenario \(id): an absolute bound")
            let d = try #require(s["details"])
            for side in ["big", "small"] {
                let run = try #require(d[side], "scenario \(id) \(side)")
                for k in [
                    "firstCheckpointMs", "checkpointCliMs", "checkpointApiMs", "inclusionCliMs", "consistencyCliMs",
                    "verifySinceCliMs", "verifySinceApiMs", "reportSinceCliMs", "reportSinceApiMs",
                ] {
                    #expect(run[k]?.doubleValue != nil, "scenario \(id) \(side): \(k)")
                }
                #expect(run["inclusionApi"]?["p50Ms"]?.doubleValue != nil)
                #expect(run["consistencyApi"]?["p50Ms"]?.doubleValue != nil)
                // verify --since read exactly the events appended after the checkpoint.
                #expect(run["verifySinceEntries"]?.int64Value == d["eventsSinceCheckpoint"]?.int64Value, "scenario \(id) \(side)")
            }
        }
        // Scenarios 18–20: both ledgers took the same appends; only one kept its tree.
        for id in Int64(18)...20 {
            let d = try #require(scenarios.first { $0["id"]?.int64Value == id }?["details"])
            #expect(d["tree"]?["events"]?.int64Value == d["noTree"]?["events"]?.int64Value, "scenario \(id)")
            #expect((d["treeNodes"]?["noTree"]?.int64Value ?? -1) == 0, "scenario \(id): the trigger was disabled")
        }
        #expect(scenarios.first { $0["id"]?.int64Value == 20 }?["details"]?["writers"]?.int64Value == 4)
        // Scenario 21: report session and verify alone, on the same ledger.
        let s21 = try #require(scenarios.first { $0["id"]?.int64Value == 21 }?["details"])
        #expect(s21["verifyRunsMs"]?.arrayValue?.isEmpty == false && s21["reportRunsMs"]?.arrayValue?.isEmpty == false)

        // The same document was written under --out, and the databases are gone.
        let file = try #require(doc["file"]?.stringValue)
        #expect(file.hasPrefix(dir.path) && file.hasSuffix("-quick.json"))
        let written = try JSONParser.parse(String(contentsOfFile: file, encoding: .utf8))
        #expect(written["scenarios"]?.arrayValue?.count == 22)
        let prefix = try #require(doc["databasePrefix"]?.stringValue)
        #expect(prefix.hasPrefix("bench_"))
        let left = try databases(server)
        #expect(!left.contains { $0.hasPrefix(prefix) }, "bench databases left behind: \(left)")
    }

    /// The databases on the server (through a throwaway database's superuser connection).
    private func databases(_ server: String) throws -> [String] {
        let db = try TestDatabase.create()
        defer { db.drop() }
        return try db.superuserQuery("SELECT datname FROM pg_database").compactMap { $0 }
    }
}
