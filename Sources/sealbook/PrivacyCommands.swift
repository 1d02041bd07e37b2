import ArgumentParser
import SealbookCore
import SealbookKit

/// `sealbook erase`: GDPR Art. 17 against an immutable log, by crypto-shredding (docs/FORMAT.md §13).
struct Erase: SealbookCommand {
    static let configuration = CommandConfiguration(
        abstract: "Erase a data key: every field sealed under it becomes unreadable; the log still verifies.",
        discussion: """
            Appends a signed data.erased event (stream privacy) with a key holding role
            privacy-officer; the database deletes the data key in the same transaction, and then
            (when this login owns the table) rewrites the key table so that the key's bytes leave
            its files too. Afterwards every report shows the sealed fields as "[erased at seq N]";
            verify, proofs, checkpoints and bundles verify as before. Bundles and data-key files
            exported before the erasure still open the fields: they are the auditor's copies.
            The reason is recorded in clear: name the request (a ticket), never the person.

            Example:
              sealbook data-keys --stream session/2024_01_15_add_fee_index/01HZX3
              sealbook erase --data-key dk:5d41402abc4b2a76b9719d911017c592 \\
                --reason "Erasure request DSR-2026-0113 (GDPR Art. 17)" --key privacy.key
            """)
    @Option(
        name: [.customLong("data-key"), .customLong("key-id")],
        help: ArgumentHelp("The data key id to erase (dk:…; --key-id is the same option).", valueName: "id"))
    var dataKey: String
    @Option(help: ArgumentHelp("Why (recorded in clear in the log: a request id, not personal data).", valueName: "text"))
    var reason: String
    @Option(help: ArgumentHelp("Signing key file of a privacy officer (default: $SEALBOOK_KEY).", valueName: "file"))
    var key: String?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func perform(_ o: Output) throws {
        let signer = try loadSigningKey(key)
        let r = try database.ledger(o).erase(dataKey: dataKey, reason: reason, signer: signer)
        o.line("erased data key \(r.dataKey) of stream \(r.stream) at seq \(r.append.seq)")
        if !r.compacted {
            o.line(
                "note: this login does not own sealbook.data_keys, so the erased key's bytes may remain in the table's free space until its owner runs VACUUM (FULL) sealbook.data_keys"
            )
        }
        o.result(
            .obj([
                ("ok", true), ("seq", .int(r.append.seq)), ("dataKey", .string(r.dataKey)), ("stream", .string(r.stream)),
                ("chainHash", .string(r.append.chainHash.hex)), ("compacted", .bool(r.compacted)),
            ]))
    }
}

/// `sealbook data-keys`: which data keys the ledger holds (never the keys themselves).
struct DataKeys: SealbookCommand {
    static let configuration = CommandConfiguration(
        commandName: "data-keys",
        abstract: "List the data keys of sealed fields: id, stream, creation time; and the erased ones.",
        discussion: """
            Prints ids only, never key bytes. Erased keys are listed with the seq of their
            data.erased event.

            Example:
              sealbook data-keys --stream session/2024_01_15_add_fee_index/01HZX3 --json
            """)
    @Option(help: ArgumentHelp("Only this stream's keys.", valueName: "stream")) var stream: String?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func perform(_ o: Output) throws {
        let store = try database.open(o)
        guard try store.hasDataKeyTable() else {
            throw CLIError(.notInitialized, "this ledger has no data key table yet: run sealbook init to upgrade its schema")
        }
        let keys = try store.dataKeys(stream: stream)
        let erased = try store.erasures().sorted { $0.value < $1.value }
        for k in keys { o.line("\(k.id)  \(k.stream)  created \(k.createdAt)") }
        for (id, seq) in erased { o.line("\(id)  erased at seq \(seq)") }
        if keys.isEmpty && erased.isEmpty { o.line("no data keys") }
        o.result(
            .obj([
                ("ok", true),
                (
                    "dataKeys",
                    .array(
                        keys.map {
                            .obj([("dataKey", .string($0.id)), ("stream", .string($0.stream)), ("createdAt", .string($0.createdAt))])
                        })
                ),
                ("erased", .array(erased.map { .obj([("dataKey", .string($0.key)), ("seq", .int($0.value))]) })),
            ]))
    }
}
