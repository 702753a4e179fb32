import ArgumentParser

/// `--data DIR`, shared by every command, and the paths under it.
struct DataOptions: ParsableArguments {
    @Option(name: .customLong("data"), help: "Data directory.")
    var directory: String = "./data"

    var logPath: String { directory + "/log" }
    var rejectedPath: String { directory + "/rejected" }

    func path(rejected: Bool) -> String { rejected ? rejectedPath : logPath }
}
