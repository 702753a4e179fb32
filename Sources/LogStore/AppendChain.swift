import LogFormat

/// One producer's appends to one log, each enqueued after the previous
/// (`LogWriter.enqueue(_:after:)`): once one fails, every later one fails unwritten, so the log
/// holds a prefix of what was sent.
///
/// Not thread-safe: one producer task.
public final class AppendChain {
    /// The log appended to; its `prepare` may run on any task.
    public let writer: LogWriter
    private var last: AppendTicket?

    public init(_ writer: LogWriter) { self.writer = writer }

    public func enqueue(_ records: [AppendRecord]) -> AppendTicket {
        enqueue(writer.prepare(records))
    }

    /// `enqueue` for records `writer.prepare` made ready.
    public func enqueue(_ prepared: PreparedAppend) -> AppendTicket {
        let ticket = writer.enqueue(prepared, after: last)
        last = ticket
        return ticket
    }
}
