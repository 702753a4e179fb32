import ArgumentParser
import Foundation
import LogStore
import Projections

/// `sessionlog up`: the main job — the ingress and the four projectors as supervised children.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Run the ingress and the four projectors as supervised child processes (Ctrl-C stops them).",
        discussion: """
            Each child's output is prefixed with its name; a child that exits is restarted with \
            backoff (0.5 s doubling to 30 s). SIGTERM or SIGINT stops every child cleanly (the \
            ingress drains and syncs) and exits 0. Producers post to DATA/ingress.sock (or \
            --socket). The ingress options below are passed to the ingress.
            """
    )

    @OptionGroup var data: DataOptions

    @OptionGroup(title: "Ingress options") var ingress: IngressOptions

    @Option(help: "The projectors' --tail-interval-ms (see `sessionlog project --help`).")
    var tailIntervalMs = ProjectorOptions().tailIntervalMs

    @OptionGroup(title: "Projector options") var cache: CacheOption

    func validate() throws { try ProjectCommand.validateTailInterval(tailIntervalMs) }

    func run() async throws {
        try data.requireOwnedByCaller("up")
        try PosixFile.createDirectories(data.directory)
        let shared = ["--data", data.directory]
        let projectorArguments = ["--tail-interval-ms", String(tailIntervalMs)] + cache.arguments
        let children =
            [Supervisor.Child(name: "ingress", arguments: ["ingress"] + shared + ingress.arguments)]
            + ProjectionKind.allCases.map {
                Supervisor.Child(name: $0.rawValue, arguments: ["project", $0.rawValue] + shared + projectorArguments)
            }
        let supervisor = Supervisor(children: children, restart: true)
        let trap = SignalTrap {
            Supervisor.log("up", "stopping")
            supervisor.stop()
        }
        defer { trap.cancel() }
        Supervisor.log("up", "ingress on \(data.socketPath(ingress.socket)); projections in \(data.directory)/projections")
        _ = await supervisor.run()
        Supervisor.log("up", "stopped")
    }
}
