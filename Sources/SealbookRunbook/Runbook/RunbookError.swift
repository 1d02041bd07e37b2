/// Why a runbook file could not be loaded: the file, and for each problem the JSON path and the
/// rule it breaks.
///
/// ```
/// fingood.json: checklists.critical.items[2].threshold.op: must be one of <, <=, >, >=, ==
/// ```
///
/// Structural problems are all collected before the error is thrown, so one run of the loader
/// lists every mistake in the file, in the order they were found (document order, except that
/// cross-checks such as unrecorded environment variables come last).
public struct RunbookError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, broadly.
    public enum Kind: Sendable, Equatable {
        /// The file could not be read (missing, a directory, no permission).
        case unreadable
        /// The bytes are not one strict RFC 8259 JSON text (see `JSONParser`).
        case invalidJSON
        /// The JSON does not describe a valid runbook (see ``problems``).
        case invalidRunbook
    }

    /// One broken rule at one place in the file.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        /// The JSON path of the offending member, e.g. `checklists.critical.items[2].threshold.op`;
        /// empty for the document as a whole.
        public let path: String
        /// The rule, e.g. `must be one of <, <=, >, >=, ==`.
        public let rule: String

        /// A problem at `path` breaking `rule`.
        public init(path: String, rule: String) {
            self.path = path
            self.rule = rule
        }

        /// `<path>: <rule>`, or just the rule for the whole document.
        public var description: String { path.isEmpty ? rule : "\(path): \(rule)" }
    }

    /// The file as the caller named it (a path, or the source given to
    /// ``Runbook/load(json:source:)``).
    public let source: String
    /// The broad kind of failure.
    public let kind: Kind
    /// Every problem found; at least one.
    public let problems: [Problem]

    /// An error in `source` with the given problems (at least one).
    public init(source: String, kind: Kind, problems: [Problem]) {
        precondition(!problems.isEmpty, "RunbookError needs at least one problem")
        self.source = source
        self.kind = kind
        self.problems = problems
    }

    /// The path of the first problem.
    public var path: String { problems[0].path }
    /// The rule of the first problem.
    public var rule: String { problems[0].rule }

    /// One line per problem: `<source>: <path>: <rule>`.
    public var description: String {
        problems.map { "\(source): \($0)" }.joined(separator: "\n")
    }
}
