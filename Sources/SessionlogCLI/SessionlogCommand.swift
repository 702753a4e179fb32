import ArgumentParser
import LogFormat

/// The `sessionlog` executable: one command with a subcommand per job.
@available(macOS 10.15, *)  // lets ArgumentParser pick its async entry point
public struct SessionlogCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sessionlog",
        abstract: "Event-sourced log processor for web-analytics sessions.",
        discussion: """
            Data lives under --data (default ./data): log/ holds accepted payloads, rejected/ the \
            quarantine log. See docs/operations.md.
            """,
        version: "\(version) (log format \(SegmentHeader.formatVersion))",
        subcommands: [UpCommand.self, IngressCommand.self, ProjectCommand.self, RebuildCommand.self, RollbackCommand.self, QueryCommand.self, StatusCommand.self, SendCommand.self, ImportCommand.self, ValidateCommand.self, ReplayCommand.self, VerifyCommand.self, InspectCommand.self, RequeueCommand.self]
    )

    /// This build's version (`sessionlog --version`); the log format has its own (segment headers).
    static let version = "0.19.0"

    public init() {}
}

extension SessionlogCommand {
    /// Parses the process arguments and runs the chosen command, exiting with its status.
    /// (Called from main.swift, where ArgumentParser's own `main()` would pick its synchronous
    /// overload.)
    public static func runFromCommandLine() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
