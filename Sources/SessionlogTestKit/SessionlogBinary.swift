import Foundation
@_exported import Ingress

/// Locates the built `sessionlog` executable beside the test bundle (or `$SESSIONLOG_BIN`).
public enum SessionlogBinary {
    public static var path: String {
        if let explicit = ProcessInfo.processInfo.environment["SESSIONLOG_BIN"] { return explicit }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("sessionlog").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        fatalError("sessionlog executable not found near \(CommandLine.arguments[0]); build it (swift build) or set SESSIONLOG_BIN")
    }
}

/// The outcome of a finished process.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: [UInt8]
    public var stderr: String

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stdoutLines: [String] { stdoutText.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
}

/// Runs `sessionlog` (or another program) as a real child process.
public enum ProcessRunner {
    /// Runs to completion, feeding `input` on stdin; returns status and both outputs.
    @discardableResult
    public static func run(_ executable: String = SessionlogBinary.path, _ arguments: [String], input: [UInt8] = [])
        throws -> ProcessResult
    {
        let child = try ChildProcess(executable, arguments)
        child.write(input)
        child.closeInput()
        return child.wait()
    }
}

/// A running child process with piped stdin, stdout and stderr, read on background threads so
/// the child never blocks on a full pipe. Thread-safe.
public final class ChildProcess: @unchecked Sendable {  // mutable output buffers are guarded by `lock`
    public let process = Process()
    private let stdinPipe = Pipe()
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()
    private let lock = NSLock()
    private var stdoutBytes: [UInt8] = []
    private var stderrBytes: [UInt8] = []
    private let readers = DispatchGroup()
    /// Left when the child exits (Foundation's `waitUntilExit` spins a run loop on Linux).
    private let exited = DispatchGroup()

    /// Writing to a child that was killed must fail with EPIPE, not kill the test process.
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// With `lifeline`, the child treats the end of its standard input as its supervisor's exit
    /// (what `sessionlog up` gives its children; `SignalTrap` in SessionlogCLI): a daemon started
    /// by a test stops when the test releases it or the test process dies, even by SIGKILL,
    /// instead of living on with the data's locks. Not for a child that reads input on stdin.
    public init(_ executable: String = SessionlogBinary.path, _ arguments: [String], lifeline: Bool = false) throws {
        Self.ignoreBrokenPipes
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if lifeline {
            process.environment = ProcessInfo.processInfo.environment.merging(["SESSIONLOG_SUPERVISOR_LIFELINE": "stdin"]) { $1 }
        }
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        exited.enter()
        process.terminationHandler = { [exited] _ in exited.leave() }
        try process.run()
        drain(stdoutPipe.fileHandleForReading, isStdout: true)
        drain(stderrPipe.fileHandleForReading, isStdout: false)
    }

    private func drain(_ handle: FileHandle, isStdout: Bool) {
        readers.enter()
        Thread.detachNewThread { [self] in
            let fd = handle.fileDescriptor
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(fd, &chunk, chunk.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                lock.lock()
                if isStdout { stdoutBytes += chunk[0..<n] } else { stderrBytes += chunk[0..<n] }
                lock.unlock()
            }
            readers.leave()
        }
    }

    public var pid: Int32 { process.processIdentifier }

    /// Writes to the child's stdin (ignoring a closed pipe: the child may have been killed).
    public func write(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        let fd = stdinPipe.fileHandleForWriting.fileDescriptor
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            done += n
        }
    }

    public func closeInput() { try? stdinPipe.fileHandleForWriting.close() }

    /// Everything the child printed on stdout so far.
    public var stdoutSoFar: [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        return stdoutBytes
    }

    /// Everything the child printed on stderr so far.
    public var stderrSoFar: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: stderrBytes, as: UTF8.self)
    }

    public func kill(_ signal: Int32 = SIGKILL) { Glibc.kill(process.processIdentifier, signal) }

    /// Waits for the child to exit and its output to be read. A child still running after
    /// `timeoutSeconds` is killed (SIGKILL, status 9) and its stderr says so: a hung child fails
    /// its test instead of holding the whole run. Output is read until its pipes close, or for
    /// 10 s more when a process the child left behind still holds them.
    public func wait(timeoutSeconds: Int = 300) -> ProcessResult {
        let timedOut = exited.wait(timeout: .now() + .seconds(timeoutSeconds)) == .timedOut
        if timedOut {
            kill()
            exited.wait()
        }
        _ = readers.wait(timeout: .now() + .seconds(10))
        lock.lock()
        defer { lock.unlock() }
        let note = timedOut ? "\n[killed by the test after \(timeoutSeconds) s]\n" : ""
        return ProcessResult(
            status: process.terminationStatus, stdout: stdoutBytes, stderr: String(decoding: stderrBytes, as: UTF8.self) + note)
    }
}
