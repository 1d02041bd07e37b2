// The data files the sealbook binary carries, so that it works wherever it is installed:
// schemas/postgres/*.sql, schemas/events/*.json, schemas/runbooks/*.json,
// schemas/controls/*.json, schemas/target/*.sql and reports/*.mustache. The EmbedFiles build
// plugin (Plugins/EmbedFiles) compiles them into this module on every build; the files in the
// repository are the only copy, and a file added to one of those directories is carried
// without any other change.

/// One embedded file.
public struct EmbeddedFile: Sendable, Hashable {
    /// The path relative to the repository root, e.g. `schemas/postgres/0001_ledger.sql`.
    public let path: String
    /// The file's exact content.
    public let text: String

    /// The file name: the path's last component.
    public var name: String { String(path[(path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex)...]) }

    /// The file's exact bytes.
    public var bytes: [UInt8] { Array(text.utf8) }

    /// The content without its final newline, if it has one.
    public var textWithoutFinalNewline: String { text.hasSuffix("\n") ? String(text.dropLast()) : text }
}

/// The embedded files.
public enum EmbeddedFiles {
    /// Every embedded file, sorted by path.
    public static let all: [EmbeddedFile] = embeddedFileTable.map { EmbeddedFile(path: $0.path, text: $0.text) }
        .sorted { $0.path < $1.path }

    /// The file at `path` (relative to the repository root), or `nil`.
    public static func file(_ path: String) -> EmbeddedFile? { all.first { $0.path == path } }

    /// The files directly in `directory` (e.g. `schemas/events`), sorted by path.
    public static func files(in directory: String) -> [EmbeddedFile] {
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        return all.filter { $0.path.hasPrefix(prefix) && !$0.path.dropFirst(prefix.count).contains("/") }
    }
}
