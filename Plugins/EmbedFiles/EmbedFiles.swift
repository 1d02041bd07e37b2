// Build tool plugin: compiles the data files the sealbook binary carries (schemas/…, reports/…)
// into the SealbookEmbedded target at build time, through the EmbedFilesTool executable.
// SwiftPM invokes the plugin on every build, so a file added to or removed from one of the
// directories below is picked up without editing any list; a changed file reruns the tool.

import Foundation
import PackagePlugin

@main
struct EmbedFiles: BuildToolPlugin {
    /// Directories (relative to the package root) whose files are embedded, with the suffix a
    /// file's name must have. Only the files directly inside each directory are taken.
    static let directories: [(path: String, suffix: String)] = [
        ("schemas/postgres", ".sql"),
        ("schemas/events", ".json"),
        ("schemas/runbooks", ".json"),
        ("schemas/controls", ".json"),
        ("schemas/target", ".sql"),
        ("reports", ".mustache"),
    ]

    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let root = context.package.directoryURL
        var relative: [String] = []
        for (directory, suffix) in Self.directories {
            let names = try FileManager.default.contentsOfDirectory(atPath: root.appending(path: directory).path)
            relative += names.filter { $0.hasSuffix(suffix) && !$0.hasPrefix(".") }.map { "\(directory)/\($0)" }
        }
        relative.sort()
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedFileTable.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(relative.count) files from schemas/ and reports/",
                executable: try context.tool(named: "EmbedFilesTool").url,
                arguments: [output.path, root.path] + relative,
                inputFiles: relative.map { root.appending(path: $0) },
                outputFiles: [output])
        ]
    }
}
