/// A transparency log checkpoint (c2sp.org/tlog-checkpoint): the note text that a log signs to
/// commit to its Merkle tree at a size.
///
/// ```
/// <origin>
/// <tree size, decimal>
/// <root hash, base64>
/// [extension lines]
/// ```
/// Parsing is strict, so a parsed checkpoint renders back to the same text (``text``).
public struct Checkpoint: Sendable, Hashable {
    /// The log's identity, the first line (non-empty).
    public let origin: String
    /// Number of leaves, 0…2^63−1.
    public let size: UInt64
    /// The RFC 6962 root hash at ``size``.
    public let rootHash: Digest32
    /// Optional, opaque, non-empty lines after the root hash.
    public let extensionLines: [String]

    /// A checkpoint from its parts. Throws ``NoteError/invalidOrigin`` (empty, or holding a
    /// newline or control character), ``NoteError/invalidTreeSize(_:)`` (over 2^63−1) or
    /// ``NoteError/invalidExtensionLine(_:)``.
    public init(origin: String, size: UInt64, rootHash: Digest32, extensionLines: [String] = []) throws(NoteError) {
        guard Self.isValidLine(origin) else { throw .invalidOrigin }
        guard size <= Merkle.maxTreeSize else { throw .invalidTreeSize(String(size)) }
        for (i, line) in extensionLines.enumerated() where !Self.isValidLine(line) {
            throw .invalidExtensionLine(i)
        }
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.extensionLines = extensionLines
    }

    /// Parses a checkpoint from a note's text (``SignedNote/text``): at least three lines, each
    /// ending in a newline; the size decimal without leading zeros; the root hash canonical
    /// base64 of 32 bytes; every extension line non-empty.
    public init(text: String) throws(NoteError) {
        let bytes = Array(text.utf8)
        try NoteText.checkText(bytes)
        let lines = bytes.dropLast().split(separator: NoteText.newline, omittingEmptySubsequences: false)
        guard lines.count >= 3 else { throw .checkpointTooShort }
        guard !lines[0].isEmpty else { throw .invalidOrigin }
        guard let size = NoteText.parseDecimal(lines[1]) else {
            throw .invalidTreeSize(String(decoding: lines[1], as: UTF8.self))
        }
        guard let root = Base64.decode(String(decoding: lines[2], as: UTF8.self)), let hash = Digest32(bytes: root) else {
            throw .invalidRootHash
        }
        var extensions: [String] = []
        for (i, line) in lines.dropFirst(3).enumerated() {
            guard !line.isEmpty else { throw .invalidExtensionLine(i) }
            extensions.append(String(decoding: line, as: UTF8.self))
        }
        self.origin = String(decoding: lines[0], as: UTF8.self)
        self.size = size
        self.rootHash = hash
        self.extensionLines = extensions
    }

    /// The note text: origin, size, base64 root hash and extension lines, each ending in a
    /// newline.
    public var text: String {
        var out = origin + "\n" + String(size) + "\n" + Base64.encode(rootHash.bytes) + "\n"
        for line in extensionLines { out += line + "\n" }
        return out
    }

    public static func == (a: Checkpoint, b: Checkpoint) -> Bool {
        a.text.utf8.elementsEqual(b.text.utf8)
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(Array(text.utf8)) }

    private static func isValidLine(_ line: String) -> Bool {
        !line.isEmpty && !line.utf8.contains { $0 < 0x20 }
    }
}
