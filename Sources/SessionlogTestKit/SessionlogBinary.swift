import Foundation
import ProcessSpawn
import Synchronization
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

/// A running child process with piped stdin, stdout and stderr (a `SpawnedProcess`), its output
/// collected as it comes so the child never blocks on a full pipe. Thread-safe.
public final class ChildProcess: Sendable {
    public let process: SpawnedProcess
    private let output: CollectedOutput

    /// Writing to a child that was killed must fail with EPIPE, not kill the test process.
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// With `lifeline`, the child treats the end of its standard input as its supervisor's exit
    /// (what `sessionlog up` gives its children; `SignalTrap` in SessionlogCLI): a daemon started
    /// by a test stops when the test releases it or the test process dies, even by SIGKILL,
    /// instead of living on with the data's locks. Not for a child that reads input on stdin.
    public init(_ executable: String = SessionlogBinary.path, _ arguments: [String], lifeline: Bool = false) throws {
        Self.ignoreBrokenPipes
        var environment = ProcessInfo.processInfo.environment
        if lifeline { environment["SESSIONLOG_SUPERVISOR_LIFELINE"] = "stdin" }
        let output = CollectedOutput()
        self.output = output
        process = try SpawnedProcess(executable, arguments, environment: environment, output: output.append)
    }

    public var pid: Int32 { process.pid }

    /// Writes to the child's stdin (ignoring a closed pipe: the child may have been killed).
    public func write(_ bytes: [UInt8]) { process.write(bytes) }

    public func closeInput() { process.closeInput() }

    /// Everything the child printed on stdout so far.
    public var stdoutSoFar: [UInt8] { output.bytes(.standardOutput) }

    /// Everything the child printed on stderr so far.
    public var stderrSoFar: String { output.text(.standardError) }

    public func kill(_ signal: Int32 = SIGKILL) { process.signal(signal) }

    /// Waits for the child to exit and its output to be read. A child still running after
    /// `timeoutSeconds` is killed (SIGKILL, status 9) and its stderr says so: a hung child fails
    /// its test instead of holding the whole run. Output is read until its pipes close, or for
    /// 10 s more when a process the child left behind still holds them.
    public func wait(timeoutSeconds: Int = 300) -> ProcessResult {
        var termination = process.waitForExit(timeout: .seconds(timeoutSeconds))
        let timedOut = termination == nil
        if timedOut {
            kill()
            termination = process.waitForExit()
        }
        _ = process.waitForOutputEnd(timeout: .seconds(10))
        let status: Int32 =
            switch termination! {
            case .exited(let status): status
            case .signaled(let signal): signal
            }
        let note = timedOut ? "\n[killed by the test after \(timeoutSeconds) s]\n" : ""
        return ProcessResult(status: status, stdout: stdoutSoFar, stderr: stderrSoFar + note)
    }
}

/// What a child wrote to each stream so far; `append` is a `SpawnedProcess`'s output closure.
/// Thread-safe.
public final class CollectedOutput: Sendable {
    private let streams = Mutex<(stdout: [UInt8], stderr: [UInt8])>(([], []))

    public init() {}

    @Sendable public func append(_ stream: SpawnedProcess.Stream, _ chunk: ArraySlice<UInt8>) {
        streams.withLock { streams in
            switch stream {
            case .standardOutput: streams.stdout += chunk
            case .standardError: streams.stderr += chunk
            }
        }
    }

    public func bytes(_ stream: SpawnedProcess.Stream) -> [UInt8] {
        streams.withLock { stream == .standardOutput ? $0.stdout : $0.stderr }
    }

    public func text(_ stream: SpawnedProcess.Stream) -> String { String(decoding: bytes(stream), as: UTF8.self) }
}
