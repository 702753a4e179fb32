import Foundation
import LogFormat
import LogStore

/// How far a rebuild has come, for progress displays.
public struct RebuildProgress: Sendable {
    public var build: BuildName
    public var nextOffset: LogOffset
    /// The log's end when the rebuild started (the ETA's target).
    public var targetOffset: LogOffset
    public var recordsApplied: Int
    public var elapsedSeconds: Double

    public var recordsPerSecond: Double { Double(recordsApplied) / max(elapsedSeconds, 0.001) }
    public var etaSeconds: Double? {
        guard recordsApplied > 0, targetOffset > nextOffset else { return nextOffset >= targetOffset ? 0 : nil }
        return Double(nextOffset.distance(to: targetOffset)) / recordsPerSecond
    }
}

/// Blue/green rebuild of a projection (SPEC §5): builds a version from offset 0 into a new file
/// beside the live one (which keeps following and serving), catches up with the tail, optionally
/// verifies it against the live build at the same offset, then switches `CURRENT` atomically.
/// The live projector process picks the switch up by itself; the old file stays for rollback.
///
/// Crash-safe: until the final rename, `CURRENT` names the old build. A later rebuild of the same
/// version resumes the interrupted build (the one `REBUILDING` names) when its definitions still
/// match; otherwise, and always after a finished rebuild, it starts a new generation (`v1-2`)
/// from offset 0. A build that was once live (`PREVIOUS`, the rollback target) is never written.
public enum ProjectionRebuild {
    public struct Outcome: Sendable {
        public var build: BuildName
        public var previous: BuildName?
        public var nextOffset: LogOffset
        /// Tables whose shared columns differed from the live build (`--verify`); nil without it.
        public var differences: [String]?
    }

    public static func run(
        _ kind: ProjectionKind, setup: ProjectionSetup, version requested: Int?, verify: Bool,
        progress: @escaping (RebuildProgress) -> Void, log: (String) -> Void
    ) async throws -> Outcome {
        let paths = ProjectionPaths(dataDirectory: setup.dataDirectory, kind: kind)
        try PosixFile.createDirectories(paths.directory)
        let live = try paths.current()
        let version = requested ?? live?.version ?? kind.latestVersion
        try ProjectorError.checkKnown(kind, version: version)
        var options = setup.options
        options.once = true
        options.untilOffset = nil
        var building = setup
        building.options = options

        let (build, projector) = try openBuild(kind, version: version, live: live, paths: paths, setup: building, log: log)
        let target = try LogReader(directory: setup.logDirectory).endOffset()
        let started = ContinuousClock.now
        let resumedAt = projector.nextOffset
        log("\(kind): building \(build) into \(paths.database(build)) from offset \(resumedAt) (log end \(target))")
        if let note = setup.missingFunnelsNote(projector) { log(note) }
        try await projector.run(progress: { report in
            progress(
                RebuildProgress(
                    build: build, nextOffset: report.nextOffset, targetOffset: target, recordsApplied: report.recordsApplied,
                    elapsedSeconds: started.secondsElapsed))
        })
        var differences: [String]?
        if verify, let live {
            differences = try await compare(kind, building: projector, live: paths.database(live), setup: building, log: log)
        }
        let nextOffset = projector.nextOffset
        projector.close()
        try paths.clearRebuilding()
        if let differences, !differences.isEmpty {
            log("\(kind): \(build) differs from \(live!) in \(differences.joined(separator: ", ")); CURRENT still names \(live!)")
            return Outcome(build: build, previous: live, nextOffset: nextOffset, differences: differences)
        }
        try paths.switchCurrent(to: build)
        log("\(kind): CURRENT now names \(build) (was \(live.map(String.init(describing:)) ?? "nothing")); the live projector switches by itself")
        let removed = try paths.removeUnreachableBuilds()
        if !removed.isEmpty { log("\(kind): removed \(removed.map { "\($0).db" }.joined(separator: ", ")) (neither CURRENT nor PREVIOUS)") }
        return Outcome(build: build, previous: live, nextOffset: nextOffset, differences: differences)
    }

    /// The build to write: the interrupted rebuild's build of `version` (`REBUILDING`), or a new
    /// generation, named in `REBUILDING` before its database is created.
    private static func openBuild(
        _ kind: ProjectionKind, version: Int, live: BuildName?, paths: ProjectionPaths, setup: ProjectionSetup, log: (String) -> Void
    ) throws -> (BuildName, Projector) {
        if let candidate = try paths.rebuilding(), candidate.version == version, candidate != live,
            FileManager.default.fileExists(atPath: paths.database(candidate))
        {
            do {
                return (candidate, try setup.projector(kind, databasePath: paths.database(candidate), version: version))
            } catch let error as ProjectorError where error.code == .definitionChanged {
                log("\(kind): \(candidate) was built with other definitions; starting a new build")
            }
        }
        let generations = try paths.builds().filter { $0.version == version }.map(\.generation)
        let build = BuildName(version: version, generation: (generations.max() ?? 0) + 1)
        try paths.markRebuilding(build)
        return (build, try setup.projector(kind, databasePath: paths.database(build), version: version))
    }

    /// Brings the new build and a snapshot of the live one to the same offset and compares them.
    private static func compare(
        _ kind: ProjectionKind, building: Projector, live livePath: String, setup: ProjectionSetup, log: (String) -> Void
    ) async throws -> [String] {
        let deadline = ContinuousClock.now + .seconds(120)
        while true {
            let snapshot = try SQLiteDatabase(path: livePath, readOnly: true)
            try snapshot.execute("BEGIN")  // a WAL read transaction: one consistent snapshot from its first read
            let liveOffset = try ProjectionCheckpoint.read(snapshot).nextOffset
            if liveOffset >= building.nextOffset {
                try await building.advance(to: liveOffset)
                let differences = try ProjectionDigest.differences(kind, snapshot, building.database)
                try snapshot.execute("COMMIT")
                log("\(kind): verified at offset \(liveOffset): \(differences.isEmpty ? "equal where the schemas overlap" : "differs")")
                return differences
            }
            try snapshot.execute("COMMIT")
            // The live build is behind: advance it ourselves when no projector holds it, else let it catch up.
            do {
                let liveProjector = try setup.projector(kind, databasePath: livePath, version: nil)
                try await liveProjector.advance(to: building.nextOffset)
                liveProjector.close()
            } catch let error as ProjectorError where error.code == .busy {
                guard ContinuousClock.now < deadline else {
                    throw ProjectorError(code: .busy, message: "the live \(kind) build stayed behind offset \(building.nextOffset) for 2 minutes; cannot verify")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}
