import Foundation
import SessionlogTestKit
import Testing

/// The test kit's child processes: a hung child fails its own test within the timeout instead of
/// holding the whole run (a stuck load generator once held CI for 15 minutes).
@Suite(.blocking) struct ChildProcessTests {
    @Test func aChildStillRunningAfterTheTimeoutIsKilledAndSaysSo() throws {
        let started = Date()
        let result = try ChildProcess("/bin/sh", ["-c", "echo started; exec sleep 60"]).wait(timeoutSeconds: 1)
        #expect(result.status == SIGKILL && result.stdoutText == "started\n" && result.stderr.contains("killed by the test after 1 s"))
        #expect(Date().timeIntervalSince(started) < 30)
    }

    @Test func aChildThatExitsInTimeGivesItsStatusAndOutput() throws {
        let result = try ChildProcess("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"]).wait(timeoutSeconds: 60)
        #expect(result.status == 3 && result.stdoutText == "out\n" && result.stderr == "err\n")
    }
}
