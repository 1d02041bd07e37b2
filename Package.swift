// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Sealbook",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sealbook", targets: ["sealbook"]),
        .library(name: "SealbookCore", targets: ["SealbookCore"]),
        .library(name: "SealbookPostgres", targets: ["SealbookPostgres"]),
        .library(name: "SealbookRunbook", targets: ["SealbookRunbook"]),
        .library(name: "SealbookKit", targets: ["SealbookKit"]),
        .library(name: "SealbookProjections", targets: ["SealbookProjections"]),
        .library(name: "SealbookReports", targets: ["SealbookReports"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Logic-free report templates under reports/, editable without Swift; escapes by default.
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
    ],
    targets: [
        // C libraries, found through pkg-config (Debian: libsodium-dev, libpq-dev).
        .systemLibrary(
            name: "CSodium", path: "Sources/CSodium", pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(
            name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]),

        // Format v1: canonical JSON, Ed25519, SHA-256, events, keys, verifier, bundles. No database.
        .target(name: "SealbookCore", dependencies: ["CSodium"], swiftSettings: strict),
        // The append-only PostgreSQL log over libpq, and the embedded local cluster.
        .target(name: "SealbookPostgres", dependencies: ["SealbookCore", "CLibPQ"], swiftSettings: strict),
        // The runbook domain: the runbook as data, typed and schema-checked events, policy.
        .target(name: "SealbookRunbook", dependencies: ["SealbookCore"], swiftSettings: strict),
        // Projections: pure folds over verified events; controls as data, evaluated at an explicit as_of.
        .target(name: "SealbookProjections", dependencies: ["SealbookCore", "SealbookRunbook"], swiftSettings: strict),
        // The application layer: appends through the catalog and the runbook's rules, reads the
        // log once and verified for every decision and report (docs/ARCHITECTURE.md). What the
        // CLI does, a Swift caller (or the HTTP API) does here.
        .target(
            name: "SealbookKit",
            dependencies: ["SealbookCore", "SealbookPostgres", "SealbookRunbook", "SealbookProjections", "SealbookReports"],
            swiftSettings: strict),
        // Benchmarks against the real PostgreSQL log, with their baselines (`sealbook bench`).
        .target(
            name: "SealbookBench",
            dependencies: [
                "SealbookCore", "SealbookPostgres", "SealbookRunbook", "SealbookProjections", "SealbookReports", "SealbookKit",
                "CSodium",
            ],
            swiftSettings: strict),
        // Reports over the projections: Markdown and HTML (templates in reports/), JSON, OSCAL; replay.
        .target(
            name: "SealbookReports",
            dependencies: [
                "SealbookCore", "SealbookRunbook", "SealbookProjections",
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: strict),
        // The command-line tool: a thin shell over the libraries.
        .executableTarget(
            name: "sealbook",
            dependencies: [
                "SealbookCore", "SealbookPostgres", "SealbookRunbook", "SealbookKit", "SealbookReports", "SealbookBench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),

        // Shared by the test targets: throwaway databases, ledgers, the built binary.
        .target(
            name: "SealbookTestSupport", dependencies: ["SealbookCore", "SealbookPostgres"],
            path: "Tests/SealbookTestSupport", swiftSettings: strict),
        .testTarget(name: "SealbookCoreTests", dependencies: ["SealbookCore"], swiftSettings: strict),
        .testTarget(
            name: "SealbookProjectionsTests", dependencies: ["SealbookCore", "SealbookRunbook", "SealbookProjections"],
            swiftSettings: strict),
        .testTarget(
            name: "SealbookReportsTests",
            dependencies: ["SealbookCore", "SealbookRunbook", "SealbookProjections", "SealbookReports"],
            exclude: ["Golden"], swiftSettings: strict),
        .testTarget(name: "SealbookRunbookTests", dependencies: ["SealbookCore", "SealbookRunbook"], swiftSettings: strict),
        .testTarget(
            name: "SealbookPostgresTests", dependencies: ["SealbookCore", "SealbookPostgres", "SealbookTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "SealbookKitTests",
            dependencies: [
                "SealbookCore", "SealbookPostgres", "SealbookRunbook", "SealbookReports", "SealbookKit", "SealbookTestSupport",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "SealbookCLITests", dependencies: ["SealbookCore", "SealbookPostgres", "SealbookTestSupport"],
            swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
