import Foundation

/// Paths of the repository's own files (schemas, fixtures, `Tools/` scripts) for tests: resolved
/// from this source file's location, so they hold whatever directory the tests run in.
public enum RepositoryFile {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../..").standardized

    /// The absolute path of `relative` (`Schemas/channels.json`) under the repository's root.
    public static func path(_ relative: String) -> String {
        root.appendingPathComponent(relative).path
    }
}
