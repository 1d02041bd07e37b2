// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets over SealbookCore's parsers (issue 12), built and run by scripts/fuzz.sh,
// and MakeSeeds, which writes the signed seeds of Corpus/ (see Corpus/SOURCES.md).
//
// A fuzz target defines LLVMFuzzerTestOneInput and no main (libFuzzer's runtime brings it), so
// it links only with the fuzzer sanitizer. This package is not part of the root one, whose
// build and tests do not see it. It compiles SealbookCore from the same sources
// (Sources/SealbookCore and Sources/CSodium here are symbolic links to the root's), with the
// root's settings, rather than depending on the root package: that would bring in the
// EmbedFiles plugin and the command line's packages, which the fuzz build would compile with
// the fuzzer's flags, and which the targets do not need.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "SealbookFuzz",
    targets: [
        .systemLibrary(name: "CSodium", path: "Sources/CSodium", pkgConfig: "libsodium"),
        .target(name: "SealbookCore", dependencies: ["CSodium"], swiftSettings: strict),
        .executableTarget(name: "FuzzJSON", dependencies: ["SealbookCore"], swiftSettings: strict),
        .executableTarget(name: "FuzzBundle", dependencies: ["SealbookCore"], swiftSettings: strict),
        .executableTarget(name: "FuzzNote", dependencies: ["SealbookCore"], swiftSettings: strict),
        .executableTarget(name: "FuzzProof", dependencies: ["SealbookCore"], swiftSettings: strict),
        .executableTarget(name: "MakeSeeds", dependencies: ["SealbookCore"], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
