import Foundation
import LogFormat
import Synchronization

/// What one append carries to the writer thread.
enum AppendContent {
    /// Records for the writer to lay out; small requests share batches (better compression).
    case records([AppendRecord])
    /// Bodies the caller already encoded and compressed (large requests, in parallel with the writer).
    case bodies([EncodedBody])
}

/// The hand-off between appending tasks and the writer thread (LevelDB's `writers_` queue):
/// callers enqueue requests; the writer takes everything pending up to a byte limit as one group.
///
/// Thread-safe: all state is guarded by `condition`.
final class GroupCommitQueue: @unchecked Sendable {  // every field below is read and written under `condition`
    struct Request {
        var content: AppendContent
        var recordCount: Int
        var rawBytes: Int
        var ticket: AppendTicket
        /// An earlier request of the same producer: when it failed, this one fails too, unwritten.
        var predecessor: AppendTicket?
    }

    private let condition = NSCondition()
    private var pending: [Request] = []
    /// Counts enqueues and the close (changed under the lock), so the writer's idle spin sees
    /// either without taking the lock.
    private let arrivals = Atomic<Int>(0)
    private let idleSpin: Duration
    /// How long the writer's last wait for requests lasted, and how many requests its last group
    /// held: it spins only after a short wait and a group of one (one producer at a time), so a
    /// writer whose requests come rarely sleeps at once, and one under load never takes a core
    /// from the event loops.
    private var lastIdle: Duration?
    private var lastGroupCount = 0
    private var pendingBytes = 0
    private var closing = false
    private var failure: StorageError?
    private var stopped = false
    private var stopWaiters: [CheckedContinuation<Void, Never>] = []
    private var committedNext: LogOffset
    private var committedHead: BatchHash

    init(next: LogOffset, head: BatchHash, idleSpin: Duration) {
        committedNext = next
        committedHead = head
        self.idleSpin = idleSpin
    }

    /// Queues a request, or answers at once with the writer's failure or closed state.
    func enqueue(_ request: Request) {
        condition.lock()
        defer { condition.unlock() }
        if let failure {
            request.ticket.resolve(.failure(failure))
        } else if closing {
            request.ticket.resolve(.failure(StorageError(.closed, "the log writer is closed")))
        } else {
            pending.append(request)
            pendingBytes += request.rawBytes
            arrivals.add(1, ordering: .releasing)
            condition.signal()
        }
    }

    /// Blocks until requests are pending, then takes a group of at most `bytesMax` raw bytes
    /// (always at least one request). Returns nil once closing and drained.
    func takeGroup(bytesMax: Int) -> [Request]? {
        condition.lock()
        defer { condition.unlock() }
        if pending.isEmpty && !closing { waitForRequests() }
        guard !pending.isEmpty else { return nil }
        var count = 0
        var bytes = 0
        while count < pending.count && (count == 0 || bytes + pending[count].rawBytes <= bytesMax) {
            bytes += pending[count].rawBytes
            count += 1
        }
        let group = Array(pending.prefix(count))
        pending.removeFirst(count)
        pendingBytes -= bytes
        lastGroupCount = count
        return group
    }

    /// Waits, the lock held, until a request is pending or the queue closes. When the last wait
    /// was short (a producer that sends its next request as soon as it has the answer, one group
    /// at a time), it first polls for up to `idleSpin` outside the lock, yielding the
    /// core between polls: waking a sleeping thread costs tens of microseconds on a VM, a
    /// quarter of a small group commit's time (docs/measurements.md, session 21).
    private func waitForRequests() {
        let idleSince = ContinuousClock.now
        if let lastIdle, lastIdle <= idleSpin, lastGroupCount == 1 {
            let seen = arrivals.load(ordering: .relaxed)
            condition.unlock()
            while arrivals.load(ordering: .acquiring) == seen,
                  ContinuousClock.now - idleSince < idleSpin {
                sched_yield()
            }
            condition.lock()
        }
        while pending.isEmpty && !closing { condition.wait() }
        lastIdle = ContinuousClock.now - idleSince
    }

    func committed(next: LogOffset, head: BatchHash) {
        condition.lock()
        committedNext = next
        committedHead = head
        condition.unlock()
    }

    var committedEnd: (next: LogOffset, head: BatchHash) {
        condition.lock()
        defer { condition.unlock() }
        return (committedNext, committedHead)
    }

    /// Raw bytes waiting for the writer (for metrics and admission control).
    var queuedBytes: Int {
        condition.lock()
        defer { condition.unlock() }
        return pendingBytes
    }

    /// Enters fail-stop: every pending and future request gets `error`.
    func fail(_ error: StorageError) {
        condition.lock()
        failure = error
        let doomed = pending
        pending.removeAll()
        pendingBytes = 0
        condition.unlock()
        for request in doomed { request.ticket.resolve(.failure(error)) }
    }

    func close() {
        condition.lock()
        closing = true
        arrivals.add(1, ordering: .releasing)
        condition.broadcast()
        condition.unlock()
    }

    /// Called by the writer thread as it exits.
    func markStopped() {
        condition.lock()
        stopped = true
        condition.broadcast()
        let waiters = stopWaiters
        stopWaiters.removeAll()
        condition.unlock()
        for waiter in waiters { waiter.resume() }
    }

    func waitUntilStoppedBlocking() {
        condition.lock()
        while !stopped { condition.wait() }
        condition.unlock()
    }

    func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            if stopped {
                condition.unlock()
                continuation.resume()
            } else {
                stopWaiters.append(continuation)
                condition.unlock()
            }
        }
    }
}
