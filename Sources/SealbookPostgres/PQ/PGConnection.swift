internal import CLibPQ

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// One PostgreSQL connection over libpq; owns its `PGconn*` and closes it with `PQfinish` in
/// `deinit` (and at once when connecting fails).
///
/// Like GRDB's `Database`, this type is not `Sendable` and does no locking: use it from one
/// task at a time, and hand it out only inside closures. Every statement is synchronous and
/// blocks the calling thread until the server answers.
///
/// Server notices (`NOTICE`, `WARNING`) are discarded instead of being printed to standard
/// error by libpq.
package final class PGConnection {
    /// The owned libpq connection; never escapes this object.
    private let handle: OpaquePointer

    /// Connects with `PQconnectdbParams`, then sets the client encoding to UTF-8 with
    /// `PQsetClientEncoding`.
    ///
    /// `conninfo` is anything `PQconnectdb` accepts: a `postgresql://` / `postgres://` URL, a
    /// `key=value …` string, or the empty string for libpq's defaults and `PG*` environment
    /// variables. If neither `conninfo` nor `PGCONNECT_TIMEOUT` gives a `connect_timeout`, it
    /// defaults to 10 seconds (passed as a separate keyword ahead of the expanded `conninfo`,
    /// so the caller's string is never rewritten and its own value wins).
    ///
    /// - Throws: ``PGError`` of kind ``PGError/Kind/connectionFailed``, whose text is libpq's
    ///   message (host and port included) with every spelling of the password removed.
    package init(conninfo: String) throws(PGError) {
        var secrets = Redaction.passwordCandidates(in: conninfo)
        if let env = getenv("PGPASSWORD") { secrets.append(String(cString: env)) }

        // Check the syntax first (`PQconninfoParse`), and learn the password the way libpq reads it.
        var parseError: UnsafeMutablePointer<CChar>? = nil
        guard let options = PQconninfoParse(conninfo, &parseError) else {
            let text = parseError.map { String(cString: $0) } ?? "out of memory"
            if let parseError { PQfreemem(parseError) }
            throw Self.connectionError("invalid connection string: " + text, secrets: secrets)
        }
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword).hasSuffix("password"), let value = option.pointee.val {
                secrets.append(String(cString: value))
            }
            option += 1
        }
        PQconninfoFree(options)

        var keywords = ["dbname"]
        var values = [conninfo]
        if getenv("PGCONNECT_TIMEOUT") == nil {
            // Ahead of the expanded dbname, so a connect_timeout inside conninfo overrides it.
            keywords.insert("connect_timeout", at: 0)
            values.insert("10", at: 0)
        }
        let connection = Self.withCStringArray(keywords) { keywords in
            Self.withCStringArray(values) { values in
                PQconnectdbParams(keywords, values, 1)  // expand_dbname: conninfo is a full string
            }
        }
        guard let connection else {
            throw PGError(kind: .connectionFailed, message: "libpq could not allocate a connection (out of memory)")
        }
        if let used = PQpass(connection) { secrets.append(String(cString: used)) }
        guard PQstatus(connection) == CONNECTION_OK else {
            let text = String(cString: PQerrorMessage(connection))
            PQfinish(connection)
            throw Self.connectionError(text, secrets: secrets)
        }
        guard PQsetClientEncoding(connection, "UTF8") == 0 else {
            let text = String(cString: PQerrorMessage(connection))
            PQfinish(connection)
            throw Self.connectionError("could not set client_encoding to UTF8: " + text, secrets: secrets)
        }
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        self.handle = connection
    }

    deinit {
        PQfinish(handle)
    }

    /// The server's version as a number, e.g. `150018` for 15.18 (`PQserverVersion`).
    package var serverVersion: Int { Int(PQserverVersion(handle)) }

    /// The process ID of the server backend serving this connection (`PQbackendPID`).
    package var backendPID: Int32 { PQbackendPID(handle) }

    /// Whether a transaction is open, failed or not (`PQtransactionStatus` is not
    /// `PQTRANS_IDLE`).
    package var isInTransaction: Bool {
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    /// Whether the connection is still usable (`PQstatus` is `CONNECTION_OK`).
    package var isConnected: Bool { PQstatus(handle) == CONNECTION_OK }

    // MARK: - Statements

    /// Runs one statement with bound parameters (`PQexecParams`) and returns its rows.
    ///
    /// - Parameter resultFormat: the wire format of every result column.
    /// - Throws: ``PGError``: ``PGError/Kind/queryFailed`` with the server's SQLSTATE and
    ///   fields, ``PGError/Kind/connectionLost`` if the connection broke.
    package func query(_ q: PGQuery, resultFormat: PGFormat = .text) throws(PGError) -> PGResult {
        PGResult(owning: try run(q, resultFormat: resultFormat))
    }

    /// Runs one statement with bound parameters (`PQexecParams`) and discards its result.
    package func execute(_ q: PGQuery) throws(PGError) {
        PQclear(try run(q, resultFormat: .text))
    }

    /// Runs several `;`-separated statements without parameters (`PQexec`), e.g. a migration
    /// file. Unless the script has its own `BEGIN`/`COMMIT`, the server runs it as one
    /// transaction and stops at the first error. Never build `unsafeSQL` from untrusted text.
    package func executeScript(unsafeSQL: String) throws(PGError) {
        guard !unsafeSQL.utf8.contains(0) else {
            throw PGError(kind: .queryFailed, sqlState: "22021", message: "the SQL script contains a NUL byte")
        }
        PQclear(try check(PQexec(handle, unsafeSQL), boundTexts: []))
    }

    /// Runs `body` inside `BEGIN` … `COMMIT` and returns its value.
    ///
    /// If `body` throws, the transaction is rolled back (`ROLLBACK`; a failure to roll back is
    /// ignored) and the original error is rethrown. If a statement inside failed but `body`
    /// caught the error and returned, the server turns `COMMIT` into a rollback: that is
    /// reported as a ``PGError`` with SQLSTATE `25P02` (in failed SQL transaction).
    /// Transactions do not nest: calling this inside an open transaction is a programmer error.
    package func transaction<T>(_ body: (PGConnection) throws -> T) throws -> T {
        precondition(!isInTransaction, "PGConnection.transaction: a transaction is already open; transactions do not nest")
        try execute("BEGIN")
        let value: T
        do {
            value = try body(self)
        } catch {
            if isConnected { try? execute("ROLLBACK") }
            throw error
        }
        let commit = try query("COMMIT")
        if commit.commandTag == "ROLLBACK" {
            throw PGError(
                kind: .queryFailed, sqlState: "25P02",
                message: "the transaction was rolled back instead of committed, because a statement in it failed",
                hint: "Let the error of the failed statement propagate out of the transaction body.")
        }
        return value
    }

    // MARK: - LISTEN / NOTIFY

    /// Starts listening on `channel` (`LISTEN "channel"`, through `PQexecParams`).
    package func listen(channel: String) throws(PGError) {
        try execute("LISTEN \(identifier: channel)")
    }

    /// Stops listening on `channel` (`UNLISTEN "channel"`).
    package func unlisten(channel: String) throws(PGError) {
        try execute("UNLISTEN \(identifier: channel)")
    }

    /// Sends a notification (`SELECT pg_notify($1, $2)`); it is delivered when the current
    /// transaction commits.
    package func notify(channel: String, payload: String = "") throws(PGError) {
        try execute("SELECT pg_notify(\(channel), \(payload))")
    }

    /// Returns the notifications received for the channels this connection listens on,
    /// waiting up to `timeout` for the first one; empty if none arrived in time, or if a
    /// signal interrupted the wait (so that a caller can look at a stop flag).
    ///
    /// Reads with `PQconsumeInput` and `PQnotifies`, and waits with `poll` on `PQsocket`.
    package func notifications(timeout: Duration) throws(PGError) -> [PGNotification] {
        let deadline = ContinuousClock.now + timeout
        while true {
            guard PQconsumeInput(handle) == 1 else { throw connectionError() }
            let received = drainNotifications()
            if !received.isEmpty { return received }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { return [] }
            let (seconds, attoseconds) = remaining.components
            let milliseconds = min(seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000, Int64(Int32.max))
            let socket = PQsocket(handle)
            guard socket >= 0 else { throw connectionError() }
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(milliseconds))
            if ready < 0 {
                guard errno == EINTR else {
                    throw PGError(kind: .connectionLost, message: "poll on the connection's socket failed (errno \(errno))")
                }
                guard PQconsumeInput(handle) == 1 else { throw connectionError() }
                return drainNotifications()
            }
        }
    }

    private func drainNotifications() -> [PGNotification] {
        var received: [PGNotification] = []
        while let notify = PQnotifies(handle) {
            received.append(
                PGNotification(
                    channel: String(cString: notify.pointee.relname),
                    payload: notify.pointee.extra.map { String(cString: $0) } ?? "",
                    backendPID: notify.pointee.be_pid))
            PQfreemem(notify)
        }
        return received
    }

    // MARK: - Internals

    /// `PQexecParams` with the query's parameters laid out in one buffer that outlives the call.
    private func run(_ q: PGQuery, resultFormat: PGFormat) throws(PGError) -> OpaquePointer {
        guard !q.sql.utf8.contains(0) else {
            throw PGError(kind: .queryFailed, sqlState: "22021", message: "the SQL text contains a NUL byte")
        }
        guard q.binds.count <= 65535 else {
            throw PGError(
                kind: .queryFailed, sqlState: "54000", message: "a statement takes at most 65535 parameters, not \(q.binds.count)")
        }
        var storage: [UInt8] = []
        var offsets: [Int?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        var types: [Oid] = []
        var boundTexts: [String?] = []
        for (index, bind) in q.binds.enumerated() {
            types.append(bind.typeOID)
            switch bind.value {
            case .null:
                offsets.append(nil)
                lengths.append(0)
                formats.append(0)
                boundTexts.append(nil)
            case .text(let text):
                guard !text.utf8.contains(0) else {
                    throw PGError(
                        kind: .queryFailed, sqlState: "22021",
                        message: "text parameter $\(index + 1) contains a NUL byte, which PostgreSQL text cannot hold",
                        hint: "Bind such data as bytes ([UInt8], bytea).")
                }
                offsets.append(storage.count)
                storage.append(contentsOf: text.utf8)
                storage.append(0)
                lengths.append(0)  // ignored for text parameters
                formats.append(0)
                boundTexts.append(text)
            case .binary(let bytes):
                guard bytes.count <= Int32.max else {
                    throw PGError(kind: .queryFailed, sqlState: "54000", message: "parameter $\(index + 1) is larger than 2 GiB")
                }
                offsets.append(storage.count)
                storage.append(contentsOf: bytes)
                lengths.append(Int32(bytes.count))
                formats.append(1)
                boundTexts.append(nil)
            }
        }
        storage.append(0)  // never empty, so an empty binary value still points at valid memory
        let result = storage.withUnsafeBytes { buffer -> OpaquePointer? in
            let base = buffer.baseAddress!
            let values: [UnsafePointer<CChar>?] = offsets.map { offset in
                offset.map { (base + $0).assumingMemoryBound(to: CChar.self) }
            }
            return PQexecParams(
                handle, q.sql, Int32(q.binds.count), types, values, lengths, formats,
                resultFormat == .binary ? 1 : 0)
        }
        return try check(result, boundTexts: boundTexts)
    }

    /// Returns a successful result, or frees it and throws the error it carries
    /// (`PQresultStatus`, `PQresultErrorField`).
    private func check(_ result: OpaquePointer?, boundTexts: [String?]) throws(PGError) -> OpaquePointer {
        guard let result else { throw connectionError(boundTexts: boundTexts) }
        let status = PQresultStatus(result)
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return result
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            PQclear(result)
            abandonCopy(status)
            throw PGError(kind: .protocolError, message: "COPY is not supported by this connection wrapper; the COPY was aborted")
        default:
            defer { PQclear(result) }
            func field(_ code: Int32) -> String? {
                PQresultErrorField(result, code).map { String(cString: $0) }
            }
            let kind: PGError.Kind =
                PQstatus(handle) == CONNECTION_BAD
                ? .connectionLost
                : status == PGRES_BAD_RESPONSE ? .protocolError : .queryFailed
            let message =
                field(SB_PG_DIAG_MESSAGE_PRIMARY)
                ?? Self.trimmed(String(cString: PQresultErrorMessage(result))).nonEmpty
                ?? Self.trimmed(String(cString: PQerrorMessage(handle))).nonEmpty
                ?? "statement failed (\(String(cString: PQresStatus(status))))"
            throw PGError(
                kind: kind, sqlState: field(SB_PG_DIAG_SQLSTATE), message: message,
                detail: field(SB_PG_DIAG_MESSAGE_DETAIL), hint: field(SB_PG_DIAG_MESSAGE_HINT),
                constraint: field(SB_PG_DIAG_CONSTRAINT_NAME), boundTexts: boundTexts)
        }
    }

    /// Ends a COPY started by a statement, so the connection is usable again.
    private func abandonCopy(_ status: ExecStatusType) {
        if status == PGRES_COPY_IN {
            _ = PQputCopyEnd(handle, "COPY FROM STDIN is not supported here")
        } else if status == PGRES_COPY_OUT {
            while true {
                var buffer: UnsafeMutablePointer<CChar>? = nil
                let count = PQgetCopyData(handle, &buffer, 0)
                if let buffer { PQfreemem(buffer) }
                if count < 0 { break }
            }
        } else {
            return  // COPY BOTH (replication): nothing sensible to do
        }
        while let leftover = PQgetResult(handle) { PQclear(leftover) }
    }

    /// An error from `PQerrorMessage`, when libpq gave no result at all.
    private func connectionError(boundTexts: [String?] = []) -> PGError {
        let text = Self.trimmed(String(cString: PQerrorMessage(handle)))
        return PGError(
            kind: PQstatus(handle) == CONNECTION_BAD ? .connectionLost : .queryFailed,
            message: text.isEmpty ? "libpq returned no result" : text, boundTexts: boundTexts)
    }

    /// A ``PGError/Kind/connectionFailed`` from libpq's text: the first line is the message,
    /// the rest (often a hint such as "Is the server running on that host…?") the detail.
    private static func connectionError(_ text: String, secrets: [String]) -> PGError {
        let lines = Redaction.scrub(text, secrets: secrets)
            .split(separator: "\n").map { trimmed(String($0)) }.filter { !$0.isEmpty }
        return PGError(
            kind: .connectionFailed, message: lines.first ?? "could not connect to the server",
            detail: lines.count > 1 ? lines.dropFirst().joined(separator: "\n") : nil)
    }

    private static func trimmed(_ text: String) -> String {
        String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }

    /// Calls `body` with a NULL-terminated C array of C strings.
    private static func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        let copies = strings.map { strdup($0) }
        defer { for copy in copies { free(copy) } }
        let pointers = copies.map { UnsafePointer($0) } + [nil]
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

/// A notification received on a channel this connection listens on (libpq's `PGnotify`).
package struct PGNotification: Sendable, Equatable {
    /// The channel name.
    package let channel: String
    /// The payload, empty if none was given.
    package let payload: String
    /// The backend process that sent it.
    package let backendPID: Int32

    /// A notification; made by ``PGConnection/notifications(timeout:)`` from a `PGnotify`.
    package init(channel: String, payload: String, backendPID: Int32) {
        self.channel = channel
        self.payload = payload
        self.backendPID = backendPID
    }
}

@available(*, unavailable, message: "PGConnection is not thread-safe; give each task its own connection")
extension PGConnection: Sendable {}

extension String {
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}
