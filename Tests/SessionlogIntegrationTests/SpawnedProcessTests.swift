import Foundation
import ProcessSpawn
import SessionlogTestKit
import Testing

/// `SpawnedProcess`, which starts `sessionlog up`'s children and every child of the tests: what
/// the child inherits, how it ended, its input and output.
@Suite(.blocking) struct SpawnedProcessTests {
    static func run(_ path: String, _ arguments: [String], input: [UInt8] = []) async throws -> (SpawnedProcess.Termination, CollectedOutput) {
        let output = CollectedOutput()
        let child = try SpawnedProcess(path, arguments, output: output.append)
        child.write(input)
        child.closeInput()
        return (await child.terminated(), output)
    }

    @Test func theChildGetsItsInputAndItsOutputIsCollectedByStream() async throws {
        let (termination, output) = try await Self.run("/bin/sh", ["-c", "cat; echo err >&2; exit 3"], input: Array("in\n".utf8))
        #expect(termination == .exited(3) && termination.shellStatus == 3)
        #expect(output.text(.standardOutput) == "in\n" && output.text(.standardError) == "err\n")
    }

    @Test func aKilledChildReportsItsSignal() throws {
        let child = try SpawnedProcess("/bin/sleep", ["60"]) { _, _ in }
        #expect(child.isRunning)
        child.signal(SIGKILL)
        let termination = child.waitForExit(timeout: .seconds(30))
        #expect(termination == .signaled(SIGKILL) && termination?.shellStatus == 137)
        #expect(!child.isRunning)
        child.signal(SIGKILL)  // reaped: not sent to whatever has the pid now
    }

    /// What the test kit's lifeline relies on: a daemon a test forgets stops when released.
    @Test func releasingTheProcessClosesTheChildsInputAndTheChildIsStillReaped() throws {
        var child: SpawnedProcess? = try SpawnedProcess("/bin/cat", []) { _, _ in }
        let pid = try #require(child?.pid)
        #expect(kill(pid, 0) == 0)
        child = nil
        let deadline = Date().addingTimeInterval(30)
        while kill(pid, 0) == 0 && Date() < deadline { usleep(10_000) }
        #expect(kill(pid, 0) == -1 && errno == ESRCH, "cat read end of file, exited and was reaped")
    }

    @Test func aStillRunningChildTimesOut() throws {
        let child = try SpawnedProcess("/bin/sleep", ["60"]) { _, _ in }
        #expect(child.waitForExit(timeout: .milliseconds(50)) == nil)
        child.signal(SIGTERM)
        #expect(child.waitForExit(timeout: .seconds(30)) == .signaled(SIGTERM))
    }

    /// The parent ignores SIGPIPE (the test kit does, so does a supervised child); its children
    /// must not: a `sessionlog` child sets its own dispositions.
    @Test func theChildStartsWithDefaultSignalActionsAndNoneBlocked() async throws {
        signal(SIGPIPE, SIG_IGN)
        let (termination, output) = try await Self.run("/bin/grep", ["-E", "^Sig(Ign|Blk)", "/proc/self/status"])
        #expect(termination == .exited(0))
        let masks = Dictionary(
            uniqueKeysWithValues: output.text(.standardOutput).split(separator: "\n").map { line in
                let fields = line.split(separator: "\t")
                return (String(fields[0]), UInt64(fields[1], radix: 16) ?? .max)
            })
        #expect(masks["SigBlk:"] == 0, "\(masks)")
        // Bit n - 1 is signal n. Signals 32 and 33 are glibc's own (thread cancellation and
        // setxid), which posix_spawn cannot reset and no program uses.
        #expect(masks["SigIgn:"].map { $0 & 0x7FFF_FFFF } == 0, "\(masks)")
    }

    @Test func descriptorsOpenWithoutCloseOnExecStayOutOfTheChild() async throws {
        let leaky = open("/dev/null", O_RDONLY)  // no O_CLOEXEC
        let high = fcntl(leaky, F_DUPFD, 200)
        defer {
            close(leaky)
            close(high)
        }
        try #require(leaky >= 0 && high >= 200)
        let (termination, output) = try await Self.run("/bin/ls", ["/proc/self/fd"])
        #expect(termination == .exited(0))
        // 0–2, and the descriptor ls reads the directory with.
        #expect(output.text(.standardOutput).split(separator: "\n") == ["0", "1", "2", "3"])
    }

    @Test func aProgramThatCannotBeStartedIsATypedError() throws {
        #expect {
            _ = try SpawnedProcess("/nonexistent/program", []) { _, _ in }
        } throws: { error in
            let error = error as? SpawnError
            return error?.errno == ENOENT && error?.description == "could not start /nonexistent/program: No such file or directory"
        }
    }
}
