import ArgumentParser
import Projections

/// `--cache-sessions N` of `project`, `rebuild` and `up`: how many session folds a projector keeps
/// in memory, which bounds its memory.
struct CacheOption: ParsableArguments {
    @Option(
        name: .customLong("cache-sessions"),
        help: ArgumentHelp(
            "Session folds a projector keeps in memory between commits (2–3 KiB each); past this many "
                + "they are dropped, and read back from the database as their sessions return.")
    )
    var sessions = ProjectorOptions().cacheSessions

    var arguments: [String] { ["--cache-sessions", String(sessions)] }

    func validate() throws {
        guard sessions >= 0 else {
            throw ValidationError("--cache-sessions must be 0 or more (0: none kept between commits)")
        }
    }
}
