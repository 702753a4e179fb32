import Dispatch
import Foundation

/// Turns SIGTERM and SIGINT into a call of `handler` (on a dispatch queue) instead of killing
/// the process, so commands can stop cleanly. Keep it alive for as long as the trap should hold.
///
/// Under a `Supervisor` (`up`, `project all`) the supervisor's exit is a stop request too, even
/// when it was killed with SIGKILL: its children do not live on without it, holding the log's
/// and the projections' locks.
final class SignalTrap {
    private let sources: [any DispatchSourceSignal]

    init(_ handler: @escaping @Sendable () -> Void) {
        sources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
        Self.watchLifeline(handler)
    }

    /// Set by `Supervisor` in its children's environment: standard input is a pipe the
    /// supervisor never writes to, so end of file on it means the supervisor has exited.
    static let lifelineVariable = "SESSIONLOG_SUPERVISOR_LIFELINE"

    /// Calls `handler` once standard input ends, when this process is a supervisor's child.
    private static func watchLifeline(_ handler: @escaping @Sendable () -> Void) {
        guard ProcessInfo.processInfo.environment[lifelineVariable] == "stdin" else { return }
        unsetenv(lifelineVariable)  // this process's own children get their own lifeline, or none
        // Once the supervisor is gone, so is the reader of our output: writing it must fail
        // (EPIPE), not kill the process before it has stopped cleanly.
        signal(SIGPIPE, SIG_IGN)
        Thread {
            var byte: UInt8 = 0
            while true {
                let n = read(STDIN_FILENO, &byte, 1)
                guard n > 0 || (n < 0 && errno == EINTR) else { break }
            }
            printError("the supervisor has exited: stopping")
            handler()
        }.start()
    }

    func cancel() { sources.forEach { $0.cancel() } }
}
