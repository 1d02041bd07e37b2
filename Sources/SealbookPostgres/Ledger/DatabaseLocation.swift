public import Foundation

/// Where the ledger database is, by the documented order: `--database-url`, then
/// `SEALBOOK_DATABASE_URL`, then libpq's own `PG*` variables, then the embedded local cluster.
public enum DatabaseLocation: Sendable, Equatable {
    case url(String, source: String)
    case libpqEnvironment
    case embedded(home: URL)

    /// libpq variables that name a server (any one of them selects libpq's environment).
    public static let libpqVariables = ["PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"]

    /// Resolves the location from an explicit URL and the environment.
    public static func resolve(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> DatabaseLocation
    {
        if let explicit, !explicit.isEmpty { return .url(explicit, source: "--database-url") }
        if let env = environment["SEALBOOK_DATABASE_URL"], !env.isEmpty { return .url(env, source: "SEALBOOK_DATABASE_URL") }
        if libpqVariables.contains(where: { environment[$0].map { !$0.isEmpty } ?? false }) { return .libpqEnvironment }
        return .embedded(home: EmbeddedCluster.defaultHome(environment: environment))
    }

    /// A connection string, starting the embedded cluster first when that is the location.
    public func conninfo(log: (String) -> Void = { _ in }) throws -> String {
        switch self {
        case .url(let u, _): return u
        case .libpqEnvironment: return ""
        case .embedded(let home): return try EmbeddedCluster(home: home).start(log: log)
        }
    }

    /// A description safe to print (no password).
    public var summary: String {
        switch self {
        case .url(_, let source): "the database named by \(source)"
        case .libpqEnvironment: "the database named by libpq's PG* variables"
        case .embedded(let home): "the embedded local cluster in \(home.path)"
        }
    }
}
