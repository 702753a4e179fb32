import CProcessSpawn
import Dispatch
import Foundation
import Synchronization

/// A child process started with `posix_spawn`: its standard input is a pipe written through this
/// object, its standard output and error are pipes drained on two threads into `output`, and a
/// third thread waits for its exit. In the child every descriptor above 2 is closed and every
/// signal has its default action and is unblocked (see `slog_spawn`).
///
/// Foundation's `Process` does the same job but lists `/proc/self/fd` by copying whole
/// `struct dirent`s, which reads past glibc's buffer (AddressSanitizer: heap-buffer-overflow);
/// see docs/decisions/0009-process-spawn.md.
///
/// A pid is signalled only while the child is unreaped: the exit thread waits with `WNOWAIT` and
/// reaps under the lock `signal` takes, so `signal` never reaches a process that reused the pid.
/// Releasing the object closes the child's input (it reads end of file) and nothing else: the
/// child runs on, and is still reaped when it exits.
///
/// Thread-safe. Writing to the input of a child that has exited raises SIGPIPE unless the
/// process ignores it.
///
/// ```swift
/// let child = try SpawnedProcess("/bin/echo", ["hi"]) { stream, bytes in print(stream, bytes) }
/// child.closeInput()
/// let termination = await child.terminated()  // .exited(0)
/// ```
public final class SpawnedProcess: Sendable {
    /// One of the child's two output streams.
    public enum Stream: Sendable { case standardOutput, standardError }

    /// How the child ended.
    public enum Termination: Sendable, Equatable {
        /// It called `exit` with this status (0–255).
        case exited(Int32)
        /// This signal killed it.
        case signaled(Int32)

        /// The shell's `$?`: the exit status, or 128 + the signal.
        public var shellStatus: Int32 {
            switch self {
            case .exited(let status): status
            case .signaled(let signal): 128 + signal
            }
        }

        /// Decodes a `waitpid` status (the `WIFEXITED`/`WTERMSIG` macros, which Swift does not import).
        init(waitStatus status: Int32) {
            let signal = status & 0x7F
            precondition(signal != 0x7F, "waitpid reported a stopped child (\(status)); it was not asked to")
            self = signal == 0 ? .exited((status >> 8) & 0xFF) : .signaled(signal)
        }
    }

    public var pid: pid_t { exit.pid }
    /// The write end of the child's standard input; nil once closed. Closed when this object is
    /// released, which no thread of its own prevents: the threads hold only `exit` and `drained`.
    private let input: Mutex<Int32?>
    private let exit: ChildExit
    /// Left by each output thread when its pipe reaches end of file.
    private let drained = DispatchGroup()

    /// Starts the program at `path` (not searched in PATH) with `arguments` and `environment`;
    /// `output` is called with each chunk the child writes, on the stream's own thread, until
    /// the stream ends.
    public init(
        _ path: String, _ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
        output: @escaping @Sendable (Stream, ArraySlice<UInt8>) -> Void
    ) throws(SpawnError) {
        let pipes = try Self.pipes(3, path)
        let (stdin, stdout, stderr) = (pipes[0], pipes[1], pipes[2])
        var pid: pid_t = 0
        let status = Self.withCStrings([path] + arguments) { argv in
            Self.withCStrings(environment.map { "\($0.key)=\($0.value)" }) { envp in
                slog_spawn(path, argv, envp, stdin.read, stdout.write, stderr.write, &pid)
            }
        }
        // The child has its own copies of these ends (or was never started).
        Self.close([stdin.read, stdout.write, stderr.write])
        guard status == 0 else {
            Self.close([stdin.write, stdout.read, stderr.read])
            throw SpawnError(path: path, errno: status)
        }
        input = Mutex(stdin.write)
        exit = ChildExit(pid: pid)
        for (stream, descriptor) in [(Stream.standardOutput, stdout.read), (.standardError, stderr.read)] {
            drained.enter()
            Thread.detachNewThread { [drained] in
                Self.drain(descriptor) { output(stream, $0) }
                drained.leave()
            }
        }
    }

    deinit { closeInput() }

    /// Whether the child has not been reaped yet (it may have exited an instant ago).
    public var isRunning: Bool { exit.termination.withLock { $0 == nil } }

    /// Sends `signal` to the child unless it has already been reaped.
    public func signal(_ signal: Int32) {
        exit.termination.withLock { termination in
            if termination == nil { _ = kill(pid, signal) }
        }
    }

    /// Writes `bytes` to the child's standard input, stopping early when the input was closed or
    /// the child closed its end or exited.
    public func write(_ bytes: [UInt8]) {
        input.withLock { descriptor in
            guard let descriptor else { return }
            var done = 0
            while done < bytes.count {
                let n = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + done, $0.count - done) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return }
                done += n
            }
        }
    }

    /// Closes the child's standard input: it reads end of file. Idempotent.
    public func closeInput() {
        input.withLock { descriptor in
            descriptor.map { _ = Glibc.close($0) }
            descriptor = nil
        }
    }

    /// Waits for the child to exit; nil when it is still running after `timeout`.
    public func waitForExit(timeout: DispatchTimeInterval = .never) -> Termination? {
        guard exit.reaped.wait(timeout: Self.deadline(timeout)) == .success else { return nil }
        return exit.termination.withLock { $0 }
    }

    /// Waits for both output streams to end (the child, and any process it left holding them,
    /// has closed them); false when one is still open after `timeout`.
    public func waitForOutputEnd(timeout: DispatchTimeInterval = .never) -> Bool {
        drained.wait(timeout: Self.deadline(timeout)) == .success
    }

    /// Returns once the child has exited and both output streams have ended.
    public func terminated() async -> Termination {
        for group in [exit.reaped, drained] {
            await withCheckedContinuation { continuation in group.notify(queue: .global()) { continuation.resume() } }
        }
        return exit.termination.withLock { $0! }
    }

    private static func deadline(_ timeout: DispatchTimeInterval) -> DispatchTime {
        timeout == .never ? .distantFuture : .now() + timeout
    }

    /// Reads `descriptor` to end of file, passing each chunk on, then closes it.
    private static func drain(_ descriptor: Int32, _ chunk: (ArraySlice<UInt8>) -> Void) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            chunk(buffer[..<n])
        }
        _ = Glibc.close(descriptor)
    }

    /// `count` pipes whose ends all close on exec (the child gets copies of the ends it uses);
    /// none when one cannot be made.
    private static func pipes(_ count: Int, _ path: String) throws(SpawnError) -> [(read: Int32, write: Int32)] {
        var pipes: [(read: Int32, write: Int32)] = []
        for _ in 0..<count {
            var ends: [Int32] = [0, 0]
            guard slog_pipe_cloexec(&ends) == 0 else {
                let error = SpawnError(path: path, errno: errno)
                close(pipes.flatMap { [$0.read, $0.write] })
                throw error
            }
            pipes.append((ends[0], ends[1]))
        }
        return pipes
    }

    private static func close(_ descriptors: [Int32]) {
        for descriptor in descriptors { _ = Glibc.close(descriptor) }
    }

    /// Calls `body` with `strings` as a NULL-terminated array of C strings.
    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }
}

/// A child's exit, shared with the thread that waits for it. A pid is signalled only under
/// `termination`'s lock while it is nil, and that thread sets it in the same step that reaps the
/// child. Until then the child is at least a zombie, so its pid cannot have been reused.
private final class ChildExit: Sendable {
    let pid: pid_t
    /// How the child ended; nil until it is reaped.
    let termination = Mutex<SpawnedProcess.Termination?>(nil)
    /// Left once `termination` is set.
    let reaped = DispatchGroup()

    /// Starts the thread that waits for the child `pid`.
    init(pid: pid_t) {
        self.pid = pid
        reaped.enter()
        Thread.detachNewThread { [self] in reap() }
    }

    /// Waits without reaping, then reaps and records the termination in one step.
    private func reap() {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 {
            precondition(errno == EINTR, "waitid(\(pid)) failed: \(String(cString: strerror(errno))); only this object reaps its child")
        }
        termination.withLock { termination in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 {
                precondition(errno == EINTR, "waitpid(\(pid)) failed: \(String(cString: strerror(errno))); only this object reaps its child")
            }
            termination = SpawnedProcess.Termination(waitStatus: status)
        }
        reaped.leave()
    }
}

/// A child process could not be started: no such program, not executable, or out of
/// descriptors or processes. The message names the program and the system's reason.
public struct SpawnError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let errno: Int32

    public var description: String { "could not start \(path): \(String(cString: strerror(errno)))" }
}
