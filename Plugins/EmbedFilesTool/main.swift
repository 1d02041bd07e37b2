// Run by the EmbedFiles build plugin: EmbedFilesTool OUTPUT ROOT PATH…
// Writes OUTPUT, a Swift file holding each file ROOT/PATH byte for byte as an ASCII string
// literal (every byte outside printable ASCII escaped), in the order given:
//
//     let embeddedFileTable: [(path: String, text: String)] = [("schemas/…", "…"), …]
//
// String literals keep the compile fast (an array literal of bytes would not). A file that is
// not UTF-8 is refused: everything embedded is text.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

func fail(_ message: String) -> Never {
    let line = Array("EmbedFilesTool: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(1)
}

func read(_ path: String) -> [UInt8] {
    guard let f = fopen(path, "rb") else { fail("cannot open \(path)") }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, f)
        bytes += buffer[0..<n]
        if n < buffer.count {
            if ferror(f) != 0 { fail("cannot read \(path)") }
            return bytes
        }
    }
}

/// A Swift string literal for `text`, in ASCII.
func literal(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        case " "..."~": out.unicodeScalars.append(scalar)
        default: out += "\\u{\(String(scalar.value, radix: 16))}"
        }
    }
    return out + "\""
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else { fail("usage: EmbedFilesTool OUTPUT ROOT PATH…") }
let (output, root) = (arguments[1], arguments[2])
let paths = arguments.dropFirst(3)
var swift = "// Generated at build time by the EmbedFiles plugin (Plugins/EmbedFiles). Not in the repository.\n\n"
swift += "let embeddedFileTable: [(path: String, text: String)] = [\n"
for path in paths {
    let bytes = read(root + "/" + path)
    let text = String(decoding: bytes, as: UTF8.self)
    guard Array(text.utf8) == bytes else { fail("\(path) is not UTF-8 text") }
    swift += "    (\(literal(path)), \(literal(text))),\n"
}
swift += "]\n"

guard let f = fopen(output + ".tmp", "wb") else { fail("cannot write \(output).tmp") }
let bytes = Array(swift.utf8)
guard fwrite(bytes, 1, bytes.count, f) == bytes.count, fclose(f) == 0 else { fail("cannot write \(output).tmp") }
guard rename(output + ".tmp", output) == 0 else { fail("cannot rename \(output).tmp") }
