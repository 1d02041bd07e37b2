import ArgumentParser
import Foundation
import SealbookCore
import SealbookKit
import SealbookPostgres

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate, enrol, revoke and list signing keys.",
        subcommands: [Generate.self, Enroll.self, Revoke.self, List.self, Vkey.self])

    struct Generate: SealbookCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a new Ed25519 key file (mode 0600); prints the public key and key id, never the secret.",
            discussion: """
                The actor is a pseudonymous id (alice@fingood), never a person's name or e-mail: \
                the log is immutable, personal data stays out of it.

                Example:
                  sealbook keys generate --actor alice@fingood --out alice.key
                """)
        @Option(help: ArgumentHelp("Pseudonymous actor id, e.g. alice@fingood.", valueName: "actor")) var actor: String
        @Option(help: ArgumentHelp("Where to write the key file (must not exist).", valueName: "file")) var out: String
        @OptionGroup var output: OutputOptions

        func perform(_ o: Output) throws {
            let k = try KeyFile.generate(actor: actor, path: out)
            o.line("wrote \(out) (mode 0600)")
            o.line("actor      \(k.actor)")
            o.line("key id     \(k.keyID)")
            o.line("public key \(k.privateKey.publicKey.base64)")
            o.result(
                .obj([
                    ("ok", true), ("file", .string(out)), ("actor", .string(k.actor)), ("key", .string(k.keyID)),
                    ("publicKey", .string(k.privateKey.publicKey.base64)),
                ]))
        }
    }

    struct Enroll: SealbookCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enrol a public key for an actor with roles (signed by an admin key).",
            discussion: """
                Roles: admin, operator, approver, incident-commander, auditor, pipeline, log, privacy-officer.

                Example:
                  sealbook keys enroll --public-key 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo= \\
                    --actor alice@fingood --role operator --key root.key
                """)
        @Option(name: .customLong("public-key"), help: ArgumentHelp("The key's public key (base64).", valueName: "base64"))
        var publicKey: String
        @Option(help: ArgumentHelp("The actor the key belongs to.", valueName: "actor")) var actor: String
        @Option(name: .customLong("role"), help: ArgumentHelp("A role (repeat for several).", valueName: "role"))
        var roles: [Role] = []
        @Option(help: ArgumentHelp("Admin signing key file (default: $SEALBOOK_KEY).", valueName: "file")) var key: String?
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func perform(_ o: Output) throws {
            let pk: Ed25519.PublicKey
            do { pk = try Ed25519.PublicKey(base64: publicKey) } catch {
                throw CLIError(.usage, "--public-key must be a 32-byte Ed25519 public key in standard base64")
            }
            // The key and the actor are checked by Ledger.enroll (a small-order key, an e-mail address).
            guard !roles.isEmpty else { throw CLIError(.usage, "give at least one --role") }
            let signer = try loadSigningKey(key)
            let r = try database.ledger(o).enroll(publicKey: pk, actor: actor, roles: roles, signer: signer)
            let names = roles.map(\.rawValue)
            o.line("enrolled \(pk.keyID) for \(actor) with roles \(names.joined(separator: ", ")) at seq \(r.seq)")
            o.result(
                .obj([
                    ("ok", true), ("seq", .int(r.seq)), ("key", .string(pk.keyID)), ("actor", .string(actor)),
                    ("roles", .array(names.map { .string($0) })), ("chainHash", .string(r.chainHash.hex)),
                ]))
        }
    }

    struct Revoke: SealbookCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a key (signed by an admin key); events it signs afterwards are refused.",
            discussion: """
                Example:
                  sealbook keys revoke ed25519:3b6a27bcceb6a42d --reason "laptop lost" --key root.key
                """)
        @Argument(help: ArgumentHelp("The key id to revoke.", valueName: "key-id")) var keyID: String
        @Option(help: ArgumentHelp("Why (recorded in the log).", valueName: "text")) var reason: String
        @Option(help: ArgumentHelp("Admin signing key file (default: $SEALBOOK_KEY).", valueName: "file")) var key: String?
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func perform(_ o: Output) throws {
            guard FormatV1.isValidKeyID(keyID) else {
                throw CLIError(.usage, "\(keyID) is not a key id (ed25519: followed by 16 lowercase hex digits)")
            }
            let signer = try loadSigningKey(key)
            let r = try database.ledger(o).revoke(keyID: keyID, reason: reason, signer: signer)
            o.line("revoked \(keyID) at seq \(r.seq)")
            o.result(.obj([("ok", true), ("seq", .int(r.seq)), ("key", .string(keyID)), ("chainHash", .string(r.chainHash.hex))]))
        }
    }

    struct List: SealbookCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the ledger's keys with their actors, roles and status.",
            discussion: """
                Example:
                  sealbook keys list --json
                """)
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func perform(_ o: Output) throws {
            let store = try database.open(o)
            let keys = try store.keys()
            for k in keys {
                let status = k.revokedSeq.map { "revoked at seq \($0)" } ?? "active"
                o.line("\(k.keyID)  \(k.actor)  [\(k.roles.joined(separator: ","))]  enrolled at seq \(k.enrolledSeq)\(k.isRoot ? " (root)" : "")  \(status)")
            }
            if keys.isEmpty { o.line("no keys: the ledger is not initialized") }
            o.result(
                .obj([
                    ("ok", true),
                    (
                        "keys",
                        .array(
                            keys.map { k in
                                .obj([
                                    ("key", .string(k.keyID)), ("publicKey", .string(k.publicKey)), ("actor", .string(k.actor)),
                                    ("roles", .array(k.roles.map { .string($0) })), ("enrolledSeq", .int(k.enrolledSeq)),
                                    ("revokedSeq", k.revokedSeq.map { .int($0) } ?? .null), ("root", .bool(k.isRoot)),
                                ])
                            })
                    ),
                ]))
        }
    }

    struct Vkey: SealbookCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a key's C2SP verifier key (vkey): what witnesses and auditors configure to check checkpoints.",
            discussion: """
                The form is <name>+<hex key ID>+<base64(0x01 || public key)> (c2sp.org/signed-note). \
                For the log key the name is the ledger's checkpoint origin, read from the database; \
                give --name for another key (a witness's vkey is printed by sealbook witness keygen).

                Example:
                  sealbook keys vkey --key log.key
                """)
        @Option(help: ArgumentHelp("The key file (default: $SEALBOOK_KEY).", valueName: "file")) var key: String?
        @Option(help: ArgumentHelp("The key's name (default: the ledger's origin).", valueName: "name")) var name: String?
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func perform(_ o: Output) throws {
            let k = try loadSigningKey(key)
            let n = try name ?? database.ledger(o).origin()
            let v: NoteVerifier
            do { v = try NoteVerifier(name: n, publicKey: k.privateKey.publicKey) } catch {
                throw CLIError(.usage, "--name: \(error)")
            }
            o.line(v.vkey)
            o.result(.obj([("ok", true), ("name", .string(n)), ("key", .string(k.keyID)), ("vkey", .string(v.vkey))]))
        }
    }
}
