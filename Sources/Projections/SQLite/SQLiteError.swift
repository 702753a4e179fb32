import CSQLite

/// A failed SQLite call: the result code, SQLite's message and the statement or file involved.
/// `SQLITE_BUSY`/`SQLITE_FULL`/I/O codes are operating errors the caller may retry after fixing
/// the cause; the message says which file.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    public var resultCode: Int32
    public var message: String
    /// The SQL text or file path the call was about.
    public var context: String

    public var description: String { "SQLite error \(resultCode) (\(message)) in \(context)" }

    /// The file is not a SQLite database, or one SQLite finds corrupt (`SQLITE_NOTADB`,
    /// `SQLITE_CORRUPT`): it must be built again, not retried.
    public var isDamagedFile: Bool { resultCode & 0xFF == SQLITE_NOTADB || resultCode & 0xFF == SQLITE_CORRUPT }

    init(_ resultCode: Int32, _ handle: OpaquePointer?, context: String) {
        self.resultCode = resultCode
        self.message = handle.flatMap { sqlite3_errmsg($0).map { String(cString: $0) } } ?? String(cString: sqlite3_errstr(resultCode))
        self.context = context
    }
}
