import Dispatch
import Foundation
import LogFormat

/// Saves the ingress's idempotency window (`IdempotencyWindow.saveSnapshot`) every
/// `snapshotIntervalMs` while the log grows, on a thread of its own (never an event loop or the
/// writer thread), and a last time at the stop: a start after a crash then rereads at most about
/// one interval of the log to rebuild the window.
final class IdempotencySnapshotSaver: Sendable {
    private let services: IngressServices
    private let stopRequest = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)

    init(services: IngressServices) {
        self.services = services
    }

    func start() {
        Thread.detachNewThread { [self] in
            let interval = services.configuration.snapshotIntervalMs
            // The end of the log the last save covered: at first, the snapshot the window was loaded from.
            var saved = services.idempotency.origin?.snapshotNext
            while interval > 0, stopRequest.wait(timeout: .now() + .milliseconds(Int(interval))) == .timedOut {
                let next = services.log.committedEnd.next
                if next != saved, save(through: next) { saved = next }
            }
            stopped.signal()
        }
    }

    /// Stops the periodic saves and saves the window as of the log's end. Call once no request
    /// is in flight and the log's writer is closed.
    func stop() {
        stopRequest.signal()
        stopped.wait()
        _ = save(through: services.log.committedEnd.next)
    }

    /// Saves the window as of `next`, a committed end of the log; whether it was saved (a failure
    /// is logged: the next start then reads more of the log, nothing else is lost).
    private func save(through next: LogOffset) -> Bool {
        let started = ContinuousClock.now
        do {
            guard try services.idempotency.saveSnapshot(logPath: services.configuration.logPath, next: next) else {
                services.logger.warning("did not save the idempotency window: requests with keys stayed in flight for 10 s")
                return false
            }
            services.logger.info(
                "saved the idempotency window",
                metadata: ["log.next_offset": "\(next)", "duration_ms": "\(Int(started.duration(to: .now) / .milliseconds(1)))"])
            return true
        } catch {
            services.logger.warning(
                "could not save the idempotency window; the next start rebuilds it from more of the log", metadata: ["error": "\(error)"])
            return false
        }
    }
}
