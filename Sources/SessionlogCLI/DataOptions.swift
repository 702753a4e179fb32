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

    /// Throws when the data directory belongs to another user than the one running `command`, a
    /// command that creates files in it (segments, builds): they would belong to this user, and
    /// the data's owner (the service running `up`) could not write them afterwards. Root is no
    /// exception: root's files are exactly that trap. An absent directory is created as this user.
    func requireOwnedByCaller(_ command: String) throws {
        var info = stat()
        guard stat(directory, &info) == 0, info.st_uid != geteuid() else { return }
        let name = { (uid: uid_t) in getpwuid(uid).map { String(cString: $0.pointee.pw_name) } ?? "uid \(uid)" }
        let (owner, caller) = (name(info.st_uid), name(geteuid()))
        throw CommandError(
            "\(directory) belongs to \(owner), but `sessionlog \(command)` runs as \(caller): the files it creates there would "
                + "belong to \(caller), and \(owner)'s processes could not write them afterwards. Run it as \(owner): "
                + "sudo -u \(owner) sessionlog \(command) …")
    }
}
