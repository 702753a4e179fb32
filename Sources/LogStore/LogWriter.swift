import Foundation
import LogFormat

/// The single writer of a log directory, with group commit.
///
/// Concurrent `append` calls are coalesced: a dedicated thread takes everything pending (up to
/// `groupBytesMax`), writes it as LZ4 batches with one `write`, makes it durable with one
/// `fdatasync`, and only then resumes every caller with its offsets. Blocking syscalls therefore
/// never run on Swift's cooperative pool.
///
/// Guarantees: offsets are dense and assigned in commit order, one call's records get consecutive
/// offsets, `received_at` never decreases, an answer means durable (with `FsyncPolicy.always`).
/// Only one `LogWriter` per directory across all processes (`StorageError.Code.locked`). After a
/// failed fsync every append fails (`.writerFailed`); after ENOSPC only that group fails.
///
/// ```swift
/// let writer = try LogWriter.open(directory: "data/log")
/// let offsets = try await writer.append([AppendRecord(version: 3, producerUID: 1000, payload: bytes)])
/// await writer.close()
/// ```
public final class LogWriter: Sendable {
    public let directory: LogDirectory
    public let recovery: RecoveryReport
    /// Appends, bytes, group sizes and fsync latency (for `/metrics`).
    public let metrics: WriterMetrics
    private let queue: GroupCommitQueue
    private let batchBytesMax: Int

    /// Requests at least this large are encoded and compressed by the calling task, so several
    /// cores compress while the writer thread seals, writes and syncs; smaller ones are laid out
    /// by the writer, which packs many of them into shared batches. 16 KiB, Kafka's default
    /// producer `batch.size`: a `/batch` of ~40 typical payloads is compressed on its own, which
    /// costs some ratio and keeps compression off the writer's serial path (docs/decisions/0001).
    static let callerEncodesBytesMin = 16 << 10

    private init(
        directory: LogDirectory, recovery: RecoveryReport, queue: GroupCommitQueue, batchBytesMax: Int, metrics: WriterMetrics
    ) {
        self.directory = directory
        self.recovery = recovery
        self.metrics = metrics
        self.queue = queue
        self.batchBytesMax = batchBytesMax
    }

    /// Opens the log at `directory` (created if missing), recovering it first; see `RecoveryReport`.
    public static func open(directory: String, options: LogWriterOptions = LogWriterOptions()) throws -> LogWriter {
        let logDirectory = LogDirectory(path: directory)
        let (appender, report) = try SegmentAppender.open(logDirectory, options: options)
        let queue = GroupCommitQueue(next: report.nextOffset, head: report.head, idleSpin: options.idleSpin)
        let metrics = WriterMetrics()
        let name = threadName(directory: directory)
        Thread {
            nameCurrentThread(name)
            Self.run(appender, queue: queue, metrics: metrics)
        }.start()
        return LogWriter(
            directory: logDirectory, recovery: report, queue: queue, batchBytesMax: options.batchBytesMax, metrics: metrics)
    }

    /// The writer thread's name, as `top -H` and `ps -L` show it: "writer " and the log
    /// directory's name, cut at a character boundary to the 15 bytes Linux keeps.
    static func threadName(directory: String) -> String {
        var name = "writer " + (directory.split(separator: "/").last.map(String.init) ?? "")
        while name.utf8.count > 15 { name.removeLast() }
        return name
    }

    /// Names the calling thread for the OS, through `/proc/thread-self/comm` (proc(5)):
    /// Foundation's `Thread.name` does not reach the OS thread on Linux, and Swift does not
    /// import `pthread_setname_np`. A failure leaves the name unchanged; it is only a label.
    private static func nameCurrentThread(_ name: String) {
        let file = Glibc.open("/proc/thread-self/comm", O_WRONLY)
        guard file >= 0 else { return }
        _ = name.utf8CString.withUnsafeBufferPointer { Glibc.write(file, $0.baseAddress!, $0.count - 1) }
        Glibc.close(file)
    }

    /// Appends `records` and returns their offsets once they are durable. All of a call's records
    /// are appended, with consecutive offsets, or none are.
    /// Throws `StorageError`: `.diskFull` (nothing appended; retry later), `.writerFailed`,
    /// `.closed`, or `.invalidArgument` for a record over `LogWriterOptions.recordBytesMax`.
    public func append(_ records: [AppendRecord]) async throws -> [LogOffset] {
        try await enqueue(records).offsets()
    }

    /// Queues `records` behind every earlier `enqueue` (their offsets follow in call order) and
    /// returns at once; await the ticket for the outcome. Lets one task keep several appends in
    /// flight while preserving order.
    ///
    /// With `predecessor` (the ticket of an earlier `enqueue` on this writer), the records are not
    /// appended if it failed, and fail with its error: a producer that chains its appends so
    /// finds what it sent in the log as a prefix, never with a gap left by a failed append (a
    /// full disk fails one group; a later, smaller one could still fit).
    public func enqueue(_ records: [AppendRecord], after predecessor: AppendTicket? = nil) -> AppendTicket {
        enqueue(prepare(records), after: predecessor)
    }

    /// Checks `records` against the log's limits and, when they are at least
    /// `callerEncodesBytesMin` bytes, encodes and compresses them: the costly half of `enqueue`,
    /// which any task may do ahead of it. A producer that prepares one request while it reads the
    /// next spreads compression over more cores and still enqueues in order.
    public func prepare(_ records: [AppendRecord]) -> PreparedAppend {
        var bytes = 0
        for record in records {
            let (size, keyBytes) = (record.encodedSize, record.idempotencyKey?.utf8.count ?? 0)
            guard size <= LogWriterOptions.recordBytesMax, keyBytes <= RecordLayout.keyBytesMax else {
                let message = "a record of \(size) bytes (key \(keyBytes)) exceeds the log's limits"
                return PreparedAppend(
                    writer: ObjectIdentifier(self), outcome: .failure(StorageError(.invalidArgument, message)))
            }
            bytes += size
        }
        let content: AppendContent =
            bytes >= Self.callerEncodesBytesMin
            ? .bodies(BatchBodyEncoder.bodies(records, bodyBytesMax: batchBytesMax)) : .records(records)
        return PreparedAppend(writer: ObjectIdentifier(self), outcome: .success((content, records.count, bytes)))
    }

    /// `enqueue(_:after:)` for records already prepared (by `prepare`, on this writer).
    public func enqueue(_ prepared: PreparedAppend, after predecessor: AppendTicket? = nil) -> AppendTicket {
        precondition(prepared.writer == ObjectIdentifier(self), "an append prepared by another log's writer")
        let request: PreparedAppend.Request
        switch prepared.outcome {
        case .failure(let error): return AppendTicket(failed: error)
        case .success(let checked): request = checked
        }
        let ticket = AppendTicket()
        if request.recordCount == 0 {
            ticket.resolve(.success([]))
        } else {
            queue.enqueue(
                .init(
                    content: request.content, recordCount: request.recordCount, rawBytes: request.rawBytes,
                    ticket: ticket, predecessor: predecessor))
        }
        return ticket
    }

    /// Offset the next record will get, and the head hash, as of the last commit.
    public var committedEnd: (next: LogOffset, head: BatchHash) { queue.committedEnd }

    /// Raw bytes queued and not yet committed.
    public var queuedBytes: Int { queue.queuedBytes }

    /// Commits what is pending, stops the writer thread and releases the lock.
    public func close() async {
        queue.close()
        await queue.waitUntilStopped()
    }

    /// `close()` for synchronous contexts (error paths of initializers); blocks the caller.
    public func closeBlocking() {
        queue.close()
        queue.waitUntilStoppedBlocking()
    }

    private static func run(_ appender: SegmentAppender, queue: GroupCommitQueue, metrics: WriterMetrics) {
        // The appender (files and lock) lives exactly as long as this loop.
        var healthy = true
        while let taken = queue.takeGroup(bytesMax: appender.options.groupBytesMax) {
            let group = failingAfterFailedPredecessors(taken)
            guard !group.isEmpty else { continue }
            do {
                let outcomes = try appender.commit(group.map(\.content))
                queue.committed(next: appender.nextOffset, head: appender.head)
                var records = 0
                var bytes = 0
                for (request, outcome) in zip(group, outcomes) {
                    if case .success = outcome {
                        records += request.recordCount
                        bytes += request.rawBytes
                    }
                }
                if records > 0 { metrics.committed(records: records, rawBytes: bytes, fsyncSeconds: appender.lastSyncSeconds) }
                metrics.failed(requests: outcomes.count { if case .failure = $0 { true } else { false } })
                for (request, outcome) in zip(group, outcomes) {
                    request.ticket.resolve(
                        outcome.map { first in (0..<request.recordCount).map { first.advanced(by: $0) } })
                }
            } catch {
                // Fail-stop: the state of the files is unknown; nothing of this group is acknowledged.
                let storageError = SegmentAppender.failStop(error)
                for request in group { request.ticket.resolve(.failure(storageError)) }
                queue.fail(storageError)
                healthy = false
                break
            }
        }
        appender.close(healthy: healthy)  // the thread object may outlive this loop: release the lock now
        queue.markStopped()
    }

    /// The requests of `group` to commit: a request whose predecessor failed gets its error and
    /// is left out. A predecessor is always resolved here (requests are taken in enqueue order),
    /// unless it is in this very group, where a failure fails every request after it anyway.
    /// Without such a request (every group of the ingress) the group is returned as it is.
    private static func failingAfterFailedPredecessors(_ group: [GroupCommitQueue.Request]) -> [GroupCommitQueue.Request] {
        func predecessorError(_ request: GroupCommitQueue.Request) -> StorageError? {
            if case .failure(let error) = request.predecessor?.resolvedOutcome { error } else { nil }
        }
        guard group.contains(where: { predecessorError($0) != nil }) else { return group }
        return group.filter { request in
            guard let error = predecessorError(request) else { return true }
            request.ticket.resolve(.failure(error))
            return false
        }
    }
}

/// Records checked against a log's limits and, when large, already encoded and compressed
/// (`LogWriter.prepare`); enqueued with `LogWriter.enqueue(_:after:)` on the writer that made it.
public struct PreparedAppend: Sendable {
    fileprivate typealias Request = (content: AppendContent, recordCount: Int, rawBytes: Int)
    /// The writer that prepared it: its batch size bounds the encoded bodies.
    fileprivate let writer: ObjectIdentifier
    fileprivate let outcome: Result<Request, StorageError>
}
