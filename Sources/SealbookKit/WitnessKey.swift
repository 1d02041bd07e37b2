public import SealbookCore
internal import Foundation
#if canImport(Glibc)
    internal import Glibc
#endif

/// A witness's signing key on disk (docs/FORMAT.md §12.4): one line of JSON, mode 0600,
/// created exclusively (never overwritten).
///
/// ```json
/// {"sealbook":"witness-key/1","name":"witness.example/w1","vkey":"witness.example/w1+<hex id>+<base64(0x04 || publicKey)>","seed":"<base64>"}
/// ```
/// The witness cosigns with `cosignature/v1` (c2sp.org/tlog-cosignature) under `name`; `vkey`
/// is its cosignature verifier key (type `0x04`), what verifiers configure with
/// `--witness-vkey`. Files readable by group or others are refused, as ssh refuses them.
public struct WitnessKey: Sendable {
    public static let tag = "witness-key/1"
    /// Longest name: 255 bytes (the most a c2sp.org/tlog-cosignature name may hold in its
    /// ML-DSA-44 form, so that the same name serves both).
    public static let maxNameBytes = 255

    /// The witness's name: the key name of its cosignature lines.
    public let name: String
    /// Signs cosignatures (never shows the key).
    public let cosigner: Cosigner
    let privateKey: Ed25519.PrivateKey

    /// The cosignature verifier key (type `0x04`), whose ``NoteVerifier/vkey`` verifiers configure.
    public var verifier: NoteVerifier { cosigner.verifier }
    public var publicKey: Ed25519.PublicKey { privateKey.publicKey }

    /// A witness key for `name` (``isValidName(_:)``, else ``WitnessKeyError/invalidName(_:)``).
    public init(name: String, privateKey: Ed25519.PrivateKey) throws(WitnessKeyError) {
        guard Self.isValidName(name) else { throw .invalidName(name) }
        do { cosigner = try Cosigner(name: name, privateKey: privateKey) } catch { throw .invalidName(name) }
        self.name = name
        self.privateKey = privateKey
    }

    /// A witness name: 1 to 255 bytes of printable ASCII other than space, `+`, `"` and `\` —
    /// a c2sp.org/signed-note key name, such as a schema-less URL (`witness.example/w1`).
    public static func isValidName(_ name: String) -> Bool {
        let b = name.utf8
        return !b.isEmpty && b.count <= maxNameBytes
            && b.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
    }

    /// Generates a witness key named `name` and writes it to `path` (mode 0600, never over an
    /// existing file).
    public static func generate(name: String, path: String) throws(WitnessKeyError) -> WitnessKey {
        let key = try WitnessKey(name: name, privateKey: Ed25519.PrivateKey())
        try key.write(to: path)
        return key
    }

    /// Writes the key with `O_CREAT | O_EXCL | O_NOFOLLOW` and mode 0600.
    public func write(to path: String) throws(WitnessKeyError) {
        // The name holds no character that JSON escapes (isValidName), and base64 and vkeys none either.
        var text = privateKey.withUnsafeSeed { seed in
            Array(
                ("{\"sealbook\":\"\(Self.tag)\",\"name\":\"\(name)\",\"vkey\":\"\(verifier.vkey)\",\"seed\":\"" + Base64.encode(seed) + "\"}\n")
                    .utf8)
        }
        defer { for i in text.indices { text[i] = 0 } }
        do { try SecretFile.create(path, bytes: text) } catch { throw .from(error, path) }
    }

    /// Reads and checks a witness key file: a regular file not readable by group or others,
    /// under 4096 bytes, the tag, a valid name, a 32-byte seed, and the vkey the name and seed give.
    public static func read(path: String) throws(WitnessKeyError) -> WitnessKey {
        var data: [UInt8]
        do { data = try SecretFile.read(path, what: "witness key file", limit: 4096) } catch {
            if case .tooLarge = error { throw .malformed(path, "not a Sealbook witness key file (\(tag))") }
            throw .from(error, path)
        }
        defer { for i in data.indices { data[i] = 0 } }
        guard data.count < 4096, let v = try? JSONParser.parse(data), case .object(let o) = v,
            o["sealbook"]?.stringValue == tag
        else { throw .malformed(path, "not a Sealbook witness key file (\(tag))") }
        guard let name = o["name"]?.stringValue, isValidName(name) else {
            throw .malformed(path, "name is missing or not a valid witness name")
        }
        guard var seed = o["seed"]?.stringValue.flatMap(Base64.decode), seed.count == 32 else {
            throw .malformed(path, "seed must be 32 bytes of base64")
        }
        defer { for i in seed.indices { seed[i] = 0 } }
        let key: WitnessKey
        do { key = try WitnessKey(name: name, privateKey: try Ed25519.PrivateKey(seed: seed)) } catch {
            throw .malformed(path, "\(error)")
        }
        guard o["vkey"]?.stringValue == key.verifier.vkey else {
            throw .malformed(path, "vkey does not match the name and seed (the file was edited or damaged)")
        }
        return key
    }
}

/// Problems with a witness key file. Messages name the file, never its content.
public enum WitnessKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    case missing(String)
    case unreadable(String, String)
    case tooOpen(String, mode: UInt32)
    case malformed(String, String)
    case exists(String)
    case cannotWrite(String, String)
    case invalidName(String)

    public var description: String {
        switch self {
        case .missing(let p): "witness key file \(p) does not exist"
        case .unreadable(let p, let why): "cannot read witness key file \(p): \(why)"
        case .tooOpen(let p, let mode):
            "witness key file \(p) is readable by others (mode \(String(mode, radix: 8))); run: chmod 600 \(p)"
        case .malformed(let p, let why): "witness key file \(p) is not valid: \(why)"
        case .exists(let p): "\(p) already exists; Sealbook never overwrites a key file"
        case .cannotWrite(let p, let why): "cannot write witness key file \(p): \(why)"
        case .invalidName(let n):
            "witness name \(String(reflecting: n)) is not valid: use 1-\(WitnessKey.maxNameBytes) bytes of printable ASCII without spaces, '+', '\"' or '\\', such as witness.example/w1"
        }
    }
}

extension WitnessKeyError: SecretFileErrors {}
