import ArgumentParser
import Foundation
import Projections

/// The database `query` and `status` read: `--db FILE`, or the live build CURRENT names.
enum ProjectionDatabase {
    static func path(_ kind: ProjectionKind, data: DataOptions, override: String?) throws -> String {
        if let override {
            guard FileManager.default.fileExists(atPath: override) else { throw CommandError("\(override) does not exist") }
            return override
        }
        let paths = ProjectionPaths(dataDirectory: data.directory, kind: kind)
        guard let build = try paths.current(), FileManager.default.fileExists(atPath: paths.database(build)) else {
            throw CommandError(
                "the \(kind) projection has not been built under \(data.directory); run `sessionlog project \(kind)` (or `sessionlog up`)")
        }
        return paths.database(build)
    }

    /// Opens a build of `kind` read-only; a file SQLite cannot read is `damagedDatabase`.
    static func openReadOnly(_ kind: ProjectionKind, path: String) throws -> SQLiteDatabase {
        try ProjectorError.namingDamage(kind, database: path) { try SQLiteDatabase(path: path, readOnly: true) }
    }
}
