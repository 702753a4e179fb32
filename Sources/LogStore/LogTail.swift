import LogFormat

/// The records of a log from an offset on, following its tail: iteration never ends by itself;
/// at the committed end it waits for the writer (inotify, with `pollIntervalMs` as a fallback).
/// Cancel the iterating task to stop (iteration then throws `CancellationError`).
///
/// ```swift
/// for try await record in LogTail(directory: "data/log", from: LogOffset(0)) { … }
/// ```
public struct LogTail: AsyncSequence, Sendable {
    public typealias Element = LogRecord

    public let directory: String
    public let start: LogOffset
    public let pollIntervalMs: Int32

    public init(directory: String, from start: LogOffset, pollIntervalMs: Int32 = 250) {
        self.directory = directory
        self.start = start
        self.pollIntervalMs = pollIntervalMs
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(
            cursor: LogReader(directory: directory).cursor(from: start),
            waiter: TailWaiter(directory: directory, pollIntervalMs: pollIntervalMs))
    }

    /// Yields buffered records of the current batch, then reads or waits for the next.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private var cursor: LogCursor
        private var buffered: [LogRecord] = []
        private var index = 0
        private var waiter: TailWaiter

        init(cursor: LogCursor, waiter: TailWaiter) {
            self.cursor = cursor
            self.waiter = waiter
        }

        public mutating func next() async throws -> LogRecord? {
            while true {
                if index < buffered.count {
                    index += 1
                    return buffered[index - 1]
                }
                try Task.checkCancellation()
                if let batch = try cursor.nextBatch() {
                    buffered = batch
                    index = 0
                    continue
                }
                try await waiter.wait()
            }
        }
    }
}
