internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// A signing key on disk: a JSON file, mode 0600, created exclusively (never overwritten).
///
/// ```json
/// {"sealbook":"secret-key/1","actor":"alice@fingood","key":"ed25519:…","publicKey":"<base64>","seed":"<base64>"}
/// ```
/// `seed` is the 32-byte RFC 8032 private key. Files readable by group or others are refused,
/// as ssh refuses them.
public struct KeyFile: Sendable {
    public static let tag = "secret-key/1"
    public let actor: String
    public let privateKey: Ed25519.PrivateKey

    public init(actor: String, privateKey: Ed25519.PrivateKey) {
        self.actor = actor
        self.privateKey = privateKey
    }

    public var keyID: String { privateKey.publicKey.keyID }

    /// Generates a key for `actor` and writes it to `path` with mode 0600. Refuses an existing
    /// file, and an actor id that is not pseudonymous (``ActorPolicy``).
    public static func generate(actor: String, path: String) throws(KeyFileError) -> KeyFile {
        try ActorPolicy.check(actor)
        let file = KeyFile(actor: actor, privateKey: Ed25519.PrivateKey())
        try file.write(to: path)
        return file
    }

    /// Writes the key once, owner-only (``SecretFile/create(_:bytes:)``: `O_EXCL`, `O_NOFOLLOW`, 0600).
    public func write(to path: String) throws(KeyFileError) {
        var text = privateKey.withUnsafeSeed { seed in
            Array(
                ("{\"sealbook\":\"\(Self.tag)\",\"actor\":\"\(actor)\",\"key\":\"\(keyID)\",\"publicKey\":\"\(privateKey.publicKey.base64)\",\"seed\":\""
                    + Base64.encode(seed) + "\"}\n").utf8)
        }
        defer { for i in text.indices { text[i] = 0 } }
        do { try SecretFile.create(path, bytes: text) } catch { throw .from(error, path) }
    }

    /// Reads and checks a key file: mode, JSON shape, and that the seed gives the recorded public key.
    public static func read(path: String) throws(KeyFileError) -> KeyFile {
        var data: [UInt8]
        do { data = try SecretFile.read(path, what: "key file", limit: 4096) } catch {
            if case .tooLarge = error { throw .malformed(path, "not a Sealbook secret key file (\(tag))") }
            throw .from(error, path)
        }
        defer { for i in data.indices { data[i] = 0 } }
        guard data.count < 4096, let v = try? JSONParser.parse(data), case .object(let o) = v,
            o["sealbook"]?.stringValue == tag
        else { throw .malformed(path, "not a Sealbook secret key file (\(tag))") }
        guard let actor = o["actor"]?.stringValue, FormatV1.isValidActor(actor) else {
            throw .malformed(path, "actor is missing or not a valid actor id")
        }
        guard var seed = o["seed"]?.stringValue.flatMap(Base64.decode), seed.count == 32 else {
            throw .malformed(path, "seed must be 32 bytes of base64")
        }
        defer { for i in seed.indices { seed[i] = 0 } }
        let key: Ed25519.PrivateKey
        do { key = try Ed25519.PrivateKey(seed: seed) } catch { throw .malformed(path, "\(error)") }
        guard o["publicKey"]?.stringValue == key.publicKey.base64, o["key"]?.stringValue == key.publicKey.keyID else {
            throw .malformed(path, "publicKey or key does not match the seed (the file was edited or damaged)")
        }
        return KeyFile(actor: actor, privateKey: key)
    }
}

/// Actors are pseudonymous ids (README, "Rules for event data"): the log is
/// immutable and must hold no personal data. Beyond the format's grammar (`FormatV1.isValidActor`),
/// a new actor id is refused when
/// - its `@org` part holds a dot (`alice@example.com`, `a@mail.fingood.io`): that is an e-mail
///   address or a domain, not a pseudonymous organisation id like `fingood`;
/// - it holds a probable payment card number (``CardNumberGuard``).
///
/// Checked where an actor enters the ledger: `keys generate`, `keys enroll` and `init`'s root key.
/// Personal names are not detected (no rule tells `dba-alice` from `alice-smith`): keep the map
/// from actor ids to people outside the ledger.
public enum ActorPolicy {
    public static func check(_ actor: String) throws(KeyFileError) {
        guard FormatV1.isValidActor(actor) else { throw .invalidActor(actor) }
        if let at = actor.firstIndex(of: "@"), actor[at...].contains(".") {
            throw .personalActor(
                actor,
                "its @org part holds a dot, so it reads as an e-mail address or a domain; use a pseudonymous id like dba-alice@fingood (no dot after the @)")
        }
        if CardNumberGuard.containsProbableCardNumber(actor) {
            throw .personalActor("(not shown)", "it holds what looks like a payment card number")
        }
    }
}

/// Problems with a key file. Messages name the file, never its content.
public enum KeyFileError: Error, Sendable, Equatable, CustomStringConvertible {
    case missing(String)
    case unreadable(String, String)
    case tooOpen(String, mode: UInt32)
    case malformed(String, String)
    case exists(String)
    case cannotWrite(String, String)
    case invalidActor(String)
    /// A valid actor id that is not pseudonymous (``ActorPolicy``): the id and why.
    case personalActor(String, String)

    public var description: String {
        switch self {
        case .missing(let p): "key file \(p) does not exist"
        case .unreadable(let p, let why): "cannot read key file \(p): \(why)"
        case .tooOpen(let p, let mode):
            "key file \(p) is readable by others (mode \(String(mode, radix: 8))); run: chmod 600 \(p)"
        case .malformed(let p, let why): "key file \(p) is not valid: \(why)"
        case .exists(let p): "\(p) already exists; Sealbook never overwrites a key file"
        case .cannotWrite(let p, let why): "cannot write key file \(p): \(why)"
        case .personalActor(let a, let why):
            "actor \"\(a)\" is refused: \(why). Actors are pseudonymous: the log is immutable and must hold no personal data"
        case .invalidActor(let a):
            "actor \"\(a)\" is not a valid actor id: use a pseudonymous id like alice@fingood ([a-z0-9][a-z0-9._-]* with an optional @org)"
        }
    }
}

extension KeyFileError: SecretFileErrors {}
