import Dispatch
import Foundation
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
    private let executable: URL
    private let state = Mutex(State())

    private struct State {
        var stopping = false
        var running: [String: Process] = [:]
        var failures: [String] = []
    }

    init(children: [Child], restart: Bool) {
        self.children = children
        self.restart = restart
        executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
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
        for process in running where process.isRunning { kill(process.processIdentifier, SIGTERM) }
    }

    private func watch(_ child: Child) async {
        var backoffMs = 500
        while !state.withLock({ $0.stopping }) {
            let started = Date()
            let status = await runOnce(child)
            let stopping = state.withLock { $0.stopping }
            if status != 0 && !stopping { state.withLock { $0.failures.append(child.name) } }
            guard restart, !stopping else { return }
            if Date().timeIntervalSince(started) > 60 { backoffMs = 500 }
            Self.log(child.name, "exited with status \(status); restarting in \(backoffMs) ms")
            try? await Task.sleep(for: .milliseconds(backoffMs))
            backoffMs = min(backoffMs * 2, 30_000)
        }
    }

    /// Runs the child to its exit; its termination status (128 + signal when killed).
    private func runOnce(_ child: Child) async -> Int32 {
        let process = Process()
        process.executableURL = executable
        process.arguments = child.arguments
        let out = LinePrefixer(prefix: child.name, descriptor: STDOUT_FILENO)
        let err = LinePrefixer(prefix: child.name, descriptor: STDERR_FILENO)
        let outPipe = Pipe()
        let errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        let lifeline = Pipe()  // the write end stays open here until the child has exited
        process.standardInput = lifeline
        process.environment = ProcessInfo.processInfo.environment.merging([SignalTrap.lifelineVariable: "stdin"]) { $1 }
        outPipe.fileHandleForReading.readabilityHandler = { out.append($0.availableData) }
        errPipe.fileHandleForReading.readabilityHandler = { err.append($0.availableData) }
        return await withCheckedContinuation { continuation in
            process.terminationHandler = { process in
                outPipe.fileHandleForReading.readabilityHandler = nil
                errPipe.fileHandleForReading.readabilityHandler = nil
                out.append(outPipe.fileHandleForReading.readDataToEndOfFile())
                err.append(errPipe.fileHandleForReading.readDataToEndOfFile())
                out.finish()
                err.finish()
                try? lifeline.fileHandleForWriting.close()
                self.state.withLock { _ = $0.running.removeValue(forKey: child.name) }
                let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
                continuation.resume(returning: status)
            }
            do {
                let stopping = state.withLock { state in
                    if !state.stopping { state.running[child.name] = process }
                    return state.stopping
                }
                guard !stopping else {
                    continuation.resume(returning: 0)
                    return
                }
                try process.run()
            } catch {
                Self.log(child.name, "could not start: \(error)")
                state.withLock { _ = $0.running.removeValue(forKey: child.name) }
                continuation.resume(returning: 127)
            }
        }
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

    func append(_ data: Data) {
        guard !data.isEmpty else { return }
        pending.withLock { buffer in
            buffer.append(contentsOf: data)
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
