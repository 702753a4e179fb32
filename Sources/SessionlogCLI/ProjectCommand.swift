import ArgumentParser
import Foundation
import LogFormat
import LogStore
import Projections

/// `sessionlog project NAME|all`: replay the log into projections and follow its tail.
struct ProjectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "project",
        abstract: "Build a projection from the log and follow its tail (all: four child processes).",
        discussion: """
            Without --db, writes the live build of DATA/projections/NAME (the one CURRENT names; \
            created at the latest version on first run) and switches when a rebuild changes \
            CURRENT. With --db FILE, writes that file instead (a point-in-time projection for \
            auditors: --until-offset N or --until TIME, --db FILE --once). Funnels come from \
            DATA/funnels.json. \
            SIGTERM or SIGINT: commit what was applied and exit 0.
            """
    )

    @OptionGroup var data: DataOptions

    @Argument(help: "pages, sessions, funnels, attribution or all.")
    var name: ProjectionSelection

    @Flag(help: "Stop at the end of the log instead of following it.")
    var once = false

    @Option(help: "Apply only records before this offset, then stop.")
    var untilOffset: UInt64?

    @Option(help: "Apply only records received before this time (\(TimeArgument.formats)), then stop.")
    var until: TimeArgument?

    @Option(help: "Write this database file instead of the live build.")
    var db: String?

    @Option(name: .customLong("schema-version"), help: "Schema version for a new --db file (default: the latest).")
    var schemaVersion: Int?

    @Option(help: "Funnel definitions (default: DATA/funnels.json).")
    var funnels: String?

    @Option(help: "Records applied per transaction while catching up.")
    var batchRecords = ProjectorOptions().batchRecords

    @Option(help: ArgumentHelp(Self.tailIntervalHelp))
    var tailIntervalMs = ProjectorOptions().tailIntervalMs

    @OptionGroup var cache: CacheOption

    static let tailIntervalHelp =
        "At the tail, apply new records at most once per this many milliseconds: fewer, larger transactions under steady traffic, for that much more lag (0: at every commit of the log)."

    /// `--tail-interval-ms` of `project` and `up`.
    static func validateTailInterval(_ milliseconds: Int) throws {
        guard (0...60_000).contains(milliseconds) else { throw ValidationError("--tail-interval-ms must be between 0 and 60000") }
    }

    func validate() throws {
        if name == .all && db != nil { throw ValidationError("--db names one database; use it with a single projection") }
        if schemaVersion != nil && db == nil {
            throw ValidationError("--schema-version applies to a new --db file; the live build's version is changed with `sessionlog rebuild`")
        }
        guard batchRecords >= 1 else { throw ValidationError("--batch-records must be at least 1") }
        try Self.validateTailInterval(tailIntervalMs)
        if until != nil && untilOffset != nil { throw ValidationError("--until and --until-offset both say where to stop; give one") }
    }

    /// `--until-offset`, or the offset `--until` comes to: the first record received at or after it.
    private func stopOffset() throws -> UInt64? {
        guard let until else { return untilOffset }
        let offset = try LogReader(directory: data.logPath).firstOffset(receivedAtOrAfter: until.milliseconds)
        printError("project: the records received before \(TimeArgument.text(ms: until.milliseconds)) end at offset \(offset)")
        return offset.rawValue
    }

    func run() async throws {
        try data.requireExisting()
        if db == nil { try data.requireOwnedByCaller("project") }  // a --db file is the caller's own
        let stop = StopFlag()
        let stopOffset = try stopOffset()
        switch name {
        case .all:
            try await runAll(stop: stop, untilOffset: stopOffset)
        case .one(let kind):
            let trap = SignalTrap { stop.set() }
            defer { trap.cancel() }
            try await runOne(kind, stop: stop, untilOffset: stopOffset)
        }
    }

    private func setup(untilOffset: UInt64?) -> ProjectionSetup {
        var setup = ProjectionSetup(dataDirectory: data.directory, funnelsPath: funnels)
        setup.options.once = once
        setup.options.untilOffset = untilOffset.map { LogOffset($0) }
        setup.options.batchRecords = batchRecords
        setup.options.tailIntervalMs = tailIntervalMs
        setup.options.cacheSessions = cache.sessions
        return setup
    }

    private func runOne(_ kind: ProjectionKind, stop: StopFlag, untilOffset: UInt64?) async throws {
        let setup = setup(untilOffset: untilOffset)
        let started = ContinuousClock.now
        var last: ProjectorProgress?
        let interactive = isatty(STDERR_FILENO) == 1
        let report = { (progress: ProjectorProgress) in
            last = progress
            if interactive {
                let rate = started.ratePerSecond(progress.recordsApplied)
                writeError("\r\(kind): offset \(progress.nextOffset), \(progress.recordsApplied) records (\(Int(rate))/s)   ")
            }
        }
        if let db {
            let projector = try setup.projector(kind, databasePath: db, version: schemaVersion)
            try await projector.run(shouldStop: { stop.isSet }, progress: report)
        } else {
            try await LiveProjection.run(kind, setup: setup, shouldStop: { stop.isSet }) { printError($0) }
        }
        if interactive { writeError("\n") }
        if let last {
            let seconds = started.secondsElapsed
            printError(
                "\(kind): applied \(last.recordsApplied) records (\(last.actionsApplied) actions) in \(String(format: "%.2f", seconds)) s; next offset \(last.nextOffset)"
            )
            if let untilOffset, last.nextOffset.rawValue < untilOffset {
                printError("\(kind): the log ends at offset \(last.nextOffset), before offset \(untilOffset): every record is applied")
            }
        }
    }

    /// Four children, each given the same stop offset (`--until` is resolved once, here).
    private func runAll(stop: StopFlag, untilOffset: UInt64?) async throws {
        var shared =
            ["--data", data.directory, "--batch-records", String(batchRecords)]
            + ["--tail-interval-ms", String(tailIntervalMs)] + cache.arguments
        if once { shared.append("--once") }
        if let untilOffset { shared += ["--until-offset", String(untilOffset)] }
        if let funnels { shared += ["--funnels", funnels] }
        let supervisor = Supervisor(
            children: ProjectionKind.allCases.map { .init(name: $0.rawValue, arguments: ["project", $0.rawValue] + shared) },
            restart: false)
        let trap = SignalTrap { supervisor.stop() }
        defer { trap.cancel() }
        let failed = await supervisor.run()
        guard failed.isEmpty else {
            printError("projectors failed: \(failed.joined(separator: ", "))")
            throw ExitCode.failure
        }
    }
}
