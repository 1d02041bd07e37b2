// The EmbedFiles build plugin: what it compiles into the binary is every file of the embedded
// directories, byte for byte (its string-literal escaping is exact), and nothing else.

import Foundation
@testable import SealbookEmbedded
import Testing

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The directories the plugin embeds (Plugins/EmbedFiles/EmbedFiles.swift) and the suffix of their files.
private let directories = [
    ("schemas/postgres", ".sql"), ("schemas/events", ".json"), ("schemas/runbooks", ".json"),
    ("schemas/controls", ".json"), ("schemas/target", ".sql"), ("reports", ".mustache"),
]

@Suite("Embedded files")
struct EmbeddedFilesTests {
    @Test("every file of the embedded directories is built in byte for byte, and nothing else")
    func byteForByte() throws {
        var expected: [String] = []
        for (directory, suffix) in directories {
            let names = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(directory).path)
            expected += names.filter { $0.hasSuffix(suffix) && !$0.hasPrefix(".") }.map { "\(directory)/\($0)" }
        }
        #expect(EmbeddedFiles.all.map(\.path) == expected.sorted())
        for file in EmbeddedFiles.all {
            let bytes = try [UInt8](Data(contentsOf: root.appendingPathComponent(file.path)))
            #expect(file.bytes == bytes, "\(file.path)")
        }
        // Characters the escaping must carry: quotes, backslashes, non-ASCII, a raw-string delimiter.
        let all = EmbeddedFiles.all.map(\.text).joined()
        for needle in ["\"", "\\", "…", "$sealbook$", "{{"] {
            #expect(all.contains(needle), "no embedded file holds \(needle): the check above proves less than it says")
        }
    }

    @Test("files(in:) lists a directory's own files in path order; file(_:) finds one by path")
    func lookups() throws {
        let events = EmbeddedFiles.files(in: "schemas/events")
        #expect(events.count >= 29)
        #expect(events.map(\.path) == events.map(\.path).sorted())
        #expect(events.allSatisfy { $0.path == "schemas/events/" + $0.name && $0.name.hasSuffix(".json") })
        #expect(EmbeddedFiles.files(in: "schemas/events/") == events)
        #expect(EmbeddedFiles.files(in: "schemas").isEmpty, "only the files directly in the directory")
        #expect(EmbeddedFiles.files(in: "schemas/event").isEmpty)
        #expect(EmbeddedFiles.files(in: "nowhere").isEmpty)

        let sql = try #require(EmbeddedFiles.file("schemas/postgres/0001_ledger.sql"))
        #expect(sql.name == "0001_ledger.sql")
        #expect(sql.text.hasSuffix("\n") && !sql.textWithoutFinalNewline.hasSuffix("\n"))
        #expect(sql.textWithoutFinalNewline + "\n" == sql.text)
        #expect(EmbeddedFiles.file("schemas/postgres/9999_none.sql") == nil)
        #expect(EmbeddedFiles.file("0001_ledger.sql") == nil)
    }

    @Test("a text without a final newline is kept as it is")
    func finalNewline() {
        #expect(EmbeddedFile(path: "a/b.txt", text: "x").textWithoutFinalNewline == "x")
        #expect(EmbeddedFile(path: "a/b.txt", text: "x\n\n").textWithoutFinalNewline == "x\n")
        #expect(EmbeddedFile(path: "b.txt", text: "").name == "b.txt")
    }
}
