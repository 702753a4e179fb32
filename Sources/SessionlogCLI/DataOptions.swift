import ArgumentParser
import Foundation

/// `--data DIR`, shared by every command, and the paths under it.
struct DataOptions: ParsableArguments {
    @Option(name: .customLong("data"), help: "Data directory.")
    var directory: String = "./data"

    var logPath: String { directory + "/log" }
    var rejectedPath: String { directory + "/rejected" }

    func path(rejected: Bool) -> String { rejected ? rejectedPath : logPath }

    /// The ingress's socket: `--socket`'s value when given, else `ingress.sock` in the directory.
    func socketPath(_ option: String?) -> String { option ?? directory + "/ingress.sock" }

    /// Throws unless the data directory exists: a command that reads data (or builds from it)
    /// refuses a mistyped `--data` rather than reporting, or creating, an empty one. Only
    /// `up`, `ingress` and `import` create it.
    func requireExisting() throws {
        guard FileManager.default.fileExists(atPath: directory) else {
            throw CommandError("no data directory at \(directory); pass --data DIR (default ./data)")
        }
    }
}
