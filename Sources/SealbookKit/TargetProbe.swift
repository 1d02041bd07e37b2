internal import Foundation
public import SealbookCore
internal import SealbookPostgres
public import SealbookRunbook

/// The environmental measures of a target PostgreSQL server that `sealbook probe` records
/// (docs/RUNBOOK.md, "probe").
public struct TargetMeasures: Sendable {
    /// `database@address:port` of the target.
    public let server: String
    public let connections: Int64
    public let maxConnections: Int64
    /// Connections in use, in percent of `max_connections`, with two decimals.
    public let poolUsedPercent: String
    /// Replication lag in seconds (replay lag of the standbys on a primary, or this standby's own).
    public let replicationLagSeconds: String
    /// Active queries running for more than 5 minutes.
    public let longRunning: Int64
    /// Sessions waiting on a lock.
    public let blocked: Int64
    public let databaseSizeBytes: Int64

    /// Reads the measures from the server at `url` (a libpq URL, read-only queries).
    public static func measure(_ url: String) throws -> TargetMeasures {
        let c: PGConnection
        do { c = try PGConnection(conninfo: url) } catch { throw LedgerError.targetUnavailable("\(error)") }
        do {
            let r = try c.query(
                """
                SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),
                       current_setting('max_connections')::bigint,
                       CASE WHEN pg_is_in_recovery()
                            THEN coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)
                            ELSE coalesce((SELECT max(extract(epoch FROM replay_lag)) FROM pg_stat_replication), 0) END::numeric(12,3)::text,
                       (SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid()
                            AND now() - query_start > interval '5 minutes'),
                       (SELECT count(*) FROM pg_stat_activity WHERE cardinality(pg_blocking_pids(pid)) > 0),
                       pg_database_size(current_database()),
                       current_database() || '@' || coalesce(inet_server_addr()::text, 'local') || ':' || current_setting('port')
                """)
            let conns = r.int64(0, 0)!, maxConns = r.int64(0, 1)!
            let pct = Double(conns) * 100 / Double(max(1, maxConns))
            return TargetMeasures(
                server: r.string(0, 6)!, connections: conns, maxConnections: maxConns,
                poolUsedPercent: String(format: "%.2f", pct), replicationLagSeconds: r.string(0, 2)!,
                longRunning: r.int64(0, 3)!, blocked: r.int64(0, 4)!, databaseSizeBytes: r.int64(0, 5)!)
        } catch {
            throw LedgerError.targetError("\(error)")
        }
    }
}

extension Ledger {
    /// Records `measures` in `session`: the runbook's environmental items (pool usage,
    /// replication lag, database health) with their values and thresholds, and the database
    /// size as a monitoring observation. Returns what was recorded, in order.
    public func recordProbe(_ m: TargetMeasures, in session: SessionView, runbook rb: Runbook, key: KeyFile) throws
        -> [RecordedEvent]
    {
        var out: [RecordedEvent] = []
        let host = "target=\(m.server)"
        for (metric, value) in [("pool_used_percent", m.poolUsedPercent), ("replication_lag_seconds", m.replicationLagSeconds)] {
            if let item = rb.item(forMetric: metric) {
                let c = try recordCheck(
                    item: item.id, status: .pass, value: value, unit: item.threshold?.unit,
                    evidence: members([("source", .string("sealbook probe")), ("target", .string(host))]), in: session,
                    runbook: rb, key: key)
                out.append(c.recorded)
            }
        }
        if let health = rb.item(forMetric: "database_health") ?? rb.item("database-health") {
            // Its threshold counts open problems: the long-running and blocked queries found.
            let problems = m.longRunning + m.blocked
            let c = try recordCheck(
                item: health.id, status: problems == 0 ? .pass : .fail, value: health.threshold == nil ? nil : String(problems),
                unit: health.threshold?.unit,
                evidence: members([
                    ("longRunningQueries", .string(String(m.longRunning))), ("blockedQueries", .string(String(m.blocked))),
                    ("connections", .string("\(m.connections)/\(m.maxConnections)")), ("target", .string(host)),
                ]), in: session, runbook: rb, key: key)
            out.append(c.recorded)
        }
        let size = RunbookEvent.monitoringObservation(
            metric: "database_size_bytes", value: String(m.databaseSizeBytes), unit: "bytes", window: nil)
        out.append(RecordedEvent(type: size.type, result: try record(size, in: session, key: key)))
        return out
    }
}
