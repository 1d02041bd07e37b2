internal import SealbookCore

/// The streams the runbook domain writes, named in one place: a session's events are in
/// `session/<id>`, an incident's in `incident/<id>` (docs/EVENTS.md).
public enum StreamID {
    /// The prefix of every session stream.
    public static let sessionPrefix = "session/"
    /// The prefix of every incident stream.
    public static let incidentPrefix = "incident/"

    /// The stream of session `id`.
    public static func session(_ id: String) -> String { sessionPrefix + id }
    /// The stream of incident `id`.
    public static func incident(_ id: String) -> String { incidentPrefix + id }

    /// The session id of a session stream, or nil for any other stream.
    public static func sessionID(_ stream: String) -> String? {
        stream.hasPrefix(sessionPrefix) ? String(stream.dropFirst(sessionPrefix.count)) : nil
    }
    /// The incident id of an incident stream, or nil for any other stream.
    public static func incidentID(_ stream: String) -> String? {
        stream.hasPrefix(incidentPrefix) ? String(stream.dropFirst(incidentPrefix.count)) : nil
    }
    /// Whether `stream` is a session stream.
    public static func isSession(_ stream: String) -> Bool { stream.hasPrefix(sessionPrefix) }
    /// Whether `stream` is an incident stream.
    public static func isIncident(_ stream: String) -> Bool { stream.hasPrefix(incidentPrefix) }
}
