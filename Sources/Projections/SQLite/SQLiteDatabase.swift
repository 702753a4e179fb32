import CSQLite

/// One SQLite connection (libsqlite3's C API). Opened read-write in WAL mode for a projector,
/// or read-only for queries; statements are prepared once and cached by SQL text.
///
/// Not thread-safe: one connection per thread (SQLite's own rule for a connection in
/// `SQLITE_OPEN_NOMUTEX` mode).
///
/// ```swift
/// let db = try SQLiteDatabase(path: "data/projections/pages/v2.db")
/// try db.transaction { try db.statement("DELETE FROM pages").run() }
/// ```
public final class SQLiteDatabase {
    public let path: String
    private let handle: OpaquePointer
    private var statements: [String: SQLiteStatement] = [:]
    private var isClosed = false

    /// Opens (creating when `readOnly` is false) the database at `path`. A writer also sets WAL,
    /// `synchronous=NORMAL` (a commit survives a process crash; WAL's checkpoint makes it durable)
    /// and a busy timeout so a concurrent reader's checkpoint never fails a commit. Its `-wal` and
    /// `-shm` files outlive it (persistent WAL, the WAL truncated on close): a reader that may not
    /// create files in the directory (an auditor) can then still open the database once the
    /// writer has stopped, which SQLite allows only when those files exist.
    public init(path: String, readOnly: Bool = false) throws(SQLiteError) {
        self.path = path
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &db, flags, nil)
        guard code == SQLITE_OK, let db else {
            let error = SQLiteError(code, db, context: path)
            sqlite3_close_v2(db)
            throw error
        }
        handle = db
        sqlite3_busy_timeout(db, 10_000)
        // Reading the header here makes a file that is not a database fail now, naming it.
        if !readOnly {
            var persist: Int32 = 1
            sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist)
        }
        let setup =
            readOnly
            ? "PRAGMA schema_version;"
            : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; PRAGMA journal_size_limit=67108864;"
        let setupCode = sqlite3_exec(db, setup, nil, nil, nil)
        guard setupCode == SQLITE_OK else {
            let error = SQLiteError(setupCode, db, context: path)
            close()
            throw error
        }
    }

    deinit { close() }

    /// Finalizes every statement and closes the connection (idempotent); later calls fail.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements without results (DDL, pragmas).
    public func execute(_ sql: String) throws(SQLiteError) {
        precondition(!isClosed, "\(path) is closed")
        let code = sqlite3_exec(handle, sql, nil, nil, nil)
        guard code == SQLITE_OK else { throw SQLiteError(code, handle, context: sql) }
    }

    /// A prepared statement for `sql`, reused across calls (reset and unbound on return).
    public func statement(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        precondition(!isClosed, "\(path) is closed")
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        var raw: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard code == SQLITE_OK, let raw else { throw SQLiteError(code, handle, context: sql) }
        let statement = SQLiteStatement(raw, database: handle, sql: sql)
        statements[sql] = statement
        return statement
    }

    /// Runs `body` in one `BEGIN IMMEDIATE … COMMIT` transaction, rolling back if it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` in one read transaction (`BEGIN … COMMIT`, deferred): every query in it reads
    /// the same snapshot, whatever a writer commits meanwhile (WAL mode).
    public func readTransaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        defer { try? execute("COMMIT") }
        return try body()
    }

    /// Runs a query and hands over its column names, then each row as it is read: memory stays
    /// constant however many rows there are.
    public func forEachRow(
        _ sql: String, _ arguments: [SQLValue] = [], columns: ([String]) -> Void = { _ in }, _ row: ([SQLValue]) -> Void
    ) throws(SQLiteError) {
        let statement = try statement(sql)
        try statement.bind(arguments)
        columns((0..<statement.columnCount).map { statement.columnName(at: $0) })
        while try statement.step() { row((0..<statement.columnCount).map { statement.value(at: $0) }) }
    }

    /// Rows of a query, each as its column values (for small reads: `status`, tests).
    public func rows(_ sql: String, _ arguments: [SQLValue] = []) throws(SQLiteError) -> (columns: [String], rows: [[SQLValue]]) {
        var result: (columns: [String], rows: [[SQLValue]]) = ([], [])
        try forEachRow(sql, arguments, columns: { result.columns = $0 }) { result.rows.append($0) }
        return result
    }

    /// The columns of `table`'s primary key, in key order (empty for a table keyed by rowid only).
    public func primaryKey(of table: String) throws(SQLiteError) -> [String] {
        try columnNames("SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", table)
    }

    /// The column names of `table`, in declaration order (empty when it does not exist).
    public func columns(of table: String) throws(SQLiteError) -> [String] {
        try columnNames("SELECT name FROM pragma_table_info(?)", table)
    }

    /// The `name`s a query over `pragma_table_info(table)` returns.
    private func columnNames(_ sql: String, _ table: String) throws(SQLiteError) -> [String] {
        try rows(sql, [.text(table)]).rows.compactMap { if case .text(let name) = $0[0] { name } else { nil } }
    }
}
