import Foundation
import LogFormat

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
    }

    private let condition = NSCondition()
    private var pending: [Request] = []
    private var pendingBytes = 0
    private var closing = false
    private var failure: StorageError?
    private var stopped = false
    private var stopWaiters: [CheckedContinuation<Void, Never>] = []
    private var committedNext: LogOffset
    private var committedHead: BatchHash

    init(next: LogOffset, head: BatchHash) {
        committedNext = next
        committedHead = head
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
            condition.signal()
        }
    }

    /// Blocks until requests are pending, then takes a group of at most `bytesMax` raw bytes
    /// (always at least one request). Returns nil once closing and drained.
    func takeGroup(bytesMax: Int) -> [Request]? {
        condition.lock()
        defer { condition.unlock() }
        while pending.isEmpty && !closing { condition.wait() }
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
        return group
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
