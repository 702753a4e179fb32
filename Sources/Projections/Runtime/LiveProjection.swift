import Foundation
import LogFormat
import LogStore

/// Where a projector reads from and what it is built with.
public struct ProjectionSetup: Sendable {
    public var dataDirectory: String
    /// `DATA/funnels.json` unless set.
    public var funnelsPath: String
    /// The user named `funnelsPath`: it must exist (the default may be absent: no funnels).
    public var funnelsPathIsExplicit: Bool
    public var channels: ChannelRules = .shipped
    public var options = ProjectorOptions()

    public init(dataDirectory: String, funnelsPath: String? = nil) {
        self.dataDirectory = dataDirectory
        self.funnelsPath = funnelsPath ?? dataDirectory + "/funnels.json"
        funnelsPathIsExplicit = funnelsPath != nil
    }

    public var logDirectory: String { dataDirectory + "/log" }

    /// The funnel definitions a build of `kind` uses: `funnelsPath`'s for funnels (absent means
    /// none, unless the user named the file), none for the other projections.
    private func funnels(for kind: ProjectionKind) throws -> FunnelDefinitions {
        kind == .funnels ? try FunnelDefinitions.load(path: funnelsPath, required: funnelsPathIsExplicit) : .empty
    }

    /// What to tell the operator when `projector` builds funnels without any definitions (the
    /// default file is absent), nil otherwise.
    public func missingFunnelsNote(_ projector: Projector) -> String? {
        guard projector.definitions["funnels.json"] == FunnelDefinitions.empty.digest else { return nil }
        return "funnels: no funnels: \(funnelsPath) does not exist, so the funnel tables stay empty. Create it "
            + "(an example: Schemas/funnels.example.json), then run `sessionlog rebuild funnels`"
    }

    /// The first definition (`funnels.json`, `channels.json`, the DDL, the fold state's format)
    /// that changed since `database`, a build of `kind` at `checkpoint`'s version, was made, or
    /// nil: its projector refuses to follow until a rebuild. Only reads, beside a running projector.
    public func changedDefinition(_ kind: ProjectionKind, in database: SQLiteDatabase, checkpoint: ProjectionCheckpoint) throws -> String? {
        let projection = Projector.projection(kind, funnels: try funnels(for: kind), channels: channels)
        return try ProjectionStore.changedDefinition(in: database, expected: ProjectionStore.definitions(of: projection, version: checkpoint.schemaVersion))
    }

    /// A projector for `kind` writing `databasePath` (created at `build`'s version when new).
    public func projector(_ kind: ProjectionKind, databasePath: String, version: Int?) throws -> Projector {
        let funnels = try funnels(for: kind)
        return try Projector(
            kind: kind, logDirectory: logDirectory, databasePath: databasePath, version: version, funnels: funnels,
            channels: channels, options: options)
    }
}

/// The live projection of `DATA/projections/NAME`: the build `CURRENT` names (created at the
/// latest version on first run), followed until stopped, reopened when a rebuild switches
/// `CURRENT` — the process never needs a restart.
public enum LiveProjection {
    public static func run(
        _ kind: ProjectionKind, setup: ProjectionSetup, shouldStop: @escaping @Sendable () -> Bool,
        report: @escaping (String) -> Void
    ) async throws {
        let paths = ProjectionPaths(dataDirectory: setup.dataDirectory, kind: kind)
        while true {
            let build: BuildName
            if let current = try paths.current() {
                build = current
            } else {
                build = BuildName(version: kind.latestVersion)
                try PosixFile.createDirectories(paths.directory)
            }
            let projector = try setup.projector(kind, databasePath: paths.database(build), version: build.version)
            if try paths.current() == nil { try paths.switchCurrent(to: build) }
            report("\(kind): following the log into \(paths.database(build)) from offset \(projector.nextOffset)")
            let switched = { @Sendable in (try? paths.current()).map { $0 != build } ?? false }
            // funnels.json is read once per build; an edit while following stops the projector too.
            let builtWith = projector.definitions["funnels.json"]
            if let note = setup.missingFunnelsNote(projector) { report(note) }
            let edited = { @Sendable in builtWith.map { FunnelDefinitions.digest(path: setup.funnelsPath) != $0 } ?? false }
            var caughtUp = false
            try await projector.run(shouldStop: { shouldStop() || switched() || edited() }) { progress in
                if progress.atTail && !caughtUp {
                    caughtUp = true
                    report("\(kind): caught up at offset \(progress.nextOffset)")
                }
            }
            if edited() && !switched() {
                throw ProjectorError.definitionChanged(kind, database: paths.database(build), what: "funnels.json")
            }
            guard switched(), !shouldStop() else { return }
            report("\(kind): CURRENT now names \((try? paths.current()).map(String.init(describing:)) ?? "?"); switching")
        }
    }
}
