import Foundation
import LogStore
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// `sessionlog ingress`: HTTP/1.1 over a Unix domain socket in front of the log (SPEC §2).
///
/// Opens both logs for writing (taking their locks, recovering them), binds the socket (mode
/// 0660), serves until `stop()` (SIGTERM/SIGINT in the CLI), then stops accepting, finishes the
/// requests in flight, commits what is pending and closes the logs.
public final class IngressServer: Sendable {
    private let services: IngressServices
    private let group: MultiThreadedEventLoopGroup
    private let stopRequest = StopRequest()

    public init(configuration: IngressConfiguration, logger: Logger = Logger(label: "sessionlog.ingress")) throws {
        let logs = try DataLogs.open(logPath: configuration.logPath, rejectedPath: configuration.rejectedPath, options: configuration.writer)
        let now = configuration.writer.clock()
        let window: IdempotencyWindow
        do {
            window = try IdempotencyWindow.rebuild(from: configuration.logPath, nowMs: now, limits: configuration.payloadLimits)
        } catch {
            logs.closeBlocking()
            throw error
        }
        services = IngressServices(configuration: configuration, logs: logs, idempotency: window, logger: logger)
        for recovery in logs.notableRecoveries { logger.info("recovered", metadata: ["recovery": "\(recovery)"]) }
        logger.info(
            "opened the logs",
            metadata: [
                "log.next_offset": "\(logs.main.committedEnd.next)", "rejected.next_offset": "\(logs.quarantine.committedEnd.next)",
                "idempotency.keys": "\(window.count)", "idempotency.snapshot_next": "\(window.origin?.snapshotNext.map { "\($0)" } ?? "none")",
                "idempotency.read_from": "\(window.origin.map { "\($0.readFrom)" } ?? "")",
            ])
        group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.threads)
    }

    /// Recoveries worth telling the operator about.
    public var notableRecoveries: [String] { services.logs.notableRecoveries }

    /// Serves until `stop()`; returns after the graceful shutdown.
    public func run(onListening: @Sendable () -> Void = {}) async throws {
        let services = self.services
        let bootstrap = ServerBootstrap(group: group)
            // Connections not yet accepted queue rather than fail: a burst of producers starting
            // together (non-blocking connects get EAGAIN from a full queue). Linux caps this at
            // net.core.somaxconn; connections over --max-connections are closed once accepted.
            .serverChannelOption(ChannelOptions.backlog, value: 4096)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AdmissionHandler(services: services))
                    // IngressHandler parses requests from the bytes read (HTTPRequestParser), orders
                    // pipelined answers, and writes its answers as bytes.
                    try channel.pipeline.syncOperations.addHandler(IngressHandler(services: services))
                }
            }
        let path = services.configuration.socketPath
        // Bind beside the final path, set the mode, then rename: the socket appears with mode 0660
        // already, so no client can connect (nor an operator's chmod race) before it is set.
        let staging = path + ".binding-\(getpid())"
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(unixDomainSocketPath: staging, cleanupExistingSocketFile: true).get()
        } catch let error as IOError {
            guard error.errnoCode == ENOENT else { throw StorageError.syscall("bind", errno: error.errnoCode, path: path) }
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            throw StorageError(
                .invalidArgument, "cannot create the socket \(path): the directory \(directory) does not exist; create it or choose another --socket",
                path: path)
        } catch SocketAddressError.unixDomainSocketPathTooLong {
            throw StorageError(
                .invalidArgument,
                "socket path \(path) is too long: while binding it is \(staging), and a Unix socket path takes at most "
                    + "\(MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1) bytes; choose a shorter --socket or --data",
                path: path)
        }
        chmod(staging, 0o660)
        guard rename(staging, path) == 0 else {
            let error = errno
            try? await channel.close()
            unlink(staging)
            throw StorageError.syscall("rename", errno: error, path: path)
        }
        services.logger.info("listening", metadata: ["socket.path": "\(path)", "event_loops": "\(services.configuration.threads)"])
        onListening()
        let snapshots = IdempotencySnapshotSaver(services: services)
        snapshots.start()
        await stopRequest.wait()
        // Stop accepting and refuse new requests, let in-flight ones finish (bounded), then sync and close.
        services.draining.change(to: true)
        services.logger.info("draining: no new requests", metadata: ["requests.in_flight": "\(services.inFlight.current)"])
        try? await channel.close()
        let deadline = ContinuousClock.now + .seconds(10)
        while services.inFlight.current > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        await services.logs.close()
        snapshots.stop()
        try? await group.shutdownGracefully()
        unlink(path)
        services.logger.info("stopped", metadata: ["log.next_offset": "\(services.log.committedEnd.next)"])
    }

    /// Asks `run()` to shut down gracefully. Safe from any thread (a signal handler's queue).
    public func stop() { stopRequest.request() }
}

/// A request to stop, made once from any thread: `wait()` returns as soon as it is made, or at
/// once if it was made before (no polling while the server runs).
private final class StopRequest: Sendable {
    private let state = Mutex<(requested: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func request() {
        let waiter = state.withLock { state in
            state.requested = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let requested = state.withLock { state in
                if !state.requested { state.waiter = continuation }
                return state.requested
            }
            if requested { continuation.resume() }
        }
    }
}
