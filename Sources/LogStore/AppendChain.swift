import LogFormat

/// One producer's appends to one log, each enqueued after the previous
/// (`LogWriter.enqueue(_:after:)`): once one fails, every later one fails unwritten, so the log
/// holds a prefix of what was sent.
///
/// Not thread-safe: one producer task.
public final class AppendChain {
    private let writer: LogWriter
    private var last: AppendTicket?

    public init(_ writer: LogWriter) { self.writer = writer }

    public func enqueue(_ records: [AppendRecord]) -> AppendTicket {
        let ticket = writer.enqueue(records, after: last)
        last = ticket
        return ticket
    }
}
