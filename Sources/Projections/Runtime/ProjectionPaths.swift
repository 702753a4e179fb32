import Foundation
import LogStore

/// The name of one build of a projection: `v2` for its version's first build, `v2-3` for the third
/// build of version 2 (a rebuild after funnels.json or channels.json changed). Its database is
/// `<name>.db`.
public struct BuildName: Hashable, Sendable, CustomStringConvertible {
    public var version: Int
    public var generation: Int

    public init(version: Int, generation: Int = 1) {
        self.version = version
        self.generation = generation
    }

    /// Parses `vN` or `vN-G`; nil for anything else.
    public init?(_ text: String) {
        guard text.hasPrefix("v") else { return nil }
        let parts = text.dropFirst().split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let version = Int(parts[0]), version > 0 else { return nil }
        let generation = parts.count == 2 ? Int(parts[1]) : 1
        guard let generation, generation >= 1, parts.count == 1 || generation >= 2 else { return nil }
        self.init(version: version, generation: generation)
    }

    public var description: String { generation == 1 ? "v\(version)" : "v\(version)-\(generation)" }
}

/// Where a projection's files live (SPEC §5): `DATA/projections/NAME/<build>.db`, with `CURRENT`
/// naming the live build (`v2`), `PREVIOUS` the one a rollback returns to and, while a rebuild
/// runs (or after one was interrupted), `REBUILDING` the build it writes. All three are replaced
/// atomically (`PosixFile.replaceAtomically`).
public struct ProjectionPaths: Sendable {
    public let kind: ProjectionKind
    public let directory: String

    public init(dataDirectory: String, kind: ProjectionKind) {
        self.kind = kind
        directory = dataDirectory + "/projections/" + kind.rawValue
    }

    public func database(_ build: BuildName) -> String { directory + "/\(build).db" }
    public var currentFile: String { directory + "/CURRENT" }
    public var previousFile: String { directory + "/PREVIOUS" }
    public var rebuildingFile: String { directory + "/REBUILDING" }

    /// The live build named by `CURRENT`; nil when the projection was never built.
    public func current() throws -> BuildName? { try read(currentFile) }
    /// The build `CURRENT` named before the last switch.
    public func previous() throws -> BuildName? { try read(previousFile) }
    /// The build a rebuild is writing, or was writing when it was interrupted: the only build a
    /// rebuild resumes.
    public func rebuilding() throws -> BuildName? { try read(rebuildingFile) }

    /// Names the build a rebuild is about to write (before its database exists).
    func markRebuilding(_ build: BuildName) throws { try replace(rebuildingFile, with: build) }

    /// Forgets the rebuild's build (before `CURRENT` switches to it, or when it is abandoned), so
    /// no later rebuild resumes a build that was finished.
    func clearRebuilding() throws { try PosixFile.removeDurably(rebuildingFile, in: directory) }

    /// The builds whose databases (`<build>.db`) are in the directory, in no particular order.
    func builds() throws -> [BuildName] {
        try PosixFile.names(inDirectory: directory).compactMap { $0.hasSuffix(".db") ? BuildName(String($0.dropLast(3))) : nil }
    }

    /// Removes the databases of builds that neither `CURRENT`, `PREVIOUS` nor `REBUILDING` names
    /// (a rollback can no longer reach them), except any a process still holds; returns them
    /// in version and generation order.
    func removeUnreachableBuilds() throws -> [BuildName] {
        let kept = Set([try current(), try previous(), try rebuilding()].compactMap { $0 })
        var removed: [BuildName] = []
        for build in try builds() where !kept.contains(build) {
            let path = database(build)
            // A build some process holds (a projector, `project --db`) stays; the error is not needed.
            guard let lock = try? WriterLock.acquire(lockFile: path + ".lock", busy: { _ in CancellationError() }) else { continue }
            for file in [path + "-wal", path + "-shm", path, path + ".lock"] { try PosixFile.removeIfPresent(file) }
            lock.release()
            removed.append(build)
        }
        if !removed.isEmpty { try PosixFile.syncDirectory(directory) }
        return removed.sorted { ($0.version, $0.generation) < ($1.version, $1.generation) }
    }

    private func read(_ file: String) throws -> BuildName? {
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let build = BuildName(text), kind.versions.contains(build.version) else {
            throw ProjectorError(
                code: .invalidArgument,
                message: "\(file) holds \"\(text)\", not a build of \(kind) (\(kind.versions.map { "v\($0)" }.joined(separator: ", ")))")
        }
        return build
    }

    /// Points `CURRENT` at `build`, remembering the old one in `PREVIOUS`. A reader sees the old
    /// name or the new one, never a mix.
    public func switchCurrent(to build: BuildName) throws {
        try PosixFile.createDirectories(directory)
        if let old = try current(), old != build { try replace(previousFile, with: old) }
        try replace(currentFile, with: build)
    }

    private func replace(_ file: String, with build: BuildName) throws {
        try PosixFile.replaceAtomically(file, in: directory, with: Array("\(build)\n".utf8))
    }
}
