/// A signed note (c2sp.org/signed-note): a text ending in a newline, a blank line, and one or
/// more signature lines `— <key name> base64(key ID || signature)`.
///
/// Parsing checks the structure only; the text must not be trusted before ``verify(using:)``
/// has returned for keys you trust. Parsing and rendering are exact: a parsed note renders back
/// to the same bytes (``serialized``). Names and texts are compared byte for byte, never by
/// Unicode equivalence.
public struct SignedNote: Sendable, Hashable, CustomStringConvertible {
    /// Largest note accepted, in bytes (1 MiB: 100 post-quantum signatures fit).
    public static let maxBytes = 1 << 20
    /// Most signatures accepted in one note (the specification asks for at least 16).
    public static let maxSignatures = 100

    /// The signed text, including its final newline, not the blank line.
    public let text: String
    /// The signature lines, in order, known and unknown keys alike.
    public private(set) var signatures: [NoteSignature]

    /// A note from a text and signatures (none yet, to add with ``add(_:)``). Throws if the
    /// text is not a note text (``NoteError/textNotNewlineTerminated``,
    /// ``NoteError/controlCharacter(offset:)``, ``NoteError/tooLarge(bytes:limit:)``), or on
    /// ``NoteError/duplicateSignature(name:keyID:)`` and ``NoteError/tooManySignatures(limit:)``.
    public init(text: String, signatures: [NoteSignature] = []) throws(NoteError) {
        try NoteText.checkText(Array(text.utf8))
        self.text = text
        self.signatures = []
        for s in signatures { try append(s) }
    }

    /// Parses a signed note. Throws the first structural problem found: size, UTF-8, control
    /// characters, the blank line, then each signature line in order.
    public init(parsing bytes: some Collection<UInt8>) throws(NoteError) {
        let bytes = Array(bytes)
        guard bytes.count <= Self.maxBytes else { throw .tooLarge(bytes: bytes.count, limit: Self.maxBytes) }
        guard String(validating: bytes, as: UTF8.self) != nil else { throw .invalidUTF8 }
        try NoteText.checkControlCharacters(bytes[...])
        // The text ends at the last blank line (the text itself may hold empty lines).
        guard let split = NoteText.lastBlankLine(bytes) else { throw .missingBlankLine }
        let textBytes = bytes[...split]
        let block = bytes[(split + 2)...]
        guard !block.isEmpty else { throw .noSignatures }
        guard block.last == NoteText.newline else { throw .missingFinalNewline }
        let lines = block.dropLast().split(separator: NoteText.newline, omittingEmptySubsequences: false)
        guard lines.count <= Self.maxSignatures else { throw .tooManySignatures(limit: Self.maxSignatures) }
        self.text = String(decoding: textBytes, as: UTF8.self)
        self.signatures = []
        for (i, line) in lines.enumerated() {
            try append(NoteSignature(parsingLine: line, number: i + 1))
        }
    }

    /// Parses a signed note from a string.
    public init(parsing string: String) throws(NoteError) {
        try self.init(parsing: Array(string.utf8))
    }

    /// The note as text: the text, a blank line, one line per signature. A note with no
    /// signature renders, but does not parse back.
    public var serialized: String {
        var out = text + "\n"
        for s in signatures { out += s.line + "\n" }
        return out
    }

    public var description: String { serialized }

    /// Adds a signature, replacing one with the same key name and key ID. Throws
    /// ``NoteError/tooManySignatures(limit:)``.
    public mutating func add(_ signature: NoteSignature) throws(NoteError) {
        if let i = signatures.firstIndex(where: { $0.sameKey(as: signature) }) {
            signatures[i] = signature
        } else {
            try append(signature)
        }
    }

    /// Verifies the note against known verifier keys, as c2sp.org/signed-note requires:
    /// signatures by unknown keys (a different name or key ID) are ignored; a signature by a
    /// known key must verify, else ``NoteError/invalidSignature(name:keyID:)`` refuses the whole
    /// note; at least one must, else ``NoteError/noKnownSignature``.
    ///
    /// - Returns: the verifiers whose signatures verified, in signature order.
    public func verify(using verifiers: [NoteVerifier]) throws(NoteError) -> [NoteVerifier] {
        var known: [KeyRef: NoteVerifier] = [:]
        var ambiguous: Set<KeyRef> = []
        for v in verifiers {
            let ref = KeyRef(name: Array(v.name.utf8), keyID: v.keyID)
            if let other = known[ref], other != v { ambiguous.insert(ref) }
            known[ref] = v
        }
        let textBytes = Array(text.utf8)
        var verified: [NoteVerifier] = []
        for s in signatures {
            let ref = KeyRef(name: Array(s.name.utf8), keyID: s.keyID)
            guard let v = known[ref] else { continue }
            guard !ambiguous.contains(ref) else { throw .ambiguousVerifiers(name: s.name, keyID: s.keyID) }
            guard v.isValidSignature(s, text: textBytes) else { throw .invalidSignature(name: s.name, keyID: s.keyID) }
            verified.append(v)
        }
        guard !verified.isEmpty else { throw .noKnownSignature }
        return verified
    }

    public static func == (a: SignedNote, b: SignedNote) -> Bool {
        a.text.utf8.elementsEqual(b.text.utf8) && a.signatures == b.signatures
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(Array(text.utf8))
        hasher.combine(signatures)
    }

    private mutating func append(_ signature: NoteSignature) throws(NoteError) {
        if signatures.contains(where: { $0.sameKey(as: signature) }) {
            throw .duplicateSignature(name: signature.name, keyID: signature.keyID)
        }
        guard signatures.count < Self.maxSignatures else { throw .tooManySignatures(limit: Self.maxSignatures) }
        signatures.append(signature)
    }

    private struct KeyRef: Hashable {
        let name: [UInt8]
        let keyID: UInt32
    }
}

/// One signature line of a signed note: the key's name and 32-bit ID, and the signature bytes.
public struct NoteSignature: Sendable, Hashable, CustomStringConvertible {
    /// The key name.
    public let name: String
    /// The key ID (the first four bytes of the decoded signature, big-endian).
    public let keyID: UInt32
    /// The signature bytes after the key ID. For a cosignature (c2sp.org/tlog-cosignature),
    /// the timestamp and the Ed25519 signature.
    public let signature: [UInt8]

    /// A signature by the key `name`, `keyID`. Throws ``NoteError/invalidKeyName(_:)``, or
    /// ``NoteError/signatureTooShort(line:)`` (line 0) for an empty signature.
    public init(name: String, keyID: UInt32, signature: [UInt8]) throws(NoteError) {
        guard NoteText.isValidKeyName(name) else { throw .invalidKeyName(name) }
        guard !signature.isEmpty else { throw .signatureTooShort(line: 0) }
        self.name = name
        self.keyID = keyID
        self.signature = signature
    }

    /// Parses the signature line `line` (without its newline), number `number` of the block.
    init(parsingLine line: ArraySlice<UInt8>, number: Int) throws(NoteError) {
        guard line.starts(with: NoteText.signaturePrefix) else { throw .malformedSignatureLine(line: number) }
        let rest = line.dropFirst(NoteText.signaturePrefix.count)
        guard let space = rest.firstIndex(of: 0x20) else { throw .malformedSignatureLine(line: number) }
        let name = String(decoding: rest[..<space], as: UTF8.self)
        guard NoteText.isValidKeyName(name) else { throw .invalidKeyName(name) }
        let encoded = rest[(space + 1)...]
        guard !encoded.isEmpty else { throw .malformedSignatureLine(line: number) }
        guard let raw = Base64.decode(String(decoding: encoded, as: UTF8.self)) else { throw .invalidBase64(line: number) }
        guard raw.count >= 5 else { throw .signatureTooShort(line: number) }
        self.name = name
        self.keyID = raw.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
        self.signature = Array(raw.dropFirst(4))
    }

    /// `— <name> base64(keyID || signature)`, without the newline.
    public var line: String {
        var raw: [UInt8] = withUnsafeBytes(of: keyID.bigEndian) { Array($0) }
        raw += signature
        return "\u{2014} " + name + " " + Base64.encode(raw)
    }

    public var description: String { line }

    /// The timestamp of a cosignature/v1 signature (c2sp.org/tlog-cosignature): the first 8
    /// bytes, big-endian, when the signature is 72 bytes long; nil otherwise. Meaningful only
    /// for a signature by a cosigner key, and only once verified.
    public var cosignatureTimestamp: UInt64? {
        guard signature.count == Cosigner.signatureByteCount else { return nil }
        return signature.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    func sameKey(as other: NoteSignature) -> Bool {
        keyID == other.keyID && name.utf8.elementsEqual(other.name.utf8)
    }

    public static func == (a: NoteSignature, b: NoteSignature) -> Bool {
        a.sameKey(as: b) && a.signature == b.signature
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(Array(name.utf8))
        hasher.combine(keyID)
        hasher.combine(signature)
    }
}

/// Byte-level rules shared by the note formats.
enum NoteText {
    static let newline: UInt8 = 0x0A
    /// U+2014 EM DASH and a space, in UTF-8.
    static let signaturePrefix: [UInt8] = [0xE2, 0x80, 0x94, 0x20]

    /// A note text: non-empty, ends in a newline, no control character but newline, within
    /// the size limit.
    static func checkText(_ bytes: [UInt8]) throws(NoteError) {
        guard bytes.count <= SignedNote.maxBytes else { throw .tooLarge(bytes: bytes.count, limit: SignedNote.maxBytes) }
        guard bytes.last == newline else { throw .textNotNewlineTerminated }
        try checkControlCharacters(bytes[...])
    }

    /// No ASCII control character (below U+0020) other than newline. In UTF-8 those bytes only
    /// ever stand for themselves.
    static func checkControlCharacters(_ bytes: ArraySlice<UInt8>) throws(NoteError) {
        if let i = bytes.firstIndex(where: { $0 < 0x20 && $0 != newline }) {
            throw .controlCharacter(offset: i - bytes.startIndex)
        }
    }

    /// Index of the first newline of the last `"\n\n"`.
    static func lastBlankLine(_ bytes: [UInt8]) -> Int? {
        var i = bytes.count - 2
        while i >= 0 {
            if bytes[i] == newline && bytes[i + 1] == newline { return i }
            i -= 1
        }
        return nil
    }

    /// c2sp.org/signed-note key names: non-empty, no plus sign, no Unicode space (White_Space).
    /// Control characters are refused too (a note may not hold them).
    static func isValidKeyName(_ name: String) -> Bool {
        !name.isEmpty
            && !name.unicodeScalars.contains { $0 == "+" || $0.properties.isWhitespace || $0.value < 0x20 }
    }

    /// A decimal without leading zeros (except `0` itself) in 0…2^63−1.
    static func parseDecimal(_ bytes: some Collection<UInt8>) -> UInt64? {
        guard let first = bytes.first, bytes.count <= 19 else { return nil }
        if first == UInt8(ascii: "0") { return bytes.count == 1 ? 0 : nil }
        var value: UInt64 = 0
        for b in bytes {
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + UInt64(b - UInt8(ascii: "0"))
        }
        return value <= UInt64(Int64.max) ? value : nil
    }
}
