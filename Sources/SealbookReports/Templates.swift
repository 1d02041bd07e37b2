internal import Foundation
internal import Mustache
internal import SealbookCore
internal import SealbookEmbedded

/// Escapes text for CommonMark (GFM tables included), for `{{value}}` in Markdown templates
/// (`{{% CONTENT_TYPE: MARKDOWN}}`): every character that could start markup is
/// backslash-escaped, `|` too (table cells), and line breaks become spaces, so that a value can
/// never leave its table cell or paragraph. (Line-start markup such as `#` or `-` is left alone:
/// the built-in templates never start a line with a value.) An `_` inside a word (`add_fee_index`) stays as it
/// is: CommonMark does not read intraword underscores as emphasis.
struct MarkdownContentType: MustacheContentType {
    static let name = "MARKDOWN"

    func escapeText(_ text: String) -> String { Self.escape(text) }

    static let always: Set<Character> = ["\\", "`", "*", "[", "]", "<", ">", "|", "&", "~"]

    /// The bytes of the characters ``escape(_:)`` changes: those of ``always``, `_` and the
    /// line breaks and tab (all ASCII, so a byte of a longer UTF-8 sequence never matches).
    static let special: [Bool] = {
        var t = [Bool](repeating: false, count: 256)
        for c in always.map(String.init).joined() + "_\n\r\t" { for b in String(c).utf8 { t[Int(b)] = true } }
        return t
    }()

    static func escape(_ text: String) -> String {
        // Most values (numbers, times, hashes, types, actors) hold none of the characters this
        // changes: return them as they are without splitting them into characters.
        if !text.utf8.contains(where: { Self.special[Int($0)] }) { return text }
        let chars = Array(text)
        var out = ""
        out.reserveCapacity(text.count)
        func isWord(_ c: Character?) -> Bool { c.map { $0.isLetter || $0.isNumber } ?? false }
        for (i, c) in chars.enumerated() {
            switch c {
            case "\n", "\r", "\t": out.append(" ")
            case "_":
                let before = i > 0 ? chars[i - 1] : nil
                let after = i + 1 < chars.count ? chars[i + 1] : nil
                if !(isWord(before) && isWord(after)) { out.append("\\") }
                out.append(c)
            default:
                if Self.always.contains(c) { out.append("\\") }
                out.append(c)
            }
        }
        return out
    }
}

/// HTML escaping as swift-mustache's default content type does it (`<`, `>`, `&`, `"`, `'` by
/// character), for templates that start with `{{% CONTENT_TYPE: HTML}}` (the built-in ones
/// do): values that hold none of those characters, most of them, are returned as they are
/// instead of being rebuilt character by character. The output is the same byte for byte; a
/// template without the line gets the library's own escaping.
struct ReportHTMLContentType: MustacheContentType {
    static let name = "HTML"

    func escapeText(_ text: String) -> String { Self.escape(text) }

    static let entities: [Character: String] = ["<": "&lt;", ">": "&gt;", "&": "&amp;", "\"": "&quot;", "'": "&#39;"]

    static func escape(_ text: String) -> String {
        if !text.utf8.contains(where: { $0 == 0x3C || $0 == 0x3E || $0 == 0x26 || $0 == 0x22 || $0 == 0x27 }) { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for c in text {
            if let e = entities[c] { out += e } else { out.append(c) }
        }
        return out
    }
}

/// The Mustache templates of the Markdown and HTML reports: `reports/*.mustache`, built into
/// the binary, or read from a directory (`--templates`) to customise them.
///
/// Names are file names without `.mustache`: `session.md`, `session.html`, `compliance.md`, …;
/// partials (`{{> header.md}}`) are the other files. Values are escaped for the output: HTML
/// by default (`&`, `<`, `>`, `"`, `'`; the built-in HTML templates start with
/// `{{% CONTENT_TYPE: HTML}}`, which escapes the same, faster), Markdown in templates that start
/// with `{{% CONTENT_TYPE: MARKDOWN}}` (every partial needs its own pragma). Templates never use
/// triple braces: nothing reaches the output unescaped.
public struct ReportTemplates: Sendable {
    let library: MustacheLibrary
    /// The template texts by name, as loaded.
    public let texts: [String: String]

    /// The templates built into the binary: `reports/*.mustache`, built in at build time.
    public static let builtIn: ReportTemplates = {
        do { return try ReportTemplates(files: builtInFiles) } catch {
            // The test suite renders every built-in template; reaching this is a build defect.
            preconditionFailure("the report templates built into sealbook do not parse: \(error)")
        }
    }()

    /// `reports/*.mustache` as built into the binary, by file name, each without its final newline.
    static var builtInFiles: [String: String] {
        Dictionary(uniqueKeysWithValues: EmbeddedFiles.files(in: "reports").map { ($0.name, $0.textWithoutFinalNewline) })
    }

    /// The names every template set must provide.
    public static let required = [
        "session.md", "session.html", "compliance.md", "compliance.html", "incident.md", "incident.html",
    ]

    /// Templates from texts keyed by file name (`session.md.mustache` or `session.md`).
    public init(files: [String: String]) throws(ReportError) {
        _ = Self.registration
        var lib = MustacheLibrary()
        var texts: [String: String] = [:]
        for (file, text) in files.sorted(by: { $0.key < $1.key }) {
            let name = file.hasSuffix(".mustache") ? String(file.dropLast(".mustache".count)) : file
            do { try lib.register(text, named: name) } catch {
                throw .template("\(file): \(error)")
            }
            texts[name] = text
        }
        for r in Self.required where texts[r] == nil { throw .template("no template \(r).mustache") }
        library = lib
        self.texts = texts
    }

    /// The built-in templates with those of `directory` (`*.mustache`) in their place.
    public static func load(directory: String) throws(ReportError) -> ReportTemplates {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".mustache") } } catch {
            throw .template("cannot read the template directory \(directory)")
        }
        var files = builtInFiles
        for n in names {
            let data: [UInt8]
            do { data = try InputFile.read(directory + "/" + n, what: "template", limit: 1 << 20) } catch {
                throw .template(error.description)
            }
            guard let text = String(validating: data, as: UTF8.self) else {
                throw .template("template \(directory)/\(n) is not UTF-8 text")
            }
            files[n] = Self.normalize(text)
        }
        return try ReportTemplates(files: files)
    }

    /// A file's text as templates take it: without its final newline.
    static func normalize(_ text: String) -> String {
        var t = text
        if t.hasSuffix("\n") { t.removeLast() }
        return t
    }

    /// Registers the Markdown and HTML content types once, before any template is parsed.
    private static let registration: Void = {
        MustacheContentTypes.register(MarkdownContentType(), named: MarkdownContentType.name)
        MustacheContentTypes.register(ReportHTMLContentType(), named: ReportHTMLContentType.name)
    }()

    func render(_ name: String, _ context: [String: Any]) throws(ReportError) -> String {
        guard let out = library.render(context, withTemplate: name) else { throw .template("no template \(name)") }
        return out.hasSuffix("\n") ? out : out + "\n"
    }
}

/// Renders a ``Report`` in each ``ReportFormat``.
public struct ReportRenderer: Sendable {
    public let templates: ReportTemplates

    public init(templates: ReportTemplates = .builtIn) { self.templates = templates }

    /// The report's bytes: Markdown and HTML from the templates, JSON and OSCAL as RFC 8785
    /// canonical JSON; each ends with a newline.
    public func render(_ report: Report, as format: ReportFormat) throws(ReportError) -> [UInt8] {
        switch format {
        case .md: return Array(try templates.render("\(report.kind.rawValue).md", Views.context(report)).utf8)
        case .html: return Array(try templates.render("\(report.kind.rawValue).html", Views.context(report)).utf8)
        case .json: return report.canonicalJSON() + [0x0A]
        case .oscal: return ((try? JCS.canonicalize(OSCAL.document(report))) ?? []) + [0x0A]
        }
    }
}
