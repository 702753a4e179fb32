import ArgumentParser
import Dispatch
import Foundation
import Ingress
import LogStore
import Logging

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// `sessionlog ingress`: the daemon producers talk to.
struct IngressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingress",
        abstract: "Serve HTTP/1.1 on a Unix socket: validate payloads and append them durably.",
        discussion: """
            Routes: POST /v3/session, POST /v2/session, POST /v1/events, POST /batch (NDJSON), \
            GET /health, GET /metrics, and POST /requeue (for sessionlog requeue). An answer is sent \
            only after the record is written and fdatasync'd (group commit). Invalid payloads get 400 \
            (413 over --max-body) and go to the quarantine log. SIGTERM or SIGINT: stop accepting, \
            finish requests in flight, sync, exit 0.

              curl --unix-socket data/ingress.sock -d @p.json http://localhost/v3/session
            """
    )

    @OptionGroup var data: DataOptions

    @OptionGroup var options: IngressOptions

    func run() async throws {
        try data.requireOwnedByCaller("ingress")
        try PosixFile.createDirectories(data.directory)
        var logger = Logger(label: "sessionlog.ingress") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = options.logLevel
        let server = try IngressServer(configuration: options.configuration(data: data), logger: logger)
        let trap = SignalTrap { server.stop() }
        try await server.run()
        trap.cancel()
    }
}

/// The ingress's options, shared by `ingress` and `up` (which hands them to its ingress child).
struct IngressOptions: ParsableArguments {
    @Option(help: "Socket path (default: <data>/ingress.sock).")
    var socket: String?

    @Option(help: "Largest payload in bytes.")
    var maxBody: Int = 1 << 20

    @Option(help: "Largest request head (request line and headers) in bytes; larger gets 431.")
    var maxHeaderBytes: Int = 16 << 10

    @Option(help: "fdatasync policy: always (durable before answered) or never.")
    var fsync: FsyncPolicy = .always

    @Option(help: "Roll segments at this size in bytes.")
    var segmentBytes: Int = 256 << 20

    @Option(help: "Close a connection whose next request is not complete within this many ms.")
    var requestTimeoutMs: Int64 = 30_000

    @Option(help: "Close connections beyond this many.")
    var maxConnections: Int = 256

    @Option(help: "Stop reading from connections while the bodies of requests in flight exceed this many bytes.")
    var maxPendingBytes: Int = 64 << 20

    @Option(
        help: """
            Save the idempotency window this often (seconds) while keys are accepted, and at the \
            stop; a start after a crash reads only the log after the last save. 0: at the stop only.
            """)
    var snapshotInterval: Int64 = 300

    @Option(help: "Event-loop threads serving connections (default: one per core, at most 4).")
    var eventLoops: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    @Option(help: "Allow only peers with this uid (repeatable; with --allow-gid, either matches).")
    var allowUid: [UInt32] = []

    @Option(help: "Allow only peers with this gid (repeatable).")
    var allowGid: [UInt32] = []

    func validate() throws {
        guard maxBody > 0, maxBody <= LogWriterOptions.recordBytesMax - 4096 else {
            throw ValidationError("--max-body must be between 1 and \(LogWriterOptions.recordBytesMax - 4096)")
        }
        guard (1024...(1 << 20)).contains(maxHeaderBytes) else { throw ValidationError("--max-header-bytes must be between 1024 and 1048576") }
        guard segmentBytes >= 4096 else { throw ValidationError("--segment-bytes must be at least 4096") }
        guard requestTimeoutMs >= 10 else { throw ValidationError("--request-timeout-ms must be at least 10") }
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
        guard maxPendingBytes >= 0 else { throw ValidationError("--max-pending-bytes must be ≥ 0") }
        guard (0...86_400).contains(snapshotInterval) else { throw ValidationError("--snapshot-interval must be between 0 and 86400 seconds") }
        if let eventLoops, !(1...64).contains(eventLoops) { throw ValidationError("--event-loops must be between 1 and 64") }
    }

    func configuration(data: DataOptions) -> IngressConfiguration {
        var configuration = IngressConfiguration(socketPath: data.socketPath(socket), logPath: data.logPath, rejectedPath: data.rejectedPath)
        configuration.bodyBytesMax = maxBody
        configuration.headerBytesMax = maxHeaderBytes
        configuration.requestTimeoutMs = requestTimeoutMs
        configuration.connectionsMax = maxConnections
        configuration.pendingBytesMax = maxPendingBytes
        configuration.snapshotIntervalMs = snapshotInterval * 1000
        if let eventLoops { configuration.threads = eventLoops }
        configuration.allowedUIDs = Set(allowUid)
        configuration.allowedGIDs = Set(allowGid)
        configuration.writer.fsync = fsync
        configuration.writer.segmentBytesMax = segmentBytes
        return configuration
    }

    /// These options as `sessionlog ingress` arguments, every one spelled out.
    var arguments: [String] {
        var arguments = [
            "--max-body", String(maxBody), "--max-header-bytes", String(maxHeaderBytes), "--fsync", fsync.rawValue,
            "--segment-bytes", String(segmentBytes), "--request-timeout-ms", String(requestTimeoutMs),
            "--max-connections", String(maxConnections), "--max-pending-bytes", String(maxPendingBytes), "--snapshot-interval", String(snapshotInterval), "--log-level", logLevel.rawValue,
        ]
        if let socket { arguments += ["--socket", socket] }
        if let eventLoops { arguments += ["--event-loops", String(eventLoops)] }
        for uid in allowUid { arguments += ["--allow-uid", String(uid)] }
        for gid in allowGid { arguments += ["--allow-gid", String(gid)] }
        return arguments
    }
}
