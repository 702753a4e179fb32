import ArgumentParser
import Foundation
import Projections

/// `sessionlog rebuild NAME`: blue/green rebuild of a projection, then an atomic switch.
struct RebuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Build a projection version from offset 0 beside the live one, catch up, and switch CURRENT.",
        discussion: """
            The live projector keeps following and answering queries meanwhile, and switches to \
            the new build by itself once CURRENT changes; the old build stays for `sessionlog \
            rollback NAME`, and builds older than that are removed. An interrupted rebuild is \
            resumed by the next one; any other rebuild starts from offset 0. --verify compares \
            the new and the live build at the same offset over the columns both schemas have, \
            and keeps CURRENT unchanged (exit 1) when they differ.
            """
    )

    @OptionGroup var data: DataOptions

    @Argument(help: "pages, sessions, funnels or attribution.")
    var name: ProjectionKind

    @Option(help: "Schema version to build (default: the live one, or the latest for a new projection).")
    var version: Int?

    @Flag(help: "Compare with the live build at the same offset before switching.")
    var verify = false

    @Option(help: "Funnel definitions (default: DATA/funnels.json).")
    var funnels: String?

    @Option(help: "CPU niceness of the rebuild (0–19): a rebuild is background work; the ingress and live projectors come first.")
    var nice: Int32 = 10

    @OptionGroup var cache: CacheOption

    func validate() throws {
        guard (0...19).contains(nice) else { throw ValidationError("--nice must be 0…19") }
    }

    func run() async throws {
        try data.requireExisting()
        try data.requireOwnedByCaller("rebuild")
        Self.lowerPriority(to: nice)
        let interactive = isatty(STDERR_FILENO) == 1
        var nextLine = ContinuousClock.now
        var setup = ProjectionSetup(dataDirectory: data.directory, funnelsPath: funnels)
        setup.options.cacheSessions = cache.sessions
        let outcome = try await ProjectionRebuild.run(
            name, setup: setup, version: version, verify: verify,
            progress: { progress in
                let now = ContinuousClock.now
                guard interactive || now >= nextLine || progress.nextOffset >= progress.targetOffset else { return }
                nextLine = now + .seconds(5)
                let eta = progress.etaSeconds.map { String(format: "%.0f s", $0) } ?? "?"
                let line = "\(name) \(progress.build): offset \(progress.nextOffset)/\(progress.targetOffset), \(progress.recordsApplied) records, \(Int(progress.recordsPerSecond)) records/s, ETA \(eta)"
                writeError(interactive ? "\r\(line)\u{1B}[K" : line + "\n")
            },
            log: { line in printError((interactive ? "\n" : "") + line) })
        if let differences = outcome.differences, !differences.isEmpty { throw ExitCode.failure }
    }
}

extension RebuildCommand {
    /// Linux keeps niceness per thread: lower every existing thread of the process (threads
    /// created later inherit it from their creator).
    static func lowerPriority(to nice: Int32) {
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        for thread in threads.compactMap({ id_t($0) }) where setpriority(__priority_which_t(PRIO_PROCESS.rawValue), thread, nice) != 0 {
            printError("rebuild: could not lower the CPU priority of thread \(thread) (\(String(cString: strerror(errno)))); continuing")
        }
    }
}

/// `sessionlog rollback NAME`: point CURRENT back at the previous build.
struct RollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Switch a projection back to the build CURRENT named before the last rebuild.",
        discussion: "The live projector switches by itself and catches the old build up with the log."
    )

    @OptionGroup var data: DataOptions

    @Argument(help: "pages, sessions, funnels or attribution.")
    var name: ProjectionKind

    func run() throws {
        try data.requireExisting()
        let paths = ProjectionPaths(dataDirectory: data.directory, kind: name)
        guard let current = try paths.current() else { throw CommandError("\(name) has never been built under \(data.directory)") }
        guard let previous = try paths.previous(), previous != current else {
            throw CommandError("\(name) has no previous build to return to (CURRENT is \(current))")
        }
        guard FileManager.default.fileExists(atPath: paths.database(previous)) else {
            throw CommandError("\(paths.database(previous)) no longer exists")
        }
        _ = try ProjectionDatabase.openReadOnly(name, path: paths.database(previous))  // a damaged build is not switched to
        try paths.switchCurrent(to: previous)
        printError("\(name): CURRENT now names \(previous) (was \(current)); `sessionlog rollback \(name)` again returns to \(current)")
    }
}
