import Foundation
import ProcessSpawn
import Synchronization

/// Runs `sessionlog` subcommands as child processes (`project all`, `up`): each child's output
/// lines are prefixed with its name; `stop()` sends SIGTERM to every child and waits for them.
/// With `restart`, a child that exits while not stopping is started again after a backoff
/// (0.5 s doubling to 30 s; reset after a minute of uptime). Each child's standard input is a
/// lifeline: a pipe nothing is written to, whose end tells the child (`SignalTrap`) that its
/// supervisor has exited, however it died.
///
/// Thread-safe: children are watched on their own threads.
final class Supervisor: Sendable {
    struct Child: Sendable {
        var name: String
        var arguments: [String]
    }

    private let children: [Child]
    private let restart: Bool
    private let executable: String
    private let state = Mutex(State())

    private struct State {
        var stopping = false
        var running: [String: SpawnedProcess] = [:]
        var failures: [String] = []
    }

    init(children: [Child], restart: Bool) {
        self.children = children
        self.restart = restart
        executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    }

    /// Starts every child and returns when all have exited for good; the names of those that
    /// failed (non-zero exit or a signal) are returned.
    func run() async -> [String] {
        await withTaskGroup(of: Void.self) { group in
            for child in children {
                group.addTask { await self.watch(child) }
            }
        }
        return state.withLock { $0.failures }
    }

    /// SIGTERM to every running child; no more restarts.
    func stop() {
        let running = state.withLock { state in
            state.stopping = true
            return Array(state.running.values)
        }
        for process in running { process.signal(SIGTERM) }
    }

    private func watch(_ child: Child) async {
        var backoffMs = 500
        while !state.withLock({ $0.stopping }) {
            let started = ContinuousClock.now
            let status = await runOnce(child)
            let stopping = state.withLock { $0.stopping }
            if status != 0 && !stopping { state.withLock { $0.failures.append(child.name) } }
            guard restart, !stopping else { return }
            if started.duration(to: .now) > .seconds(60) { backoffMs = 500 }
            Self.log(child.name, "exited with status \(status); restarting in \(backoffMs) ms")
            try? await Task.sleep(for: .milliseconds(backoffMs))
            backoffMs = min(backoffMs * 2, 30_000)
        }
    }

    /// Runs the child to its exit; its termination status (128 + signal when killed).
    private func runOnce(_ child: Child) async -> Int32 {
        let out = LinePrefixer(prefix: child.name, descriptor: STDOUT_FILENO)
        let err = LinePrefixer(prefix: child.name, descriptor: STDERR_FILENO)
        let environment = ProcessInfo.processInfo.environment.merging([SignalTrap.lifelineVariable: "stdin"]) { $1 }
        // Started under the lock `stop` takes: a child either starts before `stop` (and gets its
        // SIGTERM) or not at all.
        let started: SpawnedProcess?
        do {
            started = try state.withLock { (state) throws(SpawnError) -> SpawnedProcess? in
                guard !state.stopping else { return nil }
                let process = try SpawnedProcess(executable, child.arguments, environment: environment) { stream, bytes in
                    (stream == .standardOutput ? out : err).append(bytes)
                }
                state.running[child.name] = process
                return process
            }
        } catch {
            Self.log(child.name, "\(error)")
            return 127
        }
        guard let process = started else { return 0 }
        // Standard input is the child's lifeline: never written, open until the child has
        // exited (`SpawnedProcess` closes it when released).
        let termination = await process.terminated()
        out.finish()
        err.finish()
        state.withLock { _ = $0.running.removeValue(forKey: child.name) }
        return termination.shellStatus
    }

    static func log(_ name: String, _ message: String) {
        printError("[\(name)] \(message)")
    }
}

/// Writes a child's output to `descriptor` line by line, each line prefixed with `[name] `.
private final class LinePrefixer: Sendable {
    private let prefix: [UInt8]
    private let descriptor: Int32
    private let pending = Mutex([UInt8]())

    init(prefix: String, descriptor: Int32) {
        self.prefix = Array("[\(prefix)] ".utf8)
        self.descriptor = descriptor
    }

    func append(_ bytes: ArraySlice<UInt8>) {
        guard !bytes.isEmpty else { return }
        pending.withLock { buffer in
            buffer.append(contentsOf: bytes)
            guard let lastNewline = buffer.lastIndex(of: UInt8(ascii: "\n")) else { return }
            emit(buffer[...lastNewline])
            buffer.removeSubrange(...lastNewline)
        }
    }

    func finish() {
        pending.withLock { buffer in
            if !buffer.isEmpty { emit(buffer[...] + [UInt8(ascii: "\n")]) }
            buffer.removeAll()
        }
    }

    private func emit(_ lines: some Collection<UInt8>) {
        var out: [UInt8] = []
        for line in lines.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast() {
            out += prefix
            out += line
            out.append(UInt8(ascii: "\n"))
        }
        out.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = write(descriptor, raw.baseAddress! + done, raw.count - done)
                if n <= 0 { return }
                done += n
            }
        }
    }
}
