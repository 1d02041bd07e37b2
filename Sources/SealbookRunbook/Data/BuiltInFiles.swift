internal import SealbookEmbedded

/// The event schemas (`schemas/events/*.json`) and runbooks (`schemas/runbooks/*.json`) built
/// into the binary, keyed by their path under `schemas/` (`events/<type>.json`,
/// `runbooks/<file>`), each text without its final newline.
let embeddedDataFiles: [String: String] = Dictionary(
    uniqueKeysWithValues: (EmbeddedFiles.files(in: "schemas/events") + EmbeddedFiles.files(in: "schemas/runbooks")).map {
        (String($0.path.dropFirst("schemas/".count)), $0.textWithoutFinalNewline)
    })
